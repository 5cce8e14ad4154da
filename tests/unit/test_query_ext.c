/*
 * test_query_ext.c - the query core's side of the extension
 * (docs/PROTOCOL.md, "Client rules"), with a fake clock: what each send
 * time puts on the wire, which extended replies are devices, how devices
 * are keyed by id with their addresses and TXT, and hostile replies
 * (forged nonce, id collisions, oversize TXT, unknown TLVs, truncation at
 * every length).
 *
 * Replies are built here byte by byte from the specification's layout,
 * not with the codec's template, so the two are checked against each
 * other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mcdisc.h"

static const char Q[] = MCD_DEFAULT_QUERY;
#define QLEN (sizeof Q - 1)
#define MS 1000u

static const uint8_t NONCE[8] = {0x11, 0x22, 0x33, 0x44,
                                 0x55, 0x66, 0x77, 0x88};
static mcd_device table[16];

static mcd_qcore_stats stats(const mcd_qcore *q)
{
    mcd_qcore_stats st;

    mcd_qcore_stats_get(q, &st);
    return st;
}

static void start_cfg(mcd_qcore *q, mcd_qcore_config *cfg)
{
    cfg->query = (const uint8_t *)Q;
    cfg->query_len = QLEN;
    cfg->timeout_ms = 2000;
    cfg->interval_ms = 100;
    cfg->max_interval_ms = 100;
    memcpy(cfg->nonce, NONCE, sizeof NONCE);
    assert_int_equal(mcd_qcore_init(q, cfg, table, 16, 0), 0);
}

static void start(mcd_qcore *q)
{
    mcd_qcore_config cfg = {0};

    start_cfg(q, &cfg);
}

static mcd_endpoint ep(uint8_t last, uint16_t port)
{
    return (mcd_endpoint){.addr = {.family = MCD_AF_INET4,
                                   .b = {198, 18, 0, last}},
                          .port = port};
}

/* An extended reply, from the layout in docs/PROTOCOL.md: text, NUL,
 * "MCDX", version 1, kind 2, flags, nonce, id, then raw TLV bytes. */
typedef struct rbuf {
    uint8_t b[1400];
    size_t n;
} rbuf;

static void put(rbuf *r, const void *p, size_t n)
{
    assert_true(r->n + n <= sizeof r->b);
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

static void tlv(rbuf *r, uint8_t type, const void *v, size_t n)
{
    uint8_t h[3] = {type, (uint8_t)(n >> 8), (uint8_t)n};

    put(r, h, 3);
    put(r, v, n);
}

static rbuf reply(const char *text, const uint8_t *nonce, uint8_t id_last,
                  uint8_t flags)
{
    rbuf r = {.n = 0};
    uint8_t hdr[7] = {'M', 'C', 'D', 'X', 1, 2, flags};
    uint8_t id[8] = {0xa0, 1, 2, 3, 4, 5, 6, id_last};

    put(&r, text, strlen(text) + 1);
    put(&r, hdr, sizeof hdr);
    put(&r, nonce, 8);
    put(&r, id, 8);
    return r;
}

static void txt(rbuf *r, const char *pair)
{
    tlv(r, MCD_EXT_TLV_TXT, pair, strlen(pair));
}

static enum mcd_qresult feed_at(mcd_qcore *q, mcd_time now, const rbuf *r,
                                mcd_endpoint from, uint32_t ifindex,
                                const mcd_device **d)
{
    mcd_qcore_rx rx = {.data = r->b, .len = r->n, .from = &from,
                       .src_on_link = true, .ifindex = ifindex};

    return mcd_qcore_input(q, now, &rx, d);
}

static enum mcd_qresult feed(mcd_qcore *q, const rbuf *r, mcd_endpoint from,
                             const mcd_device **d)
{
    return feed_at(q, 5 * MS, r, from, 2, d);
}

static enum mcd_qresult feed_text(mcd_qcore *q, const char *s,
                                  mcd_endpoint from)
{
    mcd_qcore_rx rx = {.data = (const uint8_t *)s, .len = strlen(s),
                       .from = &from, .src_on_link = true, .ifindex = 2};

    return mcd_qcore_input(q, 5 * MS, &rx, NULL);
}

static const char R[] = "ESP32-C3 Smart Light https 443";

/* The TXT pairs stored for d, joined by spaces. */
static const char *txt_of(const mcd_device *d)
{
    static char out[2048];
    size_t pos = 0, len, o = 0;
    const uint8_t *p;

    out[0] = 0;
    while (mcd_ext_txt_next(d->txt, d->txt_len, &pos, &p, &len)) {
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s",
                              o ? " " : "", (int)len, (const char *)p);
    }
    return out;
}

/* --- what goes on the wire ------------------------------------------------ */

static int datagram(mcd_qcore *q, unsigned i, uint8_t *out)
{
    return mcd_qcore_datagram(q, i, out, MCD_EXT_MAX);
}

/* Each send time: an extended copy (query, NUL, header, WINDOW, PAD to
 * 128 bytes), then the chapter's 33 bytes, then nothing. */
static void send_time_is_ext_then_plain(void **state)
{
    mcd_qcore q;
    uint8_t out[MCD_EXT_MAX];
    mcd_ext_query eq;
    int n;

    (void)state;
    start(&q);
    assert_true(mcd_qcore_send_due(&q, 0));
    n = datagram(&q, 0, out);
    assert_int_equal(n, MCD_EXT_QUERY_PAD);
    assert_memory_equal(out, Q, QLEN);
    assert_int_equal(out[QLEN], 0);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    assert_memory_equal(eq.nonce, NONCE, 8);
    assert_true(eq.has_window);
    assert_int_equal(eq.window_ms, MCD_EXT_DEFAULT_WINDOW_MS);
    assert_false(eq.has_known); /* nobody known yet */
    n = datagram(&q, 1, out);
    assert_int_equal(n, QLEN);
    assert_memory_equal(out, Q, QLEN);
    assert_int_equal(datagram(&q, 2, out), 0);
    assert_int_equal(mcd_qcore_datagram(&q, 1, out, QLEN - 1), MCD_E_TOOLONG);
}

/* --chapter: the plain query only, byte for byte as before. */
static void chapter_only_sends_plain(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {.chapter_only = true};
    uint8_t out[MCD_EXT_MAX];

    (void)state;
    start_cfg(&q, &cfg);
    for (mcd_time t = 0; t < 2000 * MS; t += 100 * MS) {
        assert_true(mcd_qcore_send_due(&q, t));
        assert_int_equal(datagram(&q, 0, out), QLEN);
        assert_memory_equal(out, Q, QLEN);
        assert_int_equal(datagram(&q, 1, out), 0);
    }
    /* And it still takes a chapter reply. */
    assert_int_equal(feed_text(&q, R, ep(2, 3333)), MCD_Q_NEW);
}

static void window_configured(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {.window_ms = 250};
    uint8_t out[MCD_EXT_MAX];
    mcd_ext_query eq;
    int n;

    (void)state;
    start_cfg(&q, &cfg);
    assert_true(mcd_qcore_send_due(&q, 0));
    n = datagram(&q, 0, out);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    assert_int_equal(eq.window_ms, 250);
    /* Beyond the bound a responder enforces: refused. */
    cfg.window_ms = MCD_EXT_WINDOW_MAX_MS + 1;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 16, 0), MCD_E_INVAL);
}

/* KNOWN holds every id received so far, salted with the copy number: the
 * salt and so the bits change per copy. */
static void known_lists_every_id(void **state)
{
    mcd_qcore q;
    uint8_t out[MCD_EXT_MAX], bits1[MCD_EXT_MAX];
    mcd_ext_query eq;
    size_t len1;
    int n;

    (void)state;
    start(&q);
    assert_true(mcd_qcore_send_due(&q, 0));
    for (uint8_t i = 0; i < 10; i++) {
        rbuf r = reply(R, NONCE, i, 0);
        assert_int_equal(feed(&q, &r, ep((uint8_t)(10 + i), 3333), NULL),
                         MCD_Q_NEW);
    }
    assert_true(mcd_qcore_send_due(&q, 100 * MS));
    n = datagram(&q, 0, out);
    assert_int_equal(n, MCD_EXT_QUERY_PAD);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    assert_true(eq.has_known);
    assert_int_equal(eq.k, MCD_EXT_KNOWN_K);
    assert_int_equal(eq.filter_len, mcd_ext_known_size(10, MCD_EXT_MAX));
    for (uint8_t i = 0; i < 10; i++) {
        uint8_t id[8] = {0xa0, 1, 2, 3, 4, 5, 6, i};
        assert_true(mcd_ext_known_has(eq.filter, eq.filter_len, eq.k, NONCE,
                                      eq.salt, id));
    }
    memcpy(bits1, eq.filter, eq.filter_len);
    len1 = eq.filter_len;
    uint16_t salt1 = eq.salt;
    assert_true(mcd_qcore_send_due(&q, 200 * MS));
    n = datagram(&q, 0, out);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    assert_int_not_equal(eq.salt, salt1);
    assert_int_equal(eq.filter_len, len1);
    assert_memory_not_equal(eq.filter, bits1, len1);
}

/* 1000 known ids still fit one datagram, every one of them named. */
static void known_scales(void **state)
{
    static mcd_device big[1000];
    mcd_qcore q;
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN, .timeout_ms = 2000,
        .interval_ms = 100,
    };
    uint8_t out[MCD_EXT_MAX];
    mcd_ext_query eq;
    int n;

    (void)state;
    memcpy(cfg.nonce, NONCE, 8);
    assert_int_equal(mcd_qcore_init(&q, &cfg, big, 1000, 0), 0);
    assert_true(mcd_qcore_send_due(&q, 0));
    for (unsigned i = 0; i < 1000; i++) {
        rbuf r = reply(R, NONCE, (uint8_t)i, 0);
        r.b[strlen(R) + 1 + 15 + 6] = (uint8_t)(i >> 8); /* id byte 6 */
        mcd_endpoint e = {.addr = {.family = MCD_AF_INET4,
                                   .b = {198, 18, (uint8_t)(i >> 8),
                                         (uint8_t)i}},
                          .port = 3333};
        assert_int_equal(feed(&q, &r, e, NULL), MCD_Q_NEW);
    }
    assert_true(mcd_qcore_send_due(&q, 100 * MS));
    n = datagram(&q, 0, out);
    assert_true(n > 1000 && n <= MCD_EXT_MAX);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    for (unsigned i = 0; i < 1000; i++) {
        uint8_t id[8] = {0xa0, 1, 2, 3, 4, 5, (uint8_t)(i >> 8), (uint8_t)i};
        assert_true(mcd_ext_known_has(eq.filter, eq.filter_len, eq.k, NONCE,
                                      eq.salt, id));
    }
}

/* --- extended replies ----------------------------------------------------- */

static void ext_device_with_id_and_txt(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL;
    rbuf r = reply(R, NONCE, 7, 0);

    (void)state;
    start(&q);
    assert_true(mcd_qcore_send_due(&q, 0));
    txt(&r, "fw=1.4.2");
    txt(&r, "model=C3-Lamp");
    assert_int_equal(feed(&q, &r, ep(2, 3333), &d), MCD_Q_NEW);
    assert_non_null(d);
    assert_true(d->ext);
    assert_int_equal(d->id[7], 7);
    assert_string_equal(d->reply.name, "ESP32-C3 Smart Light");
    assert_int_equal(d->naddrs, 1);
    assert_string_equal(txt_of(d), "fw=1.4.2 model=C3-Lamp");
    assert_false(d->txt_truncated);
    /* The same reply again (an answer to another copy): a duplicate. */
    assert_int_equal(feed(&q, &r, ep(2, 3333), NULL), MCD_Q_DUPLICATE);
    assert_int_equal(stats(&q).found, 1);
}

/* One id from two addresses: one device with both; a third and more
 * beyond MCD_DEVICE_ADDRS are counted, not kept. */
static void one_id_many_addresses(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL;
    rbuf r = reply(R, NONCE, 7, 0);

    (void)state;
    start(&q);
    assert_int_equal(feed_at(&q, 5 * MS, &r, ep(2, 3333), 2, &d), MCD_Q_NEW);
    assert_int_equal(feed_at(&q, 6 * MS, &r, ep(3, 3333), 3, &d),
                     MCD_Q_UPDATE);
    assert_int_equal(d->naddrs, 2);
    assert_int_equal(d->addrs[1].ep.addr.b[3], 3);
    assert_int_equal(d->addrs[1].ifindex, 3);
    /* Again from the second: nothing new. */
    assert_int_equal(feed(&q, &r, ep(3, 3333), NULL), MCD_Q_DUPLICATE);
    for (uint8_t i = 4; i < 10; i++)
        feed(&q, &r, ep(i, 3333), NULL);
    assert_int_equal(d->naddrs, MCD_DEVICE_ADDRS);
    assert_int_equal(d->addrs_dropped, 10 - 2 - MCD_DEVICE_ADDRS);
    assert_int_equal(stats(&q).found, 1);
}

/* Two responders on one host and port, different ids: two devices, even
 * with the same text. */
static void two_ids_one_endpoint(void **state)
{
    mcd_qcore q;
    rbuf a = reply(R, NONCE, 1, 0), b = reply(R, NONCE, 2, 0);

    (void)state;
    start(&q);
    assert_int_equal(feed(&q, &a, ep(2, 3333), NULL), MCD_Q_NEW);
    assert_int_equal(feed(&q, &b, ep(2, 3333), NULL), MCD_Q_NEW);
    assert_int_equal(stats(&q).found, 2);
}

/* A known id with another text, from another address (a forger
 * borrowing a real device's id, or two misconfigured devices): listed on
 * its own, never merged into the first or changing what it said. */
static void id_collision_other_text(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL, *f = NULL;
    rbuf real = reply(R, NONCE, 9, 0), forged = reply("Evil http 80",
                                                      NONCE, 9, 0);

    (void)state;
    start(&q);
    assert_int_equal(feed(&q, &real, ep(2, 3333), &d), MCD_Q_NEW);
    assert_int_equal(feed(&q, &forged, ep(66, 3333), &f), MCD_Q_NEW);
    assert_ptr_not_equal(d, f);
    assert_string_equal(d->reply.name, "ESP32-C3 Smart Light");
    assert_int_equal(d->naddrs, 1);
    /* The forger's entries still count against its address. */
    assert_int_equal(stats(&q).found, 2);
}

/* Per-source bound holds for extended replies too: one host inventing
 * ids gets per_source entries. */
static void per_source_ext(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {.per_source = 3};

    (void)state;
    start_cfg(&q, &cfg);
    for (uint8_t i = 0; i < 50; i++) {
        rbuf r = reply(R, NONCE, i, 0);
        assert_int_equal(feed(&q, &r, ep(66, (uint16_t)(1000 + i)), NULL),
                         i < 3 ? MCD_Q_NEW : MCD_Q_CAPPED);
    }
    assert_int_equal(stats(&q).capped, 47);
}

/* Many ids from one endpoint with one text (a forger's cheapest flood):
 * per_source counts every entry of the address, wherever the lookup for
 * the same text stops. */
static void per_source_same_text(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {.per_source = 2};

    (void)state;
    start_cfg(&q, &cfg);
    for (uint8_t i = 0; i < 10; i++) {
        rbuf r = reply(R, NONCE, i, 0);
        assert_int_equal(feed(&q, &r, ep(66, 3333), NULL),
                         i < 2 ? MCD_Q_NEW : MCD_Q_CAPPED);
    }
    assert_int_equal(stats(&q).found, 2);
}

/* The source rules hold for extended replies too, before the nonce is
 * even looked at: off the link (TTL 1), port 0, sent to a group. */
static void ext_source_rules(void **state)
{
    mcd_qcore q;
    rbuf r = reply(R, NONCE, 1, 0);
    mcd_endpoint far = {.addr = {.family = MCD_AF_INET4, .b = {8, 8, 8, 8}},
                        .port = 3333},
                 zero = ep(2, 0), a = ep(2, 3333);
    mcd_qcore_rx rx = {.data = r.b, .len = r.n, .from = &far, .ifindex = 2};

    (void)state;
    start(&q);
    assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL), MCD_Q_OFF_LINK);
    rx.src_on_link = true;
    rx.from = &zero;
    assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL), MCD_Q_BAD_SOURCE);
    rx.from = &a;
    rx.src_broadcast = true;
    assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL), MCD_Q_BAD_SOURCE);
    rx.src_broadcast = false;
    rx.dst_is_group = true;
    assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL), MCD_Q_MULTICAST);
    assert_int_equal(stats(&q).off_link, 1);
    assert_int_equal(stats(&q).bad_source, 2);
    assert_int_equal(stats(&q).found, 0);
    rx.dst_is_group = false;
    assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL), MCD_Q_NEW);
}

/* Wrong nonce: never a device, counted; whatever its content. */
static void forged_nonce(void **state)
{
    mcd_qcore q;
    uint8_t bad[8];
    rbuf r;

    (void)state;
    start(&q);
    for (int bit = 0; bit < 64; bit++) {
        memcpy(bad, NONCE, 8);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        r = reply(R, bad, (uint8_t)bit, 0);
        txt(&r, "x=1");
        assert_int_equal(feed(&q, &r, ep(2, 3333), NULL), MCD_Q_BAD_NONCE);
    }
    assert_int_equal(stats(&q).found, 0);
    assert_int_equal(stats(&q).bad_nonce, 64);
    assert_int_equal(stats(&q).dropped, 64);
    /* A forged reply with the id of a listed device adds no address. */
    const mcd_device *d = NULL;
    r = reply(R, NONCE, 1, 0);
    assert_int_equal(feed(&q, &r, ep(2, 3333), &d), MCD_Q_NEW);
    memset(bad, 0, 8);
    r = reply(R, bad, 1, 0);
    assert_int_equal(feed(&q, &r, ep(66, 3333), NULL), MCD_Q_BAD_NONCE);
    assert_int_equal(d->naddrs, 1);
}

/* Unknown TLV types and unknown flag bits are skipped (the version
 * rule); a later version number is read as version 1. */
static void unknown_tlvs_skipped(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL;
    rbuf r = reply(R, NONCE, 3, 0x80);
    static const uint8_t junk[300];

    (void)state;
    start(&q);
    tlv(&r, 0x7f, junk, 5);
    txt(&r, "a=1");
    tlv(&r, 0xee, junk, sizeof junk);
    tlv(&r, MCD_EXT_TLV_PAD, junk, 0);
    txt(&r, "b=2");
    r.b[strlen(R) + 1 + 4] = 9; /* version 9 */
    assert_int_equal(feed(&q, &r, ep(2, 3333), &d), MCD_Q_NEW);
    assert_string_equal(txt_of(d), "a=1 b=2");
}

/* TXT from a hostile device: pairs that break the rules, duplicate keys,
 * more than fits the entry. Stored bounded, whole pairs, flagged. */
static void txt_hostile(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL;
    rbuf r = reply(R, NONCE, 4, 0);
    char pair[256];

    (void)state;
    start(&q);
    txt(&r, "ok=1");
    txt(&r, "novalue");
    txt(&r, "=empty");
    txt(&r, "ctl=a\nb");
    txt(&r, "ok=2"); /* the first of a key counts */
    memset(pair, 'v', sizeof pair);
    memcpy(pair, "big=", 4);
    pair[200] = 0;
    for (int i = 0; i < 5; i++) {
        pair[3 - 1] = (char)('a' + i); /* bia=, bib=, ... distinct keys */
        txt(&r, pair);
    }
    assert_int_equal(feed(&q, &r, ep(2, 3333), &d), MCD_Q_NEW);
    assert_true(d->txt_truncated);
    assert_true(d->txt_len <= MCD_DEVICE_TXT_MAX);
    /* ok=1 and as many 200-byte pairs as fit 512 bytes (two). */
    const char *t = txt_of(d);
    assert_int_equal(strncmp(t, "ok=1 bia=vvv", 12), 0);
    assert_null(strstr(t, "ok=2"));
    assert_null(strstr(t, "novalue"));
    assert_null(strstr(t, "bic="));
    assert_non_null(strstr(t, "bib="));
}

/* Flag T: the device is left out of KNOWN and the next copies are padded
 * to the longest size, until its full reply comes; then it is known and
 * the copies shrink again. */
static void t_flag_pads_and_waits(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL;
    uint8_t out[MCD_EXT_MAX];
    uint8_t id[8] = {0xa0, 1, 2, 3, 4, 5, 6, 5};
    mcd_ext_query eq;
    rbuf t = reply(R, NONCE, 5, MCD_EXT_FLAG_TRUNC), full = reply(R, NONCE, 5, 0);
    int n;

    (void)state;
    start(&q);
    txt(&full, "fw=2");
    assert_true(mcd_qcore_send_due(&q, 0));
    assert_int_equal(feed(&q, &t, ep(2, 3333), &d), MCD_Q_NEW);
    assert_true(d->txt_truncated);
    assert_true(mcd_qcore_send_due(&q, 100 * MS));
    n = datagram(&q, 0, out);
    assert_int_equal(n, MCD_EXT_MAX);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    assert_false(eq.has_known && mcd_ext_known_has(eq.filter, eq.filter_len,
                                                   eq.k, NONCE, eq.salt, id));
    assert_int_equal(feed(&q, &full, ep(2, 3333), &d), MCD_Q_UPDATE);
    assert_false(d->txt_truncated);
    assert_string_equal(txt_of(d), "fw=2");
    /* A late T reply does not undo it. */
    assert_int_equal(feed(&q, &t, ep(2, 3333), NULL), MCD_Q_DUPLICATE);
    assert_false(d->txt_truncated);
    assert_true(mcd_qcore_send_due(&q, 200 * MS));
    n = datagram(&q, 0, out);
    assert_int_equal(n, MCD_EXT_QUERY_PAD);
    assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &eq), 0);
    assert_true(mcd_ext_known_has(eq.filter, eq.filter_len, eq.k, NONCE,
                                  eq.salt, id));
}

/* A device that only ever answers with T cannot make every copy 1232
 * bytes: after a few tries it is named in KNOWN. */
static void t_flag_liar_bounded(void **state)
{
    mcd_qcore q;
    uint8_t out[MCD_EXT_MAX];
    rbuf t = reply(R, NONCE, 5, MCD_EXT_FLAG_TRUNC);
    int big = 0;

    (void)state;
    start(&q);
    for (mcd_time s = 0; s < 20; s++) {
        assert_true(mcd_qcore_send_due(&q, s * 100 * MS));
        big += datagram(&q, 0, out) == MCD_EXT_MAX;
        feed(&q, &t, ep(2, 3333), NULL);
    }
    assert_true(big > 0 && big <= 3);
}

/* A chapter reply from an endpoint an extended device answered from,
 * with the same text, is that device; with another text it is another. */
static void chapter_reply_of_ext_device(void **state)
{
    mcd_qcore q;
    rbuf r = reply(R, NONCE, 1, 0);

    (void)state;
    start(&q);
    assert_int_equal(feed(&q, &r, ep(2, 3333), NULL), MCD_Q_NEW);
    assert_int_equal(feed_at(&q, 6 * MS, &r, ep(3, 3333), 2, NULL),
                     MCD_Q_UPDATE);
    assert_int_equal(feed_text(&q, R, ep(2, 3333)), MCD_Q_DUPLICATE);
    assert_int_equal(feed_text(&q, R, ep(3, 3333)), MCD_Q_DUPLICATE);
    assert_int_equal(feed_text(&q, R, ep(2, 4444)), MCD_Q_NEW);
    assert_int_equal(feed_text(&q, "Other http 80", ep(2, 3333)), MCD_Q_NEW);
    assert_int_equal(stats(&q).found, 3);
}

/* Heard first in the chapter's exchange (its extended reply was lost),
 * then in the extension: one device, which gains its id. */
static void chapter_then_ext_same_device(void **state)
{
    mcd_qcore q;
    const mcd_device *d = NULL;
    rbuf r = reply(R, NONCE, 1, 0);

    (void)state;
    start(&q);
    txt(&r, "k=v");
    assert_int_equal(feed_text(&q, R, ep(2, 3333)), MCD_Q_NEW);
    assert_int_equal(feed(&q, &r, ep(2, 3333), &d), MCD_Q_UPDATE);
    assert_true(d->ext);
    assert_int_equal(d->id[7], 1);
    assert_string_equal(txt_of(d), "k=v");
    assert_int_equal(stats(&q).found, 1);
}

/* Extended queries (ours looped back, another client's) are not replies;
 * neither is anything malformed after the NUL. */
static void ext_queries_and_garbage(void **state)
{
    mcd_qcore q;
    uint8_t out[MCD_EXT_MAX];
    int n;
    mcd_endpoint a = ep(2, 3333);

    (void)state;
    start(&q);
    assert_true(mcd_qcore_send_due(&q, 0));
    n = datagram(&q, 0, out);
    mcd_qcore_rx rx = {.data = out, .len = (size_t)n, .from = &a,
                       .src_on_link = true, .ifindex = 2};
    assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL), MCD_Q_QUERY);
    rbuf r = reply(R, NONCE, 1, 0);
    r.b[strlen(R) + 1] = 'X'; /* bad magic */
    assert_int_equal(feed(&q, &r, a, NULL), MCD_Q_MALFORMED);
    r = reply(R, NONCE, 1, 0);
    r.b[strlen(R) + 1 + 4] = 0; /* version 0 */
    assert_int_equal(feed(&q, &r, a, NULL), MCD_Q_MALFORMED);
    r = reply(R, NONCE, 1, 0);
    r.b[strlen(R) + 1 + 5] = 1; /* a query's kind from a device */
    assert_int_not_equal(feed(&q, &r, a, NULL), MCD_Q_NEW);
    r = reply("bad text", NONCE, 1, 0);
    assert_int_equal(feed(&q, &r, a, NULL), MCD_Q_MALFORMED);
    r = reply(R, NONCE, 1, 0);
    tlv(&r, 3, "a=1", 3);
    r.b[r.n - 4] = 9; /* TXT length 9 runs past the end */
    assert_int_equal(feed(&q, &r, a, NULL), MCD_Q_MALFORMED);
    assert_int_equal(stats(&q).found, 0);
    assert_int_equal(stats(&q).bad_nonce, 0);
}

/* Every prefix of a valid extended reply, each in a buffer of its exact
 * size (ASan in CI catches a read past its end): a device only where the
 * prefix is itself well formed (the chapter's text alone, or the
 * extended reply cut between two TLVs), else MALFORMED. */
static void truncation_at_every_length(void **state)
{
    mcd_qcore q;
    rbuf r = reply(R, NONCE, 1, 0);
    size_t base = r.n, one = base + 3 + 8;
    mcd_reply parsed;

    (void)state;
    txt(&r, "fw=1.4.2");
    txt(&r, "model=C3-Lamp");
    for (size_t len = 0; len <= r.n; len++) {
        uint8_t *copy = test_malloc(len ? len : 1);
        mcd_endpoint a = ep(2, 3333);
        mcd_qcore_rx rx = {.data = copy, .len = len, .from = &a,
                           .src_on_link = true, .ifindex = 2};
        bool whole;

        memcpy(copy, r.b, len);
        whole = len == base || len == one || len == r.n ||
                (len <= strlen(R) && mcd_reply_parse(copy, len, &parsed) == 0);
        start(&q);
        assert_int_equal(mcd_qcore_input(&q, 0, &rx, NULL),
                         whole ? MCD_Q_NEW : MCD_Q_MALFORMED);
        test_free(copy);
    }
}

/* Every datagram fed is counted, device or not. */
static void received_counted(void **state)
{
    mcd_qcore q;
    rbuf r = reply(R, NONCE, 1, 0);

    (void)state;
    start(&q);
    feed(&q, &r, ep(2, 3333), NULL);
    feed(&q, &r, ep(2, 3333), NULL);
    feed_text(&q, "garbage", ep(2, 3333));
    assert_int_equal(stats(&q).received, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(send_time_is_ext_then_plain),
        cmocka_unit_test(chapter_only_sends_plain),
        cmocka_unit_test(window_configured),
        cmocka_unit_test(known_lists_every_id),
        cmocka_unit_test(known_scales),
        cmocka_unit_test(ext_device_with_id_and_txt),
        cmocka_unit_test(one_id_many_addresses),
        cmocka_unit_test(two_ids_one_endpoint),
        cmocka_unit_test(id_collision_other_text),
        cmocka_unit_test(per_source_ext),
        cmocka_unit_test(per_source_same_text),
        cmocka_unit_test(ext_source_rules),
        cmocka_unit_test(forged_nonce),
        cmocka_unit_test(unknown_tlvs_skipped),
        cmocka_unit_test(txt_hostile),
        cmocka_unit_test(t_flag_pads_and_waits),
        cmocka_unit_test(t_flag_liar_bounded),
        cmocka_unit_test(chapter_reply_of_ext_device),
        cmocka_unit_test(chapter_then_ext_same_device),
        cmocka_unit_test(ext_queries_and_garbage),
        cmocka_unit_test(truncation_at_every_length),
        cmocka_unit_test(received_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
