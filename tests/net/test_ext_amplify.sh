#!/usr/bin/env bash
# Issue 13, "done when" 7: no reply is larger than the query that caused
# it, in any mode, checked on captures at the devices.
# Devices: h2 `mcdisc respond` as it comes (the chapter's 30-byte reply);
# h3 with 12 TXT pairs (~1 KB: its full extended reply is far longer than
# the 128-byte padded query, so it must be cut (flag T) until the client
# pads to 1232); h4 with a 34-byte reply text (one byte over the chapter's
# 33-byte query). Clients on h1: a default discover (the extension and its
# plain copies), a `discover --chapter`, the chapter's sender (33 bytes),
# the query + NUL (34), and hand-made extended queries: bare header, no
# TLV (49 bytes: shorter than any extended reply), padded to 60 (the base
# reply fits, its TXT not), with a WINDOW.
# Each device's capture is read back: every reply it sent is paired with
# the queries from its destination address and port seen before it (an
# extended reply with the extended queries of its nonce, a chapter reply
# with the plain ones), and must be no longer than the longest of them
# (sound: the query that caused it is among them). Also asserted: each
# kind of reply really occurred (chapter, extended cut with T, extended
# full and longer than 128 bytes), and lab_count's figures are the
# client's capture's. About 5 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}"
lab_scratch
G=232.10.11.12
Q=$(printf 'Are you Espressif IOT Smart Light' | od -An -tx1 -v | tr -d ' \n')

lab_up 4
txt=()
for k in $(seq 1 12); do
    txt+=(--txt "key$k=$(printf 'v%.0s' $(seq 1 72))")
done
lab_bg 2 "$tmp/dev2.log" "$MCDISC" respond --id 0000000000000002
dev2=$LAB_PID
lab_bg 3 "$tmp/dev3.log" "$MCDISC" respond --id 0000000000000003 "${txt[@]}"
dev3=$LAB_PID
lab_bg 4 "$tmp/dev4.log" "$MCDISC" respond --id 0000000000000004 \
    --name "ESP32-C3 Smart Light 123"
dev4=$LAB_PID
for i in 2 3 4; do
    wait_for "$tmp/dev$i.log" answering 10 >/dev/null ||
        { t_fail "device $i started"; t_done; exit 1; }
done
lab_count_up 1 || { t_fail "nftables counters in the bridge"; t_done; exit 1; }
for i in 1 2 3 4; do
    lab_bg "$i" "$tmp/cap$i.log" tcpdump -i eth0 -n -U --immediate-mode \
        -w "$tmp/cap$i.pcap" udp
    eval "cap$i=$LAB_PID"
    wait_for "$tmp/cap$i.log" "listening on" >/dev/null ||
        { t_fail "capture on h$i started"; t_done; exit 1; }
done
t_ok "3 devices answering, captured, and the client"

# Every mode of asking.
lab_exec 1 "$MCDISC" discover --json >"$tmp/default.json" 2>"$tmp/default.err"
t_check "default discover exits 0" test $? -eq 0
lab_exec 1 "$MCDISC" discover --chapter --timeout 500 --json >"$tmp/chapter.json" 2>&1
t_check "discover --chapter exits 0" test $? -eq 0
book() { lab_exec 1 "$BOOK_SENDER" $G 3333 "$(lab_ip 1)" --wait 300 "$@" >/dev/null; }
book
book --hex "${Q}00"
nonce=0123456789abcdef
hdr="${Q}004d4344580101 00${nonce}"
hdr=${hdr// /}
book --hex "$hdr"                                   # 49 bytes, no TLV
book --hex "${hdr}000008$(printf '00%.0s' $(seq 1 8))" # PAD to 60
book --hex "${hdr}0100020014000007$(printf '00%.0s' $(seq 1 7))" # WINDOW 20 ms, PAD

# Stop the devices first: once they are gone nothing more can be sent, so
# the captures are complete.
kill -TERM "$dev2" "$dev3" "$dev4"
wait "$dev2" "$dev3" "$dev4" 2>/dev/null
kill -INT "$cap1" "$cap2" "$cap3" "$cap4"
wait "$cap1" "$cap2" "$cap3" "$cap4" 2>/dev/null

# lab_count (nftables in the bridge) against the client's own capture,
# with lab_count_up's definitions as a capture filter: the same frames,
# the same bytes.
frames() {
    tcpdump -r "$tmp/cap1.pcap" -nn -e "$1" 2>/dev/null |
        awk '{ for (i = 1; i < NF; i++) if ($i == "length") { sub(/:$/, "", $(i + 1));
            b += $(i + 1); break } } END { printf "%d %d\n", NR, b }'
}
c=$(lab_count)
read -r qn qb < <(frames "src host $(lab_ip 1) and udp dst port 3333")
read -r rn rb < <(frames "dst host $(lab_ip 1) and udp and not dst port 3333")
t_check "lab_count matches the client's capture ($c; captured $qn queries, $qb bytes; $rn replies, $rb bytes)" \
    test "$(lab_kv queries <<<"$c") $(lab_kv query_bytes <<<"$c") $(lab_kv replies <<<"$c") $(lab_kv reply_bytes <<<"$c")" = "$qn $qb $rn $rb" -a "$rn" -gt 0

# check_capture PCAP DEVICE_IP: the pairing above; prints one line of
# counts, and each offending reply.
check_capture() {
    tcpdump -r "$1" -nn -x udp 2>/dev/null | awk -v dev="$2" '
    function flush(   ihl, p, n, i, nul, ext, kind, nonce, key, b) {
        if (hex == "") return
        ihl = substr(hex, 2, 1) * 4
        p = substr(hex, (ihl + 8) * 2 + 1)
        n = length(p) / 2
        nul = -1
        for (i = 0; i < n; i++) if (substr(p, 2 * i + 1, 2) == "00") { nul = i; break }
        ext = nul >= 0 && substr(p, 2 * nul + 3, 8) == "4d434458" && substr(p, 2 * nul + 11, 2) != "00"
        kind = ext ? substr(p, 2 * nul + 13, 2) : ""
        nonce = ext ? substr(p, 2 * nul + 17, 16) : ""
        if (index(src, dev ".") == 1 && dst ~ /^2(2[4-9]|3[0-9])\./) {
            ann++ # its announcements and goodbyes, to the group: no replies
        } else if (index(src, dev ".") == 1) {
            key = dst
            replies++
            b = ext ? (kind == "02" ? eq[key, nonce] : -1) : pq[key]
            if (ext && kind == "02") {
                if (substr(p, 2 * nul + 15, 2) ~ /[13579bdf]$/) cut++; else full++
                if (n > maxext) maxext = n
            } else if (!ext) chapter++
            if (b == "" || b < 0 || n > b) {
                bad++
                printf "# reply of %d bytes to %s, longest query before it: %s\n", n, key, (b == "" || b < 0) ? "none" : b
            }
        } else if (dst ~ /\.3333$/) {
            key = src
            if (ext && kind == "01") { if (n > eq[key, nonce]) eq[key, nonce] = n }
            else if (n > pq[key]) pq[key] = n
        }
        hex = ""
    }
    /^[0-9]/ { flush(); src = $3; dst = $5; sub(/:$/, "", dst); next }
    { sub(/^[ \t]*0x[0-9a-f]+:/, ""); gsub(/ /, ""); hex = hex $0 }
    END { flush(); printf "replies=%d chapter=%d cut=%d full=%d maxext=%d bad=%d announcements=%d\n", replies, chapter, cut, full, maxext, bad, ann }'
}
for i in 2 3 4; do
    check_capture "$tmp/cap$i.pcap" "$(lab_ip "$i")" >"$tmp/check$i"
    sed -n '/^#/p' "$tmp/check$i" | head -n 10
    c=$(tail -n 1 "$tmp/check$i")
    echo "# h$i: $c"
    eval "c$i=\$c"
    t_check "h$i: no reply longer than its query ($(lab_kv replies <<<"$c") replies, $(lab_kv bad <<<"$c") longer)" \
        test "$(lab_kv bad <<<"$c")" -eq 0 -a "$(lab_kv replies <<<"$c")" -gt 0
done
t_check "h2 and h4 sent chapter replies" \
    test "$(lab_kv chapter <<<"$c2")" -gt 0 -a "$(lab_kv chapter <<<"$c4")" -gt 0
t_check "h3 sent extended replies cut to fit (flag T)" test "$(lab_kv cut <<<"$c3")" -gt 0
t_check "h3 sent its full extended reply, longer than 128 bytes ($(lab_kv maxext <<<"$c3"))" \
    test "$(lab_kv full <<<"$c3")" -gt 0 -a "$(lab_kv maxext <<<"$c3")" -gt 128
t_done
