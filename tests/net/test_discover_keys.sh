#!/usr/bin/env bash
# Keys (docs/PROTOCOL.md, "Keys: authenticated replies") in the lab:
# responders holding the client's key are listed verified; a responder with
# another key and an unkeyed one are listed unverified and hidden with
# --require-auth; a forger replaying a captured keyed reply to a later
# query (its nonce patched in) is never verified and adds no address to
# the device it copies; an unkeyed client lists keyed devices unverified;
# a key file others may read or write, a short one, a directory or a
# missing one is refused with one line naming it (exit 2).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${EXT_PEER:?path to tests/peers/ext_peer}"
: "${EXT_QUERY:?path to tests/peers/ext_query}"
lab_scratch
G=232.10.11.12

started() { # LOG PATTERN WHAT
    wait_for "$1" "$2" || { t_fail "$3 started"; t_done; exit 1; }
}
stats() { grep '^{"stats":' "$1" | jq -r ".stats.$2"; }
# Devices in JSON file $1 matching the jq condition $2.
count() { jq -s "[.[] | select($2)] | length" "$1"; }

umask 077
printf 'correct horse battery staple\n' >"$tmp/a.key"
printf 'another key of the same length\n' >"$tmp/b.key"

lab_up 6
# h1: the client; h2, h3: keyed with the client's key; h4: another key;
# h5: no key; h6: a forger replaying h2's keyed reply (below).
resp() { # HOST NAME [OPTIONS...]
    local h=$1 name=$2
    shift 2
    lab_bg "$h" "$tmp/r$h.log" "$MCDISC" respond --delay 0-20 \
        --id "a${h}00000000000000" --name "$name" --txt room=lab "$@"
    eval "r${h}_pid=$LAB_PID"
    started "$tmp/r$h.log" answering "responder h$h"
}
resp 2 "Keyed two" --key "$tmp/a.key"
resp 3 "Keyed three" --key "$tmp/a.key"
resp 4 "Other key" --key "$tmp/b.key"
resp 5 "No key"
t_check "a keyed responder says it signs" grep -q "signed (--key)" "$tmp/r2.log"

# A keyed reply of h2, captured for an earlier query (nonce 01..08).
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" $G 3333 --wait 500 >"$tmp/cap.txt"
captured=$(awk -v a="$(lab_ip 2):" 'index($2, a) == 1 { print $5; exit }' "$tmp/cap.txt")
t_check "a keyed reply of h2 captured (${#captured} hex digits)" \
    test "${#captured}" -gt 100
lab_bg 6 "$tmp/f6.log" "$EXT_PEER" "$(lab_ip 6)" $G 3333 replay "$captured"
forger_pid=$LAB_PID
started "$tmp/f6.log" ready "forger"

# 1. With the key: h2, h3 verified; h4, h5 listed unverified; the replay
# never verified, never an address of h2's device.
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --json --timeout 1000 \
    >"$tmp/d1.json" 2>"$tmp/d1.err"
t_check "discover --key exits 0" test $? -eq 0
t_jq "the two responders with the key are verified" \
    '[.[] | select(.verified) | .name] | sort == ["Keyed three", "Keyed two"]' \
    "$tmp/d1.json"
t_jq "another key and no key: listed, unverified" \
    'any(.name == "Other key" and .verified == false) and any(.name == "No key" and .verified == false)' \
    "$tmp/d1.json"
t_jq "the replaying forger is no address of the verified device" \
    'all(.[] | select(.verified) | .addresses[]; .address != "'"$(lab_ip 6)"'")' \
    "$tmp/d1.json"
t_check "the forger replayed h2's reply to this run ($(grep -c '^sent' "$tmp/f6.log") times)" \
    grep -q "^sent replay" "$tmp/f6.log"
bad=$(stats "$tmp/d1.err" bad_mac)
t_check "bad MACs counted ($bad: the other key's and the replays)" \
    test "${bad:-0}" -ge 2
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --timeout 600 \
    >"$tmp/d1.txt" 2>/dev/null
# h2 is verified on its line, or on an update line under the forger's
# unverified one when the replay came first (the update names h2).
t_check "human output: h2 is shown verified, at its own address" \
    grep -Eq "^($(lab_ip 2):3333 .*Keyed two .* id a2000000 verified room=lab|    id a2000000 verified room=lab \(is $(lab_ip 2):3333\))$" "$tmp/d1.txt"
t_check "human output: h5's line says unverified" \
    grep -Eq "^$(lab_ip 5):3333 .*No key .* id a5000000 unverified room=lab$" "$tmp/d1.txt"

# 2. --require-auth: exactly the verified ones, the others counted.
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --require-auth --json \
    --timeout 1000 >"$tmp/d2.json" 2>"$tmp/d2.err"
t_jq "--require-auth lists exactly h2 and h3, from their own addresses" \
    '(map(.name) | sort == ["Keyed three", "Keyed two"]) and all(.verified) and all(.address == "'"$(lab_ip 2)"'" or .address == "'"$(lab_ip 3)"'")' \
    "$tmp/d2.json"
un=$(stats "$tmp/d2.err" unverified)
t_check "the unverified replies are counted ($un)" test "${un:-0}" -ge 2

# 3. h2 gone: the forger's replay alone is listed unverified, and hidden
# with --require-auth.
kill "$r2_pid"
wait "$r2_pid" 2>/dev/null
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --json --timeout 1000 \
    >"$tmp/d3.json" 2>/dev/null
t_jq "the replay of h2's reply (h2 stopped) is listed from h6, unverified" \
    'any(.name == "Keyed two" and .address == "'"$(lab_ip 6)"'" and .verified == false) and all(.name != "Keyed two" or (.verified | not))' \
    "$tmp/d3.json"
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --require-auth --json \
    --timeout 1000 >"$tmp/d3a.json" 2>/dev/null
t_jq "...and hidden with --require-auth" \
    'map(.name) == ["Keyed three"]' "$tmp/d3a.json"

# 4. Without a key: keyed devices listed, unverified (the MAC TLV skipped).
lab_exec 1 "$MCDISC" discover --json --timeout 1000 >"$tmp/d4.json" 2>/dev/null
t_jq "an unkeyed client lists the keyed device, unverified, with its TXT" \
    'any(.name == "Keyed three" and .verified == false and .txt == {"room": "lab"})' \
    "$tmp/d4.json"

# 4b. SIGHUP with another key in --config's file: the new key signs (the
# running core's key is swapped, not freed under it).
printf 'name = Reloaded\nid = c200000000000000\nkey = %s\n' "$tmp/b.key" >"$tmp/r.conf"
lab_bg 2 "$tmp/rc.log" "$MCDISC" respond --config "$tmp/r.conf"
rc_pid=$LAB_PID
started "$tmp/rc.log" answering "responder with --config"
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --json --timeout 800 \
    >"$tmp/d5.json" 2>/dev/null
t_jq "signed with the other key: unverified" \
    'any(.name == "Reloaded" and .verified == false)' "$tmp/d5.json"
printf 'name = Reloaded\nid = c200000000000000\nkey = %s\n' "$tmp/a.key" >"$tmp/r.conf"
kill -HUP "$rc_pid"
# The reload says "answering" again once the new key is in use.
for _ in $(seq 200); do
    [ "$(grep -c 'answering' "$tmp/rc.log")" -ge 2 ] && break
    sleep 0.05
done
t_check "the responder reloaded" test "$(grep -c 'answering' "$tmp/rc.log")" -ge 2
lab_exec 1 "$MCDISC" discover --key "$tmp/a.key" --require-auth --json \
    --timeout 800 >"$tmp/d6.json" 2>/dev/null
t_jq "after SIGHUP with our key: verified" \
    'any(.name == "Reloaded" and .verified == true)' "$tmp/d6.json"
kill "$rc_pid"

# 5. Key files refused: one line naming the file and why, exit 2.
refused() { # WHAT PATTERN FILE
    expect_error "respond: $1" "$2" lab_exec 1 "$MCDISC" respond --key "$3"
    expect_error "discover: $1" "$2" lab_exec 1 "$MCDISC" discover --key "$3"
}
cp "$tmp/a.key" "$tmp/loose.key"
chmod 640 "$tmp/loose.key"
refused "group-readable key" "'$tmp/loose.key': key file may be read or written by group or others" "$tmp/loose.key"
chmod 602 "$tmp/loose.key"
refused "others-writable key" "'$tmp/loose.key': key file may be read or written" "$tmp/loose.key"
printf 'fifteen bytes!!\n' >"$tmp/short.key"
refused "short key" "'$tmp/short.key': key shorter than 16 bytes" "$tmp/short.key"
mkdir "$tmp/dir.key"
refused "a directory" "'$tmp/dir.key': key file is not a regular file" "$tmp/dir.key"
refused "a missing file" "'$tmp/none.key': No such file or directory" "$tmp/none.key"
expect_error "--require-auth without --key" "needs --key" \
    lab_exec 1 "$MCDISC" discover --require-auth

kill "$forger_pid" "$r3_pid" "$r4_pid" "$r5_pid" 2>/dev/null
t_done
