#!/usr/bin/env bash
# The device side of the extension (docs/PROTOCOL.md, "The extension,
# version 1") in the lab, against queries crafted from the specification
# (tests/peers/ext_query.c) and the chapter's peers:
#  (a) compatibility: the book sender still gets the chapter's 30 bytes;
#      after every kind of datagram the extended client sends to the
#      group, the chapter's strcmp receiver still answers a plain query
#      (and a datagram that breaks that rule is seen to break it);
#  (b) an extended query gets an extended reply with its nonce and the id,
#      silence when the id is known, the plain copy of an extended client
#      is not answered but a plain query from another port is, and no
#      reply is larger than its query (checked on a capture).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${BOOK_RECEIVER:?}"
: "${EXT_QUERY:?path to tests/peers/ext_query}"
# The responder may run under a wrapper (valgrind), as in the hold tests.
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch
G=232.10.11.12
ID=0011223344556677
hexof() { od -An -tx1 -v | tr -d ' \n'; }
RHEX=$(printf 'ESP32-C3 Smart Light https 443' | hexof)
QHEX=$(printf 'Are you Espressif IOT Smart Light' | hexof)

lab_up 5
# h1: mcdisc respond with an id and two TXT pairs; h2: a chapter device
# that compares the 33 bytes exactly; h3: the chapter's strcmp receiver;
# h4: the extended client (ext_query); h5: the book sender.
# shellcheck disable=SC2086
lab_bg 1 "$tmp/r1.log" $DAEMON respond --verbose --id $ID \
    --txt fw=1.4.2 --txt model=C3-Lamp
r1_pid=$LAB_PID
lab_bg 2 "$tmp/b2.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 2)"
lab_bg 3 "$tmp/b3.log" "$BOOK_RECEIVER" --strcmp $G 3333 "$(lab_ip 3)"
wait_for "$tmp/r1.log" "answering" && wait_for "$tmp/b2.log" "ready" &&
    wait_for "$tmp/b3.log" "ready" ||
    { t_fail "devices started"; t_done; exit 1; }
t_check "respond says its id" grep -q "id $ID, 2 TXT pairs" "$tmp/r1.log"

# ext_query from h4; its output in $tmp/$1.out.
xq() {
    local name=$1
    shift
    lab_exec 4 "$EXT_QUERY" "$(lab_ip 4)" $G 3333 "$@" >"$tmp/$name.out" 2>&1
}
# Lines of $1 matching $2: a count that only grows.
lines() { grep -c -- "$2" "$1"; }
# Wait (5 s at most) until $1 has more than $3 lines matching $2.
more_than() {
    for _ in $(seq 100); do
        [ "$(lines "$1" "$2")" -gt "$3" ] && return 0
        sleep 0.05
    done
    return 1
}
# The book sender's plain query from h5 is answered by the strcmp
# receiver h3 (its reply is in the sender's output).
strcmp_answers() {
    lab_exec 5 "$BOOK_SENDER" $G 3333 "$(lab_ip 5)" --wait 600 >"$tmp/s5.out"
    grep -q "^from $(lab_ip 3):3333 len 30 " "$tmp/s5.out"
}

# --- (a) compatibility --------------------------------------------------------
lab_exec 5 "$BOOK_SENDER" $G 3333 "$(lab_ip 5)" --wait 600 >"$tmp/s5.out"
t_check "book sender gets exactly the chapter's 30 bytes from mcdisc respond" \
    grep -qx "from $(lab_ip 1):3333 len 30 \"ESP32-C3 Smart Light https 443\"" \
    "$tmp/s5.out"
t_check "the strcmp receiver answers the book sender to begin with" \
    grep -q "^from $(lab_ip 3):3333 len 30 " "$tmp/s5.out"

# Every kind of datagram the extended client sends to the group.
kinds=(
    "plain:--plain-only"
    "ext-128:--window 80"
    "ext-128-known:--window 80 --known $ID --known 1111111111111111 --salt 7"
    "ext-1232:--window 80 --pad 1232"
    "ext-1232-known:--window 80 --pad 1232 --known 2222222222222222"
    "ext-ones:--ones"
    "ext-bare:--pad 0"
    "ext-then-plain:--window 80 --plain"
)
for k in "${kinds[@]}"; do
    name=${k%%:*}
    # shellcheck disable=SC2086
    n3=$(lines "$tmp/b3.log" "^from $(lab_ip 4):")
    xq "$name" ${k#*:} --wait 200
    # The receiver has read it (and anything sent with it) before the test.
    want=$((n3 + $(grep -c '^sent ' "$tmp/$name.out")))
    for _ in $(seq 100); do
        [ "$(lines "$tmp/b3.log" "^from $(lab_ip 4):")" -ge "$want" ] && break
        sleep 0.05
    done
    t_check "after a $name datagram ($(awk '/^sent/ {printf "%s ", $2}' \
        "$tmp/$name.out")bytes) the strcmp receiver still answers a plain query" \
        strcmp_answers
done

# The check can fail: a 42-byte datagram without the NUL silences that
# receiver (as the chapter's does), and a query + NUL brings it back.
lab_exec 5 "$BOOK_SENDER" $G 3333 "$(lab_ip 5)" --fill 42 --wait 100 >/dev/null
wait_for "$tmp/b3.log" "len 42 ignored" >/dev/null
n33=$(lines "$tmp/b3.log" "len 33 ignored")
lab_exec 5 "$BOOK_SENDER" $G 3333 "$(lab_ip 5)" --wait 300 >"$tmp/s5.out"
t_check "control: after 42 bytes without a NUL the strcmp receiver ignores the query" \
    test "$(lines "$tmp/b3.log" "len 33 ignored")" -gt "$n33"
lab_exec 5 "$BOOK_SENDER" $G 3333 "$(lab_ip 5)" --hex "${QHEX}00" --wait 100 >/dev/null
t_check "control: a query + NUL makes it answer again" strcmp_answers

# --- (b) the extended exchange ---------------------------------------------
N1=a1a2a3a4a5a6a7a8
TXTHEX=$(printf 'fw=1.4.2' | hexof)
MODHEX=$(printf 'model=C3-Lamp' | hexof)
# LIFETIME (04, 4 bytes: 120 s, the default) right after the id, in the base.
LT=04000400000078
want="${RHEX}00""4d434458""01""02""00""${N1}${ID}${LT}030008${TXTHEX}03000d${MODHEX}"
xq ext1 --nonce $N1 --window 50 --wait 600
t_check "an extended query gets the extended reply: its nonce, the id, LIFETIME, TXT (88 bytes)" \
    grep -qx "from $(lab_ip 1):3333 len 88 $want" "$tmp/ext1.out"
t_check "the exact-33 chapter device ignores the extended query" \
    wait_for "$tmp/b2.log" "^from $(lab_ip 4):[0-9]* len 128 ignored" 2

n=$(lines "$tmp/r1.log" "ignored: already known to the querier")
xq known --known $ID --known 3333333333333333 --window 50 --wait 400
t_check "the device whose id is KNOWN is silent (logged as known)" \
    more_than "$tmp/r1.log" "ignored: already known to the querier" "$n"
t_check "...and sent nothing to the client" \
    test "$(grep -c "^from $(lab_ip 1):" "$tmp/known.out")" -eq 0
n=$(lines "$tmp/r1.log" "ignored: already known to the querier")
xq ones --ones --wait 400
t_check "KNOWN with k 16 and every bit set: silent too" \
    more_than "$tmp/r1.log" "ignored: already known to the querier" "$n"
t_check "...nothing sent" \
    test "$(grep -c "^from $(lab_ip 1):" "$tmp/ones.out")" -eq 0

# The plain copy of an extended client is for chapter devices only.
n=$(lines "$tmp/r1.log" "plain copy from a client that asked in the extension")
xq both --nonce b1b2b3b4b5b6b7b8 --window 50 --plain --wait 600
t_check "the plain copy after an extended query from the same endpoint is not answered" \
    more_than "$tmp/r1.log" "plain copy from a client that asked in the extension" "$n"
t_check "...nothing of 30 bytes from the device" \
    test "$(grep -c "^from $(lab_ip 1):3333 len 30 " "$tmp/both.out")" -eq 0
port=$(grep "33 bytes: ignored: plain copy" "$tmp/r1.log" | tail -1 |
    sed 's/^[^:]*:\([0-9]*\) .*/\1/')
t_check "...the extended one is" \
    grep -q "^from $(lab_ip 1):3333 len 88 .*b1b2b3b4b5b6b7b8$ID" "$tmp/both.out"
t_check "...and the chapter device answers the plain copy" \
    grep -q "^from $(lab_ip 2):3333 len 30 " "$tmp/both.out"
lab_exec 4 "$BOOK_SENDER" $G 3333 "$(lab_ip 4)" --wait 600 >"$tmp/s4.out"
t_check "a plain query from the same host, another port ($port -> 3333), is answered" \
    grep -qx "from $(lab_ip 1):3333 len 30 \"ESP32-C3 Smart Light https 443\"" \
    "$tmp/s4.out"

# Short queries: the base with flag T, or nothing.
xq cut --nonce c1c2c3c4c5c6c7c8 --window 50 --pad 64 --wait 600
t_check "a 64-byte query gets the 61-byte base reply (LIFETIME kept) with flag T" \
    grep -qx "from $(lab_ip 1):3333 len 61 ${RHEX}004d434458010201c1c2c3c4c5c6c7c8$ID$LT" \
    "$tmp/cut.out"
n=$(lines "$tmp/r1.log" "query too short for the reply")
xq short --pad 0 --wait 300
t_check "a 49-byte extended query gets nothing (short-query)" \
    more_than "$tmp/r1.log" "query too short for the reply" "$n"
t_check "...nothing sent" \
    test "$(grep -c "^from $(lab_ip 1):" "$tmp/short.out")" -eq 0

# --- no reply larger than its query, on a capture ------------------------------
lab_bg 4 "$tmp/tcpdump.log" tcpdump -i eth0 -n -U --immediate-mode \
    -w "$tmp/cap.pcap" udp port 3333
tcpdump_pid=$LAB_PID
wait_for "$tmp/tcpdump.log" "listening on" >/dev/null || t_fail "capture on h4 started"
i=0
for pad in 0 49 60 61 62 67 87 88 89 100 128 300 1232; do
    i=$((i + 1))
    nonce=$(printf '%016x' $((0x5100000000000000 + i)))
    xq "cap$i" --nonce "$nonce" --window 20 --pad $pad --plain --wait 150
done
lab_exec 4 "$BOOK_SENDER" $G 3333 "$(lab_ip 4)" --wait 150 >/dev/null
lab_exec 4 "$BOOK_SENDER" $G 3333 "$(lab_ip 4)" --hex "${QHEX}00" --wait 150 >/dev/null
sleep 0.3
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid"
# One line per packet: source, destination, UDP payload in hex.
tcpdump -r "$tmp/cap.pcap" -n -x udp 2>/dev/null | awk '
    /^[0-9]/ { if (p != "") print s, d, substr(p, 57); s = $3; d = $5; p = ""; next }
    { sub(/^[ \t]*0x[0-9a-f]+:/, ""); gsub(/ /, ""); p = p $0 }
    END { if (p != "") print s, d, substr(p, 57) }' >"$tmp/cap.txt"
# Each reply from h1 against the query it answers: an extended reply by
# its nonce, a chapter reply against the shortest plain query (33 bytes).
awk -v r1="$(lab_ip 1).3333" -v q="$QHEX" -v rhex="$RHEX" '
    $2 ~ /^232\.10\.11\.12\./ && index($3, q "00") == 1 && length($3) > 2 * 34 + 30 {
        qlen[substr($3, 2 * 34 + 15, 16)] = length($3) / 2 }
    $1 == r1 {
        n++
        if (index($3, rhex "00") == 1) {
            nonce = substr($3, length(rhex) + 2 + 15, 16)
            if (!(nonce in qlen)) { print "no query for nonce " nonce; bad++ }
            else if (length($3) / 2 > qlen[nonce]) {
                print "reply " length($3) / 2 " > query " qlen[nonce]; bad++ }
            ext++
        } else if (length($3) / 2 > 33) { print "plain reply " length($3) / 2; bad++ }
    }
    END { printf "%d replies, %d extended, %d larger than their query\n", n, ext, bad }
' "$tmp/cap.txt" >"$tmp/cap.check"
t_check "capture: $(tail -1 "$tmp/cap.check")" \
    grep -qx "1[0-9] replies, [0-9]* extended, 0 larger than their query" "$tmp/cap.check"
t_check "capture: the extended replies were checked (10 or more)" \
    grep -qx "[0-9]* replies, 1[0-9] extended, 0 larger.*" "$tmp/cap.check"

# The default id: the same on a restart, different on another host of
# the lab (namespaces share the machine id) and for another service.
idof() { sed -n 's/.*", id \([0-9a-f]\{16\}\), .*/\1/p' "$1"; }
start_id() { # HOST LOG ARGS...: start respond, wait, print its id, stop it
    local h=$1 log=$2 pid
    shift 2
    lab_bg "$h" "$log" "$MCDISC" respond "$@"
    pid=$LAB_PID
    wait_for "$log" "answering" >/dev/null
    kill -TERM "$pid"
    wait "$pid"
    idof "$log"
}
a4=$(start_id 4 "$tmp/i4a.log")
b4=$(start_id 4 "$tmp/i4b.log")
a5=$(start_id 5 "$tmp/i5.log")
n4=$(start_id 4 "$tmp/i4n.log" --name "Other Light")
t_check "the default id survives a restart ($a4 = $b4)" \
    test -n "$a4" -a "$a4" = "$b4"
t_check "another host of the lab gets another default id ($a5)" \
    test -n "$a5" -a "$a5" != "$a4"
t_check "another service of the host gets another default id ($n4)" \
    test -n "$n4" -a "$n4" != "$a4"

# Root or not, one host gets one id. Not root, PID 1's namespace link is
# unreadable: the namespace is compared another way, never mixed in just
# because the link could not be read. Host 4 (not PID 1's namespace) as
# nobody; then a PID namespace whose PID 1, a root shell, shares host 4's
# network namespace (as on a host, PID 1's namespace leaves nothing to
# mix in), as root and as nobody (unshare ignores SIGTERM: SIGKILL, and
# --kill-child ends the namespace).
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
run_id() { # SIG LOG CMD...: start CMD... mcdisc respond, print its id, stop it
    local sig=$1 log=$2 pid
    shift 2
    lab_bg 4 "$log" "$@" "$MCDISC" respond
    pid=$LAB_PID
    wait_for "$log" "answering" >/dev/null
    kill -"$sig" "$pid"
    wait "$pid"
    idof "$log"
}
PIDNS=(unshare --pid --fork --kill-child --mount-proc sh -c '"$@" & wait' sh)
if [ -n "${MCD_LAB_USERNS:-}" ]; then
    echo "# skip: root and nobody ids (no other user in a user namespace)"
else
    u4=$(run_id TERM "$tmp/i4u.log" "${NOBODY[@]}")
    p4=$(run_id KILL "$tmp/i4p.log" "${PIDNS[@]}")
    pu4=$(run_id KILL "$tmp/i4pu.log" "${PIDNS[@]}" "${NOBODY[@]}")
    t_check "as nobody, host 4's default id is root's ($u4)" \
        test -n "$u4" -a "$u4" = "$a4"
    t_check "with PID 1 in host 4's namespace, no namespace in the id ($p4)" \
        test -n "$p4" -a "$p4" != "$a4"
    t_check "with PID 1 in host 4's namespace, nobody's id is root's ($pu4)" \
        test -n "$pu4" -a "$pu4" = "$p4"
fi

# Counters at exit name the new reasons.
kill -USR1 "$r1_pid"
t_check "the counters name known, ext-client and short-query" \
    wait_for "$tmp/r1.log" "known [0-9].*ext-client [0-9]" 3
kill -TERM "$r1_pid"
wait "$r1_pid"
rc=$?
t_check "the responder exits 0 on SIGTERM (a wrapper's errors would show: rc $rc)" \
    test "$rc" -eq 0
t_done
