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

/* What lwIP cannot do, the group (IPv4, no zones: no OS to name them),
 * then the core as every socket layer sets it up. */
static int configure(mcd_lwip_responder *r, const mcd_lwip_config *cfg)
{
    const char *group = cfg->opts.group;
    mcd_addr g;
    int err;

    if (cfg->source_specific || cfg->reuse_port)
        return MCD_E_UNSUPPORTED;
    if (cfg->now == NULL || cfg->random == NULL)
        return MCD_E_INVAL;
    err = mcd_addr_parse(group ? group : MCD_DEFAULT_GROUP, &g);
    if (err < 0)
        return err;
    if (g.family != MCD_AF_INET4)
        return MCD_E_UNSUPPORTED; /* this port is IPv4 only, as the chapter */
    memcpy(&r->priv_.group_addr, g.b, 4);
    return mcd_responder_setup_ext(&r->priv_.core, &cfg->opts, &g,
                                   r->priv_.query, r->priv_.reply,
                                   r->priv_.ext_reply,
                                   sizeof r->priv_.ext_reply,
                                   cfg->has_id ? cfg->id : NULL, cfg->now());
}

static int open_socket(mcd_lwip_responder *r)
{
    struct sockaddr_in any;
    struct ip_mreq mreq;
    uint16_t port = r->priv_.cfg.opts.port;
    int one = 1, flags;

    r->priv_.fd = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    if (r->priv_.fd < 0)
        return sock_err();
    if (lwip_setsockopt(r->priv_.fd, SOL_SOCKET, SO_REUSEADDR, &one,
                        sizeof one) < 0)
        return sock_err();
    memset(&any, 0, sizeof any);
    any.sin_family = AF_INET;
    any.sin_port = lwip_htons(port ? port : MCD_DEFAULT_PORT);
    any.sin_addr.s_addr = lwip_htonl(INADDR_ANY);
    if (lwip_bind(r->priv_.fd, (struct sockaddr *)&any, sizeof any) < 0)
        return sock_err();
    /* lwIP joins by interface address (no RFC 3678 index joins). */
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_multiaddr.s_addr = r->priv_.group_addr;
    mreq.imr_interface.s_addr = r->priv_.cfg.if_addr;
    if (lwip_setsockopt(r->priv_.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
                        sizeof mreq) < 0)
        return sock_err();
    flags = lwip_fcntl(r->priv_.fd, F_GETFL, 0);
    if (flags < 0 || lwip_fcntl(r->priv_.fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return sock_err();
    return 0;
}

int mcd_lwip_responder_open(mcd_lwip_responder *r, const mcd_lwip_config *cfg)
{
    int err;

    if (r == NULL || cfg == NULL)
        return MCD_E_INVAL;
    memset(r, 0, sizeof *r);
    r->priv_.fd = -1;
    r->priv_.cfg = *cfg;
    err = configure(r, cfg);
    if (err == 0)
        err = open_socket(r);
    if (err < 0)
        mcd_lwip_responder_close(r);
    return err;
}

int mcd_lwip_responder_fd(const mcd_lwip_responder *r)
{
    return r->priv_.fd;
}

int mcd_lwip_responder_timeout(const mcd_lwip_responder *r)
{
    return mcd_timeout_ms(mcd_rcore_next(&r->priv_.core), r->priv_.cfg.now());
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
    uint32_t mask = r->priv_.cfg.if_netmask;

    to_endpoint(from, &src);
    mcd_rcore_rx rx = {
        .data = r->priv_.rx, .data_cap = sizeof r->priv_.rx, .len = len,
        .src = &src,
        .dst = NULL, /* no IP_PKTINFO in lwIP without RECVINFO */
        .ifindex = 0,
        .src_on_link = (from->sin_addr.s_addr & mask) ==
                       (r->priv_.cfg.if_addr & mask),
        .src_is_local = from->sin_addr.s_addr == r->priv_.cfg.if_addr,
        .src_prefix_len = (uint8_t)__builtin_popcount(mask),
        .rnd = r->priv_.cfg.random(),
    };
    (void)mcd_rcore_input(&r->priv_.core, r->priv_.cfg.now(), &rx);
}

static void send_due(mcd_lwip_responder *r)
{
    mcd_rcore_tx tx;

    while (mcd_rcore_poll(&r->priv_.core, r->priv_.cfg.now(), &tx)) {
        struct sockaddr_in to;

        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = lwip_htons(tx.to.port);
        memcpy(&to.sin_addr.s_addr, tx.to.addr.b, 4);
        /* The query read into rx is done with: the reply's bytes go
         * there (no heap, no second buffer). A failed send (no ARP entry
         * yet, no buffer) is a lost reply: counted; the client resends
         * its query. */
        size_t n = mcd_rcore_tx_write(&tx, r->priv_.rx, sizeof r->priv_.rx);
        ssize_t sent = lwip_sendto(r->priv_.fd, r->priv_.rx, n, 0,
                                   (struct sockaddr *)&to, sizeof to);

        mcd_rcore_done(&r->priv_.core, sent < 0 ? MCD_IGNORE_SEND_FAILED
                                                : MCD_IGNORE_NONE);
    }
}

/* Errors of a moment (no pbuf, a signal): the socket is fine. */
static bool passing(int err)
{
    return err == EINTR || err == ENOBUFS || err == ENOMEM;
}

int mcd_lwip_responder_process(mcd_lwip_responder *r)
{
    int err = 0;

    for (int i = 0; i < 64 && err == 0; i++) {
        struct sockaddr_in from;
        struct iovec iov = {r->priv_.rx, sizeof r->priv_.rx};
        struct msghdr msg;
        ssize_t n;

        memset(&msg, 0, sizeof msg);
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        n = lwip_recvmsg(r->priv_.fd, &msg, 0);
        if (n < 0 && (errno == EWOULDBLOCK || errno == EAGAIN))
            break; /* nothing more */
        if (n < 0) {
            if (!passing(errno))
                err = sock_err(); /* the socket failed: the caller's */
            continue;
        }
        /* lwIP cuts a longer datagram to the buffer and says so: make the
         * length larger than the buffer so the core calls it oversize. */
        size_t len = (msg.msg_flags & MSG_TRUNC) ? sizeof r->priv_.rx + 1
                                                 : (size_t)n;
        handle(r, &from, len);
        send_due(r);
    }
    send_due(r);
    return err;
}

uint64_t mcd_lwip_responder_answered(const mcd_lwip_responder *r)
{
    return mcd_rcore_answered(&r->priv_.core);
}

uint64_t mcd_lwip_responder_ignored(const mcd_lwip_responder *r,
                                    enum mcd_ignore why)
{
    return mcd_rcore_ignored(&r->priv_.core, why);
}

void mcd_lwip_responder_close(mcd_lwip_responder *r)
{
    if (r->priv_.fd >= 0)
        lwip_close(r->priv_.fd);
    r->priv_.fd = -1;
}
