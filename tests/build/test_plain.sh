#!/bin/sh
# A machine without the test packages: no pkg-config modules at all (so no
# cmocka, no lwIP). A plain configure must still succeed and build the
# program and both libraries, say what it left out, and `make test`'s
# configure (MCD_TESTS_REQUIRED=ON) must refuse instead of dropping tests.
set -u
SRC=${1:?usage: test_plain.sh SOURCE_DIR [CC] [WERROR]}
CC_=${2:-cc}
WERROR=${3:-OFF}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_LIBDIR=/nonexistent
pass=0
fail=0
check() {
    what=$1
    shift
    if "$@" >"$tmp/last.log" 2>&1; then
        pass=$((pass + 1)); echo "ok - $what"
    else
        fail=$((fail + 1)); echo "not ok - $what"; sed 's/^/  | /' "$tmp/last.log"
    fi
}

check "configures without cmocka and lwIP" \
    sh -c "cmake -S '$SRC' -B '$tmp/plain' -DCMAKE_C_COMPILER='$CC_' -DMCD_WERROR='$WERROR' >'$tmp/plain.log' 2>&1"
check "says the unit tests are not built" grep -q "cmocka not found: unit tests not built" "$tmp/plain.log"
check "says the lwIP host program is not built" grep -q "mcdisc-lwip, the lwIP" "$tmp/plain.log"
check "builds mcdisc, libmcdisc.so and libmcdisc.a" \
    cmake --build "$tmp/plain" -j 2 --target mcdisc_cli mcdisc mcdisc_static
check "the artefacts are there" \
    test -x "$tmp/plain/mcdisc" -a -f "$tmp/plain/libmcdisc.so" -a -f "$tmp/plain/libmcdisc.a"
check "the program runs" sh -c "'$tmp/plain/mcdisc' --version | grep -q '^mcdisc '"
# libinih and libsystemd are optional too: without them --config says so
# (before any socket) and readiness is not notified.
check "says it builds without libinih and libsystemd" \
    sh -c "grep -q 'INIH not found' '$tmp/plain.log' && grep -q 'SYSTEMD not found' '$tmp/plain.log'"
check "--config without libinih: one line, exit 2" \
    sh -c "'$tmp/plain/mcdisc' respond --config /dev/null 2>&1 >/dev/null | grep -q 'built without libinih'; [ \$? -eq 0 ]"
# make test's configure: a missing test dependency is an error, not a skip.
check "MCD_TESTS_REQUIRED=ON refuses a configure without cmocka" \
    sh -c "! cmake -S '$SRC' -B '$tmp/req' -DMCD_TESTS_REQUIRED=ON >'$tmp/req.log' 2>&1 && grep -q 'not found' '$tmp/req.log'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
