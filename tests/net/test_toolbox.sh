#!/usr/bin/env bash
# `mcdisc send` and `mcdisc recv` in the lab: counting, loss, group and source separation,
# IPv6 scopes, interop with socat and iperf2, and bad input.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch

lab_up 3
# recv_bg HOST NAME ARGS...: start `mcdisc recv --json ARGS` on HOST, output
# in $tmp/NAME.json; wait until it has joined.
recv_bg() {
    local h=$1 name=$2
    shift 2
    lab_bg "$h" "$tmp/$name.json" "$MCDISC" recv --json "$@"
    eval "${name}_pid=$LAB_PID"
    sleep 0.3
}
# recv_done NAME: wait for it to end by itself; its exit code in $rc.
recv_done() {
    eval "wait \$${1}_pid"
    rc=$?
}
summary() { jq -c -s "[.[] | select(.type==\"summary\")]$2" "$tmp/$1.json"; }

# 1. 1000 datagrams, none lost.
recv_bg 2 one --count 1000 --duration 20 239.1.1.1:5000
lab_exec 1 "$MCDISC" send --count 1000 --rate 2000 --json 239.1.1.1:5000 >"$tmp/send1.json"
recv_done one
t_check "recv exits 0 after --count 1000 datagrams" test "$rc" -eq 0
t_jq "send reports 1000 sent" '.[0].sent == 1000 and .[0].type == "send_summary"' "$tmp/send1.json"
t_jq "recv: 1000 received from one sender, 0 lost, 0 duplicated, 0 reordered" \
    '[.[] | select(.type=="summary")] | length == 1 and (.[0] | .received == 1000 and .unique == 1000 and .lost == 0 and .duplicates == 0 and .reordered == 0 and .first_seq == 0 and .last_seq == 999)' \
    "$tmp/one.json"
t_jq "recv: each datagram shown with its source, group, interface and sequence" \
    "[.[] | select(.type==\"datagram\" and .from==\"$(lab_ip 1)\" and .group==\"239.1.1.1\" and .port==5000 and .iface==\"eth0\" and .size==64)] | length == 1000 and (map(.seq) | sort == [range(1000)])" \
    "$tmp/one.json"

# Loss: nftables on the receiving host drops about 10% of the datagrams at
# random as they come in (this kernel has no netem; nftables counts exactly
# what it dropped).
lab_exec 2 nft -f - <<'NFT'
table inet mcdloss {
    chain in {
        type filter hook input priority 0;
        udp dport 5001 numgen random mod 10 == 0 counter drop
    }
}
NFT
recv_bg 2 loss --duration 4 239.1.1.1:5001
lab_exec 1 "$MCDISC" send --count 2000 --rate 2000 239.1.1.1:5001 >/dev/null
recv_done loss
dropped=$(lab_exec 2 nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
lost=$(summary loss '[0].lost')
recvd=$(summary loss '[0].unique')
t_check "loss: nftables dropped some ($dropped of 2000)" test "${dropped:-0}" -gt 50
t_check "loss: recv reports $lost lost, nftables dropped $dropped (equal but for drops after the last datagram received)" \
    test "$lost" -le "$dropped" -a "$((dropped - lost))" -le 10 -a "$((recvd + dropped))" -eq 2000
lab_exec 2 nft delete table inet mcdloss

# A local firewall refusing some datagrams: counted, and the sender goes on.
lab_exec 1 nft -f - <<'NFT'
table inet mcdfw {
    chain out {
        type filter hook output priority 0;
        udp dport 5012 numgen random mod 4 == 0 counter drop
    }
}
NFT
lab_exec 1 "$MCDISC" send --count 400 --rate 4000 --json 239.1.1.1:5012 >"$tmp/fw.json"
rc=$?
refused=$(lab_exec 1 nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
t_check "send exits 0 though a local firewall refused some datagrams" test "$rc" -eq 0
t_jq "send reports the $refused datagrams the firewall refused" \
    ".[0].sent == 400 and .[0].refused == $refused and $refused > 0" "$tmp/fw.json"
lab_exec 1 nft delete table inet mcdfw

# 2. Two receivers of two groups on one port, on one host.
recv_bg 2 ga --duration 2 239.1.1.10:5002
recv_bg 2 gb --duration 2 239.1.1.11:5002
# Four runs per group, each from a new source port: a kernel that hands
# datagrams to sockets by hash (SO_REUSEPORT) cannot pass this by luck.
for _ in 1 2 3 4; do
    lab_exec 1 "$MCDISC" send --count 5 --rate 500 239.1.1.10:5002 >/dev/null
    lab_exec 1 "$MCDISC" send --count 6 --rate 500 239.1.1.11:5002 >/dev/null
done
recv_done ga
recv_done gb
t_jq "group A's receiver sees its 20 datagrams and nothing of group B" \
    '[.[] | select(.type=="datagram")] | length == 20 and all(.group == "239.1.1.10")' "$tmp/ga.json"
t_jq "group B's receiver sees its 24 datagrams and nothing of group A" \
    '[.[] | select(.type=="datagram")] | length == 24 and all(.group == "239.1.1.11")' "$tmp/gb.json"

# 3. Source-specific: h1 and h3 send to one group; the receiver asked for h1.
ssm() { # FAMILY GROUP SOURCE-H1 OTHER-ARGS
    local name=$1 group=$2 src=$3
    recv_bg 2 "$name" --duration 2 --source "$src" "$group"
    lab_exec 1 "$MCDISC" send --count 10 --rate 100 "$group" >/dev/null
    lab_exec 3 "$MCDISC" send --count 10 --rate 100 "$group" >/dev/null
    recv_done "$name"
    t_jq "SSM $group: only the 10 datagrams from $src" \
        "[.[] | select(.type==\"datagram\")] | length == 10 and all(.from == \"$src\")" \
        "$tmp/$name.json"
}
ssm ssm4 232.1.1.1:5003 "$(lab_ip 1)"
ssm ssm6 "[ff3e::8000:1]:5003" "$(lab_ip6 1)"
recv_bg 2 asm --duration 2 239.1.1.20:5004
lab_exec 1 "$MCDISC" send --count 10 --rate 100 239.1.1.20:5004 >/dev/null
lab_exec 3 "$MCDISC" send --count 10 --rate 100 239.1.1.20:5004 >/dev/null
recv_done asm
t_jq "without --source both senders are seen, as two flows" \
    '[.[] | select(.type=="summary")] | length == 2' "$tmp/asm.json"

# 4. IPv6 link-local and site-local groups with the interface named.
for g in "[ff02::1234%eth0]:5005" "[ff05::1234]:5006"; do
    recv_bg 2 v6 --duration 2 --iface eth0 "$g"
    lab_exec 1 "$MCDISC" send --count 5 --rate 100 --iface eth0 "$g" >/dev/null
    recv_done v6
    t_jq "IPv6 $g: 5 datagrams, none lost" \
        '[.[] | select(.type=="summary")] | length == 1 and .[0].received == 5 and .[0].lost == 0' \
        "$tmp/v6.json"
done

# A sender that restarts is seen as such.
recv_bg 2 rs --duration 2 239.1.1.30:5007
lab_exec 1 "$MCDISC" send --count 5 --rate 100 239.1.1.30:5007 >/dev/null
lab_exec 1 "$MCDISC" send --count 5 --rate 100 239.1.1.30:5007 >/dev/null
recv_done rs
t_jq "a sender run twice shows as a restart" \
    '[.[] | select(.type=="summary")] | length == 2 and .[1].restarted == true and .[0].restarted == false' \
    "$tmp/rs.json"

# 5. Interop with independent peers.
recv_bg 2 socat_in --duration 2 239.1.1.40:5008
lab_exec 1 sh -c "printf 'hello from socat' | socat -u - \
    UDP4-DATAGRAM:239.1.1.40:5008,ip-multicast-if=$(lab_ip 1),ip-multicast-ttl=1"
recv_done socat_in
t_jq "socat's datagram is received and shown by mcdisc recv" \
    '[.[] | select(.type=="datagram")] | length == 1 and .[0].preview == "hello from socat" and .[0].size == 16' \
    "$tmp/socat_in.json"
lab_bg 2 "$tmp/socat.log" timeout 5 socat -u \
    "UDP4-RECV:5009,reuseaddr,ip-add-membership=239.1.1.41:eth0" "OPEN:$tmp/socat.out,creat"
sleep 0.3
lab_exec 1 "$MCDISC" send --count 1 --message "hello socat" 239.1.1.41:5009 >/dev/null
for _ in $(seq 1 30); do [ -s "$tmp/socat.out" ] && break; sleep 0.1; done
t_check "socat receives the raw bytes of mcdisc send --message" \
    grep -qx "hello socat" "$tmp/socat.out"
recv_bg 2 iperf --duration 3 239.1.1.42:5010
lab_exec 1 iperf -c 239.1.1.42 -p 5010 -u -T 1 -t 1 -b 800k -l 200 >"$tmp/iperf.out" 2>&1
recv_done iperf
t_jq "iperf2 multicast traffic is counted by mcdisc recv" \
    '[.[] | select(.type=="summary")] | length == 1 and .[0].received > 100 and .[0].probe == false and (.[0].bytes == .[0].received * 200)' \
    "$tmp/iperf.json"

# --quiet: the summary only. --verbose on send: the interface's state.
recv_bg 2 quiet --duration 1.5 --quiet 239.1.1.50:5013
lab_exec 1 "$MCDISC" send --count 3 --rate 100 --verbose 239.1.1.50:5013 \
    >/dev/null 2>"$tmp/verbose.err"
recv_done quiet
t_jq "recv --quiet prints one summary and no datagram" \
    'length == 1 and .[0].type == "summary" and .[0].received == 3' "$tmp/quiet.json"
t_check "send --verbose prints the interface's multicast state" \
    sh -c "grep -q 'diag: eth0 (index [0-9]*): up, MULTICAST flag set' '$tmp/verbose.err' &&
           grep -q 'rp_filter' '$tmp/verbose.err'"

# Nothing arrives: exit 1 and the diagnosis.
lab_exec 2 "$MCDISC" recv --duration 0.5 239.1.1.99:5011 >"$tmp/none.out" 2>"$tmp/none.err"
rc=$?
t_check "recv with nothing arriving exits 1" test "$rc" -eq 1
t_check "... and prints rp_filter, IGMP version, membership and route" \
    sh -c "grep -q rp_filter '$tmp/none.err' && grep -q 'IGMP version' '$tmp/none.err' &&
           grep -q 'holds a membership of 239.1.1.99' '$tmp/none.err' && grep -q 'route for' '$tmp/none.err'"

# 6. Bad input: one line, exit 2.
mc1() { lab_exec 1 timeout 5 "$MCDISC" "$@"; } # for expect_error
expect_error "recv: invalid group" "'239.1.1' is not a group" mc1 recv 239.1.1
expect_error "recv: unicast address as group" "'198.18.0.9:5000' is not a multicast group" mc1 recv 198.18.0.9:5000
expect_error "recv: port out of range" "port must be 1-65535" mc1 recv 239.1.1.1:70000
expect_error "recv: unknown interface" "'nosuch0': no such interface" mc1 recv --iface nosuch0 239.1.1.1
expect_error "recv: source of another family" "not of one family" mc1 recv --source 2001:db8::1 239.1.1.1
expect_error "send: invalid group" "is not a group" mc1 send 'ff02::1::2'
expect_error "send: unicast group" "is not a multicast group" mc1 send 198.18.0.9
expect_error "send: port out of range" "port must be 1-65535" mc1 send 239.1.1.1:0
expect_error "send: unknown interface" "'nosuch0': no such interface" mc1 send --iface nosuch0 239.1.1.1
expect_error "send: rate 0" "--rate: '0' is not a number in 0.001-10000000" mc1 send --rate 0 239.1.1.1
expect_error "send: negative size" "--size: '-5' is not a number" mc1 send --size -5 239.1.1.1
expect_error "send: size below the header" "--size: '10' is not a number in 32-65507" mc1 send --size 10 239.1.1.1
expect_error "send: no group" "which group" mc1 send
t_done
