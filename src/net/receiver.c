/*
 * receiver.c - mcd_receiver, multicast test traffic in: joins groups
 * (any-source or source-specific) and reads in batches. The socket
 * practice is that of sock.c: wildcard binds, joins by interface index,
 * IP_MULTICAST_ALL off, and the destination of every datagram checked
 * from pktinfo where the kernel cannot filter.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 64

/* Group groups[group] joined on interface ifindex, by socket `sock` of
 * pools[pool]. */
typedef struct rmember {
    uint32_t ifindex;
    size_t group, pool, sock;
    char name[32]; /* the interface's, when joined */
} rmember;

struct mcd_receiver {
    mcd_group_spec groups[MAX_GROUPS];
    size_t ngroups;
    mcd_msocks pools[MAX_GROUPS]; /* the sockets of one family and port */
    size_t npools;
    rmember *members;
    size_t nmembers;
    mcd_receiver_skip *skips;
    size_t nskips;
    uint64_t foreign;
    uint8_t bufs[MCD_SOCK_BATCH][MCD_RX_KEEP];
};

/* The sockets for g's family and port, the first one opened now: a port
 * held by a program that does not share it fails here, once. */
static int pool_for(mcd_receiver *r, const mcd_group_spec *g, size_t *out)
{
    mcd_msocks *m = &r->pools[r->npools];
    int err;

    for (size_t i = 0; i < r->npools; i++)
        if (r->pools[i].family == g->group.family &&
            r->pools[i].port == g->port) {
            *out = i;
            return 0;
        }
    m->family = (enum mcd_family)g->group.family;
    m->port = g->port;
    m->rcvbuf = 8 * 1024 * 1024;
    err = mcd_msocks_add_(m);
    if (err < 0)
        return err;
    *out = r->npools++;
    return 0;
}

typedef struct rjoin {
    const mcd_group_spec *g;
    uint32_t ifindex;
} rjoin;

static int join_fd(void *ctx, int fd)
{
    const rjoin *q = ctx;
    mcd_addr group = q->g->group;

    group.scope_id = 0;
    if (q->g->source.family != MCD_AF_NONE)
        return mcd_sock_join_source_(fd, &group, &q->g->source, q->ifindex);
    return mcd_sock_join_(fd, &group, q->ifindex);
}

/* Room for n more memberships and as many skipped joins. */
static int room(mcd_receiver *r, size_t n)
{
    rmember *m = realloc(r->members, (r->nmembers + n) * sizeof *m);
    mcd_receiver_skip *k;

    if (m == NULL)
        return -ENOMEM;
    r->members = m;
    k = realloc(r->skips, (r->nskips + n) * sizeof *k);
    if (k == NULL)
        return -ENOMEM;
    r->skips = k;
    return 0;
}

/* Join group gi on each interface of ifs (room is made). One socket's
 * memberships are bounded by the kernel, the receiver's are not: past
 * that, one more socket on the port (msocks.c). Where the user chose the
 * interfaces (or the group's zone did), any failure is theirs to fix and
 * ends the join; interfaces we chose ourselves that cannot join are
 * skipped, and recorded with the kernel's answer, if at least one joined. */
static int join_on(mcd_receiver *r, size_t gi, size_t pool,
                   const mcd_iface *ifs, int n, bool strict, size_t *bad)
{
    int err = 0, joined = 0;

    for (int i = 0; i < n; i++) {
        rjoin q = {&r->groups[gi], ifs[i].index};
        int s = mcd_msocks_join_(&r->pools[pool], join_fd, &q);

        if (s >= 0) {
            rmember *m = &r->members[r->nmembers++];

            *m = (rmember){ifs[i].index, gi, pool, (size_t)s, {0}};
            memcpy(m->name, ifs[i].name, sizeof m->name);
            joined++;
            continue;
        }
        if (strict) {
            if (bad != NULL)
                *bad = ifs[i].spec;
            return s;
        }
        mcd_receiver_skip *k = &r->skips[r->nskips++];
        *k =
            (mcd_receiver_skip){.group = gi, .ifindex = ifs[i].index, .err = s};
        memcpy(k->name, ifs[i].name, sizeof k->name);
        err = err < 0 ? err : s;
    }
    return joined > 0 ? 0 : err;
}

/* Join group gi on its zone's interface, on each chosen interface, or on
 * every usable one of its family, however many. */
static int join_group(mcd_receiver *r, size_t gi, const char *const *ifaces,
                      size_t n_ifaces, size_t *bad_iface)
{
    const mcd_group_spec *g = &r->groups[gi];
    bool strict = n_ifaces > 0 || g->group.scope_id != 0;
    mcd_iface *ifs = NULL;
    size_t pool;
    int n, err = pool_for(r, g, &pool);

    if (err < 0)
        return err;
    n = mcd_iface_select_alloc_(&g->group, ifaces, n_ifaces, &ifs, bad_iface);
    if (n < 0)
        return n;
    err = room(r, (size_t)n);
    if (err == 0)
        err = join_on(r, gi, pool, ifs, n, strict, bad_iface);
    free(ifs);
    return err;
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
        r->groups[r->ngroups++] = groups[i];
        if (!mcd_addr_is_multicast(&groups[i].group))
            err = MCD_E_NOTMCAST;
        else if (groups[i].source.family != MCD_AF_NONE &&
                 groups[i].source.family != groups[i].group.family)
            err = MCD_E_FAMILY;
        else
            err = join_group(r, i, ifaces, n_ifaces, bad_iface);
    }
    if (err < 0) {
        mcd_receiver_close(r);
        return err;
    }
    *out = r;
    return 0;
}

size_t mcd_receiver_nfds(const mcd_receiver *r)
{
    size_t n = 0;

    for (size_t p = 0; p < r->npools; p++)
        n += r->pools[p].n;
    return n;
}

size_t mcd_receiver_fds(const mcd_receiver *r, int *fds, size_t cap)
{
    size_t n = 0;

    for (size_t p = 0; p < r->npools; p++)
        for (size_t s = 0; s < r->pools[p].n && n < cap; s++)
            fds[n++] = r->pools[p].socks[s].fd;
    return n;
}

/* Nothing of the receiver runs on a timer: it waits for datagrams. */
int mcd_receiver_timeout(const mcd_receiver *r)
{
    (void)r;
    return -1;
}

/* Is ifindex among members[0..n) (the interfaces joined before)? */
static bool seen_before(const mcd_receiver *r, size_t n, uint32_t ifindex)
{
    for (size_t i = 0; i < n; i++)
        if (r->members[i].ifindex == ifindex)
            return true;
    return false;
}

size_t mcd_receiver_nifaces(const mcd_receiver *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->nmembers; i++)
        n += !seen_before(r, i, r->members[i].ifindex);
    return n;
}

size_t mcd_receiver_ifaces(const mcd_receiver *r, uint32_t *idx, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < r->nmembers && n < cap; i++)
        if (!seen_before(r, i, r->members[i].ifindex))
            idx[n++] = r->members[i].ifindex;
    return n;
}

const char *mcd_receiver_ifname(const mcd_receiver *r, uint32_t ifindex)
{
    for (size_t i = 0; i < r->nmembers; i++)
        if (r->members[i].ifindex == ifindex)
            return r->members[i].name;
    return NULL;
}

bool mcd_receiver_skipped(const mcd_receiver *r, size_t i,
                          mcd_receiver_skip *out)
{
    if (i >= r->nskips)
        return false;
    *out = r->skips[i];
    return true;
}

/* Did this socket join the datagram's group on the interface it came in
 * by? IPv4 asks the kernel nothing more: with IP_MULTICAST_ALL off it
 * delivers by group and interface. IPv6 matches the group only (any
 * membership of the socket, on whichever interface), so with memberships
 * spread over sockets each would get a copy: only the socket joined on
 * the interface delivers it. */
static bool held_here(const mcd_receiver *r, size_t pool, size_t sock,
                      const mcd_rx *rx)
{
    if (r->pools[pool].family != MCD_AF_INET6 || !rx->has_dst ||
        !mcd_addr_is_multicast(&rx->dst) || rx->ifindex == 0)
        return true;
    for (size_t i = 0; i < r->nmembers; i++) {
        const rmember *m = &r->members[i];
        mcd_addr group = r->groups[m->group].group;

        group.scope_id = 0;
        if (m->pool == pool && m->sock == sock && m->ifindex == rx->ifindex &&
            mcd_addr_equal(&group, &rx->dst))
            return true;
    }
    return false;
}

/* Is this datagram for one of our groups (and its source, for SSM)? The
 * kernel filters already with IP_MULTICAST_ALL off; this is the check for
 * kernels without it, and for unicast sent to the port. */
static bool wanted(const mcd_receiver *r, const mcd_msocks *s, const mcd_rx *rx)
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
static int read_batch(mcd_receiver *r, size_t pool, size_t sock,
                      mcd_datagram_fn fn, void *ctx, bool *more)
{
    mcd_rx rx[MCD_SOCK_BATCH];
    const mcd_msocks *s = &r->pools[pool];
    int n = mcd_sock_recv_batch_(s->socks[sock].fd, &r->bufs[0][0], MCD_RX_KEEP,
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
        if (rx[i].from.addr.family == MCD_AF_NONE || !wanted(r, s, &rx[i]) ||
            !held_here(r, pool, sock, &rx[i])) {
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

    for (size_t p = 0; p < r->npools; p++)
        for (size_t s = 0; s < r->pools[p].n; s++) {
            /* Drain a busy socket in batches, bounded so others get a
             * turn. */
            bool more = true;

            for (int round = 0; more && round < 32; round++) {
                int n = read_batch(r, p, s, fn, ctx, &more);

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
    for (size_t p = 0; p < r->npools; p++)
        mcd_msocks_close_(&r->pools[p]);
    free(r->members);
    free(r->skips);
    free(r);
}
