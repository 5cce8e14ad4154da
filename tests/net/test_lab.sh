#!/usr/bin/env bash
# The lab helper itself: two hosts exchange a multicast datagram through
# the bridge, and no namespace is left behind - after success, after a
# failure, and after Ctrl-C.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
lab_scratch

# A child run that builds a lab of 2 and then does $1: exits 0, fails, or
# is interrupted. It prints its lab id first.
child() {
    bash -c '
        . "$1/lab.sh"
        lab_up 2
        echo "$LAB_ID"
        case "$2" in
            ok) exit 0 ;;
            fail) false || exit 3 ;;
            sigint) kill -INT $$; sleep 5 ;;
        esac' child "$here" "$1"
}

for how in ok fail sigint; do
    id=$(child "$how" 2>"$tmp/child.err" | head -n 1)
    left=$(ip netns list | awk '{print $1}' | grep -c "^${id}-" || true)
    if [ -n "$id" ] && [ "$left" -eq 0 ]; then
        t_ok "a lab ended by '$how' leaves no namespace ($id)"
    else
        t_fail "a lab ended by '$how' left $left namespaces (id '$id')"
        cat "$tmp/child.err"
    fi
done

lab_up 2
t_check "hosts have their addresses" \
    sh -c "ip -n $(lab_ns 1) -4 addr show dev eth0 | grep -q 'inet $(lab_ip 1)/16'"
t_check "hosts have a default route on eth0" \
    sh -c "ip netns exec $(lab_ns 2) ip route show default | grep -q 'dev eth0'"
t_check "the bridge namespace has no interface but lo, br0 and the ports" \
    sh -c "! ip -n $LAB_BR -o link show | awk -F': ' '{print \$2}' |
           grep -v -E '^(lo|br0|p[0-9]+@.*)$'"

# socat, an independent peer, receives a multicast datagram sent by socat.
group=239.255.0.1
lab_bg 2 "$tmp/recv.out" timeout 10 socat -u \
    "UDP4-RECV:5000,reuseaddr,ip-add-membership=$group:eth0" \
    "OPEN:$tmp/got,creat"
sleep 0.5
lab_exec 1 sh -c "printf 'hello lab' | socat -u - \
    UDP4-DATAGRAM:$group:5000,ip-multicast-ttl=1,ip-multicast-if=$(lab_ip 1)"
for _ in $(seq 1 50); do [ -s "$tmp/got" ] && break; sleep 0.1; done
t_check "a multicast datagram crosses the lab from h1 to h2" \
    grep -qx 'hello lab' "$tmp/got"

# IPv6 link-local group too.
lab_bg 2 "$tmp/recv6.out" timeout 10 socat -u \
    "UDP6-RECV:5001,reuseaddr,ipv6-join-group=[ff02::114]:eth0" \
    "OPEN:$tmp/got6,creat"
sleep 0.5
lab_exec 1 sh -c "printf 'hello six' | socat -u - \
    'UDP6-DATAGRAM:[ff02::114%eth0]:5001'"
for _ in $(seq 1 50); do [ -s "$tmp/got6" ] && break; sleep 0.1; done
t_check "an IPv6 multicast datagram crosses the lab" \
    grep -qx 'hello six' "$tmp/got6"

id=$LAB_ID
lab_down
left=$(ip netns list | awk '{print $1}' | grep -c "^${id}-" || true)
t_check "lab_down removes every namespace" test "$left" -eq 0
t_done
