#!/usr/bin/env bash
# delay_tradeoff.sh - how the responder's reply delay window trades
# completeness against time, at 250 devices.
#
#   BUILD=build bench/delay_tradeoff.sh      (make bench runs it)
#
# The client's link is a constrained queue (tbf: RATE 5mbit, BURST 2kb, LIMIT 4kb), as a
# Wi-Fi access point's is: 250 replies sent in the same instant overflow it.
# For each window: devices found by one query alone (--retries 0), and with
# the default resends the devices found and the time to the last one.
# Medians of REPS runs. Prints a table; writes bench/results/delay.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
N=${N:-250}
REPS=${REPS:-3}
WINDOWS=${WINDOWS:-"0-0 0-20 20-120 0-250"}
lab_require "$@"
lab_scratch
csv=$results/delay.csv

echo "building a lab of $((N + 1)) hosts..." >&2
lab_up $((N + 1))
ip netns exec "$LAB_BR" tc qdisc add dev p1 root tbf rate "${RATE:-5mbit}" burst "${BURST:-2kb}" limit "${LIMIT:-4kb}"
echo "window_ms,one_query_found,default_found,default_last_ms" >"$csv"
printf '%-10s %16s %14s %18s\n' "delay(ms)" "1 query: found" "default: found" "default: last (ms)"
for w in $WINDOWS; do
    for i in $(seq 2 $((N + 1))); do
        lab_bg "$i" "$tmp/d$i.log" "$MCDISC" respond --delay "$w" --name "D$i" \
            --proto http --service-port 80
    done
    for i in $(seq 2 $((N + 1))); do wait_for "$tmp/d$i.log" answering 30 >/dev/null; done
    : >"$tmp/one"; : >"$tmp/all"; : >"$tmp/last"
    for _ in $(seq 1 "$REPS"); do
        lab_exec 1 "$MCDISC" discover --json --retries 0 --timeout 1000 2>/dev/null |
            wc -l >>"$tmp/one"
        sleep 0.3
        lab_exec 1 "$MCDISC" discover --json 2>/dev/null >"$tmp/run.json"
        wc -l <"$tmp/run.json" >>"$tmp/all"
        jq -s 'map(.t_ms) | max // 0' "$tmp/run.json" >>"$tmp/last"
        sleep 0.3
    done
    one=$(median <"$tmp/one"); all=$(median <"$tmp/all"); last=$(median <"$tmp/last")
    printf '%-10s %12s/%-3s %10s/%-3s %18.1f\n' "$w" "$one" "$N" "$all" "$N" "$last"
    echo "$w,$one,$all,$last" >>"$csv"
    for i in $(seq 2 $((N + 1))); do
        ip netns pids "$(lab_ns "$i")" | xargs -r kill -TERM
    done
    sleep 0.5
done
echo "figures written to $csv" >&2
