/*
 * neigh.c - replies to queriers whose link-layer address is unknown.
 *
 * A reply to an on-link address the kernel has not resolved waits in the
 * neighbour entry's queue, charged to our socket's send buffer, until
 * ARP/ND succeeds or gives up (mcast_solicit x retrans_time: 3 s by
 * default). A spoofed query from an address that does not exist makes a
 * reply that waits the full 3 s and an entry in the kernel's neighbour
 * table (gc_thresh3: 1024 entries, shared by every namespace). At 1000
 * spoofed queries/s the send buffer is full and every reply, the real
 * client's too, fails with EAGAIN.
 *
 * So: ask the kernel what it knows of each querier before answering
 * (RTM_GETNEIGH, a batch per request), answer at once those it has
 * resolved and those it resolved before (remembered here), and bound the
 * replies waiting for a resolution that has never been seen to succeed;
 * a querier that resolves (RTNLGRP_NEIGH tells) frees its place at once,
 * so a crowd of real new clients passes quickly, forged ones do not.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <unistd.h>

int mcd_neigh_open_(void)
{
    /* Also told of every neighbour entry that changes: a querier that
     * resolves frees its place among the unresolved at once. */
    return mcd_nl_socket_(1u << (RTNLGRP_NEIGH - 1));
}

/* One RTM_GETNEIGH for `a` on `ifindex`, sequence `seq`, at p. */
static size_t put_request(uint8_t *p, const mcd_addr *a, uint32_t ifindex,
                          uint32_t seq)
{
    size_t alen = a->family == MCD_AF_INET4 ? 4 : 16;
    struct nlmsghdr nh = {
        .nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(struct ndmsg) +
                                            RTA_LENGTH(alen)),
        .nlmsg_type = RTM_GETNEIGH, .nlmsg_flags = NLM_F_REQUEST,
        .nlmsg_seq = seq};
    struct ndmsg nd = {.ndm_family = (uint8_t)mcd_family_af_(a->family),
                       .ndm_ifindex = (int)ifindex};
    struct rtattr rta = {.rta_len = (unsigned short)RTA_LENGTH(alen),
                         .rta_type = NDA_DST};

    memset(p, 0, NLMSG_ALIGN(nh.nlmsg_len));
    memcpy(p, &nh, sizeof nh);
    memcpy(p + NLMSG_HDRLEN, &nd, sizeof nd);
    memcpy(p + NLMSG_LENGTH(sizeof nd), &rta, sizeof rta);
    memcpy(p + NLMSG_LENGTH(sizeof nd) + RTA_LENGTH(0), a->b, alen);
    return NLMSG_ALIGN(nh.nlmsg_len);
}

static enum mcd_nstate from_nud(uint16_t nud)
{
    if (nud & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
               NUD_PERMANENT | NUD_NOARP))
        return MCD_N_RESOLVED;
    if (nud & NUD_INCOMPLETE)
        return MCD_N_PENDING;
    if (nud & NUD_FAILED)
        return MCD_N_FAILED;
    return MCD_N_NONE;
}

/* One answer: RTM_NEWNEIGH with the entry, or an error (ENOENT: none). */
static void take_answer(const struct nlmsghdr *nh, uint32_t seq0, size_t n,
                        enum mcd_nstate *st)
{
    uint32_t i = nh->nlmsg_seq - seq0;

    if (i >= n)
        return;
    if (nh->nlmsg_type == RTM_NEWNEIGH &&
        nh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ndmsg))) {
        struct ndmsg nd;

        memcpy(&nd, NLMSG_DATA(nh), sizeof nd);
        st[i] = from_nud(nd.ndm_state);
    } else if (nh->nlmsg_type == NLMSG_ERROR &&
               nh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        struct nlmsgerr e;

        memcpy(&e, NLMSG_DATA(nh), sizeof e);
        st[i] = e.error == -ENOENT ? MCD_N_NONE : MCD_N_UNKNOWN;
    }
}

/* An entry that is resolved now (an answer of ours or a change the
 * kernel announces): tell the gate. */
static void take_resolved(const struct nlmsghdr *nh, mcd_gate *g,
                          mcd_time now)
{
    size_t off = NLMSG_LENGTH(sizeof(struct ndmsg));
    struct ndmsg nd;

    if (nh->nlmsg_type != RTM_NEWNEIGH || nh->nlmsg_len < off)
        return;
    memcpy(&nd, NLMSG_DATA(nh), sizeof nd);
    if (from_nud(nd.ndm_state) != MCD_N_RESOLVED ||
        (nd.ndm_family != AF_INET && nd.ndm_family != AF_INET6))
        return;
    while (off + sizeof(struct rtattr) <= nh->nlmsg_len) {
        struct rtattr rta;
        mcd_addr a = {.family = nd.ndm_family == AF_INET ? MCD_AF_INET4
                                                          : MCD_AF_INET6};
        size_t alen = a.family == MCD_AF_INET4 ? 4 : 16;

        memcpy(&rta, (const uint8_t *)nh + off, sizeof rta);
        if (rta.rta_len < sizeof rta || off + rta.rta_len > nh->nlmsg_len)
            return;
        if (rta.rta_type == NDA_DST && rta.rta_len == RTA_LENGTH(alen)) {
            memcpy(a.b, (const uint8_t *)nh + off + RTA_LENGTH(0), alen);
            mcd_gate_resolved_(g, now, &a, (uint32_t)nd.ndm_ifindex);
            return;
        }
        off += RTA_ALIGN(rta.rta_len);
    }
}

int mcd_neigh_lookup_(int fd, const mcd_sock_tx *tx, size_t n,
                      enum mcd_nstate *st, mcd_gate *g, mcd_time now)
{
    static uint32_t seq;
    uint8_t req[MCD_SOCK_BATCH * 64];
    uint8_t buf[8192] __attribute__((aligned(4)));
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    size_t len = 0;
    uint32_t seq0 = seq += MCD_SOCK_BATCH;

    n = n > MCD_SOCK_BATCH ? MCD_SOCK_BATCH : n;
    for (size_t i = 0; i < n; i++) {
        st[i] = MCD_N_UNKNOWN;
        len += put_request(req + len, &tx[i].to.addr, tx[i].ifindex,
                           seq0 + (uint32_t)i);
    }
    /* The kernel answers within sendto(): the replies are queued when it
     * returns, so reading until EAGAIN collects them all. */
    if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
        return -errno;
    for (int round = 0; round < 256; round++) {
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

        /* ENOBUFS: announcements were lost; the answers follow. */
        if (got < 0 && errno == ENOBUFS)
            continue;
        if (got < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        size_t left = (size_t)got;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left);
             nh = NLMSG_NEXT(nh, left)) {
            take_answer(nh, seq0, n, st);
            take_resolved(nh, g, now);
        }
    }
    return 0;
}

/* --- the rule ------------------------------------------------------------ */

static mcd_gate_entry_ *find(mcd_gate_entry_ *t, size_t n, const mcd_addr *a,
                             uint32_t ifindex)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].at != 0 && t[i].ifindex == ifindex &&
            mcd_addr_equal(&t[i].addr, a))
            return &t[i];
    return NULL;
}

/* Remember a querier the kernel resolved: its own entry, else the one
 * seen longest ago. */
static void remember(mcd_gate *g, const mcd_addr *a, uint32_t ifindex,
                     mcd_time now)
{
    mcd_gate_entry_ *k = find(g->known, MCD_GATE_KNOWN, a, ifindex);

    if (k == NULL) {
        k = &g->known[0];
        for (size_t i = 1; i < MCD_GATE_KNOWN; i++)
            if (g->known[i].at < k->at)
                k = &g->known[i];
        k->addr = *a;
        k->ifindex = ifindex;
    }
    k->at = now ? now : 1;
}

/* The neighbour's address, without the zone (ifindex says it). */
static mcd_addr bare(const mcd_addr *a)
{
    mcd_addr x = *a;

    x.scope_id = 0;
    return x;
}

void mcd_gate_resolved_(mcd_gate *g, mcd_time now, const mcd_addr *a,
                        uint32_t ifindex)
{
    mcd_addr x = bare(a);
    mcd_gate_entry_ *c;

    remember(g, &x, ifindex, now);
    while ((c = find(g->cold, MCD_GATE_COLD, &x, ifindex)) != NULL)
        c->at = 0;
}

/* A place among the replies waiting for a resolution, if one is free:
 * never used, resolved since, or older than ARP/ND's give-up time. */
static bool take_cold(mcd_gate *g, mcd_time now, const mcd_addr *a,
                      uint32_t ifindex)
{
    for (size_t i = 0; i < MCD_GATE_COLD; i++) {
        mcd_gate_entry_ *c = &g->cold[i];

        if (c->at == 0 || now - c->at >= MCD_GATE_HOLD_US) {
            *c = (mcd_gate_entry_){*a, ifindex, now ? now : 1};
            return true;
        }
    }
    return false;
}

enum mcd_ignore mcd_gate_admit_(mcd_gate *g, mcd_time now, const mcd_addr *a,
                                uint32_t ifindex, enum mcd_nstate st,
                                bool crowded)
{
    mcd_addr x = bare(a);

    if (st == MCD_N_RESOLVED) {
        mcd_gate_resolved_(g, now, &x, ifindex);
        return MCD_IGNORE_NONE;
    }
    /* The kernel gave up on it. The entry lingers (until the kernel's
     * garbage collection, a minute or more), and one lost ARP/ND exchange
     * must not silence a real querier that long: it may try again once
     * per give-up time, within the places for replies never resolved;
     * a forged source's retries stay as bounded as its first tries. */
    if (st == MCD_N_FAILED) {
        const mcd_gate_entry_ *c = find(g->cold, MCD_GATE_COLD, &x, ifindex);

        if (crowded || (c != NULL && now - c->at < MCD_GATE_HOLD_US))
            return MCD_IGNORE_UNRESOLVED;
        return take_cold(g, now, &x, ifindex) ? MCD_IGNORE_NONE
                                              : MCD_IGNORE_UNRESOLVED;
    }
    /* Resolved before: its entry was evicted or went stale; one more
     * resolution for a host that answered ARP/ND is worth it. */
    if (find(g->known, MCD_GATE_KNOWN, &x, ifindex) != NULL)
        return MCD_IGNORE_NONE;
    /* The send buffer is half full of replies waiting already: answering
     * would only wait and fail. */
    if (crowded)
        return MCD_IGNORE_UNRESOLVED;
    /* The kernel could not be asked (a kernel before 5.0): the send
     * buffer's fill is the only guide. */
    if (st == MCD_N_UNKNOWN)
        return MCD_IGNORE_NONE;
    /* At most MCD_GATE_COLD replies waiting for a resolution never seen
     * to succeed, each for at most MCD_GATE_HOLD_US. */
    return take_cold(g, now, &x, ifindex) ? MCD_IGNORE_NONE
                                          : MCD_IGNORE_UNRESOLVED;
}
