/*
 * query.c - mcd_query: the query core on POSIX sockets.
 *
 * One socket per interface, bound to an ephemeral port and never joined
 * to the group, so neither our own query (looped back) nor another
 * client's ever reaches it; replies are unicast to that port. The receive
 * buffer is sized for hundreds of replies landing at once.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RCVBUF_BYTES (4 * 1024 * 1024)

typedef struct qsock {
    int fd;
    mcd_iface ifc;
} qsock;

struct mcd_query {
    mcd_qcore core;
    mcd_endpoint dest;
    uint8_t query[MCD_QUERY_MAX];
    size_t nsock;
    qsock socks[MCD_MAX_IFACES];
    mcd_device *table;
    uint8_t rx[MCD_REPLY_MAX + 1];
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
    };
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
    if (err == 0) {
        int got = mcd_sock_rcvbuf_(s->fd, RCVBUF_BYTES);
        err = got < 0 ? got : 0;
    }
    return err;
}

static int open_sockets(mcd_query *q, const mcd_query_config *cfg,
                        size_t *bad_iface)
{
    mcd_iface ifs[MCD_MAX_IFACES];
    enum mcd_family f = q->dest.addr.family;
    int ttl = cfg->ttl > 0 ? cfg->ttl : MCD_DEFAULT_TTL;
    int n = mcd_iface_select(&q->dest.addr, cfg->ifaces, cfg->n_ifaces, ifs,
                             MCD_MAX_IFACES, bad_iface);

    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        qsock *s = &q->socks[q->nsock++];
        bool iface_fault;

        s->ifc = ifs[i];
        int err = open_one(s, f, ttl, &iface_fault);
        if (err < 0) {
            if (bad_iface != NULL && iface_fault)
                *bad_iface = ifs[i].spec;
            return err;
        }
    }
    return 0;
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
    mcd_time next = mcd_qcore_next(&q->core), now = mcd_now_();

    if (next <= now)
        return 0;
    mcd_time ms = (next - now + 999) / 1000;
    return ms > 60000 ? 60000 : (int)ms;
}

static int send_query(mcd_query *q)
{
    int sent = 0, last = 0;

    for (size_t i = 0; i < q->nsock; i++) {
        mcd_endpoint to = q->dest;

        /* Link- and interface-scoped IPv6 groups need the zone. */
        if (to.addr.family == MCD_AF_INET6)
            to.addr.scope_id = q->socks[i].ifc.index;
        last = mcd_sock_send_(q->socks[i].fd, q->query, q->core.cfg.query_len,
                              &to, 0);
        sent += last == 0;
    }
    /* One interface failing (link down) is not the end of the query. */
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
        if (err < 0 || rx.len > sizeof q->rx)
            continue; /* a read error, or longer than any reply */
        enum mcd_qresult res = mcd_qcore_input(
            &q->core, mcd_now_(), q->rx, rx.len, &rx.from,
            rx.has_dst && mcd_addr_is_multicast(&rx.dst), s->ifc.index, &dev);
        if (res == MCD_Q_NEW && fn != NULL)
            fn(ctx, dev);
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
    return q->core.n;
}

void mcd_query_close(mcd_query *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->nsock; i++)
        if (q->socks[i].fd >= 0)
            close(q->socks[i].fd);
    free(q->table);
    free(q);
}

int mcd_discover(const mcd_query_config *cfg, mcd_device_fn fn, void *ctx)
{
    struct pollfd pfd[MCD_MAX_IFACES];
    int fds[MCD_MAX_IFACES], err;
    mcd_query *q;
    size_t n;

    err = mcd_query_open(&q, cfg, NULL);
    if (err < 0)
        return err;
    n = mcd_query_fds(q, fds, MCD_MAX_IFACES);
    for (size_t i = 0; i < n; i++)
        pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    while (err == 0 && !mcd_query_done(q)) {
        err = mcd_query_process(q, fn, ctx);
        if (err == 0 && !mcd_query_done(q) &&
            poll(pfd, (nfds_t)n, mcd_query_timeout(q)) < 0 && errno != EINTR)
            err = -errno;
    }
    int found = (int)mcd_query_found(q);
    mcd_query_close(q);
    return err < 0 ? err : found;
}
