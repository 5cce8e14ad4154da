#!/usr/bin/env bash
# The command line tells the truth in the lab: lost output is an error, a closed stderr never becomes a
# socket, recv says which senders it did not track and what it can and
# cannot know when nothing arrives, text from the network is escaped, and
# send's rate has no fencepost.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
command -v jq >/dev/null || lab_die "FAIL: jq is missing (scripts/deps.sh)"
command -v python3 >/dev/null || lab_die "FAIL: python3 is missing"
lab_scratch
lab_up 3

# recv_bg HOST NAME ARGS... GROUP:PORT: `mcdisc recv ARGS` on HOST, stdout
# in $tmp/NAME.out, stderr in $tmp/NAME.err; waits until it has joined.
recv_bg() {
    local h=$1 name=$2
    shift 2
    ip netns exec "$(lab_ns "$h")" "$MCDISC" recv "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" &
    eval "${name}_pid=$!"
    wait_joined "$h" "${!#}"
}
# wait_joined HOST A.B.C.D[:PORT]: until HOST's kernel holds a membership
# of the group (/proc/net/igmp writes it as little-endian hex).
wait_joined() {
    local h=$1 g=${2%%:*} i hex
    hex=$(echo "$g" | awk -F. '{printf "%02X%02X%02X%02X", $4, $3, $2, $1}')
    for i in $(seq 1 200); do
        lab_exec "$h" grep -q "$hex" /proc/net/igmp && return 0
        sleep 0.05
    done
    echo "host $h never joined $g" >&2
    return 1
}
recv_done() {
    eval "wait \$${1}_pid"
    rc=$?
}

# --- 6: output that cannot be written is an error ----------------------
lab_bg 1 "$tmp/resp.log" "$MCDISC" respond --name lamp
resp_pid=$LAB_PID
wait_for "$tmp/resp.log" "answering" 10
for redir in full closed; do
    for fmt in --json ""; do
        if [ "$redir" = full ]; then
            lab_exec 2 "$MCDISC" discover $fmt --count 1 --timeout 2000 >/dev/full 2>"$tmp/d.err"
        else
            lab_exec 2 "$MCDISC" discover $fmt --count 1 --timeout 2000 >&- 2>"$tmp/d.err"
        fi
        rc=$?
        t_check "discover $fmt with a $redir stdout: exit 2 and says so ($(grep cannot "$tmp/d.err"))" \
            sh -c "[ $rc -eq 2 ] && grep -q 'discover: cannot write the output' '$tmp/d.err'"
    done
done
lab_exec 2 "$MCDISC" discover --count 1 --timeout 2000 >"$tmp/d.out" 2>"$tmp/d.err"
rc=$?
t_check "discover with a writable stdout still exits 0" test "$rc" -eq 0
lab_exec 1 "$MCDISC" send --count 1 239.1.1.2:5000 >/dev/full 2>"$tmp/s.err"
rc=$?
t_check "send to /dev/full: exit 2 and says so" \
    sh -c "[ $rc -eq 2 ] && grep -q 'send: cannot write the output' '$tmp/s.err'"
ip netns exec "$(lab_ns 2)" sh -c 'exec "$0" recv --count 1 --duration 5 239.1.1.4:5000 >/dev/full 2>"$1"' \
    "$MCDISC" "$tmp/rf.err" &
rf_pid=$!
wait_joined 2 239.1.1.4
lab_exec 1 "$MCDISC" send --count 3 --rate 20 239.1.1.4:5000 >/dev/null
wait $rf_pid
rc=$?
t_check "recv to /dev/full: exit 2 and says so ($(cat "$tmp/rf.err"))" \
    sh -c "[ $rc -eq 2 ] && grep -q 'recv: cannot write the output' '$tmp/rf.err'"

# A closed stderr must not become the socket's descriptor.
ip netns exec "$(lab_ns 2)" sh -c 'exec "$0" recv --duration 3 239.1.1.5:5000 >/dev/null 2>&-' \
    "$MCDISC" &
cl_pid=$!
wait_joined 2 239.1.1.5
fd2=$(readlink "/proc/$cl_pid/fd/2")
t_check "recv started with 2>&-: descriptor 2 is /dev/null, not a socket ($fd2)" \
    test "$fd2" = /dev/null
kill "$cl_pid" 2>/dev/null
wait "$cl_pid" 2>/dev/null

# --- 15: send's rate, and the discovery port ---------------------------
lab_exec 1 "$MCDISC" send --count 3 --rate 2 --json 239.1.1.6:5000 >"$tmp/r3.json"
t_jq "send -c 3 -r 2 reports about 2 datagrams/s (3 sent over 2 gaps of 0.5 s)" \
    '.[0].sent == 3 and .[0].rate_pps > 1.5 and .[0].rate_pps < 2.5' "$tmp/r3.json"
lab_exec 1 "$MCDISC" send --count 1 --json 239.1.1.6:5000 >"$tmp/r1.json"
t_jq "send -c 1 reports no rate (null), not thousands per second" \
    '.[0].sent == 1 and .[0].rate_pps == null and .[0].rate_Bps == null' "$tmp/r1.json"
lab_exec 1 "$MCDISC" send --count 1 239.1.1.6:5000 >"$tmp/r1.out"
t_check "...and in words: $(cat "$tmp/r1.out")" \
    sh -c "grep -q 'a rate needs two' '$tmp/r1.out' && ! grep -q 'datagrams/s' '$tmp/r1.out'"
lab_exec 1 "$MCDISC" send --count 1 --message 'not a query' 232.10.11.12 >/dev/null 2>"$tmp/w.err"
t_check "send to the discovery group and port warns ($(cat "$tmp/w.err"))" \
    grep -q 'warning: 232.10.11.12:3333 is the discovery group and port' "$tmp/w.err"
lab_exec 1 "$MCDISC" send --count 1 232.10.11.12:5000 >/dev/null 2>"$tmp/w2.err"
lab_exec 1 "$MCDISC" send --count 1 239.1.1.6:3333 >/dev/null 2>>"$tmp/w2.err"
t_check "...but not to another port or group" test ! -s "$tmp/w2.err"

# --- 13: text from the network ------------------------------------------
kill "$resp_pid" 2>/dev/null
wait "$resp_pid" 2>/dev/null
# A name with an invalid byte, U+00FF, a C1 control, bidi and invisible
# characters, a line separator and a quote.
name=$'x\xff\u00ff\xc2\x85\u202e\u2066\u200e\u200f\u2028\u200d"y'
lab_bg 1 "$tmp/resp2.log" "$MCDISC" respond --allow-amplification --name "$name"
wait_for "$tmp/resp2.log" "answering" 10
lab_exec 2 "$MCDISC" discover --json --count 1 --timeout 2000 >"$tmp/n.json" 2>/dev/null
t_jq "discover --json: the invalid byte is U+FFFD and name_hex holds the bytes; U+00FF stays itself" \
    ".[0].name == \"x\\ufffd\\u00ff\\u0085\\u202e\\u2066\\u200e\\u200f\\u2028\\u200d\\\"y\" and .[0].name_hex == \"$(printf '%s' "$name" | od -An -tx1 | tr -d ' \n')\"" \
    "$tmp/n.json"
raw=0
for seq in $'\xc2\x85' $'\u202e' $'\u2066' $'\u200e' $'\u200f' $'\u2028' $'\u200d'; do
    LC_ALL=C grep -qF "$seq" "$tmp/n.json" && raw=$((raw + 1))
done
t_check "discover --json: no C1, bidi, invisible or separator character raw ($raw)" test "$raw" -eq 0
lab_exec 2 "$MCDISC" discover --count 1 --timeout 2000 >"$tmp/n.out" 2>/dev/null
raw=0
for seq in $'\xc2\x85' $'\u202e' $'\u2066' $'\u200e' $'\u200f' $'\u2028' $'\u200d' $'\xff'; do
    LC_ALL=C grep -qF "$seq" "$tmp/n.out" && raw=$((raw + 1))
done
t_check "discover (human): every unsafe character as \\xNN ($raw raw): $(cat "$tmp/n.out")" \
    sh -c "[ $raw -eq 0 ] && grep -qF 'x\\xff' '$tmp/n.out' && grep -qF '\\xe2\\x80\\x8f' '$tmp/n.out'"
recv_bg 2 q --count 1 --duration 5 239.1.1.7:5000
lab_exec 1 "$MCDISC" send --count 1 --message 'say "hi" \ bye' 239.1.1.7:5000 >/dev/null
recv_done q
t_check "recv's quoted preview escapes '\"' and '\\': $(head -1 "$tmp/q.out")" \
    grep -qF ': "say \x22hi\x22 \x5c bye"' "$tmp/q.out"

# --- 10: senders beyond recv's table --------------------------------------
recv_bg 2 flood --json --count 1105 --duration 20 239.1.1.60:5060
lab_exec 1 python3 - <<'PY'
import socket
for i in range(1100):  # 1100 senders: one datagram from each of 1100 ports
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 20000 + i))
    s.sendto(b"spoofed sender", ("239.1.1.60", 5060))
    s.close()
PY
lab_exec 1 "$MCDISC" send --count 5 --rate 100 239.1.1.60:5060 >/dev/null
recv_done flood
t_check "recv got all 1105 datagrams (exit $rc)" test "$rc" -eq 0
# Condensed first, so a failure shows a few lines and not 2000.
jq -c -s '{tracked: [.[] | select(.type=="summary")] | length,
    received: [.[] | select(.type=="summary") | .received] | add,
    untracked: [.[] | select(.type=="untracked")]}' "$tmp/flood.out" >"$tmp/flood.json"
t_jq "recv: 1024 senders tracked; 81 datagrams from 77 more senders reported as not tracked" \
    '.[0] | .tracked == 1024 and (.untracked | length == 1 and .[0].datagrams == 81
        and .[0].senders_at_least >= 70 and .[0].senders_at_least <= 77
        and .[0].table_size == 1024) and .received + 81 == 1105' \
    "$tmp/flood.json"
t_check "...and says so on stderr, once" test "$(grep -c 'more than 1024 senders' "$tmp/flood.err")" -eq 1

# --- 11: what recv can and cannot know when nothing arrives ---------------
br() { ip -n "$LAB_BR" link set br0 type bridge "$@"; }
# Snooping on, no querier anywhere.
br mcast_snooping 1 mcast_querier 0
lab_exec 2 "$MCDISC" recv --duration 1 239.1.1.8:5000 >/dev/null 2>"$tmp/nq.err"
t_check "no querier: recv says no IGMP query was heard, and that a short run proves nothing" \
    grep -q 'eth0: no IGMP query heard in the 1.0 s this ran; queriers send one every 125 s' "$tmp/nq.err"
t_check "...does not present the compatibility mode as proof of a querier" \
    grep -q 'compatibility mode V3: the default, also when no query was ever heard' "$tmp/nq.err"
t_check "...and says what it cannot see (a switch's snooping and querier)" \
    grep -q 'cannot see: whether a switch between here and the sender snoops' "$tmp/nq.err"
# The bridge queries every second.
br mcast_snooping 1 mcast_querier 1 mcast_query_response_interval 50 \
    mcast_startup_query_interval 100 mcast_query_interval 100
lab_exec 2 "$MCDISC" recv --duration 2.5 239.1.1.8:5000 >/dev/null 2>"$tmp/q.err"
t_check "a querier on the link: recv counts the IGMP queries it heard ($(grep -o 'eth0: [0-9]* IGMP quer[a-z]* heard[^;]*' "$tmp/q.err"))" \
    grep -qE 'eth0: [1-9][0-9]* IGMP quer(y|ies) heard in the 2\.[0-9] s this ran, the latest [0-9.]+ s ago from [0-9.]+ \(IGMPv[23]\)' "$tmp/q.err"
lab_exec 2 "$MCDISC" recv --duration 2.5 '[ff05::8]:5000' >/dev/null 2>"$tmp/q6.err"
t_check "IPv6: recv counts the MLD queries it heard ($(grep -o 'eth0: [0-9]* MLD quer[^;,]*' "$tmp/q6.err"))" \
    grep -qE 'eth0: [1-9][0-9]* MLD quer(y|ies) heard in the 2\.[0-9] s this ran, .* from fe80::[0-9a-f:]+ \(MLDv[12]\)' "$tmp/q6.err"
br mcast_snooping 0 mcast_querier 0
# A source filter.
lab_exec 2 "$MCDISC" recv --duration 0.5 --source "$(lab_ip 3)" 232.1.1.8:5000 >/dev/null 2>"$tmp/ssm.err"
t_check "with --source: recv names the filter" \
    grep -q "source filter: only datagrams from $(lab_ip 3) (source-specific join" "$tmp/ssm.err"
# A bridge in recv's own namespace: its snooping state is known.
lab_exec 3 sh -c 'ip link add brl type bridge mcast_snooping 1 mcast_querier 0 &&
    ip link add v0 type veth peer name v1 && ip link set v0 master brl &&
    ip link set v0 up && ip link set v1 up &&
    ip link set brl up && ip addr add 10.77.0.1/24 dev brl' ||
    lab_die "FAIL: cannot make a bridge in host 3"
lab_exec 3 "$MCDISC" recv --duration 0.5 --iface brl 239.1.1.8:5000 >/dev/null 2>"$tmp/brl.err"
t_check "a local bridge: recv shows its snooping and querier state" \
    grep -q 'brl: bridge brl in this namespace: multicast snooping on, its own querier off' "$tmp/brl.err"
# The interface goes away while recv runs.
recv_bg 2 gone --duration 2 239.1.1.9:5000
idx=$(lab_exec 2 cat /sys/class/net/eth0/ifindex)
lab_unlink_host 2
recv_done gone
t_check "recv whose interface was deleted says so ($(grep deleted "$tmp/gone.err"))" \
    grep -q "recv: eth0 (index $idx) was deleted while recv ran" "$tmp/gone.err"

t_done
