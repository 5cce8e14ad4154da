/*
 * responder.c - the device side: which datagrams get the reply, and when.
 *
 * Driven by the caller's clock and its sockets: a datagram goes in with its
 * source, destination and ingress interface; replies come out of
 * mcd_rcore_poll() when due. No sockets, no heap: the core is a plain
 * struct a device can keep in static memory.
 */
#include "core_private.h"

#include <string.h>

void mcd_responder_opts_init(mcd_responder_opts *o)
{
    memset(o, 0, sizeof *o);
    o->group = MCD_DEFAULT_GROUP;
    o->port = MCD_DEFAULT_PORT;
    o->name = MCD_DEFAULT_NAME;
    o->proto = MCD_DEFAULT_PROTO;
    o->service_port = MCD_DEFAULT_SERVICE_PORT;
    o->query = MCD_DEFAULT_QUERY;
    o->delay_min_ms = MCD_DEFAULT_DELAY_MIN_MS;
    o->delay_max_ms = MCD_DEFAULT_DELAY_MAX_MS;
    o->querier_interval_ms = MCD_DEFAULT_QUERIER_INTERVAL_MS;
    o->rate_per_s = MCD_DEFAULT_RATE_PER_S;
    o->rate_burst = MCD_DEFAULT_RATE_BURST;
}

int mcd_responder_setup(mcd_rcore *rc, const mcd_responder_opts *o,
                        const mcd_addr *group, uint8_t *qbuf, uint8_t *rbuf,
                        mcd_time now)
{
    return mcd_responder_setup_ext(rc, o, group, qbuf, rbuf, NULL, 0, NULL,
                                   now);
}

/* The extension's part of the core's configuration: the id, then the
 * template built from the reply text and the TXT pairs. */
static int setup_ext(mcd_rcore_config *rcc, const mcd_responder_opts *o,
                     uint8_t *ebuf, size_t ecap, const uint8_t *default_id)
{
    int err;

    if (!MCD_CONFIG_EXT)
        return 0; /* built for the chapter's exchange only */
    if (o->id != NULL) {
        err = mcd_ext_id_parse(o->id, rcc->id);
        if (err < 0)
            return err;
    } else if (default_id != NULL) {
        memcpy(rcc->id, default_id, MCD_EXT_ID_LEN);
    } else {
        return 0; /* no id: the chapter's exchange only */
    }
    if (ebuf == NULL)
        return 0;
    if (o->mac != NULL && o->mac->fn != NULL) {
        /* Room for the MAC after the whole template. */
        rcc->mac = *o->mac;
        if (ecap > MCD_EXT_MAX - MCD_MAC_TLV_LEN)
            ecap = MCD_EXT_MAX - MCD_MAC_TLV_LEN;
    }
    /* The reply was formatted: it parses back, no need to check. */
    err = mcd_ext_template_lt_(rcc->reply, rcc->reply_len, rcc->id,
                               o->lifetime, o->txt, o->ntxt, ebuf, ecap,
                               &rcc->ext_base_len);
    if (err < 0)
        return err;
    rcc->ext_enabled = true;
    rcc->ext_reply = ebuf;
    rcc->ext_reply_len = (size_t)err;
    return 0;
}

/* The opts' prefix strings into the core's table. */
static int setup_allow_from(mcd_rcore_config *rcc,
                            const mcd_responder_opts *o)
{
#if !MCD_CONFIG_ALLOW_FROM
    /* Built for its own link only: no parser to read them with. */
    (void)rcc;
    return o->n_allow_from > 0 ? MCD_E_UNSUPPORTED : 0;
#else
    for (size_t i = 0; i < o->n_allow_from; i++) {
        size_t n = 0;
        int err;

        if (o->allow_from == NULL || o->allow_from[i] == NULL)
            return MCD_E_INVAL;
        err = mcd_subnet_list_parse(o->allow_from[i],
                                    rcc->allow_from + rcc->n_allow_from,
                                    MCD_ALLOW_FROM_MAX - rcc->n_allow_from,
                                    &n);
        if (err < 0)
            return err;
        rcc->n_allow_from += n;
    }
    return 0;
#endif
}

int mcd_responder_setup_ext(mcd_rcore *rc, const mcd_responder_opts *o,
                            const mcd_addr *group, uint8_t *qbuf,
                            uint8_t *rbuf, uint8_t *ebuf, size_t ecap,
                            const uint8_t *default_id, mcd_time now)
{
    /* qbuf NULL: the core reads the caller's text (a device's is static). */
    const uint8_t *query;
    size_t qlen, rlen;
    int err;

    if (!mcd_addr_is_multicast(group))
        return MCD_E_NOTMCAST;
    err = mcd_responder_texts(o, qbuf, &query, &qlen, rbuf,
                              rbuf == ebuf ? ecap : MCD_REPLY_MAX, &rlen);
    if (err < 0)
        return err;
    mcd_rcore_config rcc = {
        .query = query, .query_len = qlen, .reply = rbuf, .reply_len = rlen,
        .group = *group, .allow_unicast = o->allow_unicast,
        .allow_amplification = o->allow_amplification,
        .allow_offlink = o->allow_offlink,
        .delay_min_ms = o->delay_min_ms, .delay_max_ms = o->delay_max_ms,
        .querier_interval_ms = o->querier_interval_ms,
        .rate_per_s = o->rate_per_s, .rate_burst = o->rate_burst,
    };
    /* The core compares addresses only: the zone is the layer's business
     * (which interfaces it joins). */
    rcc.group.scope_id = 0;
    err = setup_allow_from(&rcc, o);
    if (err < 0)
        return err;
    err = setup_ext(&rcc, o, ebuf, ecap, default_id);
    if (err < 0)
        return err;
    return mcd_rcore_init(rc, &rcc, now);
}

int mcd_timeout_ms(mcd_time next, mcd_time now)
{
    mcd_time ms;

    if (next == MCD_TIME_NEVER)
        return -1;
    if (next <= now)
        return 0;
    /* Compare before the cast: a delay of hours does not fit an int (nor
     * the 32 bits that spare a 32-bit CPU a 64-bit division). */
    ms = next - now;
    if (ms > (mcd_time)MCD_TIMEOUT_MAX_MS * 1000u)
        return MCD_TIMEOUT_MAX_MS;
    return (int)(((uint32_t)ms + 999u) / 1000u);
}

#if MCD_CONFIG_EXT
/* The template is an extended reply of this reply's text and this id,
 * TLVs after its base (which may hold TLVs that a cut reply keeps, as
 * LIFETIME): the core patches only the nonce and flags. (Not its TLVs: a
 * device need not link the reply decoder for that.) */
static bool ext_config_ok(const mcd_rcore_config *c)
{
    static const uint8_t kind[3] = {MCD_EXT_VERSION, MCD_EXT_KIND_REPLY, 0};
    size_t h = c->reply_len + 1;
    const uint8_t *t = c->ext_reply;

    if (t == NULL || c->ext_base_len < h + MCD_EXT_HDR_LEN + MCD_EXT_ID_LEN ||
        c->ext_reply_len < c->ext_base_len || c->ext_reply_len > MCD_EXT_MAX)
        return false;
    return memcmp(t, c->reply, c->reply_len) == 0 && t[c->reply_len] == 0 &&
           memcmp(t + h, MCD_EXT_MAGIC, 4) == 0 &&
           memcmp(t + h + 4, kind, sizeof kind) == 0 &&
           memcmp(t + h + MCD_EXT_HDR_LEN, c->id, MCD_EXT_ID_LEN) == 0;
}
#endif

int mcd_rcore_init(mcd_rcore *rc, const mcd_rcore_config *cfg, mcd_time now)
{
    int err;

    if (rc == NULL || cfg == NULL || cfg->reply == NULL || cfg->reply_len == 0)
        return MCD_E_INVAL;
    if (cfg->delay_max_ms < cfg->delay_min_ms)
        return MCD_E_INVAL;
    err = mcd_query_check(cfg->query, cfg->query_len);
    if (err < 0)
        return err;
    if (!mcd_addr_is_multicast(&cfg->group))
        return MCD_E_NOTMCAST;
    /* A reply larger than the query turns spoofed queries into an
     * amplifier (the SSDP and WS-Discovery reflection attacks). */
    if (cfg->reply_len > cfg->query_len + 1 && !cfg->allow_amplification)
        return MCD_E_AMPLIFY;
    if (cfg->rate_per_s > 1000000)
        return MCD_E_INVAL;
#if MCD_CONFIG_EXT
    if (cfg->ext_enabled && !ext_config_ok(cfg))
        return MCD_E_INVAL;
#else
    if (cfg->ext_enabled)
        return MCD_E_UNSUPPORTED;
#endif
#if MCD_CONFIG_ALLOW_FROM
    if (cfg->n_allow_from > MCD_ALLOW_FROM_MAX)
        return MCD_E_PREFIXES;
#else
    if (cfg->n_allow_from > 0)
        return MCD_E_UNSUPPORTED;
#endif
    memset(rc, 0, sizeof *rc);
    rc->priv_.cfg = *cfg;
    rc->priv_.bucket_at = now;
    if (cfg->rate_per_s > 0)
        rc->priv_.tokens_us =
            (uint64_t)cfg->rate_burst * (1000000u / cfg->rate_per_s);
    return 0;
}

static enum mcd_ignore match_reason(enum mcd_match m)
{
    switch (m) {
    case MCD_MATCH_EXACT:
    case MCD_MATCH_NUL:
        return MCD_IGNORE_NONE;
    case MCD_MATCH_EMPTY:
        return MCD_IGNORE_EMPTY;
    case MCD_MATCH_PREFIX:
        return MCD_IGNORE_PREFIX;
    case MCD_MATCH_TRAILING:
        return MCD_IGNORE_TRAILING;
    case MCD_MATCH_DIFFERENT:
        break;
    }
    return MCD_IGNORE_OTHER;
}

/* A query's source must be somebody we can answer: not a group, not the
 * unspecified address, not port 0 (RFC 1122 3.2.1.3 / RFC 4291 2.7). */
static bool source_ok(const mcd_endpoint *src)
{
    const mcd_addr *a = &src->addr;

    if (src->port == 0 || mcd_addr_is_multicast(a))
        return false;
    if (a->family != MCD_AF_INET4 && a->family != MCD_AF_INET6)
        return false;
    /* Not all zero (unspecified); for IPv4 not all ones (broadcast): the
     * host bits of a /0, with the helper subnet_edge uses. */
    return !mcd_host_bits_all_(a, 0, 0) &&
           !(a->family == MCD_AF_INET4 && mcd_host_bits_all_(a, 0, 1));
}

/* The subnet-router anycast address (RFC 4291 2.6.1: the prefix with an
 * all-zero interface id; not on /127, RFC 6164) or an IPv4 directed or
 * all-zero-host broadcast (RFC 1122 3.2.1.3; none on /31, RFC 3021) of
 * the source's own prefix: never a host that asked, so never answered. */
static bool subnet_edge(const mcd_addr *a, unsigned bits)
{
    if (bits == 0)
        return false;
    if (a->family == MCD_AF_INET6)
        return bits < 127 && mcd_host_bits_all_(a, bits, 0);
    return bits < 31 &&
           (mcd_host_bits_all_(a, bits, 0) || mcd_host_bits_all_(a, bits, 1));
}

/* The query, a NUL and the extension's magic: an extended query, well
 * formed or not. Other bytes after the NUL are not ours to call malformed
 * (C clients that send a second NUL, padding): "the query followed by
 * other bytes", as before the extension. */
static bool ext_shaped(const mcd_rcore_config *c, const mcd_rcore_rx *rx)
{
    /* rx->len <= rx->data_cap: the caller checked. */
    return MCD_CONFIG_EXT && c->ext_enabled && rx->len >= c->query_len + 5 &&
           memcmp(rx->data, c->query, c->query_len) == 0 &&
           rx->data[c->query_len] == 0 &&
           memcmp(rx->data + c->query_len + 1, MCD_EXT_MAGIC, 4) == 0;
}

/* What the datagram is: the query (plain, or *eq filled and *ext set) or
 * why not. */
static enum mcd_ignore match_datagram(const mcd_rcore_config *c,
                                      const mcd_rcore_rx *rx,
                                      mcd_ext_query *eq, bool *ext)
{
    int r;

    *ext = false;
    if (rx->len == 0)
        return MCD_IGNORE_EMPTY;
    /* Longer than any query: the caller's buffer may not even hold it
     * all, so decide on the length alone and never look at a cut copy. */
    if (rx->len > rx->data_cap || rx->len > MCD_EXT_MAX)
        return MCD_IGNORE_OVERSIZE;
    if (!ext_shaped(c, rx)) {
        if (rx->len > MCD_QUERY_MAX + 1)
            return MCD_IGNORE_OVERSIZE;
        return match_reason(mcd_query_match(rx->data, rx->len, c->query,
                                            c->query_len));
    }
#if MCD_CONFIG_EXT
    r = mcd_ext_query_decode(rx->data, rx->len, c->query_len, eq);
    if (r < 0)
        return MCD_IGNORE_MALFORMED_EXT;
    if (r > 0)
        return MCD_IGNORE_OTHER; /* another kind: not a query */
    *ext = true;
    return MCD_IGNORE_NONE;
#else
    /* Not reached (nothing is ext_shaped); left out by the preprocessor,
     * so that a build that does not inline (-Og) links no decoder. */
    (void)r, (void)eq;
    return MCD_IGNORE_OTHER;
#endif
}

/* A routed source the configuration trusts (never, in a build without
 * allow_from: neither the table nor the match is there). */
static bool allowed_from(const mcd_rcore_config *c, const mcd_addr *a)
{
#if MCD_CONFIG_ALLOW_FROM
    return mcd_subnet_match(c->allow_from, c->n_allow_from, a);
#else
    (void)c, (void)a;
    return false;
#endif
}

static enum mcd_ignore classify(const mcd_rcore *rc, const mcd_rcore_rx *rx,
                                mcd_ext_query *eq, bool *ext)
{
    const mcd_rcore_config *c = &rc->priv_.cfg;
    enum mcd_ignore why;

    /* Before anything else, as the socket layers did: what another
     * program's membership let in is not ours to judge. */
    *ext = false;
    if (rx->not_joined)
        return MCD_IGNORE_NOT_GROUP;
    why = match_datagram(c, rx, eq, ext);
    if (why != MCD_IGNORE_NONE)
        return why;
    if (rx->dst != NULL && !c->allow_unicast &&
        !mcd_addr_equal(rx->dst, &c->group))
        return MCD_IGNORE_NOT_GROUP;
    if (!source_ok(rx->src))
        return MCD_IGNORE_BAD_SOURCE;
    /* A reply to our own address would land on a local service of this
     * host, from our port (a spoofed query aimed at ourselves). */
    if (rx->src_is_local || subnet_edge(&rx->src->addr, rx->src_prefix_len))
        return MCD_IGNORE_LOCAL_SOURCE;
    /* Anti-reflection: a spoofed source from elsewhere must not make us
     * send to a third party (the SSDP and WS-Discovery amplification
     * attacks). */
    if (!rx->src_on_link && !c->allow_offlink &&
        !allowed_from(c, &rx->src->addr))
        return MCD_IGNORE_OFF_LINK;
    return MCD_IGNORE_NONE;
}

/* When a querier's entry last served: answered, or asked in the
 * extension. */
static mcd_time querier_touched(const mcd_rcore_querier_ *q)
{
    mcd_time a = q->answered ? q->last : 0;
#if MCD_CONFIG_EXT
    mcd_time e = q->ext ? q->ext_at : 0;

    return a > e ? a : e;
#else
    return a;
#endif
}

/* Which of two entries goes first when the table is full: one that never
 * led to a reply before one that did (a flood from spoofed sources that
 * is never answered cannot push out the queriers that were), then the
 * one touched longer ago. */
static bool forget_first(const mcd_rcore_querier_ *a,
                         const mcd_rcore_querier_ *b)
{
    if (a->answered != b->answered)
        return !a->answered;
    return querier_touched(a) < querier_touched(b);
}

/* The querier's entry (an address on one link: a device on two links
 * answers on each), else a free one, else (when `evict`) the one
 * forget_first() picks, then emptied, its addr and link set; else NULL. */
static mcd_rcore_querier_ *querier_slot(mcd_rcore *rc, const mcd_addr *a,
                                         uint32_t ifindex, bool evict)
{
    mcd_rcore_querier_ *oldest = &rc->priv_.queriers[0];

    for (size_t i = 0; i < MCD_RESP_QUERIERS; i++) {
        mcd_rcore_querier_ *q = &rc->priv_.queriers[i];

        if (q->used && q->ifindex == ifindex && mcd_addr_equal(&q->addr, a))
            return q;
        if (!q->used)
            oldest = q;
        else if (oldest->used && forget_first(q, oldest))
            oldest = q;
    }
    if (oldest->used && !evict)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    oldest->used = true;
    oldest->addr = *a;
    oldest->ifindex = ifindex;
    return oldest;
}

/* The querier's entry when it may be answered now, else NULL. */
static mcd_rcore_querier_ *querier_check(mcd_rcore *rc, const mcd_addr *a,
                                         uint32_t ifindex, mcd_time now)
{
    mcd_rcore_querier_ *q = querier_slot(rc, a, ifindex, true);
    mcd_time gap = (mcd_time)rc->priv_.cfg.querier_interval_ms * 1000u;

    if (q->answered && now - q->last < gap)
        return NULL;
    return q;
}

#if MCD_CONFIG_EXT
/* Rule 4: a plain query from an endpoint that asked in the extension in
 * the last MCD_EXT_PEER_MS is that client's copy for chapter devices. */
static bool ext_client(const mcd_rcore *rc, const mcd_endpoint *src,
                       uint32_t ifindex, mcd_time now)
{
    for (size_t i = 0; i < MCD_RESP_QUERIERS; i++) {
        const mcd_rcore_querier_ *q = &rc->priv_.queriers[i];

        if (q->used && q->ext && q->ext_port == src->port &&
            q->ifindex == ifindex && mcd_addr_equal(&q->addr, &src->addr))
            return now - q->ext_at < (mcd_time)MCD_EXT_PEER_MS * 1000u;
    }
    return false;
}
#endif


/* Token bucket (RFC 2697 style): credit accrues with time up to the
 * burst; each reply spends one reply's worth. */
static bool bucket_empty(mcd_rcore *rc, mcd_time now)
{
    const mcd_rcore_config *c = &rc->priv_.cfg;
    uint64_t cost, cap;

    if (c->rate_per_s == 0)
        return false;
    cost = 1000000u / c->rate_per_s;
    cap = (uint64_t)(c->rate_burst ? c->rate_burst : 1) * cost;
    if (now > rc->priv_.bucket_at) {
        uint64_t add = now - rc->priv_.bucket_at, *t = &rc->priv_.tokens_us;

        *t = add >= cap - *t ? cap : *t + add;
        rc->priv_.bucket_at = now;
    }
    if (rc->priv_.tokens_us < cost)
        return true;
    rc->priv_.tokens_us -= cost;
    return false;
}

static mcd_rcore_pending_ *free_slot(mcd_rcore *rc)
{
    for (size_t i = 0; i < MCD_RESP_PENDING; i++)
        if (!rc->priv_.pending[i].used)
            return &rc->priv_.pending[i];
    return NULL;
}

/* In 32 bits: 64-bit division is a library call on a 32-bit CPU. The
 * milliseconds fit: min + (at most span) is at most delay_max_ms; only
 * the microseconds need 64 bits. */
static mcd_time reply_delay(const mcd_rcore_config *c, uint32_t rnd)
{
    uint32_t span = c->delay_max_ms - c->delay_min_ms;
    uint32_t ms = c->delay_min_ms +
                  (span == UINT32_MAX ? rnd /* rnd % 2^32 */
                                      : rnd % (span + 1u)); /* 0 for 0 */

    return (mcd_time)ms * 1000u;
}

#if MCD_CONFIG_EXT
/* Rule 5: one pending reply per querier address and link. */
static bool pending_for(const mcd_rcore *rc, const mcd_addr *a,
                        uint32_t ifindex)
{
    for (size_t i = 0; i < MCD_RESP_PENDING; i++)
        if (rc->priv_.pending[i].used &&
            rc->priv_.pending[i].ifindex == ifindex &&
            mcd_addr_equal(&rc->priv_.pending[i].to.addr, a))
            return true;
    return false;
}

/* Bytes the MAC TLV adds to every extended reply of a keyed core. */
static size_t mac_len(const mcd_rcore_config *c)
{
    return c->mac.fn != NULL ? MCD_MAC_TLV_LEN : 0;
}

/* Rules 1 and 3: silent when KNOWN holds our id or no reply fits the
 * query; else *tx's length and flags. */
static enum mcd_ignore ext_silent(const mcd_rcore_config *c,
                                  const mcd_rcore_rx *rx,
                                  const mcd_ext_query *eq, mcd_rcore_tx *tx)
{
    if (eq->has_known && mcd_ext_known_has(eq->filter, eq->filter_len, eq->k,
                                           eq->nonce, eq->salt, c->id))
        return MCD_IGNORE_KNOWN;
    /* Never longer than the query (anti-amplification, every mode); the
     * MAC counts in the base: truncation drops TXT, never the MAC. */
    tx->flags = 0;
    tx->len = c->ext_reply_len;
    if (tx->len + mac_len(c) > rx->len) {
        tx->flags = MCD_EXT_FLAG_TRUNC;
        tx->len = c->ext_base_len;
    }
    if (tx->len + mac_len(c) > rx->len)
        return MCD_IGNORE_SHORT_QUERY;
    return MCD_IGNORE_NONE;
}

/* Rules 1, 3 and 5 for an extended query that passed the chapter's
 * rules; on MCD_IGNORE_NONE *tx holds what to send. Rule 4 starts here:
 * the client's endpoint is remembered, known or not; but a silent query
 * only refreshes its querier's entry or takes a free one, never another
 * querier's (docs/PROTOCOL.md, "Responder rules"). */
static enum mcd_ignore ext_rules(mcd_rcore *rc, mcd_time now,
                                 const mcd_rcore_rx *rx,
                                 const mcd_ext_query *eq, mcd_rcore_tx *tx)
{
    enum mcd_ignore why = ext_silent(&rc->priv_.cfg, rx, eq, tx);
    mcd_rcore_querier_ *q = querier_slot(rc, &rx->src->addr, rx->ifindex,
                                         why == MCD_IGNORE_NONE);

    if (q != NULL) {
        q->ext = true;
        q->ext_port = rx->src->port;
        q->ext_at = now;
    }
    if (why != MCD_IGNORE_NONE)
        return why;
    if (pending_for(rc, &rx->src->addr, rx->ifindex))
        return MCD_IGNORE_RATE_QUERIER;
    tx->ext = true;
    memcpy(tx->nonce, eq->nonce, sizeof tx->nonce);
    return MCD_IGNORE_NONE;
}

/* Rule 2: within the client's window, bounded; else our own. */
static mcd_time ext_delay(const mcd_rcore_config *c, const mcd_ext_query *eq,
                          uint32_t rnd)
{
    uint32_t us;

    if (!eq->has_window)
        return reply_delay(c, rnd);
    us = (eq->window_ms < MCD_EXT_WINDOW_MAX_MS ? eq->window_ms
                                                : MCD_EXT_WINDOW_MAX_MS) *
         1000u;
    return rnd % (us + 1u);
}
#else
static enum mcd_ignore ext_rules(mcd_rcore *rc, mcd_time now,
                                 const mcd_rcore_rx *rx,
                                 const mcd_ext_query *eq, mcd_rcore_tx *tx)
{
    (void)rc, (void)now, (void)rx, (void)eq, (void)tx;
    return MCD_IGNORE_OTHER; /* never called: nothing is ext_shaped */
}

static bool ext_client(const mcd_rcore *rc, const mcd_endpoint *src,
                       uint32_t ifindex, mcd_time now)
{
    (void)rc, (void)src, (void)ifindex, (void)now;
    return false;
}

static mcd_time ext_delay(const mcd_rcore_config *c, const mcd_ext_query *eq,
                          uint32_t rnd)
{
    (void)eq;
    return reply_delay(c, rnd);
}
#endif

enum mcd_ignore mcd_rcore_input(mcd_rcore *rc, mcd_time now,
                                const mcd_rcore_rx *rx)
{
    mcd_ext_query eq;
    bool ext;
    enum mcd_ignore why = classify(rc, rx, &eq, &ext);
    mcd_rcore_pending_ *slot = NULL;
    mcd_rcore_querier_ *q = NULL;
    mcd_rcore_tx tx = {.len = rc->priv_.cfg.reply_len};

    if (why == MCD_IGNORE_NONE && ext)
        why = ext_rules(rc, now, rx, &eq, &tx);
    else if (why == MCD_IGNORE_NONE &&
             ext_client(rc, rx->src, rx->ifindex, now))
        why = MCD_IGNORE_EXT_CLIENT;
    /* The start-up check lets the chapter reply be one byte longer than
     * the query, for the query + NUL (34 bytes); the 33 bytes alone are
     * then too short: no reply longer than its query, in any mode,
     * unless the user allowed amplification. */
    else if (why == MCD_IGNORE_NONE && tx.len > rx->len &&
             !rc->priv_.cfg.allow_amplification)
        why = MCD_IGNORE_SHORT_QUERY;
    if (why == MCD_IGNORE_NONE) {
        slot = free_slot(rc);
        if (slot == NULL)
            why = MCD_IGNORE_FULL;
        else if (rc->priv_.cfg.querier_interval_ms > 0 &&
                 (q = querier_check(rc, &rx->src->addr, rx->ifindex,
                                    now)) == NULL)
            why = MCD_IGNORE_RATE_QUERIER;
        else if (bucket_empty(rc, now))
            why = MCD_IGNORE_RATE_GLOBAL;
    }
    if (why != MCD_IGNORE_NONE) {
        mcd_rcore_done(rc, why); /* counted there: one 64-bit increment */
        return why;
    }
    if (q != NULL) {
        q->answered = true;
        q->last = now;
    }
    slot->used = true;
    slot->due = now + (ext ? ext_delay(&rc->priv_.cfg, &eq, rx->rnd)
                           : reply_delay(&rc->priv_.cfg, rx->rnd));
    slot->to = *rx->src;
    slot->ifindex = rx->ifindex;
#if MCD_CONFIG_EXT
    slot->ext = tx.ext;
    slot->flags = tx.flags;
    slot->len = (uint16_t)tx.len; /* at most MCD_EXT_MAX */
    memcpy(slot->nonce, tx.nonce, sizeof slot->nonce);
#endif
    return MCD_IGNORE_NONE;
}

static mcd_rcore_pending_ *earliest(mcd_rcore *rc)
{
    mcd_rcore_pending_ *best = NULL;

    for (size_t i = 0; i < MCD_RESP_PENDING; i++) {
        mcd_rcore_pending_ *p = &rc->priv_.pending[i];

        if (p->used && (best == NULL || p->due < best->due))
            best = p;
    }
    return best;
}

bool mcd_rcore_poll(mcd_rcore *rc, mcd_time now, mcd_rcore_tx *tx)
{
    mcd_rcore_pending_ *p = earliest(rc);

    if (p == NULL || p->due > now)
        return false;
    /* The nonce is read only when ext is set: left as it is otherwise. */
    tx->to = p->to;
    tx->ifindex = p->ifindex;
    tx->data = rc->priv_.cfg.reply;
    tx->len = rc->priv_.cfg.reply_len;
    tx->ext = false;
    tx->flags = 0;
    tx->mac = NULL;
#if MCD_CONFIG_EXT
    if (p->ext) {
        tx->ext = true;
        if (rc->priv_.cfg.mac.fn != NULL)
            tx->mac = &rc->priv_.cfg.mac;
        tx->data = rc->priv_.cfg.ext_reply;
        tx->len = p->len;
        tx->flags = p->flags;
        memcpy(tx->nonce, p->nonce, sizeof tx->nonce);
    }
#endif
    p->used = false;
    return true;
}

/* Keys: the MAC over the patched bytes, appended (0 when it fails: a
 * reply without its MAC is not sent). */
static size_t tx_mac(const mcd_rcore_tx *tx, uint8_t *out, size_t cap)
{
    int n = mcd_ext_mac_append(tx->mac, out, tx->len, cap);

    return n < 0 ? 0 : (size_t)n;
}

size_t mcd_rcore_tx_write(const mcd_rcore_tx *tx, uint8_t *out, size_t cap)
{
    const uint8_t *nul;
    size_t h;

    if (tx == NULL || out == NULL || tx->data == NULL || tx->len > cap)
        return 0;
    memcpy(out, tx->data, tx->len);
    if (!MCD_CONFIG_EXT || !tx->ext)
        return tx->len;
    /* The reply text holds no NUL: the first one ends it. */
    nul = memchr(out, 0, tx->len);
    if (nul == NULL)
        return 0;
    h = (size_t)(nul - out) + 1;
    if (tx->len - h < MCD_EXT_HDR_LEN)
        return 0;
    out[h + 6] = tx->flags;
    memcpy(out + h + 7, tx->nonce, MCD_EXT_NONCE_LEN);
    return MCD_CONFIG_EXT && tx->mac != NULL ? tx_mac(tx, out, cap) : tx->len;
}

void mcd_rcore_done(mcd_rcore *rc, enum mcd_ignore outcome)
{
    /* One 64-bit increment (a few instructions each on a 32-bit CPU). */
    uint64_t *n = outcome == MCD_IGNORE_NONE ? &rc->priv_.answered
                  : (unsigned)outcome < MCD_IGNORE_COUNT_
                      ? &rc->priv_.ignored[outcome]
                      : NULL;

    if (n != NULL)
        (*n)++;
}

mcd_time mcd_rcore_next(const mcd_rcore *rc)
{
    mcd_time next = MCD_TIME_NEVER;

    for (size_t i = 0; i < MCD_RESP_PENDING; i++)
        if (rc->priv_.pending[i].used && rc->priv_.pending[i].due < next)
            next = rc->priv_.pending[i].due;
    return next;
}

bool mcd_rcore_id(const mcd_rcore *rc, uint8_t id[MCD_EXT_ID_LEN])
{
    if (!rc->priv_.cfg.ext_enabled)
        return false;
    memcpy(id, rc->priv_.cfg.id, MCD_EXT_ID_LEN);
    return true;
}

uint64_t mcd_rcore_answered(const mcd_rcore *rc)
{
    return rc->priv_.answered;
}

uint64_t mcd_rcore_ignored(const mcd_rcore *rc, enum mcd_ignore why)
{
    if (why == MCD_IGNORE_NONE || (unsigned)why >= MCD_IGNORE_COUNT_)
        return 0;
    return rc->priv_.ignored[why];
}
