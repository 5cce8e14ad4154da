# shellcheck shell=bash
# tap.sh - the one set of test helpers for mcdisc's shell tests (cli, net,
# install), printing TAP (https://testanything.org): "ok N - what" or
# "not ok N - what", then the plan "1..N" and a count at the end. Source
# it; it defines functions and counters only, and touches nothing.
#
#   t_ok WHAT / t_fail WHAT   record one passed / failed test
#   t_check WHAT CMD...       passed when CMD exits 0
#   t_check_log WHAT CMD...   the same, CMD's output shown only on failure
#   t_jq WHAT FILTER FILE     passed when `jq -e -s FILTER` holds for the
#                             JSON lines of FILE (FILE shown on failure)
#   expect_error WHAT PATTERN CMD...
#                             passed when CMD (stdin /dev/null) exits 2 with
#                             exactly one line on stderr matching PATTERN:
#                             the shape of every mcdisc usage/start-up error
#   wait_for FILE PATTERN [SECONDS]
#                             return once a line of FILE matches PATTERN
#                             (grep), 1 after SECONDS (default 10)
#   t_done                    print the plan and the count; its status is the
#                             script's: 0 when nothing failed and something ran
#
# T_LOG: when set to a file, t_fail shows its first lines under the failure
# (e.g. the stderr of the command a test just ran).

T_N=0
T_PASS=0
T_FAIL=0

t_ok() {
    T_N=$((T_N + 1))
    T_PASS=$((T_PASS + 1))
    echo "ok $T_N - $*"
}

t_fail() {
    T_N=$((T_N + 1))
    T_FAIL=$((T_FAIL + 1))
    echo "not ok $T_N - $*"
    if [ -n "${T_LOG:-}" ] && [ -s "$T_LOG" ]; then
        head -n 20 "$T_LOG" | sed 's/^/#   | /'
    fi
}

t_check() {
    local what=$1
    shift
    if "$@"; then t_ok "$what"; else t_fail "$what"; fi
}

t_check_log() {
    local what=$1 log
    shift
    log=$(mktemp) || { t_fail "$what (mktemp failed)"; return; }
    if "$@" >"$log" 2>&1; then
        t_ok "$what"
    else
        t_fail "$what"
        head -n 40 "$log" | sed 's/^/#   | /'
    fi
    rm -f "$log"
}

t_jq() {
    if jq -e -s "$2" "$3" >/dev/null 2>&1; then
        t_ok "$1"
    else
        t_fail "$1"
        sed 's/^/#   | /' "$3"
    fi
}

expect_error() {
    local what=$1 pat=$2 err rc
    shift 2
    err=$(mktemp) || { t_fail "$what (mktemp failed)"; return; }
    "$@" >/dev/null 2>"$err" </dev/null
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$err")" -eq 1 ] &&
        grep -q -- "$pat" "$err"; then
        t_ok "$what: $(cat "$err")"
    else
        t_fail "$what (exit $rc): $(head -c 300 "$err")"
    fi
    rm -f "$err"
}

wait_for() {
    local file=$1 pat=$2 secs=${3:-10} i=0
    while [ "$i" -lt $((secs * 20)) ]; do
        grep -q -- "$pat" "$file" 2>/dev/null && return 0
        sleep 0.05
        i=$((i + 1))
    done
    echo "timed out after ${secs}s waiting for '$pat' in $file:" >&2
    sed 's/^/  | /' "$file" >&2 2>/dev/null
    return 1
}

t_done() {
    echo "1..$T_N"
    echo "# ${T_PASS} passed, ${T_FAIL} failed"
    [ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -gt 0 ]
}
