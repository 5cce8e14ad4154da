#!/usr/bin/env bash
# The responder under spoofed queries:
#  - 1000 queries/s from 5000 forged on-link sources that do not exist: a
#    real querier on the link is still answered (single copy, >= 38 of
#    40); "answered" is what the kernel took, failed sends are counted and
#    their error lines rate-limited;
#  - a query forged from the responder's own address, a subnet-router
#    anycast or a directed broadcast is not answered;
#  - a log reader that stalls never stops the answering.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${SPOOF:?path to the spoof peer}"
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch
G=232.10.11.12
G6=ff12::db8:1
LOCAL_WHY='ignored: source is this host, or a subnet anycast or broadcast'

lab_up 3
# h1 counts the replies that leave its socket (the output hook sees each
# datagram the kernel accepted, before any ARP/ND wait), and refuses
# those to 198.18.200.0/24 so that sends fail there on purpose. Its
# announcements to the group (issue 14) are not replies: counted apart.
lab_exec 1 nft -f - <<NFT
table inet count {
    counter out { }
    counter refused { }
    counter self { }
    counter announced { }
    chain out {
        type filter hook output priority 0;
        ip daddr 224.0.0.0/4 udp sport 3333 counter name announced accept
        ip6 daddr ff00::/8 udp sport 3333 counter name announced accept
        ip daddr { $(lab_ip 1), 198.18.255.255, 198.18.0.0 } udp sport 3333 counter name self
        ip6 daddr { $(lab_ip6 1), 2001:db8:1:: } udp sport 3333 counter name self
        ip daddr 198.18.200.0/24 udp sport 3333 counter name refused drop
        udp sport 3333 counter name out
    }
}
NFT
nft_count() {
    lab_exec 1 nft list counter inet count "$1" |
        sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
lab_bg 1 "$tmp/r1.log" $DAEMON respond --json
r1_pid=$LAB_PID
wait_for "$tmp/r1.log" answering || { t_fail "responder started"; t_done; exit 1; }
counters() { # the responder's counters now (SIGUSR1), as JSON
    local before i=0
    before=$(grep -c '"type":"counters"' "$tmp/r1.log")
    kill -USR1 "$r1_pid" || return 1
    until [ "$(grep -c '"type":"counters"' "$tmp/r1.log")" -gt "$before" ]; do
        i=$((i + 1))
        [ "$i" -gt 200 ] && { echo "no counters from the responder" >&2; return 1; }
        sleep 0.05
    done
    grep '"type":"counters"' "$tmp/r1.log" | tail -n 1
}
once() { # one single-copy discovery from h3 [of group $1]
    lab_exec 3 "$MCDISC" discover --group "${1:-$G}" --retries 0 \
        --timeout 1000 --count 1 >/dev/null 2>&1
}
single_copies() { # GROUP: how many of 40 single-copy discoveries succeed
    local ok=0 i
    for i in $(seq 1 40); do
        # Apart by more than the 50 ms --querier-interval: each is a new
        # query.
        sleep 0.2
        once "$1" && ok=$((ok + 1))
    done
    echo "$ok"
}

# --- 2. the spoofed flood --------------------------------------------------
# The querier has talked to the device before (it "keeps being answered").
t_check "flood: the querier is answered before the flood" once
lab_bg 2 "$tmp/spoof.log" "$SPOOF" $G 3333 eth0 198.18.100.0 5000 1000 120
spoof_pid=$LAB_PID
# Until the forged queries are being handled (and the kernel's queues for
# their never-resolving neighbours have had time to fill).
i=0
until [ "$(counters | jq '.answered + .unresolved + .failed')" -gt 2000 ]; do
    i=$((i + 1))
    [ "$i" -gt 100 ] && { t_fail "flood: the forged queries reach the responder"; break; }
    sleep 0.2
done
ok=$(single_copies $G)
t_check "flood: single-copy discovery succeeded $ok of 40 times (>= 38)" \
    test "$ok" -ge 38
kill "$spoof_pid"
wait "$spoof_pid" 2>/dev/null
sleep 0.5 # replies still due leave within --delay (20 ms)
c=$(counters)
out=$(nft_count out)
t_check "flood: 'answered' ($(echo "$c" | jq .answered)) is what left the socket ($out)" \
    test "$(echo "$c" | jq .answered)" -eq "$out"
t_check "flood: replies to forged sources held back, counted as unresolved" \
    sh -c "echo '$c' | jq -e '.unresolved > 5000' >/dev/null"

# Sends that fail are counted as such, and their error lines rate-limited
# with the number held back.
errs0=$(grep -c 'sendmmsg' "$tmp/r1.log")
lab_exec 2 "$SPOOF" $G 3333 eth0 198.18.200.1 200 200 4 >/dev/null
sleep 0.5
c=$(counters)
refused=$(nft_count refused)
t_check "failed sends: 'send-failed' ($(echo "$c" | jq '."send-failed"')) is what the kernel refused ($refused)" \
    test "$(echo "$c" | jq '."send-failed"')" -eq "$refused" -a "$refused" -gt 50
t_check "failed sends: none counted as answered" \
    test "$(echo "$c" | jq .answered)" -eq "$(nft_count out)"
wait_for "$tmp/r1.log" "more error lines suppressed" 5 >/dev/null
errs=$(($(grep -c 'sendmmsg' "$tmp/r1.log") - errs0))
t_check "failed sends: $errs error lines for $refused failures (<= 15), the rest counted" \
    sh -c "test $errs -le 15 && grep -q 'more error lines suppressed' '$tmp/r1.log'"

# The same over IPv6 (ND instead of ARP).
lab_bg 1 "$tmp/r6.log" $DAEMON respond --group $G6 --verbose
r6_pid=$LAB_PID
wait_for "$tmp/r6.log" answering || { t_fail "IPv6 responder started"; t_done; exit 1; }
t_check "IPv6 flood: the querier is answered before the flood" once $G6
lab_bg 2 "$tmp/spoof6.log" "$SPOOF" $G6 3333 eth0 2001:db8:1::1:0 5000 1000 120
spoof_pid=$LAB_PID
wait_for "$tmp/r6.log" "2001:db8:1::1:7d0" 10 >/dev/null # the 2000th
ok=$(single_copies $G6)
t_check "IPv6 flood: single-copy discovery succeeded $ok of 40 times (>= 38)" \
    test "$ok" -ge 38
kill "$spoof_pid"
wait "$spoof_pid" 2>/dev/null

# --- 3. forged sources that are this host, or no host -----------------------
self0=$(nft_count self)
ll1=$(lab_exec 1 ip -6 addr show dev eth0 scope link | sed -n 's/.*inet6 \([^/]*\).*/\1/p')
for src in "$(lab_ip6 1)" 2001:db8:1:: "$ll1"; do
    lab_exec 2 "$SPOOF" $G6 3333 eth0 "$src" 1 100 0 >/dev/null
    t_check "a query forged from $src is refused as such" \
        wait_for "$tmp/r6.log" "^\[$src[]%].* -> $G6 on eth0, 33 bytes: $LOCAL_WHY" 5
done
for src in "$(lab_ip 1)" 198.18.255.255 198.18.0.0; do
    lab_exec 2 "$SPOOF" $G 3333 eth0 "$src" 1 100 0 >/dev/null
done
# A last genuine query through both: every forged one came before it.
once $G6
once
sleep 0.3
t_check "no reply went to this host or to a subnet's anycast/broadcast ($(nft_count self) sent)" \
    test "$(nft_count self)" -eq "$self0"
t_check "the IPv6 responder logged none of them as answered" \
    sh -c "! grep -E '^\[(2001:db8:1::1|2001:db8:1::|$ll1)[]%].*: answered\$' '$tmp/r6.log'"
kill -TERM "$r6_pid" "$r1_pid"
wait "$r6_pid" "$r1_pid"
t_check "no sanitizer or valgrind report in the responders' logs" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]' '$tmp/r1.log' '$tmp/r6.log'"

# --- 5. a log reader that stalls ---------------------------------------------
# The responder's standard output is a pipe that nobody reads (held open,
# read-write, by this script) until the end.
mkfifo "$tmp/fifo"
exec 3<>"$tmp/fifo"
lab_bg 1 "$tmp/r5.err" sh -c 'exec $0 respond --verbose >"$1"' "$DAEMON" "$tmp/fifo"
r5_pid=$LAB_PID
wait_for "$tmp/r5.err" answering || { t_fail "responder started"; t_done; exit 1; }
lab_exec 2 "$MCDISC" send --message junk --count 3000 --rate 3000 $G:3333 \
    >/dev/null 2>&1
t_check "stalled log reader: the responder still answers" \
    sh -c "ip netns exec $(lab_ns 3) $MCDISC discover --chapter --timeout 1500 --count 1 >/dev/null 2>&1"
cat <&3 >"$tmp/r5.out" &
cat_pid=$!
t_check "stalled log reader: the dropped lines are counted once it reads" \
    wait_for "$tmp/r5.out" "log lines dropped" 5
t_check "stalled log reader: the answer after the junk is logged" \
    wait_for "$tmp/r5.out" "$(lab_ip 3):[0-9]* -> $G on eth0, 33 bytes: answered" 5
kill -TERM "$r5_pid"
wait "$r5_pid"
rc=$?
t_check "stalled log reader: SIGTERM exits 0 (exit $rc)" test "$rc" -eq 0
kill "$cat_pid" 2>/dev/null
exec 3>&-
t_done
