#!/usr/bin/env bash
# package_test.sh - the Debian packages as a user gets them (CI, as root):
# build them with dpkg-buildpackage from a clean clone of HEAD, lintian
# them, install them on this machine, run the installed mcdisc through
# the tests that fit it (the command line in an empty network namespace,
# the completion, the service units and their command line in the lab,
# the dissector from Wireshark's global plugin folder) and the installed-
# consumer test against the packaged library; purge them at the end.
#
#   scripts/package_test.sh [OUTDIR]   (the .debs are left in OUTDIR,
#                                       default a temporary directory)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
[ "$(id -u)" -eq 0 ] || { echo "package_test.sh: run as root (it installs packages)" >&2; exit 2; }
scripts/deps.sh --package

out=${1:-}
tmp=$(mktemp -d)
purge() {
    dpkg --purge mcdisc libmcdisc-dev libmcdisc0 >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap purge EXIT
[ -n "$out" ] || out=$tmp/out
mkdir -p "$out"

echo "== dpkg-buildpackage from a clean clone of HEAD"
git clone -q "$SRC" "$tmp/src"
(cd "$tmp/src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
    { tail -n 40 "$tmp/build.log"; echo "package_test.sh: dpkg-buildpackage failed" >&2; exit 1; }
# Warnings of the fortified, hardened build are findings (cmd_send's
# --stdin overflow was one).
if grep -E 'warning:' "$tmp/build.log"; then
    echo "package_test.sh: the package build warns" >&2
    exit 1
fi
mv "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$out"/

echo "== lintian"
# Overrides are documented in debian/*.lintian-overrides.
lintian --fail-on error,warning,info -I --pedantic "$out"/*.changes

echo "== install"
apt-get install -y -qq --no-install-recommends "$out"/mcdisc_*.deb \
    "$out"/libmcdisc0_*.deb "$out"/libmcdisc-dev_*.deb >/dev/null
ver=$(dpkg-query -W -f='${Version}' mcdisc)
/usr/bin/mcdisc --version | grep -qx "mcdisc $ver" ||
    { echo "package_test.sh: /usr/bin/mcdisc --version is not $ver" >&2; exit 1; }

echo "== the installed mcdisc"
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
fails=0
run() { echo "-- $1"; shift; "$@" || fails=$((fails + 1)); }
run "command line (unshare --net)" tests/cli/test_cli_strict.sh /usr/bin/mcdisc
run "--config" tests/cli/test_config.sh /usr/bin/mcdisc
run "completion where bash-completion loads it" bash -c '
    . /usr/share/bash-completion/bash_completion &&
    __load_completion mcdisc && complete -p mcdisc | grep -q _mcdisc'
run "completion" tests/cli/test_completion.sh /usr/bin/mcdisc \
    /usr/share/bash-completion/completions/mcdisc
run "Wireshark loads the dissector from its global folder" sh -c \
    'tshark -G protocols 2>/dev/null | grep -q "^mcdisc multicast discovery"'
run "service units and their command line (lab)" env MCDISC=/usr/bin/mcdisc \
    MCDISC_UNIT_DIR=/lib/systemd/system tests/net/test_service.sh
run "dissector on lab captures" env MCDISC=/usr/bin/mcdisc \
    MCDISC_LUA=/usr/lib/$MULTIARCH/wireshark/plugins/mcdisc.lua tests/net/test_dissector.sh
run "the packaged library, as its users build against it" \
    tests/install/test_install.sh --installed "$SRC"
echo "package_test.sh: $fails test scripts failed"
[ "$fails" -eq 0 ]
