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
 * replies waiting for a resolution that has never been seen to succeed.
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
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    NETLINK_ROUTE);

    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int err = -errno;

        close(fd);
        return err;
    }
    return fd;
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
    memcpy(p + NLMSG_LENGTH(sizeof nd) , &rta, sizeof rta);
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

int mcd_neigh_lookup_(int fd, const mcd_sock_tx *tx, size_t n,
                      enum mcd_nstate *st)
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
    for (;;) {
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

        if (got < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        size_t left = (size_t)got;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left);
             nh = NLMSG_NEXT(nh, left))
            take_answer(nh, seq0, n, st);
    }
}

/* --- the rule ------------------------------------------------------------ */

static mcd_gate_known_ *known(mcd_gate *g, const mcd_addr *a,
                              uint32_t ifindex)
{
    for (size_t i = 0; i < MCD_GATE_KNOWN; i++)
        if (g->known[i].seen != 0 && g->known[i].ifindex == ifindex &&
            mcd_addr_equal(&g->known[i].addr, a))
            return &g->known[i];
    return NULL;
}

/* Remember a querier the kernel resolved: its own entry, else the one
 * seen longest ago. */
static void remember(mcd_gate *g, const mcd_addr *a, uint32_t ifindex,
                     mcd_time now)
{
    mcd_gate_known_ *k = known(g, a, ifindex);

    if (k == NULL) {
        k = &g->known[0];
        for (size_t i = 1; i < MCD_GATE_KNOWN; i++)
            if (g->known[i].seen < k->seen)
                k = &g->known[i];
        k->addr = *a;
        k->ifindex = ifindex;
    }
    k->seen = now ? now : 1;
}

enum mcd_ignore mcd_gate_admit_(mcd_gate *g, mcd_time now, const mcd_addr *a,
                                uint32_t ifindex, enum mcd_nstate st,
                                bool crowded)
{
    mcd_time *oldest = &g->cold[g->cold_next];

    if (st == MCD_N_RESOLVED) {
        remember(g, a, ifindex, now);
        return MCD_IGNORE_NONE;
    }
    /* Resolved before: its entry was evicted or went stale; one more
     * resolution for a host that answered ARP/ND is worth it. */
    if (known(g, a, ifindex) != NULL && st != MCD_N_FAILED)
        return MCD_IGNORE_NONE;
    /* The kernel just gave up on it, or the send buffer is half full of
     * replies waiting already: answering would only wait and fail. */
    if (st == MCD_N_FAILED || crowded)
        return MCD_IGNORE_UNRESOLVED;
    /* At most MCD_GATE_COLD replies to never-resolved queriers in any
     * MCD_GATE_HOLD_US: the time ARP/ND takes to give up. */
    if (*oldest != 0 && now - *oldest < MCD_GATE_HOLD_US)
        return MCD_IGNORE_UNRESOLVED;
    *oldest = now ? now : 1;
    g->cold_next = (g->cold_next + 1) % MCD_GATE_COLD;
    return MCD_IGNORE_NONE;
}
