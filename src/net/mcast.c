/*
 * mcast.c - multicast test traffic on POSIX sockets: mcd_receiver joins
 * groups (any-source or source-specific) and reads in batches; mcd_sender
 * sends in batches. The socket practice is that of sock.c: wildcard binds,
 * joins by interface index, IP_MULTICAST_ALL off, and the destination of
 * every datagram checked from pktinfo where the kernel cannot filter.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_GROUPS 64

int mcd_group_spec_parse(const char *text, uint16_t default_port,
                         mcd_group_spec *out)
{
    char addr[MCD_ADDR_STRLEN + IF_NAMESIZE + 2];
    const char *port = NULL, *end = text + strlen(text);
    size_t alen;

    memset(out, 0, sizeof *out);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');

        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return MCD_E_BADADDR;
        alen = (size_t)(close - text - 1);
        text++;
        port = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(text, ':');

        /* One colon: IPv4 with a port. More: a bare IPv6 group. */
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            alen = (size_t)(colon - text);
            port = colon + 1;
        } else {
            alen = (size_t)(end - text);
        }
    }
    if (alen == 0 || alen >= sizeof addr)
        return MCD_E_BADADDR;
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    int err = mcd_addr_resolve(addr, &out->group);
    if (err < 0)
        return err;
    if (!mcd_addr_is_multicast(&out->group))
        return MCD_E_NOTMCAST;
    out->port = default_port;
    if (port != NULL) {
        char *e;
        unsigned long v;

        if (*port < '1' || *port > '9')
            return MCD_E_BADPORT;
        v = strtoul(port, &e, 10);
        if (*e != '\0' || v == 0 || v > 65535)
            return MCD_E_BADPORT;
        out->port = (uint16_t)v;
    }
    return 0;
}

/* --- receiver ------------------------------------------------------------ */

typedef struct rsock {
    int fd;
    enum mcd_family family;
    uint16_t port;
} rsock;

struct mcd_receiver {
    mcd_group_spec groups[MAX_GROUPS];
    size_t ngroups;
    rsock socks[MAX_GROUPS];
    size_t nsock;
    uint32_t ifidx[MCD_MAX_IFACES];
    size_t nif;
    uint64_t foreign;
    uint8_t bufs[MCD_SOCK_BATCH][MCD_RX_KEEP];
};

static rsock *sock_for(mcd_receiver *r, enum mcd_family f, uint16_t port)
{
    for (size_t i = 0; i < r->nsock; i++)
        if (r->socks[i].family == f && r->socks[i].port == port)
            return &r->socks[i];
    return NULL;
}

static int open_rsock(mcd_receiver *r, enum mcd_family f, uint16_t port,
                      rsock **out)
{
    rsock *s = &r->socks[r->nsock];
    int err;

    s->family = f;
    s->port = port;
    s->fd = mcd_sock_udp_(f);
    if (s->fd < 0)
        return s->fd;
    r->nsock++;
    err = mcd_sock_reuse_(s->fd);
    if (err == 0)
        err = mcd_sock_mcast_all_off_(s->fd, f);
    if (err == 0)
        err = mcd_sock_bind_any_(s->fd, f, port);
    if (err == 0) {
        int got = mcd_sock_rcvbuf_(s->fd, 8 * 1024 * 1024);
        err = got < 0 ? got : 0;
    }
    *out = s;
    return err;
}

static void note_iface(mcd_receiver *r, uint32_t idx)
{
    for (size_t i = 0; i < r->nif; i++)
        if (r->ifidx[i] == idx)
            return;
    if (r->nif < MCD_MAX_IFACES)
        r->ifidx[r->nif++] = idx;
}

static int join_one(mcd_receiver *r, int fd, const mcd_group_spec *g,
                    uint32_t ifindex)
{
    mcd_addr group = g->group;
    int err;

    group.scope_id = 0;
    if (g->source.family != MCD_AF_NONE)
        err = mcd_sock_join_source_(fd, &group, &g->source, ifindex);
    else
        err = mcd_sock_join_(fd, &group, ifindex);
    if (err == 0)
        note_iface(r, ifindex);
    return err;
}

/* Join group g on its zone's interface, or on each chosen interface. */
static int join_group(mcd_receiver *r, const mcd_group_spec *g,
                      const char *const *ifaces, size_t n_ifaces,
                      size_t *bad_iface)
{
    mcd_iface ifs[MCD_MAX_IFACES];
    rsock *s = sock_for(r, g->group.family, g->port);
    int n, err = 0;

    if (s == NULL && (err = open_rsock(r, g->group.family, g->port, &s)) < 0)
        return err;
    n = mcd_iface_select(&g->group, ifaces, n_ifaces, ifs, MCD_MAX_IFACES,
                         bad_iface);
    for (int i = 0; err == 0 && i < n; i++) {
        err = join_one(r, s->fd, g, ifs[i].index);
        if (err < 0 && bad_iface != NULL)
            *bad_iface = ifs[i].spec;
    }
    return n < 0 ? n : err;
}

int mcd_receiver_open(mcd_receiver **out, const mcd_group_spec *groups,
                      size_t n_groups, const char *const *ifaces,
                      size_t n_ifaces, size_t *bad_iface)
{
    mcd_receiver *r;
    int err = 0;

    if (bad_iface != NULL)
        *bad_iface = SIZE_MAX;
    if (out == NULL || groups == NULL || n_groups == 0 ||
        n_groups > MAX_GROUPS)
        return MCD_E_INVAL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    for (size_t i = 0; err == 0 && i < n_groups; i++) {
        if (!mcd_addr_is_multicast(&groups[i].group))
            err = MCD_E_NOTMCAST;
        else if (groups[i].source.family != MCD_AF_NONE &&
                 groups[i].source.family != groups[i].group.family)
            err = MCD_E_FAMILY;
        else
            err = join_group(r, &groups[i], ifaces, n_ifaces, bad_iface);
        r->groups[r->ngroups++] = groups[i];
    }
    if (err < 0) {
        mcd_receiver_close(r);
        return err;
    }
    *out = r;
    return 0;
}

size_t mcd_receiver_fds(const mcd_receiver *r, int *fds, size_t cap)
{
    size_t n = 0;

    for (; n < r->nsock && n < cap; n++)
        fds[n] = r->socks[n].fd;
    return n;
}

size_t mcd_receiver_ifaces(const mcd_receiver *r, uint32_t *idx, size_t cap)
{
    size_t n = 0;

    for (; n < r->nif && n < cap; n++)
        idx[n] = r->ifidx[n];
    return n;
}

/* Is this datagram for one of our groups (and its source, for SSM)? The
 * kernel filters already with IP_MULTICAST_ALL off; this is the check for
 * kernels without it, and for unicast sent to the port. */
static bool wanted(const mcd_receiver *r, const rsock *s, const mcd_rx *rx)
{
    for (size_t i = 0; i < r->ngroups; i++) {
        const mcd_group_spec *g = &r->groups[i];
        mcd_addr group = g->group;

        group.scope_id = 0;
        if (g->port != s->port || group.family != s->family)
            continue;
        if (rx->has_dst && !mcd_addr_equal(&rx->dst, &group))
            continue;
        if (g->source.family != MCD_AF_NONE) {
            mcd_addr from = rx->from.addr;

            from.scope_id = 0;
            if (!mcd_addr_equal(&from, &g->source))
                continue;
        }
        return true;
    }
    return false;
}

/* Read one batch; *more is set when the batch was full (more may wait). */
static int read_batch(mcd_receiver *r, rsock *s, mcd_datagram_fn fn,
                      void *ctx, bool *more)
{
    mcd_rx rx[MCD_SOCK_BATCH];
    int n = mcd_sock_recv_batch_(s->fd, &r->bufs[0][0], MCD_RX_KEEP,
                                 MCD_SOCK_BATCH, rx);
    int delivered = 0;

    *more = n == MCD_SOCK_BATCH;
    if (n == -EAGAIN)
        return 0;
    if (n < 0)
        return n;
    mcd_time at = mcd_now_();
    uint64_t at_real = mcd_clock_real_us();
    for (int i = 0; i < n; i++) {
        if (rx[i].from.addr.family == MCD_AF_NONE || !wanted(r, s, &rx[i])) {
            r->foreign++;
            continue;
        }
        mcd_datagram dg = {.data = r->bufs[i], .len = rx[i].len,
                           .from = rx[i].from, .ifindex = rx[i].ifindex,
                           .at = at, .at_real_us = at_real};
        dg.dst.addr = rx[i].dst;
        dg.dst.port = s->port;
        fn(ctx, &dg);
        delivered++;
    }
    return delivered;
}

int mcd_receiver_process(mcd_receiver *r, mcd_datagram_fn fn, void *ctx)
{
    int total = 0;

    for (size_t i = 0; i < r->nsock; i++) {
        /* Drain a busy socket in batches, bounded so others get a turn. */
        bool more = true;

        for (int round = 0; more && round < 32; round++) {
            int n = read_batch(r, &r->socks[i], fn, ctx, &more);

            if (n < 0)
                return n;
            total += n;
        }
    }
    return total;
}

uint64_t mcd_receiver_foreign(const mcd_receiver *r)
{
    return r->foreign;
}

void mcd_receiver_close(mcd_receiver *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nsock; i++)
        if (r->socks[i].fd >= 0)
            close(r->socks[i].fd);
    free(r);
}

/* --- sender -------------------------------------------------------------- */

struct mcd_sender {
    int fd;
    mcd_iface ifc;
    mcd_endpoint dest;
    uint64_t refused;
};

static int pick_iface(const mcd_group_spec *dest, const char *iface,
                      mcd_iface *out)
{
    const char *specs[1] = {iface};
    int n = mcd_iface_select(&dest->group, specs, iface ? 1 : 0, out, 1, NULL);

    return n < 0 ? n : 0;
}

int mcd_sender_open(mcd_sender **out, const mcd_group_spec *dest,
                    const char *iface, int ttl, bool loop)
{
    mcd_sender *s;
    int err, flags;

    if (out == NULL || dest == NULL || ttl < 0 || ttl > 255)
        return MCD_E_INVAL;
    if (!mcd_addr_is_multicast(&dest->group))
        return MCD_E_NOTMCAST;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->fd = -1;
    err = pick_iface(dest, iface, &s->ifc);
    if (err == 0 && (s->fd = mcd_sock_udp_(dest->group.family)) < 0)
        err = s->fd;
    if (err == 0)
        err = mcd_sock_mcast_out_(s->fd, dest->group.family, s->ifc.index,
                                  ttl, loop);
    /* Blocking: a paced sender waits for room rather than dropping. */
    if (err == 0 && ((flags = fcntl(s->fd, F_GETFL)) < 0 ||
                     fcntl(s->fd, F_SETFL, flags & ~O_NONBLOCK) < 0))
        err = -errno;
    if (err < 0) {
        mcd_sender_close(s);
        return err;
    }
    s->dest.addr = dest->group;
    s->dest.port = dest->port;
    if (s->dest.addr.family == MCD_AF_INET6)
        s->dest.addr.scope_id = s->ifc.index;
    *out = s;
    return 0;
}

const mcd_iface *mcd_sender_iface(const mcd_sender *s)
{
    return &s->ifc;
}

int mcd_sender_send(mcd_sender *s, const uint8_t *const *bufs,
                    const size_t *lens, size_t n)
{
    mcd_sock_tx tx[MCD_SOCK_BATCH];
    size_t done = 0;

    while (done < n) {
        size_t k = n - done < MCD_SOCK_BATCH ? n - done : MCD_SOCK_BATCH;

        for (size_t i = 0; i < k; i++)
            tx[i] = (mcd_sock_tx){s->dest, 0, bufs[done + i], lens[done + i]};
        int sent = mcd_sock_send_batch_(s->fd, tx, k);
        if (sent < 0) {
            /* ENOBUFS: the device queue is full; wait a moment. */
            if (sent == -ENOBUFS || sent == -EINTR) {
                usleep(200);
                continue;
            }
            /* EPERM: a local firewall dropped this one; count it and go
             * on, as a lossy link would. */
            if (sent == -EPERM) {
                s->refused++;
                done++;
                continue;
            }
            return done > 0 ? (int)done : sent;
        }
        done += (size_t)sent;
        /* A short count: message `sent` failed and its error is lost
         * (sendmmsg(2) reports only the count). Sending it again would
         * repeat a datagram the stack refused, so count it and skip it. */
        if ((size_t)sent < k && done < n) {
            s->refused++;
            done++;
        }
    }
    return (int)done;
}

uint64_t mcd_sender_refused(const mcd_sender *s)
{
    return s->refused;
}

void mcd_sender_close(mcd_sender *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}
