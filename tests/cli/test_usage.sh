#!/usr/bin/env bash
# The program's front door: help, version, and one-line errors with exit 2
# for unknown commands and flags. No network is touched.
set -u
MCDISC=${1:?usage: test_usage.sh PATH_TO_MCDISC}
. "$(dirname "$0")/../lib/tap.sh"
run() {
    "$MCDISC" "$@" >/tmp/mcd_usage.$$.out 2>/tmp/mcd_usage.$$.err
    rc=$?
    out=$(cat /tmp/mcd_usage.$$.out)
    err=$(cat /tmp/mcd_usage.$$.err)
    errlines=$(wc -l </tmp/mcd_usage.$$.err)
}
trap 'rm -f /tmp/mcd_usage.$$.*' EXIT

run --version
t_check "--version prints the version and exits 0" \
    test "$rc" -eq 0 -a "$(echo "$out" | grep -cE '^mcdisc [0-9]+\.[0-9]+\.[0-9]+$')" -eq 1
run --help
t_check "--help lists every command and exits 0" \
    test "$rc" -eq 0 -a "$(echo "$out" | grep -cE '^  (addr|discover|respond|send|recv|help) ')" -eq 6
for c in addr discover respond send recv; do
    run help "$c"
    t_check "help $c shows its usage" test "$rc" -eq 0 -a -n "$(echo "$out" | grep "^usage: mcdisc $c")"
    run "$c" --help
    t_check "$c --help shows the same usage" test "$rc" -eq 0 -a -n "$(echo "$out" | grep "^usage: mcdisc $c")"
done
run
t_check "no command: usage on stderr, exit 2" test "$rc" -eq 2 -a -n "$(echo "$err" | grep '^usage:')"
run frobnicate
t_check "unknown command: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a "$err" = "mcdisc: unknown command 'frobnicate' (see mcdisc --help)"
run --frobnicate
t_check "unknown global flag: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a "$err" = "mcdisc: unknown option '--frobnicate' (see mcdisc --help)"
run help frobnicate
t_check "help for an unknown command: one line, exit 2" test "$rc" -eq 2 -a "$errlines" -eq 1
run discover -x
t_check "unknown short flag: one line naming it, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "'-x'")"
run discover --timeout
t_check "a flag missing its value: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "'--timeout' needs a value")"
run discover --port 70000
t_check "a port out of range: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "'70000' is not a number in 1-65535")"
run respond extra
t_check "a stray argument: one line, exit 2" \
    test "$rc" -eq 2 -a "$errlines" -eq 1 -a -n "$(echo "$err" | grep -- "unexpected argument 'extra'")"
t_done
