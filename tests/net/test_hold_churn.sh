#!/usr/bin/env bash
# A link deleted and created again, 50 times: the
# responder leaves the group on the interface that went away, so its
# socket never holds more memberships than there are live interfaces, and
# it answers after every cycle. Before, each cycle left a stale membership
# behind; at net.ipv4.igmp_max_memberships (20) the joins failed and the
# device went deaf.
#
# What the sockets hold is read from the kernel, not from the responder's
# log: each membership is an allocation charged to its socket's option
# memory (sk_omem_alloc, `ss -m` "o"), freed when the group is left and
# not when the interface is deleted.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
CYCLES=${CYCLES:-50}
lab_scratch

lab_up 2
lab_bg 2 "$tmp/r.log" $DAEMON respond --name "Churn Light"
r_pid=$LAB_PID
wait_for "$tmp/r.log" answering || { t_fail "responder started"; t_done; exit 1; }

# The option memory of the responder's sockets on port 3333, summed.
optmem() {
    lab_exec 2 ss -u -a -n -m 'sport = :3333' |
        grep -o ',o[0-9]*,' | tr -dc '0-9\n' | awk '{s += $1} END {print s + 0}'
}
# Is the responder found from h1 within 3 s? (discover repeats its query.)
found() {
    lab_exec 1 "$MCDISC" discover --json --count 1 --timeout 3000 2>/dev/null |
        jq -e -s 'any(.name == "Churn Light")' >/dev/null
}

t_check "answered before any cycle" found
one=$(optmem)
t_check "one interface: some option memory for its membership (${one} bytes)" \
    test "$one" -gt 0

silent=""
over=""
for c in $(seq 1 "$CYCLES"); do
    lab_unlink_host 2
    lab_link_host 2 || { t_fail "cycle $c: link re-created"; break; }
    found || silent="$silent $c"
    # The answer came after the deletion's events were handled: the old
    # membership must be gone by now.
    m=$(optmem)
    [ "$m" -le "$one" ] || over="$over $c:$m"
done
t_check "answered after each of $CYCLES delete/re-create cycles (silent:${silent:- none})" \
    test -z "$silent"
t_check "memberships never above the one live interface (cycle:bytes${over:- none})" \
    test -z "$over"
t_check "the responder logged each re-join" \
    test "$(grep -c 'joined on eth0' "$tmp/r.log")" -ge $((CYCLES + 1))

# The same, with the new link taking the old one's index: a membership
# the kernel kept for the old device must not pass for the new one's.
relink_same_index() {
    local ns idx
    ns=$(lab_ns 2)
    idx=$(lab_exec 2 cat /sys/class/net/eth0/ifindex)
    lab_unlink_host 2
    ip -n "$ns" link add eth0 index "$idx" type veth peer name p2 netns "$LAB_BR" &&
        ip -n "$LAB_BR" link set p2 master br0 up &&
        ip -n "$ns" link set eth0 up &&
        ip -n "$ns" addr add "$(lab_ip 2)/16" dev eth0 &&
        ip -n "$ns" route add default dev eth0 &&
        test "$(lab_exec 2 cat /sys/class/net/eth0/ifindex)" = "$idx"
}
silent=""
for c in 1 2 3 4 5; do
    relink_same_index || { t_fail "same index $c: link re-created"; break; }
    found || silent="$silent $c"
done
t_check "answered after 5 re-creations under the same index (silent:${silent:- none})" \
    test -z "$silent"
t_check "memberships still not above the one live interface ($(optmem) bytes)" \
    test "$(optmem)" -le "$one"
t_check "no join failed" sh -c "! grep -q 'cannot join' '$tmp/r.log'"

kill -TERM "$r_pid"
wait "$r_pid"
t_check "responder exits 0 on SIGTERM" test $? -eq 0
t_check "no valgrind or sanitizer report in the responder's log" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]|definitely lost' '$tmp/r.log'"
t_done
