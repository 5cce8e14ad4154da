#!/usr/bin/env bash
# rate.sh - packet rate between two lab hosts: the highest rate reached
# with no loss for `mcdisc send` -> `mcdisc recv`, for iperf2 (`iperf -u`,
# Debian's iperf) multicast, and for a raw sendmmsg/recvmmsg pair
# (bench/udpbench.c, this machine's ceiling), at 64 and 1400 bytes, same
# TTL and link. Each step asks for RATE datagrams in one second; the rate
# reported is the one the sender really reached (count / its own seconds),
# since a sender that cannot keep up must not look faster than it was.
# Writes bench/results/rate.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
lab_require "$@"
lab_scratch
RATES=${RATES:-"10000 25000 50000 100000 200000 400000 800000 1600000"}
SIZES=${SIZES:-"64 1400"}
G=239.1.1.1

lab_up 2
csv=$results/rate.csv
echo "tool,size,max_rate_no_loss_pps" >"$csv"

# One step for each tool: RATE SIZE PORT -> 0 when all arrived; the rate
# really reached goes to $tmp/reached.
step_mcdisc() {
    local rate=$1 size=$2 port=$3 n=$1 rc
    lab_bg 2 "$tmp/r.json" "$MCDISC" recv --quiet --json --count "$n" --duration 30 "$G:$port"
    local pid=$LAB_PID
    sleep 0.3
    lab_exec 1 "$MCDISC" send --json --count "$n" --rate "$rate" --size "$size" \
        "$G:$port" >"$tmp/s.json"
    jq -r '.rate_pps | floor' "$tmp/s.json" >"$tmp/reached"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    # The summary lines only: recv --json may add others ("untracked").
    rc=$(jq -s "map(select(.type == \"summary\")) |
        if length == 1 and .[0].unique == $n and .[0].lost == 0 then 0 else 1 end" "$tmp/r.json" 2>/dev/null)
    return "${rc:-1}"
}
step_raw() {
    local rate=$1 size=$2 port=$3 n=$1 out
    lab_bg 2 "$tmp/raw.out" "$UDPBENCH" rawrecv $G "$port" "$(lab_ip 2)" "$n" 1000
    local pid=$LAB_PID
    wait_for "$tmp/raw.out" ready 5 >/dev/null
    out=$(lab_exec 1 "$UDPBENCH" rawsend $G "$port" "$(lab_ip 1)" "$size" "$rate" "$n")
    awk -v n="$n" -v s="$(echo "$out" | kv seconds)" 'BEGIN {printf "%d\n", n / s}' >"$tmp/reached"
    wait "$pid"
    [ "$(kv received <"$tmp/raw.out")" = "$n" ]
}
step_iperf() {
    local rate=$1 size=$2 port=$3
    # iperf2's server reports lost/total for each client run (-y C: CSV).
    lab_bg 2 "$tmp/iperf.csv" iperf -s -u -B "$G" -p "$port" -y C
    local pid=$LAB_PID
    sleep 0.3
    lab_exec 1 iperf -c "$G" -u -p "$port" -T 1 -t 1 -l "$size" \
        -b "$((rate * size * 8))" >/dev/null 2>&1
    sleep 0.5
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # fields 7 (interval), 11 and 12: lost, total
    local line lost total secs
    line=$(grep -v '^$' "$tmp/iperf.csv" | tail -n 1)
    secs=$(echo "$line" | cut -d, -f7 | awk -F- '{print $2 - $1}')
    lost=$(echo "$line" | cut -d, -f11)
    total=$(echo "$line" | cut -d, -f12)
    echo "#     iperf at $rate/s: lost $lost of $total in $secs s" >&2
    awk -v n="${total:-0}" -v s="${secs:-1}" 'BEGIN {printf "%d\n", (s > 0 ? n / s : 0)}' >"$tmp/reached"
    [ -n "$total" ] && [ "$lost" = 0 ]
}

printf '%-16s %6s %22s\n' tool bytes "max pps, no loss"
port=6000
for size in $SIZES; do
    for tool in mcdisc iperf raw; do
        best=0
        for rate in $RATES; do
            port=$((port + 1))
            if "step_$tool" "$rate" "$size" "$port"; then
                reached=$(cat "$tmp/reached")
                echo "#   $tool $size B: asked $rate/s, reached $reached/s, no loss" >&2
                [ "$reached" -gt "$best" ] && best=$reached
            else
                echo "#   $tool $size B: asked $rate/s: loss" >&2
                break
            fi
        done
        printf '%-16s %6s %22s\n' "$tool" "$size" "$best"
        echo "$tool,$size,$best" >>"$csv"
    done
done
echo "figures written to $csv (rates tried: $RATES)" >&2
