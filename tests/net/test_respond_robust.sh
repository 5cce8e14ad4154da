#!/usr/bin/env bash
# The responder under near-miss, malformed, oversized and unicast
# datagrams: only the query (its exact bytes, or plus one NUL) is answered,
# every other datagram is ignored, logged and counted by kind, and the
# responder keeps answering. Every start-up error is one clear line with
# exit code 2.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${BOOK_RECEIVER:?}"
# CI runs this test once more with the daemons under valgrind.
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch
G=232.10.11.12
REPLY='"ESP32-C3 Smart Light https 443"'
QHEX=$(printf 'Are you Espressif IOT Smart Light' | od -An -tx1 -v | tr -d ' \n')

lab_up 3
lab_bg 1 "$tmp/r1.log" $DAEMON respond --verbose
r1_pid=$LAB_PID
wait_for "$tmp/r1.log" "answering" || { t_fail "responder started"; t_done; exit 1; }

# send NAME ARGS...: one datagram from h2 with the book sender; its output
# goes to $tmp/NAME.out.
send() {
    local name=$1
    shift
    lab_exec 2 "$BOOK_SENDER" $G 3333 "$(lab_ip 2)" --wait 400 "$@" \
        >"$tmp/$name.out" 2>&1
}
answered() { grep -qx "from $(lab_ip 1):3333 len 30 $REPLY" "$tmp/$1.out"; }
logged() {
    grep -q "^$(lab_ip 2):3333 -> $G on eth0, $1 bytes: $2" "$tmp/r1.log"
}
still_answers() {
    send "check$1" && answered "check$1"
}

send nul --hex "${QHEX}00"
t_check "the query plus one NUL is answered (as the chapter's strcmp would)" \
    answered nul
n=1
for c in "junk:${QHEX}6a756e6b:37:ignored: the query followed by other bytes" \
    "nulnul:${QHEX}0000:35:ignored: the query followed by other bytes" \
    "prefix:41726520796f75:7:ignored: a prefix of the query" \
    "short:4172652079:5:ignored: a prefix of the query" \
    "other:48656c6c6f:5:ignored: not the query" \
    "lower:$(printf 'are you Espressif IOT Smart Light' | od -An -tx1 -v | tr -d ' \n'):33:ignored: not the query"; do
    IFS=: read -r name hex len why <<<"$c"
    send "$name" --hex "$hex"
    t_check "near-miss '$name' ($len bytes) is not answered" \
        sh -c "! grep -q 'len 30' '$tmp/$name.out'"
    t_check "near-miss '$name' is logged as '$why'" logged "$len" "$why"
    t_check "the responder still answers after '$name'" still_answers $n
    n=$((n + 1))
done

n=$((n + 1))
send empty --fill 0
t_check "a 0-byte datagram is not answered" sh -c "! grep -q 'len 30' '$tmp/empty.out'"
t_check "a 0-byte datagram is logged as such" logged 0 "ignored: zero-byte datagram"
t_check "the responder still answers after a 0-byte datagram" still_answers 10

send big --fill 65507
t_check "a 65507-byte datagram is not answered" sh -c "! grep -q 'len 30' '$tmp/big.out'"
t_check "a 65507-byte datagram is seen whole, as oversized" \
    logged 65507 "ignored: datagram larger than any query"
t_check "the responder still answers after a 64 KiB datagram" still_answers 11

# A query sent by unicast to the responder is not answered by default.
lab_exec 2 sh -c "printf 'Are you Espressif IOT Smart Light' |
    socat -u - UDP4-DATAGRAM:$(lab_ip 1):3333"
t_check "a unicast query is ignored (not sent to the group)" wait_for \
    "$tmp/r1.log" "$(lab_ip 1) on eth0, 33 bytes: ignored: not sent to the group" 5

kill -TERM "$r1_pid"
wait "$r1_pid"
rc=$?
t_check "SIGTERM: the responder exits 0 (exit $rc)" test "$rc" -eq 0
t_check "no sanitizer or valgrind report in the responder's log" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]' '$tmp/r1.log'"
t_check "SIGTERM: the responder prints its counters" \
    grep -q "answered [0-9]*, empty 1, oversize 1, prefix 2, trailing 2, other 2, not-group 1" "$tmp/r1.log"

# Start-up errors: exit 2 and exactly one line on stderr naming the cause.
# mc HOST ARGS...: mcdisc on HOST, for expect_error (tests/lib/tap.sh).
mc() {
    local host=$1
    shift
    lab_exec "$host" timeout 5 "$MCDISC" "$@"
}
# A veth pair inside h3, going nowhere: nomc0 has an address but no
# MULTICAST flag, noaddr0 is multicast-capable with no IPv4 address.
lab_exec 3 ip link add nomc0 type veth peer name noaddr0
lab_exec 3 ip link set nomc0 multicast off up
lab_exec 3 ip link set noaddr0 up
lab_exec 3 ip addr add 192.0.2.1/24 dev nomc0
lab_bg 3 "$tmp/b3.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 3)"
wait_for "$tmp/b3.log" ready >/dev/null
expect_error "busy port" "port 3333 is in use" mc 3 respond
expect_error "missing interface" "'nosuch0': no such interface" mc 2 respond --iface nosuch0
expect_error "interface without multicast" "'nomc0': interface is not up or not multicast" mc 3 respond --iface nomc0 --port 4000
expect_error "interface without an IPv4 address" "'noaddr0': interface has no address" mc 3 respond --iface noaddr0 --port 4000
expect_error "group that is not multicast" "'198.18.0.1' is not a multicast address" mc 2 respond --group 198.18.0.1
expect_error "group that is not an address" "'232.10.11' *: not a valid" mc 2 respond --group 232.10.11
expect_error "name with a leading space" "--name ' Lamp'" mc 2 respond --name " Lamp"
expect_error "empty name" "--name ''" mc 2 respond --name ""
expect_error "protocol with a space" "--proto 'ht tp'" mc 2 respond --proto "ht tp"
expect_error "service port 0" "service-port: '0'" mc 2 respond --service-port 0
expect_error "unknown flag" "unknown option '--bogus'" mc 2 respond --bogus
expect_error "a reply longer than the query" "longer than the query (33 bytes)" mc 2 respond --name "Living Room Ceiling Light Number Two"
expect_error "a flag given a value it does not take" "'--verbose' takes no value" mc 2 respond --verbose=1
expect_error "discover: missing interface" "'nosuch0': no such interface" mc 2 discover --iface nosuch0
expect_error "discover: unicast group" "is not a multicast address" mc 2 discover --group 198.18.0.9
expect_error "discover: timeout 0" "timeout: '0'" mc 2 discover --timeout 0
expect_error "discover: unknown flag" "unknown option '--bogus'" mc 2 discover --bogus
t_done
