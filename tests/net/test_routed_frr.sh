#!/usr/bin/env bash
# Discovery across two multicast routers running FRR (zebra + pimd:
# PIM-SM, static RP on r1, IGMPv3 towards the hosts; issue 15):
#
#   seg1: h1 client, h2 near device -- r1 (RP) -- seg2 -- r2 -- seg3:
#   h3 far device trusting 10.1.0.0/24, h4 far device that does not
#
# 1. Group 239.255.0.7 (ASM with an RP): discover --ttl 3 finds h2 and h3
#    in 10 runs of 10, never h4 (which hears the query and stays silent).
# 2. The chapter's 232.10.11.12: pimd treats 232/8 as SSM (RFC 4607), so
#    the responders' any-source joins build no tree and the query never
#    leaves seg1 (only h2 answers); a source-specific join for the
#    client's address (recv --source) does get the queries across.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
G=239.255.0.7
SSM=232.10.11.12

lab_routed
for s in 1 2 3; do lab_segment $s; done
lab_router 1 1 2
lab_router 2 2 3
lab_host 1 1 1
lab_host 2 1 1
lab_host 3 3 2
lab_host 4 3 2
lab_rexec 1 ip route add 10.3.0.0/24 via 10.2.0.2
lab_rexec 2 ip route add 10.1.0.0/24 via 10.2.0.1
lab_frr 1 10.2.0.1
lab_frr 2 10.2.0.1
# PIM adjacency on seg2 (hello every 30 s, the first at once).
nbr() { lab_vtysh "$1" -c "show ip pim neighbor" 2>/dev/null | grep -q "$2"; }
tries=0
until nbr 2 10.2.0.1 && nbr 1 10.2.0.2; do
    tries=$((tries + 1))
    [ "$tries" -gt 150 ] && {
        t_fail "FRR: r1 and r2 became PIM neighbours"
        tail -n 5 "$tmp"/r*/frr.log "$tmp"/r*/pimd.log
        t_done; exit 1; }
    sleep 0.2
done
t_ok "FRR: r1 and r2 are PIM neighbours ($((tries * 200)) ms)"

respond() {
    local i=$1 log=$2
    shift 2
    lab_bg "$i" "$tmp/$log.log" "$MCDISC" respond --verbose "$@"
    wait_for "$tmp/$log.log" "answering" >/dev/null ||
        { t_fail "responder $log started"; t_done; exit 1; }
}
respond 2 r2 --group $G --name Near
respond 3 r3 --group $G --name Far --allow-from 10.1.0.0/24
respond 4 r4 --group $G --name Stranger
# The (*,G) join travels seg3 -> r2 -> RP: wait for r1's shared tree.
tries=0
until lab_vtysh 1 -c "show ip mroute" 2>/dev/null |
    grep -q "\*  *$G .*eth2"; do
    tries=$((tries + 1))
    [ "$tries" -gt 150 ] && break
    sleep 0.2
done
t_check "r1 (the RP) holds (*,$G) towards seg2 ($((tries * 200)) ms)" \
    test "$tries" -le 150

near=$(lab_ip 2) far=$(lab_ip 3) stranger=$(lab_ip 4)
# The routers converge first: the devices' start-up announcements (0, 1
# and 3 s) are new sources of the group on the far segment, and while
# pimd registers them and moves to their trees the client's queries were
# seen to go unforwarded for up to ~2.5 s (3 of 10 runs started at once).
# The test is about discovery through routers that have converged: wait
# until one discover finds the far device (at most 15 s, said below).
t0=$(date +%s%N) tries=0
until lab_exec 1 "$MCDISC" discover --json --group $G --ttl 3 --timeout 800 \
        2>/dev/null | grep -q "\"address\":\"$far\""; do
    tries=$((tries + 1))
    [ "$tries" -ge 15 ] && break
done
t_check "the routers converged: the far device found after $(( ($(date +%s%N) - t0) / 1000000 )) ms ($tries runs missed it)" \
    test "$tries" -lt 15
ok=0
for run in $(seq 1 10); do
    lab_exec 1 "$MCDISC" discover --json --group $G --ttl 3 --timeout 800 \
        >"$tmp/d$run.json" 2>/dev/null
    n=$(jq -s "[.[] | select(.address==\"$near\" or .address==\"$far\")] |
        length" "$tmp/d$run.json")
    s=$(jq -s "[.[] | select(.address==\"$stranger\")] | length" \
        "$tmp/d$run.json")
    [ "$n" = 2 ] && [ "$s" = 0 ] && ok=$((ok + 1))
done
t_check "discover --ttl 3 across two pimd routers finds near and far, 10 of 10 ($ok)" \
    test "$ok" -eq 10
# Time to each device, over the 10 runs (docs/PERFORMANCE.md).
for who in near far; do
    addr=$([ $who = near ] && echo "$near" || echo "$far")
    cat "$tmp"/d[0-9]*.json | jq -r "select(.address==\"$addr\") | .t_ms" |
        sort -n | awk -v w="$who" -v l="2 routers (FRR pimd)" '{ v[NR] = $1 }
            END { printf "# time to the %s device (%s): median %.1f ms, max %.1f ms, %d runs\n",
                  w, w == "near" ? "0 routers" : l, v[int((NR + 1) / 2)], v[NR], NR }'
done
t_check "the device that does not trust the prefix heard it and stayed silent" \
    grep -q "^$(lab_ip 1):[0-9]* -> $G on eth0, 33 bytes: ignored: source is not on the link" "$tmp/r4.log"
# diag on the first router: the kernel's (S,G) entry, its counters, and
# eth2 (towards r2) among its outgoing interfaces.
lab_rexec 1 "$MCDISC" diag --json >"$tmp/diag_r1.json"
t_jq "diag on r1: the (client, $G) route forwarded the queries out of eth2" \
    "any(.kind == \"mroute\" and .group == \"$G\" and .source == \"$(lab_ip 1)\" and .iface == \"eth1\" and .packets > 0 and (.oifs | index(\"eth2\") != null))" \
    "$tmp/diag_r1.json"
t_jq "diag on r1: multicast forwarding on eth1" \
    'any(.kind == "iface" and .iface == "eth1" and .mc_forwarding == 1)' "$tmp/diag_r1.json"
lab_exec 1 "$MCDISC" discover --json --group $G --ttl 2 --timeout 600 \
    >"$tmp/ttl2.json" 2>/dev/null
t_jq "with --ttl 2 the query dies at r2: only the near device" \
    "length == 1 and .[0].address == \"$near\"" "$tmp/ttl2.json"

# 2. The chapter's group, 232/8: any-source joins through FRR.
respond 2 s2 --name Near
respond 3 s3 --name Far --allow-from 10.1.0.0/24
# Let r2 hear them first (the reports at join, then its 5 s queries).
sleep 2
lab_exec 1 "$MCDISC" discover --json --ttl 3 --timeout 1500 \
    >"$tmp/chap.json" 2>/dev/null
t_jq "discover --ttl 3 on $SSM: only the near device, the far one is cut off" \
    "length == 1 and .[0].address == \"$near\"" "$tmp/chap.json"
t_check "the far responder never heard the query" \
    sh -c "! grep -q ' -> $SSM ' '$tmp/s3.log'"
t_check "respond says at start that $SSM does not cross a router" \
    grep -q "in 232/8.*does not cross a router" "$tmp/s3.log"
t_check "mcdisc addr says it too" \
    sh -c "'$MCDISC' addr $SSM | grep -q 'any-source.*does not cross one'"
lab_vtysh 2 -c "show ip igmp groups" >"$tmp/igmp.txt" 2>&1
lab_vtysh 2 -c "show ip igmp groups" 2>&1 | grep -q "$G" &&
    t_check "r2 holds the $G join but none for $SSM (pimd: 232/8 is SSM)" \
        sh -c "! grep -q '$SSM' '$tmp/igmp.txt'" ||
    t_fail "r2 shows its IGMP groups"
# (Alone on h4: an any-source socket there would turn the interface's
# IGMPv3 state into EXCLUDE mode.)
lab_bg 4 "$tmp/ssm.log" "$MCDISC" recv --source "$(lab_ip 1)" "$SSM:3334"
ssm_pid=$LAB_PID
# r2's IGMPv3 state: the (S,G) join is taken, the any-source one is not.
tries=0
until lab_vtysh 2 -c "show ip igmp sources" 2>/dev/null | grep -q "$SSM .*$(lab_ip 1)"; do
    tries=$((tries + 1))
    [ "$tries" -gt 100 ] && break
    sleep 0.2
done
t_check "r2 took h4's source-specific join ($(lab_ip 1), $SSM)" test "$tries" -le 100
# Once that (S,G) tree reaches seg3, the any-source member there hears
# the queries too: SSM carries them only where a join names the client.
lab_exec 1 "$MCDISC" discover --json --ttl 3 --timeout 1500 \
    >"$tmp/chap2.json" 2>/dev/null
t_jq "with h4's (client, $SSM) join on seg3, the far device answers" \
    "any(.address == \"$far\")" "$tmp/chap2.json"
lab_exec 1 "$MCDISC" send --ttl 3 --count 20 --rate 20 "$SSM:3334" \
    >/dev/null 2>&1
sleep 0.5
kill -INT "$ssm_pid" 2>/dev/null
wait "$ssm_pid" 2>/dev/null
t_check "a source-specific join for the client gets the queries across" \
    grep -q "$SSM" "$tmp/ssm.log"
t_done
