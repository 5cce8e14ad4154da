#!/usr/bin/env bash
# Discovery over IPv6 groups: link-local ff02::fc (the group of Espressif's
# own multicast example) and site-local ff05::fc, with interface scope
# (issue "Discovery", done-when 8).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_SENDER:?}" "${BOOK_RECEIVER:?}"
tmp=$(mktemp -d)
trap 'lab_down; rm -rf "$tmp"' EXIT
REPLY='"ESP32-C3 Smart Light https 443"'

lab_up 4
ll() { lab_exec "$1" ip -6 -o addr show dev eth0 scope link |
    awk '{sub(/\/.*/, "", $4); print $4}'; }

for G in ff02::fc ff05::fc; do
    lab_bg 1 "$tmp/r1.log" "$MCDISC" respond --group $G --verbose
    lab_bg 2 "$tmp/b2.log" "$BOOK_RECEIVER" $G 3333 eth0
    wait_for "$tmp/r1.log" answering && wait_for "$tmp/b2.log" ready ||
        { t_fail "$G: devices started"; continue; }

    # The book-style sender, over IPv6, gets the chapter's bytes from h1.
    lab_exec 4 "$BOOK_SENDER" $G 3333 eth0 --wait 800 >"$tmp/s4.out"
    t_check "$G: book sender gets the 30 reply bytes from mcdisc respond" \
        grep -q "^from \[.*\]:3333 len 30 $REPLY\$" "$tmp/s4.out"

    lab_exec 3 "$MCDISC" discover --group $G --json --timeout 1000 \
        >"$tmp/d3.json" 2>"$tmp/d3.err"
    t_check "$G: discover exits 0" test $? -eq 0
    if [ $G = ff02::fc ]; then
        a1="$(ll 1)%eth0"
        a2="$(ll 2)%eth0"
    else
        a1=$(lab_ip6 1)
        a2=$(lab_ip6 2)
    fi
    t_jq "$G: finds mcdisc respond on h1 at $a1" \
        "any(.address==\"$a1\" and .name==\"ESP32-C3 Smart Light\" and .service_port==443 and .iface==\"eth0\")" "$tmp/d3.json"
    t_jq "$G: finds the book-style receiver on h2 at $a2" \
        "any(.address==\"$a2\" and .port==3333)" "$tmp/d3.json"
    t_jq "$G: lists exactly those two" 'length == 2' "$tmp/d3.json"
    t_check "$G: the responder logged the query as answered on eth0" \
        grep -q "\-> $G on eth0, 33 bytes: answered" "$tmp/r1.log"

    # Named interface, with the zone given in the group too.
    lab_exec 3 "$MCDISC" discover --group "$G%eth0" --iface eth0 --timeout 800 \
        >"$tmp/d3.txt" 2>/dev/null
    t_check "$G: --iface eth0 and a zoned group work, human output" \
        test "$(grep -c ' eth0 ' "$tmp/d3.txt")" -eq 2
    lab_exec 1 pkill -f "$MCDISC respond"
    lab_exec 2 pkill -f "$BOOK_RECEIVER"
    sleep 0.2
done
t_done
