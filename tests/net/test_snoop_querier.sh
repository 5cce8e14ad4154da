#!/usr/bin/env bash
# Snooping without a querier (issue 15): a bridge that snoops IGMP and does
# not flood unknown groups to the device's port, with short timers
# (membership interval 3 s). The segment's querier is a router's (FRR
# pimd, a query a second). With it, discovery keeps working for more than
# three membership intervals; with IGMP off on the router, the membership
# expires, discovery stops, and `mcdisc diag` on the device's host says no
# querier was heard (and, in the bridge's namespace, shows snooping on,
# no querier and the group database). (The bridge's own querier is not
# used: in a namespace it hears its own first query back, takes it for
# another querier's, and stops querying.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
G=239.255.0.7
MI=300 # membership interval, centiseconds (sysfs and ip-link's unit)

lab_routed
# br1: the managed switch (snoops, floods no unknown group to up2); br2:
# a plain switch below its port up2, with the device h2 and the router r1
# whose pimd is the querier (so its queries reach h2 whatever br1 does:
# Linux's mcast_flood off also holds back link-local queries).
lab_segment 1 "mcast_snooping 1 mcast_querier 0 mcast_igmp_version 3
    mcast_membership_interval $MI mcast_querier_interval $MI"
lab_segment 2
ip -n "$LAB_BR" link add up2 type veth peer name dn2 &&
    ip -n "$LAB_BR" link set up2 master br1 up &&
    ip -n "$LAB_BR" link set dn2 master br2 up &&
    bridge -n "$LAB_BR" link set dev up2 mcast_flood off ||
    { t_fail "switch br2 under br1's port up2"; t_done; exit 1; }
lab_router 1 1
lab_host 1 1 1 # the client, on br1
lab_host 2 1 1 # the device, on br2
ip -n "$LAB_BR" link set r1s1 master br2 && ip -n "$LAB_BR" link set p2 master br2 ||
    { t_fail "h2 and r1 moved to br2"; t_done; exit 1; }
lab_frr 1 10.1.0.1 1
tries=0
until lab_vtysh 1 -c "show ip igmp interface" 2>/dev/null | grep -q "eth1 .*up .*local"; do
    tries=$((tries + 1))
    [ "$tries" -gt 100 ] && { t_fail "FRR's querier on r1 came up"; t_done; exit 1; }
    sleep 0.1
done
lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --group $G
wait_for "$tmp/r2.log" "answering" || { t_fail "responder started"; t_done; exit 1; }
dev=$(lab_ip 2)
mdb_has() { bridge -n "$LAB_BR" mdb show dev br1 | grep -q "$G"; }

# 1. Querier on: once discovery works (br1 has heard the querier and h2's
# report), it keeps working for 3.5 membership intervals.
tries=0
until lab_exec 1 "$MCDISC" discover --json --group $G --timeout 300 \
    2>/dev/null | grep -q "\"address\":\"$dev\""; do
    tries=$((tries + 1))
    [ "$tries" -gt 20 ] && { t_fail "discovery through the snooping switch started"; t_done; exit 1; }
done
start=$(date +%s%N) ok=0 runs=0
while [ $(($(date +%s%N) - start)) -lt $((MI * 35 * 1000000)) ]; do
    runs=$((runs + 1))
    lab_exec 1 "$MCDISC" discover --json --group $G --timeout 500 \
        >"$tmp/q$runs.json" 2>/dev/null
    grep -q "\"address\":\"$dev\"" "$tmp/q$runs.json" && ok=$((ok + 1)) ||
        echo "# run $runs at $((($(date +%s%N) - start) / 1000000)) ms: no answer"
done
t_check "with a querier, discovery works for 3.5 membership intervals ($ok of $runs)" \
    test "$ok" -eq "$runs" -a "$runs" -ge 5
lab_exec 2 "$MCDISC" diag --json --listen 2500 eth0 >"$tmp/diag_on.json"
t_jq "diag --json is JSON lines" 'length > 3 and all(type == "object" and has("kind"))' "$tmp/diag_on.json"
t_jq "diag on the device's host: the kernel's membership of $G" \
    "any(.kind == \"membership\" and .group == \"$G\" and .iface == \"eth0\" and .mode == \"exclude\")" \
    "$tmp/diag_on.json"
t_jq "diag heard the router's IGMP querier" \
    'any(.kind == "querier" and .protocol == "igmp" and .heard == "yes" and .from == "10.1.0.1" and .count >= 1)' \
    "$tmp/diag_on.json"
ip netns exec "$LAB_BR" "$MCDISC" diag --json br1 >"$tmp/diag_br.json"
t_jq "diag in the bridge's namespace: snooping on, the router's querier, $G in its database" \
    "any(.kind == \"bridge\" and .snooping == 1 and .querier == 0 and .other_querier == \"10.1.0.1\" and .membership_interval_ms == 3000) and any(.kind == \"mdb\" and .group == \"$G\" and .port == \"up2\")" \
    "$tmp/diag_br.json"

# 2. Querier off: the membership ages out, then nothing is forwarded.
lab_vtysh 1 -c "configure terminal" -c "interface eth1" -c "no ip igmp" \
    >/dev/null || t_fail "IGMP turned off on r1"
t0=$(date +%s%N)
tries=0
while mdb_has && [ "$tries" -lt 100 ]; do tries=$((tries + 1)); sleep 0.1; done
gone=$((($(date +%s%N) - t0) / 1000000))
t_check "without a querier the bridge forgets $G ($gone ms, interval $((MI * 10)) ms)" \
    sh -c "! bridge -n $LAB_BR mdb show dev br1 | grep -q $G"
lab_exec 1 "$MCDISC" discover --json --group $G --timeout 1000 \
    >"$tmp/off.json" 2>/dev/null
t_check "without a querier discovery stops: no answer" test ! -s "$tmp/off.json"
lab_exec 2 "$MCDISC" diag --json --listen 2500 eth0 >"$tmp/diag_off.json"
t_jq "diag names the missing querier" \
    'any(.kind == "querier" and .protocol == "igmp" and .heard == "no" and (.why | test("querier")))' \
    "$tmp/diag_off.json"
lab_exec 2 "$MCDISC" diag --listen 1500 eth0 >"$tmp/diag_off.txt"
t_check "diag's human form says it too" grep -q "querier.*heard=no" "$tmp/diag_off.txt"
t_done
