#!/bin/bash
# The cores' state is private: each core struct in mcdisc/core.h holds one
# member, priv_ (so a device can still allocate it statically), and only
# the code that owns a struct reaches into priv_: src/core for the cores,
# the lwIP port for its own handle. The socket layers, the tools and the
# tests use functions.
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

# The lwIP port's own handle is r->priv_; anything else there is not its.
outside=$(cd "$SRC" && grep -rn --include='*.c' --include='*.h' \
    -E -e '(\.|->)priv_\b' src tools tests docs bench 2>/dev/null |
    grep -v -e '^src/core/' |
    awk '!/^src\/net\/lwip\/responder_lwip\.c:/ { print; next }
         { line = $0; gsub(/r->priv_\./, "", line)
           if (line ~ /(\.|->)priv_/) print }')
if [ -z "$outside" ]; then
    t_ok "nothing outside its owner reaches into priv_"
else
    t_fail "priv_ reached from outside its owner:"
    printf '%s\n' "$outside" | sed 's/^/  | /'
fi
t_done
