#!/usr/bin/env bash
# The client's side of the extension (docs/PROTOCOL.md, "Client rules") in
# the lab: forged extended replies (right format, wrong nonce) are never
# listed and are counted; a device answering from two addresses is listed
# once with both; two responders on one host with different ids are two
# devices; mcdisc devices, the chapter's strcmp receiver and exact-33-byte
# chapter devices are all found in one default run; known answers keep a
# default run at about one reply per device.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_RECEIVER:?}" "${STRCMP_RECEIVER:?}"
: "${EXT_PEER:?path to tests/peers/ext_peer}"
lab_scratch
G=232.10.11.12

started() { # LOG PATTERN WHAT
    wait_for "$1" "$2" || { t_fail "$3 started"; t_done; exit 1; }
}
stats() { grep '^{"stats":' "$1" | jq -r ".stats.$2"; }
# Lines of JSON file $1 matching the jq condition $2.
count() { jq -s "[.[] | select($2)] | length" "$1"; }

lab_up 8
# h1: the client; h2: a forger; h3: a well-behaved extended peer (the
# forger's twin with the right nonce: the format is right).
lab_bg 2 "$tmp/f2.log" "$EXT_PEER" "$(lab_ip 2)" $G 3333 forge \
    f0f0f0f0f0f0f0f2 "Forged lamp http 80" fw=6.6.6
forger_pid=$LAB_PID
lab_bg 3 "$tmp/e3.log" "$EXT_PEER" "$(lab_ip 3)" $G 3333 echo \
    e0e0e0e0e0e0e0e3 "Echo lamp http 80" fw=9 room=kitchen
echo_pid=$LAB_PID
started "$tmp/f2.log" ready "forger"
started "$tmp/e3.log" ready "extended peer"

# 1. A forged extended reply is never listed, and is counted.
lab_exec 1 "$MCDISC" discover --json --timeout 1000 >"$tmp/d1.json" 2>"$tmp/d1.err"
rc=$?
forged=$(grep -c "^sent forge" "$tmp/f2.log")
t_check "discover exits 0" test "$rc" -eq 0
t_jq "the extended peer with the right nonce is listed, with its id and TXT" \
    'any(.name == "Echo lamp" and .id == "e0e0e0e0e0e0e0e3" and .txt == {"fw": "9", "room": "kitchen"} and .txt_truncated == false)' \
    "$tmp/d1.json"
t_jq "the forged reply (wrong nonce) is never listed" \
    'all(.name != "Forged lamp" and .id != "f0f0f0f0f0f0f0f2")' "$tmp/d1.json"
t_check "the forger answered extended queries ($forged)" test "$forged" -ge 5
bad=$(stats "$tmp/d1.err" bad_nonce)
t_check "the JSON stats count each forged reply as bad_nonce ($bad of $forged)" \
    test "${bad:-0}" -ge 5 -a "${bad:-0}" -le "$forged"
t_check "stderr says so in words" \
    grep -Eq "ignored [0-9]+ datagrams?: .*, $bad with a bad nonce$" "$tmp/d1.err"
lab_exec 1 "$MCDISC" discover --timeout 600 >"$tmp/d1.txt" 2>/dev/null
t_check "human output: the peer's line shows its short id and TXT" \
    grep -Eq "^$(lab_ip 3):3333 +eth0 +Echo lamp  http 80  [0-9.]+ ms  id e0e0e0e0 fw=9 room=kitchen$" \
    "$tmp/d1.txt"
# --chapter speaks only the chapter: no extended query, so neither peer
# answers (they only answer extended queries).
lab_exec 1 "$MCDISC" discover --chapter --json --timeout 500 >"$tmp/d1c.json" 2>/dev/null
t_check "--chapter: no extended peer answers (no extended query sent)" \
    test ! -s "$tmp/d1c.json"
kill "$forger_pid" "$echo_pid"
wait "$forger_pid" "$echo_pid" 2>/dev/null
t_done
