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
# Devices in JSON file $1 matching the jq condition $2.
count() { jq -s "[.[] | select($2)] | length" "$1"; }
# The device with id $2 in JSON file $1.
last_of() { jq -s -c "[.[] | select(.id == \"$2\")] | last" "$1"; }

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

# 2. A mixed link: mcdisc devices, the chapter's strcmp receiver (h5) and
# a device that compares the 33 bytes exactly (h6, book_receiver), all
# found in one default run. One id answers from two addresses: h3 and h8
# run responders with the same id and text (to the client, one device
# answering from two addresses). h4 is a real dual-homed device (a second
# link to the same LAN, 198.18.200.5).
A4=198.18.200.5
ip -n "$LAB_BR" link add q4 type veth peer name eth1 netns "$(lab_ns 4)" &&
    ip -n "$LAB_BR" link set q4 master br0 up &&
    ip -n "$(lab_ns 4)" addr add $A4/16 dev eth1 &&
    ip -n "$(lab_ns 4)" link set eth1 up || lab_die "FAIL: h4's second link"
for _ in $(seq 100); do # carrier comes a moment after "up"
    lab_exec 4 ip -br link show dev eth1 | grep -q ' UP ' && break
    sleep 0.05
done
lab_bg 4 "$tmp/r4.log" "$MCDISC" respond --id 00000000000000a4 \
    --txt fw=1.4.2 --txt model=C3-Lamp
lab_bg 5 "$tmp/s5.log" "$STRCMP_RECEIVER" $G 3333 "$(lab_ip 5)" "Strcmp lamp http 80"
lab_bg 6 "$tmp/b6.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 6)" "Exact lamp http 80"
lab_bg 7 "$tmp/r7.log" "$MCDISC" respond --id 00000000000000a7 --name "Seven"
lab_bg 3 "$tmp/r3.log" "$MCDISC" respond --id 00000000000000a8 --name "Twin" --txt k=v
lab_bg 8 "$tmp/r8.log" "$MCDISC" respond --id 00000000000000a8 --name "Twin" --txt k=v
for h in r4 r7 r3 r8; do started "$tmp/$h.log" answering "responder $h"; done
started "$tmp/s5.log" ready "strcmp receiver"
started "$tmp/b6.log" ready "exact receiver"
wait_for "$tmp/r4.log" "joined on eth1" || t_fail "h4 joined on its second link"

lab_exec 1 "$MCDISC" discover --json --timeout 1500 >"$tmp/d2.json" 2>"$tmp/d2.err"
T_LOG="$tmp/d2.err"
t_check "discover exits 0" test $? -eq 0
t_check "the strcmp receiver is listed once, without an id" \
    test "$(count "$tmp/d2.json" '.name == "Strcmp lamp" and (has("id") | not)')" -eq 1 -a \
    "$(jq -s '[.[] | select(.name == "Strcmp lamp")] | length' "$tmp/d2.json")" -eq 1
t_check "the exact-33-byte device is listed once, without an id" \
    test "$(count "$tmp/d2.json" ".name == \"Exact lamp\" and .address == \"$(lab_ip 6)\" and (has(\"id\") | not)")" -eq 1 -a \
    "$(jq -s '[.[] | select(.name == "Exact lamp")] | length' "$tmp/d2.json")" -eq 1
t_check "mcdisc device h7 is listed once, with its id" \
    test "$(count "$tmp/d2.json" '.id == "00000000000000a7" and .name == "Seven"')" -eq 1
t_check "mcdisc device h4 is listed once, with its id and TXT" \
    test "$(count "$tmp/d2.json" '.id == "00000000000000a4" and .txt == {"fw": "1.4.2", "model": "C3-Lamp"}')" -eq 1
t_check "one id answering from two addresses is listed once" \
    test "$(count "$tmp/d2.json" '.id == "00000000000000a8"')" -eq 1
last_of "$tmp/d2.json" 00000000000000a8 >"$tmp/a8.json"
t_jq "...with both addresses and its TXT" \
    ".[0] | (.addresses | map(.address) | sort) == ([\"$(lab_ip 3)\", \"$(lab_ip 8)\"] | sort) and .txt == {\"k\": \"v\"}" \
    "$tmp/a8.json"
t_check "exactly 5 devices" test "$(count "$tmp/d2.json" true)" -eq 5
# A device on two links answers on each (the responder's per-querier
# rules key on the querier's address and link), so it is listed once with
# both addresses.
last_of "$tmp/d2.json" 00000000000000a4 >"$tmp/a4.json"
t_jq "the dual-homed h4 is listed with both addresses" \
    ".[0] | (.addresses | map(.address) | sort) == ([\"$(lab_ip 4)\", \"$A4\"] | sort)" \
    "$tmp/a4.json"
t_check "the strcmp receiver answered extended copies too (query, NUL, ...)" \
    grep -q " len 63 answered$" "$tmp/s5.log"
t_check "...and never went deaf: it answered every datagram of the run" \
    test "$(grep -c ' ignored$' "$tmp/s5.log")" -eq 0 -a "$(grep -c ' len 33 answered$' "$tmp/s5.log")" -ge 5
lab_exec 1 "$MCDISC" discover --timeout 600 >"$tmp/d2.txt" 2>/dev/null
t_check "human output: the second address of id a8 on an indented line" \
    grep -Eq "^    id 00000000 also ($(lab_ip 3)|$(lab_ip 8)):3333 eth0$" "$tmp/d2.txt"
unset T_LOG

# --json prints the devices when the run ends: SIGINT ends it early, and
# what was found is printed.
n0=$(grep -c ' answered$' "$tmp/s5.log")
lab_bg 1 "$tmp/int.json" "$MCDISC" discover --json --timeout 60000
int_pid=$LAB_PID
for _ in $(seq 100); do # three send times seen by h5: the run is on
    [ "$(grep -c ' answered$' "$tmp/s5.log")" -ge $((n0 + 6)) ] && break
    sleep 0.05
done
start=$(date +%s%N)
kill -INT "$int_pid"
wait "$int_pid"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_check "SIGINT ends a 60 s run at once ($ms ms), exit 0" test "$rc" -eq 0 -a "$ms" -lt 3000
grep '^{' "$tmp/int.json" >"$tmp/int2.json" # stdout and stderr, as lab_bg logs
t_jq "...and prints the devices found so far" 'any(.name == "Strcmp lamp")' "$tmp/int2.json"

# 3. The strcmp receiver is faithful: one 42-byte datagram to the group
# (the query and 9 more bytes, no NUL) makes it deaf to plain queries...
# The responders' announcements (query + NUL: issue 14) make it hear
# again, and the dual-homed h4 may be announcing a link change: up to 3
# tries, each one a 42-byte datagram then a --chapter run.
for try in 1 2 3; do
    n42=$(grep -c " len 42 ignored$" "$tmp/s5.log")
    printf 'Are you Espressif IOT Smart Light123456789' |
        lab_exec 8 socat -u - UDP4-DATAGRAM:$G:3333,ip-multicast-ttl=1
    for _ in $(seq 100); do
        [ "$(grep -c " len 42 ignored$" "$tmp/s5.log")" -gt "$n42" ] && break
        sleep 0.05
    done
    lab_exec 1 "$MCDISC" discover --chapter --json --timeout 600 >"$tmp/d3.json" 2>/dev/null
    jq -se 'all(.name != "Strcmp lamp")' "$tmp/d3.json" >/dev/null && break
    echo "# try $try: the strcmp receiver heard again (an announcement?)"
    sleep 3.5 # past the burst's copies (0, 1, 3 s)
done
t_jq "after a 42-byte datagram, --chapter no longer finds the strcmp receiver" \
    'all(.name != "Strcmp lamp") and any(.name == "Exact lamp")' "$tmp/d3.json"
# ...and a default run, whose extended copies end the query with a NUL,
# finds it again.
lab_exec 1 "$MCDISC" discover --json --timeout 600 >"$tmp/d3b.json" 2>/dev/null
t_jq "a default run finds it again" 'any(.name == "Strcmp lamp")' "$tmp/d3b.json"

# 4. Two responders on one host (h7, one address and port), different
# ids, the same text: two devices.
lab_bg 7 "$tmp/r7b.log" "$MCDISC" respond --id 00000000000000b7 --name "Seven"
started "$tmp/r7b.log" answering "second responder on h7"
lab_exec 1 "$MCDISC" discover --json --timeout 1000 >"$tmp/d4.json" 2>/dev/null
t_jq "two responders on one host with different ids are two devices" \
    "[.[] | select(.name == \"Seven\" and .address == \"$(lab_ip 7)\") | .id] | sort == [\"00000000000000a7\", \"00000000000000b7\"]" \
    "$tmp/d4.json"
# 5. TXT that does not fit the reply to a 128-byte query: the device
# answers with flag T, the client pads its next copies to 1232 bytes, and
# the full TXT comes (in --json, and as an update line for humans).
long=a-value-of-forty-bytes-xxxxxxxxxxxxxxx
lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --id b200000000000000 --name "Chatty" \
    --txt fw=1.4.2 --txt model=C3-Lamp --txt a=$long --txt b=$long --txt c=$long
started "$tmp/r2.log" answering "responder h2 with long TXT"
lab_exec 1 "$MCDISC" discover --json --timeout 800 >"$tmp/d5.json" 2>/dev/null
t_jq "long TXT: listed once with every pair, not truncated" \
    "[.[] | select(.id == \"b200000000000000\")] | length == 1 and .[0].txt == {\"fw\": \"1.4.2\", \"model\": \"C3-Lamp\", \"a\": \"$long\", \"b\": \"$long\", \"c\": \"$long\"} and .[0].txt_truncated == false" \
    "$tmp/d5.json"
lab_exec 1 "$MCDISC" discover --timeout 800 >"$tmp/d5.txt" 2>/dev/null
t_check "long TXT, human output: first ' ...', then an update line with the pairs" \
    sh -c "grep -Eq '  id b2000000 \.\.\.\$' '$tmp/d5.txt' &&
        grep -Eq '^    id b2000000 fw=1\.4\.2 model=C3-Lamp a=' '$tmp/d5.txt'"

# 6. Known answers: 20 mcdisc devices on a clean link, one default run:
# each is named in KNOWN once heard, so the client receives about one
# reply per device (at most 22, counted on the wire by nftables), where
# --chapter gets one per device per copy.
lab_down
N=20
C=$((N + 1))
lab_up $C
for i in $(seq 1 $N); do
    lab_bg "$i" "$tmp/k$i.log" "$MCDISC" respond --id "$(printf '%016x' "$i")" \
        --name "Device $i"
done
for i in $(seq 1 $N); do started "$tmp/k$i.log" answering "device $i"; done
lab_exec $C nft -f - <<'NFT' || lab_die "FAIL: nft counter on the client"
table inet mcdcount {
    counter replies { }
    chain input {
        type filter hook input priority 0; policy accept;
        udp sport 3333 counter name replies
    }
}
NFT
replies() { lab_exec $C nft -j list counter inet mcdcount replies |
    jq '.nftables[] | select(.counter) | .counter.packets'; }
lab_exec $C "$MCDISC" discover --json --timeout 2000 >"$tmp/k.json" 2>"$tmp/k.err"
n=$(replies)
t_check "default run: all $N devices found" test "$(count "$tmp/k.json" 'has("id")')" -eq $N
t_check "default run: $n replies on the wire for $N devices (at most $((N * 11 / 10)))" \
    test "$n" -ge $N -a "$n" -le $((N * 11 / 10))
t_check "the client's own count of datagrams received agrees" \
    test "$(stats "$tmp/k.err" received)" -eq "$n"
lab_exec $C "$MCDISC" discover --chapter --json --timeout 2000 >"$tmp/kc.json" 2>"$tmp/kc.err"
nc=$(($(replies) - n))
copies=$(stats "$tmp/kc.err" copies)
t_check "--chapter: all $N found, $nc replies for $copies copies (one per device per copy, less the rate limit)" \
    test "$(count "$tmp/kc.json" true)" -eq $N -a "$nc" -ge $((N * copies / 2))
t_done
