#!/bin/bash
# The cores' state is private: each core struct in mcdisc/core.h holds one
# member, priv_ (so a device can still allocate it statically), and no
# file outside src/core names priv_ (the socket layers, the tools and the
# tests use the core's functions).
# usage: test_private.sh SOURCE_DIR GENERATED_INCLUDE_DIR (mcdisc/version.h)
set -u
SRC=${1:?usage: test_private.sh SOURCE_DIR GENERATED_INCLUDE_DIR}
GEN=${2:?usage: test_private.sh SOURCE_DIR GENERATED_INCLUDE_DIR}
. "$SRC/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}

for t in mcd_rcore mcd_qcore mcd_flows; do
    printf '#include "mcdisc/core.h"\n_Static_assert(sizeof(%s) == sizeof(((%s *)0)->priv_), "x");\n' \
        "$t" "$t" >"$tmp/$t.c"
    t_check_log "$t: every field is inside priv_" \
        "$CC" -std=c11 -I"$SRC/include" -I"$GEN" -fsyntax-only "$tmp/$t.c"
done

outside=$(cd "$SRC" && grep -rn --include='*.c' --include='*.h' \
    -e '\bpriv_\b' src tools tests docs bench 2>/dev/null |
    grep -v '^src/core/')
if [ -z "$outside" ]; then
    t_ok "nothing outside src/core names priv_"
else
    t_fail "priv_ named outside src/core:"
    printf '%s\n' "$outside" | sed 's/^/  | /'
fi
t_done
