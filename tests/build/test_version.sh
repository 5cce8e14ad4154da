#!/bin/sh
# One version: cmake/version.cmake. The generated header, the program, the
# pkg-config file and the ESP-IDF manifest (idf_component.yml, which the
# component manager reads and CMake cannot generate) must all say it.
set -u
SRC=${1:?usage: test_version.sh SOURCE_DIR BUILD_DIR MCDISC}
BUILD=${2:?}
MCDISC=${3:?}
pass=0
fail=0
check() {
    what=$1
    shift
    if "$@"; then
        pass=$((pass + 1)); echo "ok - $what"
    else
        fail=$((fail + 1)); echo "not ok - $what"
    fi
}
v=$(sed -n 's/^set(MCD_VERSION \([0-9][0-9.]*\))$/\1/p' "$SRC/cmake/version.cmake")
check "cmake/version.cmake sets one version ($v)" \
    sh -c "echo '$v' | grep -qx '[0-9]*\.[0-9]*\.[0-9]*'"
hdr=$(sed -n 's/^#define MCD_VERSION_STRING "\(.*\)"$/\1/p' "$BUILD/include/mcdisc/version.h")
check "mcdisc/version.h says $v (it says '$hdr')" test "$hdr" = "$v"
maj=$(sed -n 's/^#define MCD_VERSION_MAJOR \(.*\)$/\1/p' "$BUILD/include/mcdisc/version.h")
check "MCD_VERSION_MAJOR is ${v%%.*} (it is '$maj')" test "$maj" = "${v%%.*}"
idf=$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$SRC/idf_component.yml")
check "idf_component.yml says $v (it says '$idf')" test "$idf" = "$v"
out=$("$MCDISC" --version)
check "mcdisc --version says $v (it says '$out')" test "$out" = "mcdisc $v"
pc=$(sed -n 's/^Version: //p' "$BUILD/mcdisc.pc")
check "mcdisc.pc says $v (it says '$pc')" test "$pc" = "$v"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
