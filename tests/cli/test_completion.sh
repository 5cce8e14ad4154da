#!/usr/bin/env bash
# The bash completion (dist/bash-completion/mcdisc), called as bash calls
# it: COMP_WORDS and COMP_CWORD prepared, _mcdisc run, COMPREPLY read.
# Subcommands, every option of each subcommand's table, interface names
# after --iface (as two words, as "--iface=", and as "-i"), files after
# --config, nothing offered for another option's value. Opens no socket
# (--list-options and --help only).
set -u
MCDISC=${1:?usage: test_completion.sh PATH_TO_MCDISC COMPLETION_FILE}
COMPLETION=${2:?usage: test_completion.sh PATH_TO_MCDISC COMPLETION_FILE}
. "$(dirname "$0")/../lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC1090
. "$COMPLETION"
registered() { complete -p mcdisc 2>/dev/null | grep -q -- '-F _mcdisc'; }
t_check "the file registers _mcdisc for mcdisc" registered

# complete WORD... : the words typed, the last one being completed.
complete_words() {
    COMP_WORDS=("$MCDISC" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _mcdisc "$MCDISC" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort
}
# expect WHAT EXPECTED_LINES WORD...
expect() {
    local what=$1 want=$2 got
    shift 2
    got=$(complete_words "$@")
    if [ "$got" = "$(printf '%s\n' "$want" | sort)" ]; then
        t_ok "$what"
    else
        t_fail "$what: got [$(echo $got)], want [$(echo $want)]"
    fi
}

cmds=$("$MCDISC" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
expect "every subcommand at the first word" "$cmds" ""
expect "subcommands by prefix: 're'" "respond
recv" re
expect "the program's flags" "--help
--version" --
expect "help completes subcommand names" "$(grep -vx help <<<"$cmds")" help ""

for c in $(grep -vx help <<<"$cmds"); do
    want=$("$MCDISC" "$c" --list-options | tr -d =)
    expect "$c: every option of its table" "$want" "$c" --
done
expect "respond: options by prefix '--allow-'" "--allow-unicast
--allow-offlink
--allow-from
--allow-amplification" respond --allow-
expect "options after other options and values" "--name" respond -v --group 239.1.2.3 --na

ifaces=$(ls /sys/class/net)
expect "respond --iface: this host's interfaces" "$ifaces" respond --iface ""
expect "discover -i: this host's interfaces" "$ifaces" discover -i ""
expect "recv --iface= (one word)" "$ifaces" recv --iface=
expect "send --iface = (words split at '=')" "$ifaces" send --iface = ""
fake=$tmp/net
mkdir -p "$fake/eth0" "$fake/wlan0" "$fake/enp3s0"
MCDISC_SYSFS_NET=$fake expect "--iface completes by prefix" "eth0
enp3s0" respond --iface e
expect "no option offered as another option's value" "" respond --name --
touch "$tmp/respond.conf"
expect "--config completes file names" "$tmp/respond.conf" respond --config "$tmp/resp"
t_done
