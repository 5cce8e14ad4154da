/* fuzz_responder.c - the responder core fed any datagrams: it must never
 * schedule a reply for anything but the query (or the query + one NUL),
 * never more than its table holds, never one for a datagram that came in
 * where the group is not joined; and the wait it asks for is one poll()
 * takes. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    static const uint8_t reply[] = "ESP32-C3 Smart Light https 443";
    mcd_rcore rc;
    mcd_addr g = {.family = MCD_AF_INET4, .b = {232, 10, 11, 12}};
    mcd_endpoint src = {.addr = {.family = MCD_AF_INET4, .b = {198, 18, 0, 2}},
                        .port = 40000};
    mcd_rcore_config cfg = {
        .query = (const uint8_t *)q, .query_len = sizeof q - 1,
        .reply = reply, .reply_len = sizeof reply - 1, .group = g,
        .delay_max_ms = 100, .querier_interval_ms = 10,
        .rate_per_s = 1000, .rate_burst = 10,
    };
    mcd_time now = 0;

    if (mcd_rcore_init(&rc, &cfg, 0) != 0)
        abort();
    while (size > 0) {
        size_t len = data[0] < size - 1 ? data[0] : size - 1;
        mcd_rcore_rx rx = {.data = data + 1, .data_cap = len, .len = len,
                           .src = &src, .dst = &g, .ifindex = 2,
                           .src_on_link = (len & 1) != 0,
                           .src_is_local = (len & 4) != 0,
                           .src_prefix_len = (uint8_t)(len % 40),
                           .not_joined = len % 64 == 63,
                           .rnd = (uint32_t)len};
        enum mcd_ignore why = mcd_rcore_input(&rc, now, &rx);
        mcd_rcore_tx tx;

        int ms;

        if (why == MCD_IGNORE_NONE &&
            mcd_query_match(data + 1, len, (const uint8_t *)q, sizeof q - 1) < 0)
            abort();
        if (rx.not_joined && why != MCD_IGNORE_NOT_GROUP)
            abort();
        ms = mcd_timeout_ms(mcd_rcore_next(&rc), now);
        if (ms < -1 || ms > MCD_TIMEOUT_MAX_MS)
            abort();
        while (mcd_rcore_poll(&rc, now, &tx)) {
            if (tx.len != sizeof reply - 1)
                abort();
            mcd_rcore_done(&rc, (len & 2) ? MCD_IGNORE_NONE
                                          : MCD_IGNORE_SEND_FAILED);
        }
        src.addr.b[3] = (uint8_t)len;
        now += 1000 * (mcd_time)(len % 7);
        data += len + 1;
        size -= len + 1;
    }
    return 0;
}
