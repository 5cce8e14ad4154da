/*
 * responder.c - mcd_responder: the responder core on a POSIX socket.
 *
 * One socket bound to wildcard:port (shared with other programs through
 * SO_REUSEADDR, see sock.c), joined to the group on each interface by
 * index, IP_MULTICAST_ALL off. Each datagram goes to the core with its
 * destination and ingress interface from pktinfo; each reply leaves by the
 * interface its query came in on.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Large enough for any query the core can match plus room to see that a
 * datagram is longer; MSG_TRUNC reports the true length beyond it. */
#define RX_BUF 2048

struct mcd_responder {
    int fd;
    mcd_rcore core;
    mcd_addr group;
    uint8_t query[MCD_QUERY_MAX];
    uint8_t reply[MCD_REPLY_MAX];
    mcd_event_fn on_event;
    void *ctx;
    uint32_t joined[MCD_MAX_IFACES]; /* interfaces holding the membership */
    size_t njoined;
    uint8_t rx[RX_BUF];
};

static void emit_error(const mcd_responder *r, const char *what, int err)
{
    mcd_event ev = {.kind = MCD_EV_ERROR, .err = err, .what = what};

    if (r->on_event != NULL)
        r->on_event(r->ctx, &ev);
}

static void emit_join_error(const mcd_responder *r, const mcd_iface *ifc,
                            int err)
{
    mcd_event ev = {.kind = MCD_EV_JOIN_ERROR, .err = err,
                    .what = ifc->name, .ifindex = ifc->index};

    if (r->on_event != NULL)
        r->on_event(r->ctx, &ev);
}

/* Build the core's configuration from the user's, applying defaults. */
static int configure(mcd_responder *r, const mcd_responder_config *cfg)
{
    const char *q = cfg->query ? cfg->query : MCD_DEFAULT_QUERY;
    size_t qlen = strlen(q);
    int rlen, err;

    err = mcd_addr_resolve(cfg->group ? cfg->group : MCD_DEFAULT_GROUP,
                           &r->group);
    if (err < 0)
        return err;
    if (!mcd_addr_is_multicast(&r->group))
        return MCD_E_NOTMCAST;
    err = mcd_query_check((const uint8_t *)q, qlen);
    if (err < 0)
        return err;
    memcpy(r->query, q, qlen);
    rlen = mcd_reply_format(cfg->name ? cfg->name : MCD_DEFAULT_NAME,
                            cfg->proto ? cfg->proto : MCD_DEFAULT_PROTO,
                            cfg->service_port ? cfg->service_port
                                              : MCD_DEFAULT_SERVICE_PORT,
                            r->reply, sizeof r->reply);
    if (rlen < 0)
        return rlen;
    mcd_rcore_config rc = {
        .query = r->query, .query_len = qlen,
        .reply = r->reply, .reply_len = (size_t)rlen,
        .group = r->group, .allow_unicast = cfg->allow_unicast,
        .allow_amplification = cfg->allow_amplification,
    };
    rc.group.scope_id = 0;
    return mcd_rcore_init(&r->core, &rc);
}

/* Join on each interface. When the user named the interfaces, any failure
 * is theirs to fix; when we chose them, an interface that cannot join
 * (ENOBUFS past igmp_max_memberships, a link going away) is reported and
 * skipped, and only none joined at all is an error. */
static int join_all(mcd_responder *r, const mcd_iface *ifs, int n, bool given,
                    size_t *bad_iface)
{
    int joined = 0, err = 0;

    for (int i = 0; i < n; i++) {
        err = mcd_sock_join_(r->fd, &r->group, ifs[i].index);
        if (err == 0) {
            r->joined[r->njoined++] = ifs[i].index;
            joined++;
            continue;
        }
        if (given) {
            if (bad_iface != NULL)
                *bad_iface = ifs[i].spec;
            return err;
        }
        emit_join_error(r, &ifs[i], err);
    }
    return joined > 0 ? 0 : err;
}

static int open_socket(mcd_responder *r, const mcd_responder_config *cfg,
                       size_t *bad_iface)
{
    mcd_iface ifs[MCD_MAX_IFACES];
    enum mcd_family f = r->group.family;
    int n, err;

    n = mcd_iface_select(&r->group, cfg->ifaces, cfg->n_ifaces, ifs,
                         MCD_MAX_IFACES, bad_iface);
    if (n < 0)
        return n;
    r->fd = mcd_sock_udp_(f);
    if (r->fd < 0)
        return r->fd;
    err = mcd_sock_reuse_(r->fd);
    if (err == 0)
        err = mcd_sock_mcast_all_off_(r->fd, f);
    if (err == 0)
        err = mcd_sock_bind_any_(r->fd, f, cfg->port ? cfg->port
                                                     : MCD_DEFAULT_PORT);
    if (err == 0)
        err = join_all(r, ifs, n, cfg->n_ifaces > 0, bad_iface);
    return err;
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
    r->fd = -1;
    r->on_event = cfg->on_event;
    r->ctx = cfg->ctx;
    err = configure(r, cfg);
    if (err == 0)
        err = open_socket(r, cfg, bad_iface);
    if (err < 0) {
        mcd_responder_close(r);
        return err;
    }
    *out = r;
    return 0;
}

int mcd_responder_fd(const mcd_responder *r)
{
    return r->fd;
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

static bool joined_on(const mcd_responder *r, uint32_t ifindex)
{
    for (size_t i = 0; i < r->njoined; i++)
        if (r->joined[i] == ifindex)
            return true;
    return false;
}

static void handle(mcd_responder *r, const mcd_rx *rx)
{
    enum mcd_ignore why;

    /* A group another program joined on another interface reaches this
     * socket where IPV6_MULTICAST_ALL is missing (Linux < 4.20). */
    if (rx->has_dst && mcd_addr_is_multicast(&rx->dst) && rx->ifindex != 0 &&
        !joined_on(r, rx->ifindex)) {
        why = MCD_IGNORE_NOT_GROUP;
        r->core.ignored[why]++;
    } else {
        why = mcd_rcore_input(&r->core, mcd_now_(), r->rx, sizeof r->rx,
                              rx->len, &rx->from,
                              rx->has_dst ? &rx->dst : NULL, rx->ifindex,
                              mcd_random_());
    }
    mcd_event ev = {.kind = MCD_EV_DATAGRAM, .from = &rx->from,
                    .dst = rx->has_dst ? &rx->dst : NULL,
                    .ifindex = rx->ifindex, .len = rx->len, .why = why};

    if (r->on_event != NULL)
        r->on_event(r->ctx, &ev);
}

static void send_due(mcd_responder *r)
{
    mcd_rcore_tx tx;

    while (mcd_rcore_poll(&r->core, mcd_now_(), &tx)) {
        /* A link-local querier is reachable only through its link. */
        if (tx.to.addr.family == MCD_AF_INET6 && tx.to.addr.scope_id == 0)
            tx.to.addr.scope_id = tx.ifindex;
        int err = mcd_sock_send_(r->fd, tx.data, tx.len, &tx.to, tx.ifindex);

        if (err < 0)
            emit_error(r, "sendmsg", err);
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

int mcd_responder_process(mcd_responder *r)
{
    /* Bounded so a flood cannot starve the replies that are due. */
    for (int i = 0; i < 256; i++) {
        mcd_rx rx;
        int err = mcd_sock_recv_(r->fd, r->rx, sizeof r->rx, &rx);

        if (err == -EAGAIN)
            break;
        if (err < 0) {
            emit_error(r, "recvmsg", err);
            if (!transient(err))
                return err;
            continue;
        }
        handle(r, &rx);
        send_due(r);
    }
    send_due(r);
    return 0;
}

uint64_t mcd_responder_answered(const mcd_responder *r)
{
    return r->core.answered;
}

uint64_t mcd_responder_ignored(const mcd_responder *r, enum mcd_ignore why)
{
    return (unsigned)why < MCD_IGNORE_COUNT_ ? r->core.ignored[why] : 0;
}

void mcd_responder_close(mcd_responder *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}
