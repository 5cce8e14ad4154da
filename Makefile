# The verbs a user types. CMake does the building; see CMakeLists.txt.
#   make          build build/mcdisc and libmcdisc (static and shared); the
#                 tests whose packages are there (cmocka: unit tests)
#   make test     install missing packages, build, run every test (ctest);
#                 a missing test dependency fails the configure
#   make demo     install missing packages, build, run the discovery demo
#   make install  install program, library, header, pkg-config, CMake config
#   make fuzz     fuzz every parser with libFuzzer for FUZZ_SECONDS each
#   make bench    every benchmark, figures under bench/results/
#   make esp-idf  the example firmware with ESP-IDF: esp32c3 compile check
#                 and sizes, linux-target build (scripts/esp_idf.sh)
#   make check-shell  every shell script parses (sh -n, bash -n)
BUILD ?= build
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DMCD_WERROR=ON
endif
# ON under `make test`: every test must build, none is left out silently.
MCD_TESTS_REQUIRED ?= OFF
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# A ctest -E regular expression: tests `make test` leaves out (CI's
# sanitizer pass; empty: none).
CTEST_EXCLUDE ?=

FUZZ_SECONDS ?= 60
FUZZ_TARGETS = addr groupspec reply probe responder netlink extquery extreply announce

.PHONY: all build test demo install deps clean fuzz bench esp-idf check-shell

all: build

build:
	@command -v cmake >/dev/null || { echo "cmake is missing: run scripts/deps.sh (as root) or 'make test'"; exit 1; }
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) \
	    -DMCD_TESTS_REQUIRED=$(MCD_TESTS_REQUIRED) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

deps:
	scripts/deps.sh

test: deps
	$(MAKE) build MCD_TESTS_REQUIRED=ON
	cd $(BUILD) && ctest --output-on-failure --timeout 600 \
	    $(if $(CTEST_EXCLUDE),-E '$(CTEST_EXCLUDE)')

demo: deps
	$(MAKE) build
	scripts/demo.sh $(BUILD)

# New inputs go to build-fuzz/corpus-*; copy the interesting ones into
# tests/fuzz/corpus/ to keep them.
fuzz:
	scripts/deps.sh --fuzz
	CC=clang cmake -S . -B build-fuzz -DMCD_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p build-fuzz/corpus-$$t; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	    build-fuzz/tests/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        build-fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

bench:
	scripts/deps.sh --bench
	$(MAKE) build
	BUILD=$(BUILD) bench/run.sh

# ESP-IDF from IDF_PATH, else the offline bundle ESP_IDF_BUNDLE (default
# ../shared/esp-idf), unpacked into $(BUILD)/esp-idf.
esp-idf:
	scripts/deps.sh --esp-idf
	scripts/esp_idf.sh all $(BUILD)/esp-idf

check-shell:
	scripts/check_shell.sh

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
