#!/usr/bin/env bash
# diag with long interface names sharing a prefix: the kernel prints the
# name cut to 6 characters in /proc/net/mcfilter(6) ("%6.6s") and runs it
# into the colon in /proc/net/igmp ("%-10s:") from 10 characters on, so
# `mcdisc diag` and recv's diagnosis tell interfaces apart by index.
# Host 1 holds a veth pair vethlongprefixa/b (15 characters, one prefix)
# and vethlo (the 6 characters mcfilter shows of them): source-specific
# joins (IPv4 and IPv6) on a, an any-source join on b, none on vethlo.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
A=vethlongprefixa B=vethlongprefixb C=vethlo
SSM=232.1.2.3 SRC=198.18.0.9 ASM=239.1.2.4 SSM6=ff3e::1234 SRC6=2001:db8::9

lab_up 1
ip -n "$(lab_ns 1)" link add $A type veth peer name $B &&
    ip -n "$(lab_ns 1)" addr add 10.9.0.1/24 dev $A &&
    ip -n "$(lab_ns 1)" addr add 10.9.1.1/24 dev $B &&
    ip -n "$(lab_ns 1)" link set $A up &&
    ip -n "$(lab_ns 1)" link set $B up &&
    ip -n "$(lab_ns 1)" link add $C type veth peer name vethlp &&
    ip -n "$(lab_ns 1)" link set $C up ||
    { t_fail "veth pairs $A/$B and $C in host 1"; t_done; exit 1; }

lab_bg 1 "$tmp/r_a.log" "$MCDISC" recv --quiet --duration 60 --iface $A \
    --source $SRC $SSM:5000
ra=$LAB_PID
lab_bg 1 "$tmp/r_a6.log" "$MCDISC" recv --quiet --duration 60 --iface $A \
    --source $SRC6 "[$SSM6]:5000"
ra6=$LAB_PID
lab_bg 1 "$tmp/r_b.log" "$MCDISC" recv --quiet --duration 60 --iface $B \
    $ASM:5000
rb=$LAB_PID
joined() { # the three joins, as the kernel shows them
    lab_exec 1 cat /proc/net/mcfilter /proc/net/mcfilter6 /proc/net/igmp \
        >"$tmp/proc.txt" 2>&1
    grep -q "0x$(printf %02x ${SSM//./ })" "$tmp/proc.txt" &&
        grep -q "ff3e0000000000000000000000001234" "$tmp/proc.txt" &&
        grep -q "040201EF" "$tmp/proc.txt" # 239.1.2.4: the raw word, x86
}
tries=0
until joined || [ "$tries" -ge 100 ]; do tries=$((tries + 1)); sleep 0.1; done
if joined; then
    t_ok "the joins are in the kernel's tables"
else
    t_fail "the joins are in the kernel's tables"
    sed 's/^/#   | /' "$tmp/proc.txt" "$tmp"/r_*.log
fi

lab_exec 1 "$MCDISC" diag --json $A >"$tmp/a.json"
lab_exec 1 "$MCDISC" diag --json $B >"$tmp/b.json"
lab_exec 1 "$MCDISC" diag --json $C >"$tmp/c.json"
t_jq "$A: its IGMP record (a 15-character name in /proc/net/igmp)" \
    "any(.kind == \"igmp\" and .iface == \"$A\" and (.version | test(\"^V\")))" \
    "$tmp/a.json"
t_jq "$A: the membership of $SSM, source-specific (include)" \
    "any(.kind == \"membership\" and .group == \"$SSM\" and .mode == \"include\")" \
    "$tmp/a.json"
t_jq "$A: the source $SRC of $SSM" \
    "any(.kind == \"source\" and .group == \"$SSM\" and .source == \"$SRC\" and .mode == \"include\")" \
    "$tmp/a.json"
t_jq "$A: the IPv6 source $SRC6 of $SSM6 (/proc/net/mcfilter6)" \
    "any(.kind == \"source\" and .group == \"$SSM6\" and .source == \"$SRC6\" and .mode == \"include\")" \
    "$tmp/a.json"
t_jq "$A: the membership of $SSM6, source-specific (include)" \
    "any(.kind == \"membership\" and .group == \"$SSM6\" and .mode == \"include\")" \
    "$tmp/a.json"
t_jq "$B: the membership of $ASM, any-source (exclude), and not $A's" \
    "any(.kind == \"membership\" and .group == \"$ASM\" and .mode == \"exclude\") and all(.group != \"$SSM\" and .group != \"$SSM6\")" \
    "$tmp/b.json"
t_jq "$B: no source of $A's joins" 'all(.kind != "source")' "$tmp/b.json"
t_jq "$C (what mcfilter shows of $A's name): none of $A's joins" \
    "all(.kind != \"source\" and .group != \"$SSM\" and .group != \"$SSM6\")" \
    "$tmp/c.json"

# recv's diagnosis when nothing arrives reads /proc/net/igmp too.
lab_exec 1 "$MCDISC" recv --duration 1 --iface $A 239.1.2.5:5000 \
    >/dev/null 2>"$tmp/recv.err"
t_check "recv's diagnosis on $A: the kernel holds the membership" \
    grep -q "$A: the kernel holds a membership of 239.1.2.5" "$tmp/recv.err"
t_check "recv's diagnosis on $A: the IGMP mode read from /proc/net/igmp" \
    grep -q "$A: IGMP version .*compatibility mode V[123]" "$tmp/recv.err"

kill -TERM $ra $ra6 $rb
wait $ra $ra6 $rb
t_done
