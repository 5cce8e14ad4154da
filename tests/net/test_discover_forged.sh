#!/usr/bin/env bash
# The client against forged replies: one on-link
# host answering the first query with 5000 replies of distinct names, and
# replies spoofed (raw socket) from off the link, from port 0 and from the
# link's broadcast address. The real device answers 300 ms later and must
# still be listed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${FORGER:?path to tests/peers/forger}"
lab_scratch
G=232.10.11.12
BCAST=198.18.255.255 # the lab's /16

# h1: the client; h2: the real device; h3: the forger.
lab_up 3
lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --name "Real lamp" --delay 300-300
wait_for "$tmp/r2.log" "answering" || { t_fail "device started"; t_done; exit 1; }
F=$(lab_ip 3)

# forge LOG ACTION...: start the forger and wait until it has joined.
forge() {
    local log=$1
    shift
    lab_bg 3 "$log" "$FORGER" "$F" $G 3333 "$@"
    FORGER_PID=$LAB_PID
    wait_for "$log" "ready" || { t_fail "forger started"; t_done; exit 1; }
}
# The forger is done within milliseconds of the first query; one that is
# still there saw no query at all.
forger_done() {
    kill "$FORGER_PID" 2>/dev/null
    wait "$FORGER_PID"
}

# 1. TTL 1 (the default): the query never left the link.
forge "$tmp/f1.log" spoof 8.8.8.8 3333 spoof "$F" 0 spoof $BCAST 3333 \
    flood 5000
lab_exec 1 "$MCDISC" discover --json --timeout 2000 >"$tmp/d1.json" \
    2>"$tmp/d1.err"
rc=$?
forger_done
t_check "the forger sent 5003 replies" grep -q "^forged 5003 " "$tmp/f1.log"
t_check "discover exits 0 (the table never filled)" test "$rc" -eq 0
t_jq "the real device answering 300 ms after the flood is listed" \
    "any(.name == \"Real lamp\" and .address == \"$(lab_ip 2)\")" "$tmp/d1.json"
t_jq "the forging host has at most 16 entries" \
    "[.[] | select(.address == \"$F\")] | length == 16" "$tmp/d1.json"
t_jq "no device at the off-link 8.8.8.8 (TTL 1)" \
    'all(.address != "8.8.8.8")' "$tmp/d1.json"
t_jq "no device at source port 0" 'all(.port != 0)' "$tmp/d1.json"
t_jq "no device at the broadcast address" \
    "all(.address != \"$BCAST\")" "$tmp/d1.json"
t_check "stderr counts the refused replies by reason" \
    grep -Eq "ignored [0-9]+ datagrams: [0-9]+ over the per-source limit, 1 from off the link, 2 from a bad source, 0 not a reply" \
    "$tmp/d1.err"
sed 's/^/# d1.err: /' "$tmp/d1.err"

# 2. With a TTL above 1 the query may cross routers: the same off-link
# reply is a device (which also shows the spoofed replies reach the
# client); port 0 and the broadcast address still are not.
forge "$tmp/f2.log" spoof 8.8.8.8 3333 spoof "$F" 0 spoof $BCAST 3333
lab_exec 1 "$MCDISC" discover --json --ttl 2 --timeout 1000 \
    >"$tmp/d2.json" 2>"$tmp/d2.err"
forger_done
t_jq "with --ttl 2 a reply from 8.8.8.8 is listed" \
    'any(.address == "8.8.8.8" and .port == 3333)' "$tmp/d2.json"
t_jq "with --ttl 2 still nothing from port 0 or the broadcast address" \
    "all(.port != 0 and .address != \"$BCAST\")" "$tmp/d2.json"

# 3. A table that fills up is a warning and exit 3, not a silent 0. The
# flood is paced (5000/s, over a second) so that none of it is lost in the
# client's receive buffer, even under a sanitizer: 5000 distinct replies
# arrive, 4096 fit.
forge "$tmp/f3.log" rate 5000 flood 5000
lab_exec 1 "$MCDISC" discover --json --per-source 100000 --timeout 2500 \
    >"$tmp/d3.json" 2>"$tmp/d3.err"
rc=$?
forger_done
t_check "a full table exits 3" test "$rc" -eq 3
t_check "a full table is a warning naming the devices left out" \
    grep -Eq "^mcdisc: discover: warning: the device table is full, devices are missing: [0-9]+ repl(y|ies) from devices not listed$" \
    "$tmp/d3.err"
t_check "and 4096 devices are listed" test "$(wc -l <"$tmp/d3.json")" -eq 4096
t_done
