# lib.sh - what the benchmarks share. Source it after setting `top`.
# Benchmarks print figures; they assert nothing.
build=${BUILD:-$top/build}
build=$(cd "$build" && pwd) || { echo "bench: no build at $build: run make" >&2; exit 2; }
MCDISC=$build/mcdisc
UDPBENCH=$build/bench/udpbench
BOOK_RECEIVER=$build/tests/book_receiver
REPS=${REPS:-3}
results=$top/bench/results
mkdir -p "$results"
. "$top/tests/lib/tap.sh" # wait_for
. "$top/tests/net/lab.sh"

# median / p99 of numbers on stdin, one per line
median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "nan")}'; }
# the value of key=... in a line of "key=value" pairs
kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
