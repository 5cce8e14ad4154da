#!/usr/bin/env bash
# A short link flap during discovery: the client's
# only link goes down for 300 ms in the middle of a run. The copies sent
# meanwhile are lost (ENETUNREACH), which is loss, not failure: the run
# goes on, keeps the device it had found, finds one that starts answering
# after the flap, warns about the unsent copies and exits 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch

# h1: the client; h2: a device from the start; h3: one after the flap;
# h4: one after the link is re-created (a host that never resolved h1's old
# MAC address).
lab_up 4
lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --verbose --name "Early lamp"
wait_for "$tmp/r2.log" "answering" || { t_fail "device started"; t_done; exit 1; }

lab_bg 1 "$tmp/d.json" "$MCDISC" discover --json --timeout 4000
d_pid=$LAB_PID
# answered N: wait until h2 answered more than N queries (--json prints
# the devices when the run ends: the device's side says the run is on).
answered() {
    local i
    for i in $(seq 100); do
        [ "$(grep -c ': answered$' "$tmp/r2.log")" -gt "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
# The flap starts once the first device answered: the run is under way.
answered 0 || t_fail "the first device answered"
lab_exec 1 ip link set eth0 down
sleep 0.3 # the flap's length; nothing is measured by it
lab_exec 1 ip link set eth0 up
lab_bg 3 "$tmp/r3.log" "$MCDISC" respond --name "Late lamp"
r3_pid=$LAB_PID
wait_for "$tmp/r3.log" "answering" || t_fail "late device started"
wait "$d_pid"
rc=$?
grep -v '^{' "$tmp/d.json" | sed 's/^/# stderr: /'
t_check "discover exits 0 after the flap" test "$rc" -eq 0
t_check "no error about sending the query" \
    sh -c "! grep -q 'sending the query' '$tmp/d.json'"
t_check "the copies lost in the flap are reported as a warning" \
    grep -Eq "^mcdisc: discover: warning: [0-9]+ of [0-9]+ copies of the query could not be sent \(last error: .+\)$" \
    "$tmp/d.json"
grep '^{' "$tmp/d.json" >"$tmp/found.json"
t_jq "the device found before the flap is listed once" \
    '[.[] | select(.name == "Early lamp")] | length == 1' "$tmp/found.json"
t_jq "the device that answered only after the flap is listed" \
    'any(.name == "Late lamp")' "$tmp/found.json"

# The link deleted and re-created (a USB adapter pulled and plugged back, a
# VPN or veth that comes and goes): it comes back with a new index, and the
# copies after that go out on it.
kill -TERM "$r3_pid"
wait "$r3_pid"
n0=$(grep -c ': answered$' "$tmp/r2.log")
lab_bg 1 "$tmp/e.json" "$MCDISC" discover --json --timeout 4000
d_pid=$LAB_PID
answered "$n0" || t_fail "the first device answered"
old=$(lab_exec 1 cat /sys/class/net/eth0/ifindex)
lab_unlink_host 1 && lab_link_host 1 || t_fail "h1's link re-created"
new=$(lab_exec 1 cat /sys/class/net/eth0/ifindex)
lab_bg 4 "$tmp/r4.log" "$MCDISC" respond --verbose --name "Later lamp"
wait_for "$tmp/r4.log" "answering" || t_fail "later device started"
wait "$d_pid"
rc=$?
grep -v '^{' "$tmp/e.json" | sed 's/^/# stderr: /'
t_check "discover exits 0 after its link was re-created (index $old -> $new)" \
    test "$rc" -eq 0 -a "$old" != "$new"
grep '^{' "$tmp/e.json" >"$tmp/found2.json"
t_jq "a device that answered only on the re-created link is listed" \
    'any(.name == "Later lamp")' "$tmp/found2.json"
t_done
