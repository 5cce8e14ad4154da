#!/bin/sh
# libmcdisc.so's surface is its headers: every symbol it exports is a
# function declared in include/, and every function declared there is
# exported (a forgotten MCD_EXTERN, or an internal helper leaking out).
# The declarations come from gcc's -aux-info: the compiler's own list.
set -u
LIB=${1:?usage: test_symbols.sh LIBMCDISC_SO INCLUDE_DIR...}
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GCC=${GCC:-gcc}
command -v "$GCC" >/dev/null || { echo "not ok - $GCC is needed (-aux-info)"; exit 1; }
command -v nm >/dev/null || { echo "not ok - nm is needed"; exit 1; }
incs=""
dirs=""
for d in "$@"; do
    d=$(cd "$d" && pwd) || exit 1
    incs="$incs -I$d"
    dirs="$dirs $d"
done
printf '#include "mcdisc.h"\n' >"$tmp/all.c"
# shellcheck disable=SC2086
"$GCC" -std=c11 $incs -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c" ||
    { echo "not ok - the headers do not compile"; exit 1; }
# Keep the declarations made in the given include directories only.
for d in $dirs; do
    grep -F "/* $d/" "$tmp/aux"
done | sed -n 's/.* \**\([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p' | sort -u >"$tmp/declared"
nm -D --defined-only "$LIB" | awk '$2 ~ /^[TDRBVW]$/ {print $3}' |
    grep -v '^_' | sort -u >"$tmp/exported"
fail=0
n=$(wc -l <"$tmp/declared")
[ "$n" -gt 20 ] || { echo "not ok - only $n declarations found"; fail=1; }
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
    echo "not ok - exported but not declared in include/:"; echo "$extra" | sed 's/^/  | /'
    fail=1
else
    echo "ok - every exported symbol is declared in include/ ($(wc -l <"$tmp/exported"))"
fi
if [ -n "$missing" ]; then
    echo "not ok - declared in include/ but not exported:"; echo "$missing" | sed 's/^/  | /'
    fail=1
else
    echo "ok - every function declared in include/ is exported ($n)"
fi
exit $fail
