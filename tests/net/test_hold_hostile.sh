#!/usr/bin/env bash
# The responder under hostile traffic: a query flood, off-link and unicast queries, random garbage of
# every length. It stays within its limits, keeps answering others, and its
# memory stays flat.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${GARBAGE:?}"
lab_scratch
G=232.10.11.12
Q='Are you Espressif IOT Smart Light'

lab_up 4
lab_bg 1 "$tmp/r1.log" "$MCDISC" respond --json
r1_pid=$LAB_PID
wait_for "$tmp/r1.log" answering || { t_fail "responder started"; t_done; exit 1; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$r1_pid/status"; }
counters() { # the responder's latest counters (SIGUSR1), as JSON
    kill -USR1 "$r1_pid"
    sleep 0.3
    grep '"type":"counters"' "$tmp/r1.log" | tail -n 1
}
found_by() { # HOST: does discover on HOST list the responder?
    lab_exec "$1" "$MCDISC" discover --json --timeout 800 2>/dev/null |
        jq -e -s "any(.address == \"$(lab_ip 1)\")" >/dev/null
}
rss0=$(rss)

# 4. Flood: h2 sends the query as fast as it can for 5 s. h2's input
# counts what the responder sends it; h3 discovers meanwhile.
lab_exec 2 nft -f - <<NFT
table inet count {
    counter replies { }
    chain in {
        type filter hook input priority 0;
        ip saddr $(lab_ip 1) udp sport 3333 counter name replies
    }
}
NFT
lab_bg 2 "$tmp/flood.out" "$MCDISC" send --message "$Q" --rate 1000000 \
    --duration 5 --json "$G:3333"
flood_pid=$LAB_PID
sleep 1
t_check "flood: another host still finds the responder" found_by 3
wait "$flood_pid"
# flood.out holds send's warning (the discovery group and port) too.
sent=$(jq -R -r 'fromjson? | .sent // empty' "$tmp/flood.out")
replies=$(lab_exec 2 nft list counter inet count replies | sed -n 's/.*packets \([0-9]*\).*/\1/p')
# One reply per 50 ms (--querier-interval default) over 5 s: 101 at most.
t_check "flood: $sent queries in 5 s got $replies replies (at most 101 allowed)" \
    test "$sent" -gt 10000 -a "$replies" -ge 50 -a "$replies" -le 101
c=$(counters)
t_check "flood: counted as rate-limited" \
    sh -c "echo '$c' | jq -e '.rate_limited > 10000' >/dev/null"
t_check "flood: still answers afterwards" found_by 3

# 5. Off-link: a host on the same bridge, but with an address from another
# subnet, gets no reply; nor does a query sent by unicast.
lab_exec 4 ip addr flush dev eth0
lab_exec 4 ip addr add 192.0.2.44/24 dev eth0
lab_exec 4 ip route replace default dev eth0
lab_exec 4 "$BOOK_SENDER" $G 3333 192.0.2.44 --wait 800 >"$tmp/off.out"
t_check "off-link: a query from another subnet gets no reply" \
    sh -c "! grep -q 'len 30' '$tmp/off.out'"
t_check "off-link: counted as off-link" \
    sh -c "echo '$(counters)' | jq -e '.\"off-link\" >= 1' >/dev/null"
lab_exec 3 "$BOOK_SENDER" $G 3333 "$(lab_ip 3)" --wait 500 >"$tmp/on.out"
t_check "on-link: a query from the subnet is answered" \
    grep -q "from $(lab_ip 1):3333 len 30" "$tmp/on.out"
lab_exec 3 sh -c "printf '$Q' | socat -u - UDP4-DATAGRAM:$(lab_ip 1):3333"
sleep 0.3
t_check "unicast: a query sent to the responder's address is not answered" \
    sh -c "echo '$(counters)' | jq -e '.\"not-group\" >= 1' >/dev/null"

# 6. Garbage: random datagrams of every length for 10 s, while h3 keeps
# discovering.
lab_bg 2 "$tmp/garbage.out" "$GARBAGE" $G 3333 "$(lab_ip 2)" 10
g_pid=$LAB_PID
ok=0
for _ in 1 2 3 4 5; do
    sleep 1
    found_by 3 && ok=$((ok + 1))
done
wait "$g_pid"
t_check "garbage: the responder kept answering ($ok of 5 tries)" test "$ok" -eq 5
t_check "garbage: lengths spanned 0 to above 65000 ($(cat "$tmp/garbage.out"))" \
    sh -c "grep -q 'lengths 0-6[5-9][0-9][0-9][0-9]' '$tmp/garbage.out'"
c=$(counters)
t_check "garbage: reported as malformed" \
    sh -c "echo '$c' | jq -e '.malformed > 1000' >/dev/null"
t_check "the responder is still running" kill -0 "$r1_pid"
rss1=$(rss)
t_check "memory stayed flat: VmRSS ${rss0} kB before, ${rss1} kB after" \
    test "$((rss1 - rss0))" -le 512
kill -TERM "$r1_pid"
wait "$r1_pid"
t_check "the responder exits 0 on SIGTERM" test $? -eq 0
t_done
