#!/usr/bin/env bash
# Many interfaces, client side: without --iface,
# discover queries every interface that is up and multicast-capable, not
# only the first MCD_MAX_IFACES (32). The client gets 40 extra links
# before the one link that reaches the device.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
EXTRA=40

# h1: the client; h2: the device, reachable only over a veth created after
# the client's 40 extra links (so it has the highest interface index). The
# extra links are veth pairs inside h1 (the dummy driver may be missing);
# only one end of each has an address, so 40 of them are usable.
lab_up 2
lab_unlink_host 2 || { t_fail "h2 unplugged from the bridge"; t_done; exit 1; }
{
    for i in $(seq 1 $EXTRA); do
        echo "link add d$i type veth peer name e$i"
        echo "link set e$i up"
        echo "link set d$i up"
        echo "addr add 10.77.$i.1/24 dev d$i"
    done
} >"$tmp/batch"
lab_exec 1 ip -batch "$tmp/batch" || { t_fail "$EXTRA extra links"; t_done; exit 1; }
lab_exec 1 ip link add last type veth peer name eth9 netns "$(lab_ns 2)" &&
    lab_exec 1 ip addr add 10.99.0.1/24 dev last &&
    lab_exec 1 ip link set last up &&
    lab_exec 2 ip addr add 10.99.0.2/24 dev eth9 &&
    lab_exec 2 ip link set eth9 up ||
    { t_fail "the last link"; t_done; exit 1; }
n=$(lab_exec 1 ip -o -4 addr show | grep -vc ' lo ')
t_check "the client has $((EXTRA + 2)) links with an IPv4 address ($n)" \
    test "$n" -eq $((EXTRA + 2))

lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --name "Far lamp"
wait_for "$tmp/r2.log" "answering" || { t_fail "device started"; t_done; exit 1; }
lab_exec 1 "$MCDISC" discover --json --timeout 1500 >"$tmp/d.json" 2>"$tmp/d.err"
rc=$?
sed 's/^/# stderr: /' "$tmp/d.err"
t_check "discover exits 0" test "$rc" -eq 0
t_jq "the device on the last of $((EXTRA + 2)) interfaces is found, on it" \
    'any(.name == "Far lamp" and .address == "10.99.0.2" and .iface == "last")' \
    "$tmp/d.json"

# Out of descriptors (one socket per interface): the interfaces left out
# are said, not silently dropped. 20 descriptors: 3 standard ones and 17
# sockets, so 25 of the 42 are skipped, the last link among them.
lab_exec 1 sh -c 'ulimit -n 20 && exec "$@"' sh "$MCDISC" discover --json \
    --timeout 500 >"$tmp/l.json" 2>"$tmp/l.err"
rc=$?
sed 's/^/# stderr: /' "$tmp/l.err"
t_check "with 20 descriptors the skipped interfaces are named (exit $rc)" \
    grep -Eq "^mcdisc: discover: warning: skipped 2[0-9] interfaces \(the first, d[0-9]+: Too many open files\)$" \
    "$tmp/l.err"
t_done
