#!/usr/bin/env bash
# One discover run, with its defaults, finds all devices on one segment:
# 250 by default (issue "Discovery that holds", fault test 2; the
# discovery issue asked for 100), four in five mcdisc responders and the
# rest book-style receivers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_RECEIVER:?}"
lab_scratch
N=${MCD_SCALE_N:-250}
G=232.10.11.12

lab_up $((N + 1))
for i in $(seq 2 $((N + 1))); do
    if [ $((i % 5)) -eq 0 ]; then
        lab_bg "$i" "$tmp/dev$i.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip "$i")" \
            "Book device $i http 80"
    else
        lab_bg "$i" "$tmp/dev$i.log" "$MCDISC" respond --verbose --name "Device $i" \
            --proto http --service-port $((8000 + i))
    fi
done
for i in $(seq 2 $((N + 1))); do
    wait_for "$tmp/dev$i.log" "answering\|ready" 30 >/dev/null ||
        { t_fail "device $i started"; # On failure, show what the devices that were not found logged.
for i in $(seq 2 $((N + 1))); do
    jq -e -s "any(.address == \"$(lab_ip "$i")\")" "$tmp/found.json" >/dev/null 2>&1 ||
        { echo "# not found: host $i ($(lab_ip "$i")):"; sed 's/^/#   | /' "$tmp/dev$i.log"; }
done
t_done; exit 1; }
done
t_ok "$N devices started"

lab_exec 1 "$MCDISC" discover --json >"$tmp/found.json" 2>"$tmp/found.err"
t_check "discover exits 0" test $? -eq 0
t_jq "one run with default options finds all $N devices, each once" \
    "length == $N and ([.[].address] | unique | length) == $N" "$tmp/found.json"
t_jq "each mcdisc responder's fields are its own" \
    '[.[] | select(.name | startswith("Device ")) |
      select(.service_port == 8000 + (.name | ltrimstr("Device ") | tonumber))]
     | length == '"$((N - N / 5))" "$tmp/found.json"
t_jq "each book-style receiver is listed with its reply" \
    '[.[] | select(.name | startswith("Book device "))] | length == '"$((N / 5))" \
    "$tmp/found.json"
# On failure, show what the devices that were not found logged.
for i in $(seq 2 $((N + 1))); do
    jq -e -s "any(.address == \"$(lab_ip "$i")\")" "$tmp/found.json" >/dev/null 2>&1 ||
        { echo "# not found: host $i ($(lab_ip "$i")):"; sed 's/^/#   | /' "$tmp/dev$i.log"; }
done
t_done
