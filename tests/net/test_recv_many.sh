#!/usr/bin/env bash
# `mcdisc recv` on a host with many interfaces, and its rate for a single
# datagram (none: a rate needs two datagrams apart). The kernel lets one
# socket hold net.ipv4.igmp_max_memberships (20) memberships; that is not
# recv's limit: with 45 extra links it joins on every one (more sockets on
# the port), IPv4 and IPv6, and each datagram is delivered once. Where a
# join cannot be made (here: no descriptor left for one more socket), the
# interface is named once with the reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
LINKS=45
lab_scratch

# h1: the sender, with LINKS links straight to h2 (c$k on h1, e$k on h2,
# 10.77.k.0/24); h2: the receiver, with eth0 and those LINKS links.
lab_up 2
lab_links 1 2 "$LINKS" || lab_die "FAIL: cannot set up the $LINKS links"
h2=$(lab_ns 2)
ifaces="eth0 $(seq -f 'e%g' -s ' ' 1 "$LINKS")"

# recv_bg NAME ARGS...: `mcdisc recv ARGS` on h2, stdout in NAME.out,
# stderr in NAME.err, its pid in NAME_pid.
recv_bg() {
    local name=$1
    shift
    ip netns exec "$h2" "$MCDISC" recv "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    eval "${name}_pid=$!"
}
# wait_group FAMILY GROUP IFACE PID: until h2's kernel holds GROUP on IFACE
# (recv joins in order, so the last interface means all were tried), or
# recv has exited.
wait_group() {
    local i
    for i in $(seq 1 200); do
        lab_exec 2 ip "$1" maddr show dev "$3" | grep -q "$2" && return 0
        kill -0 "$4" 2>/dev/null || break
        sleep 0.05
    done
    echo "h2 never joined $2 on $3" >&2
    return 1
}
# missing FAMILY GROUP: the interfaces of h2 without GROUP.
missing() {
    local i out=""
    for i in $ifaces; do
        lab_exec 2 ip "$1" maddr show dev "$i" | grep -q "$2" || out="$out $i"
    done
    echo "${out:- none}"
}
# json NAME FILTER: jq -e -s FILTER over NAME.out.
json() { jq -e -s "$2" "$tmp/$1.out" >/dev/null 2>&1; }

# every_link NAME FAMILY GROUP SPEC: recv joins GROUP (SPEC: as recv and
# send take it) on every interface, and 3 datagrams sent through each of
# links 21, 33 and 45 arrive, once each.
every_link() {
    local name=$1 fam=$2 group=$3 spec=$4 m k rc pid
    recv_bg "$name" --json --count 9 --duration 30 "$spec"
    pid=$(eval echo "\$${name}_pid")
    wait_group "$fam" "$group" "e$LINKS" "$pid"
    m=$(missing "$fam" "$group")
    t_check "$name: the kernel has the group on eth0 and all $LINKS links (missing:$m)" \
        test "$m" = " none"
    echo "# recv holds them on $(lab_exec 2 ss -u -a -n 'sport = :5000' | grep -c 5000) sockets"
    for k in 21 33 "$LINKS"; do
        lab_exec 1 "$MCDISC" send --iface "c$k" --count 3 --rate 100 "$spec" >/dev/null
    done
    wait "$pid"
    rc=$?
    t_check "$name: recv exits 0 after 9 datagrams (exit $rc)" test "$rc" -eq 0
    for k in 21 33 "$LINKS"; do
        t_check "$name: 3 datagrams received on e$k" json "$name" \
            "[.[] | select(.type == \"datagram\" and .iface == \"e$k\")] | length == 3"
    done
    t_check "$name: 3 senders, 3 datagrams each, none twice" json "$name" \
        '[.[] | select(.type == "summary")] | length == 3 and
         all(.received == 3 and .duplicates == 0)'
    t_check "$name: no join refused" test ! -s "$tmp/$name.err"
}

# --- 7, IPv4 ------------------------------------------------------------------
every_link IPv4 -4 239.5.5.5 239.5.5.5:5000

# --- 7, IPv6: memberships bounded by the socket's option memory ----------
# Lowered so one socket holds about 28 (net.core.optmem_max is per
# namespace on recent kernels); the kernel delivers an IPv6 datagram to
# every socket holding the group on any interface, so this also shows
# each datagram is delivered once, by the socket joined where it came in.
lab_exec 2 sysctl -qw net.core.optmem_max=1536 2>/dev/null ||
    echo "# net.core.optmem_max is not per namespace here"
every_link IPv6 -6 ff12::5:5 "[ff12::5:5]:5000"

# --- 7: an interface that cannot be joined is named once, with why -----
# Five descriptors: 0-2 (those above, inherited from the test's runner,
# closed), the first socket (20 memberships) and a second one (20 more);
# the third cannot be opened. Every interface is joined or named, not
# both, and none twice.
ip netns exec "$h2" bash -c 'for f in /proc/$$/fd/*; do
        f=${f##*/}
        [ "$f" -gt 2 ] && eval "exec $f>&-"
    done
    ulimit -n 5 && exec "$0" recv --duration 30 239.5.5.7:5007' "$MCDISC" \
    >"$tmp/few.out" 2>"$tmp/few.err" &
few_pid=$!
wait_for "$tmp/few.err" "skipping it" 10
both="" neither="" twice="" named=0
for i in $ifaces; do
    n=$(grep -c "cannot join 239.5.5.7:5007 on $i, skipping it" "$tmp/few.err")
    j=$(lab_exec 2 ip -4 maddr show dev "$i" | grep -c 239.5.5.7)
    named=$((named + n))
    [ "$n" -gt 1 ] && twice="$twice $i"
    [ "$n" -ge 1 ] && [ "$j" -ge 1 ] && both="$both $i"
    [ "$n" -eq 0 ] && [ "$j" -eq 0 ] && neither="$neither $i"
done
kill -TERM "$few_pid"
wait "$few_pid"
echo "# $named interfaces named as skipped"
t_check "some interfaces skipped for want of descriptors ($named)" test "$named" -ge 1
t_check "every interface joined or named (neither:${neither:- none})" test -z "$neither"
t_check "none both joined and named (both:${both:- none})" test -z "$both"
t_check "none named twice (twice:${twice:- none})" test -z "$twice"
t_check "the reason is the kernel's" \
    grep -q "skipping it: Too many open files" "$tmp/few.err"

# --- 15 for recv: a sender of one datagram has no rate --------------------
rate_case() {
    local name=$1 count=$2 fmt=$3
    recv_bg "$name" $fmt --iface eth0 --count "$count" --duration 20 239.5.5.8:5008
    wait_group -4 239.5.5.8 eth0 "$(eval echo "\$${name}_pid")"
    lab_exec 1 "$MCDISC" send --count "$count" --rate 2 239.5.5.8:5008 >/dev/null
    eval "wait \$${name}_pid"
}
rate_case one1 1 --json
t_check "recv: one datagram, no rate (null), not 0.0/s" json one1 \
    '[.[] | select(.type == "summary")] | length == 1 and
     .[0].received == 1 and .[0].rate_pps == null and .[0].rate_Bps == null'
rate_case one1h 1 --quiet
t_check "recv: one datagram, said to have no rate ($(cat "$tmp/one1h.out"))" \
    sh -c "grep -q 'a rate needs two' '$tmp/one1h.out' && ! grep -q 'datagrams/s' '$tmp/one1h.out'"
rate_case three 3 --json
t_check "recv: 3 datagrams at 2/s, about 2 datagrams/s (2 gaps of 0.5 s)" json three \
    '[.[] | select(.type == "summary")] | .[0].received == 3 and
     .[0].rate_pps > 1.5 and .[0].rate_pps < 2.5'
t_check "no sanitizer report in recv's output" \
    sh -c "! grep -q -E 'Sanitizer|runtime error' '$tmp'/*.err"
t_done
