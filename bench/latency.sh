#!/usr/bin/env bash
# latency.sh - query-to-reply round trip (median and 99th percentile) of
# `mcdisc respond` (with --delay 0 and the per-querier and global limits
# off: the delay window and the limits are policies, measured elsewhere;
# this is the cost of the path) and of the book-style receiver, against a
# raw UDP ping-pong on the same link. Writes bench/results/latency.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
lab_require "$@"
lab_scratch
COUNT=${COUNT:-2000}
G=232.10.11.12
Q='Are you Espressif IOT Smart Light'

lab_up 2
csv=$results/latency.csv
echo "exchange,median_us,p99_us,lost" >"$csv"
row() {
    local name=$1 out=$2
    printf '%-34s %10s %10s %6s\n' "$name" "$(echo "$out" | kv median_us)" \
        "$(echo "$out" | kv p99_us)" "$(echo "$out" | kv lost)"
    echo "$name,$(echo "$out" | kv median_us),$(echo "$out" | kv p99_us),$(echo "$out" | kv lost)" >>"$csv"
}
printf '%-34s %10s %10s %6s\n' exchange "median us" "p99 us" lost
lab_bg 1 "$tmp/echo.log" "$UDPBENCH" echo 7777
pid=$LAB_PID
sleep 0.3
row "raw UDP ping-pong (unicast)" "$(lab_exec 2 "$UDPBENCH" ping "$(lab_ip 1)" 7777 "$COUNT")"
kill "$pid"; wait "$pid" 2>/dev/null
lab_bg 1 "$tmp/r.log" "$MCDISC" respond --delay 0 --querier-interval 0 --rate 0
pid=$LAB_PID
wait_for "$tmp/r.log" answering >/dev/null
row "query -> mcdisc respond" "$(lab_exec 2 "$UDPBENCH" ping $G 3333 "$COUNT" "$Q")"
kill "$pid"; wait "$pid" 2>/dev/null
lab_bg 1 "$tmp/b.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 1)"
pid=$LAB_PID
wait_for "$tmp/b.log" ready >/dev/null
row "query -> book-style receiver" "$(lab_exec 2 "$UDPBENCH" ping $G 3333 "$COUNT" "$Q")"
kill "$pid"; wait "$pid" 2>/dev/null
echo "figures written to $csv" >&2
