/*
 * test_wire.c - the chapter's bytes: query match and reply codec.
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

static enum mcd_match match(const void *p, size_t n)
{
    return mcd_query_match(p, n, (const uint8_t *)Q, QLEN);
}

static void chapter_bytes(void **state)
{
    uint8_t out[MCD_REPLY_MAX];
    int n;

    (void)state;
    assert_int_equal(QLEN, 33);
    n = mcd_reply_format(MCD_DEFAULT_NAME, MCD_DEFAULT_PROTO,
                         MCD_DEFAULT_SERVICE_PORT, out, sizeof out);
    assert_int_equal(n, 30);
    assert_memory_equal(out, "ESP32-C3 Smart Light https 443", 30);
}

static void near_misses(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(match(Q, QLEN), MCD_MATCH_EXACT);
    memcpy(buf, Q, QLEN);
    buf[QLEN] = '\0';
    assert_int_equal(match(buf, QLEN + 1), MCD_MATCH_NUL);
    buf[QLEN + 1] = '\0';
    assert_int_equal(match(buf, QLEN + 2), MCD_MATCH_TRAILING);
    memcpy(buf + QLEN, "!!", 2);
    assert_int_equal(match(buf, QLEN + 2), MCD_MATCH_TRAILING);
    assert_int_equal(match(Q, 7), MCD_MATCH_PREFIX); /* "Are you" */
    assert_int_equal(match(Q, 0), MCD_MATCH_EMPTY);
    memcpy(buf, Q, QLEN);
    buf[QLEN - 1] = 'T'; /* same length, one byte off */
    assert_int_equal(match(buf, QLEN), MCD_MATCH_DIFFERENT);
    assert_int_equal(match("are you", 7), MCD_MATCH_DIFFERENT);
}

static void parse_ok(void **state)
{
    static const char *r = "ESP32-C3 Smart Light https 443";
    mcd_reply rep;

    (void)state;
    assert_int_equal(mcd_reply_parse((const uint8_t *)r, strlen(r), &rep), 0);
    assert_string_equal(rep.name, "ESP32-C3 Smart Light");
    assert_string_equal(rep.proto, "https");
    assert_int_equal(rep.port, 443);

    r = "x coap+tcp 65535";
    assert_int_equal(mcd_reply_parse((const uint8_t *)r, strlen(r), &rep), 0);
    assert_string_equal(rep.name, "x");
    assert_string_equal(rep.proto, "coap+tcp");
    assert_int_equal(rep.port, 65535);

    r = "Kitchen  lamp \xc3\xa9 http 1"; /* UTF-8, double space kept */
    assert_int_equal(mcd_reply_parse((const uint8_t *)r, strlen(r), &rep), 0);
    assert_string_equal(rep.name, "Kitchen  lamp \xc3\xa9");
}

static void parse_rejects(void **state)
{
    static const char *bad[] = {
        "",
        "https 443",                 /* no name */
        " https 443",                /* empty name */
        "Light https 0",             /* port 0 */
        "Light https 65536",         /* port too large */
        "Light https 0443",          /* leading zero */
        "Light https -1",
        "Light https 44a",
        "Light https 443 ",          /* trailing space */
        " Light https 443",          /* leading space */
        "Light 1ttp 443",            /* protocol must start with a letter */
        "Light ht_tp 443",
        "Light  443",                /* empty protocol */
        "Light https",               /* no port */
        "Light\ttab https 443",      /* control character */
        "Are you Espressif IOT Smart Light", /* the query itself */
    };
    mcd_reply rep;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int err = mcd_reply_parse((const uint8_t *)bad[i], strlen(bad[i]), &rep);
        if (err != MCD_E_BADREPLY)
            fail_msg("accepted reply #%zu '%s'", i, bad[i]);
    }
    /* A NUL inside is rejected, not read as the end of a string. */
    assert_int_equal(mcd_reply_parse((const uint8_t *)"Li\0ht http 80", 13, &rep),
                     MCD_E_BADREPLY);
}

static void parse_bounds(void **state)
{
    uint8_t buf[MCD_REPLY_MAX + 2];
    mcd_reply rep;
    size_t n;

    (void)state;
    /* The longest name and protocol that fit, then one byte more. */
    memset(buf, 'n', MCD_NAME_MAX);
    n = MCD_NAME_MAX;
    buf[n++] = ' ';
    memset(buf + n, 'p', MCD_PROTO_MAX);
    n += MCD_PROTO_MAX;
    memcpy(buf + n, " 65535", 6);
    n += 6;
    assert_int_equal(n, MCD_REPLY_MAX);
    assert_int_equal(mcd_reply_parse(buf, n, &rep), 0);
    assert_int_equal(strlen(rep.name), MCD_NAME_MAX);
    assert_int_equal(strlen(rep.proto), MCD_PROTO_MAX);
    memmove(buf + 1, buf, n);
    assert_int_equal(mcd_reply_parse(buf, n + 1, &rep), MCD_E_BADREPLY);

    /* The name's own limit, with short fields after it. */
    memset(buf, 'n', MCD_NAME_MAX + 1);
    memcpy(buf + MCD_NAME_MAX + 1, " a 1", 4);
    assert_int_equal(mcd_reply_parse(buf, MCD_NAME_MAX + 5, &rep),
                     MCD_E_BADREPLY);
    memcpy(buf + MCD_NAME_MAX, " a 1", 4);
    assert_int_equal(mcd_reply_parse(buf, MCD_NAME_MAX + 4, &rep), 0);
    /* The protocol's own limit. */
    memset(buf, 'p', sizeof buf);
    buf[0] = 'n';
    buf[1] = ' ';
    memcpy(buf + 2 + MCD_PROTO_MAX + 1, " 1", 2);
    assert_int_equal(mcd_reply_parse(buf, 2 + MCD_PROTO_MAX + 3, &rep),
                     MCD_E_BADREPLY);
}

static void format_checks(void **state)
{
    uint8_t out[MCD_REPLY_MAX];
    mcd_reply rep;
    int n;

    (void)state;
    assert_int_equal(mcd_reply_format("", "http", 80, out, sizeof out),
                     MCD_E_BADNAME);
    assert_int_equal(mcd_reply_format(" lamp", "http", 80, out, sizeof out),
                     MCD_E_BADNAME);
    assert_int_equal(mcd_reply_format("la\nmp", "http", 80, out, sizeof out),
                     MCD_E_BADNAME);
    assert_int_equal(mcd_reply_format("lamp", "ht tp", 80, out, sizeof out),
                     MCD_E_BADPROTO);
    assert_int_equal(mcd_reply_format("lamp", "http", 0, out, sizeof out),
                     MCD_E_BADPORT);
    assert_int_equal(mcd_reply_format("lamp", "http", 80, out, 10),
                     MCD_E_TOOLONG);
    /* Names with spaces, even ones that look like fields, round-trip. */
    n = mcd_reply_format("a 1 b 2", "http", 8080, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(mcd_reply_parse(out, (size_t)n, &rep), 0);
    assert_string_equal(rep.name, "a 1 b 2");
    assert_string_equal(rep.proto, "http");
    assert_int_equal(rep.port, 8080);
}

static void query_check(void **state)
{
    uint8_t big[MCD_QUERY_MAX + 1];

    (void)state;
    memset(big, 'q', sizeof big);
    assert_int_equal(mcd_query_check(big, MCD_QUERY_MAX), 0);
    assert_int_equal(mcd_query_check(big, MCD_QUERY_MAX + 1), MCD_E_TOOLONG);
    assert_int_equal(mcd_query_check(big, 0), MCD_E_BADTEXT);
    assert_int_equal(mcd_query_check((const uint8_t *)"a\0b", 3), MCD_E_BADTEXT);
}

/* The texts of a responder's options, as every socket layer sets them. */
static int texts(const char *query, const char *name, const char *proto,
                 uint16_t service_port, uint8_t *q, size_t *qlen, uint8_t *r,
                 size_t rcap, size_t *rlen)
{
    mcd_responder_opts o = {.query = query, .name = name, .proto = proto,
                            .service_port = service_port};
    const uint8_t *where = NULL;
    int err = mcd_responder_texts(&o, q, &where, qlen, r, rcap, rlen);

    /* The core reads the copy. */
    assert_true(err < 0 || where == q);
    return err;
}

static void responder_texts(void **state)
{
    uint8_t q[MCD_QUERY_MAX], r[MCD_REPLY_MAX];
    size_t qlen = 0, rlen = 0;

    (void)state;
    /* NULLs and 0 are the chapter's texts. */
    assert_int_equal(texts(NULL, NULL, NULL, 0, q, &qlen, r, sizeof r, &rlen),
                     0);
    assert_int_equal(qlen, 33);
    assert_memory_equal(q, MCD_DEFAULT_QUERY, 33);
    assert_int_equal(rlen, 30);
    assert_memory_equal(r, "ESP32-C3 Smart Light https 443", 30);
    assert_int_equal(texts("who", "Lamp", "coap", 5683, q, &qlen, r, sizeof r,
                           &rlen), 0);
    assert_int_equal(qlen, 3);
    assert_memory_equal(r, "Lamp coap 5683", rlen);
    /* A buffer sized for a device's reply (the lwIP port's): fits, or
     * not. */
    assert_int_equal(texts("who", "Lamp", "coap", 5683, q, &qlen, r, 14,
                           &rlen), 0);
    assert_int_equal(texts("who", "Lamp", "coap", 5683, q, &qlen, r, 13,
                           &rlen), MCD_E_TOOLONG);
    assert_int_equal(texts("", NULL, NULL, 0, q, &qlen, r, sizeof r, &rlen),
                     MCD_E_BADTEXT);
    assert_int_equal(texts(NULL, " x", NULL, 0, q, &qlen, r, sizeof r, &rlen),
                     MCD_E_BADNAME);
}

static void errors_named(void **state)
{
    (void)state;
    assert_string_equal(mcd_errname(MCD_E_NOIFACE), "MCD_E_NOIFACE");
    assert_string_equal(mcd_strerror(MCD_E_NOIFACE), "no such interface");
    assert_string_equal(mcd_errname(-2), "ENOENT");
    assert_non_null(mcd_strerror(-2));
    assert_string_equal(mcd_ignore_name(MCD_IGNORE_TRAILING), "trailing");
    assert_string_equal(mcd_ignore_str(MCD_IGNORE_COUNT_), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chapter_bytes), cmocka_unit_test(near_misses),
        cmocka_unit_test(parse_ok),      cmocka_unit_test(parse_rejects),
        cmocka_unit_test(parse_bounds),  cmocka_unit_test(format_checks),
        cmocka_unit_test(query_check),   cmocka_unit_test(errors_named),
        cmocka_unit_test(responder_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
