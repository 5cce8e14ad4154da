#!/usr/bin/env bash
# The service: the systemd units (dist/systemd/, or the installed ones in
# MCDISC_UNIT_DIR) pass `systemd-analyze verify` and score an exposure of
# at most 2.0 in `systemd-analyze security`; the unit's command line runs
# in the lab with a configuration file: readiness is notified once joined
# (sd_notify), SIGHUP with a changed name is answered with the new name
# within 1 s and keeps the memberships, a broken file keeps the old name
# and says why, a changed group is joined anew; counters survive reloads.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
UNITS=${MCDISC_UNIT_DIR:-$here/../../dist/systemd}
command -v systemd-analyze >/dev/null ||
    { echo "FAIL: systemd-analyze is missing (scripts/deps.sh)"; exit 1; }
lab_scratch

# --- the units, offline ------------------------------------------------------
# verify wants the programs to exist: the installed units are checked as
# they are, the tree's with the program under test in /usr/bin's place.
mkdir "$tmp/units"
for u in mcdisc-respond.service mcdisc-respond@.service; do
    if [ -x /usr/bin/mcdisc ] && [ "$UNITS" != "$here/../../dist/systemd" ]; then
        cp "$UNITS/$u" "$tmp/units/$u"
    else
        sed "s|/usr/bin/mcdisc|$MCDISC|" "$UNITS/$u" >"$tmp/units/$u"
    fi
done
ln -s mcdisc-respond@.service "$tmp/units/mcdisc-respond@lamp.service"
for u in mcdisc-respond.service mcdisc-respond@lamp.service; do
    (cd "$tmp/units" && systemd-analyze verify --man=false "./$u") >"$tmp/verify.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && [ ! -s "$tmp/verify.out" ]; then
        t_ok "systemd-analyze verify accepts $u, silently"
    else
        t_fail "systemd-analyze verify $u (exit $rc): $(head -c 300 "$tmp/verify.out")"
    fi
    (cd "$tmp/units" && systemd-analyze security --offline=true --threshold=20 "./$u") \
        >"$tmp/sec.out" 2>&1
    rc=$?
    level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$tmp/sec.out")
    if [ "$rc" -eq 0 ] && [ -n "$level" ] && awk "BEGIN { exit !($level <= 2.0) }"; then
        t_ok "$u: exposure level $level (at most 2.0)"
    else
        t_fail "$u: exposure level '$level', exit $rc"
    fi
done
grep -q '^DynamicUser=yes$' "$UNITS/mcdisc-respond.service" &&
    grep -q '^CapabilityBoundingSet=$' "$UNITS/mcdisc-respond.service" &&
    grep -q '^Type=notify$' "$UNITS/mcdisc-respond.service" &&
    t_ok "DynamicUser, no capabilities, Type=notify" ||
    t_fail "DynamicUser, no capabilities, Type=notify"

# --- the unit's command line in the lab -------------------------------------
exec_start=$(sed -n 's/^ExecStart=//p' "$UNITS/mcdisc-respond.service")
conf=$tmp/respond.conf
# shellcheck disable=SC2206
cmd=(${exec_start//\/etc\/mcdisc\/respond.conf/$conf})
[ "${cmd[0]}" = /usr/bin/mcdisc ] && cmd[0]=$MCDISC
t_check "ExecStart reads /etc/mcdisc/respond.conf (${exec_start})" \
    grep -q -- '--config /etc/mcdisc/respond.conf' <<<"$exec_start"
t_check "the template's instance reads /etc/mcdisc/respond-%i.conf" \
    grep -q -- '^ExecStart=/usr/bin/mcdisc respond .*--config /etc/mcdisc/respond-%i.conf$' \
    "$UNITS/mcdisc-respond@.service"

cat >"$conf" <<'EOF'
# The lamp in the lab.
name = Lamp One
proto = coap
service-port = 5683
delay = 0
querier-interval = 0
verbose = false
EOF
lab_up 2
lab_bg 2 "$tmp/notify.log" socat -u "UNIX-RECV:$tmp/notify" -
wait_for_socket() { for _ in $(seq 1 50); do [ -S "$tmp/notify" ] && return 0; sleep 0.05; done; return 1; }
wait_for_socket || t_fail "notify socket ready"
lab_bg 2 "$tmp/r.log" env NOTIFY_SOCKET="$tmp/notify" "${cmd[@]}"
rpid=$LAB_PID
wait_for "$tmp/r.log" "answering" || t_fail "responder started"
wait_for "$tmp/notify.log" "READY=1" 5 &&
    t_ok "readiness notified (READY=1)" || t_fail "readiness notified: $(cat "$tmp/notify.log")"
t_check "READY=1 after the join" sh -c "grep -q 'joined on' '$tmp/r.log'"

# found NAME [DISCOVER ARGS]: discover (from h1) lists NAME.
found() {
    local name=$1
    shift
    lab_exec 1 "$MCDISC" discover --json --count 1 --timeout 1500 "$@" >"$tmp/d.json" 2>/dev/null
    jq -e -s --arg n "$name" 'any(.[]; .name == $n)' "$tmp/d.json" >/dev/null
}
t_check "answers with the file's name" found "Lamp One"

# SIGHUP with a changed name: the new name within 1 s, memberships kept.
joins=$(grep -c "joined on" "$tmp/r.log")
sed -i 's/^name = .*/name = Lamp Two/' "$conf"
t0=$(date +%s%N)
kill -HUP "$rpid"
ok=0
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ]; do
    if lab_exec 1 "$MCDISC" discover --json --count 1 --retries 0 --timeout 200 \
        >"$tmp/d2.json" 2>/dev/null && grep -q '"Lamp Two"' "$tmp/d2.json"; then
        ok=1
        break
    fi
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ok" = 1 ] && t_ok "SIGHUP: the new name answered ${ms} ms later (within 1000)" ||
    t_fail "SIGHUP: the new name not answered within 1 s: $(cat "$tmp/d2.json")"
t_check "reload swapped in place: no membership dropped and joined again" \
    test "$(grep -c 'joined on' "$tmp/r.log")" -eq "$joins"
wait_for "$tmp/notify.log" "RELOADING=1" 2 && t_ok "reloading notified" ||
    t_fail "reloading notified"

# A broken file: the old name goes on, and the log says where and why.
printf 'name = Lamp Three\nrate = fast\n' >"$conf"
kill -HUP "$rpid"
wait_for "$tmp/r.log" "not loaded" 5 || t_fail "the broken file is reported"
t_check "the reason names the file and line" \
    grep -q "respond.conf:2: respond: --rate: 'fast'" "$tmp/r.log"
t_check "a broken file keeps the old name" found "Lamp Two"
t_check "...and the new one is not answered" sh -c "! grep -q 'Lamp Three' '$tmp/d.json'"
printf 'name = Lamp Two\nnonsense = 1\n' >"$conf"
kill -HUP "$rpid"
wait_for "$tmp/r.log" "unknown key 'nonsense'" 5 &&
    t_ok "an unknown key is refused, naming it" || t_fail "an unknown key is refused"

# Another group: joined anew, the old one left.
printf 'name = Lamp Four\ngroup = 239.255.0.9\ndelay = 0\nquerier-interval = 0\n' >"$conf"
kill -HUP "$rpid"
wait_for "$tmp/r.log" 'as "Lamp Four' 5 || t_fail "reloaded onto another group"
t_check "another group: answered there" found "Lamp Four" --group 239.255.0.9
lab_exec 1 "$MCDISC" discover --json --timeout 500 >"$tmp/old.json" 2>/dev/null
t_check "...and not on the old group" test ! -s "$tmp/old.json"

# The counters went on across the reloads.
kill -INT "$rpid"
wait "$rpid"
t_check "the responder stops cleanly" test $? -eq 0
n=$(sed -n 's/.*answered \([0-9]*\).*/\1/p' "$tmp/r.log" | tail -n 1)
t_check "the counters survive reloads (answered ${n:-?}, at least 3)" test "${n:-0}" -ge 3
t_check "STOPPING=1 notified" grep -q "STOPPING=1" "$tmp/notify.log"
t_done
