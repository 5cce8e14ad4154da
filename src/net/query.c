/*
 * query.c - mcd_query: the query core on POSIX sockets.
 *
 * One socket per interface, bound to an ephemeral port and never joined
 * to the group, so neither our own query (looped back) nor another
 * client's ever reaches it; replies are unicast to that port. The receive
 * buffer is sized for hundreds of replies landing at once.
 * Without --iface every usable interface gets a socket, however many
 * there are (the tables grow with the host, not with MCD_MAX_IFACES).
 * Whether a reply's source is on the link comes from the host's own
 * addresses (getifaddrs), refreshed when a source is not found in them.
 * A send that fails because a link is down or being re-created is a lost
 * copy, not the end of the query: the next copy tries again.
 * Each send time is the core's datagrams (the extended copy, the plain
 * one) on every interface; the run's nonce comes from getrandom.
 */
#define _GNU_SOURCE
#include "links.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct qsock {
    int fd;
    mcd_iface ifc;
} qsock;

struct mcd_query {
    mcd_qcore core;
    mcd_endpoint dest;
    uint8_t query[MCD_QUERY_MAX];
    size_t query_len;
    size_t nsock;
    qsock *socks;
    mcd_onlink_ onlink; /* which sources are on the link */
    int ttl;
    size_t skipped;          /* interfaces that could not be used */
    char skipped_first[32];  /* the first of them */
    int skipped_err;
    uint32_t copies_unsent;
    uint64_t send_errors;
    int last_send_error;
    mcd_device *table;
    mcd_device_fn on_update;
    uint8_t tx[MCD_EXT_MAX];
    uint8_t rx[MCD_EXT_MAX + 1];
};

static int configure(mcd_query *q, const mcd_query_config *cfg)
{
    const char *text = cfg->query ? cfg->query : MCD_DEFAULT_QUERY;
    size_t len = strlen(text);
    size_t cap = cfg->max_devices ? cfg->max_devices : 4096;
    int err;

    err = mcd_addr_resolve(cfg->group ? cfg->group : MCD_DEFAULT_GROUP,
                           &q->dest.addr);
    if (err < 0)
        return err;
    if (!mcd_addr_is_multicast(&q->dest.addr))
        return MCD_E_NOTMCAST;
    q->dest.port = cfg->port ? cfg->port : MCD_DEFAULT_PORT;
    err = mcd_query_check((const uint8_t *)text, len);
    if (err < 0)
        return err;
    memcpy(q->query, text, len);
    q->query_len = len;
    q->table = calloc(cap, sizeof *q->table);
    if (q->table == NULL)
        return -ENOMEM;
    mcd_qcore_config qc = {
        .query = q->query, .query_len = len,
        .timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 2000,
        .sends = cfg->sends,
        .interval_ms = cfg->interval_ms ? cfg->interval_ms : 100,
        .max_interval_ms = cfg->max_interval_ms ? cfg->max_interval_ms : 100,
        .count = cfg->count,
        /* With TTL 1 the query never left the link (docs/PROTOCOL.md). */
        .allow_offlink = cfg->ttl > 1,
        .per_source = cfg->per_source ? cfg->per_source
                                      : MCD_DEFAULT_PER_SOURCE,
        .chapter_only = cfg->chapter_only,
        .window_ms = cfg->window_ms,
        .require_auth = cfg->require_auth,
    };
    if (!qc.chapter_only && (err = mcd_nonce_(qc.nonce)) < 0)
        return err;
    if (cfg->mac != NULL)
        qc.mac = *cfg->mac;
    return mcd_qcore_init(&q->core, &qc, q->table, cap, mcd_now_());
}

/* One socket per interface. *iface_fault tells a failure of the
 * interface itself (setting it as the multicast interface) from one of
 * the machine (out of descriptors, memory). */
static int open_one(qsock *s, enum mcd_family f, int ttl, bool *iface_fault)
{
    int err;

    *iface_fault = false;
    s->fd = mcd_sock_udp_(f);
    if (s->fd < 0)
        return s->fd;
    err = mcd_sock_mcast_all_off_(s->fd, f);
    if (err == 0) {
        err = mcd_sock_mcast_out_(s->fd, f, s->ifc.index, ttl, true);
        *iface_fault = err < 0;
    }
    if (err == 0)
        err = mcd_sock_bind_any_(s->fd, f, 0);
    if (err == 0)
        err = mcd_sock_replies_rcvbuf_(s->fd);
    return err;
}

/* Room for every interface the host has now (and the named ones). */
static size_t iface_room(const mcd_query_config *cfg)
{
    struct if_nameindex *ni = if_nameindex();
    size_t n = 0;

    if (ni != NULL) {
        while (ni[n].if_index != 0)
            n++;
        if_freenameindex(ni);
    }
    /* A few spare for links that appear between this count and the
     * selection; at least the named ones. */
    n += 8;
    return n > cfg->n_ifaces ? n : cfg->n_ifaces;
}

/* An interface nobody named that cannot be used (it went away meanwhile,
 * or the process ran out of descriptors on a host with very many links)
 * is skipped, and said once, rather than failing the query. */
static bool skippable(int err, bool iface_fault)
{
    return iface_fault || err == -EMFILE || err == -ENFILE;
}

static void skip(mcd_query *q, qsock *s, int err)
{
    if (s->fd >= 0)
        close(s->fd);
    if (q->skipped++ == 0) {
        memcpy(q->skipped_first, s->ifc.name, sizeof q->skipped_first);
        q->skipped_err = err;
    }
    q->nsock--;
}

static int open_sockets(mcd_query *q, const mcd_query_config *cfg,
                        size_t *bad_iface)
{
    enum mcd_family f = q->dest.addr.family;
    size_t room = iface_room(cfg);
    mcd_iface *ifs = calloc(room, sizeof *ifs);
    int n, last = 0;

    q->ttl = cfg->ttl > 0 ? cfg->ttl : MCD_DEFAULT_TTL;
    q->socks = calloc(room, sizeof *q->socks);
    if (ifs == NULL || q->socks == NULL) {
        free(ifs);
        return -ENOMEM;
    }
    n = mcd_iface_select(&q->dest.addr, cfg->ifaces, cfg->n_ifaces, ifs,
                         room, bad_iface);
    for (int i = 0; i < n; i++) {
        qsock *s = &q->socks[q->nsock++];
        bool iface_fault;

        s->ifc = ifs[i];
        int err = open_one(s, f, q->ttl, &iface_fault);
        if (err < 0 && cfg->n_ifaces == 0 && skippable(err, iface_fault)) {
            skip(q, s, err);
            last = err;
        } else if (err < 0) {
            if (bad_iface != NULL && iface_fault)
                *bad_iface = ifs[i].spec;
            n = err;
        }
    }
    free(ifs);
    if (n > 0 && q->nsock == 0)
        n = last; /* every one was skipped */
    return n < 0 ? n : 0;
}

int mcd_query_open(mcd_query **out, const mcd_query_config *cfg,
                   size_t *bad_iface)
{
    mcd_query *q;
    int err;

    if (bad_iface != NULL)
        *bad_iface = SIZE_MAX;
    if (out == NULL || cfg == NULL || cfg->ttl < 0 || cfg->ttl > 255)
        return MCD_E_INVAL;
    q = calloc(1, sizeof *q);
    if (q == NULL)
        return -ENOMEM;
    err = configure(q, cfg);
    if (err == 0)
        err = open_sockets(q, cfg, bad_iface);
    if (err < 0) {
        mcd_query_close(q);
        return err;
    }
    *out = q;
    return 0;
}

size_t mcd_query_fds(const mcd_query *q, int *fds, size_t cap)
{
    size_t n = 0;

    for (; n < q->nsock && n < cap; n++)
        fds[n] = q->socks[n].fd;
    return n;
}

int mcd_query_timeout(const mcd_query *q)
{
    return mcd_timeout_ms(mcd_qcore_next(&q->core), mcd_now_());
}

/* --- sending and receiving ------------------------------------------------ */

/* Errors of a link that is down, going, or being re-created, or of a
 * moment's shortage: the copy is lost, the next one may get through. */
static bool transient(int err)
{
    switch (-err) {
    case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN: case ENOBUFS:
    case ENOMEM: case EADDRNOTAVAIL: case ENODEV: case ENXIO: case EAGAIN:
    case EPERM: case EACCES: case EHOSTDOWN: case ENOLINK:
        return true;
    default:
        return false;
    }
}

/* A link deleted and re-created under the same name (a USB adapter, a
 * VPN, a veth) comes back with a new index: follow it, so that the next
 * copy goes out on it. */
static void follow_link(const mcd_query *q, qsock *s)
{
    unsigned idx = if_nametoindex(s->ifc.name);

    if (idx == 0 || idx == s->ifc.index)
        return;
    if (mcd_sock_mcast_out_(s->fd, (enum mcd_family)q->dest.addr.family, idx,
                            q->ttl, true) == 0)
        s->ifc.index = idx;
}

/* Datagram `len` bytes of q->tx on every interface: how many took it. */
static int send_all(mcd_query *q, size_t len, int *last)
{
    int sent = 0;

    for (size_t i = 0; i < q->nsock; i++) {
        mcd_endpoint to = q->dest;

        /* Link- and interface-scoped IPv6 groups need the zone. */
        if (to.addr.family == MCD_AF_INET6)
            to.addr.scope_id = q->socks[i].ifc.index;
        int err = mcd_sock_send_(q->socks[i].fd, q->tx, len, &to, 0);
        if (err == 0) {
            sent++;
            continue;
        }
        q->send_errors++;
        q->last_send_error = err;
        if (!transient(err))
            *last = err;
        else
            follow_link(q, &q->socks[i]);
    }
    return sent;
}

static int send_query(mcd_query *q)
{
    int sent = 0, last = 0, len;

    for (unsigned i = 0;
         (len = mcd_qcore_datagram(&q->core, i, q->tx, sizeof q->tx)) > 0; i++)
        sent += send_all(q, (size_t)len, &last);
    if (len < 0)
        return len;
    /* One interface failing (link down) is not the end of the query, nor
     * is every one failing for a moment (a link flapping). */
    if (sent == 0)
        q->copies_unsent++;
    return sent > 0 ? 0 : last;
}

static void drain(mcd_query *q, qsock *s, mcd_device_fn fn, void *ctx)
{
    /* Bounded: the caller polls again when more is waiting. */
    for (int i = 0; i < 1024 && !mcd_qcore_done(&q->core, mcd_now_()); i++) {
        const mcd_device *dev = NULL;
        mcd_rx rx;
        int err = mcd_sock_recv_(s->fd, q->rx, sizeof q->rx, &rx);

        if (err == -EAGAIN)
            break;
        if (err < 0 || rx.len > MCD_EXT_MAX)
            continue; /* a read error, or longer than any reply */
        mcd_qcore_rx in = {
            .data = q->rx, .len = rx.len, .from = &rx.from,
            .dst_is_group = rx.has_dst && mcd_addr_is_multicast(&rx.dst),
            .ifindex = s->ifc.index,
        };
        in.src_on_link = mcd_onlink_check_(
            &q->onlink, &rx.from.addr, rx.ifindex ? rx.ifindex : s->ifc.index,
            &in.src_broadcast);
        enum mcd_qresult res = mcd_qcore_input(&q->core, mcd_now_(), &in, &dev);
        if (res == MCD_Q_NEW && fn != NULL)
            fn(ctx, dev);
        else if (res == MCD_Q_UPDATE && q->on_update != NULL)
            q->on_update(ctx, dev);
    }
}

int mcd_query_process(mcd_query *q, mcd_device_fn fn, void *ctx)
{
    int err = 0;

    if (mcd_qcore_send_due(&q->core, mcd_now_()))
        err = send_query(q);
    for (size_t i = 0; i < q->nsock && !mcd_query_done(q); i++)
        drain(q, &q->socks[i], fn, ctx);
    return err;
}

void mcd_query_on_update(mcd_query *q, mcd_device_fn fn)
{
    q->on_update = fn;
}

const mcd_device *mcd_query_device(const mcd_query *q, size_t i)
{
    return i < mcd_query_found(q) ? &q->table[i] : NULL;
}

bool mcd_query_done(const mcd_query *q)
{
    return mcd_qcore_done(&q->core, mcd_now_());
}

const char *mcd_query_ifname(const mcd_query *q, uint32_t ifindex)
{
    for (size_t i = 0; i < q->nsock; i++)
        if (q->socks[i].ifc.index == ifindex)
            return q->socks[i].ifc.name;
    return "?";
}

size_t mcd_query_found(const mcd_query *q)
{
    mcd_qcore_stats cs;

    mcd_qcore_stats_get(&q->core, &cs);
    return cs.found;
}

size_t mcd_query_nfds(const mcd_query *q)
{
    return q->nsock;
}

void mcd_query_get_stats(const mcd_query *q, mcd_query_stats *st)
{
    mcd_qcore_stats cs;

    mcd_qcore_stats_get(&q->core, &cs);
    *st = (mcd_query_stats){
        .found = cs.found,
        .full = cs.full,
        .capped = cs.capped,
        .bad_source = cs.bad_source,
        .off_link = cs.off_link,
        .bad_nonce = cs.bad_nonce,
        .bad_mac = cs.bad_mac,
        .unverified = cs.unverified,
        .other = cs.dropped - cs.bad_source - cs.off_link - cs.bad_nonce -
                 cs.unverified,
        .received = cs.received,
        .copies = cs.sent,
        .copies_unsent = q->copies_unsent,
        .send_errors = q->send_errors,
        .last_send_error = q->last_send_error,
        .ifaces = q->nsock,
        .ifaces_skipped = q->skipped,
        .skipped_err = q->skipped_err,
    };
    memcpy(st->skipped_first, q->skipped_first, sizeof st->skipped_first);
}

void mcd_query_close(mcd_query *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->nsock; i++)
        if (q->socks[i].fd >= 0)
            close(q->socks[i].fd);
    free(q->socks);
    mcd_onlink_free_(&q->onlink);
    free(q->table);
    free(q);
}

int mcd_discover(const mcd_query_config *cfg, mcd_device_fn fn, void *ctx)
{
    struct pollfd *pfd;
    mcd_query *q;
    size_t n;
    int err;

    err = mcd_query_open(&q, cfg, NULL);
    if (err < 0)
        return err;
    n = q->nsock;
    pfd = calloc(n, sizeof *pfd);
    if (pfd == NULL)
        err = -ENOMEM;
    for (size_t i = 0; pfd != NULL && i < n; i++)
        pfd[i] = (struct pollfd){.fd = q->socks[i].fd, .events = POLLIN};
    while (err == 0 && !mcd_query_done(q)) {
        err = mcd_query_process(q, fn, ctx);
        if (err == 0 && !mcd_query_done(q) &&
            poll(pfd, (nfds_t)n, mcd_query_timeout(q)) < 0 && errno != EINTR)
            err = -errno;
    }
    mcd_query_stats st;
    mcd_query_get_stats(q, &st);
    int found = (int)st.found;
    /* Devices were left out: the count alone would hide it. */
    if (err == 0 && st.full > 0)
        err = MCD_E_FULL;
    free(pfd);
    mcd_query_close(q);
    return err < 0 ? err : found;
}
