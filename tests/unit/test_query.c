/*
 * test_query.c - the query core with a fake clock: resend schedule,
 * de-duplication, what is never taken for a device (and from whom), when
 * it is done.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mcdisc.h"

/* The core's counters (its fields are private). */
static mcd_qcore_stats stats(const mcd_qcore *q)
{
    mcd_qcore_stats st;

    mcd_qcore_stats_get(q, &st);
    return st;
}

static const char Q[] = MCD_DEFAULT_QUERY;
#define QLEN (sizeof Q - 1)
#define MS 1000u

static mcd_device table[8];

static void start(mcd_qcore *q, uint32_t count)
{
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN,
        .timeout_ms = 2000, .sends = 3, .interval_ms = 250, .count = count,
    };
    assert_int_equal(mcd_qcore_init(q, &cfg, table, 8, 10 * MS), 0);
}

static mcd_endpoint dev(uint8_t last, uint16_t port)
{
    mcd_endpoint ep = {.addr = {.family = MCD_AF_INET4,
                                .b = {198, 18, 0, last}},
                       .port = port};
    return ep;
}

/* A datagram from an on-link source, arrived on interface 2. */
static enum mcd_qresult input(mcd_qcore *q, mcd_time now, const void *data,
                              size_t len, const mcd_endpoint *from,
                              bool to_group, const mcd_device **d)
{
    mcd_qcore_rx rx = {.data = data, .len = len, .from = from,
                       .dst_is_group = to_group, .src_on_link = true,
                       .ifindex = 2};
    return mcd_qcore_input(q, now, &rx, d);
}

static enum mcd_qresult feed(mcd_qcore *q, mcd_time now, const char *s,
                             const mcd_endpoint *from, bool to_group)
{
    return input(q, now, s, strlen(s), from, to_group, NULL);
}

static void resend_schedule(void **state)
{
    mcd_qcore q;
    mcd_time sends[8];
    int n = 0;

    (void)state;
    start(&q, 0);
    /* Step the fake clock 1 ms at a time through the whole timeout. */
    for (mcd_time t = 10 * MS; t <= 2100 * MS && n < 8; t += MS) {
        if (mcd_qcore_send_due(&q, t))
            sends[n++] = t;
    }
    assert_int_equal(n, 3);
    assert_int_equal(sends[0], 10 * MS);
    assert_int_equal(sends[1], 260 * MS);  /* +250 */
    assert_int_equal(sends[2], 760 * MS);  /* +500, doubled */
    assert_int_equal(mcd_qcore_next(&q), 2010 * MS);
    assert_false(mcd_qcore_done(&q, 2009 * MS));
    assert_true(mcd_qcore_done(&q, 2010 * MS));
}

static void capped_backoff_fills_timeout(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN, .timeout_ms = 2000,
        .sends = 0, .interval_ms = 100, .max_interval_ms = 150,
    };
    mcd_time sends[32];
    int n = 0;

    (void)state;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 8, 0), 0);
    for (mcd_time t = 0; t <= 2100 * MS && n < 32; t += MS)
        if (mcd_qcore_send_due(&q, t))
            sends[n++] = t;
    /* 0, 100, 250, then every 150 ms up to the deadline: 14 copies. */
    assert_int_equal(n, 14);
    assert_int_equal(sends[1], 100 * MS);
    assert_int_equal(sends[2], 250 * MS);
    assert_int_equal(sends[3], 400 * MS);
    assert_int_equal(sends[13], 1900 * MS);
    assert_int_equal(mcd_qcore_next(&q), 2000 * MS);
}

static void next_wakeup(void **state)
{
    mcd_qcore q;

    (void)state;
    start(&q, 0);
    assert_int_equal(mcd_qcore_next(&q), 10 * MS);
    assert_true(mcd_qcore_send_due(&q, 10 * MS));
    assert_int_equal(mcd_qcore_next(&q), 260 * MS);
    assert_false(mcd_qcore_send_due(&q, 259 * MS));
}

static void devices_listed_once(void **state)
{
    mcd_qcore q;
    mcd_endpoint a = dev(2, 3333), b = dev(3, 3333);
    const mcd_device *d = NULL;
    const char *r = "ESP32-C3 Smart Light https 443";

    (void)state;
    start(&q, 0);
    assert_true(mcd_qcore_send_due(&q, 10 * MS));
    assert_int_equal(input(&q, 11 * MS, r, strlen(r), &a, false, &d),
                     MCD_Q_NEW);
    assert_non_null(d);
    assert_string_equal(d->reply.name, "ESP32-C3 Smart Light");
    assert_string_equal(d->reply.proto, "https");
    assert_int_equal(d->reply.port, 443);
    assert_int_equal(d->rtt, 1 * MS);
    assert_int_equal(d->elapsed, 1 * MS);
    assert_int_equal(d->ifindex, 2);
    /* The answer to a resent query is the same device. */
    assert_true(mcd_qcore_send_due(&q, 260 * MS));
    assert_int_equal(feed(&q, 261 * MS, r, &a, false), MCD_Q_DUPLICATE);
    assert_int_equal(feed(&q, 261 * MS, r, &b, false), MCD_Q_NEW);
    /* Two responders on one host and port, told apart by what they say. */
    assert_int_equal(feed(&q, 262 * MS, "Lamp two http 80", &a, false),
                     MCD_Q_NEW);
    assert_int_equal(stats(&q).found, 3);
}

static void never_devices(void **state)
{
    mcd_qcore q;
    mcd_endpoint a = dev(2, 3333);
    char withnul[40];

    (void)state;
    start(&q, 0);
    /* Our own query, or another client's, looped back or not. */
    assert_int_equal(feed(&q, 0, Q, &a, false), MCD_Q_QUERY);
    memcpy(withnul, Q, QLEN + 1);
    assert_int_equal(input(&q, 0, withnul, QLEN + 1, &a, false, NULL),
                     MCD_Q_QUERY);
    /* A well-formed reply sent to a group is somebody else's traffic. */
    assert_int_equal(feed(&q, 0, "Lamp http 80", &a, true), MCD_Q_MULTICAST);
    assert_int_equal(feed(&q, 0, "garbage", &a, false), MCD_Q_MALFORMED);
    assert_int_equal(input(&q, 0, "", 0, &a, false, NULL), MCD_Q_MALFORMED);
    assert_int_equal(stats(&q).found, 0);
    assert_int_equal(stats(&q).dropped, 5);
}

static void count_stops_early(void **state)
{
    mcd_qcore q;
    mcd_endpoint a = dev(2, 3333), b = dev(3, 3333);

    (void)state;
    start(&q, 2);
    assert_int_equal(feed(&q, 20 * MS, "A http 80", &a, false), MCD_Q_NEW);
    assert_false(mcd_qcore_done(&q, 20 * MS));
    assert_int_equal(feed(&q, 21 * MS, "B http 80", &b, false), MCD_Q_NEW);
    assert_true(mcd_qcore_done(&q, 21 * MS));
}

static void table_full(void **state)
{
    mcd_qcore q;
    char r[32];

    (void)state;
    start(&q, 0);
    for (uint8_t i = 0; i < 8; i++) {
        mcd_endpoint e = dev((uint8_t)(10 + i), 3333);
        snprintf(r, sizeof r, "D%u http 80", i);
        assert_int_equal(feed(&q, 0, r, &e, false), MCD_Q_NEW);
    }
    mcd_endpoint e = dev(99, 3333);
    assert_int_equal(feed(&q, 0, "late http 80", &e, false), MCD_Q_FULL);
    assert_int_equal(feed(&q, 0, "later http 80", &e, false), MCD_Q_FULL);
    assert_int_equal(stats(&q).found, 8);
    assert_int_equal(stats(&q).full, 2); /* the caller warns: devices are missing */
}

static enum mcd_qresult from_src(mcd_qcore *q, mcd_endpoint e, bool on_link,
                                 bool broadcast)
{
    static const char r[] = "Lamp http 80";
    mcd_qcore_rx rx = {.data = (const uint8_t *)r, .len = sizeof r - 1,
                       .from = &e, .src_on_link = on_link,
                       .src_broadcast = broadcast, .ifindex = 2};
    return mcd_qcore_input(q, 0, &rx, NULL);
}

/* Replies that cannot have come from a device, whatever they say. */
static void bad_sources(void **state)
{
    mcd_qcore q;
    mcd_endpoint e = dev(2, 0), v6 = {.addr = {.family = MCD_AF_INET6},
                                      .port = 3333};

    (void)state;
    start(&q, 0);
    assert_int_equal(from_src(&q, e, true, false), MCD_Q_BAD_SOURCE); /* port 0 */
    e = dev(2, 3333);
    assert_int_equal(from_src(&q, e, true, true), MCD_Q_BAD_SOURCE); /* bcast */
    memset(e.addr.b, 255, 4);
    assert_int_equal(from_src(&q, e, true, false), MCD_Q_BAD_SOURCE);
    memset(e.addr.b, 0, 4);
    assert_int_equal(from_src(&q, e, true, false), MCD_Q_BAD_SOURCE);
    e.addr.b[0] = 224;
    assert_int_equal(from_src(&q, e, true, false), MCD_Q_BAD_SOURCE);
    assert_int_equal(from_src(&q, v6, true, false), MCD_Q_BAD_SOURCE); /* :: */
    v6.addr.b[0] = 0xff;
    assert_int_equal(from_src(&q, v6, true, false), MCD_Q_BAD_SOURCE);
    assert_int_equal(stats(&q).found, 0);
    assert_int_equal(stats(&q).bad_source, 7);
    assert_int_equal(stats(&q).dropped, 7);
    /* Port 53 is a unicast port like any other: only the link rule
     * below keeps a DNS server's stray answer out. */
    e = dev(2, 53);
    assert_int_equal(from_src(&q, e, true, false), MCD_Q_NEW);
}

/* With TTL 1 the query never left the link: a reply from off it (8.8.8.8)
 * is forged; with a larger TTL it may be a device behind a router. */
static void off_link_sources(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN, .timeout_ms = 2000,
        .interval_ms = 100,
    };
    mcd_endpoint e = {.addr = {.family = MCD_AF_INET4, .b = {8, 8, 8, 8}},
                      .port = 3333};

    (void)state;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 8, 0), 0);
    assert_int_equal(from_src(&q, e, false, false), MCD_Q_OFF_LINK);
    assert_int_equal(stats(&q).off_link, 1);
    assert_int_equal(from_src(&q, e, true, false), MCD_Q_NEW);
    cfg.allow_offlink = true;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 8, 0), 0);
    assert_int_equal(from_src(&q, e, false, false), MCD_Q_NEW);
    /* Off-link is allowed; a broadcast or port 0 source still is not. */
    e.port = 0;
    assert_int_equal(from_src(&q, e, false, false), MCD_Q_BAD_SOURCE);
}

/* One host forging thousands of names takes per_source entries, and a
 * real device answering later is still listed. */
static void per_source_cap(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN, .timeout_ms = 2000,
        .interval_ms = 100, .per_source = 3,
    };
    mcd_endpoint forger = dev(66, 3333), real = dev(2, 3333);
    char r[32];

    (void)state;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 8, 0), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(r, sizeof r, "Forged %d http 80", i);
        forger.port = (uint16_t)(1000 + i % 7); /* ports cost nothing */
        assert_int_equal(feed(&q, 0, r, &forger, false),
                         i < 3 ? MCD_Q_NEW : MCD_Q_CAPPED);
    }
    /* A duplicate of a listed one is still a duplicate, not capped. */
    forger.port = 1000;
    assert_int_equal(feed(&q, 0, "Forged 0 http 80", &forger, false),
                     MCD_Q_DUPLICATE);
    assert_int_equal(stats(&q).capped, 4997);
    assert_int_equal(stats(&q).full, 0);
    assert_int_equal(feed(&q, 300 * MS, "Real lamp http 80", &real, false),
                     MCD_Q_NEW);
    assert_int_equal(stats(&q).found, 4);
}

static void init_rejects(void **state)
{
    mcd_qcore q;
    mcd_qcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN,
        .timeout_ms = 1000, .sends = 0, .interval_ms = 100,
    };

    (void)state;
    cfg.interval_ms = 0;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 8, 0), MCD_E_INVAL);
    cfg.interval_ms = 100;
    cfg.sends = 1;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 0, 0), MCD_E_INVAL);
    cfg.query_len = 0;
    assert_int_equal(mcd_qcore_init(&q, &cfg, table, 8, 0), MCD_E_BADTEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resend_schedule),  cmocka_unit_test(next_wakeup),
        cmocka_unit_test(capped_backoff_fills_timeout),
        cmocka_unit_test(devices_listed_once), cmocka_unit_test(never_devices),
        cmocka_unit_test(count_stops_early), cmocka_unit_test(table_full),
        cmocka_unit_test(init_rejects),     cmocka_unit_test(bad_sources),
        cmocka_unit_test(off_link_sources), cmocka_unit_test(per_source_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
