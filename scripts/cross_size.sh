#!/bin/sh
# cross_size.sh - build the protocol core and the lwIP port for the
# ESP32-C3's instruction set (rv32imc, picolibc) and print their sizes.
# The core must build with no socket header and no heap: this is the
# proof. Run by CI; figures go to docs/PERFORMANCE.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
CC=${CROSS_CC:-riscv64-unknown-elf-gcc}
SIZE=${CROSS_SIZE:-riscv64-unknown-elf-size}
LD=${CROSS_LD:-riscv64-unknown-elf-ld}
command -v "$CC" >/dev/null || {
    echo "cross_size: $CC is missing: run scripts/deps.sh --cross as root" >&2
    exit 1
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
FLAGS="-march=rv32imc -mabi=ilp32 -Os --specs=picolibc.specs -std=c11
       -ffunction-sections -fdata-sections -Wall -Wextra -Wconversion -Werror
       -I$top/include -I$out/include"
# mcdisc/version.h, generated as the build does (cmake/version.cmake).
cmake -DMCD_VERSION_DIR="$out/include" -P "$top/cmake/version.cmake"

for f in "$top"/src/core/*.c; do
    $CC $FLAGS -c "$f" -o "$out/$(basename "$f" .c).o"
done
# The port: our lwipopts.h and arch/ first, then lwIP's own headers.
$CC $FLAGS -I"$top/src/core" -I"$top/src/net/lwip" -I"$top/src/net/lwip/port" -I/usr/include/lwip \
    -c "$top/src/net/lwip/responder_lwip.c" -o "$out/responder_lwip.o"
$CC $FLAGS -c "$top/src/net/lwip/oserr_lwip.c" -o "$out/oserr_lwip.o"

# Heap: no object may call an allocator.

nm=${CROSS_NM:-riscv64-unknown-elf-nm}
alloc=$($nm -u "$out"/*.o | grep -E ' (malloc|calloc|realloc|free)$' || true)
[ -z "$alloc" ] || { echo "cross_size: heap use found:"; echo "$alloc"; exit 1; }

echo "rv32imc -Os (picolibc), bytes:"
$SIZE "$out"/*.o | sed "s|$out/||"
# What a responder on a device really links: the responder core and what
# it calls, sections nobody reaches dropped.
$LD -m elf32lriscv -r --gc-sections -u mcd_rcore_init -u mcd_rcore_input \
    -u mcd_rcore_poll -u mcd_rcore_next -u mcd_reply_format \
    -u mcd_rcore_tx_write \
    "$out"/responder.o "$out"/wire.o "$out"/ext.o "$out"/addr.o \
    -o "$out/responder_core.o"
$LD -m elf32lriscv -r --gc-sections -u mcd_lwip_responder_open \
    -u mcd_lwip_responder_process -u mcd_lwip_responder_timeout \
    -u mcd_lwip_responder_close \
    "$out"/responder_lwip.o "$out"/responder.o "$out"/wire.o "$out"/ext.o \
    "$out"/addr.o \
    "$out"/error.o "$out"/oserr_lwip.o -o "$out/responder_device.o"
echo "linked, unused sections dropped:"
$SIZE "$out/responder_core.o" "$out/responder_device.o" | sed "s|$out/||"
echo "heap allocations in the core and the port: none (no malloc/calloc/realloc/free referenced)"
