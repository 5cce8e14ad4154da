#!/usr/bin/env bash
# ext_traffic.sh - what the extension (issue 13) costs and saves on the
# wire: N mcdisc devices, `mcdisc discover` with its defaults (the
# extension, with known answers) and `discover --chapter` (the chapter's
# exchange only), side by side in one lab. For each N in SIZES and each
# mode, medians of REPS runs: devices found, replies the client received,
# queries and bytes on the wire (Ethernet frame bytes on the client's link,
# counted by nftables in the bridge: lab_count in tests/net/lab.sh), time
# to the last device. At the largest N the default mode runs SCALE_RUNS
# times (issue 13 item 3: all found in 10 of 10 runs, the last within
# 300 ms; tests/net/test_ext_scale.sh asserts the same, outside make test).
# Then the known-answer encodings: the KNOWN filter's bytes per copy as
# captured on the wire, against a list of 4-byte short ids (computed), and
# what the list would add to a whole default run (from the same capture:
# 3 more bytes per known id in each copy, and the extra datagrams).
# Devices run with their defaults and each its own --id; their neighbour
# entries for the client are seeded (tests/net/lab.sh, lab_seed_neigh).
# Writes bench/results/ext_traffic.csv and ext_known.csv.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
lab_require "$@"
lab_scratch
SIZES=${SIZES:-"10 100 250 1000"}
SCALE_RUNS=${SCALE_RUNS:-10}
G=232.10.11.12
max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done

echo "building a lab of $((max + 1)) hosts..." >&2
t0=$(now_ms)
lab_up $((max + 1))
lab_count_up 1
echo "lab built in $(($(now_ms) - t0)) ms" >&2

csv=$results/ext_traffic.csv
kcsv=$results/ext_known.csv
echo "devices,mode,runs,found,all_found_runs,replies,replies_per_device,queries,query_bytes,reply_bytes,bytes,last_ms,last_ms_max" >"$csv"
echo "known_ids,filter_bytes_measured,list_bytes_computed,list_datagrams,query_bytes_max,list_extra_bytes_per_run" >"$kcsv"
printf '%-6s %-9s %5s %7s %8s %9s %7s %10s %10s %9s\n' N mode runs found replies "rep/dev" queries bytes last_ms "max_last"

started=1
start_devices() { # up to host $1
    local i from=$((started + 1))
    for i in $(seq "$from" "$1"); do
        lab_bg "$i" "$tmp/d$i.log" "$MCDISC" respond --id "$(printf '%016x' "$i")"
    done
    for i in $(seq "$from" "$1"); do wait_for "$tmp/d$i.log" answering 60 >/dev/null; done
    lab_seed_neigh 1 "$from" "$1"
    started=$1
}

# measure N MODE RUNS [ARGS...]: RUNS discover runs, one row of medians.
measure() {
    local n=$1 mode=$2 runs=$3 r c full=0
    shift 3
    : >"$tmp/m"
    lab_count >/dev/null
    for r in $(seq 1 "$runs"); do
        lab_exec 1 "$MCDISC" discover --json "$@" 2>/dev/null >"$tmp/run.json"
        sleep 0.2 # the last replies, still on their way
        c=$(lab_count)
        f=$(wc -l <"$tmp/run.json")
        [ "$f" -eq "$n" ] && full=$((full + 1))
        echo "$f $(jq -s 'map(.t_ms) | max // 0' "$tmp/run.json") $c" >>"$tmp/m"
    done
    col() { awk -v k="$1" '{ for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$tmp/m" | median; }
    local found last lastmax replies queries qb rb bytes
    found=$(awk '{print $1}' "$tmp/m" | median)
    last=$(awk '{print $2}' "$tmp/m" | median)
    lastmax=$(awk '{print $2}' "$tmp/m" | sort -g | tail -n 1)
    replies=$(col replies); queries=$(col queries)
    qb=$(col query_bytes); rb=$(col reply_bytes); bytes=$(col bytes)
    rpd=$(awk -v r="$replies" -v n="$n" 'BEGIN { printf "%.2f", r / n }')
    printf '%-6s %-9s %5s %7s %8s %9s %7s %10s %10.1f %9.1f\n' "$n" "$mode" "$runs" \
        "$found" "$replies" "$rpd" "$queries" "$bytes" "$last" "$lastmax"
    echo "$n,$mode,$runs,$found,$full,$replies,$rpd,$queries,$qb,$rb,$bytes,$last,$lastmax" >>"$csv"
    [ "$runs" -gt 1 ] && [ "$n" -eq "$max" ] && [ "$mode" = default ] &&
        echo "   ($n devices, default: all found in $full of $runs runs; last device at most $lastmax ms)"
}

# known N: one default run captured on the client's link; the largest
# KNOWN filter in its extended queries (TLV 02 value minus salt and k).
known() {
    # A list's room per datagram: 1232 less the query, NUL, header, TLV.
    local n=$1 pid room=$((1232 - 33 - 1 - 15 - 3))
    lab_bg 1 "$tmp/cap.log" tcpdump -i eth0 -n -U --immediate-mode -w "$tmp/q.pcap" \
        udp and dst host $G and dst port 3333
    pid=$LAB_PID
    wait_for "$tmp/cap.log" "listening on" >/dev/null
    lab_exec 1 "$MCDISC" discover --json >/dev/null 2>&1
    kill -INT "$pid"
    wait "$pid" 2>/dev/null
    tcpdump -r "$tmp/q.pcap" -nn -x 2>/dev/null | awk -v room=$room '
    function hexval(h,   v, i) {
        for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
        return v
    }
    function flush(   ihl, p, n, i, t, l, pad, known, nat, ln, d) {
        if (hex == "") return
        ihl = substr(hex, 2, 1) * 4
        p = substr(hex, (ihl + 8) * 2 + 1); n = length(p) / 2; hex = ""
        for (i = 0; i < n && substr(p, 2 * i + 1, 2) != "00"; i++) ;
        if (substr(p, 2 * i + 3, 8) != "4d434458") return
        if (n > qmax) qmax = n
        pad = 0; known = -1
        for (i += 16; i + 3 <= n; i += 3 + l) {
            t = hexval(substr(p, 2 * i + 1, 2))
            l = hexval(substr(p, 2 * i + 3, 4))
            if (t == 0) pad += 3 + l
            if (t == 2) known = l - 3
        }
        if (known < 0) return
        if (known > fmax) fmax = known
        # The same copy with a list of 4-byte ids instead (the filter has
        # 8 bits per known id): 3 more bytes per id, the padding to 128 as
        # before, datagrams of at most 1232 bytes, each extra one with its
        # own query, NUL, header and TLV (52) in its own frame (42).
        nat = n - pad
        ln = nat + 3 * known
        if (ln <= 1232) { extra += (ln > 128 ? ln : 128) - n; return }
        d = int((4 * known + room - 1) / room)
        extra += ln + (d - 1) * (52 + 42) - n
    }
    /^[0-9]/ { flush(); next }
    { sub(/^[ \t]*0x[0-9a-f]+:/, ""); gsub(/ /, ""); hex = hex $0 }
    END { flush(); print fmax + 0, qmax + 0, extra + 0 }' >"$tmp/k"
    read -r fbytes qmax extra <"$tmp/k"
    echo "$n,$fbytes,$((4 * n)),$(((4 * n + room - 1) / room)),$qmax,$extra" >>"$kcsv"
}

for n in $SIZES; do
    start_devices $((n + 1))
    runs=$REPS
    [ "$n" -eq "$max" ] && [ "$SCALE_RUNS" -gt "$REPS" ] && runs=$SCALE_RUNS
    measure "$n" default "$runs"
    measure "$n" chapter "$REPS" --chapter
    known "$n"
done

echo
echo "known answers, bytes per extended copy once every device is known:"
printf '%-10s %20s %26s %14s %18s\n' "known ids" "Bloom filter (wire)" "4-byte id list (computed)" "largest query" "list: +bytes/run"
tail -n +2 "$kcsv" | while IFS=, read -r n f l d q x; do
    printf '%-10s %20s %18s in %s dgram %14s %18s\n' "$n" "$f" "$l" "$d" "$q" "$x"
done
echo "figures written to $csv and $kcsv" >&2
