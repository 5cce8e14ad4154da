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

#include "core_private.h"
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

/* The configuration of the last setup_core(); a test changes it and
 * calls restart() (the core's state is private: configured, not poked). */
static mcd_rcore_config tcfg;

static void restart(mcd_rcore *rc)
{
    assert_int_equal(mcd_rcore_init(rc, &tcfg, 0), 0);
}

static void setup_core(mcd_rcore *rc, uint32_t dmin, uint32_t dmax)
{
    int n = mcd_reply_format(MCD_DEFAULT_NAME, MCD_DEFAULT_PROTO, 443, reply,
                             sizeof reply);
    assert_int_equal(n, 30);
    reply_len = (size_t)n;
    tcfg = (mcd_rcore_config){
        .query = (const uint8_t *)Q, .query_len = QLEN,
        .reply = reply, .reply_len = reply_len,
        .group = v4(232, 10, 11, 12),
        .delay_min_ms = dmin, .delay_max_ms = dmax,
    };
    restart(rc);
}

/* One datagram with everything spelled out. */
static enum mcd_ignore input(mcd_rcore *rc, mcd_time now, const void *p,
                             size_t cap, size_t len, const mcd_endpoint *src,
                             const mcd_addr *dst, uint32_t rnd)
{
    mcd_rcore_rx rx = {.data = p, .data_cap = cap, .len = len, .src = src,
                       .dst = dst, .ifindex = 3, .src_on_link = true,
                       .rnd = rnd};
    return mcd_rcore_input(rc, now, &rx);
}

static enum mcd_ignore feed(mcd_rcore *rc, mcd_time now, const void *p,
                            size_t len, const mcd_addr *dst)
{
    mcd_endpoint src = client();
    return input(rc, now, p, len, len, &src, dst, 0);
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
    /* Counted once the socket layer says what became of it. */
    assert_int_equal(mcd_rcore_answered(&rc), 0);
    mcd_rcore_done(&rc, MCD_IGNORE_NONE);
    assert_int_equal(mcd_rcore_answered(&rc), 1);
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
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_TRAILING), 1);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_OVERSIZE), 1);
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
    assert_int_equal(input(&rc, 0, Q, QLEN, 40000, &src, &g, 0),
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
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &bad, &g, 0),
                     MCD_IGNORE_BAD_SOURCE);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &zero_port, &g, 0),
                     MCD_IGNORE_BAD_SOURCE);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &unspec, &g, 0),
                     MCD_IGNORE_BAD_SOURCE);

    tcfg.allow_unicast = true;
    restart(&rc);
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
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &a, &g, 100),
                     MCD_IGNORE_NONE);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &b, &g, 5),
                     MCD_IGNORE_NONE);
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
        .reply = (const uint8_t *)"x y 12", .reply_len = 5,
        .group = v4(198, 18, 0, 1),
    };

    (void)state;
    assert_int_equal(mcd_rcore_init(&rc, &cfg, 0), MCD_E_NOTMCAST);
    cfg.group = v4(239, 255, 0, 1);
    cfg.query_len = 0;
    assert_int_equal(mcd_rcore_init(&rc, &cfg, 0), MCD_E_BADTEXT);
    cfg.query_len = QLEN;
    cfg.delay_min_ms = 10;
    assert_int_equal(mcd_rcore_init(&rc, &cfg, 0), MCD_E_INVAL);
    cfg.delay_min_ms = 0;
    /* A reply longer than the query + 1 is an amplifier: refused... */
    cfg.query_len = 4;
    cfg.reply_len = 6;
    assert_int_equal(mcd_rcore_init(&rc, &cfg, 0), MCD_E_AMPLIFY);
    /* ...unless allowed; query + 1 byte is the limit. */
    cfg.reply_len = 5;
    assert_int_equal(mcd_rcore_init(&rc, &cfg, 0), 0);
    cfg.reply_len = 6;
    cfg.allow_amplification = true;
    assert_int_equal(mcd_rcore_init(&rc, &cfg, 0), 0);
}

static void off_link_ignored(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = client();
    mcd_rcore_rx rx = {.data = (const uint8_t *)Q, .data_cap = QLEN,
                       .len = QLEN, .src = &src, .dst = &g, .ifindex = 3,
                       .src_on_link = false};

    (void)state;
    setup_core(&rc, 0, 0);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_OFF_LINK);
    tcfg.allow_offlink = true;
    restart(&rc);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
}

static void per_querier_interval(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint a = client(), b = client();
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 0, 0);
    tcfg.querier_interval_ms = 200;
    restart(&rc);
    b.addr.b[3] = 9;
    assert_int_equal(input(&rc, 1000000, Q, QLEN, QLEN, &a, &g, 0),
                     MCD_IGNORE_NONE);
    /* The same address, another port: still the same querier. */
    a.port++;
    assert_int_equal(input(&rc, 1100000, Q, QLEN, QLEN, &a, &g, 0),
                     MCD_IGNORE_RATE_QUERIER);
    /* Another querier is not held back. */
    assert_int_equal(input(&rc, 1100000, Q, QLEN, QLEN, &b, &g, 0),
                     MCD_IGNORE_NONE);
    assert_int_equal(input(&rc, 1200000, Q, QLEN, QLEN, &a, &g, 0),
                     MCD_IGNORE_NONE);
    while (mcd_rcore_poll(&rc, 2000000, &tx))
        mcd_rcore_done(&rc, MCD_IGNORE_NONE);
    assert_int_equal(mcd_rcore_answered(&rc), 3);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_RATE_QUERIER), 1);
}

/* A reply taken but not sent is never counted as answered: a failed
 * send and a reply held back are counted as such. */
static void only_sent_replies_counted(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint e = client();
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 0, 0);
    for (uint8_t i = 1; i <= 3; i++) {
        e.addr.b[3] = i;
        assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &e, &g, 0),
                         MCD_IGNORE_NONE);
    }
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    mcd_rcore_done(&rc, MCD_IGNORE_SEND_FAILED);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    mcd_rcore_done(&rc, MCD_IGNORE_UNRESOLVED);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    mcd_rcore_done(&rc, MCD_IGNORE_NONE);
    mcd_rcore_done(&rc, MCD_IGNORE_COUNT_); /* out of range: ignored */
    assert_int_equal(mcd_rcore_answered(&rc), 1);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_SEND_FAILED), 1);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_UNRESOLVED), 1);
    assert_string_equal(mcd_ignore_name(MCD_IGNORE_SEND_FAILED), "send-failed");
    assert_string_equal(mcd_ignore_name(MCD_IGNORE_UNRESOLVED), "unresolved");
}

/* One spoofed source, as the socket layer describes it. */
static enum mcd_ignore from_src(mcd_rcore *rc, mcd_addr a, bool local,
                                uint8_t bits)
{
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = {.addr = a, .port = 3333};
    mcd_rcore_rx rx = {.data = (const uint8_t *)Q, .data_cap = QLEN,
                       .len = QLEN, .src = &src, .dst = &g, .ifindex = 3,
                       .src_on_link = true, .src_is_local = local,
                       .src_prefix_len = bits};
    return mcd_rcore_input(rc, 0, &rx);
}

static mcd_addr v6(uint8_t last, uint8_t b8)
{
    mcd_addr x = {.family = MCD_AF_INET6,
                  .b = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, b8, 0, 0, 0, 0,
                        0, 0, last}};
    return x;
}

/* Our own address, a prefix's subnet-router anycast (RFC 4291 2.6.1) and
 * an IPv4 directed broadcast are refused as sources. */
static void local_and_subnet_sources_refused(void **state)
{
    mcd_rcore rc;
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 0, 0);
    assert_int_equal(from_src(&rc, v6(1, 0), true, 64),
                     MCD_IGNORE_LOCAL_SOURCE);
    assert_int_equal(from_src(&rc, v6(0, 0), false, 64),
                     MCD_IGNORE_LOCAL_SOURCE);
    assert_int_equal(from_src(&rc, v4(198, 18, 255, 255), false, 16),
                     MCD_IGNORE_LOCAL_SOURCE);
    assert_int_equal(from_src(&rc, v4(198, 18, 0, 0), false, 16),
                     MCD_IGNORE_LOCAL_SOURCE);
    assert_int_equal(from_src(&rc, v4(198, 18, 7, 255), false, 24),
                     MCD_IGNORE_LOCAL_SOURCE);
    assert_int_equal(from_src(&rc, v4(198, 18, 0, 1), true, 16),
                     MCD_IGNORE_LOCAL_SOURCE);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_LOCAL_SOURCE), 6);
    /* Ordinary hosts of the same prefixes are answered... */
    assert_int_equal(from_src(&rc, v6(2, 0), false, 64), MCD_IGNORE_NONE);
    assert_int_equal(from_src(&rc, v6(0, 1), false, 64), MCD_IGNORE_NONE);
    assert_int_equal(from_src(&rc, v4(198, 18, 7, 255), false, 16),
                     MCD_IGNORE_NONE);
    /* ...and so are the two ends of a /31 (RFC 3021) or /127 (RFC 6164),
     * and a source whose prefix is unknown. */
    assert_int_equal(from_src(&rc, v4(198, 18, 0, 4), false, 31),
                     MCD_IGNORE_NONE);
    assert_int_equal(from_src(&rc, v4(198, 18, 0, 5), false, 31),
                     MCD_IGNORE_NONE);
    assert_int_equal(from_src(&rc, v6(0, 0), false, 127), MCD_IGNORE_NONE);
    assert_int_equal(from_src(&rc, v4(198, 18, 0, 0), false, 0),
                     MCD_IGNORE_NONE);
    int n = 0;
    while (mcd_rcore_poll(&rc, 0, &tx))
        n++;
    assert_int_equal(n, 7);
}

static void querier_table_bounded(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint e = client();
    mcd_rcore_tx tx;

    (void)state;
    setup_core(&rc, 0, 0);
    tcfg.querier_interval_ms = 1000;
    restart(&rc);
    /* Four times more queriers than the table holds: the oldest are
     * forgotten, nothing overflows, each new one is answered. */
    for (int i = 0; i < 4 * MCD_RESP_QUERIERS; i++) {
        e.addr.b[2] = (uint8_t)(i / 250);
        e.addr.b[3] = (uint8_t)(1 + i % 250);
        assert_int_equal(input(&rc, (mcd_time)i, Q, QLEN, QLEN, &e, &g, 0),
                         MCD_IGNORE_NONE);
        while (mcd_rcore_poll(&rc, (mcd_time)i, &tx))
            ;
    }
    /* The latest is remembered. */
    assert_int_equal(input(&rc, 4 * MCD_RESP_QUERIERS, Q, QLEN, QLEN, &e, &g, 0),
                     MCD_IGNORE_RATE_QUERIER);
}

static void global_token_bucket(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint e = client();
    mcd_rcore_tx tx;
    int ok = 0;

    (void)state;
    setup_core(&rc, 0, 0);
    tcfg.rate_per_s = 100; /* one reply per 10 ms */
    tcfg.rate_burst = 5;
    restart(&rc); /* the bucket starts full: 5 replies */
    /* 50 queries at one instant: the burst of 5 goes out. */
    for (int i = 0; i < 50; i++) {
        e.addr.b[3] = (uint8_t)(i + 1);
        ok += input(&rc, 0, Q, QLEN, QLEN, &e, &g, 0) == MCD_IGNORE_NONE;
        while (mcd_rcore_poll(&rc, 0, &tx))
            ;
    }
    assert_int_equal(ok, 5);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_RATE_GLOBAL), 45);
    /* One second later, 100 more have accrued but the burst caps it. */
    ok = 0;
    for (int i = 0; i < 50; i++) {
        e.addr.b[3] = (uint8_t)(100 + i);
        ok += input(&rc, 1000000, Q, QLEN, QLEN, &e, &g, 0) == MCD_IGNORE_NONE;
        while (mcd_rcore_poll(&rc, 1000000, &tx))
            ;
    }
    assert_int_equal(ok, 5);
    /* 25 ms later: two more replies' worth. */
    ok = 0;
    for (int i = 0; i < 10; i++) {
        e.addr.b[3] = (uint8_t)(200 + i);
        ok += input(&rc, 1025000, Q, QLEN, QLEN, &e, &g, 0) == MCD_IGNORE_NONE;
    }
    assert_int_equal(ok, 2);
}

static void huge_delay_window(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);

    (void)state;
    setup_core(&rc, 0, 0);
    /* A window of the whole uint32 range must not divide by zero. */
    tcfg.delay_max_ms = UINT32_MAX;
    restart(&rc);
    assert_int_equal(feed(&rc, 0, Q, QLEN, &g), MCD_IGNORE_NONE);
    assert_true(mcd_rcore_next(&rc) <= (mcd_time)UINT32_MAX * 1000u);
}

/* The wait every socket layer polls with. A reply due in 49 days is
 * 4.3e9 ms: cast to int as lwIP's copy did, it turned negative (poll
 * without a timeout, or an error); it is capped instead. */
static void timeout_rounded_and_capped(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_time next;

    (void)state;
    assert_int_equal(mcd_timeout_ms(MCD_TIME_NEVER, 5), -1);
    assert_int_equal(mcd_timeout_ms(5, 5), 0);
    assert_int_equal(mcd_timeout_ms(4, 5), 0);
    assert_int_equal(mcd_timeout_ms(1001, 1000), 1);    /* rounded up */
    assert_int_equal(mcd_timeout_ms(2000, 1000), 1);
    assert_int_equal(mcd_timeout_ms(2001, 1000), 2);
    assert_int_equal(mcd_timeout_ms(60000000, 0), MCD_TIMEOUT_MAX_MS);
    assert_int_equal(mcd_timeout_ms(60000001, 0), MCD_TIMEOUT_MAX_MS);
    assert_int_equal(mcd_timeout_ms(MCD_TIME_NEVER - 1, 0),
                     MCD_TIMEOUT_MAX_MS);
    /* The largest delay a core can schedule. */
    tcfg.delay_min_ms = UINT32_MAX;
    tcfg.delay_max_ms = UINT32_MAX;
    restart(&rc);
    assert_int_equal(feed(&rc, 7, Q, QLEN, &g), MCD_IGNORE_NONE);
    next = mcd_rcore_next(&rc);
    assert_true(next - 7 > (mcd_time)INT32_MAX * 1000u);
    assert_int_equal(mcd_timeout_ms(next, 7), MCD_TIMEOUT_MAX_MS);
}

/* A datagram that reached us only through another program's membership
 * is the core's to count, whatever it holds. */
static void not_joined_counted_by_core(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = client();
    mcd_rcore_tx tx;
    mcd_rcore_rx rx = {.data = (const uint8_t *)Q, .data_cap = QLEN,
                       .len = QLEN, .src = &src, .dst = &g, .ifindex = 3,
                       .src_on_link = true, .not_joined = true};

    (void)state;
    setup_core(&rc, 0, 0);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NOT_GROUP);
    rx.len = 0;
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NOT_GROUP);
    assert_false(mcd_rcore_poll(&rc, 0, &tx));
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_NOT_GROUP), 2);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_EMPTY), 0);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_NONE), 0);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_COUNT_), 0);
    rx.not_joined = false;
    rx.len = QLEN;
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
}

/* Every socket layer starts from the same options and sets its core up
 * through the same call. */
static void options_set_up_the_core(void **state)
{
    mcd_responder_opts o;
    mcd_rcore rc;
    static uint8_t qbuf[MCD_QUERY_MAX], rbuf[MCD_REPLY_MAX];
    mcd_addr g, uni = v4(198, 18, 0, 1);
    mcd_rcore_tx tx;

    (void)state;
    mcd_responder_opts_init(&o);
    assert_string_equal(o.group, MCD_DEFAULT_GROUP);
    assert_int_equal(o.port, MCD_DEFAULT_PORT);
    assert_string_equal(o.query, MCD_DEFAULT_QUERY);
    assert_int_equal(o.delay_max_ms, MCD_DEFAULT_DELAY_MAX_MS);
    assert_int_equal(o.querier_interval_ms, MCD_DEFAULT_QUERIER_INTERVAL_MS);
    assert_int_equal(o.rate_per_s, MCD_DEFAULT_RATE_PER_S);
    assert_int_equal(o.rate_burst, MCD_DEFAULT_RATE_BURST);
    assert_false(o.allow_unicast || o.allow_amplification || o.allow_offlink);
    assert_int_equal(mcd_addr_parse(o.group, &g), 0);
    assert_int_equal(mcd_responder_setup(&rc, &o, &uni, qbuf, rbuf, 0),
                     MCD_E_NOTMCAST);
    o.delay_max_ms = 0;
    g.scope_id = 4; /* a zone is the layer's: the core ignores it */
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0), 0);
    g.scope_id = 0;
    assert_int_equal(feed(&rc, 0, Q, QLEN, &g), MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    assert_int_equal(tx.len, 30);
    assert_memory_equal(tx.data, "ESP32-C3 Smart Light https 443", 30);
    o.name = " x"; /* would not parse back */
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0),
                     MCD_E_BADNAME);
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
        cmocka_unit_test(off_link_ignored),
        cmocka_unit_test(per_querier_interval),
        cmocka_unit_test(querier_table_bounded),
        cmocka_unit_test(only_sent_replies_counted),
        cmocka_unit_test(local_and_subnet_sources_refused),
        cmocka_unit_test(global_token_bucket),
        cmocka_unit_test(huge_delay_window),
        cmocka_unit_test(timeout_rounded_and_capped),
        cmocka_unit_test(not_joined_counted_by_core),
        cmocka_unit_test(options_set_up_the_core),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
