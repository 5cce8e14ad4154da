#!/usr/bin/env bash
# mcdisc watch against forgeries from off the link. The watcher queries
# with TTL 1, so whatever answers or announces from outside the link's
# prefixes is forged or misrouted: refused, as discover refuses it. A
# chapter reply needs no nonce, so without this rule anyone who can reach
# the watcher's port could list a device. Spoofed (raw socket) replies
# and announcements from 8.8.8.8 and from the lab's broadcast address are
# not listed; the same forgeries from an on-link address are (the control:
# the forgeries themselves are well formed and reach the watcher).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}" "${FORGER:?path to tests/peers/forger}" \
    "${SPOOF:?path to tests/peers/spoof}"
lab_scratch
G=232.10.11.12
BCAST=198.18.255.255 # the lab's /16
W=$tmp/w.log

# hex TEXT: the bytes of TEXT in hex.
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# announce ID NAME: an unsigned announcement (docs/PROTOCOL.md,
# "Announcements and goodbyes"): the query, a NUL, the header (magic,
# version 1, kind 3, flags 0, counter 1), the id, TEXT and LIFETIME 30.
announce() {
    local text="$2 http 80"
    printf '%s00%s010300%s%s06%04x%s040004%08x' \
        "$(hex 'Are you Espressif IOT Smart Light')" "$(hex MCDX)" \
        0000000000000001 "$1" "${#text}" "$(hex "$text")" 30
}

# h1: the watcher; h2: the forger (answers its first query); h3: spoofs
# announcements.
lab_up 3
F=$(lab_ip 2)
lab_bg 2 "$tmp/f.log" "$FORGER" "$F" $G 3333 spoof 8.8.8.8 3333 \
    spoof $BCAST 3333 spoof "$F" 3333
wait_for "$tmp/f.log" "ready" || { t_fail "forger started"; t_done; exit 1; }
lab_bg 1 "$W" "$MCDISC" watch --json
w_pid=$LAB_PID
t_check "the forger answered the watcher's first query" \
    wait_for "$tmp/f.log" "^forged 3 " 5
t_check "control: the forged chapter reply from on-link $F is listed" \
    wait_for "$W" '"event":"new","id":null,"name":"Spoof '"$F"' 3333"' 5

# Announcements: one from off the link, one from the broadcast address,
# then the control from an on-link address. Datagrams on one link are
# taken in order, so once the control is listed the others were seen.
n=0
for src in 8.8.8.8 $BCAST 198.18.7.7; do
    n=$((n + 1))
    lab_exec 3 "$SPOOF" $G 3333 eth0 "$src" 1 100 0 \
        "$(announce "$(printf '%016x' $((0xa0 + n)))" "Announced from $src")" \
        >>"$tmp/spoof.log" 2>&1 || t_fail "spoof from $src ran"
done
t_check "control: the announcement spoofed from on-link 198.18.7.7 is listed" \
    wait_for "$W" '"name":"Announced from 198.18.7.7"' 5
# SIGUSR1: the counters, a JSON object on standard error (in $W too).
kill -USR1 "$w_pid"
t_check "SIGUSR1 prints the counters" wait_for "$W" '"off_link":' 2
t_check "...which count the 2 replies and 2 announcements refused as off-link" \
    grep -q '^{"devices":2,.*"off_link":4}$' "$W"
kill -TERM "$w_pid"
wait "$w_pid"

t_check "no reply from the off-link 8.8.8.8 is listed" \
    sh -c "! grep -q '8\.8\.8\.8' '$W'"
t_check "no reply or announcement from the broadcast address is listed" \
    sh -c "! grep -q '$BCAST' '$W'"
t_check "the announcement from off the link is not listed" \
    sh -c "! grep -q 'Announced from 8' '$W'"
sed 's/^/# watch: /' "$W"
t_done
