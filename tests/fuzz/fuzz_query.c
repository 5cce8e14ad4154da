/* fuzz_query.c - the query core fed any sequence of datagrams (chapter
 * and extended replies, from a few sources), with a send time between
 * them. Records: source byte (address 198.18.0.x, port 3333 + bit 7),
 * two length bytes (big-endian), the datagram. After each: the table
 * holds its bounds, every stored TXT pair obeys the rules, and the
 * extended copy decodes, fits MCD_EXT_MAX and names every id it should
 * (a Bloom filter has no false negatives). The run's nonce is
 * 0102030405060708, so the corpus can hold replies that echo it.
 * Each input runs three times: unkeyed, keyed, keyed with require_auth,
 * with a toy MAC (FNV-1a-32 spread over 16 bytes, key id "toy!": the core
 * is under test, not the crypto, and the corpus can hold right MACs).
 * Keyed, KNOWN names only verified devices; with require_auth every
 * listed device is verified. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t NONCE[8] = {1, 2, 3, 4, 5, 6, 7, 8};

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

static void check_device_txt(const mcd_device *d)
{
    size_t pos = 0, len;
    const uint8_t *p;

    if (d->naddrs < 1 || d->naddrs > MCD_DEVICE_ADDRS ||
        d->txt_len > MCD_DEVICE_TXT_MAX)
        abort();
    while (mcd_ext_txt_next(d->txt, d->txt_len, &pos, &p, &len))
        if (mcd_txt_check(p, len) != 0)
            abort();
}

static void check_device(const mcd_device *d, int mode)
{
    if (mode == 2 && !d->verified)
        abort(); /* require_auth lists verified devices only */
    if (mode == 0 && d->verified)
        abort();
    check_device_txt(d);
}

static void check_copy(mcd_qcore *q, const mcd_device *tab, size_t n,
                       mcd_time now, int mode)
{
    static const char Q[] = MCD_DEFAULT_QUERY;
    uint8_t out[MCD_EXT_MAX];
    mcd_ext_query eq;
    int len;

    if (!mcd_qcore_send_due(q, now))
        return;
    len = mcd_qcore_datagram(q, 0, out, sizeof out);
    if (len <= 0 || len > MCD_EXT_MAX ||
        mcd_ext_query_decode(out, (size_t)len, sizeof Q - 1, &eq) != 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        /* Named unless it still owes its TXT (at most T_TRIES times). */
        if (tab[i].ext && !tab[i].txt_truncated &&
            (mode == 0 || tab[i].verified) &&
            !(eq.has_known && mcd_ext_known_has(eq.filter, eq.filter_len,
                                                eq.k, NONCE, eq.salt,
                                                tab[i].id)))
            abort();
    }
}

static void run(const uint8_t *data, size_t size, int mode)
{
    static const char Q[] = MCD_DEFAULT_QUERY;
    static mcd_device tab[8];
    mcd_qcore q;
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = sizeof Q - 1,
        .timeout_ms = 100000, .interval_ms = 1, .max_interval_ms = 1,
        .per_source = 4,
    };
    mcd_qcore_stats st;
    mcd_time now = 0;

    memcpy(cfg.nonce, NONCE, sizeof NONCE);
    if (mode > 0) {
        cfg.mac = (mcd_mac_key){.fn = toy_mac, .key_id = {'t', 'o', 'y', '!'}};
        cfg.require_auth = mode == 2;
    }
    if (mcd_qcore_init(&q, &cfg, tab, 8, 0) != 0)
        abort();
    while (size >= 3) {
        mcd_endpoint from = {.addr = {.family = MCD_AF_INET4,
                                      .b = {198, 18, 0, data[0] & 0x7f}},
                             .port = (uint16_t)(3333 + (data[0] >> 7))};
        size_t len = (size_t)data[1] << 8 | data[2];
        const mcd_device *d = NULL;

        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        /* The datagram in a buffer of its own size: a read past it is
         * caught by ASan. */
        uint8_t *dg = malloc(len ? len : 1);
        memcpy(dg, data, len);
        mcd_qcore_rx rx = {.data = dg, .len = len, .from = &from,
                           .src_on_link = true, .ifindex = 2};
        enum mcd_qresult r = mcd_qcore_input(&q, now, &rx, &d);
        if ((r == MCD_Q_NEW || r == MCD_Q_UPDATE) && d == NULL)
            abort();
        free(dg);
        data += len;
        size -= len;
        now += 1000;
        mcd_qcore_stats_get(&q, &st);
        if (st.found > 8)
            abort();
        for (size_t i = 0; i < st.found; i++)
            check_device(&tab[i], mode);
        check_copy(&q, tab, st.found, now, mode);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int mode = 0; mode < 3; mode++)
        run(data, size, mode);
    return 0;
}
