/*
 * links.h - which interfaces hold a group's membership and what their
 * prefixes are, kept in line with the links as they come and go
 * (links.c). The POSIX layer's own unit, not installed.
 */
#ifndef MCD_LINKS_H
#define MCD_LINKS_H

#include "net.h"

/* An address of this host and its prefix length, by interface. */
typedef struct mcd_prefix {
    uint32_t ifindex;
    mcd_addr addr; /* without zone */
    uint8_t bits;
    bool peer; /* the other end of a point-to-point link, not ours */
} mcd_prefix;

/* Whether the addresses of interface `ifindex` are wanted. */
typedef bool (*mcd_prefix_want_fn)(const void *ctx, uint32_t ifindex);

/* The addresses of this host's interfaces with their prefix lengths
 * (getifaddrs), those of the interfaces `want` takes (NULL: all), with
 * `peers` the peers of point-to-point links too (as /32, /128). Returns
 * the count with *out set (to free; NULL when 0), or -errno. */
int mcd_prefixes_read_(mcd_prefix_want_fn want, const void *ctx, bool peers,
                       mcd_prefix **out);

/* A client's view of which sources are on the link a datagram came in on:
 * every address of this host with its prefix (and point-to-point peers),
 * re-read when a source is not found (an address may have been added),
 * at most every 100 ms. Zeroed to start; mcd_onlink_free_() at the end. */
typedef struct mcd_onlink_ {
    mcd_prefix *prefixes;
    size_t n;
    mcd_time refreshed_at;
} mcd_onlink_;

/* Whether `src`, arrived on `ifindex`, is on that link: link-local, an
 * address of this host (a device on the same host answers over
 * loopback), or inside a prefix of that interface. *broadcast (may be
 * NULL): it is that prefix's IPv4 broadcast address. */
bool mcd_onlink_check_(mcd_onlink_ *c, const mcd_addr *src,
                       uint32_t ifindex, bool *broadcast);
void mcd_onlink_free_(mcd_onlink_ *c);

/* A growable array of fixed-size items. */
typedef struct mcd_vec_ {
    void *items;
    size_t n, cap;
} mcd_vec_;

/* One group's memberships on the interfaces the user asked for (or every
 * usable one), spread over sockets on one port (msocks.c), and the
 * prefixes of the joined interfaces. A netlink socket reports link and
 * address changes: it joins again where an interface appears or comes
 * back, and leaves where one goes. The responder has one; the receiver
 * one per group, their sockets shared by the groups of a port and one
 * netlink socket for all (mcd_links_follow_()). Zeroed, then nl_fd = -1,
 * to start. */
typedef struct mcd_links {
    mcd_addr group;  /* with its zone, if the user gave one */
    mcd_addr source; /* source-specific: the source; else MCD_AF_NONE */
    mcd_msocks own;
    mcd_msocks *socks; /* &own, or the caller's */
    int nl_fd;         /* -1: the caller follows the links */
    char *specs[MCD_MAX_IFACES]; /* what the user asked for */
    size_t nspecs;
    bool wait_ifaces;
    mcd_vec_ joined;   /* interfaces holding the membership, by socket */
    mcd_vec_ skipped;  /* joins that failed, with the error reported */
    mcd_vec_ state;    /* links known, 1 if up and running */
    mcd_vec_ prefixes; /* mcd_prefix: of the joined interfaces */
    mcd_time refreshed_at;
    mcd_event_fn on_event;
    void *ctx;
} mcd_links;

/* What mcd_links_open_() needs. */
typedef struct mcd_links_config {
    const mcd_addr *group;
    const mcd_addr *source; /* NULL: any source */
    mcd_msocks *shared;     /* sockets to join on; NULL: its own: */
    uint16_t port;
    size_t first_max; /* most memberships on the first socket; 0: any */
    bool no_netlink;  /* the caller calls mcd_links_follow_() */
    const char *const *specs;
    size_t nspecs; /* at most MCD_MAX_IFACES */
    bool wait_ifaces;
    mcd_event_fn on_event; /* JOINED, LEFT, JOIN_ERROR, LINK, ERROR */
    void *ctx;
} mcd_links_config;

/* Copy the specs, open the first socket (unless the shared set has one)
 * and the netlink socket; join nothing yet (mcd_links_resync_()). Returns
 * 0 or an error; close with mcd_links_close_() either way (shared sockets
 * stay open). */
int mcd_links_open_(mcd_links *l, const mcd_links_config *cfg);
/* Bring the memberships in line with the interfaces that exist now and
 * read the joined interfaces' prefixes. `first`: at open, where a named
 * interface that fails is an error (*bad_iface: its spec) unless waiting
 * for interfaces, and something must be joined. Returns 0 or an error. */
int mcd_links_resync_(mcd_links *l, bool first, size_t *bad_iface);
/* Read the link changes waiting on nl_fd, report them, and resync. */
void mcd_links_process_(mcd_links *l);
/* The same for n units following one netlink socket, `nl_fd`. */
void mcd_links_follow_(mcd_links *ls, size_t n, int nl_fd);
void mcd_links_close_(mcd_links *l);

/* Whether the membership is held on `ifindex`. */
bool mcd_links_joined_(const mcd_links *l, uint32_t ifindex);
/* The index in socks of the socket holding it on `ifindex`, or SIZE_MAX. */
size_t mcd_links_holder_(const mcd_links *l, uint32_t ifindex);
/* The i-th joined interface (i < joined.n). */
uint32_t mcd_links_iface_at_(const mcd_links *l, size_t i);
/* The joined interfaces, up to cap of them. Returns how many. */
size_t mcd_links_ifaces_(const mcd_links *l, uint32_t *idx, size_t cap);
/* Send one datagram to `to` (a group) from socket `fd` out of every
 * joined interface, a copy each: a group's datagram leaves by one
 * interface. Each failure is reported as an MCD_EV_ERROR named `what`
 * (NULL: not reported). Returns how many copies the kernel took. */
size_t mcd_links_send_each_(const mcd_links *l, int fd, const uint8_t *data,
                            size_t len, const mcd_endpoint *to,
                            const char *what);

/* Make sure the prefixes of a joined `ifindex` are known: missing ones
 * mean the last read failed or raced an address change; read again, at
 * most every 100 ms. */
void mcd_links_prefixes_for_(mcd_links *l, uint32_t ifindex);
/* Is `a` on the link of `ifindex` (link-local, or inside one of its
 * prefixes)? */
bool mcd_links_on_link_(const mcd_links *l, const mcd_addr *a,
                        uint32_t ifindex);
/* Is `a` an address of a joined interface? */
bool mcd_links_own_(const mcd_links *l, const mcd_addr *a);
/* The longest prefix of `ifindex` holding `a`, in bits (0: none). */
uint8_t mcd_links_prefix_len_(const mcd_links *l, const mcd_addr *a,
                              uint32_t ifindex);

#endif
