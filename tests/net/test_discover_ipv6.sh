#!/usr/bin/env bash
# Discovery over IPv6 groups: link-local ff02::fc (the group of Espressif's
# own multicast example) and site-local ff05::fc, with interface scope:
# the book-style sender gets the reply bytes, and discover lists mcdisc
# responders and the book-style receiver at their addresses.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${BOOK_RECEIVER:?}"
lab_scratch
REPLY='"ESP32-C3 Smart Light https 443"'

lab_up 4
ll() { lab_exec "$1" ip -6 -o addr show dev eth0 scope link |
    awk '{sub(/\/.*/, "", $4); print $4}'; }

# h3 gets a second multicast-capable link (a veth pair going nowhere), so
# that a zoned group can be seen to stay on its zone.
lab_exec 3 ip link add x0 type veth peer name x1
lab_exec 3 ip link set x0 up
lab_exec 3 ip link set x1 up

for G in ff02::fc ff05::fc; do
    lab_bg 1 "$tmp/r1.log" "$MCDISC" respond --group $G --verbose
    r1_pid=$LAB_PID
    lab_bg 2 "$tmp/b2.log" "$BOOK_RECEIVER" $G 3333 eth0
    b2_pid=$LAB_PID
    wait_for "$tmp/r1.log" answering && wait_for "$tmp/b2.log" ready ||
        { t_fail "$G: devices started"; continue; }
    if [ $G = ff02::fc ]; then
        a1="$(ll 1)%eth0"
        a2="$(ll 2)%eth0"
        a1_book="$(ll 1)"
    else
        a1=$(lab_ip6 1)
        a2=$(lab_ip6 2)
        a1_book=$a1
    fi

    # The book-style sender, over IPv6, gets the chapter's bytes from h1.
    lab_exec 4 "$BOOK_SENDER" $G 3333 eth0 --wait 800 >"$tmp/s4.out"
    t_check "$G: book sender gets the 30 reply bytes from mcdisc respond" \
        grep -q "^from \[$a1_book\]:3333 len 30 $REPLY\$" "$tmp/s4.out"

    lab_exec 3 "$MCDISC" discover --group $G --json --timeout 1000 \
        >"$tmp/d3.json" 2>"$tmp/d3.err"
    t_check "$G: discover exits 0" test $? -eq 0
    t_jq "$G: finds mcdisc respond on h1 at $a1" \
        "any(.address==\"$a1\" and .name==\"ESP32-C3 Smart Light\" and .service_port==443 and .iface==\"eth0\")" "$tmp/d3.json"
    t_jq "$G: finds the book-style receiver on h2 at $a2" \
        "any(.address==\"$a2\" and .port==3333)" "$tmp/d3.json"
    t_jq "$G: lists exactly those two" 'length == 2' "$tmp/d3.json"
    t_check "$G: the responder logged the query as answered on eth0" \
        grep -q "\-> $G on eth0, 33 bytes: answered" "$tmp/r1.log"

    # A zoned group, no --iface: the query goes out on the zone only.
    lab_bg 3 "$tmp/x1.log" tcpdump -i x1 -n -U --immediate-mode -w "$tmp/x1.pcap" udp port 3333
    tcpdump_pid=$LAB_PID
    wait_for "$tmp/x1.log" "listening on" >/dev/null ||
        t_fail "$G: capture on x1 started"
    lab_exec 3 "$MCDISC" discover --group "$G%eth0" --timeout 800 \
        >"$tmp/d3.txt" 2>/dev/null
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid"
    t_check "$G%eth0: the zoned group finds both devices on eth0" \
        test "$(grep -c ' eth0 ' "$tmp/d3.txt")" -eq 2
    t_check "$G%eth0: nothing was sent on h3's other link" \
        test "$(tcpdump -r "$tmp/x1.pcap" 2>/dev/null | wc -l)" -eq 0
    # Without the zone, discover uses every usable link: x0 too.
    lab_bg 3 "$tmp/x1b.log" tcpdump -i x1 -n -U --immediate-mode -w "$tmp/x1b.pcap" udp port 3333
    tcpdump_pid=$LAB_PID
    wait_for "$tmp/x1b.log" "listening on" >/dev/null ||
        t_fail "$G: second capture on x1 started"
    lab_exec 3 "$MCDISC" discover --group "$G" --timeout 500 >/dev/null 2>&1
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid"
    t_check "$G: without a zone the query goes out on h3's other link too" \
        test "$(tcpdump -r "$tmp/x1b.pcap" 2>/dev/null | wc -l)" -gt 0

    kill -TERM "$r1_pid" "$b2_pid"
    wait "$r1_pid"
    t_check "$G: the responder exits 0 on SIGTERM" test $? -eq 0
    wait "$b2_pid" 2>/dev/null
done

# A zoned group on the responder joins on the zone only.
lab_bg 3 "$tmp/r3.log" "$MCDISC" respond --group ff02::fc%eth0
r3_pid=$LAB_PID
wait_for "$tmp/r3.log" answering >/dev/null || t_fail "zoned responder started"
t_check "respond --group ff02::fc%eth0 joins on eth0" \
    sh -c "ip netns exec $(lab_ns 3) cat /proc/net/igmp6 | grep -q 'eth0 *ff0200000000000000000000000000fc'"
t_check "respond --group ff02::fc%eth0 does not join on x0" \
    sh -c "! ip netns exec $(lab_ns 3) cat /proc/net/igmp6 | grep -q 'x0 *ff0200000000000000000000000000fc'"
kill -TERM "$r3_pid"
wait "$r3_pid"
t_done
