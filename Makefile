# The verbs a user types. CMake does the building; see CMakeLists.txt.
#   make          build build/mcdisc and libmcdisc (static and shared)
#   make test     install missing packages, build, run every test (ctest)
#   make demo     install missing packages, build, run the discovery demo
#   make install  install program, library, header, pkg-config, CMake config
BUILD ?= build
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DMCD_WERROR=ON
endif
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build test demo install deps clean

all: build

build:
	@command -v cmake >/dev/null || { echo "cmake is missing: run scripts/deps.sh (as root) or 'make test'"; exit 1; }
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

deps:
	scripts/deps.sh

test: deps
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure --timeout 600

demo: deps
	$(MAKE) build
	scripts/demo.sh $(BUILD)/mcdisc

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
