#!/usr/bin/env bash
# TXT that fits the extended reply but not the announcement (the query,
# the TEXT TLV and LIFETIME make an announcement longer; a key adds its
# MAC): refused at start-up with one line naming --txt (exit 2), and on
# SIGHUP refused whole: the old texts and key are still answered, the
# announcements still go out, one line says why, and a later valid reload
# is taken (a watcher sees the old id, which follows the name, gone by
# its goodbye at once, and the new one); the daemon runs on and says
# goodbye at SIGTERM.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${BOOK_RECEIVER:?}"
DAEMON="${MCD_DAEMON_WRAP:-} $MCDISC"
lab_scratch
G=232.10.11.12
umask 077
printf 'correct horse battery staple\n' >"$tmp/a.key"
printf 'another key of the same length\n' >"$tmp/b.key"
# N pairs "kI=vvv..." of LEN bytes each (a TXT TLV is 3 bytes more).
pairs() { # N LEN PREFIX
    local v
    v=$(printf 'v%.0s' $(seq $(($2 - 3))))
    for k in $(seq "$1"); do printf '%s%02d=%s\n' "$3" "$k" "$v"; done
}
# The reply "Lamp One coap 5683" (18 bytes) and the 33-byte query: the
# extended reply is 49 bytes + TXT (LIFETIME in), the announcement 85 +
# TXT; the limit is 1232, a key's MAC takes 23. 10 TLVs of 115 bytes
# (1150) fit the reply, keyed or not, and no announcement; 5 of 227
# (1135) fit an unkeyed announcement but not a keyed one.
mapfile -t big < <(pairs 10 112 k)
mapfile -t keyed < <(pairs 5 224 k)
txt_args() { for p in "$@"; do printf -- '--txt\n%s\n' "$p"; done; }
mapfile -t big_args < <(txt_args "${big[@]}")
mapfile -t keyed_args < <(txt_args "${keyed[@]}")

lab_up 4
TXTMSG="respond: --txt: the extended reply or the announcement would be longer than 1232 bytes"
# --- start-up: refused before anything is opened, one line -----------------
expect_error "start-up: TXT too long for the announcement is refused" \
    "$TXTMSG" lab_exec 1 "$MCDISC" respond --name "Lamp One" --proto coap \
    -s 5683 "${big_args[@]}"
expect_error "start-up: TXT too long for a keyed announcement (its MAC) is refused" \
    "$TXTMSG" lab_exec 1 "$MCDISC" respond --name "Lamp One" --proto coap \
    -s 5683 --key "$tmp/a.key" "${keyed_args[@]}"

# --- reload -----------------------------------------------------------------
# h3: the chapter's receiver logs every datagram to the group: h1's are
# its announcements and goodbyes (its replies go to the querier).
lab_bg 3 "$tmp/b3.log" "$BOOK_RECEIVER" $G 3333 "$(lab_ip 3)"
wait_for "$tmp/b3.log" ready || { t_fail "receiver started"; t_done; exit 1; }
anns() { grep -c "^from $(lab_ip 1):3333 " "$tmp/b3.log"; }
conf=$tmp/respond.conf
write_conf() { # NAME KEYFILE TXT...
    printf 'name = %s\nproto = coap\nservice-port = 5683\ndelay = 0\n' "$1"
    printf 'querier-interval = 0\nkey = %s\n' "$2"
    shift 2
    for p in "$@"; do printf 'txt = %s\n' "$p"; done
}
# h4: a watcher with the first key.
W=$tmp/w.json
lab_bg 4 "$W" "$MCDISC" watch --json --key "$tmp/a.key"
w_pid=$LAB_PID
write_conf "Lamp One" "$tmp/a.key" v=1 >"$conf"
# shellcheck disable=SC2086
lab_bg 1 "$tmp/r.log" $DAEMON respond --config "$conf"
rpid=$LAB_PID
wait_for "$tmp/r.log" answering || { t_fail "responder started"; t_done; exit 1; }
# Its start-up burst (3 copies, 0, 1 and 3 s in).
for _ in $(seq 100); do [ "$(anns)" -ge 3 ] && break; sleep 0.1; done
t_check "the start-up announcements are heard ($(anns))" test "$(anns)" -ge 3
ann_len=$(grep -m1 "^from $(lab_ip 1):3333 " "$tmp/b3.log" | awk '{print $4}')

# discover from h2 with the first key: the device, verified, as JSON.
disc() {
    lab_exec 2 "$MCDISC" discover --key "$tmp/a.key" --json \
        --timeout 1000 >"$tmp/d.json" 2>/dev/null
}
t_jq_disc() { disc; t_jq "$1" "$2" "$tmp/d.json"; }
t_jq_disc "before: Lamp One, verified, TXT v=1" \
    'any(.name == "Lamp One" and .verified and .txt.v == "1")'

# Another name, another key and TXT that no announcement holds.
write_conf "Lamp Big" "$tmp/b.key" "${big[@]}" >"$conf"
kill -HUP "$rpid"
wait_for "$tmp/r.log" "SIGHUP" 5 || t_fail "the reload is answered in the log"
t_check "the refusal names --txt and the announcement, and that it was not loaded" \
    grep -q "SIGHUP: --txt: .*announcement.*not loaded, still answering as before" \
    "$tmp/r.log"
t_jq_disc "after it: the old name, key and TXT are answered" \
    'any(.name == "Lamp One" and .verified and .txt.v == "1")'
t_jq "...and never the refused name" 'all(.name != "Lamp Big")' "$tmp/d.json"
t_check "the daemon still runs" kill -0 "$rpid"
t_check "the refusal is one line: $(grep SIGHUP "$tmp/r.log")" \
    test "$(grep -c SIGHUP "$tmp/r.log")" -eq 1

# An address change on h1 makes a burst (the 10 s rate limit from the
# start-up burst holds it back until then): announcements still go out,
# of the old configuration (the same length).
n0=$(anns)
lab_exec 1 ip addr add 198.18.250.1/16 dev eth0
for _ in $(seq 150); do [ "$(anns)" -gt "$n0" ] && break; sleep 0.1; done
t_check "after the refused reload an address change is still announced ($n0 -> $(anns))" \
    test "$(anns)" -gt "$n0"
# lens FROM: the lengths of h1's datagrams after the first FROM, one per
# line.
lens() { grep "^from $(lab_ip 1):3333 " "$tmp/b3.log" | tail -n +$(($1 + 1)) | awk '{print $4}'; }
t_check "...every one the old configuration's announcement ($ann_len bytes: $(lens "$n0" | sort -u | tr '\n' ' '))" \
    test -n "$(lens "$n0")" -a "$(lens "$n0" | sort -u)" = "$ann_len"

# A valid reload is taken. The name changes the default id: the watcher
# sees the old id gone by its goodbye at once, and the new one.
wait_for "$W" '"event":"new","id":"[0-9a-f]*","name":"Lamp One"' 5 ||
    t_fail "the watcher lists Lamp One"
id1=$(grep -m1 -o '"event":"new","id":"[0-9a-f]*","name":"Lamp One"' "$W" | cut -d'"' -f8)
write_conf "Lamp Two" "$tmp/a.key" v=2 >"$conf"
kill -HUP "$rpid"
wait_for "$tmp/r.log" 'as "Lamp Two' 5 || t_fail "the valid reload is taken"
t_check "the watcher sees the old id $id1 gone (goodbye) within 1 s of the reload" \
    wait_for "$W" '"event":"gone","id":"'"$id1"'".*"reason":"goodbye"' 1
# Its announcement waits out the 10 s rate limit from the address
# change's burst (docs/PROTOCOL.md, "Announcing").
t_check "...and Lamp Two listed, then verified, within 12 s" \
    wait_for "$W" '"id":"[0-9a-f]*","name":"Lamp Two".*"verified":true' 12
t_jq_disc "a later valid reload: Lamp Two, verified, TXT v=2" \
    'any(.name == "Lamp Two" and .verified and .txt.v == "2")'

# SIGTERM: goodbyes, exit 0. A goodbye of Lamp Two is its announcement
# without the TXT pair v=2 (3 + 3 bytes; LIFETIME stays, 0): 6 bytes
# shorter. (A copy of the address change's burst, of the same length as
# the announcement, may come just before.)
n1=$(anns)
kill -TERM "$rpid"
wait "$rpid"
t_check "the responder stops cleanly" test $? -eq 0
for _ in $(seq 20); do [ "$(anns)" -gt "$n1" ] && break; sleep 0.1; done
t_check "...saying goodbye ($n1 -> $(anns): $(lens "$n1" | tr '\n' ' ')bytes; a goodbye is $((ann_len - 6)))" \
    sh -c "echo '$(lens "$n1")' | grep -qx '$((ann_len - 6))'"
kill -TERM "$w_pid"
wait "$w_pid"
t_done
