/* fuzz_extquery.c - the extended query decoder on any bytes after the
 * query and its NUL: what it accepts holds a filter inside the datagram
 * and a k of 1-16, and encodes back to a datagram that decodes to the
 * same fields. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const mcd_ext_query *a, const mcd_ext_query *b)
{
    if (memcmp(a->nonce, b->nonce, sizeof a->nonce) != 0 ||
        a->flags != b->flags || a->has_window != b->has_window ||
        a->has_known != b->has_known)
        abort();
    if (a->has_window && a->window_ms != b->window_ms)
        abort();
    if (a->has_known &&
        (a->salt != b->salt || a->k != b->k ||
         a->filter_len != b->filter_len ||
         memcmp(a->filter, b->filter, a->filter_len) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    static uint8_t buf[MCD_EXT_MAX + 64], out[MCD_EXT_MAX];
    static const uint8_t id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t qlen = sizeof q - 1, len;
    mcd_ext_query d, d2;
    int r, n;

    if (size > sizeof buf - qlen - 1)
        size = sizeof buf - qlen - 1;
    memcpy(buf, q, qlen);
    buf[qlen] = 0;
    memcpy(buf + qlen + 1, data, size);
    len = qlen + 1 + size;
    r = mcd_ext_query_decode(buf, len, qlen, &d);
    if (r == 1 || r == MCD_E_BADEXT)
        return 0;
    if (r != 0)
        abort();
    if (d.has_known) {
        if (d.k < 1 || d.k > 16 || d.filter_len == 0 || d.filter < buf ||
            d.filter + d.filter_len > buf + len)
            abort();
        (void)mcd_ext_known_has(d.filter, d.filter_len, d.k, d.nonce,
                                d.salt, id);
    }
    n = mcd_ext_query_encode((const uint8_t *)q, qlen, &d, len, out,
                             sizeof out);
    if (n < (int)len || n > MCD_EXT_MAX ||
        mcd_ext_query_decode(out, (size_t)n, qlen, &d2) != 0)
        abort();
    same(&d, &d2);
    return 0;
}
