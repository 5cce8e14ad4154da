/*
 * test_live.c - the live view's core (docs/PROTOCOL.md, "Live view and
 * keys"): announcements and goodbyes on the wire, LIFETIME in replies, a
 * device's announcement schedule, and a watcher's table under normal and
 * hostile input (flood, replay, forged goodbye, truncated, oversized).
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
static const char R[] = "ESP32-C3 Smart Light https 443";
#define RLEN (sizeof R - 1)
static const uint8_t ID[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
#define S 1000000u

static int encode(uint8_t kind, uint64_t counter, uint32_t life,
                  const char *const *txt, size_t ntxt, uint8_t *out,
                  size_t cap)
{
    mcd_ext_announce a;

    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.counter = counter;
    a.lifetime = life;
    memcpy(a.id, ID, 8);
    return mcd_ext_announce_encode((const uint8_t *)Q, QLEN, &a,
                                   (const uint8_t *)R, RLEN, txt, ntxt, out,
                                   cap);
}

static void test_announce_round_trip(void **state)
{
    static const char *const txt[] = {"fw=1.4.2", "model=C3-Lamp"};
    uint8_t buf[MCD_EXT_MAX];
    mcd_ext_announce d;
    const uint8_t *pair;
    size_t pos = 0, plen;
    int n = encode(MCD_EXT_KIND_ANNOUNCE, 0x0102030405060708u, 120, txt, 2,
                   buf, sizeof buf);

    (void)state;
    /* Q NUL hdr15 id8 TEXT(3+30) LIFETIME(3+4) TXT(3+8) TXT(3+13) */
    assert_int_equal(n, 33 + 1 + 15 + 8 + 33 + 7 + 11 + 16);
    assert_int_equal(buf[QLEN], 0); /* the chapter's strcmp stops here */
    assert_memory_equal(buf, Q, QLEN);
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)n, QLEN, &d), 0);
    assert_int_equal(d.kind, MCD_EXT_KIND_ANNOUNCE);
    assert_true(d.counter == 0x0102030405060708u);
    assert_memory_equal(d.id, ID, 8);
    assert_string_equal(d.base.name, "ESP32-C3 Smart Light");
    assert_int_equal(d.base.port, 443);
    assert_int_equal(d.lifetime, 120);
    assert_true(mcd_ext_txt_next(d.tlv, d.tlv_len, &pos, &pair, &plen));
    assert_int_equal(plen, 8);
    assert_memory_equal(pair, "fw=1.4.2", 8);
}

static void test_goodbye(void **state)
{
    static const char *const txt[] = {"fw=1"};
    uint8_t buf[MCD_EXT_MAX];
    mcd_ext_announce d;
    int n = encode(MCD_EXT_KIND_GOODBYE, 7, 120, txt, 1, buf, sizeof buf);

    (void)state;
    assert_int_equal(n, 33 + 1 + 15 + 8 + 33 + 7); /* no TXT, lifetime 0 */
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)n, QLEN, &d), 0);
    assert_int_equal(d.kind, MCD_EXT_KIND_GOODBYE);
    assert_int_equal(d.lifetime, 0);
    assert_true(d.counter == 7);
}

static void test_announce_hostile(void **state)
{
    uint8_t buf[MCD_EXT_MAX + 8];
    mcd_ext_announce d;
    int n = encode(MCD_EXT_KIND_ANNOUNCE, 1, 60, NULL, 0, buf, sizeof buf);

    (void)state;
    assert_true(n > 0);
    /* Every truncation is malformed, never read past the end. */
    for (int cut = (int)QLEN + 1; cut < n; cut++)
        assert_true(mcd_ext_announce_decode(buf, (size_t)cut, QLEN, &d) < 0);
    /* Oversized. */
    memset(buf + n, 0, sizeof buf - (size_t)n);
    assert_int_equal(mcd_ext_announce_decode(buf, MCD_EXT_MAX + 1, QLEN, &d),
                     MCD_E_BADEXT);
    /* A lifetime of 0 in an announcement. */
    n = encode(MCD_EXT_KIND_ANNOUNCE, 1, 0, NULL, 0, buf, sizeof buf);
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)n, QLEN, &d),
                     MCD_E_BADEXT);
    /* Version 0. */
    n = encode(MCD_EXT_KIND_ANNOUNCE, 1, 60, NULL, 0, buf, sizeof buf);
    buf[QLEN + 1 + 4] = 0;
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)n, QLEN, &d),
                     MCD_E_BADEXT);
    /* A query or reply kind is not an announcement. */
    buf[QLEN + 1 + 4] = 1;
    buf[QLEN + 1 + 5] = MCD_EXT_KIND_QUERY;
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)n, QLEN, &d), 1);
    /* TEXT that is not a reply. */
    buf[QLEN + 1 + 5] = MCD_EXT_KIND_ANNOUNCE;
    buf[QLEN + 1 + 15 + 8 + 3 + RLEN - 1] = 'x'; /* port "44x" */
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)n, QLEN, &d),
                     MCD_E_BADREPLY);
    /* Too long to encode. */
    assert_int_equal(encode(MCD_EXT_KIND_ANNOUNCE, 1, 60, NULL, 0, buf, 80),
                     MCD_E_TOOLONG);
}

static void test_reply_lifetime(void **state)
{
    static const char *const txt[] = {"fw=1.4.2"};
    uint8_t buf[MCD_EXT_MAX];
    mcd_ext_reply r;
    size_t base;
    uint32_t life = 0;
    int n = mcd_ext_reply_template_lt((const uint8_t *)R, RLEN, ID, 300, txt,
                                      1, buf, sizeof buf, &base);

    (void)state;
    assert_int_equal(base, 54 + 7); /* LIFETIME in the base: a cut keeps it */
    assert_int_equal(n, 54 + 7 + 11);
    assert_int_equal(mcd_ext_reply_decode(buf, (size_t)n, &r), 0);
    assert_true(mcd_ext_lifetime_get(r.tlv, r.tlv_len, &life));
    assert_int_equal(life, 300);
    assert_int_equal(mcd_ext_reply_decode(buf, base, &r), 0);
    assert_true(mcd_ext_lifetime_get(r.tlv, r.tlv_len, &life));
    n = mcd_ext_reply_template_lt((const uint8_t *)R, RLEN, ID, 0, txt, 1,
                                  buf, sizeof buf, &base);
    assert_int_equal(mcd_ext_reply_decode(buf, (size_t)n, &r), 0);
    assert_false(mcd_ext_lifetime_get(r.tlv, r.tlv_len, &life));
}

static void test_announcer_schedule(void **state)
{
    mcd_announcer a;
    mcd_time t = 5 * S, next;

    (void)state;
    mcd_announcer_init(&a);
    assert_int_equal(mcd_announcer_poll(&a, t, &next), 0);
    assert_true(next == MCD_TIME_NEVER);
    mcd_announcer_kick(&a, t);
    assert_int_equal(mcd_announcer_poll(&a, t, &next), MCD_EXT_KIND_ANNOUNCE);
    assert_true(next == t + 1 * S);
    assert_int_equal(mcd_announcer_poll(&a, t + S - 1, &next), 0);
    assert_int_equal(mcd_announcer_poll(&a, t + S, &next),
                     MCD_EXT_KIND_ANNOUNCE);
    assert_true(next == t + 3 * S);
    assert_int_equal(mcd_announcer_poll(&a, t + 3 * S, &next),
                     MCD_EXT_KIND_ANNOUNCE);
    assert_true(next == MCD_TIME_NEVER);
    /* A change 4 s after the burst waits for the 10 s limit. */
    mcd_announcer_kick(&a, t + 4 * S);
    mcd_announcer_kick(&a, t + 5 * S); /* and many changes make one burst */
    assert_int_equal(mcd_announcer_poll(&a, t + 4 * S, &next), 0);
    assert_true(next == t + 10 * S);
    assert_true(mcd_announcer_next(&a) == t + 10 * S); /* no busy wait */
    assert_int_equal(mcd_announcer_poll(&a, t + 10 * S, &next),
                     MCD_EXT_KIND_ANNOUNCE);
    /* Stop: no more announcements, 2 goodbyes 100 ms apart. */
    mcd_announcer_stop(&a, t + 10 * S + 1);
    assert_false(mcd_announcer_done(&a));
    assert_int_equal(mcd_announcer_poll(&a, t + 10 * S + 1, &next),
                     MCD_EXT_KIND_GOODBYE);
    assert_true(next == t + 10 * S + 1 + 100000u);
    assert_int_equal(mcd_announcer_poll(&a, next - 1, NULL), 0);
    assert_int_equal(mcd_announcer_poll(&a, next, &next),
                     MCD_EXT_KIND_GOODBYE);
    assert_true(mcd_announcer_done(&a));
    assert_int_equal(mcd_announcer_poll(&a, t + 30 * S, &next), 0);
    mcd_announcer_kick(&a, t + 30 * S); /* stopped stays stopped */
    assert_int_equal(mcd_announcer_poll(&a, t + 30 * S, &next), 0);
}

static mcd_ext_announce ann(uint8_t kind, uint64_t counter, uint32_t life,
                            uint8_t id0)
{
    mcd_ext_announce a;

    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.counter = counter;
    a.lifetime = life;
    memcpy(a.id, ID, 8);
    a.id[0] = id0;
    assert_int_equal(mcd_reply_parse((const uint8_t *)R, RLEN, &a.base), 0);
    return a;
}

static mcd_endpoint ep(uint8_t last)
{
    mcd_endpoint e;

    memset(&e, 0, sizeof e);
    assert_int_equal(mcd_addr_parse("10.0.0.1", &e.addr), 0);
    e.addr.b[3] = last;
    e.port = 4000;
    return e;
}

static void test_watch_lifecycle(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 10, 10, 0);
    mcd_endpoint e1 = ep(1), e2 = ep(2);
    mcd_time t = 100 * S;

    (void)state;
    mcd_watch_init(&w, devs, 4, 120);
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, t, &d),
                     MCD_WATCH_NEW);
    assert_int_equal(d->lifetime, 10);
    /* The same copy again (the burst's copies have new counters). */
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, t, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(w.stats.replayed, 1);
    a.counter = 11;
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, t + S, &d),
                     MCD_WATCH_NONE);
    /* An address change is an update. */
    a.counter = 12;
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e2, t + 2 * S, &d),
                     MCD_WATCH_UPDATE);
    /* Expiry: listed until its lifetime passed since last seen. */
    assert_int_equal(mcd_watch_expire(&w, t + 12 * S - 1, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_expire(&w, t + 12 * S, &d),
                     MCD_WATCH_GONE_EXPIRED);
    assert_memory_equal(d->id, ID, 8);
    assert_int_equal(mcd_watch_count(&w), 0);
}

/* TXT pairs kept as discover keeps them (docs/PROTOCOL.md): a repeated
 * key is left out, the first counts; a change of the repeat alone is no
 * update. */
static void test_watch_txt_rules(void **state)
{
    static const char *const txt[] = {"fw=1", "fw=2", "model=X"};
    static const char *const txt2[] = {"fw=1", "fw=3", "model=X"};
    static const char *const want[] = {"fw=1", "model=X"};
    uint8_t buf[MCD_EXT_MAX];
    mcd_watch_dev devs[2];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a;
    mcd_endpoint e1 = ep(1);
    const uint8_t *pair;
    size_t pos = 0, plen, n = 0;
    int len = encode(MCD_EXT_KIND_ANNOUNCE, 10, 60, txt, 3, buf, sizeof buf);

    (void)state;
    assert_true(len > 0);
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)len, QLEN, &a), 0);
    mcd_watch_init(&w, devs, 2, 120);
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, 100 * S, &d),
                     MCD_WATCH_NEW);
    while (mcd_ext_txt_next(d->txt, d->txt_len, &pos, &pair, &plen)) {
        assert_true(n < 2);
        assert_int_equal(plen, strlen(want[n]));
        assert_memory_equal(pair, want[n], plen);
        n++;
    }
    assert_int_equal(n, 2);
    len = encode(MCD_EXT_KIND_ANNOUNCE, 11, 60, txt2, 3, buf, sizeof buf);
    assert_int_equal(mcd_ext_announce_decode(buf, (size_t)len, QLEN, &a), 0);
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, 101 * S, &d),
                     MCD_WATCH_NONE);
}

static void test_watch_goodbye_replay_forgery(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 100, 60, 0);
    mcd_ext_announce bye = ann(MCD_EXT_KIND_GOODBYE, 50, 0, 0);
    mcd_endpoint e1 = ep(1), forger = ep(66);

    (void)state;
    mcd_watch_init(&w, devs, 4, 120);
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, S, &d),
                     MCD_WATCH_NEW);
    /* A goodbye replayed from an earlier run (lower counter): ignored. */
    assert_int_equal(mcd_watch_on_announce(&w, &bye, &e1, 2 * S, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_count(&w), 1);
    /* A goodbye for an id we do not list: nothing to remove. */
    bye.counter = 1000;
    bye.id[0] = 9;
    assert_int_equal(mcd_watch_on_announce(&w, &bye, &e1, 2 * S, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(w.stats.stale_goodbye, 1);
    /* Without keys a forged goodbye with a higher counter is taken, from
     * any source (docs/PROTOCOL.md: keys decide). */
    bye.id[0] = 0;
    assert_int_equal(mcd_watch_on_announce(&w, &bye, &forger, 3 * S, &d),
                     MCD_WATCH_GONE_GOODBYE);
    assert_int_equal(mcd_watch_count(&w), 0);
}

static void test_watch_flood(void **state)
{
    mcd_watch_dev devs[8];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_endpoint e = ep(1);
    int news = 0;

    (void)state;
    mcd_watch_init(&w, devs, 8, 120);
    for (uint32_t i = 0; i < 10000; i++) {
        mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 1, 86400, 0);

        a.id[0] = (uint8_t)(i * 2654435761u >> 24);
        memcpy(a.id + 4, &i, sizeof i);
        if (mcd_watch_on_announce(&w, &a, &e, S, &d) == MCD_WATCH_NEW)
            news++;
    }
    assert_int_equal(news, 8);
    assert_int_equal(mcd_watch_count(&w), 8);
    assert_int_equal(w.stats.table_full, 10000 - 8);
}

static void test_watch_refresh(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 1, 100, 1);
    mcd_ext_announce b = ann(MCD_EXT_KIND_ANNOUNCE, 1, 100, 2);
    mcd_reply chap;
    mcd_endpoint e1 = ep(1), e3 = ep(3);
    uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8}, filter[16];
    mcd_time next;
    bool chapter_due;

    (void)state;
    mcd_watch_init(&w, devs, 4, 50);
    assert_int_equal(mcd_reply_parse((const uint8_t *)"book https 443", 14, &chap), 0);
    assert_int_equal(mcd_watch_on_announce(&w, &a, &e1, 0, &d), MCD_WATCH_NEW);
    assert_int_equal(mcd_watch_on_announce(&w, &b, &e1, 30 * S, &d),
                     MCD_WATCH_NEW);
    assert_int_equal(mcd_watch_on_chapter(&w, &chap, &e3, 0, &d),
                     MCD_WATCH_NEW);
    assert_int_equal(d->lifetime, 50); /* the default, for chapter devices */
    assert_false(mcd_watch_refresh_due(&w, S, &next));
    assert_true(next == 43750000u); /* the chapter device at 7/8 of 50 s */
    assert_true(mcd_watch_refresh_due(&w, 88 * S, &next));
    memset(filter, 0, sizeof filter);
    /* At 88 s: a is due (withheld), b is not (known), chapter due. */
    assert_int_equal(mcd_watch_refresh_known(&w, 88 * S, filter,
                                             sizeof filter, 5, nonce, 7,
                                             &chapter_due), 1);
    assert_true(chapter_due);
    assert_true(mcd_ext_known_has(filter, sizeof filter, 5, nonce, 7, b.id));
    /* a asked: not due again for a 20th of its lifetime. */
    assert_false(mcd_watch_refresh_due(&w, 88 * S + 1, &next));
    assert_true(next == 50 * S); /* the chapter device's expiry */
    /* A chapter reply refreshes it: no event. */
    assert_int_equal(mcd_watch_on_chapter(&w, &chap, &e3, 89 * S, &d),
                     MCD_WATCH_NONE);
}

/* Keys (docs/PROTOCOL.md, "Keys and the live view"): the MAC result is
 * the caller's (mcd_ext_mac_check); here the table's rules under it. */
static mcd_ext_reply keyed_reply(uint8_t id0)
{
    mcd_ext_reply r;

    memset(&r, 0, sizeof r);
    memcpy(r.id, ID, 8);
    r.id[0] = id0;
    assert_int_equal(mcd_reply_parse((const uint8_t *)R, RLEN, &r.base), 0);
    return r;
}

static void keyed_init(mcd_watch *w, mcd_watch_dev *devs, size_t n)
{
    mcd_watch_init(w, devs, n, 120);
    w->keyed = true;
}

static void test_watch_keys_reply(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_reply r = keyed_reply(0);
    mcd_endpoint dev = ep(1), forger = ep(66);

    (void)state;
    keyed_init(&w, devs, 4);
    /* A forged reply (wrong MAC, or another key's: both MCD_MAC_BAD) and
     * an unsigned one come first: listed, unverified. */
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_BAD, &forger, S,
                                            &d), MCD_WATCH_NEW);
    assert_false(d->verified);
    /* The device's verified reply replaces what the forger said. */
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_OK, &dev, S, &d),
                     MCD_WATCH_UPDATE);
    assert_true(d->verified);
    assert_int_equal(d->from.addr.b[3], 1);
    /* Then a forged, an unsigned and a chapter reply change nothing, and
     * do not refresh it (a dead device is not kept alive by a forger). */
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_BAD, &forger,
                                            50 * S, &d), MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_NONE, &forger,
                                            50 * S, &d), MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_on_chapter(&w, &r.base, &dev, 50 * S, &d),
                     MCD_WATCH_NONE);
    /* All three counted unverified (docs/PROTOCOL.md), the chapter reply
     * too. */
    assert_int_equal(w.stats.unverified, 3);
    assert_true(devs[0].seen == S && devs[0].from.addr.b[3] == 1);
    assert_int_equal(mcd_watch_expire(&w, 121 * S, &d),
                     MCD_WATCH_GONE_EXPIRED);
    /* Without w->keyed a MAC_OK verifies nothing. */
    mcd_watch_init(&w, devs, 4, 120);
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_OK, &dev, S, &d),
                     MCD_WATCH_NEW);
    assert_false(d->verified);
}

static void test_watch_keys_announce(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 100, 60, 0);
    mcd_ext_reply r = keyed_reply(0);
    mcd_endpoint e1 = ep(1), e2 = ep(2), forger = ep(66);
    uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8}, filter[16];
    mcd_time next;

    (void)state;
    keyed_init(&w, devs, 4);
    /* First seen by a verified announcement (could be a replay from an
     * earlier run): listed unverified, and due for a query at once. */
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e1, S,
                                               &d), MCD_WATCH_NEW);
    assert_false(d->verified);
    assert_true(d->confirm);
    assert_true(mcd_watch_refresh_due(&w, S, &next));
    memset(filter, 0, sizeof filter);
    /* Unverified devices are never named in KNOWN (a forger could
     * silence the device it copies). */
    assert_int_equal(mcd_watch_refresh_known(&w, S, filter, sizeof filter,
                                             5, nonce, 7, NULL), 0);
    assert_false(mcd_ext_known_has(filter, sizeof filter, 5, nonce, 7, a.id));
    /* Its verified (nonce-bound) reply confirms it. */
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_OK, &e1, S, &d),
                     MCD_WATCH_UPDATE);
    assert_true(d->verified);
    assert_false(d->confirm);
    /* A replay (the same counter), an equal or lower counter: ignored. */
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e2,
                                               2 * S, &d), MCD_WATCH_NONE);
    a.counter = 99;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e2,
                                               2 * S, &d), MCD_WATCH_NONE);
    /* Signed with another key, or unsigned, with a higher counter. */
    a.counter = 1000;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_BAD,
                                               &forger, 2 * S, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_NONE,
                                               &forger, 2 * S, &d),
                     MCD_WATCH_NONE);
    assert_true(devs[0].from.addr.b[3] == 1 && devs[0].verified);
    /* The next real one (counter above the last verified) is an update. */
    a.counter = 101;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e2,
                                               3 * S, &d), MCD_WATCH_UPDATE);
    assert_true(d->verified && d->from.addr.b[3] == 2);
    /* Counter wrap: 0 after UINT64_MAX is not above it. */
    a.counter = UINT64_MAX;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e1,
                                               4 * S, &d), MCD_WATCH_UPDATE);
    a.counter = 0;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e2,
                                               5 * S, &d), MCD_WATCH_NONE);
    assert_int_equal(devs[0].from.addr.b[3], 1);
}

/* A device first seen by its signed announcement (counter 200), still
 * awaiting its confirming reply: a signed goodbye of its own from an
 * earlier run (counter 100) is a replay and removes nothing. */
static void test_watch_keys_old_goodbye(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 200, 60, 0);
    mcd_ext_announce bye = ann(MCD_EXT_KIND_GOODBYE, 100, 0, 0);
    mcd_endpoint e1 = ep(1), replayer = ep(66);

    (void)state;
    keyed_init(&w, devs, 4);
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e1, S,
                                               &d), MCD_WATCH_NEW);
    assert_true(devs[0].confirm);
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_OK,
                                               &replayer, 2 * S, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_count(&w), 1);
    /* Its own newer goodbye does remove it. */
    bye.counter = 300;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_OK, &e1,
                                               3 * S, &d),
                     MCD_WATCH_GONE_GOODBYE);
}

static void test_watch_keys_goodbye(void **state)
{
    mcd_watch_dev devs[4];
    mcd_watch w;
    const mcd_watch_dev *d;
    mcd_ext_announce a = ann(MCD_EXT_KIND_ANNOUNCE, 100, 60, 0);
    mcd_ext_announce bye = ann(MCD_EXT_KIND_GOODBYE, 5000, 0, 0);
    mcd_ext_reply r = keyed_reply(0);
    mcd_endpoint e1 = ep(1), forger = ep(66);

    (void)state;
    keyed_init(&w, devs, 4);
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_OK, &e1, S, &d),
                     MCD_WATCH_NEW);
    /* Verified by a reply only: no verified counter yet, so even a right
     * goodbye may be a replay from an earlier run: it only asks again. */
    bye.counter = 50;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_OK, &forger,
                                               S, &d), MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_count(&w), 1);
    assert_true(devs[0].confirm);
    assert_int_equal(mcd_watch_on_reply_mac(&w, &r, MCD_MAC_OK, &e1, S, &d),
                     MCD_WATCH_NONE);
    assert_false(devs[0].confirm);
    assert_true(devs[0].vcounter == 50);
    assert_int_equal(mcd_watch_on_announce_mac(&w, &a, MCD_MAC_OK, &e1,
                                               2 * S, &d), MCD_WATCH_UPDATE);
    assert_int_equal(d->lifetime, 60);
    /* Unsigned, or another key's, with a higher counter: stays. */
    bye.counter = 5000;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_NONE,
                                               &forger, 3 * S, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_BAD,
                                               &forger, 3 * S, &d),
                     MCD_WATCH_NONE);
    /* A right goodbye with the equal counter (a replay) too. */
    bye.counter = 100;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_OK,
                                               &forger, 3 * S, &d),
                     MCD_WATCH_NONE);
    assert_int_equal(mcd_watch_count(&w), 1);
    /* The device's own goodbye removes it. */
    bye.counter = 101;
    assert_int_equal(mcd_watch_on_announce_mac(&w, &bye, MCD_MAC_OK, &e1,
                                               4 * S, &d),
                     MCD_WATCH_GONE_GOODBYE);
    assert_int_equal(mcd_watch_count(&w), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_announce_round_trip),
        cmocka_unit_test(test_goodbye),
        cmocka_unit_test(test_announce_hostile),
        cmocka_unit_test(test_reply_lifetime),
        cmocka_unit_test(test_announcer_schedule),
        cmocka_unit_test(test_watch_lifecycle),
        cmocka_unit_test(test_watch_txt_rules),
        cmocka_unit_test(test_watch_goodbye_replay_forgery),
        cmocka_unit_test(test_watch_flood),
        cmocka_unit_test(test_watch_refresh),
        cmocka_unit_test(test_watch_keys_reply),
        cmocka_unit_test(test_watch_keys_announce),
        cmocka_unit_test(test_watch_keys_goodbye),
        cmocka_unit_test(test_watch_keys_old_goodbye),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
