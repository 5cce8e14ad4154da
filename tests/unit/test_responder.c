/*
 * test_responder.c - the responder core with a fake clock: what is
 * answered, what is ignored and why, and when replies leave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mcdisc.h"

static const char Q[] = MCD_DEFAULT_QUERY;
#define QLEN (sizeof Q - 1)
static uint8_t reply[MCD_REPLY_MAX];
static size_t reply_len;

static mcd_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    mcd_addr x = {.family = MCD_AF_INET4, .b = {a, b, c, d}};
    return x;
}

static mcd_endpoint client(void)
{
    mcd_endpoint ep = {.addr = v4(198, 18, 0, 2), .port = 40000};
    return ep;
}

static void setup_core(mcd_rcore *rc, uint32_t dmin, uint32_t dmax)
{
    int n = mcd_reply_format(MCD_DEFAULT_NAME, MCD_DEFAULT_PROTO, 443, reply,
                             sizeof reply);
    assert_int_equal(n, 30);
    reply_len = (size_t)n;
    mcd_rcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN,
        .reply = reply, .reply_len = reply_len,
        .group = v4(232, 10, 11, 12),
        .delay_min_ms = dmin, .delay_max_ms = dmax,
    };
    assert_int_equal(mcd_rcore_init(rc, &cfg), 0);
}

static enum mcd_ignore feed(mcd_rcore *rc, mcd_time now, const void *p,
                            size_t len, const mcd_addr *dst)
{
    mcd_endpoint src = client();
    return mcd_rcore_input(rc, now, p, len, len, &src, dst, 3, 0);
}

static void answers_query_at_once(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 0, 0);
    assert_int_equal(mcd_rcore_next(&rc), MCD_TIME_NEVER);
    assert_int_equal(feed(&rc, 1000, Q, QLEN, &g), MCD_IGNORE_NONE);
    assert_int_equal(mcd_rcore_next(&rc), 1000);
    assert_true(mcd_rcore_poll(&rc, 1000, &tx));
    assert_int_equal(tx.len, 30);
    assert_memory_equal(tx.data, "ESP32-C3 Smart Light https 443", 30);
    assert_int_equal(tx.to.port, 40000);
    assert_memory_equal(tx.to.addr.b, ((uint8_t[]){198, 18, 0, 2}), 4);
    assert_int_equal(tx.ifindex, 3);
    assert_false(mcd_rcore_poll(&rc, 1000, &tx));
    assert_int_equal(rc.answered, 1);
}

static void near_misses_ignored(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    static uint8_t big[65536];
    char buf[64];
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 0, 0);
    memcpy(buf, Q, QLEN);
    buf[QLEN] = '\0';
    assert_int_equal(feed(&rc, 0, buf, QLEN + 1, &g), MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    memcpy(buf + QLEN, "junk", 4);
    assert_int_equal(feed(&rc, 0, buf, QLEN + 4, &g), MCD_IGNORE_TRAILING);
    assert_int_equal(feed(&rc, 0, Q, 7, &g), MCD_IGNORE_PREFIX);
    assert_int_equal(feed(&rc, 0, "", 0, &g), MCD_IGNORE_EMPTY);
    memcpy(big, Q, QLEN);
    assert_int_equal(feed(&rc, 0, big, sizeof big, &g), MCD_IGNORE_OVERSIZE);
    assert_int_equal(feed(&rc, 0, "hello", 5, &g), MCD_IGNORE_OTHER);
    assert_false(mcd_rcore_poll(&rc, 0, &tx));
    assert_int_equal(rc.ignored[MCD_IGNORE_TRAILING], 1);
    assert_int_equal(rc.ignored[MCD_IGNORE_OVERSIZE], 1);
}

static void truncated_buffer_never_read(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = client();

    (void)state;
    setup_core(&rc, 0, 0);
    /* The caller saw 40000 bytes but kept 33: the core must not match the
     * cut copy against the query. */
    assert_int_equal(mcd_rcore_input(&rc, 0, (const uint8_t *)Q, QLEN, 40000,
                                     &src, &g, 1, 0),
                     MCD_IGNORE_OVERSIZE);
}

static void destination_and_source_checked(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12), uni = v4(198, 18, 0, 3);
    mcd_addr other_group = v4(239, 255, 0, 1);
    mcd_endpoint bad = {.addr = v4(224, 0, 0, 1), .port = 3333};
    mcd_endpoint zero_port = {.addr = v4(198, 18, 0, 2), .port = 0};
    mcd_endpoint unspec = {.addr = v4(0, 0, 0, 0), .port = 3333};

    (void)state;
    setup_core(&rc, 0, 0);
    assert_int_equal(feed(&rc, 0, Q, QLEN, &uni), MCD_IGNORE_NOT_GROUP);
    assert_int_equal(feed(&rc, 0, Q, QLEN, &other_group), MCD_IGNORE_NOT_GROUP);
    assert_int_equal(feed(&rc, 0, Q, QLEN, NULL), MCD_IGNORE_NONE);
    assert_int_equal(mcd_rcore_input(&rc, 0, (const uint8_t *)Q, QLEN, QLEN,
                                     &bad, &g, 1, 0), MCD_IGNORE_BAD_SOURCE);
    assert_int_equal(mcd_rcore_input(&rc, 0, (const uint8_t *)Q, QLEN, QLEN,
                                     &zero_port, &g, 1, 0),
                     MCD_IGNORE_BAD_SOURCE);
    assert_int_equal(mcd_rcore_input(&rc, 0, (const uint8_t *)Q, QLEN, QLEN,
                                     &unspec, &g, 1, 0),
                     MCD_IGNORE_BAD_SOURCE);

    rc.cfg.allow_unicast = true;
    assert_int_equal(feed(&rc, 0, Q, QLEN, &uni), MCD_IGNORE_NONE);
}

static void delayed_replies_in_order(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint a = client(), b = client();
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 20, 120);
    b.port = 40001;
    /* rnd 100 -> 20 + 100 % 101 = 120 ms; rnd 5 -> 25 ms. */
    assert_int_equal(mcd_rcore_input(&rc, 0, (const uint8_t *)Q, QLEN, QLEN,
                                     &a, &g, 1, 100), MCD_IGNORE_NONE);
    assert_int_equal(mcd_rcore_input(&rc, 0, (const uint8_t *)Q, QLEN, QLEN,
                                     &b, &g, 1, 5), MCD_IGNORE_NONE);
    assert_int_equal(mcd_rcore_next(&rc), 25000);
    assert_false(mcd_rcore_poll(&rc, 24999, &tx));
    assert_true(mcd_rcore_poll(&rc, 25000, &tx));
    assert_int_equal(tx.to.port, 40001);
    assert_int_equal(mcd_rcore_next(&rc), 120000);
    assert_false(mcd_rcore_poll(&rc, 119999, &tx));
    assert_true(mcd_rcore_poll(&rc, 120000, &tx));
    assert_int_equal(tx.to.port, 40000);
    assert_int_equal(mcd_rcore_next(&rc), MCD_TIME_NEVER);
}

static void table_bounded(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 100, 100);
    for (int i = 0; i < MCD_RESP_PENDING; i++)
        assert_int_equal(feed(&rc, 0, Q, QLEN, &g), MCD_IGNORE_NONE);
    assert_int_equal(feed(&rc, 0, Q, QLEN, &g), MCD_IGNORE_FULL);
    assert_true(mcd_rcore_poll(&rc, 100000, &tx));
    assert_int_equal(feed(&rc, 0, Q, QLEN, &g), MCD_IGNORE_NONE);
}

static void init_rejects(void **state)
{
    mcd_rcore rc;
    mcd_rcore_config cfg = {
        .query = (const uint8_t *)Q, .query_len = QLEN,
        .reply = (const uint8_t *)"x y 1", .reply_len = 5,
        .group = v4(198, 18, 0, 1),
    };

    (void)state;
    assert_int_equal(mcd_rcore_init(&rc, &cfg), MCD_E_NOTMCAST);
    cfg.group = v4(239, 255, 0, 1);
    cfg.query_len = 0;
    assert_int_equal(mcd_rcore_init(&rc, &cfg), MCD_E_BADTEXT);
    cfg.query_len = QLEN;
    cfg.delay_min_ms = 10;
    assert_int_equal(mcd_rcore_init(&rc, &cfg), MCD_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_query_at_once),
        cmocka_unit_test(near_misses_ignored),
        cmocka_unit_test(truncated_buffer_never_read),
        cmocka_unit_test(destination_and_source_checked),
        cmocka_unit_test(delayed_replies_in_order),
        cmocka_unit_test(table_bounded),
        cmocka_unit_test(init_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
