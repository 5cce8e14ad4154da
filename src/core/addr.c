/*
 * addr.c - IPv4 and IPv6 address text: strict parsing and RFC 5952
 * formatting, and equality of the plain values.
 *
 * What an address *is* (the IANA registries, scopes, flags, the MAC it
 * maps to) lives in addr_class.c: that half is tables that change with
 * the registries and only `mcdisc addr` reads; this half is a grammar
 * that does not change, which every socket layer and packet path needs.
 *
 * No socket header here on purpose: the core builds against lwIP (or no
 * stack at all), so the text forms are read and written by hand. Nothing
 * is allocated.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcdisc/core.h"

#include "addr_bits.h"

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One part of a dotted quad at s[*i]: 1-3 digits, no leading zero (which
 * inet_aton would read as octal), at most 255. */
static bool v4_part(const char *s, size_t n, size_t *i, uint8_t *out)
{
    size_t start = *i;
    unsigned v = 0;

    while (*i < n && *i - start < 3 && is_digit(s[*i])) {
        v = v * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
    }
    size_t len = *i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0'))
        return false;
    *out = (uint8_t)v;
    return true;
}

/* Exactly four parts and nothing around them. */
static bool parse_v4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;

    for (int k = 0; k < 4; k++) {
        if (k > 0 && (i >= n || s[i++] != '.'))
            return false;
        if (!v4_part(s, n, &i, &out[k]))
            return false;
    }
    return i == n;
}

/* IPv6 text is read as pieces separated by ':' with at most one "::"
 * (RFC 4291 section 2.2); the groups before and after the "::" are
 * collected in b[] and moved into place at the end. */
struct v6_reader {
    const char *s;
    size_t n, i;
    uint8_t b[16];
    unsigned groups; /* 16-bit groups read so far */
    int gap;         /* group index of the "::", -1 when none */
};

/* A dotted IPv4 tail (RFC 4291 2.2 form 3): the last 32 bits, to the
 * end of the text. */
static bool v6_v4_tail(struct v6_reader *r, size_t start)
{
    if (r->groups > 6 || !parse_v4(r->s + start, r->n - start,
                                   r->b + 2 * r->groups))
        return false;
    r->groups += 2;
    r->i = r->n;
    return true;
}

/* One piece: 1-4 hex digits, or the IPv4 tail. */
static bool v6_piece(struct v6_reader *r)
{
    size_t start = r->i;
    unsigned v = 0;

    if (r->groups == 8)
        return false;
    while (r->i < r->n && hex_value(r->s[r->i]) >= 0) {
        if (r->i - start == 4)
            return false;
        v = v << 4 | (unsigned)hex_value(r->s[r->i]);
        r->i++;
    }
    if (r->i < r->n && r->s[r->i] == '.')
        return v6_v4_tail(r, start);
    if (r->i == start)
        return false;
    r->b[2 * r->groups] = (uint8_t)(v >> 8);
    r->b[2 * r->groups + 1] = (uint8_t)(v & 0xff);
    r->groups++;
    return true;
}

/* The second ':' of a "::" is at r->i. */
static bool v6_gap(struct v6_reader *r, bool *end)
{
    if (r->gap >= 0)
        return false;
    r->gap = (int)r->groups;
    r->i++;
    *end = r->i == r->n;
    return true;
}

/* After a piece: the end, ':' and another piece, or "::". */
static bool v6_separator(struct v6_reader *r, bool *end)
{
    if (r->i == r->n) {
        *end = true;
        return true;
    }
    if (r->s[r->i] != ':')
        return false;
    r->i++;
    if (r->i < r->n && r->s[r->i] == ':')
        return v6_gap(r, end);
    return r->i < r->n; /* a lone ':' at the end */
}

static bool v6_place(const struct v6_reader *r, uint8_t out[16])
{
    if (r->gap < 0) {
        if (r->groups != 8)
            return false;
        memcpy(out, r->b, 16);
        return true;
    }
    /* "::" stands for one or more zero groups (RFC 4291 2.2 form 2). */
    if (r->groups > 7)
        return false;
    size_t head = 2 * (size_t)r->gap;
    size_t tail = 2 * (size_t)r->groups - head;
    memset(out, 0, 16);
    memcpy(out, r->b, head);
    memcpy(out + 16 - tail, r->b + head, tail);
    return true;
}

static bool parse_v6(const char *s, size_t n, uint8_t out[16])
{
    struct v6_reader r = {.s = s, .n = n, .gap = -1};
    bool end = false;

    if (n > 0 && s[0] == ':') {
        if (n < 2 || s[1] != ':')
            return false;
        r.i = 1;
        if (!v6_gap(&r, &end))
            return false;
    }
    while (!end)
        if (!v6_piece(&r) || !v6_separator(&r, &end))
            return false;
    return v6_place(&r, out);
}

/* A numeric zone: 1-4294967295 in decimal, no leading zero. Zone 0 is
 * refused because scope_id 0 means "no zone". */
static bool parse_zone(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 10 || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_plain(const char *text, size_t len, mcd_addr *out)
{
    memset(out, 0, sizeof *out);
    if (memchr(text, ':', len) != NULL) {
        out->family = MCD_AF_INET6;
        return parse_v6(text, len, out->b);
    }
    out->family = MCD_AF_INET4;
    return parse_v4(text, len, out->b);
}

int mcd_addr_parse_n(const char *text, size_t len, mcd_addr *out,
                     size_t *zone_at)
{
    mcd_addr a;

    if (out == NULL || (text == NULL && len > 0))
        return MCD_E_INVAL;
    if (len == 0) { /* the empty text, NULL or not */
        if (zone_at != NULL)
            *zone_at = 0;
        return MCD_E_BADADDR;
    }
    const char *pct = memchr(text, '%', len);
    /* The zone is the caller's to resolve: report where it starts. */
    if (zone_at != NULL)
        *zone_at = pct != NULL ? (size_t)(pct - text) : len;
    if (pct != NULL || !parse_plain(text, len, &a))
        return MCD_E_BADADDR;
    *out = a;
    return 0;
}

int mcd_addr_parse(const char *text, mcd_addr *out)
{
    mcd_addr a;
    size_t zone_at;

    if (text == NULL || out == NULL)
        return MCD_E_INVAL;
    size_t len = strlen(text);
    int rc = mcd_addr_parse_n(text, len, out, &zone_at);
    if (rc == 0 || zone_at == len)
        return rc;
    /* "address%zone": a zone only on IPv6 (RFC 4007 section 11). */
    if (mcd_addr_parse_n(text, zone_at, &a, NULL) != 0 ||
        a.family != MCD_AF_INET6 ||
        !parse_zone(text + zone_at + 1, len - zone_at - 1, &a.scope_id))
        return MCD_E_BADADDR;
    *out = a;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                                */

/* Text is built here first, so a short caller buffer gets nothing at all
 * rather than a cut address. */
struct text_buf {
    char s[MCD_ADDR_STRLEN];
    size_t n;
};

static void put_char(struct text_buf *t, char c)
{
    if (t->n < sizeof t->s - 1)
        t->s[t->n++] = c;
}

static void put_str(struct text_buf *t, const char *s)
{
    while (*s != '\0')
        put_char(t, *s++);
}

static void put_dec(struct text_buf *t, uint32_t v)
{
    char d[10];
    size_t k = 0;

    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (k > 0)
        put_char(t, d[--k]);
}

/* RFC 5952 4.1 and 4.3: no leading zeros, lower case. */
static void put_hex16(struct text_buf *t, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    bool started = false;

    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (v >> shift) & 0xf;
        if (d != 0 || started || shift == 0) {
            put_char(t, hex[d]);
            started = true;
        }
    }
}

static void put_v4(struct text_buf *t, const uint8_t *b)
{
    for (int k = 0; k < 4; k++) {
        if (k > 0)
            put_char(t, '.');
        put_dec(t, b[k]);
    }
}

static unsigned group_at(const uint8_t *b, int i)
{
    return (unsigned)b[2 * i] << 8 | b[2 * i + 1];
}

/* RFC 5952 4.2: the longest run of two or more zero groups, the first
 * one on a tie; *start is -1 when there is none. */
static void zero_run(const uint8_t *b, int *start, int *len)
{
    *start = -1;
    *len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && group_at(b, j) == 0)
            j++;
        if (j - i >= 2 && j - i > *len) {
            *start = i;
            *len = j - i;
        }
        i = j > i ? j : i + 1;
    }
}

static void put_v6(struct text_buf *t, const uint8_t *b)
{
    int zs, zl;

    /* RFC 5952 5: IPv4-mapped addresses keep the dotted tail. */
    if (addr_v4_mapped(b)) {
        put_str(t, "::ffff:");
        put_v4(t, b + 12);
        return;
    }
    zero_run(b, &zs, &zl);
    for (int i = 0; i < 8; i++) {
        if (i == zs) {
            put_str(t, "::");
            i += zl - 1;
            continue;
        }
        if (i > 0 && i != zs + zl)
            put_char(t, ':');
        put_hex16(t, group_at(b, i));
    }
}

int mcd_addr_format(const mcd_addr *a, char *buf, size_t cap)
{
    struct text_buf t = {.n = 0};

    if (a == NULL || (buf == NULL && cap > 0))
        return MCD_E_INVAL;
    if (a->family == MCD_AF_INET4) {
        put_v4(&t, a->b);
    } else if (a->family == MCD_AF_INET6) {
        put_v6(&t, a->b);
        if (a->scope_id != 0) {
            put_char(&t, '%');
            put_dec(&t, a->scope_id);
        }
    } else {
        return MCD_E_INVAL;
    }
    if (t.n >= cap)
        return MCD_E_TOOLONG;
    memcpy(buf, t.s, t.n);
    buf[t.n] = '\0';
    return (int)t.n;
}

/* ------------------------------------------------------------------------ */
/* Comparison                                                                */

bool mcd_addr_equal(const mcd_addr *a, const mcd_addr *b)
{
    size_t n;

    if (a == NULL || b == NULL || a->family != b->family)
        return false;
    /* One memcmp for both families (the responder compares per datagram). */
    if (a->family == MCD_AF_INET4)
        n = 4;
    else if (a->family == MCD_AF_INET6 && a->scope_id == b->scope_id)
        n = 16;
    else
        return a->family == MCD_AF_NONE;
    return memcmp(a->b, b->b, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* Group arguments                                                           */

/* Part of the caller's text; p is NULL when the part is absent. */
struct text_span {
    const char *p;
    size_t n;
};

/* "[host]", "[host]:port", "host:port" with one ':' (IPv4), or a bare
 * host (IPv6 holds more than one ':', so it takes no port unbracketed). */
static bool group_split(const char *s, size_t n, struct text_span *host,
                        struct text_span *port)
{
    *host = (struct text_span){s, n};
    *port = (struct text_span){NULL, 0};
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);

        if (close == NULL)
            return false;
        size_t after = (size_t)(close - s) + 1;
        *host = (struct text_span){s + 1, after - 2};
        if (after == n)
            return true;
        if (s[after] != ':')
            return false;
        *port = (struct text_span){s + after + 1, n - after - 1};
        return true;
    }
    const char *colon = memchr(s, ':', n);
    size_t at = colon != NULL ? (size_t)(colon - s) : n;
    if (colon != NULL && memchr(colon + 1, ':', n - at - 1) == NULL) {
        *host = (struct text_span){s, at};
        *port = (struct text_span){colon + 1, n - at - 1};
    }
    return true;
}

/* The CLI's rule for a port (tools/cli.c): 1-65535 in decimal digits, no
 * sign, space or leading zero (strtoul would take all three, and hex). */
static bool parse_port(const char *s, size_t n, uint16_t *out)
{
    uint32_t v = 0;

    if (n == 0 || n > 5 || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* Zone bytes: printable ASCII but the delimiters of this syntax, so every
 * zone read can be written back in brackets. Interface names fit (Linux
 * refuses ':', '/' and spaces in them). */
static bool zone_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || memchr("%:[]", s[i], 4) != NULL)
            return false;
    return true;
}

/* The address and, after a '%', the zone, left to the caller to resolve
 * (a name needs the OS); a numeric zone's value goes to scope_id too. */
static bool group_host(struct text_span h, mcd_group_text *g)
{
    if (h.n == 0 || h.n > MCD_GROUP_HOST_MAX)
        return false;
    const char *pct = memchr(h.p, '%', h.n);
    size_t alen = pct != NULL ? (size_t)(pct - h.p) : h.n;
    if (mcd_addr_parse_n(h.p, alen, &g->group, NULL) != 0)
        return false;
    if (pct == NULL)
        return true;
    /* A zone only on IPv6 (RFC 4007 section 11). */
    if (g->group.family != MCD_AF_INET6)
        return false;
    g->zone = pct + 1;
    g->zone_len = h.n - alen - 1;
    if (!zone_ok(g->zone, g->zone_len))
        return false;
    if (!parse_zone(g->zone, g->zone_len, &g->group.scope_id))
        g->group.scope_id = 0;
    return true;
}

int mcd_group_text_parse(const char *text, size_t len, uint16_t default_port,
                         mcd_group_text *out)
{
    struct text_span host, port;
    mcd_group_text g = {.port = default_port};

    if (out == NULL || (text == NULL && len > 0))
        return MCD_E_INVAL;
    memset(out, 0, sizeof *out);
    if (len == 0 || !group_split(text, len, &host, &port) ||
        !group_host(host, &g))
        return MCD_E_BADADDR;
    /* From here the group and its zone are known, also on failure: a
     * caller can report an unknown zone before the checks below. */
    *out = g;
    if (!mcd_addr_is_multicast(&g.group))
        return MCD_E_NOTMCAST;
    if (port.p != NULL && !parse_port(port.p, port.n, &out->port))
        return MCD_E_BADPORT;
    return 0;
}
