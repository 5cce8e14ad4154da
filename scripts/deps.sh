#!/bin/sh
# deps.sh - the one list of Debian packages that building, testing and the
# demo need, and the one place that installs them.
#
#   scripts/deps.sh          install what is missing (as root), or print
#                            the exact apt-get line and exit 1 (not root)
#   scripts/deps.sh --list   print the package names
#   scripts/deps.sh --fuzz   ...and clang with libFuzzer (make fuzz)
#   scripts/deps.sh --check  ...and valgrind (CI)
#   scripts/deps.sh --cross  ...and the rv32imc cross compiler (CI)
#   scripts/deps.sh --bench  ...and gnuplot and the cross compiler (make bench)
#   scripts/deps.sh --esp-idf ...and the esp32c3 compile check (make esp-idf)
#   scripts/deps.sh --package ...and what builds and checks the Debian
#                            packages (scripts/package_test.sh, CI)
set -u

PACKAGES="
cmake
gcc
libc6-dev
make
pkg-config
libcmocka-dev
iproute2
tcpdump
jq
iperf
nftables
liblwip-dev
socat
procps
groff-base
ninja-build
python3
libbsd-dev
tshark
libinih-dev
libsystemd-dev
systemd
"
# ninja-build, python3 and libbsd-dev: ESP-IDF's linux target, which the
# test net_esp_idf builds (scripts/esp_idf.sh).

# For `make fuzz` only: clang with libFuzzer and the sanitizer runtimes.
FUZZ_PACKAGES="
clang
libclang-rt-14-dev
"
# For CI's valgrind run of the network tests' daemons.
CHECK_PACKAGES="
valgrind
"

# For CI's cross-build of the core and the lwIP port for the ESP32-C3's
# instruction set (scripts/cross_size.sh).
CROSS_PACKAGES="
gcc-riscv64-unknown-elf
picolibc-riscv64-unknown-elf
binutils-riscv64-unknown-elf
"

# For `make esp-idf`: the esp32c3 compile of the component and the example
# against ESP-IDF's headers (Debian's newlib headers, as ESP-IDF's libc).
ESP_IDF_PACKAGES="
gcc-riscv64-unknown-elf
binutils-riscv64-unknown-elf
libnewlib-dev
"

# For the Debian packages (debian/, scripts/package_test.sh): debhelper,
# lintian, and bash-completion's loader the completion test uses.
PACKAGE_PACKAGES="
build-essential
debhelper
dpkg-dev
lintian
bash-completion
"

# For `make bench`: the plot, and the cross compiler for the footprint.
BENCH_PACKAGES="
gnuplot-nox
$CROSS_PACKAGES
"

case "${1:-}" in
    --bench) PACKAGES="$PACKAGES $BENCH_PACKAGES"; shift ;;
    --fuzz) PACKAGES="$PACKAGES $FUZZ_PACKAGES"; shift ;;
    --check) PACKAGES="$PACKAGES $CHECK_PACKAGES"; shift ;;
    --cross) PACKAGES="$PACKAGES $CROSS_PACKAGES"; shift ;;
    --esp-idf) PACKAGES="$PACKAGES $ESP_IDF_PACKAGES"; shift ;;
    --package) PACKAGES="$PACKAGES $PACKAGE_PACKAGES"; shift ;;
esac

if [ "${1:-}" = "--list" ]; then
    echo $PACKAGES
    exit 0
fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "mcdisc needs Debian packages that are missing. Run as root:" >&2
    echo "  apt-get update && $line" >&2
    exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2 ||
    { echo "deps.sh: '$line' failed" >&2; exit 1; }
