/*
 * responder.c - mcd_responder: the responder core on a POSIX socket.
 *
 * A socket bound to wildcard:port (shared with other programs through
 * SO_REUSEADDR, see sock.c), joined to the group on each interface by
 * index, IP_MULTICAST_ALL off; past the memberships the kernel allows one
 * socket, more such sockets. Each datagram goes to the core with its
 * destination and ingress interface from pktinfo, and whether its source
 * lies on that interface's link; each reply leaves by the interface its
 * query came in on. A netlink socket reports link and address changes:
 * the responder joins again where an interface appears or comes back, and
 * leaves where one goes.
 */
#define _GNU_SOURCE
#include "core_private.h"
#include "net.h"

#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netpacket/packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Large enough for any query the core can match plus room to see that a
 * datagram is longer; MSG_TRUNC reports the true length beyond it. */
#define RX_BUF (MCD_QUERY_MAX + 2)
#define RANDOM_POOL 64
/* The first socket also sends the replies, and an IPv6 send with pktinfo
 * needs some of the socket's option memory, which IPv6 memberships use
 * up (net.core.optmem_max bounds them, not a count; a full socket failed
 * every reply with ENOBUFS): it holds no more memberships than an IPv4
 * socket may by default, the others as many as the kernel lets them. */
#define REPLY_SOCK_JOINS 20

typedef struct prefix {
    uint32_t ifindex;
    mcd_addr addr;
    uint8_t bits;
} prefix;

typedef struct member {
    uint32_t ifindex;
    size_t sock; /* the socket holding it */
} member;

/* An interface and a number: a join that failed (reported once), or
 * whether a link is up (to report changes, not every message). */
typedef struct ifnote {
    uint32_t ifindex;
    int value;
} ifnote;

/* A growable array of `size`-byte items. */
typedef struct vec {
    void *items;
    size_t n, cap;
} vec;

struct mcd_responder {
    int fd, nl_fd; /* fd: the first of socks, also the one replies use */
    int neigh_fd;  /* asks the kernel about queriers' neighbour entries */
    int sndbuf;    /* the reply socket's send buffer, bytes */
    uint16_t eph_lo, eph_hi; /* the kernel's ephemeral port range */
    mcd_gate gate; /* replies to queriers that do not resolve: neigh.c */
    uint16_t port;
    mcd_rcore core;
    mcd_addr group; /* with its zone, if the user gave one */
    uint8_t query[MCD_QUERY_MAX];
    uint8_t reply[MCD_REPLY_MAX];
    mcd_event_fn on_event;
    void *ctx;
    /* What the user asked for, kept to resync after link changes. */
    char *specs[MCD_MAX_IFACES];
    size_t nspecs;
    bool wait_ifaces;
    mcd_msocks socks; /* the first is fd */
    vec joined;   /* member: interfaces holding the membership */
    vec skipped;  /* ifnote: joins that failed, with the error reported */
    vec links;    /* ifnote: links known, 1 if up and running */
    vec prefixes; /* prefix: of the joined interfaces */
    mcd_time refreshed_at;
    uint32_t random[RANDOM_POOL]; /* from getrandom, a batch at a time */
    size_t nrandom;
    uint8_t rx[MCD_SOCK_BATCH][RX_BUF];
};

void mcd_responder_config_init(mcd_responder_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->group = MCD_DEFAULT_GROUP;
    cfg->port = MCD_DEFAULT_PORT;
    cfg->name = MCD_DEFAULT_NAME;
    cfg->proto = MCD_DEFAULT_PROTO;
    cfg->service_port = MCD_DEFAULT_SERVICE_PORT;
    cfg->query = MCD_DEFAULT_QUERY;
    cfg->delay_min_ms = MCD_DEFAULT_DELAY_MIN_MS;
    cfg->delay_max_ms = MCD_DEFAULT_DELAY_MAX_MS;
    cfg->querier_interval_ms = MCD_DEFAULT_QUERIER_INTERVAL_MS;
    cfg->rate_per_s = MCD_DEFAULT_RATE_PER_S;
    cfg->rate_burst = MCD_DEFAULT_RATE_BURST;
}

static void emit(const mcd_responder *r, int kind, const char *what,
                 uint32_t ifindex, int err)
{
    mcd_event ev = {.kind = kind, .what = what, .ifindex = ifindex,
                    .err = err};

    if (r->on_event != NULL)
        r->on_event(r->ctx, &ev);
}

/* Build the core's configuration from the user's, applying defaults. */
static int configure(mcd_responder *r, const mcd_responder_config *cfg)
{
    size_t qlen, rlen;
    int err;

    err = mcd_addr_resolve(cfg->group ? cfg->group : MCD_DEFAULT_GROUP,
                           &r->group);
    if (err < 0)
        return err;
    if (!mcd_addr_is_multicast(&r->group))
        return MCD_E_NOTMCAST;
    err = mcd_responder_texts(cfg->query, cfg->name, cfg->proto,
                              cfg->service_port, r->query, &qlen, r->reply,
                              &rlen);
    if (err < 0)
        return err;
    mcd_rcore_config rc = {
        .query = r->query, .query_len = qlen,
        .reply = r->reply, .reply_len = rlen,
        .group = r->group, .allow_unicast = cfg->allow_unicast,
        .allow_amplification = cfg->allow_amplification,
        .allow_offlink = cfg->allow_offlink,
        .delay_min_ms = cfg->delay_min_ms, .delay_max_ms = cfg->delay_max_ms,
        .querier_interval_ms = cfg->querier_interval_ms,
        .rate_per_s = cfg->rate_per_s, .rate_burst = cfg->rate_burst,
    };
    rc.group.scope_id = 0;
    return mcd_rcore_init(&r->core, &rc, mcd_now_());
}

/* --- which interfaces, and their prefixes --------------------------------- */

/* Room for one more item in v; -ENOMEM when there is none. */
static int vec_room(vec *v, size_t size)
{
    if (v->n < v->cap)
        return 0;
    size_t cap = v->cap ? v->cap * 2 : 16;
    void *p = realloc(v->items, cap * size);

    if (p == NULL)
        return -ENOMEM;
    v->items = p;
    v->cap = cap;
    return 0;
}

#define SOCKS(r) ((r)->socks.socks)
#define JOINED(r) ((member *)(r)->joined.items)
#define PREFIXES(r) ((const prefix *)(r)->prefixes.items)

static ifnote *note_find(const vec *v, uint32_t ifindex)
{
    ifnote *a = v->items;

    for (size_t i = 0; i < v->n; i++)
        if (a[i].ifindex == ifindex)
            return &a[i];
    return NULL;
}

/* Set the note of `ifindex`. Returns 1 when it was new or changed, 0 when
 * it was already so, -ENOMEM. */
static int note_set(vec *v, uint32_t ifindex, int value)
{
    ifnote *n = note_find(v, ifindex);

    if (n != NULL) {
        bool changed = n->value != value;

        n->value = value;
        return changed;
    }
    if (vec_room(v, sizeof *n) < 0)
        return -ENOMEM;
    ((ifnote *)v->items)[v->n++] = (ifnote){ifindex, value};
    return 1;
}

static void note_drop(vec *v, uint32_t ifindex)
{
    ifnote *n = note_find(v, ifindex), *a = v->items;

    if (n != NULL)
        *n = a[--v->n];
}

static bool is_joined(const mcd_responder *r, uint32_t ifindex)
{
    for (size_t i = 0; i < r->joined.n; i++)
        if (JOINED(r)[i].ifindex == ifindex)
            return true;
    return false;
}

/* The addresses and prefix lengths of the joined interfaces, as many as
 * they have. On failure (getifaddrs can fail under memory pressure or a
 * netlink storm) the old list stays and a refresh is tried again later
 * (prefixes_for()). */
static void refresh_prefixes(mcd_responder *r)
{
    vec fresh = {0};
    struct ifaddrs *list;
    int err = 0;

    r->refreshed_at = mcd_now_();
    if (getifaddrs(&list) < 0) {
        emit(r, MCD_EV_ERROR, "getifaddrs", 0, -errno);
        return;
    }
    for (struct ifaddrs *ia = list; ia && err == 0; ia = ia->ifa_next) {
        mcd_endpoint ep;
        uint32_t idx;

        if (ia->ifa_addr == NULL || mcd_from_sockaddr_(ia->ifa_addr, &ep) < 0)
            continue;
        idx = if_nametoindex(ia->ifa_name);
        if (!is_joined(r, idx))
            continue;
        ep.addr.scope_id = 0;
        err = vec_room(&fresh, sizeof(prefix));
        if (err == 0)
            ((prefix *)fresh.items)[fresh.n++] =
                (prefix){idx, ep.addr, mcd_mask_bits_(ia->ifa_netmask)};
    }
    freeifaddrs(list);
    if (err < 0) {
        free(fresh.items);
        emit(r, MCD_EV_ERROR, "prefixes", 0, err);
        return;
    }
    free(r->prefixes.items);
    r->prefixes = fresh;
}

/* Make sure the prefixes of `ifindex` are known: a query on a joined
 * interface whose prefixes are missing means the last refresh failed or
 * raced an address change; refresh, at most every 100 ms. */
static void prefixes_for(mcd_responder *r, uint32_t ifindex)
{
    for (size_t i = 0; i < r->prefixes.n; i++)
        if (PREFIXES(r)[i].ifindex == ifindex)
            return;
    if (is_joined(r, ifindex) && mcd_now_() - r->refreshed_at >= 100000)
        refresh_prefixes(r);
}

/* Is `src` on the link of interface `ifindex`? Link-local sources are by
 * definition (RFC 4291 2.5.6, RFC 3927); others must fall inside a prefix
 * configured on that interface. */
static bool on_link(const mcd_responder *r, const mcd_addr *src,
                    uint32_t ifindex)
{
    if (mcd_addr_is_link_local(src))
        return true;
    for (size_t i = 0; i < r->prefixes.n; i++)
        if (PREFIXES(r)[i].ifindex == ifindex &&
            mcd_addr_in_prefix(src, &PREFIXES(r)[i].addr,
                               PREFIXES(r)[i].bits))
            return true;
    return false;
}

/* The interfaces that should hold the membership now. With specs and
 * `tolerant` (waiting for them, or after a link change), each that exists
 * and is usable; the others are simply not there yet. */
static int pick_ifaces(const mcd_responder *r, bool tolerant, mcd_iface *ifs,
                       size_t cap, size_t *bad)
{
    size_t n = 0;

    if (!tolerant || r->nspecs == 0)
        return mcd_iface_select(&r->group, (const char *const *)r->specs,
                                r->nspecs, ifs, cap, bad);
    for (size_t i = 0; i < r->nspecs && n < cap; i++) {
        const char *one[1] = {r->specs[i]};

        if (mcd_iface_select(&r->group, one, 1, &ifs[n], 1, NULL) == 1) {
            ifs[n].spec = i;
            n++;
        }
    }
    return (int)n;
}

/* pick_ifaces() into an array of the size needed (*out, to free): every
 * usable interface, however many there are, not the first MCD_MAX_IFACES. */
static int wanted_ifaces(const mcd_responder *r, bool tolerant, mcd_iface **out,
                         size_t *bad)
{
    mcd_iface *ifs;
    int n;

    if (!tolerant || r->nspecs == 0)
        return mcd_iface_select_alloc_(&r->group, (const char *const *)r->specs,
                                       r->nspecs, out, bad);
    ifs = malloc(r->nspecs * sizeof *ifs);
    if (ifs == NULL)
        return -ENOMEM;
    n = pick_ifaces(r, tolerant, ifs, r->nspecs, bad);
    if (n < 0)
        free(ifs);
    else
        *out = ifs;
    return n;
}

typedef struct join_req {
    const mcd_addr *group;
    uint32_t ifindex;
} join_req;

static int join_on(void *ctx, int fd)
{
    const join_req *q = ctx;
    int err = mcd_sock_join_(fd, q->group, q->ifindex);

    /* EADDRINUSE: the socket holds a membership we no longer know of, left
     * by an interface of this index deleted while netlink messages were
     * lost; it belongs to the old device. Leave it and join anew. */
    if (err == -EADDRINUSE) {
        err = mcd_sock_leave_(fd, q->group, q->ifindex);
        if (err == 0)
            err = mcd_sock_join_(fd, q->group, q->ifindex);
    }
    return err;
}

/* Join on the first socket with room. One socket's memberships are
 * bounded by the kernel, the program's are not: past that, one more socket
 * on the same port (msocks.c), so each datagram reaches the one socket
 * joined on its interface. */
static int join_one(mcd_responder *r, const mcd_iface *ifc)
{
    join_req q = {&r->group, ifc->index};
    int s, err = vec_room(&r->joined, sizeof(member));

    if (err < 0)
        return err;
    s = mcd_msocks_join_(&r->socks, join_on, &q);
    if (s < 0)
        return s;
    JOINED(r)[r->joined.n++] = (member){ifc->index, (size_t)s};
    emit(r, MCD_EV_JOINED, ifc->name, ifc->index, 0);
    return 0;
}

/* Leave the group on joined[j]. After the interface is deleted the kernel
 * still holds the membership and finds it by the old index; ENODEV and
 * EADDRNOTAVAIL only say there was nothing left to drop. */
static void leave_one(mcd_responder *r, size_t j)
{
    member m = JOINED(r)[j];
    int err = mcd_sock_leave_(SOCKS(r)[m.sock].fd, &r->group, m.ifindex);

    if (err < 0 && err != -ENODEV && err != -EADDRNOTAVAIL)
        emit(r, MCD_EV_ERROR, "leaving the group", m.ifindex, err);
    mcd_msocks_left_(&r->socks, m.sock);
    JOINED(r)[j] = JOINED(r)[--r->joined.n];
    emit(r, MCD_EV_LEFT, NULL, m.ifindex, 0);
}

static bool in_list(const mcd_iface *ifs, int n, uint32_t ifindex)
{
    for (int i = 0; i < n; i++)
        if (ifs[i].index == ifindex)
            return true;
    return false;
}

/* Leave where no longer wanted; forget failures of interfaces gone. */
static void drop_unwanted(mcd_responder *r, const mcd_iface *ifs, int n)
{
    ifnote *sk = r->skipped.items;

    for (size_t j = 0; j < r->joined.n;) {
        if (in_list(ifs, n, JOINED(r)[j].ifindex))
            j++;
        else
            leave_one(r, j);
    }
    for (size_t j = 0; j < r->skipped.n;) {
        if (in_list(ifs, n, sk[j].ifindex))
            j++;
        else
            sk[j] = sk[--r->skipped.n];
    }
}

/* An interface we chose could not join: say so once per interface and
 * error, not again at every link change that retries it. */
static void report_skip(mcd_responder *r, const mcd_iface *ifc, int err)
{
    if (note_set(&r->skipped, ifc->index, err) != 0)
        emit(r, MCD_EV_JOIN_ERROR, ifc->name, ifc->index, err);
}

/* Bring the memberships in line with the interfaces that exist now. When
 * the user named interfaces (and does not wait for them), any failure is
 * theirs to fix; interfaces we chose ourselves that cannot join (no socket
 * will take more, a link going away) are reported once and skipped. */
static int resync(mcd_responder *r, bool first, size_t *bad_iface)
{
    mcd_iface *ifs = NULL;
    bool strict = first && r->nspecs > 0 && !r->wait_ifaces;
    int n = wanted_ifaces(r, !first || r->wait_ifaces, &ifs, bad_iface);
    int err = 0;

    if (n < 0 && (strict || n != MCD_E_NOIFACES))
        return first ? n : 0;
    n = n < 0 ? 0 : n;
    drop_unwanted(r, ifs, n);
    for (int i = 0; i < n; i++) {
        if (is_joined(r, ifs[i].index))
            continue;
        err = join_one(r, &ifs[i]);
        if (err < 0 && strict) {
            if (bad_iface != NULL)
                *bad_iface = ifs[i].spec;
            break;
        }
        if (err < 0)
            report_skip(r, &ifs[i], err);
        else
            note_drop(&r->skipped, ifs[i].index);
    }
    free(ifs);
    if (err < 0 && strict)
        return err;
    refresh_prefixes(r);
    /* At start, something must be joined unless we are told to wait. */
    if (first && r->joined.n == 0 && !r->wait_ifaces)
        return err < 0 ? err : MCD_E_NOIFACES;
    return 0;
}

/* --- open, close ----------------------------------------------------------- */

static void seed_links(mcd_responder *r);

/* net.ipv4.ip_local_port_range (IPv6 uses it too); the usual default
 * when it cannot be read. */
static void read_ephemeral(mcd_responder *r)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
    unsigned lo = 32768, hi = 60999;

    if (f != NULL) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
            lo = 32768, hi = 60999;
        fclose(f);
    }
    r->eph_lo = (uint16_t)lo;
    r->eph_hi = (uint16_t)hi;
}

static int open_sockets(mcd_responder *r, const mcd_responder_config *cfg,
                        size_t *bad_iface)
{
    int err;

    r->port = cfg->port ? cfg->port : MCD_DEFAULT_PORT;
    r->socks.family = (enum mcd_family)r->group.family;
    r->socks.port = r->port;
    r->socks.first_max = REPLY_SOCK_JOINS;
    err = mcd_msocks_add_(&r->socks);
    if (err < 0)
        return err;
    r->fd = SOCKS(r)[0].fd;
    r->nl_fd = mcd_nl_open_();
    if (r->nl_fd < 0)
        return r->nl_fd;
    seed_links(r); /* after subscribing: no change falls in between */
    r->neigh_fd = mcd_neigh_open_();
    if (r->neigh_fd < 0)
        return r->neigh_fd;
    r->sndbuf = mcd_sock_sndbuf_(r->fd);
    if (r->sndbuf < 0)
        return r->sndbuf;
    read_ephemeral(r);
    return resync(r, true, bad_iface);
}

static int copy_specs(mcd_responder *r, const mcd_responder_config *cfg)
{
    if (cfg->n_ifaces > MCD_MAX_IFACES)
        return MCD_E_FULL;
    for (size_t i = 0; i < cfg->n_ifaces; i++) {
        r->specs[i] = strdup(cfg->ifaces[i]);
        if (r->specs[i] == NULL)
            return -ENOMEM;
        r->nspecs++;
    }
    r->wait_ifaces = cfg->wait_ifaces;
    return 0;
}

int mcd_responder_open(mcd_responder **out, const mcd_responder_config *cfg,
                       size_t *bad_iface)
{
    mcd_responder *r;
    int err;

    if (bad_iface != NULL)
        *bad_iface = SIZE_MAX;
    if (out == NULL || cfg == NULL)
        return MCD_E_INVAL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    r->fd = r->nl_fd = r->neigh_fd = -1;
    r->on_event = cfg->on_event;
    r->ctx = cfg->ctx;
    err = configure(r, cfg);
    if (err == 0)
        err = copy_specs(r, cfg);
    if (err == 0)
        err = open_sockets(r, cfg, bad_iface);
    if (err < 0) {
        mcd_responder_close(r);
        return err;
    }
    *out = r;
    return 0;
}

void mcd_responder_close(mcd_responder *r)
{
    if (r == NULL)
        return;
    mcd_msocks_close_(&r->socks);
    if (r->nl_fd >= 0)
        close(r->nl_fd);
    if (r->neigh_fd >= 0)
        close(r->neigh_fd);
    for (size_t i = 0; i < r->nspecs; i++)
        free(r->specs[i]);
    free(r->joined.items);
    free(r->skipped.items);
    free(r->links.items);
    free(r->prefixes.items);
    free(r);
}

/* --- running --------------------------------------------------------------- */

size_t mcd_responder_nfds(const mcd_responder *r)
{
    return r->socks.n + (r->nl_fd >= 0);
}

/* The first socket and netlink first: a caller with room for two gets
 * what it got before there could be more sockets. */
size_t mcd_responder_fds(const mcd_responder *r, int *fds, size_t cap)
{
    size_t n = 0;

    if (n < cap)
        fds[n++] = r->fd;
    if (n < cap && r->nl_fd >= 0)
        fds[n++] = r->nl_fd;
    for (size_t i = 1; i < r->socks.n && n < cap; i++)
        fds[n++] = SOCKS(r)[i].fd;
    return n;
}

int mcd_responder_timeout(const mcd_responder *r)
{
    mcd_time next = mcd_rcore_next(&r->core), now = mcd_now_();

    if (next == MCD_TIME_NEVER)
        return -1;
    if (next <= now)
        return 0;
    /* Round up so poll() does not wake a moment early and spin. */
    mcd_time ms = (next - now + 999) / 1000;
    return ms > 60000 ? 60000 : (int)ms;
}

/* A random number for the reply delay: the kernel's generator, fetched
 * RANDOM_POOL at a time so a busy responder makes no syscall per query. */
static uint32_t next_random(mcd_responder *r)
{
    if (r->nrandom == 0) {
        if (getrandom(r->random, sizeof r->random, GRND_NONBLOCK) !=
            (ssize_t)sizeof r->random)
            for (size_t i = 0; i < RANDOM_POOL; i++)
                r->random[i] = mcd_random_(); /* early boot: per call */
        r->nrandom = RANDOM_POOL;
    }
    return r->random[--r->nrandom];
}

/* Is `a` an address of a joined interface? */
static bool own_address(const mcd_responder *r, const mcd_addr *a)
{
    mcd_addr x = *a;

    x.scope_id = 0;
    for (size_t i = 0; i < r->prefixes.n; i++)
        if (mcd_addr_equal(&x, &PREFIXES(r)[i].addr))
            return true;
    return false;
}

/* Is `src` an address of a joined interface (*local), and how long is
 * the longest prefix of `ifindex` that holds it (*bits; 0: none)? The
 * core refuses both our own addresses and a prefix's anycast and
 * broadcast addresses as sources. */
static void source_role(const mcd_responder *r, const mcd_endpoint *from,
                        uint32_t ifindex, bool *local, uint8_t *bits)
{
    mcd_addr a = from->addr;

    a.scope_id = 0;
    *local = own_address(r, &a);
    *bits = 0;
    for (size_t i = 0; i < r->prefixes.n; i++) {
        const prefix *p = &PREFIXES(r)[i];

        if (p->ifindex == ifindex && p->bits > *bits &&
            mcd_addr_in_prefix(&a, &p->addr, p->bits))
            *bits = p->bits;
    }
    /* A client on this host (discover next to respond) sends from our
     * address too, from an ephemeral port, and its query loops back
     * through the kernel: that one is answered. A query "from" our
     * address and a fixed port came off the wire, forged to bounce our
     * reply onto a local service: refused. */
    if (*local && from->port >= r->eph_lo && from->port <= r->eph_hi)
        *local = false;
}

/* The socket holding the membership on `ifindex`, or SIZE_MAX. */
static size_t holder(const mcd_responder *r, uint32_t ifindex)
{
    for (size_t i = 0; i < r->joined.n; i++)
        if (JOINED(r)[i].ifindex == ifindex)
            return JOINED(r)[i].sock;
    return SIZE_MAX;
}

/* A datagram read from socket `s`. */
static void handle(mcd_responder *r, size_t s, const mcd_rx *rx,
                   const uint8_t *data)
{
    enum mcd_ignore why;
    bool to_group = rx->has_dst && mcd_addr_is_multicast(&rx->dst) &&
                    rx->ifindex != 0;

    /* IPv6 hands a group's datagram to every socket joined to the group
     * on any interface: only the socket joined on the ingress interface
     * takes it, so one query is seen, counted and answered once. */
    if (to_group && holder(r, rx->ifindex) != SIZE_MAX &&
        holder(r, rx->ifindex) != s)
        return;
    /* A group another program joined on another interface reaches this
     * socket where IPV6_MULTICAST_ALL is missing (Linux < 4.20). */
    if (to_group && !is_joined(r, rx->ifindex)) {
        why = MCD_IGNORE_NOT_GROUP;
        r->core.ignored[why]++;
    } else {
        prefixes_for(r, rx->ifindex);
        bool local;
        uint8_t bits;
        source_role(r, &rx->from, rx->ifindex, &local, &bits);
        mcd_rcore_rx in = {
            .data = data, .data_cap = RX_BUF, .len = rx->len,
            .src = &rx->from, .dst = rx->has_dst ? &rx->dst : NULL,
            .ifindex = rx->ifindex,
            .src_on_link = on_link(r, &rx->from.addr, rx->ifindex),
            .src_is_local = local, .src_prefix_len = bits,
            .rnd = next_random(r),
        };
        why = mcd_rcore_input(&r->core, mcd_now_(), &in);
    }
    mcd_event ev = {.kind = MCD_EV_DATAGRAM, .from = &rx->from,
                    .dst = rx->has_dst ? &rx->dst : NULL,
                    .ifindex = rx->ifindex, .len = rx->len, .why = why};

    if (r->on_event != NULL)
        r->on_event(r->ctx, &ev);
}

/* Keep the replies the gate lets through (neigh.c): on-link queriers the
 * kernel resolved, or resolved before, and a bounded number of others.
 * The rest are counted as unresolved. Returns how many are kept. */
static size_t gate(mcd_responder *r, mcd_sock_tx *batch, size_t n)
{
    enum mcd_nstate st[MCD_SOCK_BATCH];
    int outq = mcd_sock_outq_(r->fd);
    bool crowded = outq < 0 || outq > r->sndbuf / 2;
    mcd_time now = mcd_now_();
    size_t kept = 0;

    if (mcd_neigh_lookup_(r->neigh_fd, batch, n, st, &r->gate, now) < 0)
        for (size_t i = 0; i < n; i++)
            st[i] = MCD_N_UNKNOWN;
    for (size_t i = 0; i < n; i++) {
        enum mcd_ignore why = MCD_IGNORE_NONE;

        /* Off-link (--allow-offlink): the router resolves it, not us;
         * a client on this host needs no resolution at all. */
        if (on_link(r, &batch[i].to.addr, batch[i].ifindex) &&
            !own_address(r, &batch[i].to.addr))
            why = mcd_gate_admit_(&r->gate, now, &batch[i].to.addr,
                                  batch[i].ifindex, st[i], crowded);
        if (why == MCD_IGNORE_NONE)
            batch[kept++] = batch[i];
        else
            mcd_rcore_done(&r->core, why);
    }
    return kept;
}

/* Send n replies; count each as answered or failed. sendmmsg reports an
 * error only when the first one fails: after a short count, go on from
 * the one that failed, which then reports its own error. */
static void send_batch(mcd_responder *r, const mcd_sock_tx *batch, size_t n)
{
    size_t done = 0;

    while (done < n) {
        int sent = mcd_sock_send_batch_(r->fd, batch + done, n - done);

        if (sent <= 0) {
            emit(r, MCD_EV_ERROR, "sendmmsg", 0, sent < 0 ? sent : -EIO);
            mcd_rcore_done(&r->core, MCD_IGNORE_SEND_FAILED);
            done++;
            continue;
        }
        for (int i = 0; i < sent; i++)
            mcd_rcore_done(&r->core, MCD_IGNORE_NONE);
        done += (size_t)sent;
    }
}

/* Send every reply that is due, a batch per system call. */
static void send_due(mcd_responder *r)
{
    mcd_sock_tx batch[MCD_SOCK_BATCH];
    mcd_rcore_tx tx;
    size_t n = 0;
    bool more = true;

    while (more) {
        more = mcd_rcore_poll(&r->core, mcd_now_(), &tx);
        if (more) {
            /* A link-local querier is reachable only through its link. */
            if (tx.to.addr.family == MCD_AF_INET6 && tx.to.addr.scope_id == 0)
                tx.to.addr.scope_id = tx.ifindex;
            batch[n++] = (mcd_sock_tx){tx.to, tx.ifindex, tx.data, tx.len};
        }
        if (n == MCD_SOCK_BATCH || (!more && n > 0)) {
            send_batch(r, batch, gate(r, batch, n));
            n = 0;
        }
    }
}

/* Errors a UDP socket reports for earlier sends (ICMP), or for a moment
 * of memory pressure: the socket itself is fine. */
static bool transient(int err)
{
    return err == -ECONNREFUSED || err == -EHOSTUNREACH ||
           err == -ENETUNREACH || err == -EHOSTDOWN || err == -ENOBUFS ||
           err == -ENOMEM || err == -EINTR;
}

static const char *change_name(const mcd_nl_change *c)
{
    switch (c->kind) {
    case MCD_NL_LINK_UP: return "link up";
    case MCD_NL_LINK_DOWN: return "link down";
    case MCD_NL_LINK_GONE: return "link deleted";
    case MCD_NL_ADDR_NEW: return "address added";
    case MCD_NL_ADDR_GONE: return "address removed";
    case MCD_NL_NONE: break;
    }
    return "change";
}

/* Whether each link is up and running now, so that a message saying it
 * still is (promiscuous mode, MTU, a second copy) is not reported as a
 * change. Read after subscribing to netlink, and again when messages were
 * lost. */
static void seed_links(mcd_responder *r)
{
    struct ifaddrs *list;

    r->links.n = 0;
    if (getifaddrs(&list) < 0)
        return; /* unknown links: their next "up" is reported, no harm */
    for (struct ifaddrs *ia = list; ia; ia = ia->ifa_next) {
        struct sockaddr_ll ll;

        if (ia->ifa_addr == NULL || ia->ifa_addr->sa_family != AF_PACKET)
            continue;
        memcpy(&ll, ia->ifa_addr, sizeof ll);
        note_set(&r->links, (uint32_t)ll.sll_ifindex,
                 (ia->ifa_flags & IFF_UP) && (ia->ifa_flags & IFF_RUNNING));
    }
    freeifaddrs(list);
}

/* Is this change worth a line? A link's state only when it changed (a
 * link first seen down is just being created); addresses only of the
 * group's family, the only ones the responder uses. */
static bool news(mcd_responder *r, const mcd_nl_change *c)
{
    switch (c->kind) {
    case MCD_NL_LINK_UP:
    case MCD_NL_LINK_DOWN: {
        bool up = c->kind == MCD_NL_LINK_UP, known;

        known = note_find(&r->links, c->ifindex) != NULL;
        return note_set(&r->links, c->ifindex, up) != 0 && (known || up);
    }
    case MCD_NL_LINK_GONE:
        note_drop(&r->links, c->ifindex);
        return true;
    case MCD_NL_ADDR_NEW:
    case MCD_NL_ADDR_GONE:
        return c->family == r->group.family;
    case MCD_NL_NONE: break;
    }
    return false;
}

/* Leave at once on a deleted link: a link created with the same index
 * before the resync would otherwise look joined, its membership held by
 * the device that is gone. */
static void forget_link(mcd_responder *r, uint32_t ifindex)
{
    for (size_t j = 0; j < r->joined.n; j++)
        if (JOINED(r)[j].ifindex == ifindex) {
            leave_one(r, j);
            return;
        }
}

/* Read link changes; any change (or lost ones: ENOBUFS) means resync,
 * which acts (and reports) only where something is different. */
static void process_netlink(mcd_responder *r)
{
    mcd_nl_change ch[64];
    bool changed = false, lost = false;

    for (int round = 0; round < 64; round++) {
        int n = mcd_nl_read_(r->nl_fd, ch, 64);

        if (n == 0)
            break;
        changed = true;
        if (n < 0) {
            if (n != -ENOBUFS)
                emit(r, MCD_EV_ERROR, "netlink", 0, n);
            lost = lost || n == -ENOBUFS;
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (news(r, &ch[i]))
                emit(r, MCD_EV_LINK, change_name(&ch[i]), ch[i].ifindex, 0);
            if (ch[i].kind == MCD_NL_LINK_GONE)
                forget_link(r, ch[i].ifindex);
        }
    }
    if (lost)
        seed_links(r);
    if (changed)
        resync(r, false, NULL);
}

/* Read what waits on the socket, a batch per system call; bounded so a
 * flood cannot starve the replies that are due. */
static int process_socket(mcd_responder *r, size_t s)
{
    mcd_rx rx[MCD_SOCK_BATCH];
    int fd = SOCKS(r)[s].fd;

    for (int round = 0; round < 8; round++) {
        int n = mcd_sock_recv_batch_(fd, &r->rx[0][0], RX_BUF,
                                     MCD_SOCK_BATCH, rx);

        if (n == -EAGAIN)
            break;
        if (n < 0) {
            emit(r, MCD_EV_ERROR, "recvmmsg", 0, n);
            if (!transient(n))
                return n;
            continue;
        }
        for (int i = 0; i < n; i++)
            if (rx[i].from.addr.family != MCD_AF_NONE)
                handle(r, s, &rx[i], r->rx[i]);
        send_due(r);
        if (n < MCD_SOCK_BATCH)
            break; /* the queue is empty: no need to ask again */
    }
    return 0;
}

/* The index of the socket `fd` in socks, or SIZE_MAX. */
static size_t sock_index(const mcd_responder *r, int fd)
{
    for (size_t i = 0; i < r->socks.n; i++)
        if (SOCKS(r)[i].fd == fd)
            return i;
    return SIZE_MAX;
}

int mcd_responder_process(mcd_responder *r, int fd)
{
    size_t s = fd >= 0 ? sock_index(r, fd) : SIZE_MAX;
    int err = 0;

    if (fd >= 0 && fd == r->nl_fd)
        process_netlink(r);
    else if (s != SIZE_MAX)
        err = process_socket(r, s);
    send_due(r);
    return err;
}

uint64_t mcd_responder_answered(const mcd_responder *r)
{
    return r->core.answered;
}

uint64_t mcd_responder_ignored(const mcd_responder *r, enum mcd_ignore why)
{
    return (unsigned)why < MCD_IGNORE_COUNT_ ? r->core.ignored[why] : 0;
}

size_t mcd_responder_ifaces(const mcd_responder *r, uint32_t *idx, size_t cap)
{
    size_t n = 0;

    for (; n < r->joined.n && n < cap; n++)
        idx[n] = JOINED(r)[n].ifindex;
    return n;
}
