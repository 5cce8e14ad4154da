/*
 * query.c - the client side: when to send the query, which replies are new
 * devices, when to stop.
 *
 * Clients resend because multicast is lost without a trace (Wi-Fi sends it
 * unacknowledged); the gap doubles each time, as mDNS does (RFC 6762
 * section 5.2), up to a cap. Discovery has a short deadline and no
 * known-answer list in the chapter's protocol, so the POSIX layer's default
 * cap is low (100 ms: 20 copies in 2 s): with 20% loss each way one
 * exchange misses a given device 59% of the time, and 20 copies find all of
 * 20 devices in all but about 1 run in 2000 (docs/PROTOCOL.md).
 * Devices are told apart by who answered and what they said, so two
 * responders sharing one host and port are both listed.
 * Anyone can answer, so a reply is a device only from a unicast source
 * and port, from the link when the query never left it (TTL 1), and each
 * source address gets at most `per_source` entries: one host forging
 * replies with distinct names cannot fill the table and hide the others.
 *
 * The extension (docs/PROTOCOL.md, "Client rules"): each send time is an
 * extended copy then a plain one. The extended copy names the devices
 * already heard in a Bloom filter salted with the copy number (a false
 * positive silences a device for one copy, never a run), so each device
 * answers about once; the plain copy is for chapter devices. An extended
 * reply must echo the run's nonce (else it is forged: counted, dropped);
 * its device is its id, with every endpoint it answered from.
 */
#include "mcdisc/core.h"

#include "core_private.h"

#include <string.h>

int mcd_qcore_init(mcd_qcore *q, const mcd_qcore_config *cfg,
                   mcd_device *table, size_t cap, mcd_time now)
{
    int err;

    if (q == NULL || cfg == NULL || table == NULL || cap == 0)
        return MCD_E_INVAL;
    if (cfg->timeout_ms == 0 || cfg->interval_ms == 0 ||
        cfg->window_ms > MCD_EXT_WINDOW_MAX_MS)
        return MCD_E_INVAL;
    if (cfg->require_auth && cfg->mac.fn == NULL)
        return MCD_E_INVAL; /* nothing could be verified */
    err = mcd_query_check(cfg->query, cfg->query_len);
    if (err < 0)
        return err;
    memset(q, 0, sizeof *q);
    q->priv_.cfg = *cfg;
    q->priv_.devices = table;
    q->priv_.cap = cap;
    q->priv_.start = now;
    q->priv_.deadline = now + (mcd_time)cfg->timeout_ms * 1000u;
    q->priv_.next_send = now;
    q->priv_.last_send = now;
    q->priv_.gap_ms = cfg->interval_ms;
    if (cfg->window_ms == 0)
        q->priv_.cfg.window_ms = MCD_EXT_DEFAULT_WINDOW_MS;
    return 0;
}

static bool more_sends(const mcd_qcore *q)
{
    return q->priv_.cfg.sends == 0 || q->priv_.sent < q->priv_.cfg.sends;
}

bool mcd_qcore_send_due(mcd_qcore *q, mcd_time now)
{
    if (!more_sends(q) || now < q->priv_.next_send || now >= q->priv_.deadline)
        return false;
    q->priv_.sent++;
    q->priv_.last_send = now;
    q->priv_.next_send = now + (mcd_time)q->priv_.gap_ms * 1000u;
    if (q->priv_.gap_ms <= UINT32_MAX / 2)
        q->priv_.gap_ms *= 2;
    if (q->priv_.cfg.max_interval_ms &&
        q->priv_.gap_ms > q->priv_.cfg.max_interval_ms)
        q->priv_.gap_ms = q->priv_.cfg.max_interval_ms;
    return true;
}

/* FNV-1a over what identifies a device. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static uint32_t device_hash(const mcd_endpoint *from, const mcd_reply *r)
{
    uint32_t h = 2166136261u;

    /* As much of the address as mcd_addr_equal() compares. */
    h = fnv(h, from->addr.b, from->addr.family == MCD_AF_INET4 ? 4 : 16);
    h = fnv(h, &from->port, sizeof from->port);
    h = fnv(h, r->name, strlen(r->name));
    h = fnv(h, r->proto, strlen(r->proto));
    return fnv(h, &r->port, sizeof r->port);
}

static bool same_text(const mcd_reply *a, const mcd_reply *b)
{
    return a->port == b->port && strcmp(a->name, b->name) == 0 &&
           strcmp(a->proto, b->proto) == 0;
}

static bool same_endpoint(const mcd_endpoint *a, const mcd_endpoint *b)
{
    return a->port == b->port && mcd_addr_equal(&a->addr, &b->addr);
}

/* Whether the device answered from `ep`. */
static bool answered_from(const mcd_device *d, const mcd_endpoint *ep)
{
    for (size_t i = 0; i < d->naddrs; i++)
        if (same_endpoint(&d->addrs[i].ep, ep))
            return true;
    return false;
}

/* The entry a chapter reply belongs to: the same endpoint and text, or an
 * extended device that answered from that endpoint with that text (a
 * responder that missed the extended copy, or speaks only the chapter on
 * that address). */
static mcd_device *find(const mcd_qcore *q, const mcd_endpoint *from,
                        const mcd_reply *r)
{
    uint32_t h = device_hash(from, r);

    for (size_t i = 0; i < q->priv_.n; i++) {
        mcd_device *d = &q->priv_.devices[i];

        if ((d->priv_.hash == h || d->ext) && same_text(&d->reply, r) &&
            answered_from(d, from))
            return d;
    }
    return NULL;
}

/* Whether the entries first heard from this address reached per_source. */
static bool capped(const mcd_qcore *q, const mcd_addr *a)
{
    size_t n = 0;

    if (q->priv_.cfg.per_source == 0)
        return false;
    for (size_t i = 0; i < q->priv_.n; i++)
        n += mcd_addr_equal(&q->priv_.devices[i].from.addr, a);
    return n >= q->priv_.cfg.per_source;
}

/* The extended device with this id and text. Another text under a known
 * id is another device (a collision, or a forger borrowing the id): it
 * never changes what the first one said. */
static mcd_device *find_id(const mcd_qcore *q, const uint8_t *id,
                           const mcd_reply *r)
{
    for (size_t i = 0; i < q->priv_.n; i++) {
        mcd_device *d = &q->priv_.devices[i];

        if (d->ext && memcmp(d->id, id, MCD_EXT_ID_LEN) == 0 &&
            same_text(&d->reply, r))
            return d;
    }
    return NULL;
}

/* A source that can have sent a reply: a unicast address other than the
 * unspecified one and the limited broadcast, and a port other than 0 (a
 * reply "from" port 0 cannot be answered and never came from a socket). */
static bool unicast_source(const mcd_endpoint *src)
{
    static const uint8_t zero[16];
    static const uint8_t ones[4] = {255, 255, 255, 255};
    size_t n = src->addr.family == MCD_AF_INET4 ? 4 : 16;

    if (src->addr.family != MCD_AF_INET4 && src->addr.family != MCD_AF_INET6)
        return false;
    if (src->port == 0 || mcd_addr_is_multicast(&src->addr))
        return false;
    if (memcmp(src->addr.b, zero, n) == 0)
        return false;
    return !(n == 4 && memcmp(src->addr.b, ones, 4) == 0);
}

static enum mcd_qresult not_device(mcd_qcore *q, enum mcd_qresult why)
{
    q->priv_.dropped++;
    if (why == MCD_Q_BAD_SOURCE)
        q->priv_.bad_source++;
    else if (why == MCD_Q_OFF_LINK)
        q->priv_.off_link++;
    else if (why == MCD_Q_BAD_NONCE)
        q->priv_.bad_nonce++;
    else if (why == MCD_Q_UNVERIFIED)
        q->priv_.unverified++;
    return why;
}

/* Why a datagram is not a device whatever it says, or MCD_Q_NEW. */
static enum mcd_qresult check_source(const mcd_qcore *q, const mcd_qcore_rx *rx)
{
    if (rx->dst_is_group)
        return MCD_Q_MULTICAST;
    if (rx->from == NULL || !unicast_source(rx->from) || rx->src_broadcast)
        return MCD_Q_BAD_SOURCE;
    /* A TTL 1 query never left the link: a reply from elsewhere is forged
     * or misrouted. */
    if (!rx->src_on_link && !q->priv_.cfg.allow_offlink)
        return MCD_Q_OFF_LINK;
    return MCD_Q_NEW;
}

/* Our query, another client's, or an extended query (the query, a NUL,
 * anything): never a reply. */
static bool is_query(const mcd_qcore *q, const uint8_t *data, size_t len)
{
    const mcd_qcore_config *c = &q->priv_.cfg;

    if (mcd_query_match(data, len, c->query, c->query_len) >= 0)
        return true;
    return len > c->query_len && memcmp(data, c->query, c->query_len) == 0 &&
           data[c->query_len] == 0;
}

/* A new entry for a device first heard from rx->from, or why not. */
static enum mcd_qresult add(mcd_qcore *q, mcd_time now,
                            const mcd_qcore_rx *rx, const mcd_reply *r,
                            mcd_device **out)
{
    mcd_device *d;

    if (capped(q, &rx->from->addr)) {
        q->priv_.capped++;
        return MCD_Q_CAPPED;
    }
    if (q->priv_.n == q->priv_.cap) {
        q->priv_.full++;
        return MCD_Q_FULL;
    }
    d = &q->priv_.devices[q->priv_.n++];
    memset(d, 0, sizeof *d);
    d->from = *rx->from;
    d->ifindex = rx->ifindex;
    d->addrs[0] = (mcd_device_addr){.ep = *rx->from, .ifindex = rx->ifindex};
    d->naddrs = 1;
    d->reply = *r;
    d->at = now;
    d->rtt = now - q->priv_.last_send;
    d->elapsed = now - q->priv_.start;
    d->priv_.hash = device_hash(rx->from, r);
    *out = d;
    return MCD_Q_NEW;
}

static enum mcd_qresult chapter_input(mcd_qcore *q, mcd_time now,
                                      const mcd_qcore_rx *rx,
                                      const mcd_reply *r, mcd_device **d)
{
    if (q->priv_.cfg.require_auth)
        return not_device(q, MCD_Q_UNVERIFIED); /* never verified */
    *d = find(q, rx->from, r);
    if (*d != NULL)
        return MCD_Q_DUPLICATE;
    return add(q, now, rx, r, d);
}

/* --- extended replies ------------------------------------------------------ */

/* A device that answered only with flag T is asked again, in a padded
 * query, a few times; one that keeps doing so is named in KNOWN anyway
 * (a liar must not make every copy 1232 bytes). */
#define T_TRIES 3

static bool txt_pending(const mcd_device *d)
{
    return d->ext && d->txt_truncated && d->priv_.t_replies > 0 &&
           d->priv_.t_replies < T_TRIES;
}

/* Keep the reply's TXT pairs that obey the rules, each key once, as many
 * whole as fit; say when any is missing. */
static void store_txt(mcd_device *d, const mcd_ext_reply *er)
{
    bool dropped;

    d->txt_len = (uint16_t)mcd_txt_store_(d->txt, sizeof d->txt, er->tlv,
                                          er->tlv_len, &dropped);
    d->txt_truncated = dropped || (er->flags & MCD_EXT_FLAG_TRUNC) != 0;
}

/* The first full reply fixes the TXT; a reply with flag T counts a try. */
static bool take_txt(mcd_device *d, const mcd_ext_reply *er)
{
    if (d->priv_.t_replies == UINT8_MAX)
        return false; /* a full reply came already */
    if (er->flags & MCD_EXT_FLAG_TRUNC) {
        d->priv_.t_replies++;
        d->txt_truncated = true;
        return false;
    }
    store_txt(d, er);
    d->priv_.t_replies = UINT8_MAX;
    return true;
}

static void become_ext(mcd_device *d, const mcd_ext_reply *er)
{
    d->ext = true;
    memcpy(d->id, er->id, MCD_EXT_ID_LEN);
    take_txt(d, er);
}

/* A listed extended device answered again: a new endpoint, its full TXT. */
static enum mcd_qresult ext_again(mcd_device *d, const mcd_qcore_rx *rx,
                                  const mcd_ext_reply *er)
{
    bool more = take_txt(d, er);

    if (!answered_from(d, rx->from)) {
        if (d->naddrs < MCD_DEVICE_ADDRS) {
            d->addrs[d->naddrs++] =
                (mcd_device_addr){.ep = *rx->from, .ifindex = rx->ifindex};
            more = true;
        } else if (d->addrs_dropped < UINT32_MAX) {
            d->addrs_dropped++;
        }
    }
    return more ? MCD_Q_UPDATE : MCD_Q_DUPLICATE;
}

/* --- keys ------------------------------------------------------------------ */

/* Whether a keyed client can trust this reply (its nonce is checked
 * already: the MAC covers it, so a reply replayed to a later query fails
 * both). A MAC that is there but wrong is counted. */
static bool verified(mcd_qcore *q, const mcd_qcore_rx *rx,
                     const mcd_ext_reply *er)
{
    int r;

    if (q->priv_.cfg.mac.fn == NULL)
        return false;
    r = mcd_ext_mac_check(&q->priv_.cfg.mac, rx->data, rx->len, er);
    if (r == MCD_MAC_BAD)
        q->priv_.bad_mac++;
    return r == MCD_MAC_OK;
}

/* A verified reply for a listed device. The first one makes the device
 * verified and replaces what unverified replies said (their addresses and
 * TXT may be a forger's: anyone can send a reply with a borrowed id and
 * text and our nonce); later unverified ones never add to it
 * (ext_input). */
static enum mcd_qresult verified_again(mcd_device *d, const mcd_qcore_rx *rx,
                                       const mcd_ext_reply *er)
{
    if (d->verified)
        return ext_again(d, rx, er);
    d->verified = true;
    d->from = *rx->from;
    d->ifindex = rx->ifindex;
    d->addrs[0] = (mcd_device_addr){.ep = *rx->from, .ifindex = rx->ifindex};
    d->naddrs = 1;
    d->addrs_dropped = 0;
    d->priv_.hash = device_hash(rx->from, &d->reply);
    d->priv_.t_replies = 0;
    d->txt_len = 0;
    take_txt(d, er);
    return MCD_Q_UPDATE;
}

static enum mcd_qresult ext_input(mcd_qcore *q, mcd_time now,
                                  const mcd_qcore_rx *rx, mcd_device **d)
{
    mcd_ext_reply er;
    enum mcd_qresult res;

    bool ok;

    if (mcd_ext_reply_decode(rx->data, rx->len, &er) < 0)
        return not_device(q, MCD_Q_MALFORMED);
    if (memcmp(er.nonce, q->priv_.cfg.nonce, MCD_EXT_NONCE_LEN) != 0)
        return not_device(q, MCD_Q_BAD_NONCE);
    ok = verified(q, rx, &er);
    if (!ok && q->priv_.cfg.require_auth)
        return not_device(q, MCD_Q_UNVERIFIED);
    *d = find_id(q, er.id, &er.base);
    if (*d != NULL && (*d)->verified && !ok)
        return MCD_Q_DUPLICATE; /* adds no address, no TXT */
    if (*d != NULL)
        return ok ? verified_again(*d, rx, &er) : ext_again(*d, rx, &er);
    *d = find(q, rx->from, &er.base);
    if (*d != NULL && !(*d)->ext) {
        /* Heard first in the chapter's exchange: now it has an id. */
        become_ext(*d, &er);
        (*d)->verified = ok;
        return MCD_Q_UPDATE;
    }
    /* Else another id at an endpoint and text already listed: two
     * responders sharing a host and port are two devices. */
    res = add(q, now, rx, &er.base, d);
    if (res == MCD_Q_NEW) {
        become_ext(*d, &er);
        (*d)->verified = ok;
    }
    return res;
}

enum mcd_qresult mcd_qcore_input(mcd_qcore *q, mcd_time now,
                                 const mcd_qcore_rx *rx,
                                 const mcd_device **dev)
{
    enum mcd_qresult why = check_source(q, rx);
    mcd_device *d = NULL;
    mcd_reply r;

    q->priv_.received++;
    if (why != MCD_Q_NEW)
        return not_device(q, why);
    if (is_query(q, rx->data, rx->len))
        return not_device(q, MCD_Q_QUERY);
    /* A NUL ends the chapter's text: what follows is the extension. */
    if (rx->len > 0 && memchr(rx->data, 0, rx->len) != NULL)
        why = ext_input(q, now, rx, &d);
    else if (mcd_reply_parse(rx->data, rx->len, &r) < 0)
        return not_device(q, MCD_Q_MALFORMED);
    else
        why = chapter_input(q, now, rx, &r, &d);
    if ((why == MCD_Q_NEW || why == MCD_Q_UPDATE) && dev != NULL)
        *dev = d;
    return why;
}

/* --- what to send ---------------------------------------------------------- */

/* Bytes left for the KNOWN filter in an extended query of the longest
 * size: the query, its NUL, the header, WINDOW (3 + 2) and KNOWN's own
 * type, length, salt and k (3 + 3). */
static size_t filter_room(const mcd_qcore *q)
{
    size_t used = q->priv_.cfg.query_len + 1 + MCD_EXT_HDR_LEN + 5 + 6;

    return used < MCD_EXT_MAX ? MCD_EXT_MAX - used : 0;
}

/* Named in KNOWN: an extended device whose full reply we hold; with a
 * key, a verified one only (else a forger who replies first with a
 * device's id would silence the device itself for the run). */
static bool known(const mcd_qcore *q, const mcd_device *d)
{
    return d->ext && !txt_pending(d) &&
           (q->priv_.cfg.mac.fn == NULL || d->verified);
}

/* KNOWN: every extended device whose full reply we hold. *pad_big when
 * one still owes its TXT: the copy is padded so that its full reply fits. */
static size_t known_filter(const mcd_qcore *q, uint16_t salt, uint8_t *f,
                           size_t room, bool *pad_big)
{
    size_t n = 0, len;

    *pad_big = false;
    for (size_t i = 0; i < q->priv_.n; i++) {
        *pad_big = *pad_big || txt_pending(&q->priv_.devices[i]);
        n += known(q, &q->priv_.devices[i]);
    }
    if (n == 0 || room == 0)
        return 0;
    len = mcd_ext_known_size(n, room);
    memset(f, 0, len);
    for (size_t i = 0; i < q->priv_.n; i++) {
        const mcd_device *d = &q->priv_.devices[i];

        if (known(q, d))
            mcd_ext_known_add(f, len, MCD_EXT_KNOWN_K, q->priv_.cfg.nonce,
                              salt, d->id);
    }
    return len;
}

static int ext_copy(const mcd_qcore *q, uint8_t *out, size_t cap)
{
    uint8_t filter[MCD_EXT_MAX];
    bool pad_big;
    mcd_ext_query eq = {
        .has_window = true, .window_ms = (uint16_t)q->priv_.cfg.window_ms,
        .salt = (uint16_t)q->priv_.sent, .k = MCD_EXT_KNOWN_K,
        .filter = filter,
    };

    memcpy(eq.nonce, q->priv_.cfg.nonce, MCD_EXT_NONCE_LEN);
    eq.filter_len = known_filter(q, eq.salt, filter, filter_room(q), &pad_big);
    eq.has_known = eq.filter_len > 0;
    return mcd_ext_query_encode(q->priv_.cfg.query, q->priv_.cfg.query_len,
                                &eq, pad_big ? MCD_EXT_MAX : MCD_EXT_QUERY_PAD,
                                out, cap);
}

int mcd_qcore_datagram(const mcd_qcore *q, unsigned i, uint8_t *out,
                       size_t cap)
{
    const mcd_qcore_config *c = &q->priv_.cfg;
    unsigned plain = c->chapter_only ? 0 : 1;

    if (i > plain)
        return 0;
    if (i < plain)
        return ext_copy(q, out, cap);
    if (c->query_len > cap)
        return MCD_E_TOOLONG;
    memcpy(out, c->query, c->query_len);
    return (int)c->query_len;
}

mcd_time mcd_qcore_next(const mcd_qcore *q)
{
    if (more_sends(q) && q->priv_.next_send < q->priv_.deadline)
        return q->priv_.next_send;
    return q->priv_.deadline;
}

bool mcd_qcore_done(const mcd_qcore *q, mcd_time now)
{
    if (q->priv_.cfg.count != 0 && q->priv_.n >= q->priv_.cfg.count)
        return true;
    return now >= q->priv_.deadline;
}

void mcd_qcore_stats_get(const mcd_qcore *q, mcd_qcore_stats *st)
{
    *st = (mcd_qcore_stats){
        .found = q->priv_.n, .sent = q->priv_.sent,
        .dropped = q->priv_.dropped, .bad_source = q->priv_.bad_source,
        .off_link = q->priv_.off_link, .capped = q->priv_.capped,
        .full = q->priv_.full, .bad_nonce = q->priv_.bad_nonce,
        .received = q->priv_.received,
        .bad_mac = q->priv_.bad_mac, .unverified = q->priv_.unverified,
    };
}
