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
 */
#include "mcdisc.h"

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
    q->cfg = *cfg;
    q->devices = table;
    q->cap = cap;
    q->start = now;
    q->deadline = now + (mcd_time)cfg->timeout_ms * 1000u;
    q->next_send = now;
    q->last_send = now;
    q->gap_ms = cfg->interval_ms;
    return 0;
}

static bool more_sends(const mcd_qcore *q)
{
    return q->cfg.sends == 0 || q->sent < q->cfg.sends;
}

bool mcd_qcore_send_due(mcd_qcore *q, mcd_time now)
{
    if (!more_sends(q) || now < q->next_send || now >= q->deadline)
        return false;
    q->sent++;
    q->last_send = now;
    q->next_send = now + (mcd_time)q->gap_ms * 1000u;
    if (q->gap_ms <= UINT32_MAX / 2)
        q->gap_ms *= 2;
    if (q->cfg.max_interval_ms && q->gap_ms > q->cfg.max_interval_ms)
        q->gap_ms = q->cfg.max_interval_ms;
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
    return d->hash_ == h && d->from.port == from->port &&
           mcd_addr_equal(&d->from.addr, &from->addr) &&
           d->reply.port == r->port && strcmp(d->reply.name, r->name) == 0 &&
           strcmp(d->reply.proto, r->proto) == 0;
}

static const mcd_device *find(const mcd_qcore *q, uint32_t h,
                              const mcd_endpoint *from, const mcd_reply *r)
{
    for (size_t i = 0; i < q->n; i++)
        if (same_device(&q->devices[i], h, from, r))
            return &q->devices[i];
    return NULL;
}

static enum mcd_qresult not_device(mcd_qcore *q, enum mcd_qresult why)
{
    q->dropped++;
    return why;
}

enum mcd_qresult mcd_qcore_input(mcd_qcore *q, mcd_time now,
                                 const uint8_t *data, size_t len,
                                 const mcd_endpoint *from,
                                 bool dst_is_group, uint32_t ifindex,
                                 const mcd_device **dev)
{
    mcd_reply r;
    mcd_device *d;
    uint32_t h;

    if (dst_is_group)
        return not_device(q, MCD_Q_MULTICAST);
    if (mcd_query_match(data, len, q->cfg.query, q->cfg.query_len) >= 0)
        return not_device(q, MCD_Q_QUERY);
    if (mcd_reply_parse(data, len, &r) < 0)
        return not_device(q, MCD_Q_MALFORMED);
    h = device_hash(from, &r);
    if (find(q, h, from, &r) != NULL)
        return MCD_Q_DUPLICATE;
    if (q->n == q->cap)
        return MCD_Q_FULL;
    d = &q->devices[q->n++];
    d->from = *from;
    d->ifindex = ifindex;
    d->reply = r;
    d->at = now;
    d->rtt = now - q->last_send;
    d->elapsed = now - q->start;
    d->hash_ = h;
    if (dev != NULL)
        *dev = d;
    return MCD_Q_NEW;
}

mcd_time mcd_qcore_next(const mcd_qcore *q)
{
    if (more_sends(q) && q->next_send < q->deadline)
        return q->next_send;
    return q->deadline;
}

bool mcd_qcore_done(const mcd_qcore *q, mcd_time now)
{
    if (q->cfg.count != 0 && q->n >= q->cfg.count)
        return true;
    return now >= q->deadline;
}
