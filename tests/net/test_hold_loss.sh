#!/usr/bin/env bash
# Discovery on a lossy link:
# every host drops 20% of UDP in each direction, at random. `discover` with
# its defaults must find all 20 devices in at least 19 of 20 runs, and with
# a longer timeout (more copies of the query) in all 20.
# This kernel has no netem, so nftables' numgen drops the frames in the
# bridge; its counter shows that the loss really happened.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
N=20
RUNS=${MCD_LOSS_RUNS:-20}

lab_up $((N + 1))
# 20% of UDP lost on every link, each way (lab_udp_loss).
lab_udp_loss 5 || { t_fail "nftables loss"; t_done; exit 1; }
for i in $(seq 2 $((N + 1))); do
    lab_bg "$i" "$tmp/dev$i.log" "$MCDISC" respond --name "Device $i" \
        --proto http --service-port 80
done
for i in $(seq 2 $((N + 1))); do
    wait_for "$tmp/dev$i.log" answering 10 >/dev/null ||
        { t_fail "device $i started"; t_done; exit 1; }
done

# runs ARGS...: RUNS discover runs; prints how many found all N.
runs() {
    local full=0 r n
    for r in $(seq 1 "$RUNS"); do
        n=$(lab_exec 1 "$MCDISC" discover --json "$@" 2>/dev/null | wc -l)
        echo "$n" >>"$tmp/counts"
        [ "$n" -eq "$N" ] && full=$((full + 1))
    done
    echo "$full"
}
full=$(runs)
echo "# defaults: runs finding all $N: $full of $RUNS (found per run: $(tr '\n' ' ' <"$tmp/counts"))"
t_check "defaults: all $N devices in at least $((RUNS - 1)) of $RUNS runs ($full)" \
    test "$full" -ge $((RUNS - 1))
rm -f "$tmp/counts"
full=$(runs --timeout 4000)
echo "# --timeout 4000: runs finding all $N: $full of $RUNS"
t_check "--timeout 4000 (twice the copies): all $N devices in all $RUNS runs ($full)" \
    test "$full" -eq "$RUNS"
dropped=$(ip netns exec "$LAB_BR" nft list counter bridge mcdloss dropped |
    sed -n 's/.*packets \([0-9]*\).*/\1/p')
t_check "the link really lost datagrams ($dropped dropped)" test "$dropped" -gt 1000
t_done
