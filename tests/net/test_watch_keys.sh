#!/usr/bin/env bash
# mcdisc watch with keys (docs/PROTOCOL.md, "Keys: authenticated replies"
# and "Keys and the live view") in the lab, issue 14's "Done when" 3:
# responders holding the key are verified; a responder with another key, a
# forged reply (a host without the key claiming a keyed device's id), a
# reply replayed from an earlier run (its nonce patched) and an
# announcement replayed from a capture are never verified; --require-auth
# lists exactly the verified ones; an unsigned or wrongly signed goodbye
# does not remove a verified device (an unkeyed watcher, beside it, takes
# the same datagram as a goodbye), the device's own signed goodbye does.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${EXT_PEER:?path to tests/peers/ext_peer}"
: "${EXT_QUERY:?path to tests/peers/ext_query}"
for c in tcpdump socat xxd jq python3; do
    command -v $c >/dev/null || lab_die "FAIL: $c is missing: run scripts/deps.sh"
done
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch
G=232.10.11.12
QLEN=33 # "Are you Espressif IOT Smart Light"
id() { local x=a$1; printf '%s%0*d' "$x" $((16 - ${#x})) 0; }
started() { # LOG PATTERN WHAT
    wait_for "$1" "$2" || { t_fail "$3 started"; t_done; exit 1; }
}
# A datagram given in hex, sent to the group from host $1.
send_hex() {
    printf '%s' "$2" | xxd -r -p |
        lab_exec "$1" socat -u - "UDP4-DATAGRAM:$G:3333,ip-multicast-if=$(lab_ip "$1")"
}
# Replace the bytes at offset $2 (bytes) of hex string $1 by hex $3.
patch() { printf '%s%s%s' "${1:0:$(($2 * 2))}" "$3" "${1:$(($2 * 2 + ${#3}))}"; }

umask 077
printf 'correct horse battery staple\n' >"$tmp/a.key"
printf 'another key of the same length\n' >"$tmp/b.key"
keyid=$(python3 -c 'import hashlib; print(hashlib.sha256(b"correct horse battery staple").hexdigest()[:8])')
resp() { # HOST NAME [OPTIONS...]
    local h=$1 name=$2
    shift 2
    # shellcheck disable=SC2086
    lab_bg "$h" "$tmp/r$h.log" $DAEMON respond --id "$(id "$h")" \
        --name "$name" --txt room=lab "$@"
    eval "r${h}_pid=$LAB_PID"
    started "$tmp/r$h.log" answering "responder h$h"
}

lab_up 11
# 1. A keyed device's announcement, captured on h1 (h7 then dies without
# a goodbye): it is signed, its MAC last.
lab_bg 1 "$tmp/cap.log" tcpdump -i eth0 -n -U --immediate-mode -c 1 \
    -w "$tmp/ann.pcap" "udp and dst host $G and dst port 3333"
cap_pid=$LAB_PID
started "$tmp/cap.log" "listening on" tcpdump
resp 7 "Gone" --key "$tmp/a.key"
wait "$cap_pid"
kill -KILL "$r7_pid"
wait "$r7_pid" 2>/dev/null
ann=$(tcpdump -r "$tmp/ann.pcap" -n -x 2>/dev/null | sed -n 's/^\s*0x[0-9a-f]*:\s*//p' |
    tr -d ' \n')
ann=${ann:56} # past the IPv4 (20) and UDP (8) headers
t_check "a keyed announcement ends with its MAC TLV (key id $keyid)" \
    test "${ann:78:2}" = 03 -a "${ann: -46:14}" = "050014$keyid"

# 2. h2 keyed; its reply to an earlier query captured, replayed by h6 to
# every later query (nonce patched); h5 without the key answers as h3's
# id and name (a forged reply); both before the watchers' first sweep.
resp 2 "Keyed two" --key "$tmp/a.key"
lab_exec 1 "$EXT_QUERY" "$(lab_ip 1)" $G 3333 --wait 500 >"$tmp/q.txt"
captured=$(awk -v a="$(lab_ip 2):" 'index($2, a) == 1 { print $5; exit }' "$tmp/q.txt")
t_check "a keyed reply of h2 captured" test "${#captured}" -gt 100
lab_bg 6 "$tmp/f6.log" "$EXT_PEER" "$(lab_ip 6)" $G 3333 replay "$captured"
started "$tmp/f6.log" ready "replayer"
lab_bg 5 "$tmp/f5.log" "$EXT_PEER" "$(lab_ip 5)" $G 3333 echo "$(id 3)" \
    "Keyed three http 80" room=lab
started "$tmp/f5.log" ready "forger"

# 3. Four watchers, each on a host of its own (h1 keyed, h8 keyed
# --require-auth, h9 unkeyed, h10 keyed lines): a device answers one
# querier address at a time (its per-querier rules), so watchers sharing
# a host would compete for its one reply to their confirming queries.
# shellcheck disable=SC2086
lab_bg 1 "$tmp/wk.json" $DAEMON watch --json --key "$tmp/a.key"
# shellcheck disable=SC2086
lab_bg 8 "$tmp/wa.json" $DAEMON watch --json --key "$tmp/a.key" --require-auth
# shellcheck disable=SC2086
lab_bg 9 "$tmp/wn.json" $DAEMON watch --json
# shellcheck disable=SC2086
lab_bg 10 "$tmp/wh.txt" $DAEMON watch --key "$tmp/a.key" # lines (no tty)
K=$tmp/wk.json
t_check "h2 (answering the first sweep) is verified" \
    wait_for "$K" "\"id\":\"$(id 2)\".*\"verified\":true" 3
# h3 first seen by its signed announcement, confirmed by a query; h4
# signs with another key.
resp 3 "Keyed three" --key "$tmp/a.key"
resp 4 "Other key" --key "$tmp/b.key"
t_check "h3 (announced, then confirmed by a query) is verified" \
    wait_for "$K" "\"id\":\"$(id 3)\".*\"verified\":true" 3
t_check "h4 (another key) is listed" wait_for "$K" "\"id\":\"$(id 4)\"" 3
t_check "the forger answered the watchers" grep -q "^sent echo" "$tmp/f5.log"
t_check "the replayer answered the watchers" grep -q "^sent replay" "$tmp/f6.log"

# 4. The captured announcement of h7, sent again: listed, never verified
# (the watcher's confirming query goes at once and nobody answers it).
send_hex 7 "$ann"
t_check "the replayed announcement is listed" \
    wait_for "$K" "\"event\":\"new\",\"id\":\"$(id 7)\"" 3
wait_for "$K" "\"id\":\"$(id 7)\".*\"verified\":true" 2 2>/dev/null
t_check "...and not verified (2 s)" test $? -ne 0

# 5. Goodbyes for h3 (verified, its counter known from its announcement)
# with counters above its own: one with a wrong MAC (kind and id patched
# into h7's signed announcement), one without a MAC. The unkeyed watcher
# takes the first: they are well-formed goodbyes.
bye=$(patch "$ann" $((QLEN + 6)) 04)
bye=$(patch "$bye" $((QLEN + 8)) fffffffffffffffe)
bye=$(patch "$bye" $((QLEN + 16)) "$(id 3)")
send_hex 7 "$bye"
send_hex 7 "$(patch "${bye:0:$((${#bye} - 46))}" $((QLEN + 8)) ffffffffffffffff)"
# Then a marker from the same source: an unsigned announcement of a new
# id; the watcher takes datagrams in order, so when it is listed the
# goodbyes were processed.
marker=$(patch "${ann:0:$((${#ann} - 46))}" $((QLEN + 16)) "$(id 8)")
send_hex 7 "$marker"
t_check "the unkeyed watcher takes the forged goodbye" \
    wait_for "$tmp/wn.json" "\"event\":\"gone\",\"id\":\"$(id 3)\".*\"reason\":\"goodbye\"" 3
t_check "the keyed watcher got the marker after them" \
    wait_for "$K" "\"event\":\"new\",\"id\":\"$(id 8)\"" 3
t_check "...and h3 is still listed there (no gone event)" \
    test "$(grep -c "\"event\":\"gone\",\"id\":\"$(id 3)\"" "$K")" -eq 0
kill -TERM "$r3_pid"
t_check "h3's own signed goodbye removes it from the keyed watcher" \
    wait_for "$K" "\"event\":\"gone\",\"id\":\"$(id 3)\".*\"reason\":\"goodbye\"" 3
wait "$r3_pid"
t_check "--require-auth: h3 gone too" \
    wait_for "$tmp/wa.json" "\"event\":\"gone\",\"id\":\"$(id 3)\".*\"reason\":\"goodbye\"" 2

# 5b. A reply captured during the run and replayed later: h11 (lifetime
# 5 s) answers the keyed watcher; its reply to the watcher is captured on
# h1, h11 is killed, and the captured bytes are sent again from h11's
# address and port every 0.5 s. The watcher asks each query with a nonce
# of its own, so the replay verifies nothing and refreshes nothing: h11
# expires within its lifetime and one refresh interval (5 + 4.4 s).
lab_bg 1 "$tmp/cap11.log" tcpdump -i eth0 -n -U --immediate-mode -c 1 \
    -w "$tmp/r11.pcap" "udp and src host $(lab_ip 11) and src port 3333 and not dst net 224.0.0.0/4"
cap11_pid=$LAB_PID
wait_for "$tmp/cap11.log" "listening on" >/dev/null
resp 11 "Short life" --key "$tmp/a.key" --lifetime 5
t_check "h11 (lifetime 5) is verified in the keyed watcher" \
    wait_for "$K" "\"id\":\"$(id 11)\".*\"verified\":true" 3
wait "$cap11_pid" 2>/dev/null
read -r r11_port r11_hex < <(python3 - "$tmp/r11.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24 + 16  # pcap header, record header
ip = d[off + 14:]  # past Ethernet
ihl = (ip[0] & 15) * 4
udp = ip[ihl:]
print(struct.unpack("!H", udp[2:4])[0], udp[8:struct.unpack("!H", udp[4:6])[0]].hex())
PY
)
t_check "a verified reply of h11 to the watcher captured" test "${#r11_hex}" -gt 100
kill -KILL "$r11_pid"
wait "$r11_pid" 2>/dev/null
killed=$(date +%s%N)
printf '%s' "$r11_hex" | xxd -r -p >"$tmp/r11.bin"
lab_exec 11 bash -c 'for i in $(seq 1 24); do
        socat -u "OPEN:$1" "UDP4-DATAGRAM:$2:$3,bind=$4:3333,reuseaddr"; sleep 0.5
    done' replay "$tmp/r11.bin" "$(lab_ip 1)" "$r11_port" "$(lab_ip 11)" &
replay_pid=$!
t_check "h11, killed, expires despite its replayed reply (within 11 s)" \
    wait_for "$K" "\"event\":\"gone\",\"id\":\"$(id 11)\".*\"reason\":\"expired\"" 11
gone_ms=$(( ($(date +%s%N) - killed) / 1000000 ))
echo "# h11 gone (expired) ${gone_ms} ms after SIGKILL, its reply replayed meanwhile"
kill "$replay_pid" 2>/dev/null
wait "$replay_pid" 2>/dev/null

# 6. The whole logs: never verified from the forger, the replayer, the
# other key or the replayed announcement; --require-auth exactly h2, h3
# and h11.
t_jq "verified only h2, h3 and h11, each from its own address" \
    '[.[] | select(.verified)] | (map(.id) | unique == ["'"$(id 11)"'", "'"$(id 2)"'", "'"$(id 3)"'"]) and
     all((.id == "'"$(id 2)"'" and .address == "'"$(lab_ip 2)"'") or
         (.id == "'"$(id 3)"'" and .address == "'"$(lab_ip 3)"'") or
         (.id == "'"$(id 11)"'" and .address == "'"$(lab_ip 11)"'"))' "$K"
t_jq "h4, h7 and the forged h3 from h5 listed unverified" \
    'any(.id == "'"$(id 4)"'" and .verified == false) and any(.id == "'"$(id 7)"'" and .verified == false) and
     any(.id == "'"$(id 3)"'" and .address == "'"$(lab_ip 5)"'" and .verified == false)' "$K"
t_jq "--require-auth lists exactly h2, h3 and h11, all verified" \
    '(map(select(.event == "new") | .id) | sort == ["'"$(id 11)"'", "'"$(id 2)"'", "'"$(id 3)"'"]) and all(.verified)' \
    "$tmp/wa.json"
t_check "human lines: h2 verified" grep -Eq \
    "^(new|update) +$(id 2) +$(lab_ip 2) .* verified +Keyed two " "$tmp/wh.txt"
t_check "human lines: h4 unverified" grep -Eq \
    "^new +$(id 4) +$(lab_ip 4) .* unverified +Other key " "$tmp/wh.txt"
t_jq "the unkeyed watcher has no verified field" 'all(has("verified") | not)' "$tmp/wn.json"
t_done
