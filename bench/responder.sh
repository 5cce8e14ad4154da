#!/usr/bin/env bash
# responder.sh - responder throughput and cost: the highest query rate
# answered with no loss, on one core, for `mcdisc respond` (every check on:
# group, on-link, lengths; the rate limits raised out of the way, since a
# flood from one querier is what they exist to stop) and for the book-style
# receiver, on the same link; CPU time per answered query; resident memory
# idle and under load. Writes bench/results/responder.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
lab_require "$@"
lab_scratch
RATES=${RATES:-"5000 10000 20000 40000 60000 80000 120000 160000"}
SECS=${SECS:-2}
G=232.10.11.12

lab_up 2
csv=$results/responder.csv
echo "device,max_rate_no_loss,cpu_us_per_reply,rss_idle_kb,rss_load_kb" >"$csv"
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

measure() { # NAME CMD...: the device on host 1, pinned to core 1
    local name=$1 pid best=0 rate out sent replies
    shift
    lab_bg 1 "$tmp/$name.log" taskset -c 1 "$@"
    pid=$LAB_PID
    wait_for "$tmp/$name.log" "answering\|ready" 10 >/dev/null
    sleep 0.3
    local idle
    idle=$(rss_kb "$pid")
    for rate in $RATES; do
        out=$(lab_exec 2 taskset -c 0 "$UDPBENCH" qload $G 3333 "$(lab_ip 2)" "$rate" "$SECS")
        sent=$(echo "$out" | kv sent)
        replies=$(echo "$out" | kv replies)
        echo "#   $name at $rate/s: $sent queries, $replies replies" >&2
        [ "$replies" -ge "$sent" ] || break
        best=$rate
    done
    # Cost per reply at a rate both answer in full.
    local c0 c1 load
    c0=$(cpu_ns "$pid")
    out=$(lab_exec 2 "$UDPBENCH" qload $G 3333 "$(lab_ip 2)" 5000 "$SECS")
    c1=$(cpu_ns "$pid")
    load=$(rss_kb "$pid")
    replies=$(echo "$out" | kv replies)
    local per
    per=$(awk -v c="$((c1 - c0))" -v r="$replies" 'BEGIN {printf "%.2f", r ? c / r / 1000 : 0}')
    printf '%-22s %18s %16s %12s %12s\n' "$name" "$best" "$per" "$idle" "$load"
    echo "$name,$best,$per,$idle,$load" >>"$csv"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
}

printf '%-22s %18s %16s %12s %12s\n' device "max rate (q/s)" "CPU us/reply" "RSS idle kB" "RSS load kB"
measure "mcdisc respond" "$MCDISC" respond --delay 0 --querier-interval 0 --rate 0
measure "book-style receiver" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 1)"
echo "figures written to $csv (rates tried: $RATES)" >&2
