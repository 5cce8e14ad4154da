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
 */
#include "mcdisc/core.h"

#include <string.h>

int mcd_qcore_init(mcd_qcore *q, const mcd_qcore_config *cfg,
                   mcd_device *table, size_t cap, mcd_time now)
{
    int err;

    if (q == NULL || cfg == NULL || table == NULL || cap == 0)
        return MCD_E_INVAL;
    if (cfg->timeout_ms == 0 || cfg->interval_ms == 0)
        return MCD_E_INVAL;
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

static bool same_device(const mcd_device *d, uint32_t h,
                        const mcd_endpoint *from, const mcd_reply *r)
{
    return d->priv_.hash == h && d->from.port == from->port &&
           mcd_addr_equal(&d->from.addr, &from->addr) &&
           d->reply.port == r->port && strcmp(d->reply.name, r->name) == 0 &&
           strcmp(d->reply.proto, r->proto) == 0;
}

/* The device's entry, if listed; *same_addr counts the entries from its
 * source address (the whole table is walked either way). */
static const mcd_device *find(const mcd_qcore *q, uint32_t h,
                              const mcd_endpoint *from, const mcd_reply *r,
                              size_t *same_addr)
{
    *same_addr = 0;
    for (size_t i = 0; i < q->priv_.n; i++) {
        if (same_device(&q->priv_.devices[i], h, from, r))
            return &q->priv_.devices[i];
        if (mcd_addr_equal(&q->priv_.devices[i].from.addr, &from->addr))
            (*same_addr)++;
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

enum mcd_qresult mcd_qcore_input(mcd_qcore *q, mcd_time now,
                                 const mcd_qcore_rx *rx,
                                 const mcd_device **dev)
{
    enum mcd_qresult why = check_source(q, rx);
    const mcd_endpoint *from = rx->from;
    size_t same_addr;
    mcd_reply r;
    mcd_device *d;
    uint32_t h;

    if (why != MCD_Q_NEW)
        return not_device(q, why);
    if (mcd_query_match(rx->data, rx->len, q->priv_.cfg.query,
                        q->priv_.cfg.query_len) >= 0)
        return not_device(q, MCD_Q_QUERY);
    if (mcd_reply_parse(rx->data, rx->len, &r) < 0)
        return not_device(q, MCD_Q_MALFORMED);
    h = device_hash(from, &r);
    if (find(q, h, from, &r, &same_addr) != NULL)
        return MCD_Q_DUPLICATE;
    if (q->priv_.cfg.per_source != 0 && same_addr >= q->priv_.cfg.per_source) {
        q->priv_.capped++;
        return MCD_Q_CAPPED;
    }
    if (q->priv_.n == q->priv_.cap) {
        q->priv_.full++;
        return MCD_Q_FULL;
    }
    d = &q->priv_.devices[q->priv_.n++];
    d->from = *from;
    d->ifindex = rx->ifindex;
    d->reply = r;
    d->at = now;
    d->rtt = now - q->priv_.last_send;
    d->elapsed = now - q->priv_.start;
    d->priv_.hash = h;
    if (dev != NULL)
        *dev = d;
    return MCD_Q_NEW;
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
        .full = q->priv_.full,
    };
}
