/* fuzz_responder.c - the responder core fed any datagrams: it must never
 * schedule a reply for anything but the query (or the query + one NUL, or
 * a well-formed extended query), never a reply longer than its query,
 * never more than its table holds, never one for a datagram that came in
 * where the group is not joined; and the wait it asks for is one poll()
 * takes. Each input runs twice, the second time keyed (a toy MAC: the
 * core is under test, not the crypto): every extended reply then ends
 * with a MAC that checks, and is still never longer than its query. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int toy_mac(void *ctx, const uint8_t *data, size_t len,
                   uint8_t mac[MCD_MAC_LEN])
{
    uint32_t h = 2166136261u;

    (void)ctx;
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 16777619u;
    for (size_t i = 0; i < MCD_MAC_LEN; i++)
        mac[i] = (uint8_t)((h >> (8 * (i % 4))) ^ i);
    return 0;
}

static const mcd_mac_key toy = {.fn = toy_mac, .key_id = {'t', 'o', 'y', '!'}};

/* A keyed extended reply: its MAC is last and right. */
static void check_mac(const uint8_t *out, size_t w)
{
    mcd_ext_reply er;

    if (mcd_ext_reply_decode(out, w, &er) != 0 ||
        mcd_ext_mac_check(&toy, out, w, &er) != MCD_MAC_OK)
        abort();
}

static void run(const uint8_t *data, size_t size, bool keyed)
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
    static const char *const txt[] = {"fw=1.4.2", "model=C3-Lamp"};
    static const uint8_t id[8] = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    static uint8_t tpl[MCD_EXT_MAX], out[MCD_EXT_MAX];
    size_t ext_len[256] = {0}; /* an extended query's length, by source */
    size_t qlen = sizeof q - 1;
    mcd_time now = 0;
    int n = mcd_ext_reply_template(reply, sizeof reply - 1, id, txt, 2, tpl,
                                   sizeof tpl, &cfg.ext_base_len);

    if (n < 0)
        abort();
    cfg.ext_enabled = true;
    if (keyed)
        cfg.mac = toy;
    cfg.ext_reply = tpl;
    cfg.ext_reply_len = (size_t)n;
    memcpy(cfg.id, id, 8);
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
        mcd_ext_query eq;
        bool ext = len > qlen + 1 && data[1 + qlen] == 0 &&
                   mcd_ext_query_decode(data + 1, len, qlen, &eq) == 0;

        if (why == MCD_IGNORE_NONE && !ext &&
            mcd_query_match(data + 1, len, (const uint8_t *)q, qlen) < 0)
            abort();
        if (why == MCD_IGNORE_NONE && ext)
            ext_len[src.addr.b[3]] = len;
        if (rx.not_joined && why != MCD_IGNORE_NOT_GROUP)
            abort();
        ms = mcd_timeout_ms(mcd_rcore_next(&rc), now);
        if (ms < -1 || ms > MCD_TIMEOUT_MAX_MS)
            abort();
        while (mcd_rcore_poll(&rc, now, &tx)) {
            size_t w = mcd_rcore_tx_write(&tx, out, sizeof out);

            if (w != tx.len + (keyed && tx.ext ? MCD_MAC_TLV_LEN : 0) ||
                (!tx.ext && w != sizeof reply - 1))
                abort();
            if (keyed && tx.ext)
                check_mac(out, w);
            /* Rule 5 keeps one pending reply per address: the length
             * recorded for it is its query's. */
            if (tx.ext && w > ext_len[tx.to.addr.b[3]])
                abort();
            mcd_rcore_done(&rc, (len & 2) ? MCD_IGNORE_NONE
                                          : MCD_IGNORE_SEND_FAILED);
        }
        src.addr.b[3] = (uint8_t)len;
        now += 1000 * (mcd_time)(len % 7);
        data += len + 1;
        size -= len + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, false);
    run(data, size, true);
    return 0;
}
