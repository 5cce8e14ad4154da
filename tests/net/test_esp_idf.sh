#!/usr/bin/env bash
# The example firmware (examples/esp-idf) built by ESP-IDF itself for its
# linux target (scripts/esp_idf.sh: ESP-IDF v5.4's CMake, lwIP, esp_netif and
# event loop), running in a lab host over tap0 bridged to the lab:
#  - mcdisc discover finds it with its configured name, protocol and port;
#    the chapter's sender gets the chapter's reply byte for byte;
#  - with lwIP's IP_PKTINFO a query sent to its own address is refused;
#  - IPv6 (CONFIG_MCDISC_IPV6): it answers on its link-local address too,
#    queries to the devices' IPv6 group ff02::e80a:b0c: mcdisc discover
#    -g ff02::e80a:b0c%eth0 finds it with its name, protocol and port; a
#    1400-byte datagram (cut by lwIP) and an empty one leave it answering
#    (the link-local rule: unit_lwip_port6, where a reply could be sent);
#  - its address moves into another subnet (esp_netif_set_ip_info and
#    IP_EVENT_STA_GOT_IP, as a DHCP renewal): a querier there is answered
#    within 2 s, one left on the old subnet is not;
#  - a disconnect (IP_EVENT_STA_LOST_IP) pauses it; the reconnect with the
#    same address answers again, and lwIP's IGMP report is on the wire again;
#  - the extension (docs/PROTOCOL.md): an extended query gets the extended
#    reply with the query's nonce, the id = EUI-64 of the MAC the firmware
#    sends from, and the TXT pair of Kconfig; a query whose KNOWN filter
#    holds that id gets nothing;
#  - the live view: mcdisc watch (started first, on the subnet the device
#    moves to) sees the firmware new by its announcement on start, an
#    update on the new address within 2 s of the move (the announcement
#    on IP_EVENT_STA_GOT_IP), and gone (goodbye) on mcdisc_app_stop();
#    extended replies carry LIFETIME (CONFIG_MCDISC_LIFETIME, 120);
#  - a second configuration (other reply, group and port; lwIP without
#    SO_REUSE and IP_PKTINFO; the chapter's exchange only; IPv4 only)
#    opens and answers, and ignores an extended query.
# The firmware's network events come from its board file's test hook
# (MCDISC_EXAMPLE_CONTROL, main/board_linux.c). The build needs the ESP-IDF
# bundle (ESP_IDF_BUNDLE, default ../shared/esp-idf) or IDF_PATH: without
# them, or without a tool, this test fails naming the fix.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${EXT_QUERY:?}" "${ESP_IDF_OUT:?build directory for scripts/esp_idf.sh}"
lab_scratch
DEV=198.18.0.100
NEW=198.19.5.100
REPLY='"ESP32-C3 Smart Light https 443"'
G6=ff02::e80a:b0c
hexof() { od -An -tx1 -v | tr -d ' \n'; }

# The build: incremental after the first run, ~15 s from scratch.
if ! "$here/../../scripts/esp_idf.sh" linux "$ESP_IDF_OUT" >"$tmp/build.log" 2>&1; then
    t_fail "ESP-IDF builds the example for the linux target: $(grep 'esp_idf:' "$tmp/build.log" | tail -n 1)"
    sed 's/^/#   | /' "$tmp/build.log" | tail -n 20
    t_done
    exit 1
fi
t_ok "ESP-IDF builds the example for the linux target, two configurations"

lab_up 4
# Host 3 is the device's wire: eth0 and tap0 on a bridge of its own, with
# no address (lwIP on tap0 is the only stack there). Host 1 stays on the
# lab's subnet; host 2 moves to the subnet the device will move to; host
# 4, the watcher, is on both (a watcher takes announcements only from
# sources on its link's prefixes, as discover takes replies).
h3=$(lab_ns 3)
ip -n "$h3" addr flush dev eth0
ip -n "$h3" link add devbr type bridge mcast_snooping 0
ip -n "$h3" link set eth0 master devbr
ip -n "$h3" tuntap add tap0 mode tap
ip -n "$h3" link set tap0 master devbr up
ip -n "$h3" link set devbr up
ip -n "$(lab_ns 2)" addr flush dev eth0
ip -n "$(lab_ns 2)" addr add 198.19.5.2/24 dev eth0
ip -n "$(lab_ns 2)" route replace default dev eth0
ip -n "$(lab_ns 4)" addr add 198.19.5.4/24 dev eth0

lab_bg 1 "$tmp/cap.log" tcpdump -i eth0 -n -U --immediate-mode -w "$tmp/igmp.pcap" igmp
cap_pid=$LAB_PID
wait_for "$tmp/cap.log" "listening on" >/dev/null

: >"$tmp/ctl"
ctl() { echo "$*" >>"$tmp/ctl"; }
# Start a build's firmware in host 3; wait until it answers on $2.
fw_start() {
    ip netns exec "$h3" env MCDISC_EXAMPLE_CONTROL="$tmp/ctl" "$1" </dev/null >"$tmp/fw.log" 2>&1 &
    fw_pid=$!
    wait_for "$tmp/fw.log" "answering on $2" 20
}
fw_stop() {
    kill -TERM "$fw_pid" 2>/dev/null
    wait "$fw_pid" 2>/dev/null
}
reports() {
    tcpdump -r "$tmp/igmp.pcap" -n 2>/dev/null | grep -c "$1 > .*: igmp v[23] report"
}
# A query sent by unicast to HOST:PORT from lab host I: prints the replies.
unicast_ask() {
    lab_exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(b"Are you Espressif IOT Smart Light", (sys.argv[1], int(sys.argv[2])))
try:
    while True:
        data, peer = s.recvfrom(2048)
        print("from %s:%d %r" % (peer[0], peer[1], data))
except socket.timeout:
    pass' "$2" "$3"
}

# IPv6 from lab host 1 to the group on eth0, from SRC (an address of
# host 1, link-local): datagrams of the sizes given
# (0: empty; 33: the query, any other: that many bytes of junk), in order;
# prints the replies.
v6_ask() {
    lab_exec 1 python3 -c '
import socket, sys
idx = socket.if_nametoindex("eth0")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0, 0, idx))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.settimeout(1.0)
for n in map(int, sys.argv[3:]):
    q = b"Are you Espressif IOT Smart Light" if n == 33 else b"x" * n
    s.sendto(q, (sys.argv[2], 3333, 0, idx))
try:
    while True:
        data, peer = s.recvfrom(2048)
        print("from [%s]:%d %r" % (peer[0], peer[1], data))
except socket.timeout:
    pass' "$@"
}

now_ms() { date +%s%3N; }
since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.2f", (b - a) / 1000 }'; }
# The watcher, on host 4: its start-up sweep (0, 0.25, 1 s) is over
# before the firmware starts, and its next one is 105 s away, so the
# firmware is new only by its announcement.
lab_bg 4 "$tmp/w.json" "$MCDISC" watch --json
w_pid=$LAB_PID
sleep 2 # past the sweep (it prints nothing to wait for)
fw_t0=$(now_ms)
t_check "the firmware starts on ESP-IDF's lwIP over tap0 and opens its responder" \
    fw_start "$ESP_IDF_OUT/linux/mcdisc_example.elf" "232.10.11.12 from $DEV mask 255.255.0.0"
open_t0=$(now_ms) # its first burst of announcements was before this
t_check "mcdisc watch sees the firmware new (its announcement) within 2 s" \
    wait_for "$tmp/w.json" "\"event\":\"new\",.*\"address\":\"$DEV\"" 2
echo "# new $(since "$fw_t0") s after the start"
# Its link-local address (the board waits for lwIP's DAD before its first
# GOT_IP): the checks below run on a responder open on IPv4 and IPv6 both.
t_check "the firmware answers on its IPv6 link-local address too ($G6)" \
    wait_for "$tmp/fw.log" "answering on $G6 from fe80:" 10
# On a loaded machine DAD may outlast the board's 5 s wait: the address
# then comes with a later GOT_IP6, a reopen and a burst of its own, and
# the rate limit below counts from that one.
[ "$(grep -c "answering on 232.10.11.12 from" "$tmp/fw.log")" -gt 1 ] &&
    open_t0=$(now_ms)
lab_exec 1 "$MCDISC" discover --json --group "$G6%eth0" --timeout 1500 >"$tmp/d6.json" 2>/dev/null
t_jq "mcdisc discover -g $G6%eth0 finds it at its link-local address with its name, protocol and port" \
    'length == 1 and (.[0].address | test("^fe80:.*%eth0$")) and .[0].port == 3333 and .[0].name == "ESP32-C3 Smart Light" and .[0].proto == "https" and .[0].service_port == 443' \
    "$tmp/d6.json"
ll1=$(lab_exec 1 ip -6 -o addr show dev eth0 scope link | awk '{sub(/\/.*/, "", $4); print $4}')
v6_ask "$ll1" "$G6" 1400 0 33 >"$tmp/v6hostile.out"
t_check "IPv6: after a 1400-byte and an empty datagram, the query from $ll1 gets the reply" \
    grep -q "^from \[fe80:.*\]:3333 b'ESP32-C3 Smart Light https 443'\$" "$tmp/v6hostile.out"
lab_exec 1 "$MCDISC" discover --json --timeout 1500 >"$tmp/d.json" 2>/dev/null
t_jq "mcdisc discover finds it with its configured name, protocol and port" \
    "length == 1 and .[0].address == \"$DEV\" and .[0].port == 3333 and .[0].name == \"ESP32-C3 Smart Light\" and .[0].proto == \"https\" and .[0].service_port == 443" \
    "$tmp/d.json"
lab_exec 1 "$BOOK_SENDER" 232.10.11.12 3333 "$(lab_ip 1)" --wait 1000 >"$tmp/book.out"
t_check "the chapter's sender gets exactly the chapter's 30 bytes" \
    grep -qx "from $DEV:3333 len 30 $REPLY" "$tmp/book.out"

# The extension: the id from the MAC the firmware really uses (host 1
# learnt it by ARP for the replies above), the TXT pair of sdkconfig.
mac=$(ip -n "$(lab_ns 1)" neigh show $DEV | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p' | tr -d ':')
ID=${mac:0:6}fffe${mac:6:6}
t_check "the firmware logs its id, the EUI-64 of its MAC $mac" \
    grep -q "extension: id $ID" "$tmp/fw.log"
N1=a1a2a3a4a5a6a7a8
t_check "...with that id and the lifetime of Kconfig (120)" \
    grep -q "\"event\":\"new\",\"id\":\"$ID\".*\"address\":\"$DEV\".*\"lifetime\":120," "$tmp/w.json"
want="$(printf 'ESP32-C3 Smart Light https 443' | hexof)00""4d434458""01""02""00""${N1}${ID}04000400000078030006$(printf 'fw=1.0' | hexof)"
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" 232.10.11.12 3333 --nonce "$N1" --window 50 --wait 500 >"$tmp/ext.out" 2>&1
t_check "an extended query gets the extended reply: its nonce, the id, LIFETIME 120, fw=1.0 (70 bytes)" \
    grep -qx "from $DEV:3333 len 70 $want" "$tmp/ext.out"
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" 232.10.11.12 3333 --known "$ID" --known 3333333333333333 --window 50 --wait 500 >"$tmp/known.out" 2>&1
t_check "a query whose KNOWN filter holds its id gets nothing" \
    sh -c "grep -q '^sent ' '$tmp/known.out' && ! grep -q '^from $DEV:' '$tmp/known.out'"
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" 232.10.11.12 3333 --known 3333333333333333 --window 50 --wait 500 >"$tmp/other.out" 2>&1
t_check "...and one that knows only another id gets the reply" \
    grep -q "^from $DEV:3333 len 70 " "$tmp/other.out"
# The longest query (1232 bytes: a KNOWN filter of ~1000 ids, read whole).
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" 232.10.11.12 3333 --known "$ID" --pad 1232 --window 50 --wait 500 >"$tmp/known1232.out" 2>&1
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" 232.10.11.12 3333 --known 3333333333333333 --pad 1232 --window 50 --wait 500 >"$tmp/other1232.out" 2>&1
t_check "a 1232-byte query: silent when KNOWN holds its id, answered when not" \
    sh -c "grep -q '^sent 1232 ' '$tmp/known1232.out' && ! grep -q '^from $DEV:' '$tmp/known1232.out' && grep -q '^from $DEV:3333 len 70 ' '$tmp/other1232.out'"

unicast_ask 1 $DEV 3333 >"$tmp/uni.out"
t_check "with IP_PKTINFO (CONFIG_LWIP_NETBUF_RECVINFO) a query sent to its own address is not answered" \
    test ! -s "$tmp/uni.out"
n_first=$(reports $DEV)
t_check "its IGMP membership report for the group is on the wire ($n_first)" test "$n_first" -ge 1

# Another subnet, as a DHCP renewal in a new network gives it.
lab_exec 2 "$MCDISC" discover --json --timeout 1000 >"$tmp/before.json" 2>/dev/null
t_jq "a querier in 198.19.5.0/24 is not answered while the device is in 198.18.0.0/16" \
    "length == 0" "$tmp/before.json"
# Past the start-up burst's rate limit (one burst per 10 s), so that the
# move's announcement is due at once.
while [ $(($(now_ms) - open_t0)) -lt 10500 ]; do sleep 0.2; done
move_t0=$(now_ms)
ctl "addr $NEW 255.255.255.0 198.19.5.1"
t_check "mcdisc watch sees the move as an update on $NEW within 2 s (the announcement on GOT_IP)" \
    wait_for "$tmp/w.json" "\"event\":\"update\",\"id\":\"$ID\".*\"address\":\"$NEW\"" 2
echo "# update $(since "$move_t0") s after the move"
lab_exec 2 "$MCDISC" discover --json --count 1 --timeout 2000 >"$tmp/new.json" 2>/dev/null
t_jq "after the move to $NEW/24 a querier on the new subnet is answered within 2 s" \
    "length == 1 and .[0].address == \"$NEW\" and .[0].name == \"ESP32-C3 Smart Light\"" "$tmp/new.json"
t_check "the firmware reopened its responder on the new address and netmask" \
    wait_for "$tmp/fw.log" "answering on 232.10.11.12 from $NEW mask 255.255.255.0" 5
lab_exec 1 "$MCDISC" discover --json --timeout 1500 >"$tmp/old.json" 2>/dev/null
t_jq "a querier left on the old subnet is not answered" "length == 0" "$tmp/old.json"

# Disconnect and reconnect with the same address.
n_before=$(reports $NEW)
ctl down
t_check "a disconnect (IP_EVENT_STA_LOST_IP) pauses the responder" \
    wait_for "$tmp/fw.log" "paused: no address" 5
lab_exec 2 "$MCDISC" discover --json --timeout 1000 >"$tmp/down.json" 2>/dev/null
t_jq "while disconnected nobody is answered" "length == 0" "$tmp/down.json"
ctl up
lab_exec 2 "$MCDISC" discover --json --count 1 --timeout 2000 >"$tmp/up.json" 2>/dev/null
t_jq "after the reconnect with the same address it answers again within 2 s" \
    "length == 1 and .[0].address == \"$NEW\"" "$tmp/up.json"
n_after=$n_before
for _ in $(seq 1 40); do
    n_after=$(reports $NEW)
    [ "$n_after" -gt "$n_before" ] && break
    sleep 0.1
done
t_check "lwIP's IGMP report for the group is seen again after the reconnect ($n_before, then $n_after)" \
    test "$n_after" -gt "$n_before"
# A clean stop, the address still there: goodbye.
ctl stop
t_check "on mcdisc_app_stop() watch sees it gone (goodbye) within 1 s" \
    wait_for "$tmp/w.json" "\"event\":\"gone\",\"id\":\"$ID\".*\"reason\":\"goodbye\"" 1
t_check "...and the firmware logs it" wait_for "$tmp/fw.log" "said goodbye" 2
kill -TERM "$w_pid"
wait "$w_pid" 2>/dev/null
fw_stop
kill -INT "$cap_pid"
wait "$cap_pid" 2>/dev/null

# The second configuration: its own reply, group and port; lwIP without
# SO_REUSE (the responder opens without SO_REUSEADDR) and IP_PKTINFO.
custom=$ESP_IDF_OUT/linux-custom
t_check "the second build has lwIP without SO_REUSE and IP_PKTINFO" \
    sh -c "grep -qx '# CONFIG_LWIP_SO_REUSE is not set' '$custom/sdkconfig' && grep -qx '# CONFIG_LWIP_NETBUF_RECVINFO is not set' '$custom/sdkconfig'"
: >"$tmp/ctl"
t_check "without SO_REUSE the responder still opens" \
    fw_start "$custom/mcdisc_example.elf" "239.255.0.7 from $DEV"
t_check "built with CONFIG_MCDISC_IPV6=n it opens no IPv6 socket" \
    sh -c "grep -qx '# CONFIG_MCDISC_IPV6 is not set' '$custom/sdkconfig' && ! grep -q 'answering on ff02' '$tmp/fw.log'"
lab_exec 1 "$MCDISC" discover --json --group 239.255.0.7 --port 4444 --timeout 1500 >"$tmp/c.json" 2>/dev/null
t_jq "and is found with the configured group, port, name, protocol and service port" \
    "length == 1 and .[0].address == \"$DEV\" and .[0].port == 4444 and .[0].name == \"Lab Lamp\" and .[0].proto == \"coap\" and .[0].service_port == 5683" \
    "$tmp/c.json"
unicast_ask 1 $DEV 4444 >"$tmp/uni2.out"
t_check "without IP_PKTINFO the destination is unknown: a unicast query is answered (the documented limit)" \
    grep -q "from $DEV:4444 b'Lab Lamp coap 5683'" "$tmp/uni2.out"
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" 239.255.0.7 4444 --window 50 --wait 500 >"$tmp/ext2.out" 2>&1
t_check "built without the extension it ignores an extended query (the chapter's exchange only)" \
    sh -c "grep -q '^sent ' '$tmp/ext2.out' && ! grep -q '^from $DEV:' '$tmp/ext2.out' && ! grep -q 'extension: id' '$tmp/fw.log'"
fw_stop
t_done
