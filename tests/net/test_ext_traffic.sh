#!/usr/bin/env bash
# Issue 13, "done when" 1: what the extension saves on one clean segment.
# 250 mcdisc devices (MCD_EXT_N), one default `discover` (the extension:
# known answers) and one `discover --chapter` (the chapter's exchange only)
# in the same lab; the traffic is counted on the client's link by nftables
# in the bridge (lab_count in lab.sh says what is counted). Asserts:
# - default: all 250 found, each once with its own id, and the client
#   receives at most 275 replies (the chapter's exchange: ~20 per device);
# - --chapter: all 250 found (the reference run is a fair one);
# - bytes on the wire (queries + replies) of the default run are at most a
#   tenth of the --chapter run's.
# Devices run with their defaults (the chapter's reply text) and each its
# own --id: the namespaces share this machine's /etc/machine-id, from which
# a device's id is derived otherwise. Their neighbour entries for the
# client are seeded (lab_seed_neigh says why). 15-35 s on 2 cores (23 s
# under ASan).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
N=${MCD_EXT_N:-250}

lab_up $((N + 1))
lab_count_up 1 || { t_fail "nftables counters in the bridge"; t_done; exit 1; }
for i in $(seq 2 $((N + 1))); do
    lab_bg "$i" "$tmp/dev$i.log" "$MCDISC" respond --id "$(printf '%016x' "$i")"
done
for i in $(seq 2 $((N + 1))); do
    wait_for "$tmp/dev$i.log" answering 30 >/dev/null ||
        { t_fail "device $i started"; t_done; exit 1; }
done
lab_seed_neigh 1 2 $((N + 1)) ||
    { t_fail "seed the neighbour entries"; t_done; exit 1; }
t_ok "$N devices started"

# run NAME ARGS...: one discover run; its JSON in $tmp/NAME.json, its
# counts in $tmp/NAME.count.
run() {
    local name=$1
    shift
    lab_count >/dev/null
    lab_exec 1 "$MCDISC" discover --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
    echo "rc=$?" >"$tmp/$name.rc"
    # A reply the client's socket no longer waits for is still on the
    # wire: let the last ones in before counting.
    sleep 0.2
    lab_count >"$tmp/$name.count"
    echo "# $name: found $(wc -l <"$tmp/$name.json"), $(cat "$tmp/$name.count")"
}
run default
run chapter --chapter

T_LOG=$tmp/default.err
t_check "default: discover exits 0" grep -qx "rc=0" "$tmp/default.rc"
t_jq "default: all $N devices, each once with its own id" \
    "length == $N and ([.[].id] | unique | length) == $N and
     ([.[].address] | unique | length) == $N" "$tmp/default.json"
replies=$(lab_kv replies <"$tmp/default.count")
t_check "default: the client receives at most $((N * 11 / 10)) replies ($replies)" \
    test "$replies" -le $((N * 11 / 10))
T_LOG=$tmp/chapter.err
t_check "--chapter: discover exits 0" grep -qx "rc=0" "$tmp/chapter.rc"
t_jq "--chapter: all $N devices" \
    "length == $N and ([.[].address] | unique | length) == $N" "$tmp/chapter.json"
T_LOG=
bd=$(lab_kv bytes <"$tmp/default.count")
bc=$(lab_kv bytes <"$tmp/chapter.count")
t_check "bytes on the wire: default $bd at most a tenth of --chapter's $bc" \
    test $((bd * 10)) -le "$bc"
t_done
