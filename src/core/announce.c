/*
 * announce.c - announcements and goodbyes (docs/PROTOCOL.md, "Live view
 * and keys"): their codec, LIFETIME in replies, and a device's schedule.
 * Pure: no I/O, no heap. The header and TLV codec are ext.c's: an
 * announcement's counter stands where a query's nonce does.
 */
#include "mcdisc/core.h"

#include "core_private.h"
#include "cursor.h"

static void tlv_put(mcd_wcur *w, uint8_t type, const void *v, size_t n)
{
    mcd_tlv_hdr_put_(w, type, n);
    mcd_wcur_put(w, v, n);
}

static void lifetime_put(mcd_wcur *w, uint32_t s)
{
    uint8_t v[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8),
                    (uint8_t)s};

    tlv_put(w, MCD_EXT_TLV_LIFETIME, v, sizeof v);
}

/* The header, the counter big-endian in the nonce's 8 bytes. */
static void hdr_put(mcd_wcur *w, uint8_t kind, uint64_t counter)
{
    uint8_t c[MCD_EXT_NONCE_LEN];
    mcd_wcur cw = {c, sizeof c, 0, false};

    mcd_wcur_be(&cw, counter, sizeof c);
    mcd_ext_hdr_put_(w, kind, 0, c);
}

int mcd_ext_announce_encode(const uint8_t *query, size_t query_len,
                            const mcd_ext_announce *a, const uint8_t *text,
                            size_t text_len, const char *const *txt,
                            size_t ntxt, uint8_t *out, size_t cap)
{
    mcd_wcur w = {out, cap < MCD_EXT_MAX ? cap : MCD_EXT_MAX, 0, false};
    mcd_reply check;
    bool bye;
    int err;

    if (a == NULL || text == NULL || (out == NULL && cap > 0) ||
        (txt == NULL && ntxt > 0) || mcd_query_check(query, query_len) != 0)
        return MCD_E_INVAL;
    if (a->kind != MCD_EXT_KIND_ANNOUNCE && a->kind != MCD_EXT_KIND_GOODBYE)
        return MCD_E_INVAL;
    if (mcd_reply_parse(text, text_len, &check) != 0)
        return MCD_E_BADREPLY;
    bye = a->kind == MCD_EXT_KIND_GOODBYE;
    mcd_wcur_put(&w, query, query_len);
    mcd_wcur_byte(&w, 0);
    hdr_put(&w, a->kind, a->counter);
    mcd_wcur_put(&w, a->id, MCD_EXT_ID_LEN);
    tlv_put(&w, MCD_EXT_TLV_TEXT, text, text_len);
    lifetime_put(&w, bye ? 0 : a->lifetime);
    err = bye ? 0 : mcd_ext_txt_put_(&w, txt, ntxt);
    if (err < 0)
        return err;
    return w.err ? MCD_E_TOOLONG : (int)w.len;
}

static uint32_t be32(const uint8_t *v)
{
    return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 |
           v[3];
}

/* The TLVs of an announcement: the first TEXT and LIFETIME count. */
static int announce_tlvs(const uint8_t *p, size_t len, mcd_ext_announce *out)
{
    size_t pos = 0, vlen;
    const uint8_t *val;
    uint8_t type;
    bool bad = false, text = false, life = false;

    while (mcd_tlv_next_(p, len, &pos, &type, &val, &vlen, &bad)) {
        if (type == MCD_EXT_TLV_TEXT && !text) {
            if (mcd_reply_parse(val, vlen, &out->base) != 0)
                return MCD_E_BADREPLY;
            text = true;
        } else if (type == MCD_EXT_TLV_LIFETIME && !life) {
            if (vlen != 4)
                return MCD_E_BADEXT;
            out->lifetime = be32(val);
            life = true;
        }
    }
    if (bad || !text || !life)
        return MCD_E_BADEXT;
    if (out->kind == MCD_EXT_KIND_ANNOUNCE && out->lifetime == 0)
        return MCD_E_BADEXT;
    return 0;
}

int mcd_ext_announce_decode(const uint8_t *data, size_t len, size_t query_len,
                            mcd_ext_announce *out)
{
    mcd_rcur r = {data, len, query_len + 1, false};
    mcd_ext_hdr_ h;
    mcd_rcur c = {h.nonce, sizeof h.nonce, 0, false};

    if (out == NULL || data == NULL || query_len >= len)
        return MCD_E_INVAL;
    memset(out, 0, sizeof *out);
    if (len > MCD_EXT_MAX || !mcd_ext_hdr_read_(&r, &h))
        return MCD_E_BADEXT;
    out->kind = h.kind; /* flags: none defined */
    out->counter = mcd_rcur_be(&c, sizeof h.nonce);
    if (out->kind != MCD_EXT_KIND_ANNOUNCE && out->kind != MCD_EXT_KIND_GOODBYE)
        return 1;
    for (size_t i = 0; i < MCD_EXT_ID_LEN; i++)
        out->id[i] = (uint8_t)mcd_rcur_be(&r, 1);
    if (r.err)
        return MCD_E_BADEXT;
    out->tlv = data + r.pos;
    out->tlv_len = len - r.pos;
    return announce_tlvs(out->tlv, out->tlv_len, out);
}

bool mcd_ext_lifetime_get(const uint8_t *tlv, size_t tlv_len, uint32_t *s)
{
    size_t pos = 0, vlen;
    const uint8_t *val;
    uint8_t type;
    bool bad;

    if (tlv == NULL || s == NULL)
        return false;
    while (mcd_tlv_next_(tlv, tlv_len, &pos, &type, &val, &vlen, &bad))
        if (type == MCD_EXT_TLV_LIFETIME) {
            if (vlen != 4)
                return false;
            *s = be32(val);
            return true;
        }
    return false;
}

int mcd_ext_template_lt_(const uint8_t *text, size_t text_len,
                         const uint8_t id[MCD_EXT_ID_LEN], uint32_t lifetime,
                         const char *const *txt, size_t ntxt, uint8_t *out,
                         size_t cap, size_t *base_len)
{
    mcd_wcur w;
    size_t base;
    int n, err;

    /* The template without TXT, then LIFETIME and the pairs after it. */
    n = mcd_ext_template_(text, text_len, id, NULL, 0, out, cap, &base);
    if (n < 0)
        return n;
    if (txt == NULL && ntxt > 0)
        return MCD_E_INVAL;
    w = (mcd_wcur){out, cap < MCD_EXT_MAX ? cap : MCD_EXT_MAX, (size_t)n,
                   false};
    if (lifetime > 0)
        lifetime_put(&w, lifetime);
    base = w.len;
    err = mcd_ext_txt_put_(&w, txt, ntxt);
    if (err < 0)
        return err;
    if (w.err)
        return MCD_E_TOOLONG;
    *base_len = base;
    return (int)w.len;
}

int mcd_ext_reply_template_lt(const uint8_t *text, size_t text_len,
                              const uint8_t id[MCD_EXT_ID_LEN],
                              uint32_t lifetime, const char *const *txt,
                              size_t ntxt, uint8_t *out, size_t cap,
                              size_t *base_len)
{
    mcd_reply check;

    if (text == NULL || id == NULL || base_len == NULL)
        return MCD_E_INVAL;
    if (mcd_reply_parse(text, text_len, &check) != 0)
        return MCD_E_BADREPLY;
    return mcd_ext_template_lt_(text, text_len, id, lifetime, txt, ntxt, out,
                                cap, base_len);
}

/* ------------------------------------------------------------------------ */
/* The device's schedule                                                     */

/* Gap before copy i+1 of a burst: 1 s, then 2 s. */
static mcd_time burst_gap(uint8_t left)
{
    return left == MCD_ANN_COPIES - 1 ? 1000000u : 2000000u;
}

void mcd_announcer_init(mcd_announcer *a)
{
    if (a != NULL)
        memset(a, 0, sizeof *a);
}

void mcd_announcer_kick(mcd_announcer *a, mcd_time now)
{
    if (a == NULL || a->stopping)
        return;
    if (a->burst_seen && now - a->last_burst < MCD_ANN_BURST_GAP_US) {
        /* Rate limit: one burst per 10 s; the change waits for it. */
        a->pending = true;
        return;
    }
    a->left = MCD_ANN_COPIES;
    a->next = now;
    a->last_burst = now;
    a->burst_seen = true;
    a->pending = false;
}

void mcd_announcer_stop(mcd_announcer *a, mcd_time now)
{
    if (a == NULL || a->stopping)
        return;
    a->stopping = true;
    a->left = 0;
    a->pending = false;
    a->bye_left = MCD_BYE_COPIES;
    a->next = now;
}

mcd_time mcd_announcer_next(const mcd_announcer *a)
{
    if (a == NULL)
        return MCD_TIME_NEVER;
    if (a->bye_left > 0 || a->left > 0)
        return a->next;
    if (a->pending)
        return a->last_burst + MCD_ANN_BURST_GAP_US;
    return MCD_TIME_NEVER;
}

int mcd_announcer_poll(mcd_announcer *a, mcd_time now, mcd_time *next)
{
    int kind = 0;

    if (a == NULL)
        return 0;
    if (a->pending && a->left == 0 &&
        now - a->last_burst >= MCD_ANN_BURST_GAP_US)
        mcd_announcer_kick(a, now);
    if (a->bye_left > 0 && now >= a->next) {
        a->bye_left--;
        a->next = now + MCD_BYE_GAP_US;
        kind = MCD_EXT_KIND_GOODBYE;
    } else if (a->left > 0 && now >= a->next) {
        a->left--;
        a->next = now + burst_gap(a->left);
        kind = MCD_EXT_KIND_ANNOUNCE;
    }
    if (next != NULL)
        *next = mcd_announcer_next(a);
    return kind;
}

bool mcd_announcer_done(const mcd_announcer *a)
{
    return a != NULL && a->stopping && a->bye_left == 0;
}
