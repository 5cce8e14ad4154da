#!/usr/bin/env bash
# discovery.sh - discovery at scale: N devices (mcdisc responders, then
# book-style receivers) found by `mcdisc discover` and by the chapter's
# algorithm (one query, first reply). Devices found, time to the first and
# to the last reply, datagrams the client sent. Medians of REPS runs.
# Writes bench/results/discovery.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
lab_require "$@"
lab_scratch
SIZES=${SIZES:-"10 50 100 250"}
max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
G=232.10.11.12

echo "building a lab of $((max + 1)) hosts..." >&2
lab_up $((max + 1))
# The client counts the queries it sends (nftables, on its own output).
lab_exec 1 nft -f - <<'NFT'
table inet bench {
    counter queries { }
    chain out {
        type filter hook output priority 0;
        udp dport 3333 counter name queries
    }
}
NFT
queries() { lab_exec 1 nft list counter inet bench queries | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

csv=$results/discovery.csv
echo "devices,kind,client,found,first_ms,last_ms,queries_sent" >"$csv"
printf '%-6s %-8s %-16s %8s %10s %10s %8s\n' N devices client found first_ms last_ms queries
start_devices() { # N KIND
    local i
    for i in $(seq 2 $(($1 + 1))); do
        if [ "$2" = mcdisc ]; then
            lab_bg "$i" "$tmp/d$i.log" "$MCDISC" respond --name "D$i" --proto http --service-port 80
        else
            lab_bg "$i" "$tmp/d$i.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip "$i")" "B$i http 80"
        fi
    done
    for i in $(seq 2 $(($1 + 1))); do wait_for "$tmp/d$i.log" "answering\|ready" 30 >/dev/null; done
}
stop_devices() {
    local i
    for i in $(seq 2 $(($1 + 1))); do ip netns pids "$(lab_ns "$i")" | xargs -r kill -TERM; done
    sleep 0.5
}
row() { # N KIND CLIENT FOUND FIRST LAST QUERIES
    printf '%-6s %-8s %-16s %8s %10s %10s %8s\n' "$@"
    (IFS=,; echo "$*") >>"$csv"
}
for n in $SIZES; do
    for kind in mcdisc book; do
        start_devices "$n" "$kind"
        : >"$tmp/f"; : >"$tmp/a"; : >"$tmp/z"; : >"$tmp/q"
        for _ in $(seq 1 "$REPS"); do
            q0=$(queries)
            lab_exec 1 "$MCDISC" discover --json 2>/dev/null >"$tmp/run.json"
            echo $(($(queries) - q0)) >>"$tmp/q"
            wc -l <"$tmp/run.json" >>"$tmp/f"
            jq -s 'map(.t_ms) | min // "nan"' "$tmp/run.json" >>"$tmp/a"
            jq -s 'map(.t_ms) | max // "nan"' "$tmp/run.json" >>"$tmp/z"
            sleep 0.3
        done
        row "$n" "$kind" "mcdisc discover" "$(median <"$tmp/f")" "$(median <"$tmp/a")" \
            "$(median <"$tmp/z")" "$(median <"$tmp/q")"
        : >"$tmp/f"; : >"$tmp/a"; : >"$tmp/q"
        for _ in $(seq 1 "$REPS"); do
            q0=$(queries)
            out=$(lab_exec 1 "$UDPBENCH" chapter $G 3333 "$(lab_ip 1)" 2000)
            echo $(($(queries) - q0)) >>"$tmp/q"
            echo "$out" | kv found >>"$tmp/f"
            echo "$out" | kv first_ms >>"$tmp/a"
            sleep 0.3
        done
        first=$(median <"$tmp/a")
        row "$n" "$kind" "chapter" "$(median <"$tmp/f")" "$first" "$first" "$(median <"$tmp/q")"
        stop_devices "$n"
    done
done
echo "figures written to $csv" >&2
