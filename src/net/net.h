/*
 * net.h - the POSIX socket layer's internal helpers (not installed).
 */
#ifndef MCD_NET_H
#define MCD_NET_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "mcdisc.h"

/* Monotonic clock in microseconds: the `now` the cores are driven with. */
mcd_time mcd_now_(void);
/* A random number from the kernel's generator (getrandom). */
uint32_t mcd_random_(void);
/* A query's nonce from the kernel's pool (getrandom), waiting for the
 * pool at early boot. Returns 0 or -errno. */
int mcd_nonce_(uint8_t nonce[MCD_EXT_NONCE_LEN]);

/* The network namespace's link text (under `proc`, "/proc") when it is
 * not PID 1's, for the default id; 0 when it is, or cannot be told. */
size_t mcd_netns_identity_(const char *proc, char *buf, size_t cap);

/* Conversions between the cores' values and sockaddrs. */
socklen_t mcd_to_sockaddr_(const mcd_endpoint *ep, struct sockaddr_storage *ss);
int mcd_from_sockaddr_(const struct sockaddr *sa, mcd_endpoint *ep);
int mcd_family_af_(enum mcd_family f);
/* The prefix length a netmask stands for (its one bits; 0 for NULL or a
 * mask of no known family). */
uint8_t mcd_mask_bits_(const struct sockaddr *mask);

/* What arrived with a datagram. */
typedef struct mcd_rx {
    mcd_endpoint from;
    mcd_addr dst;
    bool has_dst;
    uint32_t ifindex;
    size_t len; /* true length, even when larger than the buffer */
} mcd_rx;

/* A UDP socket of `family`, non-blocking, close-on-exec, with pktinfo on.
 * Returns the descriptor or -errno. */
int mcd_sock_udp_(enum mcd_family family);
/* Bind to the wildcard address and `port` (0: ephemeral). */
int mcd_sock_bind_any_(int fd, enum mcd_family family, uint16_t port);
/* Share the port with other programs (SO_REUSEADDR; see sock.c). */
int mcd_sock_reuse_(int fd);
/* Deliver only groups this socket joined (IP_MULTICAST_ALL = 0). */
int mcd_sock_mcast_all_off_(int fd, enum mcd_family family);
/* Join `group` on interface `ifindex` (RFC 3678 MCAST_JOIN_GROUP). */
int mcd_sock_join_(int fd, const mcd_addr *group, uint32_t ifindex);
/* Leave `group` on interface `ifindex` (MCAST_LEAVE_GROUP). The kernel
 * keeps a socket's membership after its interface is deleted, counted
 * against the socket's limit, until it is left by the old index. */
int mcd_sock_leave_(int fd, const mcd_addr *group, uint32_t ifindex);
/* Join `group` from `source` only (RFC 3678 MCAST_JOIN_SOURCE_GROUP). */
int mcd_sock_join_source_(int fd, const mcd_addr *group,
                          const mcd_addr *source, uint32_t ifindex);
/* Fill rx's destination and interface from a received message's pktinfo. */
struct msghdr;
void mcd_sock_read_pktinfo_(struct msghdr *msg, mcd_rx *rx);
/* Outgoing multicast: interface, TTL / hop limit, loopback. */
int mcd_sock_mcast_out_(int fd, enum mcd_family family, uint32_t ifindex,
                        int ttl, bool loop);
/* Ask for a receive buffer of `bytes`, forced past rmem_max when allowed.
 * Returns the size granted (>0) or -errno. */
int mcd_sock_rcvbuf_(int fd, int bytes);
/* The receive buffer of a socket that gets the replies to a query
 * (discover's, watch's): 4 MiB, room for hundreds landing at once, as
 * mcd_sock_rcvbuf_ grants it. Returns 0 or -errno. */
int mcd_sock_replies_rcvbuf_(int fd);
/* The send buffer's size in bytes, or -errno. */
int mcd_sock_sndbuf_(int fd);
/* Bytes the kernel still holds of what was sent on fd (SIOCOUTQ), or
 * -errno. */
int mcd_sock_outq_(int fd);
/* Receive one datagram into buf. Returns 0, -EAGAIN when none waits, or
 * -errno. */
int mcd_sock_recv_(int fd, uint8_t *buf, size_t cap, mcd_rx *rx);
/* Batches: up to MCD_SOCK_BATCH datagrams in one system call. */
#define MCD_SOCK_BATCH 32

/* Receive up to n datagrams (recvmmsg) into bufs, `stride` bytes each;
 * rx[i] tells each one's true length, source, destination and interface
 * (from.addr.family is MCD_AF_NONE for a source of another family).
 * Returns the count, -EAGAIN when none waits, or -errno. */
int mcd_sock_recv_batch_(int fd, uint8_t *bufs, size_t stride, size_t n,
                         mcd_rx *rx);

/* One datagram to send: where, out of which interface (0: routing). The
 * core's mcd_rcore_tx itself, so a reply goes out as the core gave it. */
typedef mcd_rcore_tx mcd_sock_tx;

/* Send up to n datagrams (sendmmsg). Returns how many left; when fewer
 * than n, the next one failed with an error sendmmsg does not report.
 * -errno when the first one failed. */
int mcd_sock_send_batch_(int fd, const mcd_sock_tx *tx, size_t n);

/* Send `len` bytes to `to`, out of interface `ifindex` (0: routing
 * decides). Returns 0 or -errno. */
int mcd_sock_send_(int fd, const uint8_t *data, size_t len,
                   const mcd_endpoint *to, uint32_t ifindex);

/* rtnetlink: what changed, per message. */
typedef struct mcd_nl_change {
    enum {
        MCD_NL_NONE,
        MCD_NL_LINK_UP,   /* a link is up and running (new or back) */
        MCD_NL_LINK_DOWN, /* a link went down or lost its carrier */
        MCD_NL_LINK_GONE, /* a link was deleted */
        MCD_NL_ADDR_NEW,  /* an address was added */
        MCD_NL_ADDR_GONE  /* an address was removed */
    } kind;
    uint32_t ifindex;
    uint8_t family; /* ADDR_*: the address's (enum mcd_family) */
} mcd_nl_change;

/* A non-blocking NETLINK_ROUTE socket bound to the multicast `groups`
 * (a bit mask, RTMGRP_*). Returns the descriptor or -errno. */
int mcd_nl_socket_(uint32_t groups);
/* A netlink socket subscribed to link and address changes, non-blocking.
 * Returns the descriptor or -errno. */
int mcd_nl_open_(void);
/* Parse a buffer of rtnetlink messages into at most cap changes. Every
 * length is checked; a truncated message ends the walk. Returns the count. */
int mcd_nl_parse_(const uint8_t *buf, size_t len, mcd_nl_change *out,
                  size_t cap);
/* Read what waits on the socket. Returns the count of changes, or -errno
 * (-ENOBUFS: changes were lost, resync everything). */
int mcd_nl_read_(int fd, mcd_nl_change *out, size_t cap);

/* Sockets bound to wildcard:port of one family that share the port
 * (SO_REUSEADDR) with IP_MULTICAST_ALL off, holding between them more
 * memberships than the kernel lets one socket hold (msocks.c). */
typedef struct mcd_msock {
    int fd;
    size_t held; /* memberships it holds */
    bool full;   /* the kernel refused it one more */
} mcd_msock;

typedef struct mcd_msocks {
    mcd_msock *socks;
    size_t n, cap;
    enum mcd_family family;
    uint16_t port;
    size_t first_max; /* most memberships on socks[0]; 0: no such bound */
    int rcvbuf;       /* receive buffer asked for each socket; 0: default */
} mcd_msocks;

/* Bounds only the descriptors a host with thousands of interfaces makes
 * one set open: each socket takes what the kernel allows one socket. */
#define MCD_MSOCKS_MAX 256

/* Open one more socket. Returns its index or -errno (-ENOBUFS when the
 * set has MCD_MSOCKS_MAX). */
int mcd_msocks_add_(mcd_msocks *m);
/* Make one membership with join(ctx, fd) on the first socket with room;
 * when the kernel refuses a socket one more (ENOBUFS, ENOMEM), it is full
 * and the next is tried, opened if need be. Returns the socket's index, or
 * -errno: join's error on a socket holding nothing (another would refuse
 * too), or the error of opening one more. */
typedef int (*mcd_msocks_join_fn)(void *ctx, int fd);
int mcd_msocks_join_(mcd_msocks *m, mcd_msocks_join_fn join, void *ctx);
/* A membership of socket s was left: it has room again. */
void mcd_msocks_left_(mcd_msocks *m, size_t s);
/* Close every socket (their memberships go with them) and free the set. */
void mcd_msocks_close_(mcd_msocks *m);

/* mcd_iface_select() into an array of the size needed (*out, to free()):
 * with no specs, every usable interface however many, not the first cap.
 * Returns the count (then *out is set) or an error. */
int mcd_iface_select_alloc_(const mcd_addr *group, const char *const *specs,
                            size_t n_specs, mcd_iface **out, size_t *bad);

/* --- neighbours (neigh.c) ------------------------------------------------ */

/* What the kernel knows of a querier's link-layer address. */
enum mcd_nstate {
    MCD_N_UNKNOWN,  /* could not ask */
    MCD_N_NONE,     /* no entry */
    MCD_N_RESOLVED, /* reachable, stale, delay, probe, permanent, noarp */
    MCD_N_PENDING,  /* incomplete: ARP/ND under way */
    MCD_N_FAILED    /* ARP/ND gave up */
};

#define MCD_GATE_KNOWN 64  /* resolved queriers remembered */
#define MCD_GATE_COLD 64   /* replies waiting for a first resolution */
#define MCD_GATE_HOLD_US 3000000u /* ARP/ND's give-up time (3 x 1 s) */

typedef struct mcd_gate_entry_ {
    mcd_addr addr; /* without zone */
    uint32_t ifindex;
    mcd_time at; /* known: last seen resolved; cold: sent. 0: free */
} mcd_gate_entry_;

/* Which replies to on-link queriers leave (see neigh.c). Zeroed to start. */
typedef struct mcd_gate {
    mcd_gate_entry_ known[MCD_GATE_KNOWN];
    mcd_gate_entry_ cold[MCD_GATE_COLD];
} mcd_gate;

/* A netlink socket to ask about neighbours and hear of their changes,
 * non-blocking. Returns the descriptor or -errno. */
int mcd_neigh_open_(void);
/* Ask for the neighbour entry of each tx[i].to on tx[i].ifindex (at most
 * MCD_SOCK_BATCH), one request for all; st[i] gets each answer
 * (MCD_N_UNKNOWN where none came). Entries announced resolved meanwhile
 * are told to g. Returns 0 or -errno. */
int mcd_neigh_lookup_(int fd, const mcd_sock_tx *tx, size_t n,
                      enum mcd_nstate *st, mcd_gate *g, mcd_time now);
/* The kernel resolved `a` on `ifindex`: remember it, free its place among
 * the replies waiting for a resolution. */
void mcd_gate_resolved_(mcd_gate *g, mcd_time now, const mcd_addr *a,
                        uint32_t ifindex);

/* May a reply to `a` on `ifindex`, whose neighbour state is `st`, leave
 * at `now`? `crowded`: the socket's send buffer is half full already.
 * Returns MCD_IGNORE_NONE or MCD_IGNORE_UNRESOLVED. */
enum mcd_ignore mcd_gate_admit_(mcd_gate *g, mcd_time now, const mcd_addr *a,
                                uint32_t ifindex, enum mcd_nstate st,
                                bool crowded);

#endif
