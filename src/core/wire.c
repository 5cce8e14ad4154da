/*
 * wire.c - the chapter's query and reply, as bytes (docs/PROTOCOL.md).
 *
 * Query: fixed text, compared by length and bytes. Reply:
 * "<name> <protocol> <port>", read from the right because the name may
 * hold spaces. Nothing here is a C string on the wire: no NUL is sent and
 * none is expected.
 */
#include "mcdisc/core.h"

#include "core_private.h"
#include "cursor.h"

enum mcd_match mcd_query_match(const uint8_t *data, size_t len,
                               const uint8_t *query, size_t query_len)
{
    if (len == 0)
        return MCD_MATCH_EMPTY;
    /* One compare of what both hold (a call per datagram). */
    if (memcmp(data, query, len < query_len ? len : query_len) != 0)
        return MCD_MATCH_DIFFERENT;
    if (len < query_len)
        return MCD_MATCH_PREFIX;
    if (len == query_len)
        return MCD_MATCH_EXACT;
    /* C programs that send strlen() + 1 bytes; the chapter's own receiver
     * (strcmp) answers them too. One NUL only: more is padding or junk. */
    if (len == query_len + 1 && data[query_len] == 0)
        return MCD_MATCH_NUL;
    return MCD_MATCH_TRAILING;
}

static bool text_byte_ok(uint8_t c)
{
    return c >= 0x20 && c != 0x7f;
}

int mcd_query_check(const uint8_t *query, size_t len)
{
    if (query == NULL && len > 0)
        return MCD_E_INVAL;
    if (len == 0)
        return MCD_E_BADTEXT;
    if (len > MCD_QUERY_MAX)
        return MCD_E_TOOLONG;
    if (memchr(query, 0, len) != NULL)
        return MCD_E_BADTEXT;
    return 0;
}

/* The two text checks below take a span's bytes as p[0..n) (a reply's
 * field, or the caller's text to format) and read p[i] for i < n only:
 * inside by the loop's bound, without mcd_rspan_at()'s check of every
 * byte (they run at a device's start-up, whose code is counted). */

/* RFC 3986 section 3.1 scheme syntax: ALPHA *( ALPHA / DIGIT / + - . ) */
static bool proto_ok(const uint8_t *p, size_t n)
{
    if (n == 0 || n > MCD_PROTO_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';

        if (!alpha && (i == 0 || !(digit || c == '+' || c == '-' || c == '.')))
            return false;
    }
    return true;
}

static bool port_parse(const mcd_rspan *t, uint16_t *port)
{
    size_t n = mcd_rspan_len(t);
    uint32_t v = 0;

    if (n == 0 || n > 5 || mcd_rspan_at(t, 0) == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = mcd_rspan_at(t, i);

        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (uint32_t)(c - '0');
    }
    if (v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

static bool name_ok(const uint8_t *p, size_t n)
{
    if (n == 0 || n > MCD_NAME_MAX || p[0] == ' ' || p[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!text_byte_ok(p[i]))
            return false;
    return true;
}

static void span_copy(const mcd_rspan *t, char *dst)
{
    size_t n = mcd_rspan_len(t);

    memcpy(dst, t->p + t->lo, n);
    dst[n] = '\0';
}

int mcd_reply_parse(const uint8_t *data, size_t len, mcd_reply *out)
{
    mcd_rspan all = {data, 0, len}, port_tok, proto_tok;
    uint16_t port;

    if (out == NULL || (data == NULL && len > 0))
        return MCD_E_INVAL;
    if (len == 0 || len > MCD_REPLY_MAX)
        return MCD_E_BADREPLY;
    if (!mcd_rspan_pop_token(&all, &port_tok) || !port_parse(&port_tok, &port))
        return MCD_E_BADREPLY;
    if (!mcd_rspan_pop_token(&all, &proto_tok) ||
        !proto_ok(proto_tok.p + proto_tok.lo, mcd_rspan_len(&proto_tok)))
        return MCD_E_BADREPLY;
    if (!name_ok(all.p + all.lo, mcd_rspan_len(&all)))
        return MCD_E_BADREPLY;
    span_copy(&all, out->name);
    span_copy(&proto_tok, out->proto);
    out->port = port;
    return 0;
}

int mcd_reply_format(const char *name, const char *proto, uint16_t port,
                     uint8_t *out, size_t cap)
{
    static const uint8_t space = ' '; /* one copy for both separators */
    mcd_wcur w = {out, cap, 0, false};
    size_t nlen, plen;

    if (name == NULL || proto == NULL || (out == NULL && cap > 0))
        return MCD_E_INVAL;
    nlen = strlen(name);
    plen = strlen(proto);
    if (!name_ok((const uint8_t *)name, nlen))
        return MCD_E_BADNAME;
    if (!proto_ok((const uint8_t *)proto, plen))
        return MCD_E_BADPROTO;
    if (port == 0)
        return MCD_E_BADPORT;
    mcd_wcur_put(&w, name, nlen);
    mcd_wcur_put(&w, &space, 1);
    mcd_wcur_put(&w, proto, plen);
    mcd_wcur_put(&w, &space, 1);
    mcd_wcur_u32(&w, port);
    if (w.err)
        return MCD_E_TOOLONG;
    return (int)w.len;
}
