/*
 * ext.c - the extension, version 1 (docs/PROTOCOL.md, "The extension"):
 * extended queries and replies, their TLVs, the known-answer Bloom filter
 * and the ids. Pure: no I/O, no heap; every byte through the cursors.
 *
 * An extended datagram is the chapter's text, one NUL, then a header
 * (magic "MCDX", version, kind, flags, nonce) and TLVs that fill the rest.
 * The NUL keeps the chapter's strcmp-based receiver answering (see the
 * compatibility rules), the TLVs let a later version add fields.
 */
#include "mcdisc/core.h"

#include "core_private.h"
#include "cursor.h"

static const uint8_t ext_magic[4] = {0x4d, 0x43, 0x44, 0x58}; /* "MCDX" */

#define TLV_HDR 3u /* type, 16-bit length */
#define KNOWN_FIXED 3u /* salt, k */

/* ------------------------------------------------------------------------ */
/* Header and TLV walk                                                       */

static void rcur_bytes(mcd_rcur *r, uint8_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)mcd_rcur_be(r, 1);
}

/* Read the header at r's position (core_private.h). */
bool mcd_ext_hdr_read_(mcd_rcur *r, mcd_ext_hdr_ *h)
{
    uint8_t magic[4];

    rcur_bytes(r, magic, sizeof magic);
    h->version = (uint8_t)mcd_rcur_be(r, 1);
    h->kind = (uint8_t)mcd_rcur_be(r, 1);
    h->flags = (uint8_t)mcd_rcur_be(r, 1);
    rcur_bytes(r, h->nonce, sizeof h->nonce);
    return !r->err && memcmp(magic, ext_magic, sizeof magic) == 0 &&
           h->version != 0;
}

/* One TLV from *pos in tlv[0..len). False at the end (*pos == len) or when
 * it runs past the end (*bad set). Every TLV reader of the core uses it. */
bool mcd_tlv_next_(const uint8_t *tlv, size_t len, size_t *pos,
                   uint8_t *type, const uint8_t **val, size_t *vlen,
                   bool *bad)
{
    mcd_rcur r = {tlv, len, *pos, false};
    size_t n;

    *bad = false;
    if (*pos >= len)
        return false;
    *type = (uint8_t)mcd_rcur_be(&r, 1);
    n = (size_t)mcd_rcur_be(&r, 2);
    if (r.err || n > len - r.pos) {
        *bad = true;
        return false;
    }
    *val = tlv + r.pos;
    *vlen = n;
    *pos = r.pos + n;
    return true;
}

/* Whether the TLVs fill tlv[0..len) exactly. */
static bool tlvs_well_formed(const uint8_t *tlv, size_t len)
{
    size_t pos = 0, vlen;
    const uint8_t *val;
    uint8_t type;
    bool bad = false;

    while (mcd_tlv_next_(tlv, len, &pos, &type, &val, &vlen, &bad))
        ;
    return !bad;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */

void mcd_ext_hdr_put_(mcd_wcur *w, uint8_t kind, uint8_t flags,
                      const uint8_t nonce[MCD_EXT_NONCE_LEN])
{
    mcd_wcur_put(w, ext_magic, sizeof ext_magic);
    mcd_wcur_byte(w, MCD_EXT_VERSION);
    mcd_wcur_byte(w, kind);
    mcd_wcur_byte(w, flags);
    mcd_wcur_put(w, nonce, MCD_EXT_NONCE_LEN);
}

void mcd_tlv_hdr_put_(mcd_wcur *w, uint8_t type, size_t len)
{
    if (len > 0xffff) {
        w->err = true;
        return;
    }
    mcd_wcur_byte(w, type);
    mcd_wcur_be(w, len, 2);
}

static bool known_ok(const mcd_ext_query *q)
{
    return q->k >= 1 && q->k <= MCD_EXT_KNOWN_K_MAX && q->filter != NULL &&
           q->filter_len > 0;
}

/* A PAD TLV that brings w->len to at least pad_to (3 bytes at least). */
static void put_pad(mcd_wcur *w, size_t pad_to)
{
    size_t n;

    if (w->err || w->len >= pad_to)
        return;
    n = pad_to - w->len;
    n = n > TLV_HDR ? n - TLV_HDR : 0;
    mcd_tlv_hdr_put_(w, MCD_EXT_TLV_PAD, n);
    if (n > w->cap - w->len || w->err) {
        w->err = true;
        return;
    }
    memset(w->buf + w->len, 0, n);
    w->len += n;
}

int mcd_ext_query_encode(const uint8_t *query, size_t query_len,
                         const mcd_ext_query *q, size_t pad_to,
                         uint8_t *out, size_t cap)
{
    mcd_wcur w = {out, cap < MCD_EXT_MAX ? cap : MCD_EXT_MAX, 0, false};

    if (q == NULL || (out == NULL && cap > 0) ||
        mcd_query_check(query, query_len) != 0)
        return MCD_E_INVAL;
    if (q->has_known && !known_ok(q))
        return MCD_E_INVAL;
    mcd_wcur_put(&w, query, query_len);
    mcd_wcur_byte(&w, 0);
    mcd_ext_hdr_put_(&w, MCD_EXT_KIND_QUERY, q->flags, q->nonce);
    if (q->has_window) {
        mcd_tlv_hdr_put_(&w, MCD_EXT_TLV_WINDOW, 2);
        mcd_wcur_be(&w, q->window_ms, 2);
    }
    if (q->has_known) {
        mcd_tlv_hdr_put_(&w, MCD_EXT_TLV_KNOWN, KNOWN_FIXED + q->filter_len);
        mcd_wcur_be(&w, q->salt, 2);
        mcd_wcur_byte(&w, q->k);
        mcd_wcur_put(&w, q->filter, q->filter_len);
    }
    put_pad(&w, pad_to);
    return w.err ? MCD_E_TOOLONG : (int)w.len;
}

/* Take one TLV of a query; false when it is malformed. The first of a
 * type counts; later ones are skipped unread, unknown types too (version
 * rule). */
static bool query_tlv(mcd_ext_query *out, uint8_t type, const uint8_t *v,
                      size_t n)
{
    if (type == MCD_EXT_TLV_WINDOW && !out->has_window) {
        if (n != 2)
            return false;
        out->has_window = true;
        out->window_ms = (uint16_t)((v[0] << 8) | v[1]);
    } else if (type == MCD_EXT_TLV_KNOWN && !out->has_known) {
        if (n < KNOWN_FIXED + 1 || v[2] == 0 || v[2] > MCD_EXT_KNOWN_K_MAX)
            return false;
        out->has_known = true;
        out->salt = (uint16_t)((v[0] << 8) | v[1]);
        out->k = v[2];
        out->filter = v + KNOWN_FIXED;
        out->filter_len = n - KNOWN_FIXED;
    }
    return true;
}

int mcd_ext_query_decode(const uint8_t *data, size_t len, size_t query_len,
                         mcd_ext_query *out)
{
    mcd_rcur r = {data, len, query_len + 1, false};
    size_t pos = 0, vlen;
    const uint8_t *val;
    uint8_t type;
    bool bad = false;
    mcd_ext_hdr_ h;

    if (out == NULL || data == NULL || query_len >= len)
        return MCD_E_INVAL;
    memset(out, 0, sizeof *out);
    if (len > MCD_EXT_MAX || !mcd_ext_hdr_read_(&r, &h))
        return MCD_E_BADEXT;
    if (h.kind != MCD_EXT_KIND_QUERY)
        return 1;
    memcpy(out->nonce, h.nonce, sizeof out->nonce);
    out->flags = h.flags;
    data += r.pos;
    len -= r.pos;
    while (mcd_tlv_next_(data, len, &pos, &type, &val, &vlen, &bad))
        if (!query_tlv(out, type, val, vlen))
            return MCD_E_BADEXT;
    return bad ? MCD_E_BADEXT : 0;
}

/* ------------------------------------------------------------------------ */
/* Known answers: a salted Bloom filter (Kirsch-Mitzenmacher double hashing) */

#define FNV64_BASIS 0xcbf29ce484222325u
#define FNV64_PRIME 0x100000001b3u

static uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV64_PRIME;
    }
    return h;
}

/* Bit i of the k for this id: (h1 + i * h2 mod 2^32) mod m. */
static uint64_t known_hash(const uint8_t nonce[MCD_EXT_NONCE_LEN],
                           uint16_t salt, const uint8_t id[MCD_EXT_ID_LEN])
{
    uint8_t s[2] = {(uint8_t)(salt >> 8), (uint8_t)salt};
    uint64_t h = fnv1a64(FNV64_BASIS, nonce, MCD_EXT_NONCE_LEN);

    h = fnv1a64(h, s, sizeof s);
    return fnv1a64(h, id, MCD_EXT_ID_LEN);
}

static size_t known_bit(uint64_t h, uint8_t i, size_t filter_len)
{
    uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1u;
    uint32_t v = h1 + (uint32_t)i * h2;

    /* In 32 bits (a filter fits a datagram): a 64-bit division is a
     * library call on a 32-bit CPU. */
    if (filter_len > UINT32_MAX / 8u)
        return v; /* m >= 2^32 > v */
    return (size_t)(v % (uint32_t)(filter_len * 8u));
}

void mcd_ext_known_add(uint8_t *filter, size_t filter_len, uint8_t k,
                       const uint8_t nonce[MCD_EXT_NONCE_LEN], uint16_t salt,
                       const uint8_t id[MCD_EXT_ID_LEN])
{
    uint64_t h;

    if (filter == NULL || filter_len == 0)
        return;
    h = known_hash(nonce, salt, id);
    for (uint8_t i = 0; i < k; i++) {
        size_t b = known_bit(h, i, filter_len);

        filter[b / 8] = (uint8_t)(filter[b / 8] | (0x80u >> (b % 8)));
    }
}

bool mcd_ext_known_has(const uint8_t *filter, size_t filter_len, uint8_t k,
                       const uint8_t nonce[MCD_EXT_NONCE_LEN], uint16_t salt,
                       const uint8_t id[MCD_EXT_ID_LEN])
{
    uint64_t h;

    if (filter == NULL || filter_len == 0 || k == 0)
        return false;
    h = known_hash(nonce, salt, id);
    for (uint8_t i = 0; i < k; i++) {
        size_t b = known_bit(h, i, filter_len);

        if (!(filter[b / 8] & (0x80u >> (b % 8))))
            return false;
    }
    return true;
}

size_t mcd_ext_known_size(size_t n, size_t room)
{
    size_t want = n > 0 ? n : 1;

    return want < room ? want : room;
}

/* ------------------------------------------------------------------------ */
/* Replies                                                                   */

static bool key_byte_ok(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int mcd_txt_check(const uint8_t *pair, size_t len)
{
    size_t i = 0;

    if (pair == NULL && len > 0)
        return MCD_E_INVAL;
    if (len > MCD_TXT_PAIR_MAX)
        return MCD_E_TOOLONG;
    while (i < len && key_byte_ok(pair[i]))
        i++;
    if (i == 0 || i > MCD_TXT_KEY_MAX || i == len || pair[i] != '=')
        return MCD_E_BADTXT;
    /* Printable: no control byte, no DEL; UTF-8 from 0x80 as in names. */
    for (i++; i < len; i++)
        if (pair[i] < 0x20 || pair[i] == 0x7f)
            return MCD_E_BADTXT;
    return 0;
}

/* The TXT pairs as TLVs, each checked (core_private.h). */
int mcd_ext_txt_put_(mcd_wcur *w, const char *const *txt, size_t ntxt)
{
    if (ntxt > MCD_TXT_PAIRS_MAX)
        return MCD_E_TOOLONG;
    for (size_t i = 0; i < ntxt; i++) {
        size_t n;
        int err;

        if (txt[i] == NULL)
            return MCD_E_INVAL;
        n = strlen(txt[i]);
        err = mcd_txt_check((const uint8_t *)txt[i], n);
        if (err < 0)
            return err;
        mcd_tlv_hdr_put_(w, MCD_EXT_TLV_TXT, n);
        mcd_wcur_put(w, txt[i], n);
    }
    return 0;
}

/* The template of a text the caller knows is a reply (core_private.h). */
int mcd_ext_template_(const uint8_t *text, size_t text_len,
                      const uint8_t id[MCD_EXT_ID_LEN],
                      const char *const *txt, size_t ntxt, uint8_t *out,
                      size_t cap, size_t *base_len)
{
    static const uint8_t zero[MCD_EXT_NONCE_LEN];
    mcd_wcur w = {out, cap < MCD_EXT_MAX ? cap : MCD_EXT_MAX, 0, false};
    size_t base;
    int err;

    if (text == NULL || id == NULL || base_len == NULL ||
        (out == NULL && cap > 0) || (txt == NULL && ntxt > 0))
        return MCD_E_INVAL;
    if (ntxt > MCD_TXT_PAIRS_MAX)
        return MCD_E_TOOLONG;
    if (text != out)
        mcd_wcur_put(&w, text, text_len);
    else if (text_len <= w.cap)
        w.len = text_len; /* formatted in place by the caller */
    else
        w.err = true;
    mcd_wcur_byte(&w, 0);
    mcd_ext_hdr_put_(&w, MCD_EXT_KIND_REPLY, 0, zero);
    mcd_wcur_put(&w, id, MCD_EXT_ID_LEN);
    base = w.len;
    err = mcd_ext_txt_put_(&w, txt, ntxt);
    if (err < 0)
        return err;
    if (w.err)
        return MCD_E_TOOLONG;
    *base_len = base;
    return (int)w.len;
}

int mcd_ext_reply_template(const uint8_t *text, size_t text_len,
                           const uint8_t id[MCD_EXT_ID_LEN],
                           const char *const *txt, size_t ntxt, uint8_t *out,
                           size_t cap, size_t *base_len)
{
    mcd_reply check;

    if (text == NULL || id == NULL || base_len == NULL ||
        (out == NULL && cap > 0) || (txt == NULL && ntxt > 0))
        return MCD_E_INVAL;
    if (mcd_reply_parse(text, text_len, &check) != 0)
        return MCD_E_BADREPLY;
    return mcd_ext_template_(text, text_len, id, txt, ntxt, out, cap,
                             base_len);
}

int mcd_ext_reply_decode(const uint8_t *data, size_t len, mcd_ext_reply *out)
{
    const uint8_t *nul;
    mcd_rcur r = {data, len, 0, false};
    mcd_ext_hdr_ h;

    if (out == NULL || (data == NULL && len > 0))
        return MCD_E_INVAL;
    memset(out, 0, sizeof *out);
    nul = len > 0 ? memchr(data, 0, len) : NULL;
    if (nul == NULL)
        return MCD_E_BADREPLY;
    r.pos = (size_t)(nul - data);
    if (mcd_reply_parse(data, r.pos, &out->base) != 0)
        return MCD_E_BADREPLY;
    r.pos++;
    if (len > MCD_EXT_MAX || !mcd_ext_hdr_read_(&r, &h) ||
        h.kind != MCD_EXT_KIND_REPLY)
        return MCD_E_BADEXT;
    rcur_bytes(&r, out->id, sizeof out->id);
    if (r.err || !tlvs_well_formed(data + r.pos, len - r.pos))
        return MCD_E_BADEXT;
    memcpy(out->nonce, h.nonce, sizeof out->nonce);
    out->flags = h.flags;
    out->tlv = data + r.pos;
    out->tlv_len = len - r.pos;
    return 0;
}

bool mcd_ext_txt_next(const uint8_t *tlv, size_t tlv_len, size_t *pos,
                      const uint8_t **pair, size_t *len)
{
    const uint8_t *val;
    size_t vlen;
    uint8_t type;
    bool bad;

    if (tlv == NULL || pos == NULL || pair == NULL || len == NULL)
        return false;
    while (mcd_tlv_next_(tlv, tlv_len, pos, &type, &val, &vlen, &bad))
        if (type == MCD_EXT_TLV_TXT) {
            *pair = val;
            *len = vlen;
            return true;
        }
    return false;
}

/* Whether `key=` of pair p[0..n) names a key already in txt[0..len). */
static bool txt_has_key(const uint8_t *txt, size_t len, const uint8_t *p,
                        size_t n)
{
    const uint8_t *eq = memchr(p, '=', n), *o;
    size_t pos = 0, klen = eq ? (size_t)(eq - p) : n, olen;

    while (mcd_ext_txt_next(txt, len, &pos, &o, &olen))
        if (olen > klen && o[klen] == '=' && memcmp(o, p, klen) == 0)
            return true;
    return false;
}

/* A client's copy of a device's TXT pairs (core_private.h). */
size_t mcd_txt_store_(uint8_t *dst, size_t cap, const uint8_t *tlv,
                      size_t len, bool *dropped)
{
    mcd_wcur w = {dst, cap, 0, false};
    size_t pos = 0, plen, npairs = 0;
    const uint8_t *p;

    *dropped = false;
    while (mcd_ext_txt_next(tlv, len, &pos, &p, &plen)) {
        if (mcd_txt_check(p, plen) < 0 || txt_has_key(dst, w.len, p, plen) ||
            npairs == MCD_TXT_PAIRS_MAX || TLV_HDR + plen > cap - w.len) {
            *dropped = true;
            continue;
        }
        mcd_tlv_hdr_put_(&w, MCD_EXT_TLV_TXT, plen);
        mcd_wcur_put(&w, p, plen);
        npairs++;
    }
    return w.len;
}

/* ------------------------------------------------------------------------ */
/* Ids                                                                       */

void mcd_ext_id_from_mac(const uint8_t mac[6], uint8_t id[MCD_EXT_ID_LEN])
{
    /* EUI-64 from EUI-48 (IEEE): ff fe in the middle, no U/L flip. */
    id[0] = mac[0];
    id[1] = mac[1];
    id[2] = mac[2];
    id[3] = 0xff;
    id[4] = 0xfe;
    id[5] = mac[3];
    id[6] = mac[4];
    id[7] = mac[5];
}

void mcd_ext_id_hash(const uint8_t *data, size_t len,
                     uint8_t id[MCD_EXT_ID_LEN])
{
    uint64_t h = fnv1a64(FNV64_BASIS, data, data ? len : 0);
    mcd_wcur w = {id, MCD_EXT_ID_LEN, 0, false};

    mcd_wcur_be(&w, h, MCD_EXT_ID_LEN);
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mcd_ext_id_parse(const char *text, uint8_t id[MCD_EXT_ID_LEN])
{
    uint8_t tmp[MCD_EXT_ID_LEN];

    if (text == NULL || id == NULL)
        return MCD_E_INVAL;
    for (size_t i = 0; i < 2 * MCD_EXT_ID_LEN; i++) {
        int v = hex_val(text[i]); /* stops at the NUL: -1 */

        if (v < 0)
            return MCD_E_BADID;
        tmp[i / 2] = (uint8_t)(i % 2 ? tmp[i / 2] | v : v << 4);
    }
    if (text[2 * MCD_EXT_ID_LEN] != '\0')
        return MCD_E_BADID;
    memcpy(id, tmp, sizeof tmp);
    return 0;
}

void mcd_ext_id_format(const uint8_t id[MCD_EXT_ID_LEN], char out[17])
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < MCD_EXT_ID_LEN; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 15];
    }
    out[2 * MCD_EXT_ID_LEN] = '\0';
}
