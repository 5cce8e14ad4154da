/*
 * responder_lwip.c - the responder core on lwIP's socket API.
 *
 * The chapter's socket sequence, corrected: bind 0.0.0.0:port with
 * SO_REUSEADDR, IP_ADD_MEMBERSHIP with the station's address as the
 * interface, every datagram compared by length and bytes by the core,
 * replies by unicast to the source, rate-limited and from the link only.
 */
#include "core_private.h"
#include "mcdisc_lwip.h"

#include <string.h>

#include "lwip/def.h"
#include "lwip/sockets.h"

static int sock_err(void)
{
    return errno > 0 ? -errno : MCD_E_INVAL;
}

static int configure(mcd_lwip_responder *r, const mcd_lwip_config *cfg)
{
    size_t qlen, rlen;
    mcd_addr g;
    int err;

    if (cfg->source_specific || cfg->reuse_port)
        return MCD_E_UNSUPPORTED;
    if (cfg->now == NULL || cfg->random == NULL)
        return MCD_E_INVAL;
    err = mcd_addr_parse(cfg->group ? cfg->group : MCD_DEFAULT_GROUP, &g);
    if (err < 0)
        return err;
    if (g.family != MCD_AF_INET4)
        return MCD_E_UNSUPPORTED; /* this port is IPv4 only, as the chapter */
    err = mcd_responder_texts(cfg->query, cfg->name, cfg->proto,
                              cfg->service_port, r->query, &qlen, r->reply,
                              &rlen);
    if (err < 0)
        return err;
    memcpy(&r->group_addr, g.b, 4);
    mcd_rcore_config rc = {
        .query = r->query, .query_len = qlen,
        .reply = r->reply, .reply_len = rlen, .group = g,
        .delay_min_ms = cfg->delay_min_ms, .delay_max_ms = cfg->delay_max_ms,
        .querier_interval_ms = cfg->querier_interval_ms,
        .rate_per_s = cfg->rate_per_s, .rate_burst = cfg->rate_burst,
    };
    return mcd_rcore_init(&r->core, &rc, cfg->now());
}

static int open_socket(mcd_lwip_responder *r)
{
    struct sockaddr_in any;
    struct ip_mreq mreq;
    int one = 1, flags;

    r->fd = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    if (r->fd < 0)
        return sock_err();
    if (lwip_setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return sock_err();
    memset(&any, 0, sizeof any);
    any.sin_family = AF_INET;
    any.sin_port = lwip_htons(r->cfg.port ? r->cfg.port : MCD_DEFAULT_PORT);
    any.sin_addr.s_addr = lwip_htonl(INADDR_ANY);
    if (lwip_bind(r->fd, (struct sockaddr *)&any, sizeof any) < 0)
        return sock_err();
    /* lwIP joins by interface address (no RFC 3678 index joins). */
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_multiaddr.s_addr = r->group_addr;
    mreq.imr_interface.s_addr = r->cfg.if_addr;
    if (lwip_setsockopt(r->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
                        sizeof mreq) < 0)
        return sock_err();
    flags = lwip_fcntl(r->fd, F_GETFL, 0);
    if (flags < 0 || lwip_fcntl(r->fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return sock_err();
    return 0;
}

int mcd_lwip_responder_open(mcd_lwip_responder *r, const mcd_lwip_config *cfg)
{
    int err;

    if (r == NULL || cfg == NULL)
        return MCD_E_INVAL;
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->cfg = *cfg;
    err = configure(r, cfg);
    if (err == 0)
        err = open_socket(r);
    if (err < 0)
        mcd_lwip_responder_close(r);
    return err;
}

int mcd_lwip_responder_fd(const mcd_lwip_responder *r)
{
    return r->fd;
}

int mcd_lwip_responder_timeout(const mcd_lwip_responder *r)
{
    mcd_time next = mcd_rcore_next(&r->core), now = r->cfg.now();

    if (next == MCD_TIME_NEVER)
        return -1;
    return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

static void to_endpoint(const struct sockaddr_in *sin, mcd_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    ep->addr.family = MCD_AF_INET4;
    memcpy(ep->addr.b, &sin->sin_addr.s_addr, 4);
    ep->port = lwip_ntohs(sin->sin_port);
}

static void handle(mcd_lwip_responder *r, const struct sockaddr_in *from,
                   size_t len)
{
    mcd_endpoint src;
    uint32_t mask = r->cfg.if_netmask;

    to_endpoint(from, &src);
    mcd_rcore_rx rx = {
        .data = r->rx, .data_cap = sizeof r->rx, .len = len, .src = &src,
        .dst = NULL, /* no IP_PKTINFO in lwIP without RECVINFO */
        .ifindex = 0,
        .src_on_link = (from->sin_addr.s_addr & mask) ==
                       (r->cfg.if_addr & mask),
        .src_is_local = from->sin_addr.s_addr == r->cfg.if_addr,
        .src_prefix_len = (uint8_t)__builtin_popcount(mask),
        .rnd = r->cfg.random(),
    };
    (void)mcd_rcore_input(&r->core, r->cfg.now(), &rx);
}

static void send_due(mcd_lwip_responder *r)
{
    mcd_rcore_tx tx;

    while (mcd_rcore_poll(&r->core, r->cfg.now(), &tx)) {
        struct sockaddr_in to;

        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = lwip_htons(tx.to.port);
        memcpy(&to.sin_addr.s_addr, tx.to.addr.b, 4);
        /* A failed send (no ARP entry yet, no buffer) is a lost reply:
         * counted; the client resends its query. */
        if (lwip_sendto(r->fd, tx.data, tx.len, 0, (struct sockaddr *)&to,
                        sizeof to) < 0) {
            mcd_rcore_done(&r->core, MCD_IGNORE_SEND_FAILED);
        } else {
            mcd_rcore_done(&r->core, MCD_IGNORE_NONE);
        }
    }
}

int mcd_lwip_responder_process(mcd_lwip_responder *r)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_in from;
        struct iovec iov = {r->rx, sizeof r->rx};
        struct msghdr msg;
        ssize_t n;

        memset(&msg, 0, sizeof msg);
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        n = lwip_recvmsg(r->fd, &msg, 0);
        if (n < 0)
            break; /* EWOULDBLOCK: nothing more */
        /* lwIP cuts a longer datagram to the buffer and says so: make the
         * length larger than the buffer so the core calls it oversize. */
        size_t len = (msg.msg_flags & MSG_TRUNC) ? sizeof r->rx + 1 : (size_t)n;
        handle(r, &from, len);
        send_due(r);
    }
    send_due(r);
    return 0;
}

uint64_t mcd_lwip_responder_answered(const mcd_lwip_responder *r)
{
    return mcd_rcore_answered(&r->core);
}

uint64_t mcd_lwip_responder_ignored(const mcd_lwip_responder *r,
                                    enum mcd_ignore why)
{
    return mcd_rcore_ignored(&r->core, why);
}

void mcd_lwip_responder_close(mcd_lwip_responder *r)
{
    if (r->fd >= 0)
        lwip_close(r->fd);
    r->fd = -1;
}
