#!/usr/bin/env bash
# respond --config: the file's keys are the long options of respond's
# table; everything refused is one line naming FILE:LINE and exit 2,
# before any socket is opened. The one case that gets as far as opening
# runs under `unshare --net` (no interface there: it fails at the join).
set -u
MCDISC=${1:?usage: test_config.sh PATH_TO_MCDISC}
. "$(dirname "$0")/../lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
# refused WHAT PATTERN FILE-CONTENT [ARGS...]
refused() {
    local what=$1 pat=$2 body=$3
    shift 3
    n=$((n + 1))
    printf '%b' "$body" >"$tmp/c$n.conf"
    expect_error "$what" "$pat" "$MCDISC" respond --config "$tmp/c$n.conf" "$@"
}
refused "a bad number" "c1.conf:2: respond: --rate: 'x' is not a number" 'name = Lamp\nrate = x\n'
refused "an unknown key" "c2.conf:3: respond: unknown key 'nmae'" '# c\n\nnmae = Lamp\n'
refused "a section" "c3.conf:1: respond: sections are not used ('\[respond\]')" '[respond]\nname = Lamp\n'
refused "a flag's value" "c4.conf:1: respond: verbose: 'maybe' must be true or false" 'verbose = maybe\n'
refused "a continuation line" "c5.conf:2: respond: a line starting with a blank" 'name = Lamp\n  Two\n'
refused "a line without '='" "c6.conf:1: respond: not a 'key = value' line" 'name Lamp\n'
refused "config in a config" "c7.conf:1: respond: unknown key 'config'" 'config = /etc/x\n'
refused "help is no key" "c8.conf:1: respond: unknown key 'help'" 'help = true\n'
refused "a bad group" "c9.conf:1: respond: --group '224.0.0.1x'" 'group = 224.0.0.1x\n'
refused "a long line" "c10.conf:1: respond: a line longer than 198 bytes" "name = $(printf '%0250d' 0)\n"
refused "too many ifaces" "c11.conf:33: respond: at most 32 --iface" "$(for i in $(seq 1 33); do printf 'iface = e%d\\n' "$i"; done)"
refused "a bad name (checked as the flag's)" "respond: --name 'a\\\\x01b'" 'name = a\001b\n'
expect_error "a missing file" "respond: --config '$tmp/none': No such file or directory" \
    "$MCDISC" respond --config "$tmp/none"
# The command line wins: a bad key the command line overrides is not read.
printf 'group = 224.0.0.1x\nname = Lamp\n' >"$tmp/over.conf"
if unshare --net true 2>/dev/null; then
    unshare --net "$MCDISC" respond --config "$tmp/over.conf" --group 239.255.0.1 \
        >/dev/null 2>"$tmp/over.err" </dev/null
    t_check "--group on the command line overrides the file's group" \
        sh -c "! grep -q '224.0.0.1x' '$tmp/over.err' && grep -q 'interface' '$tmp/over.err'"
else
    t_fail "unshare --net is needed for the override test"
fi
t_check "--config is in the option table" sh -c "'$MCDISC' respond --list-options | grep -qx -- --config="
t_done
