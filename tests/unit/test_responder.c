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

#if MCD_CONFIG_ALLOW_FROM
/* --allow-from: off-link sources inside a trusted prefix are answered,
 * every other rule still applies to them, and nothing else gets in. */
static void allow_from_prefixes(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12), uni = v4(10, 1, 0, 9);
    mcd_endpoint src = {.addr = v4(10, 1, 2, 3), .port = 40000};
    mcd_rcore_rx rx = {.data = (const uint8_t *)Q, .data_cap = QLEN,
                       .len = QLEN, .src = &src, .dst = &g, .ifindex = 3,
                       .src_on_link = false};
    mcd_subnet p;

    (void)state;
    setup_core(&rc, 0, 0);
    assert_int_equal(mcd_subnet_parse("10.1.0.0/16", 11, &p), 0);
    tcfg.allow_from[tcfg.n_allow_from++] = p;
    tcfg.querier_interval_ms = 200;
    restart(&rc);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
    /* Outside the prefix, by one bit. */
    src.addr = v4(10, 0, 255, 255);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_OFF_LINK);
    /* Inside, but the per-querier interval and the group rule hold. */
    src.addr = v4(10, 1, 2, 3);
    assert_int_equal(mcd_rcore_input(&rc, 1000, &rx),
                     MCD_IGNORE_RATE_QUERIER);
    src.addr = v4(10, 1, 2, 4);
    rx.dst = &uni;
    assert_int_equal(mcd_rcore_input(&rc, 1000, &rx), MCD_IGNORE_NOT_GROUP);
    /* A spoofed broadcast or group source inside it: still refused. */
    rx.dst = &g;
    src.addr = v4(10, 1, 255, 255);
    rx.src_prefix_len = 16;
    assert_int_equal(mcd_rcore_input(&rc, 1000, &rx),
                     MCD_IGNORE_LOCAL_SOURCE);
    rx.src_prefix_len = 0;
    /* An IPv6 source whose first bytes spell the IPv4 prefix. */
    src.addr = (mcd_addr){.family = MCD_AF_INET6, .b = {10, 1, 2, 3}};
    assert_int_equal(mcd_rcore_input(&rc, 1000, &rx), MCD_IGNORE_OFF_LINK);
    /* The table's size is checked, not trusted. */
    tcfg.n_allow_from = MCD_ALLOW_FROM_MAX + 1;
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_PREFIXES);
}

/* The opts' strings reach the core through setup, checked there. */
static void allow_from_opts(void **state)
{
    mcd_responder_opts o;
    mcd_rcore rc;
    static uint8_t qbuf[MCD_QUERY_MAX], rbuf[MCD_REPLY_MAX];
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = {.addr = v4(10, 9, 0, 1), .port = 40000};
    mcd_rcore_rx rx = {.data = (const uint8_t *)Q, .data_cap = QLEN,
                       .len = QLEN, .src = &src, .dst = &g, .ifindex = 3};
    const char *ok[] = {"10.1.0.0/16,10.9.0.0/16", "2001:db8::/32"};
    const char *zero[] = {"0.0.0.0/0"}, *host[] = {"10.9.0.1/16"};
    const char *many[] = {"10.1.0.0/16,10.2.0.0/16", "10.3.0.0/16",
                          "10.4.0.0/16,10.5.0.0/16"};

    (void)state;
    mcd_responder_opts_init(&o);
    o.delay_max_ms = 0;
    assert_int_equal(o.n_allow_from, 0);
    o.allow_from = ok;
    o.n_allow_from = 2;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0), 0);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
    o.n_allow_from = 1;
    o.allow_from = zero;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0),
                     MCD_E_BADPREFIX);
    o.allow_from = host;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0),
                     MCD_E_PREFIXHOST);
    o.allow_from = many;
    o.n_allow_from = 3;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0),
                     MCD_E_PREFIXES);
    o.allow_from = NULL;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0),
                     MCD_E_INVAL);
}

#else
/* A core built for its own link only (MCD_CONFIG_ALLOW_FROM 0, a device's
 * CONFIG_MCDISC_ROUTED=n): on-link queriers answered, prefixes refused at
 * setup (from the options and in a configuration alike), and a routed
 * source inside the prefix that was asked for is still off-link. */
static void allow_from_not_built(void **state)
{
    mcd_responder_opts o;
    mcd_rcore rc;
    static uint8_t qbuf[MCD_QUERY_MAX], rbuf[MCD_REPLY_MAX];
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = {.addr = v4(10, 9, 0, 1), .port = 40000};
    mcd_rcore_rx rx = {.data = (const uint8_t *)Q, .data_cap = QLEN,
                       .len = QLEN, .src = &src, .dst = &g, .ifindex = 3,
                       .src_on_link = true};
    const char *ok[] = {"10.9.0.0/16"};
    mcd_rcore_tx tx;

    (void)state;
    mcd_responder_opts_init(&o);
    o.delay_max_ms = 0;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0), 0);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    assert_memory_equal(tx.data, "ESP32-C3 Smart Light https 443", 30);
    /* The same source, routed: off-link. */
    rx.src_on_link = false;
    assert_int_equal(mcd_rcore_input(&rc, 100000, &rx), MCD_IGNORE_OFF_LINK);
    /* Prefixes, even valid ones, are refused rather than ignored: a
     * device must not start believing it trusts a subnet it does not. */
    o.allow_from = ok;
    o.n_allow_from = 1;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, qbuf, rbuf, 0),
                     MCD_E_UNSUPPORTED);
    setup_core(&rc, 0, 0);
    tcfg.n_allow_from = 1;
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_UNSUPPORTED);
    /* allow_offlink is another switch, and stays. */
    tcfg.n_allow_from = 0;
    tcfg.allow_offlink = true;
    restart(&rc);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
}
#endif

/* Setup without a query buffer (the lwIP port's): the core reads the
 * caller's query text itself, checked as a copied one is. */
static void setup_borrows_query(void **state)
{
    static const char text[] = "mcdisc custom query text, long enough";
    static char toolong[MCD_QUERY_MAX + 2];
    static uint8_t rbuf[MCD_REPLY_MAX];
    mcd_responder_opts o;
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = {.addr = v4(10, 9, 0, 1), .port = 40000};
    mcd_rcore_rx rx = {.data = (const uint8_t *)text,
                       .data_cap = sizeof text - 1, .len = sizeof text - 1,
                       .src = &src, .dst = &g, .src_on_link = true};

    (void)state;
    mcd_responder_opts_init(&o);
    o.query = text;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, NULL, rbuf, 0), 0);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
    rx.data = (const uint8_t *)Q; /* the default query is not this one */
    rx.data_cap = rx.len = QLEN;
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_OTHER);
    o.query = NULL; /* the default, borrowed from the library */
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, NULL, rbuf, 0), 0);
    assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
    memset(toolong, 'q', sizeof toolong - 1);
    o.query = toolong;
    assert_int_equal(mcd_responder_setup(&rc, &o, &g, NULL, rbuf, 0),
                     MCD_E_TOOLONG);
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

/* ------------------------------------------------------------------------ */
/* The extension (docs/PROTOCOL.md, "Responder rules")                       */

/* The extension's cases; a core built without it (MCD_CONFIG_EXT 0, the
 * unit_responder_chapter_only test) runs the chapter's cases above and
 * chapter_only_build below. */
#if MCD_CONFIG_EXT
static const uint8_t ID[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
static uint8_t tpl[MCD_EXT_MAX];
static uint64_t seed = 0x2545f4914f6cdd1du;

static uint64_t rnd64(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* The chapter's core with the extension: id ID and these TXT pairs. */
static void setup_ext(mcd_rcore *rc, const char *const *txt, size_t ntxt)
{
    size_t base;
    int n;

    setup_core(rc, 0, 0);
    n = mcd_ext_reply_template(reply, reply_len, ID, txt, ntxt, tpl,
                               sizeof tpl, &base);
    assert_true(n > 0);
    tcfg.ext_enabled = true;
    tcfg.ext_reply = tpl;
    tcfg.ext_reply_len = (size_t)n;
    tcfg.ext_base_len = base;
    memcpy(tcfg.id, ID, 8);
    restart(rc);
}

/* An extended query: nonce from `tag`, an optional window, ids known. */
static size_t ext_query(uint8_t *out, uint8_t tag, bool window,
                        uint16_t window_ms, const uint8_t (*known)[8],
                        size_t nknown, size_t pad)
{
    static uint8_t filt[512];
    mcd_ext_query q = {.has_window = window, .window_ms = window_ms};
    int n;

    memset(q.nonce, tag, 8);
    if (known != NULL) {
        q.has_known = true;
        q.salt = (uint16_t)(0x100 + tag);
        q.k = MCD_EXT_KNOWN_K;
        q.filter_len = mcd_ext_known_size(nknown, sizeof filt);
        memset(filt, 0, q.filter_len);
        for (size_t i = 0; i < nknown; i++)
            mcd_ext_known_add(filt, q.filter_len, q.k, q.nonce, q.salt,
                              known[i]);
        q.filter = filt;
    }
    n = mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, pad, out,
                             MCD_EXT_MAX);
    assert_true(n > 0);
    return (size_t)n;
}

/* Take the reply due at `now` and decode it. */
static size_t take_ext(mcd_rcore *rc, mcd_time now, mcd_ext_reply *d,
                       uint8_t *bytes)
{
    mcd_rcore_tx tx;
    size_t n;

    assert_true(mcd_rcore_poll(rc, now, &tx));
    assert_true(tx.ext);
    n = mcd_rcore_tx_write(&tx, bytes, MCD_EXT_MAX);
    assert_int_equal(n, tx.len);
    assert_int_equal(mcd_ext_reply_decode(bytes, n, d), 0);
    return n;
}

static void ext_answered_with_nonce_and_id(void **state)
{
    static const char *const txt[] = {"fw=1.4.2", "model=C3-Lamp"};
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX];
    size_t qn = ext_query(q, 0xa5, false, 0, NULL, 0, MCD_EXT_QUERY_PAD);
    mcd_endpoint src = client();
    mcd_ext_reply d;
    mcd_rcore_tx tx;

    (void)state;
    setup_ext(&rc, txt, 2);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_NONE);
    assert_int_equal(take_ext(&rc, 0, &d, out), 81);
    assert_memory_equal(d.nonce, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8);
    assert_memory_equal(d.id, ID, 8);
    assert_int_equal(d.flags, 0);
    assert_string_equal(d.base.name, MCD_DEFAULT_NAME);
    /* The template itself is left as it was: nonce zero. */
    assert_memory_equal(tpl + 31 + 7, "\0\0\0\0\0\0\0\0", 8);
    /* A plain query is still the chapter's exchange, byte for byte (from
     * another port: this one's plain copies are for chapter devices). */
    src.port = 40001;
    assert_int_equal(input(&rc, 100000, Q, QLEN, QLEN, &src, &g, 0),
                     MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 100000, &tx));
    assert_false(tx.ext);
    assert_int_equal(mcd_rcore_tx_write(&tx, out, sizeof out), 30);
    assert_memory_equal(out, "ESP32-C3 Smart Light https 443", 30);
    assert_int_equal(mcd_rcore_tx_write(&tx, out, 29), 0);
}

/* The nonce is the client's business: whatever it is, it is echoed, and
 * the device keeps no state about it. */
static void spoofed_nonce_irrelevant(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX];
    mcd_ext_reply d;

    (void)state;
    setup_ext(&rc, NULL, 0);
    for (unsigned i = 0; i < 20; i++) {
        mcd_endpoint src = {.addr = v4(198, 18, 0, (uint8_t)(10 + i)),
                            .port = 40000};
        size_t qn = ext_query(q, (uint8_t)(i * 37), false, 0, NULL, 0, 64);

        assert_int_equal(input(&rc, 0, q, qn, qn, &src, &g, 0),
                         MCD_IGNORE_NONE);
        assert_int_equal(take_ext(&rc, 0, &d, out), 54);
        for (int b = 0; b < 8; b++)
            assert_int_equal(d.nonce[b], (uint8_t)(i * 37));
    }
}

static void known_stays_silent(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX], others[200][8];
    mcd_ext_query hostile = {.has_known = true, .k = 16, .filter_len = 64};
    static uint8_t ones[64];
    mcd_ext_reply d;
    size_t qn;
    int n;

    (void)state;
    setup_ext(&rc, NULL, 0);
    qn = ext_query(q, 1, false, 0, &ID, 1, 128);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_KNOWN);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_KNOWN), 1);
    /* k = 16 and every bit set: everyone is "known", silence (a client can
     * always silence devices towards itself; it gains no traffic). */
    memset(ones, 0xff, sizeof ones);
    hostile.filter = ones;
    n = mcd_ext_query_encode((const uint8_t *)Q, QLEN, &hostile, 128, q,
                             sizeof q);
    assert_true(n > 0);
    assert_int_equal(feed(&rc, 0, q, (size_t)n, &g), MCD_IGNORE_KNOWN);
    /* 200 other ids: answered unless a false positive (none for this
     * seed at 8 bits per id); the next salt answers anyway. */
    for (size_t i = 0; i < 200; i++)
        for (int b = 0; b < 8; b++)
            others[i][b] = (uint8_t)rnd64();
    qn = ext_query(q, 2, false, 0, (const uint8_t (*)[8])others, 200, 128);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_NONE);
    take_ext(&rc, 0, &d, out);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_KNOWN), 2);
}

static void window_clamped(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX];
    mcd_rcore_tx tx;
    static const uint32_t rnds[] = {0, 1, 80000, 80001, 999999, 1000000,
                                    1000001, 0xffffffffu, 0x7fffffffu};

    (void)state;
    setup_ext(&rc, NULL, 0);
    for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
        mcd_endpoint src = client();
        size_t qn = ext_query(q, 3, true, 65535, NULL, 0, 128);
        mcd_time due;

        assert_int_equal(input(&rc, 0, q, qn, qn, &src, &g, rnds[i]),
                         MCD_IGNORE_NONE);
        due = mcd_rcore_next(&rc);
        assert_true(due <= 1000000); /* 1000 ms at most, whatever asked */
        assert_true(mcd_rcore_poll(&rc, due, &tx));
        qn = ext_query(q, 3, true, 80, NULL, 0, 128);
        assert_int_equal(input(&rc, 0, q, qn, qn, &src, &g, rnds[i]),
                         MCD_IGNORE_NONE);
        assert_true(mcd_rcore_next(&rc) <= 80000);
        assert_true(mcd_rcore_poll(&rc, 80000, &tx));
    }
    /* Window 0: at once. No window: the device's own delay (0 here). */
    {
        mcd_endpoint src = client();
        size_t qn = ext_query(q, 3, true, 0, NULL, 0, 128);

        assert_int_equal(input(&rc, 5, q, qn, qn, &src, &g, 12345),
                         MCD_IGNORE_NONE);
        assert_int_equal(mcd_rcore_next(&rc), 5);
    }
}

static void size_rule(void **state)
{
    static const char *const txt[] = {"fw=1.4.2", "model=C3-Lamp"};
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX];
    mcd_ext_reply d;
    size_t qn;

    (void)state;
    setup_ext(&rc, txt, 2);
    qn = ext_query(q, 4, false, 0, NULL, 0, 81); /* exactly the reply */
    assert_int_equal(qn, 81);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_NONE);
    assert_int_equal(take_ext(&rc, 0, &d, out), 81);
    qn = ext_query(q, 4, false, 0, NULL, 0, 80); /* one short: cut, T */
    assert_int_equal(feed(&rc, 100000, q, qn, &g), MCD_IGNORE_NONE);
    assert_int_equal(take_ext(&rc, 100000, &d, out), 54);
    assert_int_equal(d.flags, MCD_EXT_FLAG_TRUNC);
    assert_int_equal(d.tlv_len, 0);
    qn = ext_query(q, 4, false, 0, NULL, 0, 0); /* 49 < 54: nothing */
    assert_int_equal(qn, 49);
    assert_int_equal(feed(&rc, 200000, q, qn, &g), MCD_IGNORE_SHORT_QUERY);
    assert_int_equal(mcd_rcore_next(&rc), MCD_TIME_NEVER);
}

/* A chapter reply one byte longer than the query (the start-up check
 * allows it, for the query + NUL): the 34-byte query is answered, the 33
 * bytes alone are not. */
static void chapter_reply_never_longer(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_rcore_tx tx;
    char buf[64];
    int n;

    (void)state;
    setup_core(&rc, 0, 0);
    n = mcd_reply_format("ESP32-C3 Smart Light 123", MCD_DEFAULT_PROTO, 443,
                         reply, sizeof reply);
    assert_int_equal(n, QLEN + 1);
    tcfg.reply_len = reply_len = (size_t)n;
    restart(&rc);
    assert_int_equal(feed(&rc, 0, Q, QLEN, &g), MCD_IGNORE_SHORT_QUERY);
    assert_false(mcd_rcore_poll(&rc, 0, &tx));
    memcpy(buf, Q, QLEN);
    buf[QLEN] = '\0';
    assert_int_equal(feed(&rc, 1000000, buf, QLEN + 1, &g), MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 1000000, &tx));
    assert_int_equal(tx.len, QLEN + 1);
}

/* No reply is longer than its query, whatever the padding, the TXT and
 * the filter: every query from 34 to 1232 bytes, random contents. */
static void never_longer_than_query(void **state)
{
    static char pairs[MCD_TXT_PAIRS_MAX][80];
    const char *txt[MCD_TXT_PAIRS_MAX];
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX], known[3][8];
    unsigned answered = 0, cut = 0;

    (void)state;
    for (size_t i = 0; i < MCD_TXT_PAIRS_MAX; i++) {
        memset(pairs[i], 'v', sizeof pairs[i] - 1);
        pairs[i][0] = (char)('a' + i);
        pairs[i][1] = '=';
        pairs[i][(size_t)rnd64() % 70 + 5] = '\0';
        txt[i] = pairs[i];
    }
    for (int round = 0; round < 4000; round++) {
        size_t ntxt = (size_t)rnd64() % (MCD_TXT_PAIRS_MAX + 1);
        size_t pad = (size_t)rnd64() % (MCD_EXT_MAX + 1);
        mcd_endpoint src = {.addr = v4(198, 18, 1, (uint8_t)round),
                            .port = (uint16_t)(1024 + round)};
        mcd_rcore_tx tx;
        size_t qn;
        enum mcd_ignore why;

        if (round % 200 == 0)
            setup_ext(&rc, txt, ntxt);
        for (int k = 0; k < 3; k++)
            for (int b = 0; b < 8; b++)
                known[k][b] = (uint8_t)rnd64();
        qn = ext_query(q, (uint8_t)round, rnd64() & 1, (uint16_t)rnd64(),
                       (rnd64() & 1) ? (const uint8_t (*)[8])known : NULL,
                       3, pad);
        why = input(&rc, (mcd_time)round * 2000000, q, qn, qn, &src, &g,
                    (uint32_t)rnd64());
        assert_true(why == MCD_IGNORE_NONE || why == MCD_IGNORE_SHORT_QUERY ||
                    why == MCD_IGNORE_KNOWN);
        while (mcd_rcore_poll(&rc, MCD_TIME_NEVER - 1, &tx)) {
            size_t n = mcd_rcore_tx_write(&tx, out, sizeof out);

            assert_true(n > 0 && n <= qn);
            answered++;
            cut += (out[31 + 6] & MCD_EXT_FLAG_TRUNC) != 0;
        }
    }
    assert_true(answered > 1000 && cut > 100);
}

/* Rule 4: the plain copy of a client that asked in the extension is for
 * chapter devices; another port, or 10 s later, is answered. */
static void ext_client_plain_copy(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = client(), other = client();
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX];
    mcd_ext_reply d;
    mcd_rcore_tx tx;
    size_t qn = ext_query(q, 5, false, 0, &ID, 1, 128);

    (void)state;
    setup_ext(&rc, NULL, 0);
    other.port = 40001;
    /* Known: silent, and its plain copy is silent too. */
    assert_int_equal(input(&rc, 0, q, qn, qn, &src, &g, 0), MCD_IGNORE_KNOWN);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &src, &g, 0),
                     MCD_IGNORE_EXT_CLIENT);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &other, &g, 0),
                     MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    assert_int_equal(input(&rc, 9999999, Q, QLEN, QLEN, &src, &g, 0),
                     MCD_IGNORE_EXT_CLIENT);
    assert_int_equal(input(&rc, 10000000, Q, QLEN, QLEN, &src, &g, 0),
                     MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 10000000, &tx));
    /* Not known: answered in the extension, the plain copy not. */
    qn = ext_query(q, 6, false, 0, NULL, 0, 128);
    assert_int_equal(input(&rc, 20000000, q, qn, qn, &src, &g, 0),
                     MCD_IGNORE_NONE);
    take_ext(&rc, 20000000, &d, out);
    assert_int_equal(input(&rc, 20000000, Q, QLEN, QLEN, &src, &g, 0),
                     MCD_IGNORE_EXT_CLIENT);
    assert_int_equal(mcd_rcore_ignored(&rc, MCD_IGNORE_EXT_CLIENT), 3);
}

/* A flood of silent extended queries (KNOWN holding our id, or too short
 * for any reply) from spoofed on-link sources, four times the querier
 * table, then the real queriers again: neither the plain copy of an
 * extended client (rule 4) nor a querier answered moments ago (its
 * interval) has been forgotten. Nor by a flood of queries held back by
 * the global rate: entries that never led to a reply go first. */
static mcd_endpoint spoofed(int i)
{
    mcd_endpoint e = {.addr = v4(198, 18, (uint8_t)(100 + i / 250),
                                 (uint8_t)(1 + i % 250)),
                      .port = (uint16_t)(1024 + i)};
    return e;
}

static void silent_flood_keeps_queriers(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint ext = client(), plain = client();
    uint8_t q[MCD_EXT_MAX], known[MCD_EXT_MAX], bare[MCD_EXT_MAX];
    size_t qn = ext_query(q, 1, false, 0, NULL, 0, 128);
    size_t kn = ext_query(known, 2, false, 0, &ID, 1, 128);
    size_t bn = ext_query(bare, 3, false, 0, NULL, 0, 0);
    mcd_rcore_tx tx;

    (void)state;
    setup_ext(&rc, NULL, 0);
    tcfg.querier_interval_ms = 1000;
    restart(&rc);
    plain.addr.b[3] = 3;
    assert_int_equal(input(&rc, 0, q, qn, qn, &ext, &g, 0), MCD_IGNORE_NONE);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &plain, &g, 0),
                     MCD_IGNORE_NONE);
    while (mcd_rcore_poll(&rc, 0, &tx))
        mcd_rcore_done(&rc, MCD_IGNORE_NONE);
    for (int i = 0; i < 4 * MCD_RESP_QUERIERS; i++) {
        mcd_endpoint e = spoofed(i);

        assert_int_equal(input(&rc, 1000 + (mcd_time)i, i % 2 ? known : bare,
                               i % 2 ? kn : bn, i % 2 ? kn : bn, &e, &g, 0),
                         i % 2 ? MCD_IGNORE_KNOWN : MCD_IGNORE_SHORT_QUERY);
    }
    assert_int_equal(input(&rc, 2000, Q, QLEN, QLEN, &ext, &g, 0),
                     MCD_IGNORE_EXT_CLIENT);
    assert_int_equal(input(&rc, 2000, Q, QLEN, QLEN, &plain, &g, 0),
                     MCD_IGNORE_RATE_QUERIER);

    /* Queries that would be answered but for the global rate. */
    tcfg.rate_per_s = 1;
    tcfg.rate_burst = 1;
    restart(&rc);
    assert_int_equal(input(&rc, 0, Q, QLEN, QLEN, &plain, &g, 0),
                     MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    for (int i = 0; i < 4 * MCD_RESP_QUERIERS; i++) {
        mcd_endpoint e = spoofed(i);

        assert_int_equal(input(&rc, 1000 + (mcd_time)i, q, qn, qn, &e, &g, 0),
                         MCD_IGNORE_RATE_GLOBAL);
    }
    assert_int_equal(input(&rc, 2000, Q, QLEN, QLEN, &plain, &g, 0),
                     MCD_IGNORE_RATE_QUERIER);
}

/* Rule 5: one pending reply per querier address, whatever it asks. */
static void one_pending_per_querier(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = client();
    uint8_t q[MCD_EXT_MAX];
    size_t qn = ext_query(q, 7, true, 500, NULL, 0, 128);
    mcd_rcore_tx tx;

    (void)state;
    setup_ext(&rc, NULL, 0);
    tcfg.querier_interval_ms = 0; /* the pending rule alone */
    restart(&rc);
    assert_int_equal(input(&rc, 0, q, qn, qn, &src, &g, 400000),
                     MCD_IGNORE_NONE);
    src.port = 40001;
    assert_int_equal(input(&rc, 100000, q, qn, qn, &src, &g, 0),
                     MCD_IGNORE_RATE_QUERIER);
    assert_true(mcd_rcore_poll(&rc, 400000, &tx));
    assert_int_equal(input(&rc, 400000, q, qn, qn, &src, &g, 0),
                     MCD_IGNORE_NONE);
}

/* A device on two links of one client gets each copy of a query on both
 * links: it answers on each (a querier is an address on one link), so the
 * client learns both addresses; a second copy on one link is still held
 * to that link's rules. */
static void querier_is_address_and_link(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_endpoint src = client();
    uint8_t q[MCD_EXT_MAX];
    size_t qn = ext_query(q, 9, true, 0, NULL, 0, 128);
    mcd_rcore_rx rx = {.data = q, .data_cap = qn, .len = qn, .src = &src,
                       .dst = &g, .ifindex = 3, .src_on_link = true};
    mcd_rcore_tx a, b;

    (void)state;
    setup_ext(&rc, NULL, 0);
    tcfg.querier_interval_ms = 50;
    for (int pass = 0; pass < 2; pass++) { /* extended, then plain */
        rx.data = pass ? (const uint8_t *)Q : q;
        rx.data_cap = rx.len = pass ? QLEN : qn;
        src.port = (uint16_t)(40000 + pass);
        restart(&rc);
        rx.ifindex = 3;
        assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
        rx.ifindex = 4;
        assert_int_equal(mcd_rcore_input(&rc, 0, &rx), MCD_IGNORE_NONE);
        assert_int_equal(mcd_rcore_input(&rc, 1000, &rx),
                         MCD_IGNORE_RATE_QUERIER);
        assert_true(mcd_rcore_poll(&rc, 1000, &a));
        assert_true(mcd_rcore_poll(&rc, 1000, &b));
        assert_false(mcd_rcore_poll(&rc, 1000, &b));
        assert_int_not_equal(a.ifindex, b.ifindex);
    }
}

static void ext_malformed_and_oversize(void **state)
{
    mcd_rcore rc;
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX + 8], out[MCD_EXT_MAX];
    size_t qn = ext_query(q, 8, true, 80, &ID, 1, 128);
    mcd_ext_reply d;
    mcd_rcore_tx tx;

    (void)state;
    setup_ext(&rc, NULL, 0);
    /* Cut at every length: malformed unless it ends between TLVs (49:
     * the header alone, too short for the reply; 54: after WINDOW, the
     * base reply fits; 61: after KNOWN, which holds our id); before the
     * whole magic, other bytes. */
    for (size_t len = QLEN + 2; len < qn; len++) {
        enum mcd_ignore why = feed(&rc, (mcd_time)len * 1000000, q, len, &g);
        enum mcd_ignore want = len < QLEN + 5 ? MCD_IGNORE_TRAILING
                               : len == 49   ? MCD_IGNORE_SHORT_QUERY
                               : len == 54 ? MCD_IGNORE_NONE
                               : len == 61 ? MCD_IGNORE_KNOWN
                                           : MCD_IGNORE_MALFORMED_EXT;

        if (why != want)
            fail_msg("cut to %zu: %s", len, mcd_ignore_name(why));
    }
    take_ext(&rc, MCD_TIME_NEVER - 1, &d, out);
    assert_int_equal(feed(&rc, 0, q, QLEN + 5, &g), MCD_IGNORE_MALFORMED_EXT);
    q[QLEN + 1] = 'm'; /* not our magic: not ours to call malformed */
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_TRAILING);
    q[QLEN + 1] = 'M';
    assert_int_equal(mcd_rcore_next(&rc), MCD_TIME_NEVER);
    q[QLEN + 1 + 5] = 3; /* a kind of later versions: not the query */
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_OTHER);
    /* The largest extended query is read, one byte more is oversize. */
    qn = ext_query(q, 8, false, 0, NULL, 0, MCD_EXT_MAX);
    assert_int_equal(qn, MCD_EXT_MAX);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_NONE);
    take_ext(&rc, 0, &d, out);
    q[qn] = 0;
    assert_int_equal(feed(&rc, 0, q, qn + 1, &g), MCD_IGNORE_OVERSIZE);
    /* A plain query padded past 513 bytes is still oversize. */
    memcpy(q, Q, QLEN);
    memset(q + QLEN, ' ', 600);
    assert_int_equal(feed(&rc, 0, q, 600, &g), MCD_IGNORE_OVERSIZE);
    /* Without the extension, an extended query is "other bytes". */
    tcfg.ext_enabled = false;
    restart(&rc);
    qn = ext_query(q, 8, false, 0, NULL, 0, 128);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_TRAILING);
    qn = ext_query(q, 8, false, 0, NULL, 0, 600);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_OVERSIZE);
    assert_false(mcd_rcore_poll(&rc, MCD_TIME_NEVER - 1, &tx));
}

static void ext_config_checked(void **state)
{
    static const char *const txt[] = {"a=b"};
    static const char *const bad[] = {"no pair"};
    mcd_rcore rc;
    mcd_responder_opts o;
    static uint8_t qbuf[MCD_QUERY_MAX], rbuf[MCD_REPLY_MAX], ebuf[MCD_EXT_MAX];
    mcd_addr g = v4(232, 10, 11, 12);
    uint8_t q[MCD_EXT_MAX], out[MCD_EXT_MAX];
    size_t qn = ext_query(q, 9, false, 0, NULL, 0, 128);
    mcd_ext_reply d;

    (void)state;
    setup_ext(&rc, txt, 1);
    tcfg.id[7] ^= 1; /* the template holds another id */
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_INVAL);
    tcfg.id[7] ^= 1;
    tcfg.ext_base_len = tcfg.ext_reply_len + 1;
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_INVAL);
    tcfg.ext_base_len = 50;
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_INVAL);
    tcfg.ext_base_len = 54;
    tpl[31 + 5] = MCD_EXT_KIND_QUERY; /* not a reply */
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_INVAL);
    tpl[31 + 5] = MCD_EXT_KIND_REPLY;
    tpl[30] = ' '; /* not the reply text and a NUL */
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_INVAL);
    tpl[30] = 0;
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), 0);

    mcd_responder_opts_init(&o);
    o.id = "0011223344556677";
    o.txt = txt;
    o.ntxt = 1;
    assert_int_equal(mcd_responder_setup_ext(&rc, &o, &g, qbuf, rbuf, ebuf,
                                             sizeof ebuf, NULL, 0), 0);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_NONE);
    assert_int_equal(take_ext(&rc, MCD_TIME_NEVER - 1, &d, out), 54 + 6);
    assert_memory_equal(d.id, ID, 8);
    o.id = "0011";
    assert_int_equal(mcd_responder_setup_ext(&rc, &o, &g, qbuf, rbuf, ebuf,
                                             sizeof ebuf, NULL, 0),
                     MCD_E_BADID);
    o.id = NULL;
    o.txt = bad;
    assert_int_equal(mcd_responder_setup_ext(&rc, &o, &g, qbuf, rbuf, ebuf,
                                             sizeof ebuf, ID, 0),
                     MCD_E_BADTXT);
    /* No id at all: the chapter's exchange only. */
    assert_int_equal(mcd_responder_setup_ext(&rc, &o, &g, qbuf, rbuf, ebuf,
                                             sizeof ebuf, NULL, 0), 0);
    assert_int_equal(feed(&rc, 0, q, qn, &g), MCD_IGNORE_TRAILING);
    assert_string_equal(mcd_ignore_name(MCD_IGNORE_SHORT_QUERY),
                        "short-query");
    assert_string_equal(mcd_ignore_str(MCD_IGNORE_KNOWN),
                        "already known to the querier");
}

#else
/* Built for the chapter's exchange only: an extended query is "the query
 * followed by other bytes", an id is not used, and a configuration that
 * asks for the extension is refused. */
static void chapter_only_build(void **state)
{
    static const uint8_t nonce[MCD_EXT_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t q[256], qbuf[MCD_QUERY_MAX], rbuf[MCD_REPLY_MAX], id[8];
    mcd_ext_query eq = {.has_window = true, .window_ms = 50};
    mcd_responder_opts o;
    mcd_addr g = v4(232, 10, 11, 12);
    mcd_rcore rc;
    mcd_rcore_tx tx;
    uint8_t out[64];
    int qn;

    (void)state;
    memcpy(eq.nonce, nonce, sizeof nonce);
    qn = mcd_ext_query_encode((const uint8_t *)Q, QLEN, &eq,
                              MCD_EXT_QUERY_PAD, q, sizeof q);
    assert_int_equal(qn, MCD_EXT_QUERY_PAD);
    setup_core(&rc, 0, 0);
    assert_int_equal(feed(&rc, 0, q, (size_t)qn, NULL), MCD_IGNORE_TRAILING);
    assert_int_equal(feed(&rc, 0, Q, QLEN, NULL), MCD_IGNORE_NONE);
    assert_true(mcd_rcore_poll(&rc, 0, &tx));
    assert_false(tx.ext);
    assert_int_equal(mcd_rcore_tx_write(&tx, out, sizeof out), 30);
    assert_memory_equal(out, "ESP32-C3 Smart Light https 443", 30);
    tcfg.ext_enabled = true;
    assert_int_equal(mcd_rcore_init(&rc, &tcfg, 0), MCD_E_UNSUPPORTED);
    mcd_responder_opts_init(&o);
    o.id = "0011223344556677";
    assert_int_equal(mcd_responder_setup_ext(&rc, &o, &g, qbuf, rbuf, rbuf,
                                             sizeof rbuf, NULL, 0), 0);
    assert_false(mcd_rcore_id(&rc, id));
    assert_int_equal(feed(&rc, 0, q, (size_t)qn, &g), MCD_IGNORE_TRAILING);
}
#endif

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
#if MCD_CONFIG_EXT
        cmocka_unit_test(ext_answered_with_nonce_and_id),
        cmocka_unit_test(spoofed_nonce_irrelevant),
        cmocka_unit_test(known_stays_silent),
        cmocka_unit_test(silent_flood_keeps_queriers),
        cmocka_unit_test(window_clamped),
        cmocka_unit_test(size_rule),
        cmocka_unit_test(never_longer_than_query),
        cmocka_unit_test(chapter_reply_never_longer),
        cmocka_unit_test(ext_client_plain_copy),
        cmocka_unit_test(one_pending_per_querier),
        cmocka_unit_test(querier_is_address_and_link),
        cmocka_unit_test(ext_malformed_and_oversize),
        cmocka_unit_test(ext_config_checked),
#else
        cmocka_unit_test(chapter_only_build),
#endif
#if MCD_CONFIG_ALLOW_FROM
        cmocka_unit_test(allow_from_prefixes),
        cmocka_unit_test(allow_from_opts),
#else
        cmocka_unit_test(allow_from_not_built),
#endif
        cmocka_unit_test(setup_borrows_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
