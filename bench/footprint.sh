#!/usr/bin/env bash
# footprint.sh - size of the protocol core and the responder on the host
# and cross-compiled for rv32imc (the ESP32-C3), heap allocations of the
# responder core (counted while it answers a million queries: the target is
# zero), resident memory of `mcdisc respond` idle and under load (see
# responder.sh). Writes bench/results/footprint.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
csv=$results/footprint.csv
echo "what,text,data,bss" >"$csv"
echo "host (x86_64, the build's flags):"
size "$build"/CMakeFiles/mcdisc_core.dir/src/core/*.o | sed "s|$build/CMakeFiles/mcdisc_core.dir/||"
size "$build"/CMakeFiles/mcdisc_core.dir/src/core/*.o | awk 'NR > 1 {t += $1; d += $2; b += $3}
    END {printf "host core total,%d,%d,%d\n", t, d, b}' >>"$csv"
size "$build/mcdisc" | awk 'NR == 2 {printf "host mcdisc program,%d,%d,%d\n", $1, $2, $3}' >>"$csv"
echo
cross=$(mktemp)
"$top/scripts/cross_size.sh" | tee "$cross"
awk '/responder_core.o|responder_device.o/ {
    printf "rv32imc %s,%d,%d,%d\n", $6, $1, $2, $3}' "$cross" >>"$csv"
rm -f "$cross"
echo
echo "heap allocations by the responder core answering 1000000 queries:"
out=$("$build/bench/corealloc")
echo "$out"
echo "responder core heap allocations,$(echo "$out" | awk '{print $NF}'),," >>"$csv"
echo
echo "the responder core's tables under the tests' loads (bench/rcore_tables.c):"
"$build/bench/rcore_tables_big"
"$build/bench/rcore_tables_device"
echo "figures written to $csv" >&2
