/* fuzz_announce.c - the announcement and goodbye decoder on any bytes
 * after the query: an accepted one's TLVs lie inside the datagram, it
 * re-encodes and decodes to the same, and the watcher's table takes it
 * without growing past its size. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    static uint8_t buf[MCD_EXT_MAX + sizeof q];
    static uint8_t out[MCD_EXT_MAX];
    static mcd_watch_dev devs[2];
    mcd_ext_announce d, d2;
    const mcd_watch_dev *dev;
    mcd_endpoint from;
    mcd_watch w;
    uint8_t text[MCD_REPLY_MAX];
    uint32_t life;
    size_t len = sizeof q; /* the query and its NUL, then the input */
    int n;

    if (size > sizeof buf - len)
        size = sizeof buf - len;
    memcpy(buf, q, len);
    memcpy(buf + len, data, size);
    len += size;
    (void)mcd_ext_lifetime_get(data, size, &life);
    if (mcd_ext_announce_decode(buf, len, sizeof q - 1, &d) != 0)
        return 0;
    if (d.tlv < buf || d.tlv + d.tlv_len != buf + len)
        abort();
    memset(&from, 0, sizeof from);
    mcd_watch_init(&w, devs, 2, 120);
    (void)mcd_watch_on_announce(&w, &d, &from, 1, &dev);
    if (mcd_watch_count(&w) > 2)
        abort();
    n = mcd_reply_format(d.base.name, d.base.proto, d.base.port, text,
                         sizeof text);
    if (n < 0)
        abort();
    n = mcd_ext_announce_encode((const uint8_t *)q, sizeof q - 1, &d, text,
                                (size_t)n, NULL, 0, out, sizeof out);
    if (n == MCD_E_TOOLONG)
        return 0;
    if (n < 0 || mcd_ext_announce_decode(out, (size_t)n, sizeof q - 1, &d2))
        abort();
    if (d2.counter != d.counter || memcmp(d2.id, d.id, 8) != 0 ||
        strcmp(d2.base.name, d.base.name) != 0)
        abort();
    return 0;
}
