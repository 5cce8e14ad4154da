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
# What a responder on a device really links, sections nobody reaches
# dropped: the core that runs per datagram; the same with its start-up (the
# options' defaults, the texts checked and the reply formatted once); and
# the responder on lwIP (the port, and all the above it calls).
core="$out/responder.o $out/wire.o $out/ext.o $out/addr.o $out/addr_class.o"
run="-u mcd_rcore_init -u mcd_rcore_input -u mcd_rcore_poll -u mcd_rcore_next -u mcd_rcore_done -u mcd_rcore_tx_write"
$LD -m elf32lriscv -r --gc-sections $run $core -o "$out/responder_core.o"
$LD -m elf32lriscv -r --gc-sections $run -u mcd_responder_setup \
    -u mcd_responder_opts_init $core -o "$out/responder_core_startup.o"
$LD -m elf32lriscv -r --gc-sections -u mcd_lwip_responder_open \
    -u mcd_lwip_responder_process -u mcd_lwip_responder_timeout \
    -u mcd_lwip_responder_close -u mcd_lwip_responder_answered \
    -u mcd_lwip_responder_ignored -u mcd_responder_opts_init \
    "$out"/responder_lwip.o $core "$out"/error.o "$out"/oserr_lwip.o \
    -o "$out/responder_device.o"
echo "linked, unused sections dropped:"
$SIZE "$out/responder_core.o" "$out/responder_core_startup.o" \
    "$out/responder_device.o" | sed "s|$out/||"
# The state a firmware keeps (static memory): the port's struct, and the
# core's inside it, at the table sizes in force.
printf '#include "mcdisc_lwip.h"\nmcd_lwip_responder state_responder_lwip;\nmcd_rcore state_rcore;\nconst unsigned state_tables[2] = {MCD_RESP_PENDING, MCD_RESP_QUERIERS};\n' >"$out/state.c"
# Twice: the library's default tables, and the ESP-IDF component's (its
# Kconfig defaults, from bench/rcore_tables.c's measurement).
dev=$(sed -n '/config MCDISC_RESP_PENDING/,/default/s/.*default \([0-9]*\)/-DMCD_RESP_PENDING=\1/p;/config MCDISC_RESP_QUERIERS/,/default/s/.*default \([0-9]*\)/-DMCD_RESP_QUERIERS=\1/p' "$top/Kconfig" | tr '\n' ' ')
for tables in "" "$dev"; do
    $CC $FLAGS $tables -I"$top/src/net/lwip" -fno-common -c "$out/state.c" -o "$out/state.o"
    echo "RAM state, bytes (MCD_RESP_PENDING, MCD_RESP_QUERIERS = $($CC $FLAGS $tables -I"$top/src/net/lwip" -E -P "$out/state.c" | sed -n 's/.*state_tables\[2\] = {\(.*\)};/\1/p')${tables:+: the ESP-IDF component's Kconfig defaults}):"
    ${CROSS_NM:-riscv64-unknown-elf-nm} -S "$out/state.o" | while read -r _ size _ name; do
        [ "$name" = state_tables ] || echo "  $name $((0x$size))"
    done
done
echo "heap allocations in the core and the port: none (no malloc/calloc/realloc/free referenced)"
