/*
 * probe.c - the test header of `mcdisc send` and the per-sender accounting
 * of `mcdisc recv`: loss, duplicates, reordering, one-way delay, jitter
 * (docs/PROBE.md). No sockets, no heap: the caller owns the flow table and
 * the clocks.
 */
#include "mcdisc/core.h"

#include <string.h>

#include "cursor.h"

int mcd_probe_encode(const mcd_probe *p, uint8_t *buf, size_t cap)
{
    mcd_wcur w = {buf, cap, 0, false};

    if (p == NULL || (buf == NULL && cap > 0))
        return MCD_E_INVAL;
    mcd_wcur_be(&w, MCD_PROBE_MAGIC, 4);
    mcd_wcur_be(&w, MCD_PROBE_VERSION, 1);
    mcd_wcur_be(&w, 0, 1); /* flags, none defined */
    mcd_wcur_be(&w, MCD_PROBE_LEN, 2);
    mcd_wcur_be(&w, p->sender_id, 4);
    mcd_wcur_be(&w, p->seq, 8);
    mcd_wcur_be(&w, p->sent_us, 8);
    mcd_wcur_be(&w, p->total, 4);
    return w.err ? MCD_E_TOOLONG : (int)w.len;
}

int mcd_probe_decode(const uint8_t *buf, size_t len, mcd_probe *p)
{
    mcd_rcur r = {buf, len, 0, false};

    if (p == NULL || (buf == NULL && len > 0))
        return MCD_E_INVAL;
    if (mcd_rcur_be(&r, 4) != MCD_PROBE_MAGIC ||
        mcd_rcur_be(&r, 1) != MCD_PROBE_VERSION)
        return MCD_E_NOTPROBE;
    (void)mcd_rcur_be(&r, 1); /* flags: ignored, for later versions */
    if (mcd_rcur_be(&r, 2) != MCD_PROBE_LEN)
        return MCD_E_NOTPROBE;
    p->sender_id = (uint32_t)mcd_rcur_be(&r, 4);
    p->seq = mcd_rcur_be(&r, 8);
    p->sent_us = mcd_rcur_be(&r, 8);
    p->total = (uint32_t)mcd_rcur_be(&r, 4);
    return r.err ? MCD_E_NOTPROBE : 0;
}

void mcd_flows_init(mcd_flows *f, mcd_flow *table, size_t cap)
{
    f->priv_.tab = table;
    f->priv_.cap = cap;
    f->priv_.n = 0;
}

size_t mcd_flows_count(const mcd_flows *f)
{
    return f->priv_.n;
}

static bool same_src(const mcd_endpoint *a, const mcd_endpoint *b)
{
    return a->port == b->port && mcd_addr_equal(&a->addr, &b->addr);
}

static mcd_flow *find(mcd_flows *f, const mcd_endpoint *src, bool probe,
                      uint32_t id)
{
    for (size_t i = 0; i < f->priv_.n; i++) {
        mcd_flow *fl = &f->priv_.tab[i];

        if (fl->probe == probe && same_src(&fl->src, src) &&
            (!probe || fl->sender_id == id))
            return fl;
    }
    return NULL;
}

/* A new run of a sender: the same address (a restarted program gets a new
 * port too), a new id, starting again from sequence 0. */
static bool is_restart(const mcd_flows *f, const mcd_endpoint *src,
                       const mcd_probe *h)
{
    if (h->seq != 0)
        return false;
    for (size_t i = 0; i < f->priv_.n; i++) {
        const mcd_flow *fl = &f->priv_.tab[i];

        if (fl->probe && fl->sender_id != h->sender_id &&
            mcd_addr_equal(&fl->src.addr, &src->addr))
            return true;
    }
    return false;
}

/* Two senders on one host running at once are not restarts: when an
 * older flow from the address speaks again, clear the flag of newer ones. */
static void clear_restarts(mcd_flows *f, const mcd_flow *older)
{
    for (size_t i = 0; i < f->priv_.n; i++) {
        mcd_flow *fl = &f->priv_.tab[i];

        if (fl != older && fl->restarted && fl->first_at >= older->first_at &&
            mcd_addr_equal(&fl->src.addr, &older->src.addr))
            fl->restarted = false;
    }
}

static mcd_flow *add(mcd_flows *f, const mcd_endpoint *src, bool probe,
                     uint32_t id, mcd_time now)
{
    mcd_flow *fl;

    if (f->priv_.n == f->priv_.cap)
        return NULL;
    fl = &f->priv_.tab[f->priv_.n++];
    memset(fl, 0, sizeof *fl);
    fl->src = *src;
    fl->probe = probe;
    fl->sender_id = id;
    fl->first_at = now;
    return fl;
}

/* The duplicate window covers [win_base, win_base + MCD_FLOW_WINDOW), in
 * 64-bit words. Moving it forward drops the oldest words. */
static void win_advance(mcd_flow *fl, uint64_t seq)
{
    const size_t words = MCD_FLOW_WINDOW / 64;
    uint64_t shift = (seq - fl->priv_.win_base) / 64 - (words - 1);

    if (shift >= words) {
        memset(fl->priv_.win, 0, sizeof fl->priv_.win);
    } else {
        memmove(fl->priv_.win, fl->priv_.win + shift,
                (words - (size_t)shift) * sizeof fl->priv_.win[0]);
        memset(fl->priv_.win + words - shift, 0,
               (size_t)shift * sizeof fl->priv_.win[0]);
    }
    fl->priv_.win_base += shift * 64;
}

/* Mark `seq` seen; true when it already was. Numbers older than the window
 * cannot be told apart and count as late, not as duplicates. */
static bool win_test_set(mcd_flow *fl, uint64_t seq)
{
    uint64_t off, bit;
    bool was;

    if (seq < fl->priv_.win_base)
        return false;
    if (seq - fl->priv_.win_base >= MCD_FLOW_WINDOW)
        win_advance(fl, seq);
    off = seq - fl->priv_.win_base;
    bit = (uint64_t)1 << (off % 64);
    was = (fl->priv_.win[off / 64] & bit) != 0;
    fl->priv_.win[off / 64] |= bit;
    return was;
}

/* Transit times are clamped to +-2^40 us (12 days) so that hostile or
 * skewed timestamps cannot overflow the sums. */
#define TRANSIT_LIMIT ((int64_t)1 << 40)

static int64_t transit_of(const mcd_probe *h, uint64_t now_real_us)
{
    uint64_t d = now_real_us - h->sent_us;
    int64_t t;

    if (d <= (uint64_t)TRANSIT_LIMIT)
        return (int64_t)d;
    if (-d <= (uint64_t)TRANSIT_LIMIT) {
        t = (int64_t)(-d);
        return -t;
    }
    return now_real_us >= h->sent_us ? TRANSIT_LIMIT : -TRANSIT_LIMIT;
}

static void note_delay(mcd_flow *fl, const mcd_probe *h, uint64_t now_real_us)
{
    int64_t transit = transit_of(h, now_real_us);

    if (fl->delay_n == 0 || transit < fl->delay_min_us)
        fl->delay_min_us = transit;
    if (fl->delay_n == 0 || transit > fl->delay_max_us)
        fl->delay_max_us = transit;
    if (__builtin_add_overflow(fl->delay_sum_us, transit, &fl->delay_sum_us))
        fl->delay_sum_us = transit < 0 ? INT64_MIN : INT64_MAX;
    if (fl->delay_n > 0) {
        /* RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16. */
        int64_t d = transit - fl->last_transit_us;
        uint64_t ad = (uint64_t)(d < 0 ? -d : d);

        fl->jitter_us16 = fl->jitter_us16 + ad - ((fl->jitter_us16 + 8) >> 4);
    }
    fl->last_transit_us = transit;
    fl->delay_n++;
}

static enum mcd_flow_event sequence(mcd_flow *fl, const mcd_probe *h,
                                    bool first)
{
    if (first) {
        fl->min_seq = fl->max_seq = h->seq;
        fl->priv_.win_base = h->seq - h->seq % 64;
        win_test_set(fl, h->seq);
        fl->unique++;
        return MCD_FLOW_NEXT;
    }
    if (win_test_set(fl, h->seq)) {
        fl->duplicates++;
        return MCD_FLOW_DUPLICATE;
    }
    fl->unique++;
    if (h->seq > fl->max_seq) {
        fl->max_seq = h->seq;
        return MCD_FLOW_NEXT;
    }
    fl->reordered++;
    if (h->seq < fl->min_seq)
        fl->min_seq = h->seq;
    return MCD_FLOW_LATE;
}

enum mcd_flow_event mcd_flows_input(mcd_flows *f, mcd_time now,
                                    uint64_t now_real_us,
                                    const mcd_endpoint *src,
                                    const uint8_t *data, size_t len,
                                    mcd_flow **flow, mcd_probe *hdr)
{
    mcd_probe h = {0};
    bool probe = mcd_probe_decode(data, len, &h) == 0;
    mcd_flow *fl = find(f, src, probe, h.sender_id);
    enum mcd_flow_event ev;
    bool first = fl == NULL;

    *flow = NULL;
    if (first) {
        bool restart = probe && is_restart(f, src, &h);

        fl = add(f, src, probe, h.sender_id, now);
        if (fl == NULL)
            return MCD_FLOW_FULL;
        fl->restarted = restart;
    } else if (probe) {
        clear_restarts(f, fl);
    }
    fl->received++;
    fl->bytes += len;
    fl->last_at = now;
    *flow = fl;
    if (!probe)
        return MCD_FLOW_RAW;
    if (hdr != NULL)
        *hdr = h;
    ev = sequence(fl, &h, first);
    if (ev != MCD_FLOW_DUPLICATE)
        note_delay(fl, &h, now_real_us);
    if (first)
        return fl->restarted ? MCD_FLOW_RESTART : MCD_FLOW_NEW;
    return ev;
}

uint64_t mcd_flow_lost(const mcd_flow *fl)
{
    uint64_t expected;

    if (!fl->probe || fl->unique == 0)
        return 0;
    expected = fl->max_seq - fl->min_seq + 1;
    return expected > fl->unique ? expected - fl->unique : 0;
}

uint64_t mcd_flow_jitter_us(const mcd_flow *fl)
{
    return fl->jitter_us16 >> 4;
}
