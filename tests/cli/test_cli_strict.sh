#!/usr/bin/env bash
# One number syntax for every option, one way to quote user text in an
# error, one escaping of text for JSON and for people, and output that is
# checked at exit. No network is touched:
# every run ends with a usage error before a socket is opened, or is a
# command that opens none (help, --version, addr); and as a safety belt each
# runs in a network namespace of its own with no interface but a down lo,
# so even a case that wrongly went on could reach no network.
set -u
MCDISC=${1:?usage: test_cli_strict.sh PATH_TO_MCDISC}
. "$(dirname "$0")/../lib/tap.sh"
if [ "$(id -u)" -eq 0 ]; then NS=(unshare --net); else
    NS=(unshare --user --map-root-user --net); fi
"${NS[@]}" true 2>/dev/null || {
    echo "FAIL: cannot make an empty network namespace (${NS[*]})" >&2
    exit 1
}
mc() { timeout 5 "${NS[@]}" "$MCDISC" "$@"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() {
    mc "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
}
err_lines() { wc -l <"$T/err"; }

# --- numbers ---------------------------------------------------------------
# REJECTED: "command option value": exit 2, one line quoting the value.
while read -r cmd opt val; do
    [ -z "$cmd" ] && continue
    [ "$val" = "EMPTY" ] && val=""
    [ "$val" = "SPACE1" ] && val=" 1"
    [ "$val" = "1SPACE" ] && val="1 "
    run "$cmd" "$opt" "$val" 239.1.1.1
    if [ "$rc" -eq 2 ] && [ "$(err_lines)" -eq 1 ] &&
        grep -qF -- "'$val' is not a number in" "$T/err"; then
        t_ok "$cmd $opt '$val' is refused: $(cat "$T/err")"
    else
        t_fail "$cmd $opt '$val' is refused (rc $rc): $(cat "$T/err")"
    fi
done <<'EOF'
recv -d 1e-9
recv -d 0.0001
recv -d 0
recv -d 0x10
recv -d 1e3
recv -d inf
recv -d nan
recv -d -1
recv -d +1
recv -d SPACE1
recv -d 1SPACE
recv -d EMPTY
recv -d 01
recv -d 00.5
recv -d .5
recv -d 5.
recv -d 10000000.5
recv -c 0x10
recv -c 010
recv -p 080
recv -p 0x50
send -r 0x10
send -r 1e3
send -r 0
send -r 0.0001
send -r 1e-9
send -r 10000001
send -d 1e-9
send -c 0x10
send -c 010
send -c -1
send -c +1
send -c 9223372036854775808
send -s 0x40
send -s 064
send -p 080
send --ttl 01
discover -p 080
discover -p 0x50
discover -p 0
discover -p 65536
discover -t 1.5
discover -t 1e3
discover --ttl 01
discover --retries -1
discover -c 99999999999999999999999
discover --window 0
discover --window 1001
discover --window 08
discover --window 1e2
EOF

# ACCEPTED: the value passes and the next option, unknown, is the error.
while read -r cmd opt val; do
    [ -z "$cmd" ] && continue
    run "$cmd" "$opt" "$val" --bogus 239.1.1.1
    if [ "$rc" -eq 2 ] && [ "$(err_lines)" -eq 1 ] &&
        grep -qF -- "'--bogus'" "$T/err"; then
        t_ok "$cmd $opt '$val' is accepted"
    else
        t_fail "$cmd $opt '$val' is accepted (rc $rc): $(cat "$T/err")"
    fi
done <<'EOF'
recv -d 0.001
recv -d 0.5
recv -d 3
recv -d 10000000
recv -p 1
send -r 0.001
send -r 2.5
send -r 10000000
send -d 0.5
send -c 1
send -c 9223372036854775807
send -p 65535
discover -p 80
discover -t 1
discover --window 1
discover --window 1000
EOF

# A GROUP:PORT's port follows the same rule as -p.
for spec in 239.1.1.1:080 239.1.1.1:0x50 239.1.1.1:+80 239.1.1.1:65536 239.1.1.1:0; do
    for cmd in recv send; do
        run "$cmd" "$spec"
        if [ "$rc" -eq 2 ] && [ "$(err_lines)" -eq 1 ] &&
            grep -qF "port must be 1-65535" "$T/err"; then
            t_ok "$cmd $spec is refused like -p"
        else
            t_fail "$cmd $spec is refused like -p (rc $rc): $(cat "$T/err")"
        fi
    done
done

# --- user text in errors ---------------------------------------------------
esc=$'\e[31mRED\e[0m'
bidi=$'a\u202eb\u200fc\u2028d\u200de'
big=$(head -c 100000 /dev/zero | tr '\0' 'A')
# Each case: an argument vector whose error quotes the hostile text.
quote_case() {
    local what=$1
    shift
    run "$@"
    local bytes
    bytes=$(wc -c <"$T/err")
    if [ "$rc" -eq 2 ] && [ "$(err_lines)" -eq 1 ] && [ "$bytes" -lt 400 ] &&
        ! LC_ALL=C grep -q $'[\x01-\x1f\x7f]' <(tr -d '\n' <"$T/err") &&
        ! grep -q $'\u202e\\|\u200f\\|\u2028\\|\u200d' "$T/err"; then
        t_ok "$what: one short line, nothing raw: $(cat "$T/err")"
    else
        t_fail "$what (rc $rc, $bytes bytes): $(head -c 300 "$T/err")"
    fi
}
for text in "$esc" "$bidi" "$big"; do
    quote_case "unknown command" "$text"
    quote_case "unknown global option" "--$text"
    quote_case "help for an unknown command" help "$text"
    quote_case "unknown long option" discover "--$text"
    quote_case "a bad port" discover -p "$text"
    quote_case "a bad --group" discover -g "$text"
    quote_case "a stray argument (discover)" discover "$text"
    quote_case "a stray argument (send)" send 239.1.1.1 "$text"
    quote_case "a bad group (recv)" recv "$text"
    quote_case "a bad group (send)" send "$text"
    quote_case "a bad --source" recv --source "$text" 239.1.1.1
    quote_case "a bad --duration" recv -d "$text" 239.1.1.1
    quote_case "a bad --rate" send -r "$text" 239.1.1.1
    quote_case "a bad --delay" respond --delay "$text"
    quote_case "a stray argument (respond)" respond "$text"
    quote_case "an invalid address" addr "$text"
done
run discover -p "$esc"
t="discover: --port: '\\x1b[31mRED\\x1b[0m' is not a number in 1-65535"
if grep -qxF "mcdisc: $t" "$T/err"; then t_ok "escape bytes shown as \\xNN"; else
    t_fail "escape bytes shown as \\xNN: $(cat "$T/err")"; fi
run discover -p "$big"
if grep -qF "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...'" "$T/err"; then
    t_ok "a long argument is cut after 64 bytes with ..."
else
    t_fail "a long argument is cut after 64 bytes with ...: $(head -c 300 "$T/err")"
fi
run recv "it's"
if grep -qF "'it\\x27s'" "$T/err"; then t_ok "a quote inside quoted text is escaped"; else
    t_fail "a quote inside quoted text is escaped: $(cat "$T/err")"; fi
run recv $'caf\u00e9'
if grep -qF "'café'" "$T/err"; then t_ok "plain UTF-8 is shown as it is"; else
    t_fail "plain UTF-8 is shown as it is: $(cat "$T/err")"; fi

# --- JSON text -------------------------------------------------------------
# addr --json echoes its input: the one JSON escaping every command uses.
run addr --json $'\xff' $'\u00ff' $'\xc2\x85' $'a\u202eb' $'\u2066x\u2069' \
    $'\u200e\u200f' $'\u2028' $'\u200d' $'\xe2\x80' 'q"b\s'
lines=$(wc -l <"$T/out")
json_ok() {
    local n=$1 filter=$2 what=$3
    if sed -n "${n}p" "$T/out" | jq -e "$filter" >/dev/null 2>&1; then
        t_ok "$what"
    else
        t_fail "$what: $(sed -n "${n}p" "$T/out")"
    fi
}
[ "$lines" -eq 10 ] && t_ok "one JSON line per input" || t_fail "one JSON line per input ($lines)"
json_ok 1 '.input == "\ufffd" and .input_hex == "ff"' \
    "an invalid byte: U+FFFD and the bytes in input_hex"
json_ok 2 '.input == "\u00ff" and (has("input_hex") | not)' \
    "U+00FF stays itself, with no input_hex: not confused with the byte ff"
json_ok 10 '.input == "q\"b\\s" and (has("input_hex") | not)' \
    "quotes and backslashes round-trip"
json_ok 9 '.input == "\ufffd\ufffd" and .input_hex == "e280"' \
    "a truncated sequence: one U+FFFD per byte"
raw_left=0
for seq in $'\xc2\x85' $'\u202e' $'\u2066' $'\u2069' $'\u200e' $'\u200f' $'\u2028' $'\u200d'; do
    LC_ALL=C grep -qF "$seq" "$T/out" && raw_left=$((raw_left + 1))
done
[ "$raw_left" -eq 0 ] && t_ok "C1, bidi, invisible and separator characters are \\u-escaped in JSON" ||
    t_fail "C1, bidi, invisible and separator characters are \\u-escaped in JSON ($raw_left raw)"
grep -qF '"\u0085"' "$T/out" && grep -qF 'a\u202eb' "$T/out" &&
    t_ok "...as \\u0085 and \\u202e" || t_fail "...as \\u0085 and \\u202e: $(cat "$T/out")"

# --- output that cannot be written -----------------------------------------
out_case() {
    local what=$1 redir=$2
    shift 2
    case $redir in
    full) mc "$@" >/dev/full 2>"$T/err" ;;
    closed) mc "$@" >&- 2>"$T/err" ;;
    esac
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(err_lines)" -eq 1 ] &&
        grep -q "cannot write the output: " "$T/err"; then
        t_ok "$what to a $redir stdout: exit 2, $(cat "$T/err")"
    else
        t_fail "$what to a $redir stdout: exit 2 with one line (rc $rc): $(cat "$T/err")"
    fi
}
for r in full closed; do
    out_case "help" $r help
    out_case "--help" $r --help
    out_case "--version" $r --version
    for c in addr discover respond send recv; do
        out_case "help $c" $r help "$c"
        out_case "$c --help" $r "$c" --help
    done
    out_case "addr --json" $r addr --json 239.1.1.1
done
mc help >/dev/null 2>"$T/err"
[ $? -eq 0 ] && [ ! -s "$T/err" ] && t_ok "a writable stdout: exit 0, nothing on stderr" ||
    t_fail "a writable stdout: exit 0, nothing on stderr"
# --- one option loop --------------------------------------------
# Every subcommand, addr too, reads its options through cli_getopt(): the
# same words for the same mistakes, and --iface through one collector.
one_line() { # WHAT TEXT ARGS...: exit 2, one stderr line holding TEXT
    local what=$1 text=$2
    shift 2
    run "$@"
    if [ "$rc" -eq 2 ] && [ "$(err_lines)" -eq 1 ] &&
        grep -qF -- "$text" "$T/err"; then
        t_ok "$what: $(cat "$T/err")"
    else
        t_fail "$what (rc $rc): $(cat "$T/err")"
    fi
}
for c in addr discover respond send recv; do
    one_line "$c --json=1 is refused as the others are" \
        "$c: option '--json' takes no value" "$c" --json=1 239.1.1.1
    one_line "$c: an unknown option names the way to the help" \
        "$c: unknown option '--bogus' (see mcdisc help $c)" "$c" --bogus
done
ifs=()
for k in $(seq 33); do ifs+=(--iface "x$k"); done
for c in discover respond recv; do
    one_line "$c: at most 32 --iface" "$c: at most 32 --iface" \
        "$c" "${ifs[@]}" 239.1.1.1
done
one_line "send: one --iface (a second was silently dropped)" \
    "send: at most 1 --iface" send --iface lo --iface x1 239.1.1.1

# --- respond --id and --txt (the extension) ---------------------------------
one_line "respond --id: 16 hex digits" \
    "respond: --id 'xyz': id must be exactly 16 hex digits" respond --id xyz
one_line "respond --id: no 0x" \
    "respond: --id '0x11223344556677': id must be exactly 16 hex digits" \
    respond --id 0x11223344556677
one_line "respond --id: not 17 digits" "id must be exactly 16 hex digits" \
    respond --id 00112233445566778
one_line "respond --txt: key=value" \
    "respond: --txt 'a b=c': TXT must be key=value" respond --txt "a b=c"
one_line "respond --txt: no control byte" "TXT must be key=value" \
    respond --txt "$(printf 'k=a\tb')"
one_line "respond --txt: a key of 33 bytes" "TXT must be key=value" \
    respond --txt "$(printf 'k%.0s' $(seq 33))=v"
one_line "respond --txt: 255 bytes a pair" "longer than 255 bytes" \
    respond --txt "k=$(printf 'v%.0s' $(seq 254))"
txts=()
for k in $(seq 17); do txts+=(--txt "k$k=v"); done
one_line "respond: at most 16 --txt" "respond: --txt: at most 16 pairs" \
    respond "${txts[@]}"
txts=()
for k in $(seq 6); do txts+=(--txt "k$k=$(printf 'v%.0s' $(seq 240))"); done
one_line "respond --txt: the reply must fit 1232 bytes" \
    "the extended reply or the announcement would be longer than 1232 bytes" \
    respond "${txts[@]}"

# A closed stderr: the exit code still tells (nothing to read it from).
mc frobnicate 2>&-
[ $? -eq 2 ] && t_ok "closed stderr: the usage error still exits 2" ||
    t_fail "closed stderr: the usage error still exits 2"

# send --stdin longer than a datagram: refused, and read into a buffer
# that holds the one byte too many (ASan: the buffer was one byte short,
# found by Debian's _FORTIFY_SOURCE build).
head -c 65600 /dev/zero >"$T/big"
mc send --stdin 239.1.1.1:5000 <"$T/big" >/dev/null 2>"$T/big.err"
[ $? -eq 2 ] && grep -q "longer than 65507 bytes" "$T/big.err" &&
    t_ok "send --stdin: 65600 bytes refused" ||
    t_fail "send --stdin: 65600 bytes refused: $(cat "$T/big.err")"
t_done
