#!/usr/bin/env bash
# A host with many interfaces and many addresses. The kernel lets one socket hold net.ipv4.igmp_max_memberships (20)
# memberships; that is not the program's limit: with 45 extra links the
# responder joins on every one (more sockets on the same port) and answers
# through each. An interface it cannot join is named once, not again at
# every link change. An interface with 200 addresses: a querier in the last
# prefix is on-link.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
LINKS=45
lab_scratch

# h1: the client; h2: the device, with LINKS extra links straight to h1
# (c$k on h1, e$k on h2, 10.77.k.0/24) and 200 more addresses on eth0;
# h3: a querier in the 200th of those prefixes only.
lab_up 3
h1=$(lab_ns 1)
h2=$(lab_ns 2)
for k in $(seq 1 "$LINKS"); do
    echo "link add c$k type veth peer name e$k netns $h2"
    echo "addr add 10.77.$k.1/24 dev c$k"
    echo "link set c$k up"
done | ip -n "$h1" -batch - || lab_die "FAIL: cannot create h1's links"
for k in $(seq 1 "$LINKS"); do
    echo "addr add 10.77.$k.2/24 dev e$k"
    echo "link set e$k up"
done | ip -n "$h2" -batch - || lab_die "FAIL: cannot set up h2's links"
for k in $(seq 1 200); do
    echo "addr add 10.80.$k.2/24 dev eth0"
done | ip -n "$h2" -batch - || lab_die "FAIL: cannot add h2's addresses"
lab_exec 3 ip addr flush dev eth0 scope global
lab_exec 3 ip addr add 10.80.200.1/24 dev eth0
lab_exec 3 ip route replace default dev eth0

# Every link up and running (carrier comes a moment after "up").
tries=0
until [ "$(lab_exec 2 ip -br link show up | grep -c '^e[0-9]*@.* UP ')" -eq "$LINKS" ]; do
    tries=$((tries + 1))
    [ "$tries" -gt 100 ] && lab_die "FAIL: h2's links never came up"
    sleep 0.05
done
lab_bg 2 "$tmp/r.log" $DAEMON respond --name "Many Light"
r_pid=$LAB_PID
wait_for "$tmp/r.log" answering || { t_fail "responder started"; t_done; exit 1; }
joined() { grep -c "joined on $1" "$tmp/r.log"; }
# Joins happen before "answering"; give late ones (none expected) a moment.
for i in $(seq 1 20); do
    [ "$(joined 'e[0-9]*$')" -ge "$LINKS" ] && break
    sleep 0.1
done

# found_via HOST ADDR [ARGS...]: discover on HOST lists the device at ADDR.
found_via() {
    local host=$1 addr=$2
    shift 2
    lab_exec "$host" "$MCDISC" discover --json --count 1 --timeout 2000 "$@" \
        2>/dev/null | jq -e -s "any(.address == \"$addr\")" >/dev/null
}

# 7. Every link, however many.
n=$(joined 'e[0-9]*$')
t_check "joined on all $LINKS extra links (${n})" test "$n" -eq "$LINKS"
missing=""
for k in $(seq 1 "$LINKS"); do
    lab_exec 2 ip maddr show dev "e$k" | grep -q 232.10.11.12 ||
        missing="$missing e$k"
done
t_check "the kernel has the group on every extra link (missing:${missing:- none})" \
    test -z "$missing"
socks=$(lab_exec 2 ss -u -a -n 'sport = :3333' | grep -c 3333)
echo "# the responder holds them on $socks sockets"
t_check "no join failed" sh -c "! grep -q 'cannot join' '$tmp/r.log'"
silent=""
for k in 1 20 21 32 33 40 "$LINKS"; do
    found_via 1 "10.77.$k.2" --iface "c$k" || silent="$silent c$k"
done
t_check "answered through links 1, 20, 21, 32, 33, 40, $LINKS (silent:${silent:- none})" \
    test -z "$silent"

# 8. A querier in the 200th prefix of eth0 is on the link.
t_check "a querier in eth0's 200th prefix is answered" found_via 3 10.80.200.2

# 7. A link the kernel will not let us join is named once. With the limit
# at 0, three new links cannot join; then 20 address changes on one of
# them, each a resync that tries it again.
lab_exec 2 sysctl -qw net.ipv4.igmp_max_memberships=0
for k in 46 47 48; do
    echo "link add c$k type veth peer name e$k netns $h2"
    echo "link set c$k up"
done | ip -n "$h1" -batch -
for k in 46 47 48; do
    echo "addr add 10.77.$k.2/24 dev e$k"
    echo "link set e$k up"
done | ip -n "$h2" -batch -
wait_for "$tmp/r.log" "cannot join on e48" 5
for i in $(seq 1 20); do
    lab_exec 2 ip addr add "10.79.$i.2/24" dev e46
    lab_exec 2 ip addr del "10.79.$i.2/24" dev e46
done
lab_exec 2 ip link set e1 down # the last change: wait for its line
wait_for "$tmp/r.log" "e1: link down" 5
for k in 46 47 48; do
    t_check "e$k: named once as not joined ($(grep -c "cannot join on e$k" "$tmp/r.log") lines)" \
        test "$(grep -c "cannot join on e$k" "$tmp/r.log")" -eq 1
done
t_check "why it is skipped: the kernel's answer" \
    grep -q "cannot join on e46, skipping it: No buffer space available" "$tmp/r.log"
t_check "no interface named twice as not joined ($(grep 'cannot join' "$tmp/r.log" | sort | uniq -d | wc -l) repeated)" \
    test -z "$(grep 'cannot join' "$tmp/r.log" | sort | uniq -d)"

# Limit back: the next change joins them.
lab_exec 2 sysctl -qw net.ipv4.igmp_max_memberships=20
lab_exec 2 ip link set e1 up
t_check "joined on e46-e48 once the kernel allows it" \
    wait_for "$tmp/r.log" "joined on e48" 5
lab_exec 1 ip addr add 10.77.48.1/24 dev c48
t_check "answered through e48" found_via 1 10.77.48.2 --iface c48

# IPv6 has no count of memberships per socket; the socket's option
# memory bounds them (net.core.optmem_max, per namespace on recent kernels:
# lowered here so one socket holds about 28, where the kernel allows it).
lab_exec 2 sysctl -qw net.core.optmem_max=1536 2>/dev/null ||
    echo "# net.core.optmem_max is not per namespace here: one IPv6 socket"
lab_bg 2 "$tmp/r6.log" $DAEMON respond --group ff12::1234 --port 4444 --name "Many Light"
r6_pid=$LAB_PID
wait_for "$tmp/r6.log" answering || { t_fail "IPv6 responder started"; t_done; exit 1; }
# e1 just came back up: its link-local address may come a moment later.
wait_for "$tmp/r6.log" 'joined on e1$' 5
missing=""
for k in $(seq 1 "$LINKS"); do
    lab_exec 2 ip -6 maddr show dev "e$k" | grep -q ff12::1234 ||
        missing="$missing e$k"
done
t_check "IPv6: the kernel has the group on every extra link (missing:${missing:- none})" \
    test -z "$missing"
echo "# the IPv6 responder holds them on $(lab_exec 2 ss -u -a -n 'sport = :4444' | grep -c 4444) sockets"
# --chapter: one plain query per copy, so the count below is of one query.
t_check "IPv6: answered through link $LINKS" sh -c "ip netns exec $h1 $MCDISC discover \
    --chapter --group ff12::1234 --port 4444 --iface c$LINKS --json --count 1 --timeout 2000 \
    2>/dev/null | jq -e -s 'any(.name == \"Many Light\")' >/dev/null"
t_check "IPv6: no send failed" sh -c "! grep -q sendmmsg '$tmp/r6.log'"

for p in "$r_pid" "$r6_pid"; do
    kill -TERM "$p"
    wait "$p"
    t_check "responder $p exits 0 on SIGTERM" test $? -eq 0
done
# IPv6 hands a group's datagram to every socket joined to it on any
# interface: the one query must be seen and answered once, not once per
# socket (counters as printed at exit).
t_check "IPv6: the one query was counted once: $(grep 'answered' "$tmp/r6.log" | tail -1)" \
    sh -c "grep 'respond: answered' '$tmp/r6.log' | tail -1 | grep -qx 'mcdisc: respond: answered 1'"
t_check "no valgrind or sanitizer report in the responders' logs" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]|definitely lost' '$tmp'/*.log"
t_done
