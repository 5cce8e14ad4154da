#!/usr/bin/env bash
# test_addr_cli.sh - `mcdisc addr` as a user meets it: exit codes,
# one-line messages, and the --json output read back with jq.
#
# usage: test_addr_cli.sh PATH_TO_MCDISC
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 PATH_TO_MCDISC" >&2
    exit 2
fi
MCDISC=$1
. "$(dirname "$0")/../lib/tap.sh"
if [ ! -x "$MCDISC" ]; then
    echo "$0: '$MCDISC' is not an executable" >&2
    exit 2
fi
if ! command -v jq >/dev/null 2>&1; then
    echo "$0: jq is needed to check the --json output" >&2
    exit 2
fi

TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT

# t_fail shows the stderr of the last run.
T_LOG=$TMP/err

# run ARGS...: run mcdisc, leaving $TMP/out, $TMP/err and $RC.
run() {
    "$MCDISC" "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
}

rc_is() { [ "$RC" -eq "$1" ]; }
lines() { wc -l <"$1" | tr -d ' '; }
err_lines_are() { [ "$(lines "$TMP/err")" -eq "$1" ]; }
out_empty() { [ ! -s "$TMP/out" ]; }
err_names() { grep -qF -- "'$1'" "$TMP/err"; }
out_lines_are() { [ "$(lines "$TMP/out")" -eq "$1" ]; }
blank_lines_are() { [ "$(grep -c '^$' "$TMP/out")" -eq "$1" ]; }
usage_error() { rc_is 2 && err_lines_are 1 && out_empty; }
help_printed() {
    rc_is 0 && grep -q '^usage: mcdisc addr' "$TMP/out" && err_lines_are 0
}
no_raw_control() {
    err_lines_are 1 && ! LC_ALL=C grep -q $'[\x01\x1b]' "$TMP/err"
}

# jq_line N FILTER: the N-th stdout line (1-based) satisfies FILTER.
jq_line() {
    local line
    line=$(sed -n "${1}p" "$TMP/out")
    [ -n "$line" ] && printf '%s\n' "$line" | jq -e "$2" >/dev/null 2>&1
}

# Every stdout line is one JSON object on its own.
all_lines_json() {
    local line count=0
    while IFS= read -r line; do
        printf '%s\n' "$line" | jq -e 'type == "object"' >/dev/null 2>&1 ||
            return 1
        count=$((count + 1))
    done <"$TMP/out"
    [ "$count" -gt 0 ]
}

# --- exit codes ----------------------------------------------------------

run addr 232.10.11.12
t_check "multicast IPv4 exits 0" rc_is 0
t_check "a valid address writes nothing on stderr" err_lines_are 0

run addr ff02::fb
t_check "multicast IPv6 exits 0" rc_is 0

run addr 10.0.0.1
t_check "unicast IPv4 exits 1" rc_is 1

run addr 2001:db8::1
t_check "unicast IPv6 exits 1" rc_is 1

run addr 224.0.0.1 ff02::1 239.255.255.250
t_check "several multicast addresses exit 0" rc_is 0

run addr 224.0.0.1 10.0.0.1
t_check "multicast and unicast exit 1" rc_is 1

run addr 224.0.0.1 10.0.0.1 bogus
t_check "an invalid input among valid ones exits 2" rc_is 2
t_check "...with one stderr line" err_lines_are 1
t_check "...and the valid ones still printed" grep -q '^10\.0\.0\.1$' "$TMP/out"

run addr bogus 224.0.0.1
t_check "an invalid input first still exits 2" rc_is 2

# --- strict parsing --------------------------------------------------------

strict_cases=(
    "224.0.0"
    "224.0.0.256"
    " 224.0.0.1"
    "224.0.0.1x"
    "0x e0.0.0.1"
    ""
    "010.0.0.1"
    "224.0.0.1 "
    ":::"
    "1::2::3"
    "12345::"
    "1:2:3:4:5:6:7:8:9"
    "::ffff:1.2.3"
    "fe80::1%eth0"
)
for input in "${strict_cases[@]}"; do
    run addr "$input"
    if rc_is 2 && err_lines_are 1 && err_names "$input" && out_empty; then
        t_ok "'$input' exits 2 with one stderr line naming it"
    else
        t_fail "'$input' exits 2 with one stderr line naming it (rc $RC)"
    fi
done

run addr $'22\x01\x1b[31m4.0.0.1'
t_check "control bytes in an input are not echoed raw" no_raw_control

# --- usage errors ----------------------------------------------------------

run addr --bogus 224.0.0.1
t_check "unknown long option exits 2" rc_is 2
t_check "...with exactly one stderr line" err_lines_are 1
t_check "...naming the option" grep -qF -- "--bogus" "$TMP/err"

run addr -Z 224.0.0.1
t_check "unknown short option exits 2 with one line" usage_error

run addr
t_check "no address exits 2 with one line" usage_error

run addr --json
t_check "--json and no address exits 2 with one line" usage_error

run addr --help
t_check "--help exits 0 and prints usage on stdout" help_printed

run addr -h
t_check "-h exits 0 and prints usage on stdout" help_printed

# --- human output ----------------------------------------------------------

run addr 232.10.11.12
t_check "human output names the SSM block" \
    grep -q 'Source-Specific Multicast Block (RFC 4607)' "$TMP/out"
t_check "human output warns about any-source joins in 232/8" \
    grep -q 'any-source *no: 232/8' "$TMP/out"
t_check "human output shows the MAC" \
    grep -q 'mac *01:00:5e:0a:0b:0c (shared with 31 other groups)' "$TMP/out"

run addr 10.0.0.1
t_check "human output says unicast" grep -q 'multicast *no (IPv4)' "$TMP/out"

run addr 224.0.0.1 ff02::1
t_check "a blank line separates addresses" blank_lines_are 1

# --- JSON ------------------------------------------------------------------

run addr --json 232.10.11.12 239.255.255.250 233.1.2.3 ff02::fb \
    ff7e:140:2001:db8:beef:feed::1234 10.0.0.1
t_check "--json exits 1 when one address is unicast" rc_is 1
t_check "--json writes one JSON object per line" all_lines_json
t_check "--json writes one line per address" out_lines_are 6
t_check "232.10.11.12: SSM block, asm_ok false, MAC" jq_line 1 '
    .address == "232.10.11.12" and .input == "232.10.11.12"
    and .family == "ipv4" and .multicast == true and .class == "user"
    and .block == "Source-Specific Multicast Block" and .rfc == "RFC 4607"
    and .asm_ok == false and .mac == "01:00:5e:0a:0b:0c"
    and .mac_shared_with == 31 and (has("glop_as") | not)'
t_check "239.255.255.250: SSDP, IPv4 Local Scope" jq_line 2 '
    .assignment == "SSDP (UPnP)" and .class == "local"
    and .sub_block == "IPv4 Local Scope" and .scope == "site-local"
    and .asm_ok == true'
t_check "233.1.2.3: GLOP AS 258" jq_line 3 '
    .block == "GLOP Block" and .glop_as == 258'
t_check "ff02::fb: mDNSv6, link-local, no flags" jq_line 4 '
    .family == "ipv6" and .assignment == "mDNSv6"
    and .scope == "link-local" and .class == null
    and .flags == {"R": false, "P": false, "T": false}
    and .mac == "33:33:00:00:00:fb" and .mac_shared_with == "2^96-1"
    and .rp == null and .solicited_node == false'
t_check "ff7e:140:2001:db8:beef:feed::1234: embedded RP" jq_line 5 '
    .block == "Embedded-RP" and .flags == {"R": true, "P": true, "T": true}
    and .prefix == "2001:db8:beef:feed::" and .prefix_len == 64
    and .group_id == 4660 and .rp == "2001:db8:beef:feed::1"'
t_check "10.0.0.1: not multicast, no MAC" jq_line 6 '
    .multicast == false and .block == "Private-Use" and .mac == null
    and .asm_ok == false and (has("flags") | not)'

run addr --json 224.0.0.1 '' 'x"y\z'
t_check "--json with invalid inputs exits 2" rc_is 2
t_check "--json with invalid inputs still writes JSON lines" all_lines_json
t_check "an invalid input gets a valid:false line" jq_line 2 '
    .input == "" and .valid == false and (.error | type == "string")'
t_check "quotes and backslashes in an input survive JSON" jq_line 3 '
    .input == "x\"y\\z" and .valid == false'
t_check "...and each gets one stderr line" err_lines_are 2

run addr --json 2001:0DB8::0001
t_check "--json gives the RFC 5952 text and keeps the input" jq_line 1 '
    .address == "2001:db8::1" and .input == "2001:0DB8::0001"'

t_done
