#!/usr/bin/env bash
# demo.sh - mcdisc discovery in a private lab of network namespaces.
#
#   scripts/demo.sh [BUILD_DIR]     (make demo runs it)
#
# Four hosts on a bridge with no uplink: two mcdisc responders (the
# chapter's smart light and another device), the chapter's book-style
# receiver, and a client running `mcdisc discover`. Nothing leaves the lab;
# the lab is removed when the demo ends, however it ends.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
build=$(cd "$build" && pwd) || exit 2
MCDISC=$build/mcdisc
BOOK_RECEIVER=$build/tests/book_receiver
for f in "$MCDISC" "$BOOK_RECEIVER"; do
    [ -x "$f" ] || { echo "demo: $f is missing: run 'make demo'" >&2; exit 2; }
done
. "$top/tests/lib/tap.sh" # wait_for
. "$top/tests/net/lab.sh"
lab_require "$@"
lab_scratch

say() { printf '\n\033[1m%s\033[0m\n' "$*" 2>/dev/null || printf '\n%s\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

say "Building a private lab: 4 hosts (network namespaces) on one bridge, no uplink"
lab_up 4
for i in 1 2 3 4; do
    echo "  h$i  $(lab_ns "$i")  $(lab_ip "$i")/16"
done

say "h1: mcdisc respond (the chapter's ESP32-C3 smart light)"
lab_bg 1 "$tmp/h1.log" "$MCDISC" respond --verbose
say "h2: mcdisc respond --name 'Hallway Sensor' --proto coap --service-port 5683"
lab_bg 2 "$tmp/h2.log" "$MCDISC" respond --name "Hallway Sensor" --proto coap \
    --service-port 5683
say "h3: the chapter's receiver, as the book writes it (tests/peers/book_receiver.c)"
lab_bg 3 "$tmp/h3.log" "$BOOK_RECEIVER" 232.10.11.12 3333 "$(lab_ip 3)"
wait_for "$tmp/h1.log" answering && wait_for "$tmp/h2.log" answering &&
    wait_for "$tmp/h3.log" ready || exit 1

say "h4: mcdisc discover   (query 'Are you Espressif IOT Smart Light' to 232.10.11.12:3333, TTL 1)"
lab_exec 4 "$MCDISC" discover
rc=$?

say "h4: mcdisc discover --json --count 3"
lab_exec 4 "$MCDISC" discover --json --count 3

say "What h1's responder saw (--verbose; count, datagram)"
sed -n '/->/p' "$tmp/h1.log" | sed 's/:[0-9]* ->/ ->/' | sort | uniq -c

say "Removing the lab"
lab_down
left=$(lab_list | wc -l)
echo "  namespaces left behind: $left"
[ "$rc" -eq 0 ] && echo "demo: done" || echo "demo: discover found nothing (exit $rc)"
exit "$rc"
