#!/usr/bin/env bash
# Discovery in the lab, against the chapter's exchange (README.md says
# which book) and its book-style peers: the reply bytes, each device listed
# once with its fields, --iface and --count, the library example, and the
# query and reply bytes on the wire.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${BOOK_RECEIVER:?}"
: "${EXAMPLE_DISCOVER:?path to the library example}"
lab_scratch
G=232.10.11.12
REPLY='"ESP32-C3 Smart Light https 443"'

lab_up 5
# h1: mcdisc respond with the chapter's defaults; h2: another device;
# h3: the book-style receiver; h4: the client; h5: book sender / capture.
lab_bg 1 "$tmp/r1.log" "$MCDISC" respond --verbose
lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --name "Kitchen Lamp" --proto coap \
    --service-port 5683 --iface "$(lab_ip 2)"
lab_bg 3 "$tmp/b3.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 3)"
wait_for "$tmp/r1.log" "answering" && wait_for "$tmp/r2.log" "answering" &&
    wait_for "$tmp/b3.log" "ready" || { t_fail "devices started"; t_done; exit 1; }

# 1. The book-style sender gets exactly the chapter's 30 bytes from h1.
lab_exec 5 "$BOOK_SENDER" $G 3333 "$(lab_ip 5)" --wait 1000 >"$tmp/s5.out"
t_check "book sender gets the chapter's 30 reply bytes from mcdisc respond" \
    grep -qx "from $(lab_ip 1):3333 len 30 $REPLY" "$tmp/s5.out"
t_check "mcdisc respond logged the book sender's query as answered" \
    grep -q "^$(lab_ip 5):3333 -> $G on eth0, 33 bytes: answered" "$tmp/r1.log"

# 2. discover finds every device once, with its fields, and not itself,
# while another client queries at the same time.
lab_bg 5 "$tmp/d5.out" "$MCDISC" discover --json --timeout 1500
d5_pid=$LAB_PID
lab_exec 4 "$MCDISC" discover --json --timeout 1500 >"$tmp/d4.json" \
    2>"$tmp/d4.err"
rc=$?
t_check "discover exits 0 when devices answer" test "$rc" -eq 0
t_jq "every line of --json output is a JSON object" \
    'length > 0 and all(type == "object")' "$tmp/d4.json"
count() { jq -s "[.[] | select($1)] | length" "$tmp/d4.json"; }
t_check "discover lists h1 once, with the chapter's fields" test \
    "$(count ".address==\"$(lab_ip 1)\" and .port==3333 and .name==\"ESP32-C3 Smart Light\" and .proto==\"https\" and .service_port==443 and .iface==\"eth0\" and .rtt_ms>=0")" -eq 1
t_check "discover lists h2 once, name with a space parsed" test \
    "$(count ".address==\"$(lab_ip 2)\" and .name==\"Kitchen Lamp\" and .proto==\"coap\" and .service_port==5683")" -eq 1
t_check "discover finds the book-style receiver h3" test \
    "$(count ".address==\"$(lab_ip 3)\" and .name==\"ESP32-C3 Smart Light\"")" -eq 1
t_check "discover lists exactly those 3 (not itself, not the other client)" \
    test "$(count 'true')" -eq 3
wait "$d5_pid"
t_check "the concurrent client found the same 3 devices" \
    test "$(grep -c '"address"' "$tmp/d5.out")" -eq 3

# Human output: one line per device, summary on stderr.
lab_exec 4 "$MCDISC" discover --timeout 800 >"$tmp/d4.txt" 2>"$tmp/d4h.err"
t_check "human output lists 3 devices, each once" \
    test "$(grep -c -E '^198\.18\.0\.[0-9]+:3333 +eth0 ' "$tmp/d4.txt")" -eq 3
t_check "human output ends with a count on stderr" \
    grep -qx "3 devices answered" "$tmp/d4h.err"

# Interfaces by index and by address.
idx=$(lab_exec 4 ip -o link show dev eth0 | cut -d: -f1)
lab_exec 4 "$MCDISC" discover --iface "$idx" --timeout 600 >"$tmp/i1.out" 2>/dev/null
t_check "--iface by index ($idx) finds the 3 devices" \
    test "$(grep -c ' eth0 ' "$tmp/i1.out")" -eq 3
lab_exec 4 "$MCDISC" discover --iface "$(lab_ip 4)" --timeout 600 >"$tmp/i2.out" 2>/dev/null
t_check "--iface by address finds the 3 devices" \
    test "$(grep -c ' eth0 ' "$tmp/i2.out")" -eq 3

# The library's blocking call, as the README's example uses it.
lab_exec 4 "$EXAMPLE_DISCOVER" >"$tmp/ex.out" 2>&1
t_check "the library example (mcd_discover) finds the 3 devices" \
    test $? -eq 0 -a "$(grep -c ' from 198\.18\.' "$tmp/ex.out")" -eq 3

# --count stops early.
start=$(date +%s%N)
lab_exec 4 "$MCDISC" discover --count 2 --timeout 5000 >"$tmp/c.out" 2>/dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_check "--count 2 exits 0 with 2 devices, well before the timeout ($ms ms)" \
    test "$rc" -eq 0 -a "$(wc -l <"$tmp/c.out")" -eq 2 -a "$ms" -lt 4000

# 5. Same host: a client next to two responders. h1 gets a second one.
lab_bg 1 "$tmp/r1b.log" "$MCDISC" respond --name "Second Light"
wait_for "$tmp/r1b.log" "answering" >/dev/null || t_fail "second responder on h1 started"
lab_exec 1 "$MCDISC" discover --json --timeout 1000 >"$tmp/d1.json" 2>"$tmp/d1.err" ||
    { echo "discover on h1 failed:"; cat "$tmp/d1.err" "$tmp/r1.log" \
        "$tmp/r1b.log"; } | sed 's/^/  | /' 
t_jq "a client finds the responder on its own host" \
    "any(.name==\"ESP32-C3 Smart Light\" and .address==\"$(lab_ip 1)\")" "$tmp/d1.json"
t_jq "two responders on one host both answer" \
    "[.[] | select(.address==\"$(lab_ip 1)\")] | length == 2" "$tmp/d1.json"

# 6. A capture on the link shows TTL 1 and the exact bytes: with
# --chapter only the chapter's query; by default each copy is also an
# extended one, which starts with the query and a NUL (docs/PROTOCOL.md).
capture() {
    local pcap=$1
    shift
    lab_bg 4 "$pcap.log" tcpdump -i eth0 -n -U --immediate-mode -w "$pcap" udp port 3333
    tcpdump_pid=$LAB_PID
    wait_for "$pcap.log" "listening on" >/dev/null || t_fail "capture on h4 started"
    lab_exec 4 "$MCDISC" discover --timeout 600 --retries 0 "$@" >/dev/null 2>&1
    sleep 0.3
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid"
}
capture "$tmp/cap.pcap" --chapter
capture "$tmp/ext.pcap"
hexof() { od -An -tx1 -v | tr -d ' \n'; }
tcpdump -r "$tmp/cap.pcap" -n -v "dst host $G" >"$tmp/q.txt" 2>/dev/null
t_check "the query leaves with TTL 1" grep -q "ttl 1," "$tmp/q.txt"
qhex=$(printf 'Are you Espressif IOT Smart Light' | hexof)
rhex=$(printf 'ESP32-C3 Smart Light https 443' | hexof)
# One line per packet of capture $1 matching $2: its IP datagram in hex.
packets() {
    tcpdump -r "$1" -n -x "$2" 2>/dev/null | awk '
        /^[^ \t]/ { if (p != "") print p; p = ""; next }
        { sub(/^[ \t]*0x[0-9a-f]+:/, ""); gsub(/ /, ""); p = p $0 }
        END { if (p != "") print p }'
}
qpkts=$(packets "$tmp/cap.pcap" "dst host $G")
t_check "--chapter: each query is 61 bytes of IP: 20 + 8 + the 33 chapter bytes" \
    test -n "$qpkts" -a -z "$(echo "$qpkts" | grep -v -x "[0-9a-f]\{56\}$qhex")"
rpkts=$(packets "$tmp/cap.pcap" "src host $(lab_ip 1) and dst host $(lab_ip 4)")
t_check "h1's replies include exactly the 30 chapter bytes" \
    grep -q -x "[0-9a-f]\{56\}$rhex" <<<"$rpkts"
# The client's datagrams (devices announce to the group too: issue 14).
epkts=$(packets "$tmp/ext.pcap" "dst host $G and src host $(lab_ip 4)")
t_check "default: one plain query (61 bytes of IP) per copy" \
    test "$(grep -c -x "[0-9a-f]\{56\}$qhex" <<<"$epkts")" -eq 1
t_check "default: one extended query per copy: query, NUL, MCDX, version 1, kind 1" \
    test "$(grep -c "^[0-9a-f]\{56\}${qhex}004d4344580101" <<<"$epkts")" -eq 1
t_check "default: nothing else sent to the group" \
    test "$(wc -l <<<"$epkts")" -eq 2
t_check "default: the extended copy is first" \
    grep -q "^[0-9a-f]\{56\}${qhex}004d4344580101" <<<"$(head -1 <<<"$epkts")"

# 3. No device: exit 1 after the timeout.
lab_down
lab_up 2
start=$(date +%s%N)
lab_exec 1 "$MCDISC" discover --timeout 1000 >"$tmp/none.out" 2>"$tmp/none.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_check "with no device discover exits 1 after its timeout ($ms ms)" \
    test "$rc" -eq 1 -a "$ms" -ge 1000 -a "$ms" -lt 5000
t_check "with no device stdout is empty and stderr says so" \
    test ! -s "$tmp/none.out" -a "$(cat "$tmp/none.err")" = "0 devices answered"
t_done
