#!/usr/bin/env bash
# The Wireshark dissector (dist/wireshark/mcdisc.lua) on what the lab
# records: a discovery (mcdisc discover and respond), a send/recv run, the
# extension version 1 and malformed datagrams built by hand from the
# layouts of docs/PROTOCOL.md and docs/PROBE.md. tshark reads the capture
# with the dissector and -T fields; every field is matched by name, and
# the malformed datagrams must give mcdisc.error fields, no Lua error.
# MCDISC_LUA: the dissector to test (default: the source tree's; CI
# passes the installed one).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
LUA=${MCDISC_LUA:-$here/../../dist/wireshark/mcdisc.lua}
command -v tshark >/dev/null || { echo "FAIL: tshark is missing (scripts/deps.sh)"; exit 1; }
[ -f "$LUA" ] || { echo "FAIL: no dissector at $LUA"; exit 1; }
lab_scratch
G=232.10.11.12

lab_up 2
lab_bg 1 "$tmp/tcpdump.log" tcpdump -i eth0 -n -U --immediate-mode -w "$tmp/cap.pcap" udp
wait_for "$tmp/tcpdump.log" "listening on" || { t_fail "capture on h1 started"; t_done; exit 1; }

# 1. A discovery: h2 answers, h1 asks (one copy).
lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --name "Kitchen Lamp" --proto coap \
    --service-port 5683 --delay 0
wait_for "$tmp/r2.log" "answering" || t_fail "responder started"
lab_exec 1 "$MCDISC" discover --count 1 --retries 0 --timeout 2000 >"$tmp/d.out" 2>&1
t_check "discover found the lamp" grep -q "Kitchen Lamp" "$tmp/d.out"

# 2. send/recv: 5 test datagrams of 100 bytes.
lab_bg 2 "$tmp/recv.log" "$MCDISC" recv --count 5 --duration 10 239.1.2.3:5000
sleep 0.3
lab_exec 1 "$MCDISC" send --count 5 --rate 100 --size 100 239.1.2.3:5000 >/dev/null 2>&1
wait "$LAB_PID"

# 3. Hand-made datagrams, each from a source port of its own (its key
# below), to the group (queries) or to h2 (replies); ports 3333 and 4444
# (4444: found by the heuristic only).
Q='Are you Espressif IOT Smart Light'
NONCE='\001\002\003\004\005\006\007\010'
ID='\000\021\042\063\104\125\146\167'
craft() { # craft SPORT DEST DPORT BYTES(printf %b)
    printf '%b' "$4" >"$tmp/dgram"
    lab_exec 1 socat -u "OPEN:$tmp/dgram" \
        "UDP4-DATAGRAM:$2:$3,bind=$(lab_ip 1):$1,reuseaddr,ip-multicast-ttl=1,ip-multicast-if=$(lab_ip 1)"
}
H2=$(lab_ip 2)
# An extended query: WINDOW 80, KNOWN (salt 0x1234, k 5, 2 filter bytes),
# PAD of 5.
EXTQ="$Q\000MCDX\001\001\000$NONCE\001\000\002\000\120\002\000\005\022\064\005\360\017\000\000\005\000\000\000\000\000"
craft 40001 $G 3333 "$EXTQ"
craft 40002 $G 4444 "$EXTQ"
# An extended reply, flag T, id, two TXT pairs.
craft 40003 "$H2" 3333 "Kitchen Lamp coap 5683\000MCDX\001\002\001$NONCE$ID\003\000\010fw=1.2.3\003\000\012room=attic"
# An announcement (counter 256, id, TEXT, LIFETIME 120, TXT, MAC) and a
# goodbye (LIFETIME 0), to the group (docs/PROTOCOL.md, "Live view and
# keys").
MAC16='\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020'
CTR='\000\000\000\000\000\000\001\000'
craft 40006 $G 3333 "$Q\000MCDX\001\003\000$CTR$ID\006\000\026Kitchen Lamp coap 5683\004\000\004\000\000\000\170\003\000\010fw=1.2.3\005\000\024\112\205\174\365$MAC16"
craft 40007 $G 3333 "$Q\000MCDX\001\004\000$CTR$ID\006\000\026Kitchen Lamp coap 5683\004\000\004\000\000\000\000"
# The chapter's query with its NUL, on another port (heuristic).
craft 40004 $G 4444 "$Q\000"
# A test header by hand on the heuristic port: sender 0xdeadbeef, seq 7,
# time 1 s + 5 us, total 9, no filler.
craft 40005 $G 4444 'MCDP\001\000\000\040\336\255\276\357\000\000\000\000\000\000\000\007\000\000\000\000\000\017\102\105\000\000\000\011'
# Malformed.
craft 40010 $G 3333 "$Q\000MCDX\000\001\000$NONCE"                 # version 0
craft 40011 $G 3333 "$Q\000MCDX\001\001\000$NONCE\001\000\377\000" # TLV past the end
craft 40012 $G 3333 "$Q\000MCDX\001"                              # header cut
craft 40013 $G 3333 'MCDP\001\000'                                # probe cut
craft 40014 $G 3333 'MCDP\002\000\000\040\000\000\000\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' # version 2
craft 40015 "$H2" 3333 'Lamp coap 0'                              # port 0
craft 40016 $G 3333 "$Q\000MCDX\001\001\000$NONCE\003\000"          # TLV header cut
craft 40017 $G 3333 "$Q\000MCDX\001\001\000$NONCE\002\000\004\000\000\000\377" # k 0
craft 40018 "$H2" 3333 "Lamp coap 1\000MCDX\001\002\000$NONCE\001\002\003\004" # no id
craft 40019 "$H2" 3333 "Lamp coap 1\000MCDX\001\002\000$NONCE$ID\003\000\003abc" # TXT no '='
craft 40020 $G 3333 "$Q\000MCDX\001\007\000$NONCE"                 # kind 7
craft 40021 $G 3333 '\377\376\000\001MCDX'                         # garbage
craft 40022 "$H2" 3333 'no reply here'                            # not a reply
# Every truncation of the extended query and reply, and random TLV
# bytes after valid headers: none may break the dissector (checked at the
# end, over the whole capture).
printf '%b' "$EXTQ" >"$tmp/extq"
printf '%b' "Lamp coap 1\000MCDX\001\002\001$NONCE$ID\003\000\010fw=1.2.3" >"$tmp/extr"
# One process and one socket per destination (bash's /dev/udp: each
# write a datagram).
cuts() { # cuts FILE DEST: every proper prefix of FILE, to DEST:3333
    lab_exec 1 bash -c 'exec 3>"/dev/udp/$2/3333" || exit 1
        size=$(stat -c %s "$1")
        for ((len = 1; len < size; len++)); do head -c "$len" "$1" >&3; done' cuts "$@"
}
cuts "$tmp/extq" "$G"
cuts "$tmp/extr" "$H2"
for i in $(seq 1 30); do
    { printf '%b' "$Q\000MCDX\001\00$((i % 4))\000$NONCE"; head -c $((i * 3)) /dev/urandom; } >"$tmp/rnd$i"
done
lab_exec 1 bash -c 'exec 3>"/dev/udp/$1/3333" || exit 1
    for f in "$2"/rnd*; do cat "$f" >&3; done' rnd "$G" "$tmp"
sleep 0.3
lab_down

FIELDS="frame.number udp.srcport udp.dstport _ws.malformed _ws.expert.message mcdisc.kind mcdisc.error
mcdisc.query mcdisc.reply mcdisc.reply.name mcdisc.reply.proto mcdisc.reply.port mcdisc.nul mcdisc.trailing
mcdisc.ext.magic mcdisc.ext.version mcdisc.ext.kind mcdisc.ext.flags mcdisc.ext.flags.t mcdisc.ext.nonce
mcdisc.ext.id mcdisc.ext.tlv.type mcdisc.ext.tlv.length mcdisc.ext.pad mcdisc.ext.window
mcdisc.ext.known.salt mcdisc.ext.known.k mcdisc.ext.known.m mcdisc.ext.known.filter mcdisc.ext.txt
mcdisc.ext.txt.key mcdisc.ext.txt.value mcdisc.ext.counter mcdisc.ext.lifetime mcdisc.ext.mac.key_id
mcdisc.ext.mac mcdisc.ext.text mcdisc.probe.magic mcdisc.probe.version mcdisc.probe.flags
mcdisc.probe.hdrlen mcdisc.probe.sender mcdisc.probe.seq mcdisc.probe.time_us mcdisc.probe.time
mcdisc.probe.total mcdisc.probe.filler_ok"
args=()
for fl in $FIELDS; do args+=(-e "$fl"); done
# The one dissector under test: an installed one (the package's) is loaded
# by tshark anyway, and a second with the same name would be refused.
global=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Lua Plugins:[[:space:]]*//p')/mcdisc.lua
if [ -f "$global" ]; then
    if cmp -s "$global" "$LUA"; then
        t_ok "the installed dissector is the one under test ($global)"
    else
        t_fail "an installed $global shadows $LUA (remove the mcdisc package, or test it with MCDISC_LUA=$global)"
    fi
else
    args+=(-X "lua_script:$LUA")
fi
tshark -r "$tmp/cap.pcap" -T fields -E header=y -E separator=/t \
    -E occurrence=a -E aggregator=, -o gui.column.format:'"Info","%i"' "${args[@]}" \
    >"$tmp/fields.tsv" 2>"$tmp/tshark.all"
rc=$?
# tshark warns when run as root: not a finding.
grep -v "^Running as user \"root\"" "$tmp/tshark.all" >"$tmp/tshark.err"
T_LOG=$tmp/tshark.err t_check "tshark reads the capture with the dissector (exit $rc)" test "$rc" -eq 0
t_check "tshark says nothing on stderr (no Lua error)" test ! -s "$tmp/tshark.err"
[ -s "$tmp/tshark.err" ] && sed 's/^/#   | /' "$tmp/tshark.err" | head -20

# rows SEL...: the rows (as "name=value" lines, one row per paragraph) whose
# fields match every SEL "name=value".
rows() {
    awk -F'\t' -v sels="$*" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        { n = split(sels, s, " "); ok = 1
          for (k = 1; k <= n; k++) { split(s[k], kv, "="); if ($(col[kv[1]]) != kv[2]) ok = 0 }
          if (!ok) next
          for (name in col) if ($(col[name]) != "") print name "=" $(col[name])
          print "" }' "$tmp/fields.tsv"
}
# expect WHAT SEL -- FIELD=VALUE...: the first row SEL picks has each
# FIELD with exactly VALUE (FIELD= : absent).
expect() {
    local what=$1 sel=$2 row pair name want got bad=""
    shift 3
    row=$(rows "$sel" | awk 'BEGIN { RS = "" } NR == 1')
    if [ -z "$row" ]; then
        t_fail "$what: no packet with $sel"
        return
    fi
    for pair in "$@"; do
        name=${pair%%=*}
        want=${pair#*=}
        got=$(sed -n "s/^$name=//p" <<<"$row")
        [ "$got" = "$want" ] || bad="$bad $name='$got' (want '$want');"
    done
    if [ -z "$bad" ]; then t_ok "$what"; else t_fail "$what:$bad"; fi
}

# The discovery, as recorded.
expect "the chapter query of discover" "udp.dstport=3333 mcdisc.kind=query" -- \
    "mcdisc.query=$Q" mcdisc.error= _ws.malformed=
expect "the responder's chapter reply (to the query + NUL, one of the cuts below)" "udp.srcport=3333 mcdisc.kind=reply" -- \
    "mcdisc.reply=Kitchen Lamp coap 5683" "mcdisc.reply.name=Kitchen Lamp" \
    mcdisc.reply.proto=coap mcdisc.reply.port=5683 mcdisc.error=
# send/recv.
for s in 0 4; do
    expect "send's test datagram seq $s" "udp.dstport=5000 mcdisc.probe.seq=$s" -- \
        mcdisc.kind=probe mcdisc.probe.magic=MCDP mcdisc.probe.version=1 \
        mcdisc.probe.flags=0x00 mcdisc.probe.hdrlen=32 mcdisc.probe.total=5 \
        mcdisc.probe.filler_ok=1 mcdisc.error=
done
seqs=$(rows udp.dstport=5000 | sed -n 's/^mcdisc.probe.seq=//p' | sort -n | tr '\n' ' ')
t_check "the 5 test datagrams of send, seq 0-4 (got '$seqs')" test "$seqs" = "0 1 2 3 4 "
# The extension, version 1, by hand.
for p in 40001 40002; do
    expect "extended query (port $p)" "udp.srcport=$p" -- \
        "mcdisc.kind=extended query" "mcdisc.query=$Q" mcdisc.nul=0x00 \
        mcdisc.ext.magic=MCDX mcdisc.ext.version=1 mcdisc.ext.kind=1 \
        mcdisc.ext.flags=0x00 mcdisc.ext.flags.t=0 \
        mcdisc.ext.nonce=0102030405060708 mcdisc.ext.tlv.type=1,2,0 \
        mcdisc.ext.tlv.length=2,5,5 mcdisc.ext.window=80 \
        mcdisc.ext.known.salt=0x1234 mcdisc.ext.known.k=5 mcdisc.ext.known.m=16 \
        mcdisc.ext.known.filter=f00f mcdisc.ext.pad=5 mcdisc.error=
done
expect "extended reply: T, id, two TXT" "udp.srcport=40003" -- \
    "mcdisc.kind=extended reply" "mcdisc.reply.name=Kitchen Lamp" \
    mcdisc.reply.port=5683 mcdisc.ext.kind=2 mcdisc.ext.flags=0x01 \
    mcdisc.ext.flags.t=1 mcdisc.ext.id=0011223344556677 \
    mcdisc.ext.tlv.type=3,3 mcdisc.ext.txt=fw=1.2.3,room=attic \
    mcdisc.ext.txt.key=fw,room mcdisc.ext.txt.value=1.2.3,attic mcdisc.error=
expect "the responder's extended reply, with its LIFETIME" "udp.srcport=3333 mcdisc.ext.kind=2" -- \
    "mcdisc.kind=extended reply" "mcdisc.reply.name=Kitchen Lamp" mcdisc.ext.lifetime=120 mcdisc.error=
expect "the responder's announcement at start" "udp.srcport=3333 mcdisc.ext.kind=3" -- \
    "mcdisc.kind=extended announcement" "mcdisc.query=$Q" "mcdisc.ext.text=Kitchen Lamp coap 5683" \
    mcdisc.ext.lifetime=120 mcdisc.error=
expect "an announcement: counter, id, TEXT, LIFETIME, TXT, MAC" "udp.srcport=40006" -- \
    "mcdisc.kind=extended announcement" mcdisc.ext.kind=3 mcdisc.ext.counter=256 \
    mcdisc.ext.nonce= mcdisc.ext.id=0011223344556677 mcdisc.ext.tlv.type=6,4,3,5 \
    "mcdisc.ext.text=Kitchen Lamp coap 5683" mcdisc.ext.lifetime=120 \
    mcdisc.ext.txt=fw=1.2.3 mcdisc.ext.mac.key_id=4a857cf5 \
    mcdisc.ext.mac=0102030405060708090a0b0c0d0e0f10 mcdisc.error=
expect "a goodbye: LIFETIME 0" "udp.srcport=40007" -- \
    "mcdisc.kind=extended goodbye" mcdisc.ext.kind=4 mcdisc.ext.counter=256 \
    mcdisc.ext.lifetime=0 mcdisc.error=
expect "the chapter query + NUL by heuristic (port 4444)" "udp.srcport=40004" -- \
    mcdisc.kind=query "mcdisc.query=$Q" mcdisc.nul=0x00 mcdisc.error=
expect "a test header by heuristic (port 4444)" "udp.srcport=40005" -- \
    mcdisc.kind=probe mcdisc.probe.sender=0xdeadbeef mcdisc.probe.seq=7 \
    mcdisc.probe.time_us=1000005 mcdisc.probe.total=9 \
    "mcdisc.probe.time=Jan  1, 1970 00:00:01.000005000 UTC" mcdisc.error=
# Malformed: named, never a dissector failure.
expect "malformed: version 0" "udp.srcport=40010" -- \
    "mcdisc.error=extension version 0" _ws.malformed=
expect "malformed: a TLV past the end" "udp.srcport=40011" -- \
    "mcdisc.error=TLV runs past the end: 255 bytes, 1 left" _ws.malformed=
expect "malformed: extension header cut" "udp.srcport=40012" -- \
    "mcdisc.error=extension header cut short: 5 of 15 bytes"
expect "malformed: test header cut" "udp.srcport=40013" -- \
    mcdisc.kind=probe "mcdisc.error=test header cut short: 6 of 32 bytes"
expect "malformed: test header version 2" "udp.srcport=40014" -- \
    "mcdisc.error=test header version 2 (1 expected)"
expect "malformed: reply port 0" "udp.srcport=40015" -- \
    mcdisc.kind=reply "mcdisc.error=reply: port '0' is not 1-65535"
expect "malformed: TLV header cut" "udp.srcport=40016" -- \
    "mcdisc.error=TLV header cut short: 2 of 3 bytes"
expect "malformed: KNOWN k 0" "udp.srcport=40017" -- \
    "mcdisc.error=KNOWN k = 0 (1-16)" mcdisc.ext.known.m=8
expect "malformed: extended reply without id" "udp.srcport=40018" -- \
    "mcdisc.error=extended reply cut short: no 8-byte id"
expect "malformed: TXT without '='" "udp.srcport=40019" -- \
    "mcdisc.error=TXT without '='"
expect "unknown kind: ignored, not an error" "udp.srcport=40020" -- \
    mcdisc.ext.kind=7 mcdisc.error=
expect "garbage: shown, no error" "udp.srcport=40021" -- \
    mcdisc.kind=query mcdisc.nul=0x00 mcdisc.trailing=014d434458 mcdisc.error=
expect "not a reply" "udp.srcport=40022" -- \
    "mcdisc.error=reply: port 'here' is not 1-65535"
want=$(( $(stat -c %s "$tmp/extq") - 1 + $(stat -c %s "$tmp/extr") - 1 + 30 ))
got=$(awk -F'\t' 'NR > 1 && $6 != ""' "$tmp/fields.tsv" | wc -l)
t_check "the truncated and random datagrams are in the capture ($got dissected, at least $want)" \
    test "$got" -ge "$want"
t_check "no packet failed the dissector" sh -c \
    "! grep -q 'dissector error' '$tmp/fields.tsv' && ! cut -f4 '$tmp/fields.tsv' | tail -n +2 | grep -q ."
t_done
