#!/usr/bin/env bash
# The responder's log tells what changed for it:
# promiscuous mode, all-multicast or an MTU change on a link that stays up
# is not "link up"; an IPv4 responder does not report IPv6 addresses (the
# link-local one comes and goes with every link) and an IPv6 responder
# reports them. Real changes are still reported, once each.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch

lab_up 2
lab_bg 2 "$tmp/r4.log" $DAEMON respond --name "Log Light"
r4_pid=$LAB_PID
lab_bg 2 "$tmp/r6.log" $DAEMON respond --group ff12::1234 --port 4444 --name "Log Light"
r6_pid=$LAB_PID
wait_for "$tmp/r4.log" answering && wait_for "$tmp/r6.log" answering ||
    { t_fail "responders started"; t_done; exit 1; }
count() { grep -c -- "$2" "$tmp/$1.log"; }

# Changes that leave the link up and running.
for i in 1 2 3; do
    lab_exec 2 ip link set eth0 promisc on
    lab_exec 2 ip link set eth0 promisc off
done
lab_exec 2 ip link set eth0 allmulticast on
lab_exec 2 ip link set eth0 allmulticast off
lab_exec 2 ip link set eth0 mtu 1400
# IPv6 addresses, link-local and global, added and removed.
lab_exec 2 ip -6 addr add fe80::1234/64 dev eth0 nodad
lab_exec 2 ip -6 addr add 2001:db8:1::99/64 dev eth0 nodad
lab_exec 2 ip -6 addr del fe80::1234/64 dev eth0
lab_exec 2 ip -6 addr del 2001:db8:1::99/64 dev eth0
# A real change last: once its line is there, every change before it was
# read (netlink keeps their order).
lab_exec 2 ip link set eth0 down
t_check "link down is reported" wait_for "$tmp/r4.log" "eth0: link down" 5
t_check "promiscuous mode, all-multicast and MTU changes are not 'link up' ($(count r4 'link up') lines)" \
    test "$(count r4 'link up')" -eq 0
t_check "link down reported once ($(count r4 'link down') lines)" \
    test "$(count r4 'link down')" -eq 1
t_check "an IPv4 responder reports no IPv6 address ($(count r4 'address') lines)" \
    test "$(count r4 'address')" -eq 0

lab_exec 2 ip link set eth0 up
t_check "link up is reported" wait_for "$tmp/r4.log" "eth0: link up" 5
lab_exec 2 ip addr add 198.18.200.2/16 dev eth0
t_check "an IPv4 address added is reported" \
    wait_for "$tmp/r4.log" "eth0: address added" 5
t_check "link up reported once ($(count r4 'link up') lines)" \
    test "$(count r4 'link up')" -eq 1
t_check "the IPv4 address reported once ($(count r4 'address added') lines)" \
    test "$(count r4 'address added')" -eq 1
t_check "an IPv6 responder reports IPv6 addresses" \
    test "$(count r6 'address added')" -ge 1
t_check "answered after it all" sh -c "ip netns exec $(lab_ns 1) $MCDISC discover \
    --json --count 1 --timeout 3000 2>/dev/null | jq -e -s 'any(.name == \"Log Light\")' >/dev/null"

for p in "$r4_pid" "$r6_pid"; do
    kill -TERM "$p"
    wait "$p"
    t_check "responder $p exits 0 on SIGTERM" test $? -eq 0
done
t_check "no valgrind or sanitizer report in the responders' logs" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]|definitely lost' '$tmp'/*.log"
t_done
