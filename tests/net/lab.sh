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
