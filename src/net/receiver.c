/*
 * receiver.c - mcd_receiver, multicast test traffic in: joins groups
 * (any-source or source-specific) and reads in batches. The socket
 * practice is that of sock.c: wildcard binds, joins by interface index,
 * IP_MULTICAST_ALL off, and the destination of every datagram checked
 * from pktinfo where the kernel cannot filter.
 */
#define _GNU_SOURCE
#include "links.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 64

/* The name an interface had when a group joined on it. */
typedef struct rname {
    uint32_t ifindex;
    char name[32];
} rname;

/* What a group's links report to (links.c events). */
typedef struct rgroup {
    mcd_receiver *r;
    size_t gi;
} rgroup;

struct mcd_receiver {
    mcd_group_spec groups[MAX_GROUPS];
    size_t ngroups;
    /* Each group's memberships, followed as links come and go, on the
     * sockets of its family and port (pools[pool_of[gi]]). */
    mcd_links links[MAX_GROUPS];
    rgroup ctx[MAX_GROUPS];
    size_t pool_of[MAX_GROUPS];
    mcd_msocks pools[MAX_GROUPS]; /* the sockets of one family and port */
    size_t npools;
    int nl_fd; /* link and address changes, for every group */
    rname *names;
    size_t nnames;
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

static void remember_name(mcd_receiver *r, uint32_t ifindex, const char *name)
{
    rname *n = NULL;

    for (size_t i = 0; i < r->nnames && n == NULL; i++)
        if (r->names[i].ifindex == ifindex)
            n = &r->names[i];
    if (n == NULL) {
        rname *p = realloc(r->names, (r->nnames + 1) * sizeof *p);

        if (p == NULL)
            return; /* the name is missing, the membership is not */
        r->names = p;
        n = &r->names[r->nnames++];
    }
    n->ifindex = ifindex;
    memset(n->name, 0, sizeof n->name);
    strncpy(n->name, name, sizeof n->name - 1);
}

/* An interface the receiver chose itself that the kernel would not let
 * join: kept for mcd_receiver_skipped() (links.c says so once per
 * interface and error). */
static void remember_skip(mcd_receiver *r, size_t gi, const mcd_event *ev)
{
    mcd_receiver_skip *k = realloc(r->skips, (r->nskips + 1) * sizeof *k);

    if (k == NULL)
        return;
    r->skips = k;
    k = &r->skips[r->nskips++];
    *k = (mcd_receiver_skip){.group = gi, .ifindex = ev->ifindex,
                             .err = ev->err};
    strncpy(k->name, ev->what ? ev->what : "?", sizeof k->name - 1);
}

static void on_links(void *ctx, const mcd_event *ev)
{
    const rgroup *g = ctx;

    if (ev->kind == MCD_EV_JOINED && ev->what != NULL)
        remember_name(g->r, ev->ifindex, ev->what);
    else if (ev->kind == MCD_EV_JOIN_ERROR)
        remember_skip(g->r, g->gi, ev);
}

/* Join group gi on its zone's interface, on each chosen interface, or on
 * every usable one of its family, however many, on the sockets of its
 * port: past the memberships the kernel allows one socket, one more
 * (msocks.c). Where the user chose the interfaces, any failure is theirs
 * to fix; interfaces we chose ourselves that cannot join are skipped, and
 * recorded with the kernel's answer, if at least one joined. */
static int join_group(mcd_receiver *r, size_t gi, const char *const *ifaces,
                      size_t n_ifaces, size_t *bad_iface)
{
    const mcd_group_spec *g = &r->groups[gi];
    int err = pool_for(r, g, &r->pool_of[gi]);

    r->ctx[gi] = (rgroup){r, gi};
    mcd_links_config lc = {
        .group = &g->group, .source = &g->source,
        .shared = &r->pools[r->pool_of[gi]], .port = g->port,
        .no_netlink = true, .specs = ifaces, .nspecs = n_ifaces,
        .on_event = on_links, .ctx = &r->ctx[gi],
    };
    if (err == 0)
        err = mcd_links_open_(&r->links[gi], &lc);
    if (err == 0)
        err = mcd_links_resync_(&r->links[gi], true, bad_iface);
    return err;
}

/* Subscribe to link changes after the joins, so that a process short of
 * descriptors spends them on memberships first; without it the
 * memberships stay as made. A change between the joins and the
 * subscription: one resync now catches it. */
static void follow_links(mcd_receiver *r)
{
    r->nl_fd = mcd_nl_open_();
    for (size_t g = 0; r->nl_fd >= 0 && g < r->ngroups; g++)
        mcd_links_resync_(&r->links[g], false, NULL);
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
    r->nl_fd = -1;
    for (size_t i = 0; i < n_groups; i++)
        r->links[i].nl_fd = -1;
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
    follow_links(r);
    *out = r;
    return 0;
}

size_t mcd_receiver_nfds(const mcd_receiver *r)
{
    size_t n = r->nl_fd >= 0;

    for (size_t p = 0; p < r->npools; p++)
        n += r->pools[p].n;
    return n;
}

/* The sockets first, then netlink. */
size_t mcd_receiver_fds(const mcd_receiver *r, int *fds, size_t cap)
{
    size_t n = 0;

    for (size_t p = 0; p < r->npools; p++)
        for (size_t s = 0; s < r->pools[p].n && n < cap; s++)
            fds[n++] = r->pools[p].socks[s].fd;
    if (n < cap && r->nl_fd >= 0)
        fds[n++] = r->nl_fd;
    return n;
}

/* Nothing of the receiver runs on a timer: it waits for datagrams. */
int mcd_receiver_timeout(const mcd_receiver *r)
{
    (void)r;
    return -1;
}

/* The i-th interface joined, over the groups in order; 0 past the last. */
static uint32_t iface_at(const mcd_receiver *r, size_t i)
{
    for (size_t g = 0; g < r->ngroups; g++) {
        size_t n = r->links[g].joined.n;

        if (i < n)
            return mcd_links_iface_at_(&r->links[g], i);
        i -= n;
    }
    return 0;
}

/* Is ifindex among the first n interfaces joined (joined before)? */
static bool seen_before(const mcd_receiver *r, size_t n, uint32_t ifindex)
{
    for (size_t i = 0; i < n; i++)
        if (iface_at(r, i) == ifindex)
            return true;
    return false;
}

static size_t nmembers(const mcd_receiver *r)
{
    size_t n = 0;

    for (size_t g = 0; g < r->ngroups; g++)
        n += r->links[g].joined.n;
    return n;
}

size_t mcd_receiver_nifaces(const mcd_receiver *r)
{
    size_t n = 0, m = nmembers(r);

    for (size_t i = 0; i < m; i++)
        n += !seen_before(r, i, iface_at(r, i));
    return n;
}

size_t mcd_receiver_ifaces(const mcd_receiver *r, uint32_t *idx, size_t cap)
{
    size_t n = 0, m = nmembers(r);

    for (size_t i = 0; i < m && n < cap; i++)
        if (!seen_before(r, i, iface_at(r, i)))
            idx[n++] = iface_at(r, i);
    return n;
}

const char *mcd_receiver_ifname(const mcd_receiver *r, uint32_t ifindex)
{
    bool joined = false;

    for (size_t g = 0; g < r->ngroups && !joined; g++)
        joined = mcd_links_joined_(&r->links[g], ifindex);
    for (size_t i = 0; joined && i < r->nnames; i++)
        if (r->names[i].ifindex == ifindex)
            return r->names[i].name;
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
    for (size_t g = 0; g < r->ngroups; g++) {
        mcd_addr group = r->groups[g].group;

        group.scope_id = 0;
        if (r->pool_of[g] == pool &&
            mcd_links_holder_(&r->links[g], rx->ifindex) == sock &&
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

    /* Join again where an interface came back or appeared, leave where
     * one went (nothing waits: one cheap read). */
    if (r->nl_fd >= 0)
        mcd_links_follow_(r->links, r->ngroups, r->nl_fd);

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
    for (size_t g = 0; g < r->ngroups; g++)
        mcd_links_close_(&r->links[g]);
    for (size_t p = 0; p < r->npools; p++)
        mcd_msocks_close_(&r->pools[p]);
    if (r->nl_fd >= 0)
        close(r->nl_fd);
    free(r->names);
    free(r->skips);
    free(r);
}
