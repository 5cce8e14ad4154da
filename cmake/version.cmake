# The one place the version is written. CMakeLists.txt gives it to
# project() (so to the .pc file, the CMake package and the .so names) and
# to the ESP-IDF component; mcdisc/version.h is generated from it, by the
# build or, outside CMake (scripts/cross_size.sh), with
#   cmake -DMCD_VERSION_DIR=DIR -P cmake/version.cmake
# idf_component.yml repeats it for the component manager: the test
# build_version checks that the two agree.
set(MCD_VERSION 0.1.0)

set(MCD_VERSION_IN ${CMAKE_CURRENT_LIST_DIR}/version.h.in)

# Write DIR/mcdisc/version.h.
function(mcd_version_header dir)
  string(REPLACE "." ";" parts ${MCD_VERSION})
  list(GET parts 0 MCD_VERSION_MAJOR)
  list(GET parts 1 MCD_VERSION_MINOR)
  list(GET parts 2 MCD_VERSION_PATCH)
  configure_file(${MCD_VERSION_IN} ${dir}/mcdisc/version.h @ONLY)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND MCD_VERSION_DIR)
  mcd_version_header(${MCD_VERSION_DIR})
endif()
