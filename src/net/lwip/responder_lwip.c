/*
 * responder_lwip.c - the responder core on lwIP's socket API.
 *
 * The chapter's socket sequence, corrected: bind 0.0.0.0:port with
 * SO_REUSEADDR (where lwIP has it: SO_REUSE), IP_ADD_MEMBERSHIP with the
 * station's address as the interface, every datagram compared by length
 * and bytes by the core, replies by unicast to the source, rate-limited
 * and from the link only. Where lwIP records destinations
 * (LWIP_NETBUF_RECVINFO: IP_PKTINFO), a query not sent to the group is
 * refused as on POSIX; without it the destination is unknown.
 *
 * With MCD_LWIP_IPV6 a second socket answers on the station's IPv6
 * link-local address: the same core (one rate limit, one querier table),
 * replies by unicast to the querier's link-local address on that netif.
 */
#include "core_private.h"
#include "mcdisc_lwip.h"

#include <string.h>

#include "lwip/def.h"
#include "lwip/ip_addr.h"
#include "lwip/sockets.h"

#if MCD_LWIP_IPV6 && !(LWIP_IPV6 && LWIP_IPV6_MLD)
#error "MCD_LWIP_IPV6 needs an lwIP with LWIP_IPV6 and LWIP_IPV6_MLD"
#endif

static int sock_err(void)
{
    return errno > 0 ? -errno : MCD_E_INVAL;
}

/* The group: IPv4 text in the one form mcd_addr_parse() accepts (four
 * decimal parts, no leading zeros), read with lwIP's parser, which every
 * lwIP firmware links already, and held to the text lwIP writes back: the
 * device does not carry mcdisc's IPv4 and IPv6 parser for one address. */
static int group_parse(const char *text, mcd_addr *g)
{
    char canon[IP4ADDR_STRLEN_MAX];
    ip4_addr_t a;

    if (strchr(text, ':') != NULL)
        return MCD_E_UNSUPPORTED; /* this port is IPv4 only, as the chapter */
    if (!ip4addr_aton(text, &a) ||
        ip4addr_ntoa_r(&a, canon, sizeof canon) == NULL ||
        strcmp(canon, text) != 0)
        return MCD_E_BADADDR;
    memset(g, 0, sizeof *g);
    g->family = MCD_AF_INET4;
    memcpy(g->b, &a.addr, 4);
    return 0;
}

#if MCD_LWIP_IPV6
/* The IPv6 group, if any: of link-local scope (ff02::/16, RFC 4291
 * section 2.7), the only one a link-local address can answer from; no
 * zone (the station's netif is the zone). */
static int group6_parse(mcd_lwip_responder *r, const char *text)
{
    mcd_addr g;

    if (text == NULL || text[0] == '\0')
        return 0; /* IPv4 only */
    if (mcd_addr_parse_n(text, strlen(text), &g, NULL) < 0 ||
        g.family != MCD_AF_INET6)
        return MCD_E_BADADDR;
    if (!mcd_addr_is_multicast(&g))
        return MCD_E_NOTMCAST;
    if ((g.b[1] & 0x0f) != 2)
        return MCD_E_UNSUPPORTED;
    memcpy(r->priv_.group6, g.b, 16);
    return 1;
}
#endif

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
    err = group_parse(group ? group : MCD_DEFAULT_GROUP, &g);
    if (err < 0)
        return err;
    memcpy(&r->priv_.group_addr, g.b, 4);
#if MCD_LWIP_IPV6
    err = group6_parse(r, cfg->group6);
    if (err < 0)
        return err;
#endif
    /* One buffer for the reply and the extension's template made of it;
     * the query is the caller's text, borrowed while open (no copy). */
    return mcd_responder_setup_ext(&r->priv_.core, &cfg->opts, &g,
                                   NULL, r->priv_.reply,
                                   r->priv_.reply, sizeof r->priv_.reply,
                                   cfg->has_id ? cfg->id : NULL, cfg->now());
}

/* Announcements leave by the station's interface, to the link only. */
static int multicast_tx(mcd_lwip_responder *r)
{
#if MCD_CONFIG_EXT && LWIP_MULTICAST_TX_OPTIONS
    struct in_addr ifa;
    uint8_t ttl = 1;

    ifa.s_addr = r->priv_.cfg.if_addr;
    if (lwip_setsockopt(r->priv_.fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa,
                        sizeof ifa) < 0 ||
        lwip_setsockopt(r->priv_.fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
                        sizeof ttl) < 0)
        return sock_err();
#else
    (void)r;
#endif
    return 0;
}

static int open_socket(mcd_lwip_responder *r)
{
    struct sockaddr_in any;
    struct ip_mreq mreq;
    uint16_t port = r->priv_.cfg.opts.port;
    int one = 1;

    (void)one; /* unused by an lwIP without SO_REUSE and RECVINFO */

    r->priv_.fd = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    if (r->priv_.fd < 0)
        return sock_err();
#if SO_REUSE
    /* Share the port with the firmware's other listeners; an lwIP built
     * without SO_REUSE refuses the option, so it is not asked for there. */
    if (lwip_setsockopt(r->priv_.fd, SOL_SOCKET, SO_REUSEADDR, &one,
                        sizeof one) < 0)
        return sock_err();
#endif
#if LWIP_NETBUF_RECVINFO
    if (lwip_setsockopt(r->priv_.fd, IPPROTO_IP, IP_PKTINFO, &one,
                        sizeof one) < 0)
        return sock_err();
#endif
    memset(&any, 0, sizeof any);
    any.sin_family = AF_INET;
    any.sin_port = lwip_htons(port ? port : MCD_DEFAULT_PORT);
    any.sin_addr.s_addr = INADDR_ANY; /* 0.0.0.0 in either byte order */
    if (lwip_bind(r->priv_.fd, (struct sockaddr *)&any, sizeof any) < 0)
        return sock_err();
    /* lwIP joins by interface address (no RFC 3678 index joins). */
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_multiaddr.s_addr = r->priv_.group_addr;
    mreq.imr_interface.s_addr = r->priv_.cfg.if_addr;
    if (lwip_setsockopt(r->priv_.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
                        sizeof mreq) < 0)
        return sock_err();
    return multicast_tx(r);
}

#if MCD_LWIP_IPV6
/* [::]:port, IPv6 only (lwIP's dual-stack default would hand this socket
 * the IPv4 queries too: answered twice), joined to the group on the
 * station's netif by index (RFC 3493 section 5.2). */
static int open_socket6(mcd_lwip_responder *r)
{
    struct sockaddr_in6 any;
    struct ipv6_mreq mreq;
    uint16_t port = r->priv_.cfg.opts.port;
    int one = 1;

    r->priv_.fd6 = lwip_socket(AF_INET6, SOCK_DGRAM, 0);
    if (r->priv_.fd6 < 0 ||
        lwip_setsockopt(r->priv_.fd6, IPPROTO_IPV6, IPV6_V6ONLY, &one,
                        sizeof one) < 0)
        return sock_err();
#if SO_REUSE
    if (lwip_setsockopt(r->priv_.fd6, SOL_SOCKET, SO_REUSEADDR, &one,
                        sizeof one) < 0)
        return sock_err();
#endif
    memset(&any, 0, sizeof any);
    any.sin6_family = AF_INET6;
    any.sin6_port = lwip_htons(port ? port : MCD_DEFAULT_PORT);
    if (lwip_bind(r->priv_.fd6, (struct sockaddr *)&any, sizeof any) < 0)
        return sock_err();
    memset(&mreq, 0, sizeof mreq);
    memcpy(&mreq.ipv6mr_multiaddr, r->priv_.group6, 16);
    mreq.ipv6mr_interface = r->priv_.cfg.if6_index;
    if (lwip_setsockopt(r->priv_.fd6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq,
                        sizeof mreq) < 0)
        return sock_err();
    return 0;
}
#endif

void mcd_lwip_config_init(mcd_lwip_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    mcd_responder_opts_init(&cfg->opts);
    cfg->opts.lifetime = MCD_LIFETIME_DEFAULT;
}

#if MCD_CONFIG_EXT
static int live_make(mcd_lwip_responder *r, int kind);
#endif

/* Configure and open on r, whose live state the caller has set. */
static int start(mcd_lwip_responder *r, const mcd_lwip_config *cfg)
{
    int err;

    r->priv_.fd = -1;
#if MCD_LWIP_IPV6
    r->priv_.fd6 = -1;
#endif
    r->priv_.cfg = *cfg;
    err = configure(r, cfg);
    if (err == 0)
        err = open_socket(r);
#if MCD_LWIP_IPV6
    if (err == 0 && cfg->group6 != NULL && cfg->group6[0] != '\0')
        err = open_socket6(r);
#endif
    if (err < 0) {
        mcd_lwip_responder_close(r);
        return err;
    }
#if MCD_CONFIG_EXT
    /* Announce with an id and a lifetime (a new address: a burst, when
     * the rate limit allows). */
    uint8_t id[MCD_EXT_ID_LEN];

    r->priv_.ann_on = cfg->opts.lifetime != 0 &&
                      mcd_rcore_id(&r->priv_.core, id);
    /* The announcement is longer than the reply (the query and the reply
     * text both, the MAC): made once now, so that one that cannot be
     * made stops the open with why instead of never being sent. */
    if (r->priv_.ann_on && live_make(r, MCD_EXT_KIND_ANNOUNCE) == 0) {
        mcd_lwip_responder_close(r);
        return MCD_E_TOOLONG;
    }
    if (r->priv_.ann_on)
        mcd_announcer_kick(&r->priv_.ann, cfg->now());
#endif
    return 0;
}

int mcd_lwip_responder_open(mcd_lwip_responder *r, const mcd_lwip_config *cfg)
{
    if (r == NULL || cfg == NULL)
        return MCD_E_INVAL;
    memset(r, 0, sizeof *r);
#if MCD_CONFIG_EXT
    mcd_announcer_init(&r->priv_.ann);
#endif
    return start(r, cfg);
}

int mcd_lwip_responder_reopen(mcd_lwip_responder *r,
                              const mcd_lwip_config *cfg)
{
    if (r == NULL || cfg == NULL)
        return MCD_E_INVAL;
    mcd_lwip_responder_close(r);
#if MCD_CONFIG_EXT
    mcd_announcer ann = r->priv_.ann;
    uint64_t counter = r->priv_.counter;

    memset(r, 0, sizeof *r);
    ann.stopping = false; /* a stop before the move is over: announce */
    ann.bye_left = 0;
    r->priv_.ann = ann;
    r->priv_.counter = counter;
#else
    memset(r, 0, sizeof *r);
#endif
    return start(r, cfg);
}

int mcd_lwip_responder_fd(const mcd_lwip_responder *r)
{
    return r->priv_.fd;
}

#if MCD_LWIP_IPV6
int mcd_lwip_responder_fd6(const mcd_lwip_responder *r)
{
    return r->priv_.fd6;
}
#endif

int mcd_lwip_responder_timeout(const mcd_lwip_responder *r)
{
    mcd_time next = mcd_rcore_next(&r->priv_.core);
#if MCD_CONFIG_EXT
    mcd_time ann = r->priv_.ann_on ? mcd_announcer_next(&r->priv_.ann)
                                   : MCD_TIME_NEVER;

    if (ann < next)
        next = ann;
#endif
    return mcd_timeout_ms(next, r->priv_.cfg.now());
}

static void to_endpoint(const struct sockaddr_in *sin, mcd_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    ep->addr.family = MCD_AF_INET4;
    memcpy(ep->addr.b, &sin->sin_addr.s_addr, 4);
    ep->port = lwip_ntohs(sin->sin_port);
}

/* Where the datagram was sent (IP_PKTINFO), when lwIP says. */
static const mcd_addr *destination(struct msghdr *msg, mcd_addr *dst)
{
#if LWIP_NETBUF_RECVINFO
    struct cmsghdr *c;

    for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        struct in_pktinfo pi;

        if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
            continue;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        memset(dst, 0, sizeof *dst);
        dst->family = MCD_AF_INET4;
        memcpy(dst->b, &pi.ipi_addr.s_addr, 4);
        return dst;
    }
#else
    (void)msg;
    (void)dst;
#endif
    return NULL;
}

static void handle(mcd_lwip_responder *r, const struct sockaddr_in *from,
                   size_t len, const mcd_addr *dst)
{
    mcd_endpoint src;
    uint32_t mask = r->priv_.cfg.if_netmask;

    to_endpoint(from, &src);
    mcd_rcore_rx rx = {
        .data = r->priv_.rx, .data_cap = sizeof r->priv_.rx, .len = len,
        .src = &src,
        .dst = dst, /* NULL: unknown, the core skips its group check */
        .ifindex = 0,
        .src_on_link = (from->sin_addr.s_addr & mask) ==
                       (r->priv_.cfg.if_addr & mask),
        .src_is_local = from->sin_addr.s_addr == r->priv_.cfg.if_addr,
        .src_prefix_len = (uint8_t)__builtin_popcount(mask),
        .rnd = r->priv_.cfg.random(),
    };
    (void)mcd_rcore_input(&r->priv_.core, r->priv_.cfg.now(), &rx);
}

#if MCD_LWIP_IPV6
/* A link-local source (fe80::/10, RFC 4291 section 2.5.6) that came in on
 * the station's netif: lwIP gives it that netif's index as its zone
 * (LWIP_IPV6_SCOPES; with one netif there is no other link). Replies go
 * back there by unicast, from the link-local address. */
static void handle6(mcd_lwip_responder *r, const struct sockaddr_in6 *from,
                    size_t len)
{
    const mcd_lwip_config *c = &r->priv_.cfg;
    mcd_endpoint src;

    memset(&src, 0, sizeof src);
    src.addr.family = MCD_AF_INET6;
    memcpy(src.addr.b, &from->sin6_addr, 16);
    src.addr.scope_id = from->sin6_scope_id;
    src.port = lwip_ntohs(from->sin6_port);
    bool ll = src.addr.b[0] == 0xfe && (src.addr.b[1] & 0xc0) == 0x80;
#if LWIP_IPV6_SCOPES
    ll = ll && from->sin6_scope_id == c->if6_index;
#endif
    mcd_rcore_rx rx = {
        .data = r->priv_.rx, .data_cap = sizeof r->priv_.rx, .len = len,
        .src = &src,
        .dst = NULL, /* lwIP has no IPV6_PKTINFO: unknown */
        .src_on_link = ll,
        .src_is_local = memcmp(src.addr.b, c->if6_addr, 16) == 0,
        .src_prefix_len = ll ? 64 : 0,
        .rnd = c->random(),
    };
    (void)mcd_rcore_input(&r->priv_.core, c->now(), &rx);
}

static ssize_t send6(mcd_lwip_responder *r, const uint8_t *p, size_t n,
                     const mcd_addr *a, uint16_t port)
{
    struct sockaddr_in6 to;

    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    to.sin6_port = lwip_htons(port);
    memcpy(&to.sin6_addr, a->b, 16);
    to.sin6_scope_id = a->scope_id; /* the zone picks the netif */
    return lwip_sendto(r->priv_.fd6, p, n, 0, (struct sockaddr *)&to,
                       sizeof to);
}
#endif

static void send_due(mcd_lwip_responder *r)
{
    mcd_rcore_tx tx;

    while (mcd_rcore_poll(&r->priv_.core, r->priv_.cfg.now(), &tx)) {
        struct sockaddr_in to;
        ssize_t sent;

        memset(&to, 0, sizeof to);
        to.sin_family = AF_INET;
        to.sin_port = lwip_htons(tx.to.port);
        memcpy(&to.sin_addr.s_addr, tx.to.addr.b, 4);
        /* The query read into rx is done with: the reply's bytes go
         * there (no heap, no second buffer). A failed send (no ARP entry
         * yet, no buffer) is a lost reply: counted; the client resends
         * its query. */
#if MCD_CONFIG_EXT
        const uint8_t *p = r->priv_.rx;
        size_t n = mcd_rcore_tx_write(&tx, r->priv_.rx, sizeof r->priv_.rx);
#else
        /* Only the chapter's reply, nothing to patch in: sent from where
         * the core holds it, without mcd_rcore_tx_write's copy. */
        const uint8_t *p = tx.data;
        size_t n = tx.len;
#endif
        /* 0: its MAC could not be made; never sent without it. */
#if MCD_LWIP_IPV6
        if (tx.to.addr.family == MCD_AF_INET6)
            sent = n == 0 ? -1 : send6(r, p, n, &tx.to.addr, tx.to.port);
        else
#endif
            sent = n == 0 ? -1
                          : lwip_sendto(r->priv_.fd, p, n, 0,
                                        (struct sockaddr *)&to, sizeof to);

        mcd_rcore_done(&r->priv_.core, sent < 0 ? MCD_IGNORE_SEND_FAILED
                                                : MCD_IGNORE_NONE);
    }
}

#if MCD_CONFIG_EXT
/* --- the live view: announcements and goodbyes ---------------------------- */

/* The counter: boot in the high 32 bits, now() in seconds in the low,
 * strictly increasing (one more than the last within a second; a burst is
 * 3 in 3 s). Seconds fill 32 bits only after 136 years, so they never
 * carry into the boot word, and every counter of the next boot is above
 * every one of this boot: milliseconds carried after 49.7 days, and a
 * device rebooted after that went backwards, refused as a replay by
 * keyed watchers. */
static uint64_t live_counter(mcd_lwip_responder *r)
{
    uint64_t c = ((uint64_t)r->priv_.cfg.boot << 32) +
                 r->priv_.cfg.now() / 1000000u;

    r->priv_.counter = c > r->priv_.counter ? c : r->priv_.counter + 1;
    return r->priv_.counter;
}

/* One announcement or goodbye, made in rx at the time of sending (no
 * buffer kept for it): the reply text of the template, then signed.
 * Returns its length, or 0 when it cannot be made (too long for rx). */
static int live_make(mcd_lwip_responder *r, int kind)
{
    const mcd_responder_opts *o = &r->priv_.cfg.opts;
    const uint8_t *nul = memchr(r->priv_.reply, 0, sizeof r->priv_.reply);
    const char *q = o->query ? o->query : MCD_DEFAULT_QUERY;
    mcd_ext_announce a;
    int n;

    if (nul == NULL || !mcd_rcore_id(&r->priv_.core, a.id))
        return 0;
    a.kind = (uint8_t)kind;
    a.counter = live_counter(r);
    a.lifetime = kind == MCD_EXT_KIND_GOODBYE ? 0 : o->lifetime;
    n = mcd_ext_announce_encode(
        (const uint8_t *)q, strlen(q), &a, r->priv_.reply,
        (size_t)(nul - r->priv_.reply),
        kind == MCD_EXT_KIND_GOODBYE ? NULL : o->txt,
        kind == MCD_EXT_KIND_GOODBYE ? 0 : o->ntxt, r->priv_.rx,
        sizeof r->priv_.rx);
    if (n > 0 && o->mac != NULL && o->mac->fn != NULL)
        n = mcd_ext_mac_append(o->mac, r->priv_.rx, (size_t)n,
                               sizeof r->priv_.rx); /* never unsigned */
    return n > 0 ? n : 0;
}

static void live_send(mcd_lwip_responder *r, int kind)
{
    const mcd_responder_opts *o = &r->priv_.cfg.opts;
    struct sockaddr_in to;
    int n = live_make(r, kind);

    if (n == 0)
        return;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = lwip_htons(o->port ? o->port : MCD_DEFAULT_PORT);
    to.sin_addr.s_addr = r->priv_.group_addr;
    /* A lost one (no pbuf) is one copy of several. */
    (void)lwip_sendto(r->priv_.fd, r->priv_.rx, (size_t)n, 0,
                      (struct sockaddr *)&to, sizeof to);
#if MCD_LWIP_IPV6
    /* The same bytes (the same counter) to the IPv6 group, on the link. */
    if (r->priv_.fd6 >= 0) {
        mcd_addr g6 = {.family = MCD_AF_INET6,
                       .scope_id = r->priv_.cfg.if6_index};

        memcpy(g6.b, r->priv_.group6, 16);
        (void)send6(r, r->priv_.rx, (size_t)n, &g6,
                    lwip_ntohs(to.sin_port));
    }
#endif
}

static void live_send_due(mcd_lwip_responder *r)
{
    int kind;

    if (!r->priv_.ann_on || r->priv_.fd < 0)
        return;
    while ((kind = mcd_announcer_poll(&r->priv_.ann, r->priv_.cfg.now(),
                                      NULL)) != 0)
        live_send(r, kind);
}
#endif

void mcd_lwip_responder_stop(mcd_lwip_responder *r)
{
#if MCD_CONFIG_EXT
    mcd_announcer_stop(&r->priv_.ann, r->priv_.cfg.now());
    live_send_due(r);
#else
    (void)r;
#endif
}

bool mcd_lwip_responder_stopped(const mcd_lwip_responder *r)
{
#if MCD_CONFIG_EXT
    return !r->priv_.ann_on || r->priv_.fd < 0 ||
           mcd_announcer_done(&r->priv_.ann);
#else
    (void)r;
    return true;
#endif
}

/* Errors of a moment (no pbuf, a signal): the socket is fine. */
static bool passing(int err)
{
    return err == EINTR || err == ENOBUFS || err == ENOMEM;
}

#if MCD_LWIP_IPV6
/* What waits on the IPv6 socket, as on the IPv4 one below (lwIP says
 * MSG_TRUNC for a cut datagram). */
static int process6(mcd_lwip_responder *r)
{
    for (int i = 0; i < 64 && r->priv_.fd6 >= 0; i++) {
        struct sockaddr_in6 from;
        struct iovec iov = {r->priv_.rx, sizeof r->priv_.rx};
        struct msghdr msg;
        ssize_t n;

        memset(&msg, 0, sizeof msg);
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        n = lwip_recvmsg(r->priv_.fd6, &msg, MSG_DONTWAIT);
        if (n < 0 && (errno == EWOULDBLOCK || errno == EAGAIN))
            break;
        if (n < 0) {
            if (!passing(errno))
                return sock_err();
            continue;
        }
        handle6(r, &from, (msg.msg_flags & MSG_TRUNC) ? sizeof r->priv_.rx + 1
                                                      : (size_t)n);
        send_due(r);
    }
    return 0;
}
#endif

int mcd_lwip_responder_process(mcd_lwip_responder *r)
{
    int err = 0;

    for (int i = 0; i < 64 && err == 0; i++) {
        struct sockaddr_in from;
        struct iovec iov = {r->priv_.rx, sizeof r->priv_.rx};
        struct msghdr msg;
        mcd_addr dst;
        ssize_t n;

        memset(&msg, 0, sizeof msg);
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
#if LWIP_NETBUF_RECVINFO
        /* cmsghdr-aligned room for one IP_PKTINFO */
        uint32_t ctl[(CMSG_SPACE(sizeof(struct in_pktinfo)) + 3) / 4];

        msg.msg_control = ctl;
        msg.msg_controllen = sizeof ctl;
#endif
        /* Never waits: the caller polls (no O_NONBLOCK to set up). */
        n = lwip_recvmsg(r->priv_.fd, &msg, MSG_DONTWAIT);
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
        handle(r, &from, len, destination(&msg, &dst));
        send_due(r);
    }
#if MCD_LWIP_IPV6
    if (err == 0)
        err = process6(r);
#endif
    send_due(r);
#if MCD_CONFIG_EXT
    live_send_due(r);
#endif
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
#if MCD_LWIP_IPV6
    if (r->priv_.fd6 >= 0)
        lwip_close(r->priv_.fd6);
    r->priv_.fd6 = -1;
#endif
}
