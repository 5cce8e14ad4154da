#!/usr/bin/env bash
# Every long option each subcommand accepts (its option table, as the
# hidden `mcdisc SUBCMD --list-options` prints it) is documented in that
# subcommand's --help and under its name in the man page's OPTIONS; and
# each default the man page states next to a ".\" default: NAME" line is
# the value of that constant (`mcdisc --list-defaults`), every constant
# named at least once. Opens no socket.
set -u
MCDISC=${1:?usage: test_options_doc.sh PATH_TO_MCDISC PATH_TO_MCDISC.1}
MAN=${2:?usage: test_options_doc.sh PATH_TO_MCDISC PATH_TO_MCDISC.1}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../lib/tap.sh"

# The subcommands, from the program's own list (help aside).
cmds=$("$MCDISC" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | grep -vx help)
[ -n "$cmds" ] && t_ok "mcdisc --help lists subcommands" ||
    t_fail "mcdisc --help lists subcommands"

# The lines of the man page's OPTIONS subsection ".Ss NAME".
man_section() {
    awk -v name="$1" '
        /^\.Sh / { in_opts = ($2 == "OPTIONS"); sub_ok = 0; next }
        /^\.Ss / { sub_ok = in_opts && $2 == name; next }
        sub_ok' "$MAN"
}

for c in $cmds; do
    if ! "$MCDISC" "$c" --list-options >"$T/opts" 2>"$T/err" ||
        ! grep -q '^--' "$T/opts"; then
        t_fail "$c --list-options lists its options ($(head -c 200 "$T/err"))"
        continue
    fi
    "$MCDISC" "$c" --help >"$T/help"
    man_section "$c" >"$T/man"
    [ -s "$T/man" ] && t_ok "man page has OPTIONS for $c" ||
        t_fail "man page has OPTIONS for $c (no '.Ss $c' under '.Sh OPTIONS')"
    while read -r opt; do
        name=${opt#--}
        name=${name%=} # "--name=": it takes a value
        # In --help: "--name" not followed by more of a name.
        if grep -qE -- "(^|[^a-z-])--$name([^a-z-]|\$)" "$T/help"; then
            t_ok "$c --help documents $opt"
        else
            t_fail "$c --help documents $opt"
        fi
        # In mdoc: "Fl -name" as a whole word.
        if grep -qE -- "(^|[ .])Fl \\\\?-$name( |\$)" "$T/man"; then
            t_ok "man page documents $opt under $c"
        else
            t_fail "man page documents $opt under $c"
        fi
    done <"$T/opts"
done

# --- defaults --------------------------------------------------------------

if ! "$MCDISC" --list-defaults >"$T/defaults" 2>/dev/null ||
    ! grep -q '^MCD_DEFAULT_PORT ' "$T/defaults"; then
    t_fail "mcdisc --list-defaults lists the constants"
else
    t_ok "mcdisc --list-defaults lists the constants"
fi
value_of() { sed -n "s/^$1 //p" "$T/defaults"; }
# A value stands in a line as itself: a number not inside a longer
# number, a text as it is.
has_value() {
    local v=$1 line=$2
    if [[ $v =~ ^[0-9]+$ ]]; then
        [[ $line =~ (^|[^0-9.])$v([^0-9]|\.[^0-9]|\.?$) ]]
    else
        [[ $line == *"$v"* ]]
    fi
}
checked=0
# Each ".\" default: NAME..." line and the line after it.
while IFS=$'\t' read -r lineno names next; do
    for n in $names; do
        v=$(value_of "$n")
        if [ -z "$v" ]; then
            t_fail "man line $lineno: $n is not a constant mcdisc lists"
        elif has_value "$v" "$next"; then
            t_ok "man line $lineno: $n = $v"
        else
            t_fail "man line $lineno: $n is $v, the page says: $next"
        fi
        checked=$((checked + 1))
    done
done < <(awk '/^\.\\" default: / { n = FNR; names = $0; sub(/^[^:]*: /, "", names); next }
              n { print n "\t" names "\t" $0; n = 0 }' "$MAN")
[ "$checked" -gt 0 ] && t_ok "the man page names defaults ($checked)" ||
    t_fail "the man page names defaults"
while read -r n _; do
    if grep -qE "^\.\\\\\" default: .*\\b$n\\b" "$MAN"; then
        t_ok "the man page states $n"
    else
        t_fail "the man page states $n"
    fi
done <"$T/defaults"
# No default in OPTIONS without its constant: "default N" or "default
# \"TEXT\"" has a ".\" default:" line just before the value.
untagged=$(awk '
    /^\.Sh / { in_opts = ($2 == "OPTIONS") }
    in_opts && /^\.\\" default: / { tagged = 1; next }
    in_opts && /default$/ { want = 1; next }
    in_opts && want { if (!tagged) print FNR ": " $0; want = 0 }
    in_opts && /default [0-9"]/ { print FNR ": " $0 }
    { tagged = 0 }' "$MAN")
[ -z "$untagged" ] && t_ok "every default in OPTIONS names its constant" ||
    t_fail "defaults without their constant: $untagged"

# --- the page is valid mdoc ------------------------------------------------

if command -v mandoc >/dev/null; then
    mandoc -T lint -W warning "$MAN" >"$T/lint" 2>&1
elif command -v groff >/dev/null; then
    groff -mdoc -Tutf8 -ww -z "$MAN" >"$T/lint" 2>&1
else
    echo "neither mandoc nor groff is installed (scripts/deps.sh installs groff-base)" >"$T/lint"
fi
[ ! -s "$T/lint" ] && t_ok "the man page lints clean" ||
    t_fail "the man page lints clean: $(head -5 "$T/lint")"

t_done
