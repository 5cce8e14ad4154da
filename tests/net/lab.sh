# lab.sh - a private LAN of network namespaces for mcdisc's network tests,
# demo and benchmarks. Source it; nothing here touches this machine's own
# interfaces. The lab only: test reporting and wait_for are in
# tests/lib/tap.sh (see tests/README.md).
#
#   lab_require "$@"      root, or an unprivileged user+net namespace, or
#                         fail naming the cause (call first, at top level)
#   lab_scratch           a scratch directory in $tmp, removed at exit with
#                         the lab (even if lab_up never ran)
#   LAB_ON_EXIT='CMD'     what the caller wants done at exit after the lab
#                         is gone (lab_up owns the EXIT trap)
#   lab_up N              N hosts h1..hN, each its own namespace with eth0,
#                         198.18.x.y/16 (RFC 2544 benchmarking range) and
#                         2001:db8:1::i/64, a default route on eth0; all
#                         plugged into a bridge living in a namespace of
#                         its own, with no uplink. Removed on exit, failure
#                         or Ctrl-C.
#   lab_ns I / lab_ip I / lab_ip6 I   name and addresses of host I
#   lab_unlink_host I / lab_link_host I   delete / re-create host I's eth0
#   lab_exec I CMD...     run CMD in host I
#   lab_bg I LOG CMD...   start CMD in host I in the background, output to
#                         LOG, its pid in LAB_PID (for wait); killed by
#                         lab_down
#   lab_down              kill what runs in the lab, delete its namespaces
#   lab_links I J N       N more links straight from host I (c1..cN,
#                         10.77.k.1/24) to host J (e1..eN, 10.77.k.2/24),
#                         up and running on return
#   lab_count_up I [PORT] count the discovery traffic on host I's link (its
#                         port of the bridge; PORT default 3333)
#   lab_seed_neigh I FROM TO   hosts FROM..TO get a permanent neighbour
#                         entry for host I's IPv4 address (see below)
#   lab_count             print the counts since the last call, and reset:
#                         "queries=N query_bytes=B replies=N reply_bytes=B
#                         bytes=B sent=N" (lab_count_up says what is
#                         counted)
#   lab_kv KEY            the value of KEY=... in the key=value pairs on stdin
#
# Routed topologies (several links joined by multicast routers), IPv4 and
# IPv6; segment S is 10.S.0.0/24 and 2001:db8:S::/64, a bridge brS with no
# uplink in the bridge namespace:
#   lab_routed            the bridge namespace alone (instead of lab_up)
#   lab_segment S [SNOOP] bridge brS (SNOOP: its options, e.g.
#                         "mcast_snooping 1 mcast_querier 1")
#   lab_host I S GW       host I on segment S at 10.S.0.(10+I), default
#                         routes via 10.S.0.GW / 2001:db8:S::GW
#   lab_router R S...     router namespace rR, forwarding and multicast
#                         routing on, one link ethS at 10.S.0.R per segment
#   lab_rexec R CMD...    run CMD in router R; lab_rbg R LOG CMD... likewise
#                         in the background
#   lab_smcroute R G S1 S2...   smcrouted in router R: static (*,G) routes
#                         from ethS1 to the other ethSn, state in $tmp/rR
#   lab_frr R RP [QI]     zebra + pimd in router R: PIM-SM on every link,
#                         static RP, IGMPv3 towards hosts (queries every QI
#                         s, default 5); FRR's state, its
#                         sockets and logs in $tmp/rR, in a mount namespace
#                         of its own (the host's /etc/frr is never read)
#
# Names are "mcd-<pid>-<random>-..." so two runs never collide.

LAB_ID="mcd-$$-${RANDOM}"
LAB_N=0
LAB_BR="${LAB_ID}-br"
LAB_UP=0

lab_die() {
    echo "lab: $*" >&2
    exit 1
}

lab_require() {
    command -v ip >/dev/null 2>&1 ||
        lab_die "FAIL: 'ip' (iproute2) is missing: run scripts/deps.sh as root"
    [ "$(id -u)" -eq 0 ] && return 0
    if [ -z "${MCD_LAB_USERNS:-}" ]; then
        # Not root: an unprivileged user namespace with its own network and
        # mount namespaces can hold the lab; /run is private to it.
        if unshare --user --map-root-user --net --mount true 2>/dev/null; then
            exec unshare --user --map-root-user --net --mount \
                env MCD_LAB_USERNS=1 bash -c \
                'mount -t tmpfs mcdlab /run && exec bash "$0" "$@"' "$0" "$@"
        fi
    fi
    lab_die "FAIL: network tests need root, or unprivileged user namespaces" \
        "(unshare --user --map-root-user --net failed here: see" \
        "kernel.unprivileged_userns_clone / user.max_user_namespaces)"
}

lab_scratch() {
    tmp=$(mktemp -d)
    LAB_ON_EXIT='rm -rf "$tmp"'
    trap 'lab_down; eval "$LAB_ON_EXIT"' EXIT
}

lab_ns() { echo "${LAB_ID}-h$1"; }
declare -A LAB_ADDR4 LAB_ADDR6
lab_ip() {
    [ -n "${LAB_ADDR4[$1]:-}" ] && { echo "${LAB_ADDR4[$1]}"; return; }
    echo "198.18.$(($1 / 250)).$(($1 % 250 + 1))"
}
lab_ip6() {
    [ -n "${LAB_ADDR6[$1]:-}" ] && { echo "${LAB_ADDR6[$1]}"; return; }
    printf '2001:db8:1::%x\n' "$1"
}
lab_exec() {
    local i=$1
    shift
    ip netns exec "$(lab_ns "$i")" "$@"
}

lab_bg() {
    local i=$1 log=$2
    shift 2
    ip netns exec "$(lab_ns "$i")" "$@" >"$log" 2>&1 &
    LAB_PID=$!
}

# One host: its namespace, then its link.
lab_add_host() {
    local i=$1 ns
    ns=$(lab_ns "$i")
    ip netns add "$ns" || return 1
    # Before eth0 exists: no duplicate address detection, so IPv6
    # addresses are usable at once.
    ip netns exec "$ns" sh -c 'sysctl -qw net.ipv6.conf.all.accept_dad=0 &&
        sysctl -qw net.ipv6.conf.default.accept_dad=0' || return 1
    lab_link_host "$i"
}

# Host I's eth0: a veth pair from the bridge namespace, its addresses and
# default routes. Also used to re-create a link a test deleted.
lab_link_host() {
    local i=$1 ns
    ns=$(lab_ns "$i")
    ip -n "$LAB_BR" link add "p$i" type veth peer name eth0 netns "$ns" ||
        return 1
    ip -n "$LAB_BR" link set "p$i" master br0 up || return 1
    ip -n "$ns" link set lo up &&
        ip -n "$ns" link set eth0 up &&
        ip -n "$ns" addr add "$(lab_ip "$i")/16" dev eth0 &&
        ip -n "$ns" -6 addr add "$(lab_ip6 "$i")/64" dev eth0 nodad &&
        ip -n "$ns" route add default dev eth0 &&
        ip -n "$ns" -6 route add default dev eth0
}

# Delete host I's link (as when a USB adapter is pulled or a VM's tap goes).
lab_unlink_host() {
    ip -n "$LAB_BR" link del "p$1"
}

lab_up() {
    local n=$1 i
    LAB_N=$n
    LAB_UP=1
    trap 'lab_down; eval "${LAB_ON_EXIT:-}"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ip netns add "$LAB_BR" || lab_die "FAIL: cannot create namespace $LAB_BR"
    # Snooping off: the bridge floods multicast like a plain switch, so a
    # test never depends on when a membership report was seen.
    ip -n "$LAB_BR" link add br0 type bridge mcast_snooping 0 &&
        ip -n "$LAB_BR" link set br0 up ||
        lab_die "FAIL: cannot create the lab bridge"
    for i in $(seq 1 "$n"); do
        lab_add_host "$i" || lab_die "FAIL: cannot create lab host $i"
    done
    lab_wait_links
}

# Wait until every eth0 is up with its link-local IPv6 address in place.
lab_wait_links() {
    local i tries
    for i in $(seq 1 "$LAB_N"); do
        tries=0
        until ip -n "$(lab_ns "$i")" -6 addr show dev eth0 scope link |
            grep -q inet6; do
            tries=$((tries + 1))
            [ "$tries" -gt 100 ] && lab_die "FAIL: host $i link never came up"
            sleep 0.05
        done
    done
}

lab_links() {
    local i=$1 j=$2 n=$3 k tries=0
    for k in $(seq 1 "$n"); do
        echo "link add c$k type veth peer name e$k netns $(lab_ns "$j")"
        echo "addr add 10.77.$k.1/24 dev c$k"
        echo "link set c$k up"
    done | ip -n "$(lab_ns "$i")" -batch - || return 1
    for k in $(seq 1 "$n"); do
        echo "addr add 10.77.$k.2/24 dev e$k"
        echo "link set e$k up"
    done | ip -n "$(lab_ns "$j")" -batch - || return 1
    # Carrier comes a moment after "up".
    until [ "$(ip -n "$(lab_ns "$j")" -br link show up |
        grep -c '^e[0-9]*@.* UP ')" -eq "$n" ]; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && return 1
        sleep 0.05
    done
}

# Lose one UDP frame in N (5: 20%) in the bridge, each way: as it leaves a
# host (prerouting: once per frame, so all receivers miss it alike) and as
# each copy goes to a host (forward: once per port). That is the loss on
# every host's link in each direction, without the sender's socket seeing
# an error, as on a real lossy link. Counted in `dropped`; lab_count's
# chains run first (priority -10).
lab_udp_loss() {
    ip netns exec "$LAB_BR" nft -f - <<NFT
table bridge mcdloss {
    counter dropped { }
    chain from_host {
        type filter hook prerouting priority 0;
        meta l4proto udp numgen random mod $1 == 0 counter name dropped drop
    }
    chain to_host {
        type filter hook forward priority 0;
        meta l4proto udp numgen random mod $1 == 0 counter name dropped drop
    }
}
NFT
}

# The traffic of a discovery client on host I, counted by nftables in the
# bridge, on the client's own port (cheaper than a capture at 1000 devices,
# and the same figures). Counted:
# - queries: UDP frames host I sends to PORT (multicast or not), once each
#   as they leave its link (the bridge's flooding to N ports is not counted:
#   on a shared medium such as Wi-Fi a multicast goes on the air once);
# - replies: UDP frames delivered to host I's link to any port but PORT,
#   i.e. the datagrams to the client's own (ephemeral) port: every reply the
#   client's host received, before its socket buffer could drop any;
# - sent: UDP frames addressed to host I (its lab addresses), to any port
#   but PORT, as they enter the bridge from the other hosts: the replies
#   the devices sent, before a lossy bridge (test_hold_loss.sh) drops any.
# Bytes are Ethernet frame bytes as a capture on host I's eth0 shows them:
# 14 bytes of header + the IP packet (no preamble, FCS or padding to 64).
# The bridge hooks see the IP packet without its Ethernet header, so
# lab_count adds 14 per frame.
lab_count_up() {
    local port=${2:-3333}
    ip netns exec "$LAB_BR" nft -f - <<NFT
table bridge mcdcount {
    counter queries { }
    counter replies { }
    counter sent { }
    chain from_host {
        type filter hook prerouting priority -10;
        iifname "p$1" udp dport $port counter name queries
        iifname != "p$1" ip daddr $(lab_ip "$1") udp dport != $port counter name sent
        iifname != "p$1" ip6 daddr $(lab_ip6 "$1") udp dport != $port counter name sent
    }
    chain to_host {
        type filter hook postrouting priority -10;
        oifname "p$1" udp dport != $port counter name replies
    }
}
NFT
}

# Hundreds of hosts answering one client at once each resolve its address
# first: N ARP broadcasts, each delivered to every host of the bridge (N^2
# deliveries) that two cores cannot always carry, and a host whose three
# tries drown drops its replies. That measures the lab, not discovery:
# tests at scale seed the entries (test_discover_scale.sh runs the cold
# path too).
lab_seed_neigh() {
    local i mac
    mac=$(lab_exec "$1" cat /sys/class/net/eth0/address) || return 1
    for i in $(seq "$2" "$3"); do
        ip -n "$(lab_ns "$i")" neigh replace "$(lab_ip "$1")" lladdr "$mac" \
            dev eth0 nud permanent || return 1
    done
}

lab_count() {
    ip netns exec "$LAB_BR" nft reset counters table bridge mcdcount |
        awk '/counter queries/ { c = "q" } /counter replies/ { c = "r" }
            /counter sent/ { c = "s" }
            /packets/ { for (i = 1; i < NF; i++) {
                if ($i == "packets") p[c] = $(i + 1)
                if ($i == "bytes") b[c] = $(i + 1) } }
            END { qb = b["q"] + 14 * p["q"]; rb = b["r"] + 14 * p["r"]
                printf "queries=%d query_bytes=%d replies=%d reply_bytes=%d bytes=%d sent=%d\n",
                    p["q"], qb, p["r"], rb, qb + rb, p["s"] }'
}

lab_kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# ---- routed topologies ----

lab_routed() {
    LAB_UP=1
    trap 'lab_down; eval "${LAB_ON_EXIT:-}"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ip netns add "$LAB_BR" || lab_die "FAIL: cannot create namespace $LAB_BR"
}

lab_segment() {
    local s=$1 opts=${2:-mcast_snooping 0}
    # shellcheck disable=SC2086
    ip -n "$LAB_BR" link add "br$s" type bridge $opts &&
        ip -n "$LAB_BR" link set "br$s" up ||
        lab_die "FAIL: cannot create bridge br$s ($opts)"
}

# A veth from bridge brS to namespace NS, named DEV there, addresses set.
lab_plug() {
    local s=$1 ns=$2 dev=$3 a4=$4 a6=$5 peer=$6
    ip -n "$LAB_BR" link add "$peer" type veth peer name "$dev" netns "$ns" &&
        ip -n "$LAB_BR" link set "$peer" master "br$s" up &&
        ip -n "$ns" link set "$dev" up &&
        ip -n "$ns" addr add "$a4/24" dev "$dev" &&
        ip -n "$ns" -6 addr add "$a6/64" dev "$dev" nodad
}

lab_netns() {
    ip netns add "$1" &&
        ip netns exec "$1" sh -c 'sysctl -qw net.ipv6.conf.all.accept_dad=0 &&
            sysctl -qw net.ipv6.conf.default.accept_dad=0' &&
        ip -n "$1" link set lo up
}

lab_host() {
    local i=$1 s=$2 gw=$3 ns
    ns=$(lab_ns "$i")
    LAB_ADDR4[$i]="10.$s.0.$((10 + i))"
    LAB_ADDR6[$i]="2001:db8:$s::$(printf %x $((10 + i)))"
    lab_netns "$ns" &&
        lab_plug "$s" "$ns" eth0 "${LAB_ADDR4[$i]}" "${LAB_ADDR6[$i]}" "p$i" &&
        ip -n "$ns" route add default via "10.$s.0.$gw" &&
        ip -n "$ns" -6 route add default via "2001:db8:$s::$gw" ||
        lab_die "FAIL: cannot create lab host $i on segment $s"
    [ "$i" -gt "$LAB_N" ] && LAB_N=$i
    lab_wait_dev "$ns" eth0
}

lab_rns() { echo "${LAB_ID}-r$1"; }
lab_rexec() {
    local r=$1
    shift
    ip netns exec "$(lab_rns "$r")" "$@"
}
lab_rbg() {
    local r=$1 log=$2
    shift 2
    ip netns exec "$(lab_rns "$r")" "$@" >"$log" 2>&1 &
    LAB_PID=$!
}

lab_router() {
    local r=$1 ns s
    shift
    ns=$(lab_rns "$r")
    lab_netns "$ns" || lab_die "FAIL: cannot create router $r"
    ip netns exec "$ns" sh -c 'sysctl -qw net.ipv4.ip_forward=1 &&
        sysctl -qw net.ipv6.conf.all.forwarding=1' ||
        lab_die "FAIL: router $r: cannot turn forwarding on"
    for s in "$@"; do
        lab_plug "$s" "$ns" "eth$s" "10.$s.0.$r" "2001:db8:$s::$r" \
            "r${r}s$s" || lab_die "FAIL: router $r: no link to segment $s"
        lab_wait_dev "$ns" "eth$s"
    done
}

# Until DEV in NS has its link-local IPv6 address (the link is up).
lab_wait_dev() {
    local tries=0
    until ip -n "$1" -6 addr show dev "$2" scope link | grep -q inet6; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && lab_die "FAIL: $1 $2 never came up"
        sleep 0.05
    done
}

lab_smcroute() {
    local r=$1 g=$2 from=$3 dir s to=""
    shift 3
    dir="$tmp/r$r"
    mkdir -p "$dir"
    for s in "$@"; do to="$to eth$s"; done
    echo "mroute from eth$from group $g to$to" >"$dir/smcroute.conf"
    command -v smcrouted >/dev/null ||
        lab_die "FAIL: smcrouted is missing: run scripts/deps.sh as root"
    lab_rbg "$r" "$dir/smcroute.log" smcrouted -n -l debug \
        -f "$dir/smcroute.conf" -P "$dir/smcroute.pid" \
        -u "$dir/smcroute.sock"
}

LAB_FRR=/usr/lib/frr
lab_frr() {
    local r=$1 rp=$2 qi=${3:-5} dir s
    dir="$tmp/r$r"
    mkdir -p "$dir"
    [ -x "$LAB_FRR/pimd" ] ||
        lab_die "FAIL: FRR's pimd is missing: run scripts/deps.sh as root"
    {
        echo "ip pim rp $rp 239.255.0.0/16"
        for s in $(ip -n "$(lab_rns "$r")" -br link | awk '/^eth/ {sub("@.*", "", $1); print $1}'); do
            printf 'interface %s\n ip pim\n ip igmp\n' "$s"
            printf ' ip igmp version 3\n ip igmp query-max-response-time 10\n'
            printf ' ip igmp query-interval %s\n' "$qi"
        done
    } >"$dir/pimd.conf"
    : >"$dir/zebra.conf"
    # FRR drops to its own user (root is not in its vty group): it owns
    # the router's directory, and may pass through $tmp to reach it.
    chown -R frr:frr "$dir" && chmod o+x "$tmp" ||
        lab_die "FAIL: FRR's user 'frr' is missing: run scripts/deps.sh"
    # A mount namespace of the router's own: FRR's default state and
    # temporary directories are private tmpfs, /etc/frr an empty one.
    lab_rbg "$r" "$dir/frr.log" unshare --mount --propagation private \
        sh -c 'for d in /etc/frr /var/run/frr /var/tmp; do
                   mount -t tmpfs mcdfrr "$d" || exit 1; done
               f="$0"; d="$1"
               "$f/zebra" -u frr -g frr -f "$d/zebra.conf" -i "$d/zebra.pid" \
                   --vty_socket "$d" --log "file:$d/zebra.log" &
               n=0; until [ -S /var/run/frr/zserv.api ]; do
                   n=$((n + 1)); [ $n -gt 100 ] && exit 1; sleep 0.05; done
               "$f/pimd" -u frr -g frr -f "$d/pimd.conf" -i "$d/pimd.pid" \
                   --vty_socket "$d" --log "file:$d/pimd.log" &
               wait' "$LAB_FRR" "$dir"
}

# vtysh against router R's FRR.
lab_vtysh() {
    local r=$1
    shift
    lab_rexec "$r" vtysh --vty_socket "$tmp/r$r" "$@"
}

lab_list() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep "^${LAB_ID}-" || true
}

lab_down() {
    local ns pids
    [ "$LAB_UP" = 1 ] || return 0
    LAB_UP=0
    for ns in $(lab_list); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -TERM $pids 2>/dev/null
    done
    sleep 0.2
    for ns in $(lab_list); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    wait 2>/dev/null
    return 0
}
