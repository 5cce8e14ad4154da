#!/usr/bin/env bash
# Discovery across one multicast router running smcroute (static (*,G)
# routes, issue 15): discover --ttl 2 on segment 1 finds the responder on
# segment 2 that trusts the client's prefix (--allow-from), 10 runs of 10;
# the one that does not stays silent (counted off-link); the device on the
# client's own segment is found as before, and with --ttl 1 only it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lab.sh"
lab_require "$@"
: "${MCDISC:?path to mcdisc}"
lab_scratch
G=239.255.0.7

lab_routed
lab_segment 1
lab_segment 2
lab_router 1 1 2
lab_host 1 1 1 # the client
lab_host 2 1 1 # a device on the client's link
lab_host 3 2 1 # a far device that trusts the client's prefix
lab_host 4 2 1 # a far device that does not
lab_smcroute 1 $G 1 2
wait_for "$tmp/r1/smcroute.log" "Ready, waiting" ||
    { t_fail "smcrouted started"; cat "$tmp/r1/smcroute.log"; t_done; exit 1; }

lab_bg 2 "$tmp/r2.log" "$MCDISC" respond --verbose --group $G --name "Near"
lab_bg 3 "$tmp/r3.log" "$MCDISC" respond --verbose --group $G --name "Far" \
    --allow-from 10.1.0.0/24 --allow-from 2001:db8:1::/64
lab_bg 4 "$tmp/r4.log" "$MCDISC" respond --verbose --group $G --name "Stranger"
for i in 2 3 4; do
    wait_for "$tmp/r$i.log" "answering" ||
        { t_fail "responder h$i started"; t_done; exit 1; }
done

near=$(lab_ip 2) far=$(lab_ip 3) stranger=$(lab_ip 4)
ok=0
for run in $(seq 1 10); do
    lab_exec 1 "$MCDISC" discover --json --group $G --ttl 2 --timeout 600 \
        >"$tmp/d$run.json" 2>"$tmp/d$run.err"
    n=$(jq -s "[.[] | select(.address==\"$near\" or .address==\"$far\")] |
        length" "$tmp/d$run.json")
    s=$(jq -s "[.[] | select(.address==\"$stranger\")] | length" \
        "$tmp/d$run.json")
    [ "$n" = 2 ] && [ "$s" = 0 ] && ok=$((ok + 1))
done
t_check "discover --ttl 2 finds the near and the trusting far device, 10 of 10 ($ok)" \
    test "$ok" -eq 10
t_check "the far device answered a client off its link" \
    grep -Eq "^$(lab_ip 1):[0-9]* -> $G on eth0, [0-9]+ bytes: answered" "$tmp/r3.log"
# Time to each device, over the 10 runs (docs/PERFORMANCE.md).
for who in near far; do
    addr=$([ $who = near ] && echo "$near" || echo "$far")
    cat "$tmp"/d[0-9]*.json | jq -r "select(.address==\"$addr\") | .t_ms" |
        sort -n | awk -v w="$who" -v l="1 router (smcroute)" '{ v[NR] = $1 }
            END { printf "# time to the %s device (%s): median %.1f ms, max %.1f ms, %d runs\n",
                  w, w == "near" ? "0 routers" : l, v[int((NR + 1) / 2)], v[NR], NR }'
done
t_check "the device that does not trust the prefix heard it and stayed silent" \
    grep -q "^$(lab_ip 1):[0-9]* -> $G on eth0, 33 bytes: ignored: source is not on the link" "$tmp/r4.log"
t_check "the router forwarded the group (kernel (S,G) entry on r1)" \
    sh -c "ip -n $(lab_rns 1) mroute show | grep -q '($(lab_ip 1),$G)'"

lab_exec 1 "$MCDISC" discover --json --group $G --timeout 600 >"$tmp/ttl1.json" 2>/dev/null
t_jq "with --ttl 1 only the device on the client's link answers" \
    "length == 1 and .[0].address == \"$near\"" "$tmp/ttl1.json"
t_done
