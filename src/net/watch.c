/*
 * watch.c - the live view on POSIX sockets: the group's port, joined on
 * every link (links.c), hears announcements and goodbyes; one socket on
 * an ephemeral port sends the queries and gets the replies. The table,
 * its expiry and the refresh schedule are the core's (src/core/watch.c).
 *
 * Every datagram sent to the group starts with the query and a NUL (the
 * extended query) or is the plain query: the chapter's strcmp receiver
 * keeps answering (docs/PROTOCOL.md, compatibility rules).
 */
#include "net.h"

#include "links.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RX_BUF (MCD_EXT_MAX + 1)
/* The first sweep: three copies, as discover's (ms after the start). */
static const uint32_t sweep_ms[] = {0, 250, 1000};
#define SWEEPS (sizeof sweep_ms / sizeof sweep_ms[0])

#define NONCES 16

struct mcd_watcher {
    mcd_links links;     /* the group's port: announcements */
    int qfd;             /* queries out, replies in */
    mcd_endpoint dest;   /* the group and port */
    uint8_t query[MCD_QUERY_MAX];
    size_t qlen;
    /* A nonce per query: a reply is taken for a query sent in the last
     * MCD_EXT_WINDOW_MAX_MS (the longest a device may wait to answer),
     * never for an older one: a reply captured during the run and replayed
     * to a later query is refused, as in discover's runs. The last
     * NONCES queries are remembered (announcements arriving together each
     * ask at once). */
    uint8_t nonce[MCD_EXT_NONCE_LEN]; /* the latest */
    uint8_t nonces[NONCES][MCD_EXT_NONCE_LEN];
    mcd_time nonce_at[NONCES];
    size_t nonce_next;
    uint16_t salt;
    bool chapter_only;
    mcd_time start, next_sweep_at;
    size_t sweeps;       /* copies of the first sweep sent */
    mcd_time next_chapter; /* a plain sweep for chapter devices not seen */
    uint32_t default_lifetime;
    mcd_watch table;
    const mcd_mac_key *mac; /* keys: NULL when unkeyed */
    mcd_watch_dev *devs;
    mcd_watcher_fn fn;
    void *ctx;
    uint64_t sent, heard;
    /* Queries go out with TTL 1: what answers or announces from off the
     * link (a forged chapter reply needs no nonce) is refused, as in
     * discover. */
    mcd_onlink_ onlink;
    uint8_t rx[RX_BUF];
    uint8_t tx[MCD_EXT_MAX];
    uint8_t filter[MCD_EXT_MAX];
};

static int open_qsock(mcd_watcher *w)
{
    enum mcd_family f = w->dest.addr.family;
    int err;

    w->qfd = mcd_sock_udp_(f);
    if (w->qfd < 0)
        return w->qfd;
    err = mcd_sock_mcast_all_off_(w->qfd, f);
    if (err == 0)
        err = mcd_sock_bind_any_(w->qfd, f, 0);
    if (err == 0) /* a refresh's replies land at once (250+ devices) */
        err = mcd_sock_replies_rcvbuf_(w->qfd);
    return err;
}

static int configure(mcd_watcher *w, const mcd_watcher_config *cfg)
{
    const char *q = cfg->query ? cfg->query : MCD_DEFAULT_QUERY;
    size_t cap = cfg->max_devices ? cfg->max_devices : 4096;
    int err = mcd_addr_resolve(cfg->group ? cfg->group : MCD_DEFAULT_GROUP,
                               &w->dest.addr);

    if (err < 0)
        return err;
    w->dest.port = cfg->port ? cfg->port : MCD_DEFAULT_PORT;
    w->qlen = strlen(q);
    err = mcd_query_check((const uint8_t *)q, w->qlen);
    if (err < 0)
        return err;
    memcpy(w->query, q, w->qlen);
    w->devs = calloc(cap, sizeof *w->devs);
    if (w->devs == NULL)
        return -ENOMEM;
    w->default_lifetime =
        cfg->default_lifetime ? cfg->default_lifetime : MCD_LIFETIME_DEFAULT;
    mcd_watch_init(&w->table, w->devs, cap, w->default_lifetime);
    w->chapter_only = cfg->chapter_only;
    w->mac = cfg->mac != NULL && cfg->mac->fn != NULL ? cfg->mac : NULL;
    w->table.keyed = w->mac != NULL;
    w->salt = (uint16_t)mcd_random_();
    return 0;
}

static int open_links(mcd_watcher *w, const mcd_watcher_config *cfg,
                      size_t *bad_iface)
{
    mcd_links_config lc = {
        .group = &w->dest.addr, .port = w->dest.port,
        .specs = cfg->ifaces, .nspecs = cfg->n_ifaces,
        .on_event = cfg->on_event, .ctx = cfg->ctx,
    };
    int err = mcd_links_open_(&w->links, &lc);

    return err < 0 ? err : mcd_links_resync_(&w->links, true, bad_iface);
}

int mcd_watcher_open(mcd_watcher **out, const mcd_watcher_config *cfg,
                     mcd_watcher_fn fn, void *ctx, size_t *bad_iface)
{
    mcd_watcher *w;
    int err;

    if (bad_iface != NULL)
        *bad_iface = SIZE_MAX;
    if (out == NULL || cfg == NULL)
        return MCD_E_INVAL;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return -ENOMEM;
    w->qfd = w->links.nl_fd = -1;
    w->fn = fn;
    w->ctx = ctx;
    err = configure(w, cfg);
    if (err == 0)
        err = open_links(w, cfg, bad_iface);
    if (err == 0)
        err = open_qsock(w);
    if (err < 0) {
        mcd_watcher_close(w);
        return err;
    }
    w->start = w->next_sweep_at = mcd_now_();
    w->next_chapter = MCD_TIME_NEVER;
    *out = w;
    return 0;
}

void mcd_watcher_close(mcd_watcher *w)
{
    if (w == NULL)
        return;
    mcd_links_close_(&w->links);
    if (w->qfd >= 0)
        close(w->qfd);
    mcd_onlink_free_(&w->onlink);
    free(w->devs);
    free(w);
}

size_t mcd_watcher_fds(const mcd_watcher *w, int *fds, size_t cap)
{
    size_t n = 0;

    if (n < cap)
        fds[n++] = w->qfd;
    if (n < cap && w->links.nl_fd >= 0)
        fds[n++] = w->links.nl_fd;
    for (size_t i = 0; i < w->links.socks->n && n < cap; i++)
        fds[n++] = w->links.socks->socks[i].fd;
    return n;
}

static mcd_time next_time(const mcd_watcher *w)
{
    mcd_time next = MCD_TIME_NEVER;

    (void)mcd_watch_refresh_due(&w->table, mcd_now_(), &next);
    if (w->sweeps < SWEEPS && w->next_sweep_at < next)
        next = w->next_sweep_at;
    if (w->next_chapter < next)
        next = w->next_chapter;
    return next;
}

int mcd_watcher_timeout(const mcd_watcher *w)
{
    return mcd_timeout_ms(next_time(w), mcd_now_());
}

/* --- sending -------------------------------------------------------------- */

/* To the group, out of every joined link. */
static void send_group(mcd_watcher *w, const uint8_t *data, size_t len)
{
    w->sent += mcd_links_send_each_(&w->links, w->qfd, data, len, &w->dest,
                                    NULL);
}

/* An extended query with KNOWN: every device not due (all of them when
 * `all`), a new salt each copy; then the plain copy for chapter devices
 * when `plain`. */
/* A new nonce for the next query, remembered with its time. */
static int next_nonce(mcd_watcher *w, mcd_time now)
{
    int err = mcd_nonce_(w->nonce);

    if (err < 0)
        return err;
    memcpy(w->nonces[w->nonce_next], w->nonce, sizeof w->nonce);
    w->nonce_at[w->nonce_next] = now;
    w->nonce_next = (w->nonce_next + 1) % NONCES;
    return 0;
}

/* Whether a reply's nonce is that of a query whose replies are due: sent
 * in the last MCD_EXT_WINDOW_MAX_MS (and a little for the way back). */
static bool nonce_current(const mcd_watcher *w, const uint8_t *nonce,
                          mcd_time now)
{
    mcd_time span = (mcd_time)(MCD_EXT_WINDOW_MAX_MS + 100) * 1000u;

    for (size_t i = 0; i < NONCES; i++)
        if (w->nonce_at[i] != 0 && now - w->nonce_at[i] <= span &&
            memcmp(nonce, w->nonces[i], sizeof w->nonce) == 0)
            return true;
    return false;
}

static void send_query(mcd_watcher *w, mcd_time now, bool all, bool plain,
                       size_t pad_to)
{
    mcd_ext_query q;
    size_t listed = mcd_watch_count(&w->table);
    size_t flen = mcd_ext_known_size(listed, 512);
    bool chapter_due = false;
    int n;

    memset(&q, 0, sizeof q);
    if (!w->chapter_only && next_nonce(w, now) < 0)
        return; /* no randomness: no query; the next one tries again */
    memcpy(q.nonce, w->nonce, sizeof q.nonce);
    q.has_window = true;
    q.window_ms = MCD_EXT_DEFAULT_WINDOW_MS;
    q.salt = ++w->salt;
    q.k = MCD_EXT_KNOWN_K;
    memset(w->filter, 0, flen);
    if (all)
        /* A sweep for newcomers: every listed id is known. */
        (void)mcd_watch_refresh_known(&w->table, 0, w->filter, flen, q.k,
                                      q.nonce, q.salt, NULL);
    else
        (void)mcd_watch_refresh_known(&w->table, now, w->filter, flen, q.k,
                                      q.nonce, q.salt, &chapter_due);
    q.has_known = true;
    q.filter = w->filter;
    q.filter_len = flen;
    if (!w->chapter_only) {
        n = mcd_ext_query_encode(w->query, w->qlen, &q, pad_to, w->tx,
                                 sizeof w->tx);
        if (n > 0)
            send_group(w, w->tx, (size_t)n);
    }
    if (plain || chapter_due || w->chapter_only)
        send_group(w, w->query, w->qlen);
}

static void send_due(mcd_watcher *w)
{
    mcd_time now = mcd_now_();

    if (w->sweeps < SWEEPS && now >= w->next_sweep_at) {
        /* Pad the first sweep so that replies carry their TXT. */
        send_query(w, now, true, true, 512);
        if (++w->sweeps < SWEEPS)
            w->next_sweep_at = w->start + sweep_ms[w->sweeps] * 1000u;
        else
            w->next_chapter = now + (mcd_time)w->default_lifetime * 875000u;
    }
    if (now >= w->next_chapter) {
        /* Chapter devices cannot announce: look for new ones as often as
         * the known ones are refreshed (7/8 of the default lifetime). */
        send_query(w, now, true, true, MCD_EXT_QUERY_PAD);
        w->next_chapter = now + (mcd_time)w->default_lifetime * 875000u;
    }
    if (mcd_watch_refresh_due(&w->table, now, NULL))
        send_query(w, now, false, false, MCD_EXT_QUERY_PAD);
}

/* --- receiving ------------------------------------------------------------ */

static void report(mcd_watcher *w, enum mcd_watch_event ev,
                   const mcd_watch_dev *d)
{
    if (ev != MCD_WATCH_NONE && d != NULL && w->fn != NULL)
        w->fn(w->ctx, ev, d);
}

/* Keys: the MAC check of a datagram whose TLVs end it (a reply's, an
 * announcement's: the MAC covers all before its value). */
static int mac_of(const mcd_watcher *w, const uint8_t *p, size_t len,
                  const uint8_t *tlv, size_t tlv_len)
{
    mcd_ext_reply er;

    if (w->mac == NULL)
        return MCD_MAC_NONE;
    memset(&er, 0, sizeof er);
    er.tlv = tlv;
    er.tlv_len = tlv_len;
    return mcd_ext_mac_check(w->mac, p, len, &er);
}

/* On the group's port: announcements and goodbyes only (our own queries
 * and other clients' come back here too, and are not for us). */
static void take_group(mcd_watcher *w, const uint8_t *p, size_t len,
                       const mcd_endpoint *from)
{
    mcd_ext_announce a;
    const mcd_watch_dev *d;
    enum mcd_watch_event ev;

    if (w->chapter_only || len <= w->qlen ||
        memcmp(p, w->query, w->qlen) != 0 || p[w->qlen] != 0)
        return;
    if (mcd_ext_announce_decode(p, len, w->qlen, &a) != 0)
        return;
    w->heard++;
    ev = mcd_watch_on_announce_mac(&w->table, &a, mac_of(w, p, len, a.tlv,
                                                         a.tlv_len),
                                   from, mcd_now_(), &d);
    report(w, ev, d); /* apart: d is set by the call */
}

/* On the query socket: extended replies (our nonce) and chapter ones. */
static void take_reply(mcd_watcher *w, const uint8_t *p, size_t len,
                       const mcd_endpoint *from)
{
    const mcd_watch_dev *d;
    enum mcd_watch_event ev;
    mcd_ext_reply r;
    mcd_reply c;

    if (len > 0 && memchr(p, 0, len) != NULL) {
        if (mcd_ext_reply_decode(p, len, &r) != 0 ||
            !nonce_current(w, r.nonce, mcd_now_()))
            return; /* malformed, or not for our query */
        w->heard++;
        ev = mcd_watch_on_reply_mac(&w->table, &r,
                                    mac_of(w, p, len, r.tlv, r.tlv_len),
                                    from, mcd_now_(), &d);
        report(w, ev, d);
    } else if (mcd_reply_parse(p, len, &c) == 0) {
        w->heard++;
        ev = mcd_watch_on_chapter(&w->table, &c, from, mcd_now_(), &d);
        report(w, ev, d);
    }
}

/* The source is on the link it came in on, and not its broadcast
 * address; else counted (stats.off_link) and refused. */
static bool on_link(mcd_watcher *w, const mcd_rx *rx)
{
    bool bcast = false;

    if (mcd_onlink_check_(&w->onlink, &rx->from.addr, rx->ifindex, &bcast) &&
        !bcast)
        return true;
    w->table.stats.off_link++;
    return false;
}

static int drain(mcd_watcher *w, int fd, bool group)
{
    for (int i = 0; i < 256; i++) { /* bounded: a flood cannot starve */
        mcd_rx rx;
        int n = mcd_sock_recv_(fd, w->rx, sizeof w->rx, &rx);

        if (n == -EAGAIN || n == -EWOULDBLOCK)
            return 0;
        if (n == -EINTR || n == -ECONNREFUSED || n == -EAFNOSUPPORT ||
            n == -ENOBUFS || n == -ENOMEM)
            continue; /* this datagram, or a passing error */
        if (n < 0)
            return n;
        if (rx.len > sizeof w->rx || rx.from.addr.family == MCD_AF_NONE)
            continue;
        if (!on_link(w, &rx))
            continue;
        if (group)
            take_group(w, w->rx, rx.len, &rx.from);
        else
            take_reply(w, w->rx, rx.len, &rx.from);
    }
    return 0;
}

static void expire(mcd_watcher *w)
{
    const mcd_watch_dev *d;
    enum mcd_watch_event ev;

    while ((ev = mcd_watch_expire(&w->table, mcd_now_(), &d)) !=
           MCD_WATCH_NONE)
        report(w, ev, d);
}

int mcd_watcher_process(mcd_watcher *w, int fd)
{
    int err = 0;

    if (fd >= 0 && fd == w->qfd) {
        err = drain(w, fd, false);
    } else if (fd >= 0 && fd == w->links.nl_fd) {
        mcd_links_process_(&w->links);
    } else if (fd >= 0) {
        err = drain(w, fd, true);
    }
    expire(w);
    send_due(w);
    return err;
}

const mcd_watch *mcd_watcher_table(const mcd_watcher *w)
{
    return &w->table;
}

void mcd_watcher_counts(const mcd_watcher *w, uint64_t *sent,
                        uint64_t *heard)
{
    *sent = w->sent;
    *heard = w->heard;
}
