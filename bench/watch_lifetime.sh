#!/usr/bin/env bash
# watch_lifetime.sh - the lifetime's trade: refresh traffic against the
# time to see a device that died without a goodbye (docs/PERFORMANCE.md,
# "Live view: the default lifetime").
#
#   BUILD=build bench/watch_lifetime.sh
#
# N quiet devices (mcdisc respond --lifetime L) and one mcdisc watch; for
# each L: datagrams the devices sent to the watcher for D s after their
# start-up announcements (counted by nft on the watcher's host), the
# watcher's queries in that time, then the time from SIGKILL of one
# device to its "gone" (expired). Writes bench/results/watch.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
N=${N:-20}
D=${D:-30}
LIFETIMES=${LIFETIMES:-"10 30"}
lab_require "$@"
lab_scratch
csv=$results/watch.csv
now_ms() { date +%s%3N; }
count() { # COUNTER: packets so far
    lab_exec 1 nft list counter inet mcdb "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

lab_up $((N + 1))
lab_exec 1 nft -f - <<NFT
table inet mcdb {
    counter replies { }
    counter queries { }
    chain in { type filter hook input priority 0; udp sport 3333 counter name replies; }
    chain out { type filter hook output priority 0; udp dport 3333 counter name queries; }
}
NFT
echo "lifetime_s,devices,seconds,replies,per_device_per_lifetime,queries,kill_to_gone_s" >"$csv"
printf '%-9s %8s %8s %22s %8s %16s\n' lifetime devices replies "per device, lifetime" queries "SIGKILL->gone s"
for L in $LIFETIMES; do
    pids=()
    for i in $(seq 2 $((N + 1))); do
        lab_bg "$i" "$tmp/r$i.log" "$MCDISC" respond --lifetime "$L" --id "$(printf '%016x' "$i")"
        pids+=("$LAB_PID")
    done
    sleep 1
    lab_bg 1 "$tmp/w$L.log" "$MCDISC" watch --json
    w=$LAB_PID
    for _ in $(seq 100); do
        [ "$(grep -c '"event":"new"' "$tmp/w$L.log")" -ge "$N" ] && break
        sleep 0.1
    done
    sleep 4
    r0=$(count replies) q0=$(count queries)
    sleep "$D"
    r1=$(count replies) q1=$(count queries)
    t0=$(now_ms)
    kill -KILL "${pids[0]}"
    for _ in $(seq $((L * 20 + 200))); do
        grep -q '"event":"gone","id":"0000000000000002".*expired' "$tmp/w$L.log" && break
        sleep 0.05
    done
    gone=$(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
    r=$((r1 - r0)) q=$((q1 - q0))
    per=$(awk -v r="$r" -v n="$N" -v d="$D" -v l="$L" 'BEGIN { printf "%.2f", r / (n * d / l) }')
    printf '%-9s %8s %8s %22s %8s %16s\n' "$L" "$N" "$r" "$per" "$q" "$gone"
    echo "$L,$N,$D,$r,$per,$q,$gone" >>"$csv"
    kill -TERM "$w" "${pids[@]:1}" 2>/dev/null
    wait 2>/dev/null
done
