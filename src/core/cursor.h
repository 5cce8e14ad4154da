/*
 * cursor.h - the one way the core reads and writes wire bytes.
 *
 * Every access is bounds-checked; a writer that runs out of room sets
 * `err` and writes nothing more, so callers check once at the end.
 */
#ifndef MCD_CURSOR_H
#define MCD_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct mcd_wcur {
    uint8_t *buf;
    size_t cap, len;
    bool err;
} mcd_wcur;

static inline void mcd_wcur_put(mcd_wcur *w, const void *src, size_t n)
{
    if (w->err || n > w->cap - w->len) {
        w->err = true;
        return;
    }
    memcpy(w->buf + w->len, src, n);
    w->len += n;
}

static inline void mcd_wcur_str(mcd_wcur *w, const char *s)
{
    mcd_wcur_put(w, s, strlen(s));
}

static inline void mcd_wcur_byte(mcd_wcur *w, uint8_t b)
{
    mcd_wcur_put(w, &b, 1);
}

/* Decimal text of v, no leading zeros. */
static inline void mcd_wcur_u32(mcd_wcur *w, uint32_t v)
{
    char tmp[10]; /* UINT32_MAX has 10 digits: the loop stops by then */
    size_t n = 0;

    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    mcd_wcur_put(w, tmp + sizeof tmp - n, n);
}

/* Big-endian integers (network byte order). */
static inline void mcd_wcur_be(mcd_wcur *w, uint64_t v, size_t bytes)
{
    uint8_t tmp[8];

    for (size_t i = 0; i < bytes; i++)
        tmp[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    mcd_wcur_put(w, tmp, bytes);
}

/* A reader: a short read sets `err` and yields zeros. */
typedef struct mcd_rcur {
    const uint8_t *buf;
    size_t len, pos;
    bool err;
} mcd_rcur;

static inline uint64_t mcd_rcur_be(mcd_rcur *r, size_t bytes)
{
    uint64_t v = 0;

    if (r->err || bytes > r->len - r->pos) {
        r->err = true;
        return 0;
    }
    for (size_t i = 0; i < bytes; i++)
        v = (v << 8) | r->buf[r->pos + i];
    r->pos += bytes;
    return v;
}

/* A read-only view [lo, hi) of a datagram. */
typedef struct mcd_rspan {
    const uint8_t *p;
    size_t lo, hi;
} mcd_rspan;

static inline size_t mcd_rspan_len(const mcd_rspan *s)
{
    return s->hi - s->lo;
}

static inline uint8_t mcd_rspan_at(const mcd_rspan *s, size_t i)
{
    return i < s->hi - s->lo ? s->p[s->lo + i] : 0;
}

/* Split off the last space-separated token: *tok gets it, *s keeps what
 * precedes the separating space. False when there is no space. */
static inline bool mcd_rspan_pop_token(mcd_rspan *s, mcd_rspan *tok)
{
    size_t i = s->hi;

    while (i > s->lo && s->p[i - 1] != ' ')
        i--;
    if (i == s->lo)
        return false;
    tok->p = s->p;
    tok->lo = i;
    tok->hi = s->hi;
    s->hi = i - 1;
    return true;
}

#endif
