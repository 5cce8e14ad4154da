#!/usr/bin/env bash
# `mcdisc recv` follows its links as the responder does: after the
# interface it joined on is deleted and created again (a new index, the
# kernel's membership gone with the old device), it joins again, on every
# usable interface (the default) and on one named with --iface, and the
# datagrams sent after that arrive.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch

lab_up 2
h2=$(lab_ns 2)

# recv_bg NAME ARGS...: `mcdisc recv ARGS` on h2, output in NAME.out and
# NAME.err, its pid in NAME_pid.
recv_bg() {
    local name=$1
    shift
    ip netns exec "$h2" "$MCDISC" recv "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    eval "${name}_pid=$!"
}
# joined GROUP: h2's kernel holds GROUP on eth0 (within 5 s).
joined() {
    local i
    for i in $(seq 1 100); do
        lab_exec 2 ip -4 maddr show dev eth0 2>/dev/null | grep -q "$1" && return 0
        sleep 0.05
    done
    return 1
}
# received NAME N: NAME.out holds N datagrams (within 5 s).
received() {
    local i
    for i in $(seq 1 100); do
        [ "$(jq -s '[.[] | select(.type == "datagram")] | length' \
            "$tmp/$1.out" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
send3() { lab_exec 1 "$MCDISC" send --count 3 --rate 100 "$1" >/dev/null; }

recv_bg auto --json --count 6 --duration 30 239.5.5.9:5009
recv_bg named --json --count 6 --duration 30 --iface eth0 239.5.5.10:5010
t_check "the default receiver joined on eth0" joined 239.5.5.9
t_check "the --iface receiver joined on eth0" joined 239.5.5.10
send3 239.5.5.9:5009
send3 239.5.5.10:5010
t_check "before: the default receiver got 3 datagrams" received auto 3
t_check "before: the --iface receiver got 3 datagrams" received named 3

old_idx=$(lab_exec 2 ip -o link show dev eth0 | cut -d: -f1)
lab_unlink_host 2
sleep 0.3
lab_link_host 2
new_idx=$(lab_exec 2 ip -o link show dev eth0 | cut -d: -f1)
echo "# h2: eth0 was index $old_idx, is now $new_idx"
t_check "re-created: the default receiver joined again" joined 239.5.5.9
t_check "re-created: the --iface receiver joined again" joined 239.5.5.10
send3 239.5.5.9:5009
send3 239.5.5.10:5010
for r in auto named; do
    eval "pid=\$${r}_pid"
    wait "$pid"
    rc=$?
    t_check "$r: exits 0 after 6 datagrams (exit $rc)" test "$rc" -eq 0
    t_jq "$r: 3 datagrams arrived after the re-creation" \
        '[.[] | select(.type == "datagram")] | length == 6' "$tmp/$r.out"
done
t_check "no sanitizer report in recv's output" \
    sh -c "! grep -q -E 'Sanitizer|runtime error' '$tmp'/*.err"
t_done
