/*
 * mcdisc/posix.h - libmcdisc's POSIX layer (src/net): the responder, the
 * query client, the test-traffic receiver and sender on real sockets,
 * exposing file descriptors and a timeout so any event loop can drive
 * them. Linux first. It wraps the cores of mcdisc/core.h.
 */
#ifndef MCDISC_POSIX_H
#define MCDISC_POSIX_H

#include "mcdisc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* POSIX layer (src/net): sockets around the cores                           */

/* Resolve address text with a named or numeric zone ("fe80::1%eth0").
 * Returns 0, MCD_E_BADADDR, MCD_E_NOIFACE, or MCD_E_INVAL (NULL). */
MCD_EXTERN
int mcd_addr_resolve(const char *text, mcd_addr *out);

/* An interface given by name, index or one of its addresses. */
typedef struct mcd_iface {
    uint32_t index;
    char name[32];
    bool up, multicast, loopback;
    bool has_v4, has_v6;
    mcd_addr v4; /* first IPv4 address, when has_v4 */
    size_t spec; /* mcd_iface_select(): the spec it came from, or SIZE_MAX */
} mcd_iface;

/* Look up `spec` (name, decimal index or address) and fill *out.
 * Returns 0 or MCD_E_NOIFACE, -errno. */
MCD_EXTERN
int mcd_iface_lookup(const char *spec, mcd_iface *out);

/* Choose interfaces for `group`: each spec in `specs` (must be up,
 * multicast-capable, and hold an address of the group's family); when
 * n_specs is 0, the group's zone if it has one (ff02::1%eth0), else every
 * such interface that is not loopback. A zoned group with specs requires
 * each to be the zone. Fills up to cap entries of out, duplicates once.
 * Returns the count, or an error with *bad (when not NULL) the index of the
 * spec at fault, SIZE_MAX when no spec is. */
MCD_EXTERN
int mcd_iface_select(const mcd_addr *group, const char *const *specs,
                     size_t n_specs, mcd_iface *out, size_t cap, size_t *bad);

/* Something the POSIX layer reports to the application (for logs). */
typedef struct mcd_event {
    enum {
        MCD_EV_DATAGRAM, /* a datagram was handled */
        MCD_EV_ERROR,    /* a send or receive failed; the object goes on */
        MCD_EV_JOIN_ERROR, /* a join failed on an interface that was not
                              named; it is skipped (`what`: its name) */
        MCD_EV_JOINED,     /* joined on an interface (`what`: its name) */
        MCD_EV_LEFT,       /* an interface went away or down */
        MCD_EV_LINK        /* a link or address changed (`what`: which) */
    } kind;
    const mcd_endpoint *from; /* EV_DATAGRAM */
    const mcd_addr *dst;      /* EV_DATAGRAM, NULL when unknown */
    uint32_t ifindex;
    size_t len;
    enum mcd_ignore why; /* MCD_IGNORE_NONE: a reply was scheduled (its
                            fate is counted: mcd_responder_answered) */
    int err;             /* EV_ERROR: -errno */
    const char *what;    /* EV_ERROR: which call */
} mcd_event;

typedef void (*mcd_event_fn)(void *ctx, const mcd_event *ev);

#define MCD_MAX_IFACES 32

/* --- responder ---------------------------------------------------------- */

typedef struct mcd_responder_config {
    /* What every socket layer's responder takes (mcdisc/core.h); the
     * group may name a zone ("ff02::1%eth0"). */
    mcd_responder_opts opts;
    const char *const *ifaces; /* NULL/0: every usable interface */
    size_t n_ifaces;
    bool wait_ifaces;        /* named interfaces that are missing or down
                                are waited for instead of an error */
    mcd_event_fn on_event;   /* may be NULL */
    void *ctx;
} mcd_responder_config;

/* Fill cfg with the defaults: mcd_responder_opts_init() for opts, every
 * usable interface, no callback. */
MCD_EXTERN
void mcd_responder_config_init(mcd_responder_config *cfg);

typedef struct mcd_responder mcd_responder;

/* Open sockets, join the group on each interface and start answering.
 * On failure *bad_iface (if not NULL) gets the index of the interface spec
 * at fault, or SIZE_MAX. Returns 0 or a negative error. */
MCD_EXTERN
int mcd_responder_open(mcd_responder **out, const mcd_responder_config *cfg,
                       size_t *bad_iface);
/* Check what mcd_responder_open() and mcd_responder_update() would make
 * of cfg's options, opening nothing: the group, the texts, the id, the
 * extended reply (TXT, LIFETIME, the MAC) and the announcement and
 * goodbye, which must fit MCD_EXT_MAX. Returns 0 or the error they would
 * return (MCD_E_TOOLONG: the TXT pairs do not fit). */
MCD_EXTERN
int mcd_responder_check(const mcd_responder_config *cfg);
/* Descriptors to poll for reading: the socket, a netlink socket that
 * tells of link and address changes, then one more socket per
 * net.ipv4.igmp_max_memberships interfaces (the kernel's limit for one
 * socket) beyond the first. Fills up to cap; returns the count filled.
 * Their number can grow in mcd_responder_process() as interfaces appear:
 * ask again before each poll (mcd_responder_nfds() says how many). */
MCD_EXTERN
size_t mcd_responder_fds(const mcd_responder *r, int *fds, size_t cap);
/* How many descriptors mcd_responder_fds() has now. */
MCD_EXTERN
size_t mcd_responder_nfds(const mcd_responder *r);
/* Milliseconds until mcd_responder_process() must run again, -1: none. */
MCD_EXTERN
int mcd_responder_timeout(const mcd_responder *r);
/* Feed readiness: `fd` is one of mcd_responder_fds() that poll found
 * readable (datagrams, or link changes: the responder joins where an
 * interface appeared), or -1 when the timeout expired. Sends what is due.
 * Bad input never fails it; returns 0, or a negative error when the socket
 * itself failed (not for ICMP errors of earlier sends, only reported). */
MCD_EXTERN
int mcd_responder_process(mcd_responder *r, int fd);
/* Replies the kernel accepted so far (not those merely scheduled). */
MCD_EXTERN
uint64_t mcd_responder_answered(const mcd_responder *r);
/* The instance id extended replies carry (opts.id, else derived from
 * /etc/machine-id or the host name, the name, protocol and service port:
 * docs/PROTOCOL.md "The id"). Returns false when there is none. */
MCD_EXTERN
bool mcd_responder_id(const mcd_responder *r, uint8_t id[MCD_EXT_ID_LEN]);
/* Datagrams ignored so far for reason `why`; MCD_IGNORE_SEND_FAILED and
 * MCD_IGNORE_UNRESOLVED count scheduled replies that did not leave. */
MCD_EXTERN
uint64_t mcd_responder_ignored(const mcd_responder *r, enum mcd_ignore why);
/* Interfaces holding the membership now (fills up to cap indexes). */
MCD_EXTERN
size_t mcd_responder_ifaces(const mcd_responder *r, uint32_t *idx,
                            size_t cap);
/* Change what a running responder answers and its limits (the texts,
 * the rules, the delay and rate limits of cfg->opts; on_event and ctx)
 * without touching its sockets or memberships: cfg names the same group
 * and port (else MCD_E_INVAL), its interfaces are not read. Replies still
 * pending are dropped; the counters go on. Returns 0, or a negative error
 * (as mcd_responder_open's; all mcd_responder_check() checks) with r
 * unchanged: answering, announcing and signing as before. */
MCD_EXTERN
int mcd_responder_update(mcd_responder *r, const mcd_responder_config *cfg);
/* Leave the group, close the sockets, free r (NULL is fine). */
MCD_EXTERN
void mcd_responder_close(mcd_responder *r);
/* The live view: stop announcing and say goodbye (twice, 100 ms apart:
 * keep calling mcd_responder_process() on its timeout until
 * mcd_responder_stopped(), then close). Without a lifetime
 * (opts.lifetime 0) or an id there is nothing to say: stopped at once. */
MCD_EXTERN
void mcd_responder_stop(mcd_responder *r);
MCD_EXTERN
bool mcd_responder_stopped(const mcd_responder *r);

/* --- watch: the live view (src/net/watch.c) -------------------------------- */

/* A watcher: joins the group to hear announcements and goodbyes, queries
 * at start, then refreshes with known answers as devices fall due, and
 * reports what changed (docs/PROTOCOL.md, "Live view and keys"). */
typedef struct mcd_watcher mcd_watcher;

typedef struct mcd_watcher_config {
    const char *group;         /* NULL: MCD_DEFAULT_GROUP */
    uint16_t port;             /* 0: MCD_DEFAULT_PORT */
    const char *const *ifaces; /* NULL/0: every usable interface */
    size_t n_ifaces;
    const char *query;         /* NULL: MCD_DEFAULT_QUERY */
    size_t max_devices;        /* 0: 4096 */
    uint32_t default_lifetime; /* s, for chapter devices; 0: 120 */
    bool chapter_only;         /* only plain queries, no extension */
    const mcd_mac_key *mac;    /* keys: NULL, unkeyed (borrowed) */
    mcd_event_fn on_event;     /* joins, links, errors; may be NULL */
    void *ctx;
} mcd_watcher_config;

/* What changed: ev, and the device (for a GONE: its last state). */
typedef void (*mcd_watcher_fn)(void *ctx, enum mcd_watch_event ev,
                               const mcd_watch_dev *dev);

MCD_EXTERN
int mcd_watcher_open(mcd_watcher **out, const mcd_watcher_config *cfg,
                     mcd_watcher_fn fn, void *ctx, size_t *bad_iface);
/* Descriptors to poll for reading, up to cap; how many. */
MCD_EXTERN
size_t mcd_watcher_fds(const mcd_watcher *w, int *fds, size_t cap);
/* Milliseconds until mcd_watcher_process() must run again (-1: none). */
MCD_EXTERN
int mcd_watcher_timeout(const mcd_watcher *w);
/* `fd` readable, or -1 for the timers: reads, expires, sends what is due.
 * Returns 0 or an error of the sockets. */
MCD_EXTERN
int mcd_watcher_process(mcd_watcher *w, int fd);
/* The table (to draw it) and its counters. */
MCD_EXTERN
const mcd_watch *mcd_watcher_table(const mcd_watcher *w);
/* Datagrams sent (queries and plain copies), replies and announcements
 * taken. */
MCD_EXTERN
void mcd_watcher_counts(const mcd_watcher *w, uint64_t *sent,
                        uint64_t *heard);
MCD_EXTERN
void mcd_watcher_close(mcd_watcher *w);

/* --- keys (src/net/keyfile.c, src/net/mac_mbedtls.c) --------------------- */

/* A pre-shared key (docs/PROTOCOL.md, "Keys: authenticated replies") and
 * the core's view of it (mac: HMAC-SHA-256 from mbedTLS, cut to 16
 * bytes; key id: the first 4 bytes of SHA-256(key)). */
#define MCD_KEY_MIN 16
#define MCD_KEY_MAX 1024
typedef struct mcd_key {
    mcd_mac_key mac; /* mac.ctx points at this struct: do not copy it */
    size_t len;
    uint8_t key[MCD_KEY_MAX];
} mcd_key;

/* Load a key file: its bytes with one trailing newline removed. Refused
 * as ssh refuses a loose private key: MCD_E_KEYPERM (group or others may
 * read or write it), MCD_E_KEYTYPE (not a regular file), MCD_E_KEYSHORT,
 * MCD_E_KEYLONG, -errno (cannot open or read it), MCD_E_UNSUPPORTED
 * (built without mbedTLS). */
MCD_EXTERN
int mcd_key_load(mcd_key *k, const char *path);
/* The same from bytes (MCD_E_KEYSHORT, MCD_E_KEYLONG, MCD_E_UNSUPPORTED). */
MCD_EXTERN
int mcd_key_set(mcd_key *k, const uint8_t *key, size_t len);
/* Forget the key's bytes. */
MCD_EXTERN
void mcd_key_wipe(mcd_key *k);
/* HMAC-SHA-256 (mbedTLS), whole: for tests against RFC 4231. Returns 0,
 * MCD_E_UNSUPPORTED or MCD_E_INVAL. */
MCD_EXTERN
int mcd_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data,
                    size_t len, uint8_t out[32]);

/* --- query (client) ----------------------------------------------------- */

typedef struct mcd_query_config {
    const char *group;         /* NULL: MCD_DEFAULT_GROUP */
    uint16_t port;             /* 0: MCD_DEFAULT_PORT */
    const char *const *ifaces; /* NULL/0: every usable interface */
    size_t n_ifaces;
    int ttl;                   /* 0: MCD_DEFAULT_TTL */
    uint32_t timeout_ms;       /* 0: 2000 */
    uint32_t sends;            /* copies of the query; 0: as many as fit */
    uint32_t interval_ms;      /* first gap, doubling; 0: 100 */
    uint32_t max_interval_ms;  /* the gap's cap; 0: 100 */
    uint32_t count;            /* 0: no limit */
    const char *query;         /* NULL: MCD_DEFAULT_QUERY */
    size_t max_devices;        /* 0: 4096 */
    uint32_t per_source;       /* devices per source address at most;
                                  0: MCD_DEFAULT_PER_SOURCE */
    bool chapter_only;         /* only the chapter's plain query */
    uint32_t window_ms;        /* the extension's reply window;
                                  0: MCD_EXT_DEFAULT_WINDOW_MS */
    const mcd_mac_key *mac;    /* keys: NULL, unkeyed (see mcd_key) */
    bool require_auth;         /* list verified devices only */
} mcd_query_config;

/* Devices listed per source address: a host runs a few responders (one
 * per port, or a gateway answering for the devices behind it), and 16
 * leaves room for that while one forging host can take at most 16 of the
 * 4096 entries (docs/PROTOCOL.md, "The client"). */
#define MCD_DEFAULT_PER_SOURCE 16

/* What a query saw besides its devices (mcd_query_get_stats()). */
typedef struct mcd_query_stats {
    size_t found;         /* devices listed */
    uint64_t full;        /* replies of devices not listed: the table
                             was full */
    uint64_t capped;      /* replies of devices not listed: their source
                             address already had per_source devices */
    uint64_t bad_source;  /* replies from port 0 or a non-unicast address */
    uint64_t off_link;    /* replies from off the link (TTL 1) */
    uint64_t bad_nonce;   /* extended replies without our nonce */
    uint64_t bad_mac;     /* keyed: extended replies whose MAC was wrong */
    uint64_t unverified;  /* require_auth: replies dropped, not verified */
    uint64_t other;       /* malformed, a query, sent to a group */
    uint64_t received;    /* datagrams received, whatever they were */
    uint32_t copies;      /* copies of the query due so far */
    uint32_t copies_unsent; /* copies that no interface could send */
    uint64_t send_errors; /* failed sends, one per interface per copy */
    int last_send_error;  /* the latest send error (-errno), 0: none */
    size_t ifaces;        /* interfaces queried */
    size_t ifaces_skipped; /* usable ones that could not be set up (gone
                              meanwhile, out of descriptors); only when
                              none was named */
    char skipped_first[32]; /* the first of them, and why */
    int skipped_err;
} mcd_query_stats;

typedef struct mcd_query mcd_query;
typedef void (*mcd_device_fn)(void *ctx, const mcd_device *dev);

/* Open one socket per interface and schedule the first query at once.
 * Returns 0 or a negative error (*bad_iface as for the responder). */
MCD_EXTERN
int mcd_query_open(mcd_query **out, const mcd_query_config *cfg,
                   size_t *bad_iface);
/* Descriptors to poll for reading: fills up to cap, returns the count. */
MCD_EXTERN
size_t mcd_query_fds(const mcd_query *q, int *fds, size_t cap);
/* How many descriptors there are (one per interface; may exceed
 * MCD_MAX_IFACES when no interface was named). */
MCD_EXTERN
size_t mcd_query_nfds(const mcd_query *q);
/* Milliseconds until mcd_query_process() must run again (>= 0). */
MCD_EXTERN
int mcd_query_timeout(const mcd_query *q);
/* Send what is due, read every waiting reply, call `fn` once per new
 * device. A copy of the query that no interface could send because a link
 * is down or going (ENETUNREACH, ENODEV, ENOBUFS...) is counted as lost
 * (mcd_query_get_stats()), not an error. Returns 0, or a negative error. */
MCD_EXTERN
int mcd_query_process(mcd_query *q, mcd_device_fn fn, void *ctx);
/* Also call `fn` (with mcd_query_process's ctx) when a listed device
 * gains an address, its id or its full TXT (MCD_Q_UPDATE); NULL: never. */
MCD_EXTERN
void mcd_query_on_update(mcd_query *q, mcd_device_fn fn);
/* Device i of those found (0 to mcd_query_found() - 1), else NULL. Valid
 * until mcd_query_close(). */
MCD_EXTERN
const mcd_device *mcd_query_device(const mcd_query *q, size_t i);
/* True once the timeout passed or `count` devices answered. */
MCD_EXTERN
bool mcd_query_done(const mcd_query *q);
/* Name of an interface the query uses, by index ("?" when unknown). */
MCD_EXTERN
const char *mcd_query_ifname(const mcd_query *q, uint32_t ifindex);
/* Devices found so far. */
MCD_EXTERN
size_t mcd_query_found(const mcd_query *q);
/* Counters so far: replies refused and why, copies that could not be sent. */
MCD_EXTERN
void mcd_query_get_stats(const mcd_query *q, mcd_query_stats *st);
/* Close the sockets and free q and its device table (NULL is fine). */
MCD_EXTERN
void mcd_query_close(mcd_query *q);

/* Blocking convenience: run a whole query, calling fn per device.
 * Returns the number of devices found, or a negative error: MCD_E_FULL
 * when the device table filled up and devices were left out (those that
 * fit were passed to fn). */
MCD_EXTERN
int mcd_discover(const mcd_query_config *cfg, mcd_device_fn fn, void *ctx);

/* --- multicast test traffic (src/net/mcast.c, receiver.c, sender.c) ----- */

/* A group to receive or send to, optionally source-specific. */
typedef struct mcd_group_spec {
    mcd_addr group;  /* scope_id: the zone of an IPv6 group, 0 if none */
    mcd_addr source; /* family MCD_AF_NONE: any source (*,G) */
    uint16_t port;
} mcd_group_spec;

/* Parse "GROUP", "GROUP:PORT" (IPv4) or "[GROUP]:PORT" (IPv6, with an
 * optional %zone, by name or index) with mcd_group_text_parse(), and
 * resolve the zone (src/net/sockaddr.c). The port defaults to
 * default_port. Returns 0, MCD_E_BADADDR, MCD_E_NOIFACE (unknown zone),
 * MCD_E_NOTMCAST or MCD_E_BADPORT, in that order, or MCD_E_INVAL. */
MCD_EXTERN
int mcd_group_spec_parse(const char *text, uint16_t default_port,
                         mcd_group_spec *out);

/* One received datagram. `data` holds min(len, MCD_RX_KEEP) bytes. */
#define MCD_RX_KEEP 2048
typedef struct mcd_datagram {
    const uint8_t *data;
    size_t len; /* its true length */
    mcd_endpoint from;
    mcd_endpoint dst; /* the group and port it was sent to */
    uint32_t ifindex;
    mcd_time at;         /* monotonic, microseconds */
    uint64_t at_real_us; /* realtime, microseconds since 1970 */
} mcd_datagram;

typedef void (*mcd_datagram_fn)(void *ctx, const mcd_datagram *dg);

typedef struct mcd_receiver mcd_receiver;

/* Join each group (any-source, or source-specific when source is set) on
 * each interface (every usable one of the family when n_ifaces is 0,
 * however many), on sockets bound to wildcard:port with IP_MULTICAST_ALL
 * off: past the memberships the kernel allows one socket, more such
 * sockets. Only datagrams sent to one of the groups (and from its source,
 * for SSM) are delivered. An interface it chose itself that the kernel
 * does not let join is skipped (mcd_receiver_skipped()), as long as the
 * group joined somewhere. Like the responder it follows link changes
 * (netlink): it joins again where an interface appears or comes back
 * (deleted and created again, say) and leaves where one goes. At most
 * MCD_MAX_IFACES interfaces named (MCD_E_FULL). Returns 0 or a negative
 * error; *bad_iface as for the responder. */
MCD_EXTERN
int mcd_receiver_open(mcd_receiver **out, const mcd_group_spec *groups,
                      size_t n_groups, const char *const *ifaces,
                      size_t n_ifaces, size_t *bad_iface);
/* How many descriptors it has: one or more sockets per family and port,
 * and the netlink socket. The sockets can grow in mcd_receiver_process()
 * as interfaces appear: ask again before each poll. */
MCD_EXTERN
size_t mcd_receiver_nfds(const mcd_receiver *r);
/* Descriptors to poll for reading: fills up to cap, returns the count. */
MCD_EXTERN
size_t mcd_receiver_fds(const mcd_receiver *r, int *fds, size_t cap);
/* Milliseconds until mcd_receiver_process() must run again: always -1,
 * nothing in it is timed (the same verbs as the other handles). */
MCD_EXTERN
int mcd_receiver_timeout(const mcd_receiver *r);
/* Follow link changes, then read what waits on every socket (recvmmsg
 * batches), calling fn per datagram of the groups. Returns the number
 * delivered, or -errno. */
MCD_EXTERN
int mcd_receiver_process(mcd_receiver *r, mcd_datagram_fn fn, void *ctx);
/* Datagrams that reached the sockets but not for the groups (unicast to
 * the port, another group, another source). */
MCD_EXTERN
uint64_t mcd_receiver_foreign(const mcd_receiver *r);
/* Interfaces joined, by index (fills up to cap; returns the count), and
 * how many there are. */
MCD_EXTERN
size_t mcd_receiver_ifaces(const mcd_receiver *r, uint32_t *idx, size_t cap);
MCD_EXTERN
size_t mcd_receiver_nifaces(const mcd_receiver *r);
/* The name interface `ifindex` had when joined (NULL: not joined). */
MCD_EXTERN
const char *mcd_receiver_ifname(const mcd_receiver *r, uint32_t ifindex);
/* A join skipped: group `group` (its index in the groups given to open)
 * on an interface the receiver chose itself, refused with `err`. */
typedef struct mcd_receiver_skip {
    size_t group;
    uint32_t ifindex;
    char name[32];
    int err;
} mcd_receiver_skip;
/* The i-th join skipped; false past the last. */
MCD_EXTERN
bool mcd_receiver_skipped(const mcd_receiver *r, size_t i,
                          mcd_receiver_skip *out);
/* Close the sockets (memberships go with them) and free r. */
MCD_EXTERN
void mcd_receiver_close(mcd_receiver *r);

typedef struct mcd_sender mcd_sender;

/* A socket to send to `dest` out of interface `iface` (name, index or
 * address; NULL: the first usable interface of the family), with TTL /
 * hop limit `ttl` and multicast loopback on or off. */
MCD_EXTERN
int mcd_sender_open(mcd_sender **out, const mcd_group_spec *dest,
                    const char *iface, int ttl, bool loop);
/* The interface the sender uses. */
MCD_EXTERN
const mcd_iface *mcd_sender_iface(const mcd_sender *s);
/* Send n datagrams, batched in one system call where the OS has one
 * (sendmmsg). Blocks while the socket buffer is full. Returns how many
 * were handled (all of them unless an error came first; those a local
 * firewall refused are counted by mcd_sender_refused()) or -errno. */
MCD_EXTERN
int mcd_sender_send(mcd_sender *s, const uint8_t *const *bufs,
                    const size_t *lens, size_t n);
/* Datagrams the local stack refused (a firewall's EPERM, or an error
 * sendmmsg() did not report); mcd_sender_send() counts them as handled but
 * they never left. */
MCD_EXTERN
uint64_t mcd_sender_refused(const mcd_sender *s);
/* Close the socket and free s (NULL is fine). */
MCD_EXTERN
void mcd_sender_close(mcd_sender *s);

/* Clocks the POSIX layer drives the cores with: monotonic and realtime,
 * in microseconds. */
MCD_EXTERN
mcd_time mcd_clock_mono(void);
MCD_EXTERN
uint64_t mcd_clock_real_us(void);

#ifdef __cplusplus
}
#endif

#endif /* MCDISC_POSIX_H */
