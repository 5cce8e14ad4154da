#!/bin/sh
# check_shell.sh - every shell script parses: `sh -n` for /bin/sh ones,
# `bash -n` for bash ones (by the #! line; a sourced library without one,
# *.sh, is bash's: only bash scripts source them). A quote left open in
# scripts/deps.sh once made the rest of it, a comment included, run as
# code; this finds such a file in well under a second, before anything
# runs. Usage: scripts/check_shell.sh [DIR|FILE...] (default: scripts/,
# tests/, .ci/ and bench/ of this tree). Exit 0, or 1 after a line for
# each file that does not parse.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$root/scripts" "$root/tests" "$root/.ci" "$root/bench"

# The shell a file is for: sh, bash, or nothing (not a shell script).
shell_of() {
    first=$(head -n 1 "$1" 2>/dev/null) || first=
    case $first in
    '#!'*bash*) echo bash ;;
    '#!'*sh | '#!'*sh' '*) echo sh ;;
    '#!'*) ;;
    *) case $1 in *.sh) echo bash ;; esac ;;
    esac
}

bad=0 n=0
files=$(find "$@" -type f ! -path '*/corpus/*' | sort) || exit 1
set -f # one file a line, as named
IFS='
'
for f in $files; do
    sh=$(shell_of "$f")
    [ -n "$sh" ] || continue
    n=$((n + 1))
    if ! err=$("$sh" -n "$f" 2>&1); then
        echo "check_shell: $f does not parse with '$sh -n': $(echo "$err" | head -n 1)" >&2
        bad=1
    fi
done
if [ "$n" -eq 0 ]; then
    echo "check_shell: no shell script found in $*" >&2
    exit 1
fi
[ "$bad" -eq 0 ] && echo "check_shell: $n shell scripts parse"
exit "$bad"
