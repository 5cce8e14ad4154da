#!/usr/bin/env bash
# The program's front door: help, version, and one-line errors with exit 2
# for unknown commands and flags. No network is touched.
set -u
MCDISC=${1:?usage: test_usage.sh PATH_TO_MCDISC}
pass=0
fail=0
check() {
    local what=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "ok - $what"
    else
        fail=$((fail + 1))
        echo "not ok - $what"
    fi
}
run() {
    "$MCDISC" "$@" >/tmp/mcd_usage.$$.out 2>/tmp/mcd_usage.$$.err
    rc=$?
    out=$(cat /tmp/mcd_usage.$$.out)
    err=$(cat /tmp/mcd_usage.$$.err)
    errlines=$(wc -l </tmp/mcd_usage.$$.err)
}
trap 'rm -f /tmp/mcd_usage.$$.*' EXIT

run --version
check "--version prints the version and exits 0" \
    test "$rc" -eq 0 -a "$(echo "$out" | grep -cE '^mcdisc [0-9]+\.[0-9]+\.[0-9]+$')" -eq 1
run --help
check "--help lists every command and exits 0" \
    test "$rc" -eq 0 -a "$(echo "$out" | grep -cE '^  (addr|discover|respond|send|recv|help) ')" -eq 6
for c in addr discover respond send recv; do
    run help "$c"
    check "help $c shows its usage" test "$rc" -eq 0 -a -n "$(echo "$out" | grep "^usage: mcdisc $c")"
    run "$c" --help
    check "$c --help shows the same usage" test "$rc" -eq 0 -a -n "$(echo "$out" | grep "^usage: mcdisc $c")"
done
run
check "no command: usage on stderr, exit 2" test "$rc" -eq 2 -a -n "$(echo "$err" | grep '^usage:')"
run frobnicate
check "unknown command: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a "$err" = "mcdisc: unknown command 'frobnicate' (see mcdisc --help)"
run --frobnicate
check "unknown global flag: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a "$err" = "mcdisc: unknown option '--frobnicate' (see mcdisc --help)"
run help frobnicate
check "help for an unknown command: one line, exit 2" test "$rc" -eq 2 -a "$errlines" -eq 1
run discover -x
check "unknown short flag: one line naming it, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "'-x'")"
run discover --timeout
check "a flag missing its value: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "'--timeout' needs a value")"
run discover --port 70000
check "a port out of range: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "'70000' is not a number in 1-65535")"
run respond extra
check "a stray argument: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "unexpected argument 'extra'")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
