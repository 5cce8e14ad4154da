#!/bin/sh
# scripts/check_shell.sh: the tree's shell scripts parse, and the check
# names a file that does not: a list left open as deps.sh's once was (its
# package names then ran as commands), a bash script without .sh; bash
# syntax in a bash script and a script of another language pass.
set -u
SRC=${1:?usage: test_shell.sh SOURCE_DIR}
CHECK="$SRC/scripts/check_shell.sh"
pass=0
fail=0
check() {
    what=$1
    shift
    if "$@"; then
        pass=$((pass + 1)); echo "ok - $what"
    else
        fail=$((fail + 1)); echo "not ok - $what"
    fi
}
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT

check "every shell script of the tree parses" "$CHECK"

mkdir "$d/a" "$d/b"
cat >"$d/a/deps.sh" <<'X'
#!/bin/sh
LIST="
gcc
# a comment: "closed" here, the rest runs
OTHER="
make
"
X
printf '#!/usr/bin/env bash\na=(1 2)\n[[ -n ${a[0]} ]] && echo ok\n' >"$d/a/arrays.sh"
printf '#!/usr/bin/env python3\nprint("open)\n' >"$d/a/tool"
printf '#!/usr/bin/env bash\nif true; then\n  echo x\n' >"$d/b/run"
"$CHECK" "$d/a" "$d/b" >"$d/out" 2>&1
rc=$?
check "a file that does not parse fails the check (rc $rc)" test "$rc" -eq 1
check "...named: the open quote in deps.sh (sh -n)" \
    grep -q "$d/a/deps.sh does not parse with 'sh -n'" "$d/out"
check "...named: a bash script without .sh (bash -n)" \
    grep -q "$d/b/run does not parse with 'bash -n'" "$d/out"
check "bash syntax in a bash script passes" sh -c "! grep -q arrays.sh '$d/out'"
check "another language's script is not read" sh -c "! grep -q tool '$d/out'"
"$CHECK" "$d/a/arrays.sh" >/dev/null 2>&1
check "a good file alone passes" test $? -eq 0

echo "1..$((pass + fail))"
[ "$fail" -eq 0 ]
