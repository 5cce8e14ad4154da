#!/usr/bin/env bash
# The responder follows its links: after the link goes down and up, after its address changes, and
# after the interface is deleted and created again, it answers again within
# 2 s, and logs what happened. A named interface that does not exist yet is
# waited for with --wait-iface.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
# CI runs this test once more with the daemons under valgrind.
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch

lab_up 3
# h2: every usable interface (the default); h3: eth0 by name.
lab_bg 2 "$tmp/r2.log" $DAEMON respond --name "Auto Light" --proto http --service-port 80
r2_pid=$LAB_PID
lab_bg 3 "$tmp/r3.log" $DAEMON respond --iface eth0 --name "Named Light" --proto http --service-port 80
r3_pid=$LAB_PID
wait_for "$tmp/r2.log" answering && wait_for "$tmp/r3.log" answering ||
    { t_fail "responders started"; t_check "no valgrind or sanitizer report in the responders' logs" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]|definitely lost' '$tmp'/*.log"
t_done; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# answered_within NAME ADDR [DISCOVER ARGS...]: ms from now until
# `discover` on h1 lists NAME at ADDR (runs of 300 ms), or 9999 after 6 s.
answered_within() {
    local name=$1 addr=$2 start
    shift 2
    start=$(now_ms)
    while [ $(($(now_ms) - start)) -lt 6000 ]; do
        if lab_exec 1 "$MCDISC" discover --json --timeout 300 "$@" 2>/dev/null |
            jq -e -s "any(.name == \"$name\" and .address == \"$addr\")" >/dev/null; then
            echo $(($(now_ms) - start))
            return
        fi
    done
    echo 9999
}

t_check "both devices answer at first" \
    test "$(answered_within "Auto Light" "$(lab_ip 2)")" -lt 1000 -a \
         "$(answered_within "Named Light" "$(lab_ip 3)")" -lt 1000

# 1. Link down, then up.
for h in 2 3; do lab_exec "$h" ip link set eth0 down; done
sleep 0.5
for h in 2 3; do lab_exec "$h" ip link set eth0 up; done
ms2=$(answered_within "Auto Light" "$(lab_ip 2)")
ms3=$(answered_within "Named Light" "$(lab_ip 3)")
t_check "link down/up: answered again within 2 s (auto ${ms2} ms, named ${ms3} ms)" \
    test "$ms2" -le 2000 -a "$ms3" -le 2000
t_check "link down/up: the responder logged it" \
    sh -c "grep -q 'eth0: link down' '$tmp/r2.log' && grep -q 'eth0: link up' '$tmp/r2.log'"

# 2. Address change.
lab_exec 2 ip addr del "$(lab_ip 2)/16" dev eth0
lab_exec 2 ip addr add 198.18.9.2/16 dev eth0
lab_exec 2 ip route replace default dev eth0
ms=$(answered_within "Auto Light" 198.18.9.2)
t_check "address change: answered from the new address within 2 s (${ms} ms)" \
    test "$ms" -le 2000
t_check "address change: the responder logged it" \
    sh -c "grep -q 'address removed' '$tmp/r2.log' && grep -q 'address added' '$tmp/r2.log'"
lab_exec 2 ip addr del 198.18.9.2/16 dev eth0
lab_exec 2 ip addr add "$(lab_ip 2)/16" dev eth0
lab_exec 2 ip route replace default dev eth0

# 3. The interface deleted and created again (a new index).
for h in 2 3; do
    old_idx=$(lab_exec "$h" ip -o link show dev eth0 | cut -d: -f1)
    lab_unlink_host "$h"
    sleep 0.3
    lab_link_host "$h"
    new_idx=$(lab_exec "$h" ip -o link show dev eth0 | cut -d: -f1)
    echo "# h$h: eth0 was index $old_idx, is now $new_idx"
done
ms2=$(answered_within "Auto Light" "$(lab_ip 2)")
ms3=$(answered_within "Named Light" "$(lab_ip 3)")
t_check "deleted and re-created: answered again within 2 s (auto ${ms2} ms, named ${ms3} ms)" \
    test "$ms2" -le 2000 -a "$ms3" -le 2000
t_check "deleted and re-created: the responder logged leaving and joining again" \
    sh -c "grep -q 'link deleted' '$tmp/r3.log' && test \$(grep -c 'joined on eth0' '$tmp/r3.log') -ge 2"

# 4. --wait-iface: a named interface that does not exist yet.
lab_bg 3 "$tmp/w.log" $DAEMON respond --iface eth9 --wait-iface --port 4444 \
    --name "Late Light" --proto http --service-port 80
w_pid=$LAB_PID
t_check "--wait-iface: the responder starts and waits" wait_for "$tmp/w.log" answering 5
sleep 0.3
t_check "--wait-iface: still running with no interface" kill -0 "$w_pid"
ip -n "$LAB_BR" link add q3 type veth peer name eth9 netns "$(lab_ns 3)"
ip -n "$LAB_BR" link set q3 master br0 up
lab_exec 3 ip addr add 198.18.7.3/16 dev eth9
lab_exec 3 ip link set eth9 up
ms=$(answered_within "Late Light" 198.18.7.3 --port 4444)
t_check "--wait-iface: answers within 2 s of eth9 appearing (${ms} ms)" \
    test "$ms" -le 2000
t_check "without --wait-iface a missing interface is an error" \
    sh -c "! ip netns exec $(lab_ns 3) $MCDISC respond --iface eth8 2>/dev/null"

for p in "$r2_pid" "$r3_pid" "$w_pid"; do
    kill -TERM "$p"
    wait "$p"
    t_check "responder $p exits 0 on SIGTERM" test $? -eq 0
done
t_check "no valgrind or sanitizer report in the responders' logs" \
    sh -c "! grep -q -E 'Sanitizer|runtime error|ERROR SUMMARY: [1-9]|definitely lost' '$tmp'/*.log"
t_done
