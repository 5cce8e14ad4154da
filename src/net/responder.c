/*
 * responder.c - mcd_responder: the responder core on a POSIX socket.
 *
 * A socket bound to wildcard:port (shared with other programs through
 * SO_REUSEADDR, see sock.c), joined to the group on each interface by
 * index, IP_MULTICAST_ALL off; past the memberships the kernel allows one
 * socket, more such sockets. Each datagram goes to the core with its
 * destination and ingress interface from pktinfo, and whether its source
 * lies on that interface's link; each reply leaves by the interface its
 * query came in on. Which interfaces hold the membership, their
 * prefixes and the link changes that move them are links.c's.
 */
#define _GNU_SOURCE
#include "core_private.h"
#include "links.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Large enough for any query the core can match (an extended one is the
 * longest) plus room to see that a datagram is longer; MSG_TRUNC reports
 * the true length beyond it. */
#define RX_BUF (MCD_EXT_MAX + 1)
#define RANDOM_POOL 64
/* The first socket also sends the replies, and an IPv6 send with pktinfo
 * needs some of the socket's option memory, which IPv6 memberships use
 * up (net.core.optmem_max bounds them, not a count; a full socket failed
 * every reply with ENOBUFS): it holds no more memberships than an IPv4
 * socket may by default, the others as many as the kernel lets them. */
#define REPLY_SOCK_JOINS 20

/* What one configuration makes: the core with the texts it points into,
 * and the live view's two datagrams. Made whole before it is taken, so
 * that a configuration that does not fit changes nothing: the responder
 * holds two, the one in force and the next (mcd_responder_update). */
typedef struct rconf {
    mcd_rcore core;
    uint8_t query[MCD_QUERY_MAX];
    uint8_t reply[MCD_REPLY_MAX];
    uint8_t ext_reply[MCD_EXT_MAX]; /* the extension's reply template */
    bool ann_on;      /* an id and a lifetime: the device announces */
    uint8_t ann_buf[MCD_EXT_MAX], bye_buf[MCD_EXT_MAX];
    mcd_mac_key mac;  /* keys: fn NULL when unkeyed; signs both per send */
    size_t ann_len, bye_len, qlen;
} rconf;

struct mcd_responder {
    int fd; /* the first of links' sockets, also the one replies use */
    int neigh_fd;  /* asks the kernel about queriers' neighbour entries */
    int sndbuf;    /* the reply socket's send buffer, bytes */
    uint16_t eph_lo, eph_hi; /* the kernel's ephemeral port range */
    mcd_gate gate; /* replies to queriers that do not resolve: neigh.c */
    uint16_t port;
    mcd_addr group; /* with its zone, if the user gave one */
    rconf conf[2];
    rconf *c;       /* the one in force */
    mcd_event_fn on_event;
    void *ctx;
    mcd_links links; /* memberships, prefixes, link changes */
    uint32_t random[RANDOM_POOL]; /* from getrandom, a batch at a time */
    /* Counts of the cores replaced by mcd_responder_update(). */
    uint64_t answered_before, ignored_before[MCD_IGNORE_COUNT_];
    size_t nrandom;
    uint8_t rx[MCD_SOCK_BATCH][RX_BUF];
    uint8_t tx[MCD_SOCK_BATCH][MCD_EXT_MAX]; /* one buffer per reply */
    /* The live view's schedule and counter (the end of this file). */
    mcd_announcer ann;
    uint64_t counter; /* the last one sent: realtime microseconds */
};

static int live_setup(rconf *c, const mcd_responder_opts *o);
static void live_send(mcd_responder *r, uint8_t *buf, size_t len);
static void live_send_due(mcd_responder *r);
static bool live_own(const mcd_responder *r, const uint8_t *data, size_t len);

void mcd_responder_config_init(mcd_responder_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    mcd_responder_opts_init(&cfg->opts);
}

static void emit(const mcd_responder *r, int kind, const char *what,
                 uint32_t ifindex, int err)
{
    mcd_event ev = {.kind = kind, .what = what, .ifindex = ifindex,
                    .err = err};

    if (r->on_event != NULL)
        r->on_event(r->ctx, &ev);
}

/* The host's identity for the default id: /etc/machine-id (systemd,
 * stable across reboots), else the host name. Returns its length. */
static size_t host_identity(char *buf, size_t cap)
{
    FILE *f = fopen("/etc/machine-id", "re");
    size_t n = 0;

    if (f != NULL) {
        if (fgets(buf, (int)cap, f) != NULL)
            n = strcspn(buf, "\r\n");
        fclose(f);
    }
    if (n == 0 && gethostname(buf, cap - 1) == 0) {
        buf[cap - 1] = '\0';
        n = strlen(buf);
    }
    return n;
}

/* Whether our network namespace is PID 1's: 1 yes, 0 no, -1 unknown.
 * PID 1's namespace link is readable by root only (ptrace rules), so
 * anyone else compares PID 1's /proc/PID/net with ours, which everyone
 * may stat: one namespace shows all its processes one entry (one inode),
 * another namespace its own. Unknown when both are hidden (hidepid). */
static int netns_is_init(const char *proc, const char *self, size_t len)
{
    char path[PATH_MAX], init[64];
    struct stat a, b;
    ssize_t m;

    snprintf(path, sizeof path, "%s/1/ns/net", proc);
    m = readlink(path, init, sizeof init);
    if (m > 0)
        return (size_t)m == len && memcmp(self, init, len) == 0;
    snprintf(path, sizeof path, "%s/1/net/dev", proc);
    if (stat(path, &a) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/self/net/dev", proc);
    if (stat(path, &b) < 0)
        return -1;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The network namespace ("net:[4026532281]") unless it is PID 1's:
 * namespaces sharing one file system (a lab of namespaces, `ip netns`)
 * share the machine id too, and their responders are still different
 * devices. Returns its length; 0 in PID 1's namespace, when ours cannot
 * be read, and when whether it is PID 1's cannot be told (root or not,
 * one host gets one id: docs/PROTOCOL.md "The id"). */
size_t mcd_netns_identity_(const char *proc, char *buf, size_t cap)
{
    char path[PATH_MAX];
    ssize_t n;

    snprintf(path, sizeof path, "%s/self/ns/net", proc);
    n = readlink(path, buf, cap);
    if (n <= 0 || (size_t)n >= cap ||
        netns_is_init(proc, buf, (size_t)n) != 0)
        return 0;
    return (size_t)n;
}

/* docs/PROTOCOL.md, "The id": FNV-1a-64 of the host's identity, a NUL
 * and the reply text, so that it survives restarts and two services of
 * one host differ. */
static void default_id(const mcd_responder_opts *o, uint8_t id[MCD_EXT_ID_LEN])
{
    uint8_t buf[256 + 64 + 1 + MCD_REPLY_MAX];
    size_t n = host_identity((char *)buf, 256);
    int len;

    n += mcd_netns_identity_("/proc", (char *)buf + n, 64);
    buf[n++] = 0;
    len = mcd_reply_format(o->name ? o->name : MCD_DEFAULT_NAME,
                           o->proto ? o->proto : MCD_DEFAULT_PROTO,
                           o->service_port ? o->service_port
                                           : MCD_DEFAULT_SERVICE_PORT,
                           buf + n, sizeof buf - n);
    n += len > 0 ? (size_t)len : 0;
    mcd_ext_id_hash(buf, n, id);
}

static int resolve_group(const mcd_responder_opts *o, mcd_addr *group)
{
    return mcd_addr_resolve(o->group ? o->group : MCD_DEFAULT_GROUP, group);
}

/* Everything a configuration makes, into c: the core as every socket
 * layer sets it up, with the extension, then the announcement and the
 * goodbye. The one check of a configuration: what fails here was never
 * taken (mcd_responder_check, mcd_responder_update). */
static int build(rconf *c, const mcd_addr *group, const mcd_responder_opts *o)
{
    uint8_t id[MCD_EXT_ID_LEN];
    int err;

    default_id(o, id);
    err = mcd_responder_setup_ext(&c->core, o, group, c->query, c->reply,
                                  c->ext_reply, sizeof c->ext_reply, id,
                                  mcd_now_());
    return err < 0 ? err : live_setup(c, o);
}

int mcd_responder_check(const mcd_responder_config *cfg)
{
    mcd_addr group;
    rconf *c;
    int err;

    if (cfg == NULL)
        return MCD_E_INVAL;
    err = resolve_group(&cfg->opts, &group);
    if (err < 0)
        return err;
    c = malloc(sizeof *c);
    if (c == NULL)
        return -ENOMEM;
    err = build(c, &group, &cfg->opts);
    free(c);
    return err;
}

/* The group (a named zone needs the OS), then the first configuration. */
static int configure(mcd_responder *r, const mcd_responder_config *cfg)
{
    int err = resolve_group(&cfg->opts, &r->group);

    r->c = &r->conf[0];
    return err < 0 ? err : build(r->c, &r->group, &cfg->opts);
}

/* --- open, close ----------------------------------------------------------- */

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
    r->port = cfg->opts.port ? cfg->opts.port : MCD_DEFAULT_PORT;
    mcd_links_config lc = {
        .group = &r->group, .port = r->port, .first_max = REPLY_SOCK_JOINS,
        .specs = cfg->ifaces, .nspecs = cfg->n_ifaces,
        .wait_ifaces = cfg->wait_ifaces, .on_event = cfg->on_event,
        .ctx = cfg->ctx,
    };
    int err = mcd_links_open_(&r->links, &lc);

    if (err < 0)
        return err;
    r->fd = r->links.socks->socks[0].fd;
    r->neigh_fd = mcd_neigh_open_();
    if (r->neigh_fd < 0)
        return r->neigh_fd;
    r->sndbuf = mcd_sock_sndbuf_(r->fd);
    if (r->sndbuf < 0)
        return r->sndbuf;
    read_ephemeral(r);
    return mcd_links_resync_(&r->links, true, bad_iface);
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
    r->fd = r->links.nl_fd = r->neigh_fd = -1;
    r->on_event = cfg->on_event;
    r->ctx = cfg->ctx;
    err = configure(r, cfg);
    if (err == 0)
        err = open_sockets(r, cfg, bad_iface);
    if (err < 0) {
        mcd_responder_close(r);
        return err;
    }
    mcd_announcer_init(&r->ann);
    mcd_announcer_kick(&r->ann, mcd_now_()); /* at start */
    *out = r;
    return 0;
}

void mcd_responder_close(mcd_responder *r)
{
    if (r == NULL)
        return;
    mcd_links_close_(&r->links);
    if (r->neigh_fd >= 0)
        close(r->neigh_fd);
    free(r);
}

/* --- running --------------------------------------------------------------- */

size_t mcd_responder_nfds(const mcd_responder *r)
{
    return r->links.socks->n + (r->links.nl_fd >= 0);
}

/* The first socket and netlink first: a caller with room for two gets
 * what it got before there could be more sockets. */
size_t mcd_responder_fds(const mcd_responder *r, int *fds, size_t cap)
{
    size_t n = 0;

    if (n < cap)
        fds[n++] = r->fd;
    if (n < cap && r->links.nl_fd >= 0)
        fds[n++] = r->links.nl_fd;
    for (size_t i = 1; i < r->links.socks->n && n < cap; i++)
        fds[n++] = r->links.socks->socks[i].fd;
    return n;
}

int mcd_responder_timeout(const mcd_responder *r)
{
    mcd_time next = mcd_rcore_next(&r->c->core);
    mcd_time ann = r->c->ann_on ? mcd_announcer_next(&r->ann) : MCD_TIME_NEVER;

    return mcd_timeout_ms(ann < next ? ann : next, mcd_now_());
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

/* Is `src` an address of a joined interface (*local), and how long is
 * the longest prefix of `ifindex` that holds it (*bits; 0: none)? The
 * core refuses both our own addresses and a prefix's anycast and
 * broadcast addresses as sources. */
static void source_role(const mcd_responder *r, const mcd_endpoint *from,
                        uint32_t ifindex, bool *local, uint8_t *bits)
{
    *local = mcd_links_own_(&r->links, &from->addr);
    *bits = mcd_links_prefix_len_(&r->links, &from->addr, ifindex);
    /* A client on this host (discover next to respond) sends from our
     * address too, from an ephemeral port, and its query loops back
     * through the kernel: that one is answered. A query "from" our
     * address and a fixed port came off the wire, forged to bounce our
     * reply onto a local service: refused. */
    if (*local && from->port >= r->eph_lo && from->port <= r->eph_hi)
        *local = false;
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
    size_t holder = mcd_links_holder_(&r->links, rx->ifindex);

    if (to_group && holder != SIZE_MAX && holder != s)
        return;
    if (live_own(r, data, rx->len))
        return; /* our own announcement, looped back: not a datagram to count */
    /* A group another program joined on another interface reaches this
     * socket where IPV6_MULTICAST_ALL is missing (Linux < 4.20). */
    mcd_rcore_rx in = {
        .data = data, .data_cap = RX_BUF, .len = rx->len,
        .src = &rx->from, .dst = rx->has_dst ? &rx->dst : NULL,
        .ifindex = rx->ifindex,
        .not_joined = to_group && holder == SIZE_MAX,
    };
    if (!in.not_joined) {
        mcd_links_prefixes_for_(&r->links, rx->ifindex);
        source_role(r, &rx->from, rx->ifindex, &in.src_is_local,
                    &in.src_prefix_len);
        in.src_on_link = mcd_links_on_link_(&r->links, &rx->from.addr,
                                            rx->ifindex);
        in.rnd = next_random(r);
    }
    why = mcd_rcore_input(&r->c->core, mcd_now_(), &in);
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
        if (mcd_links_on_link_(&r->links, &batch[i].to.addr,
                               batch[i].ifindex) &&
            !mcd_links_own_(&r->links, &batch[i].to.addr))
            why = mcd_gate_admit_(&r->gate, now, &batch[i].to.addr,
                                  batch[i].ifindex, st[i], crowded);
        if (why == MCD_IGNORE_NONE)
            batch[kept++] = batch[i];
        else
            mcd_rcore_done(&r->c->core, why);
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
            mcd_rcore_done(&r->c->core, MCD_IGNORE_SEND_FAILED);
            done++;
            continue;
        }
        for (int i = 0; i < sent; i++)
            mcd_rcore_done(&r->c->core, MCD_IGNORE_NONE);
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
        more = mcd_rcore_poll(&r->c->core, mcd_now_(), &tx);
        if (more) {
            /* A link-local querier is reachable only through its link. */
            if (tx.to.addr.family == MCD_AF_INET6 && tx.to.addr.scope_id == 0)
                tx.to.addr.scope_id = tx.ifindex;
            /* The bytes themselves (an extended reply is patched per
             * query): one buffer per message of the batch. */
            tx.len = mcd_rcore_tx_write(&tx, r->tx[n], sizeof r->tx[n]);
            tx.data = r->tx[n];
            tx.ext = false;
            tx.mac = NULL;
            if (tx.len > 0)
                batch[n++] = tx;
            else /* its MAC could not be made: not sent without it */
                mcd_rcore_done(&r->c->core, MCD_IGNORE_SEND_FAILED);
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

/* Read what waits on the socket, a batch per system call; bounded so a
 * flood cannot starve the replies that are due. */
static int process_socket(mcd_responder *r, size_t s)
{
    mcd_rx rx[MCD_SOCK_BATCH];
    int fd = r->links.socks->socks[s].fd;

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
    for (size_t i = 0; i < r->links.socks->n; i++)
        if (r->links.socks->socks[i].fd == fd)
            return i;
    return SIZE_MAX;
}

int mcd_responder_process(mcd_responder *r, int fd)
{
    size_t s = fd >= 0 ? sock_index(r, fd) : SIZE_MAX;
    int err = 0;

    if (fd >= 0 && fd == r->links.nl_fd) {
        mcd_links_process_(&r->links);
        /* An address or link changed: announce (rate-limited). */
        mcd_announcer_kick(&r->ann, mcd_now_());
    } else if (s != SIZE_MAX) {
        err = process_socket(r, s);
    }
    send_due(r);
    live_send_due(r);
    return err;
}

bool mcd_responder_id(const mcd_responder *r, uint8_t id[MCD_EXT_ID_LEN])
{
    return mcd_rcore_id(&r->c->core, id);
}

uint64_t mcd_responder_answered(const mcd_responder *r)
{
    return r->answered_before + mcd_rcore_answered(&r->c->core);
}

uint64_t mcd_responder_ignored(const mcd_responder *r, enum mcd_ignore why)
{
    uint64_t before = why > 0 && why < MCD_IGNORE_COUNT_
                          ? r->ignored_before[why] : 0;

    return before + mcd_rcore_ignored(&r->c->core, why);
}

static bool same_id(const mcd_rcore *a, const mcd_rcore *b)
{
    uint8_t ia[MCD_EXT_ID_LEN], ib[MCD_EXT_ID_LEN];

    return mcd_rcore_id(a, ia) && mcd_rcore_id(b, ib) &&
           memcmp(ia, ib, sizeof ia) == 0;
}

/* A new core for new texts and limits; the sockets and memberships stay.
 * The new configuration is made whole in the spare slot and taken only
 * then: a refused one leaves r answering and announcing as before. */
int mcd_responder_update(mcd_responder *r, const mcd_responder_config *cfg)
{
    rconf *next;
    mcd_addr group;
    int err;

    if (r == NULL || cfg == NULL)
        return MCD_E_INVAL;
    err = resolve_group(&cfg->opts, &group);
    if (err < 0)
        return err;
    if (!mcd_addr_equal(&group, &r->group) ||
        (cfg->opts.port ? cfg->opts.port : MCD_DEFAULT_PORT) != r->port)
        return MCD_E_INVAL;
    next = r->c == &r->conf[0] ? &r->conf[1] : &r->conf[0];
    err = build(next, &r->group, &cfg->opts);
    if (err < 0)
        return err;
    /* The device the watchers know by the old id is gone: say so (one
     * copy; a lost one expires there after its lifetime). The default id
     * follows the reply text, so a new name is a new id too. */
    if (r->c->ann_on && (!next->ann_on || !same_id(&r->c->core, &next->core)))
        live_send(r, r->c->bye_buf, r->c->bye_len);
    r->answered_before += mcd_rcore_answered(&r->c->core);
    for (int w = 1; w < MCD_IGNORE_COUNT_; w++)
        r->ignored_before[w] += mcd_rcore_ignored(&r->c->core,
                                                  (enum mcd_ignore)w);
    r->c = next;
    r->on_event = r->links.on_event = cfg->on_event;
    r->ctx = r->links.ctx = cfg->ctx;
    mcd_announcer_kick(&r->ann, mcd_now_()); /* what it says changed */
    return 0;
}

size_t mcd_responder_ifaces(const mcd_responder *r, uint32_t *idx, size_t cap)
{
    return mcd_links_ifaces_(&r->links, idx, cap);
}

/* --- the live view: announcements and goodbyes ------------------------------ */

/* The counter's offset in an announcement or goodbye: the query, its NUL,
 * then the header, whose last 8 bytes (a query's nonce) hold it. */
static size_t counter_at(const rconf *c)
{
    return c->qlen + 1 + MCD_EXT_HDR_LEN - MCD_EXT_NONCE_LEN;
}

/* Both datagrams made once per configuration, into c, which holds its
 * core already; the counter is patched in at each send
 * (docs/PROTOCOL.md, "Announcements and goodbyes"). */
static int live_setup(rconf *c, const mcd_responder_opts *o)
{
    mcd_ext_announce a;
    const uint8_t *nul;
    size_t rlen;
    int n;

    c->ann_on = false;
    memset(&c->mac, 0, sizeof c->mac);
    if (o->mac != NULL)
        c->mac = *o->mac;
    if (o->lifetime == 0 || !mcd_rcore_id(&c->core, a.id))
        return 0;
    /* The texts as set up: the template starts with the reply and a NUL. */
    c->qlen = strlen(o->query ? o->query : MCD_DEFAULT_QUERY);
    nul = memchr(c->ext_reply, 0, sizeof c->ext_reply);
    rlen = nul != NULL ? (size_t)(nul - c->ext_reply) : 0;
    a.kind = MCD_EXT_KIND_ANNOUNCE;
    a.counter = 0;
    a.lifetime = o->lifetime;
    n = mcd_ext_announce_encode(c->query, c->qlen, &a, c->ext_reply, rlen,
                                o->txt, o->ntxt, c->ann_buf,
                                sizeof c->ann_buf);
    if (n >= 0 && c->mac.fn != NULL) /* room for the MAC, made per send */
        n = mcd_ext_mac_append(&c->mac, c->ann_buf, (size_t)n,
                               sizeof c->ann_buf);
    if (n < 0)
        return n;
    c->ann_len = (size_t)n;
    a.kind = MCD_EXT_KIND_GOODBYE;
    n = mcd_ext_announce_encode(c->query, c->qlen, &a, c->ext_reply, rlen,
                                NULL, 0, c->bye_buf, sizeof c->bye_buf);
    if (n >= 0 && c->mac.fn != NULL)
        n = mcd_ext_mac_append(&c->mac, c->bye_buf, (size_t)n,
                               sizeof c->bye_buf);
    if (n < 0)
        return n;
    c->bye_len = (size_t)n;
    c->ann_on = true;
    return 0;
}

/* The counter: the realtime clock in microseconds, strictly increasing
 * even when the clock steps back. */
static uint64_t live_counter(mcd_responder *r)
{
    struct timespec ts;
    uint64_t now = 0;

    if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
        now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    r->counter = now > r->counter ? now : r->counter + 1;
    return r->counter;
}

/* One announcement or goodbye to the group, out of every joined link. */
static void live_send(mcd_responder *r, uint8_t *buf, size_t len)
{
    mcd_endpoint to = {.addr = r->group, .port = r->port};
    const rconf *c = r->c;
    size_t at = counter_at(c);
    uint64_t n = live_counter(r);

    for (size_t i = 0; i < 8; i++)
        buf[at + i] = (uint8_t)(n >> (56 - 8 * i));
    /* Keys: the MAC covers the counter, so it is made again each time. */
    if (c->mac.fn != NULL &&
        mcd_ext_mac_append(&c->mac, buf, len - MCD_MAC_TLV_LEN, len) < 0) {
        emit(r, MCD_EV_ERROR, "announce", 0, MCD_E_INVAL);
        return; /* never sent unsigned */
    }
    (void)mcd_links_send_each_(&r->links, r->fd, buf, len, &to, "announce");
}

static void live_send_due(mcd_responder *r)
{
    int kind;

    if (!r->c->ann_on)
        return;
    while ((kind = mcd_announcer_poll(&r->ann, mcd_now_(), NULL)) != 0) {
        if (kind == MCD_EXT_KIND_GOODBYE)
            live_send(r, r->c->bye_buf, r->c->bye_len);
        else
            live_send(r, r->c->ann_buf, r->c->ann_len);
    }
}

void mcd_responder_stop(mcd_responder *r)
{
    if (r == NULL)
        return;
    mcd_announcer_stop(&r->ann, mcd_now_());
    live_send_due(r);
}

bool mcd_responder_stopped(const mcd_responder *r)
{
    return r == NULL || !r->c->ann_on || mcd_announcer_done(&r->ann);
}

/* One of the datagrams we sent (its counter aside): the group loops our
 * announcements back to our own sockets, and another watcher or responder
 * on this host needs that loop. */
static bool same_but_counter(const rconf *c, const uint8_t *a,
                             const uint8_t *b, size_t len)
{
    size_t at = counter_at(c);
    size_t end = len - (c->mac.fn != NULL ? MCD_MAC_LEN : 0); /* its MAC */

    return memcmp(a, b, at) == 0 &&
           memcmp(a + at + 8, b + at + 8, end - at - 8) == 0;
}

static bool live_own(const mcd_responder *r, const uint8_t *data, size_t len)
{
    const rconf *c = r->c;

    if (!c->ann_on)
        return false;
    return (len == c->ann_len && same_but_counter(c, data, c->ann_buf, len)) ||
           (len == c->bye_len && same_but_counter(c, data, c->bye_buf, len));
}
