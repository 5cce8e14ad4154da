/*
 * test_addr.c - address parsing, RFC 5952 text and classification.
 *
 * Table-driven: each table row is one address with what must be said
 * about it; a failing row prints its address.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* Compare two strings that may be NULL, naming the row on failure. */
static void check_str(const char *row, const char *what, const char *got,
                      const char *want)
{
    if (got == NULL && want == NULL)
        return;
    if (got != NULL && want != NULL && strcmp(got, want) == 0)
        return;
    print_error("%s: %s is \"%s\", expected \"%s\"\n", row, what,
                got ? got : "(null)", want ? want : "(null)");
    fail();
}

static void check_bool(const char *row, const char *what, bool got,
                       bool want)
{
    if (got == want)
        return;
    print_error("%s: %s is %d, expected %d\n", row, what, got, want);
    fail();
}

static mcd_addr parse_ok(const char *text)
{
    mcd_addr a;
    int rc = mcd_addr_parse(text, &a);

    if (rc != 0) {
        print_error("'%s' did not parse (%d)\n", text, rc);
        fail();
    }
    return a;
}

static mcd_addr_info classify_ok(const char *text)
{
    mcd_addr a = parse_ok(text);
    mcd_addr_info info;

    assert_int_equal(mcd_addr_classify(&a, &info), 0);
    return info;
}

static void check_formats_as(const mcd_addr *a, const char *want)
{
    char buf[MCD_ADDR_STRLEN];
    int n = mcd_addr_format(a, buf, sizeof buf);

    assert_true(n > 0);
    assert_string_equal(buf, want);
    assert_int_equal((size_t)n, strlen(want));
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */

static void test_parse_v4_valid(void **state)
{
    static const struct {
        const char *text;
        uint8_t b[4];
    } rows[] = {
        {"0.0.0.0", {0, 0, 0, 0}},
        {"255.255.255.255", {255, 255, 255, 255}},
        {"232.10.11.12", {232, 10, 11, 12}},
        {"1.20.100.200", {1, 20, 100, 200}},
        {"10.0.0.1", {10, 0, 0, 1}},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr a = parse_ok(rows[i].text);
        uint8_t zero[12] = {0};

        assert_int_equal(a.family, MCD_AF_INET4);
        assert_memory_equal(a.b, rows[i].b, 4);
        assert_memory_equal(a.b + 4, zero, 12);
        assert_int_equal(a.scope_id, 0);
    }
}

static void test_parse_v6_valid(void **state)
{
    static const struct {
        const char *text;
        uint8_t b[16];
    } rows[] = {
        {"::", {0}},
        {"::1", {[15] = 1}},
        {"1::", {0, 1}},
        {"FF02::FB", {0xff, 0x02, [15] = 0xfb}},
        {"ff02:0:0:0:0:0:0:fb", {0xff, 0x02, [15] = 0xfb}},
        {"1:2:3:4:5:6:7:8", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
        {"1:2:3:4:5:6:7::", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0}},
        {"::2:3:4:5:6:7:8", {0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
        {"2001:0db8::0001", {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
        {"::ffff:192.0.2.1", {[10] = 0xff, 0xff, 192, 0, 2, 1}},
        {"1:2:3:4:5:6:1.2.3.4", {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4}},
        {"::1.2.3.4", {[12] = 1, 2, 3, 4}},
        {"abcd:EF01::", {0xab, 0xcd, 0xef, 0x01}},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr a = parse_ok(rows[i].text);

        assert_int_equal(a.family, MCD_AF_INET6);
        if (memcmp(a.b, rows[i].b, 16) != 0) {
            print_error("'%s' parsed to other bytes\n", rows[i].text);
            fail();
        }
        assert_int_equal(a.scope_id, 0);
    }
}

static void test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        "224.0.0",
        "224.0.0.256",
        " 224.0.0.1",
        "224.0.0.1 ",
        "224.0.0.1x",
        "0x e0.0.0.1",
        "0xe0.0.0.1",
        "010.0.0.1",
        "00.0.0.1",
        "1.2.3.04",
        "1234.0.0.1",
        "1.2.3.4.5",
        "1..2.3",
        ".1.2.3",
        "1.2.3.",
        "-1.2.3.4",
        "+1.2.3.4",
        "1.2.3.4%1",
        "224.0.0.1/24",
        "e0000001",
        ":::",
        ":",
        ":1",
        "1:",
        "1::2::3",
        "::1::",
        "12345::",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8",
        "::ffff:1.2.3",
        "::ffff:1.2.3.4.5",
        "::ffff:01.2.3.4",
        "::1.2.3.4:1",
        "1:2:3:4:5:6:7:1.2.3.4",
        "1:2:3:4:5:6::1.2.3.4",
        "fe80::1%eth0",
        "fe80::1%",
        "fe80::1%0",
        "fe80::1%01",
        "fe80::1%4294967296",
        "fe80::1%1%2",
        "fe80::1%-1",
        "g::1",
        ":: ",
        " ::",
        "[::1]",
        "ff02::fb/64",
    };
    (void)state;

    for (size_t i = 0; i < COUNT(bad); i++) {
        mcd_addr a;

        memset(&a, 0xa5, sizeof a);
        if (mcd_addr_parse(bad[i], &a) != MCD_E_BADADDR) {
            print_error("'%s' was accepted\n", bad[i]);
            fail();
        }
        /* Nothing is written on failure. */
        assert_int_equal(a.family, 0xa5);
    }
}

static void test_parse_null(void **state)
{
    mcd_addr a;
    size_t z;
    (void)state;

    /* NULL is a caller's bug, not bad text (mcdisc/core.h). */
    assert_int_equal(mcd_addr_parse(NULL, &a), MCD_E_INVAL);
    assert_int_equal(mcd_addr_parse("::1", NULL), MCD_E_INVAL);
    assert_int_equal(mcd_addr_parse_n(NULL, 0, &a, &z), MCD_E_BADADDR);
    assert_int_equal(mcd_addr_parse_n("::1", 3, NULL, &z), MCD_E_INVAL);
}

static void test_parse_zone(void **state)
{
    mcd_addr a = parse_ok("fe80::1%3");
    (void)state;

    assert_int_equal(a.scope_id, 3);
    a = parse_ok("ff02::1%4294967295");
    assert_int_equal(a.scope_id, 4294967295u);
}

static void test_parse_n(void **state)
{
    mcd_addr a;
    size_t z = 99;
    (void)state;

    /* Only `len` bytes are read: the rest may be anything. */
    assert_int_equal(mcd_addr_parse_n("10.0.0.1junk", 8, &a, &z), 0);
    assert_int_equal(a.b[3], 1);
    assert_int_equal(z, 8);
    assert_int_equal(mcd_addr_parse_n("10.0.0.1junk", 9, &a, &z),
                     MCD_E_BADADDR);
    assert_int_equal(z, 9);

    /* A zone is refused, and where it starts is reported, so the caller
     * can parse the address part and resolve the zone itself. */
    memset(&a, 0xa5, sizeof a);
    assert_int_equal(mcd_addr_parse_n("fe80::1%eth0", 12, &a, &z),
                     MCD_E_BADADDR);
    assert_int_equal(z, 7);
    assert_int_equal(a.family, 0xa5);
    assert_int_equal(mcd_addr_parse_n("fe80::1%eth0", z, &a, NULL), 0);
    assert_int_equal(a.b[15], 1);
    assert_int_equal(a.scope_id, 0);
    assert_int_equal(mcd_addr_parse_n("fe80::1%3", 9, &a, &z),
                     MCD_E_BADADDR);
    assert_int_equal(z, 7);
    assert_int_equal(mcd_addr_parse_n("bad%3", 5, &a, &z), MCD_E_BADADDR);
    assert_int_equal(z, 3);
    assert_int_equal(mcd_addr_parse_n("fe80::1%eth0", 12, &a, NULL),
                     MCD_E_BADADDR);

    /* A NUL inside len is not the end of the text. */
    assert_int_equal(mcd_addr_parse_n("::1\0", 4, &a, &z), MCD_E_BADADDR);
    assert_int_equal(z, 4);
    assert_int_equal(mcd_addr_parse_n("", 0, &a, &z), MCD_E_BADADDR);
    assert_int_equal(z, 0);
    assert_int_equal(mcd_addr_parse_n("::1", 3, &a, NULL), 0);
}

/* Each input copied into a heap block of exactly its length, with no NUL:
 * a read past the end is caught by AddressSanitizer. */
static void test_parse_n_no_overread(void **state)
{
    static const char *const inputs[] = {
        "1.2.3.4", "1.2.3", "255.255.255.25", "::", "1::", "::1",
        "fe80::1%", "fe80::1%9", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:",
        "::ffff:1.2.3.4", "::ffff:1.2.3.", "12345", ":", "",
    };
    (void)state;

    for (size_t i = 0; i < COUNT(inputs); i++) {
        size_t n = strlen(inputs[i]);
        char *p = malloc(n ? n : 1);
        mcd_addr a;
        size_t z;

        assert_non_null(p);
        memcpy(p, inputs[i], n);
        (void)mcd_addr_parse_n(p, n, &a, &z);
        free(p);
    }
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                                */

static void test_format_rfc5952(void **state)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:0db8::0001", "2001:db8::1"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        {"2001:DB8::AB:CD", "2001:db8::ab:cd"},
        {"2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"},
        {"0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
        {"::ffff:c000:0201", "::ffff:192.0.2.1"},
        {"::1.2.3.4", "::102:304"},
        {"64:ff9b::192.0.2.1", "64:ff9b::c000:201"},
        {"fe80::1%3", "fe80::1%3"},
        {"FE80:0000::0001%42", "fe80::1%42"},
        {"ff02::1%4294967295", "ff02::1%4294967295"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"232.10.11.12", "232.10.11.12"},
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr a = parse_ok(rows[i].in);
        check_formats_as(&a, rows[i].out);
    }
}

/* Every pattern of zero and non-zero groups formats to text that holds at
 * most one "::", never a lone zero group compressed, and parses back. */
static void test_format_round_trip_all_zero_patterns(void **state)
{
    (void)state;

    for (unsigned mask = 0; mask < 256; mask++) {
        mcd_addr a, back;
        char buf[MCD_ADDR_STRLEN];

        memset(&a, 0, sizeof a);
        a.family = MCD_AF_INET6;
        for (int g = 0; g < 8; g++)
            if (mask & (1u << g)) {
                a.b[2 * g] = (uint8_t)(0x10 + g);
                a.b[2 * g + 1] = 0x0a;
            }
        int n = mcd_addr_format(&a, buf, sizeof buf);
        assert_true(n > 0);
        char *dc = strstr(buf, "::");
        if (dc != NULL)
            assert_null(strstr(dc + 1, "::"));
        assert_null(strstr(buf, ":::"));
        assert_int_equal(mcd_addr_parse(buf, &back), 0);
        assert_true(mcd_addr_equal(&a, &back));
    }
}

static void test_format_round_trip_v4(void **state)
{
    (void)state;

    for (unsigned v = 0; v < 256; v++) {
        mcd_addr a, back;
        char buf[MCD_ADDR_STRLEN];

        memset(&a, 0, sizeof a);
        a.family = MCD_AF_INET4;
        a.b[0] = (uint8_t)v;
        a.b[1] = (uint8_t)(255 - v);
        a.b[2] = (uint8_t)(v / 16);
        a.b[3] = (uint8_t)(v % 10);
        assert_true(mcd_addr_format(&a, buf, sizeof buf) > 0);
        assert_int_equal(mcd_addr_parse(buf, &back), 0);
        assert_true(mcd_addr_equal(&a, &back));
    }
}

static void test_format_too_small(void **state)
{
    mcd_addr a = parse_ok("232.10.11.12");
    char buf[MCD_ADDR_STRLEN];
    (void)state;

    memset(buf, 'x', sizeof buf);
    assert_int_equal(mcd_addr_format(&a, buf, 12), MCD_E_TOOLONG);
    assert_int_equal(buf[0], 'x'); /* untouched */
    assert_int_equal(mcd_addr_format(&a, buf, 13), 12);
    assert_string_equal(buf, "232.10.11.12");
    assert_int_equal(mcd_addr_format(&a, NULL, 0), MCD_E_TOOLONG);

    a = parse_ok("fe80::1%3");
    assert_int_equal(mcd_addr_format(&a, buf, 9), MCD_E_TOOLONG);
    assert_int_equal(mcd_addr_format(&a, buf, 10), 9);
}

static void test_format_longest_fits(void **state)
{
    /* The longest canonical text: eight 4-digit groups and a 10-digit
     * zone. */
    mcd_addr a = parse_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295");
    char buf[MCD_ADDR_STRLEN];
    (void)state;

    assert_int_equal(mcd_addr_format(&a, buf, sizeof buf), 50);
}

static void test_format_bad_family(void **state)
{
    mcd_addr a;
    char buf[MCD_ADDR_STRLEN];
    (void)state;

    memset(&a, 0, sizeof a);
    assert_int_equal(mcd_addr_format(&a, buf, sizeof buf), MCD_E_INVAL);
    a.family = 5;
    assert_int_equal(mcd_addr_format(&a, buf, sizeof buf), MCD_E_INVAL);
    assert_int_equal(mcd_addr_format(NULL, buf, sizeof buf), MCD_E_INVAL);
    a = parse_ok("::1");
    assert_int_equal(mcd_addr_format(&a, NULL, 5), MCD_E_INVAL);
}

/* An IPv4 scope_id is not part of the address. */
static void test_format_v4_ignores_scope(void **state)
{
    mcd_addr a = parse_ok("10.0.0.1");
    (void)state;

    a.scope_id = 7;
    check_formats_as(&a, "10.0.0.1");
}

/* ------------------------------------------------------------------------ */
/* Comparison                                                                */

static void test_equal_and_multicast(void **state)
{
    mcd_addr a = parse_ok("2001:db8::1");
    mcd_addr b = parse_ok("2001:0DB8:0:0::1");
    mcd_addr z = parse_ok("2001:db8::1%2");
    mcd_addr v4 = parse_ok("0.0.0.0");
    mcd_addr v6 = parse_ok("::");
    mcd_addr none;
    (void)state;

    memset(&none, 0, sizeof none);
    assert_true(mcd_addr_equal(&a, &b));
    assert_false(mcd_addr_equal(&a, &z));
    assert_false(mcd_addr_equal(&v4, &v6));
    assert_false(mcd_addr_equal(&a, NULL));
    assert_true(mcd_addr_equal(&none, &none));

    /* IPv4 compares b[0..3] only. */
    mcd_addr c = parse_ok("10.1.2.3"), d = c;
    d.b[9] = 1;
    d.scope_id = 4;
    assert_true(mcd_addr_equal(&c, &d));

    static const struct {
        const char *text;
        bool mcast;
    } rows[] = {
        {"224.0.0.0", true},       {"239.255.255.255", true},
        {"223.255.255.255", false}, {"240.0.0.0", false},
        {"ff00::", true},          {"feff:ffff::", false},
        {"::ffff:224.0.0.1", false}, {"::", false},
    };
    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr x = parse_ok(rows[i].text);
        check_bool(rows[i].text, "is_multicast", mcd_addr_is_multicast(&x),
                   rows[i].mcast);
    }
    assert_false(mcd_addr_is_multicast(NULL));
    assert_false(mcd_addr_is_multicast(&none));
}

/* ------------------------------------------------------------------------ */
/* IPv4 multicast classification                                             */

#define LNCB "Local Network Control Block"
#define ICB "Internetwork Control Block"
#define ADH1 "AD-HOC Block I"
#define ADH2 "AD-HOC Block II"
#define ADH3 "AD-HOC Block III"
#define SSM4 "Source-Specific Multicast Block"
#define UPB4 "Unicast-Prefix-based IPv4 Multicast Addresses"
#define ASB "Administratively Scoped Block"
#define OLSX "Organization Local Scope expansion"
#define OLS "IPv4 Organization Local Scope"
#define LSX "IPv4 Local Scope expansion"
#define LS "IPv4 Local Scope"
#define GLB "global"
#define ORG "organization-local"
#define SITE "site-local"

struct v4m_row {
    const char *addr, *cls, *block, *rfc, *sub, *scope;
    bool asm_ok;
};

/* The first and the last address of every block and sub-block. */
static const struct v4m_row v4m_rows[] = {
    {"224.0.0.0", "reserved", LNCB, "RFC 5771", NULL, "link-local", true},
    {"224.0.0.255", "reserved", LNCB, "RFC 5771", NULL, "link-local", true},
    {"224.0.1.0", "public", ICB, "RFC 5771", NULL, GLB, true},
    {"224.0.1.255", "public", ICB, "RFC 5771", NULL, GLB, true},
    {"224.0.2.0", "user", ADH1, "RFC 5771", NULL, GLB, true},
    {"224.0.255.255", "user", ADH1, "RFC 5771", NULL, GLB, true},
    {"224.1.0.0", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"224.1.255.255", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"224.2.0.0", "user", "SDP/SAP Block", "RFC 2974", NULL, GLB, true},
    {"224.2.255.255", "user", "SDP/SAP Block", "RFC 2974", NULL, GLB, true},
    {"224.3.0.0", "user", ADH2, "RFC 5771", NULL, GLB, true},
    {"224.4.255.255", "user", ADH2, "RFC 5771", NULL, GLB, true},
    {"224.5.0.0", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"224.251.255.255", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"224.252.0.0", "user", "DIS Transient Groups", "RFC 5771", NULL, GLB,
     true},
    {"224.255.255.255", "user", "DIS Transient Groups", "RFC 5771", NULL,
     GLB, true},
    {"225.0.0.0", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"231.255.255.255", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"232.0.0.0", "user", SSM4, "RFC 4607", NULL, GLB, false},
    {"232.255.255.255", "user", SSM4, "RFC 4607", NULL, GLB, false},
    {"233.0.0.0", "user", "GLOP Block", "RFC 3180", NULL, GLB, true},
    {"233.251.255.255", "user", "GLOP Block", "RFC 3180", NULL, GLB, true},
    {"233.252.0.0", "user", ADH3, "RFC 5771", "MCAST-TEST-NET", GLB, true},
    {"233.252.0.255", "user", ADH3, "RFC 5771", "MCAST-TEST-NET", GLB, true},
    {"233.252.1.0", "user", ADH3, "RFC 5771", NULL, GLB, true},
    {"233.255.255.255", "user", ADH3, "RFC 5771", NULL, GLB, true},
    {"234.0.0.0", "user", UPB4, "RFC 6034", NULL, GLB, true},
    {"234.255.255.255", "user", UPB4, "RFC 6034", NULL, GLB, true},
    {"235.0.0.0", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"238.255.255.255", "user", "Reserved", "RFC 5771", NULL, GLB, true},
    {"239.0.0.0", "local", ASB, "RFC 2365", OLSX, ORG, true},
    {"239.63.255.255", "local", ASB, "RFC 2365", OLSX, ORG, true},
    {"239.64.0.0", "local", ASB, "RFC 2365", OLSX, ORG, true},
    {"239.127.255.255", "local", ASB, "RFC 2365", OLSX, ORG, true},
    {"239.128.0.0", "local", ASB, "RFC 2365", OLSX, ORG, true},
    {"239.191.255.255", "local", ASB, "RFC 2365", OLSX, ORG, true},
    {"239.192.0.0", "local", ASB, "RFC 2365", OLS, ORG, true},
    {"239.195.255.255", "local", ASB, "RFC 2365", OLS, ORG, true},
    {"239.196.0.0", "local", ASB, "RFC 2365", "unassigned", ORG, true},
    {"239.251.255.255", "local", ASB, "RFC 2365", "unassigned", ORG, true},
    {"239.252.0.0", "local", ASB, "RFC 2365", LSX, SITE, true},
    {"239.254.255.255", "local", ASB, "RFC 2365", LSX, SITE, true},
    {"239.255.0.0", "local", ASB, "RFC 2365", LS, SITE, true},
    {"239.255.255.255", "local", ASB, "RFC 2365", LS, SITE, true},
};

static void test_v4_multicast_blocks(void **state)
{
    (void)state;

    for (size_t i = 0; i < COUNT(v4m_rows); i++) {
        const struct v4m_row *r = &v4m_rows[i];
        mcd_addr_info in = classify_ok(r->addr);

        check_bool(r->addr, "multicast", in.multicast, true);
        check_str(r->addr, "class", in.chapter_class, r->cls);
        check_str(r->addr, "block", in.block, r->block);
        check_str(r->addr, "block_rfc", in.block_rfc, r->rfc);
        check_str(r->addr, "sub_block", in.sub_block, r->sub);
        check_str(r->addr, "scope", in.scope, r->scope);
        check_bool(r->addr, "asm_ok", in.asm_ok, r->asm_ok);
        check_bool(r->addr, "has_mac", in.has_mac, true);
        check_bool(r->addr, "flag_p", in.flag_p, false);
        check_str(r->addr, "note", in.note, NULL);
    }
}

static void test_v4_sub_block_rfcs(void **state)
{
    mcd_addr_info in = classify_ok("233.252.0.1");
    (void)state;

    assert_string_equal(in.sub_block_rfc, "RFC 6676");
    in = classify_ok("239.255.1.2");
    assert_string_equal(in.sub_block_rfc, "RFC 2365");
    in = classify_ok("224.0.0.1");
    assert_null(in.sub_block_rfc);
}

static void test_v4_assignments(void **state)
{
    static const struct {
        const char *addr, *name;
    } rows[] = {
        {"224.0.0.0", "Base address (reserved)"},
        {"224.0.0.1", "All Systems on this Subnet"},
        {"224.0.0.2", "All Routers on this Subnet"},
        {"224.0.0.4", "DVMRP Routers"},
        {"224.0.0.5", "OSPF All Routers"},
        {"224.0.0.6", "OSPF Designated Routers"},
        {"224.0.0.9", "RIPv2 Routers"},
        {"224.0.0.10", "EIGRP Routers"},
        {"224.0.0.13", "All PIM Routers"},
        {"224.0.0.18", "VRRP"},
        {"224.0.0.22", "IGMPv3 membership reports"},
        {"224.0.0.102", "HSRPv2/GLBP"},
        {"224.0.0.106", "Multicast Router Discovery"},
        {"224.0.0.107", "PTP peer delay"},
        {"224.0.0.251", "mDNS"},
        {"224.0.0.252", "LLMNR"},
        {"224.0.1.1", "NTP"},
        {"224.0.1.39", "Cisco RP-Announce"},
        {"224.0.1.40", "Cisco RP-Discovery"},
        {"224.0.1.129", "PTP primary"},
        {"224.2.127.254", "SAPv1 Announcements"},
        {"239.255.255.250", "SSDP (UPnP)"},
        {"239.255.255.253", "SLP"},
        {"232.10.11.12", "mcdisc default group (the ESP32-C3 chapter's)"},
        {MCD_DEFAULT_GROUP, "mcdisc default group (the ESP32-C3 chapter's)"},
        {"0.0.0.0", "Unspecified"},
        {"224.0.0.3", NULL},
        {"224.0.0.253", NULL},
        {"239.255.255.251", NULL},
        {"232.10.11.13", NULL},
        {"10.0.0.1", NULL},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr_info in = classify_ok(rows[i].addr);
        check_str(rows[i].addr, "assignment", in.assignment, rows[i].name);
    }
}

static void test_v4_default_group(void **state)
{
    static const uint8_t mac[6] = {0x01, 0x00, 0x5e, 0x0a, 0x0b, 0x0c};
    mcd_addr_info in = classify_ok(MCD_DEFAULT_GROUP);
    (void)state;

    assert_true(in.multicast);
    assert_string_equal(in.chapter_class, "user");
    assert_string_equal(in.block, "Source-Specific Multicast Block");
    assert_string_equal(in.block_rfc, "RFC 4607");
    assert_string_equal(in.scope, "global");
    assert_false(in.asm_ok);
    assert_true(in.has_mac);
    assert_memory_equal(in.mac, mac, 6);
    assert_int_equal(in.mac_shared_log2, 5);
    assert_false(in.glop);
}

static void test_v4_glop(void **state)
{
    static const struct {
        const char *addr;
        bool glop;
        uint32_t as;
    } rows[] = {
        {"233.1.2.3", true, 258},
        {"233.0.0.0", true, 0},
        {"233.0.1.255", true, 1},
        {"233.251.255.255", true, 64511},
        {"233.252.0.1", false, 0},
        {"233.255.255.255", false, 0},
        {"232.1.2.3", false, 0},
        {"234.1.2.3", false, 0},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr_info in = classify_ok(rows[i].addr);

        check_bool(rows[i].addr, "glop", in.glop, rows[i].glop);
        assert_int_equal(in.glop_as, rows[i].as);
    }
}

static void test_v4_mac(void **state)
{
    static const struct {
        const char *addr;
        uint8_t mac[6];
    } rows[] = {
        {"224.0.0.1", {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
        {"224.0.0.251", {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}},
        {"239.255.255.250", {0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}},
        {"224.128.0.1", {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
        {"232.10.11.12", {0x01, 0x00, 0x5e, 0x0a, 0x0b, 0x0c}},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr_info in = classify_ok(rows[i].addr);

        assert_true(in.has_mac);
        assert_memory_equal(in.mac, rows[i].mac, 6);
        assert_int_equal(in.mac_shared_log2, 5);
    }
}

/* RFC 1112 6.4 drops 5 bits: 224.1.1.1 and 225.1.1.1 collide, and so
 * does 239.129.1.1; 224.1.1.2 does not. */
static void test_v4_mac_collision(void **state)
{
    mcd_addr_info a = classify_ok("224.1.1.1");
    mcd_addr_info b = classify_ok("225.1.1.1");
    mcd_addr_info c = classify_ok("239.129.1.1");
    mcd_addr_info d = classify_ok("224.1.1.2");
    (void)state;

    assert_memory_equal(a.mac, b.mac, 6);
    assert_memory_equal(a.mac, c.mac, 6);
    assert_memory_not_equal(a.mac, d.mac, 6);
}

/* ------------------------------------------------------------------------ */
/* IPv4 unicast classification                                               */

struct v4u_row {
    const char *addr, *block, *rfc, *scope;
};

static const struct v4u_row v4u_rows[] = {
    {"0.0.0.0", "This network", "RFC 791", NULL},
    {"0.255.255.255", "This network", "RFC 791", NULL},
    {"1.0.0.0", "Global unicast", NULL, "global"},
    {"9.255.255.255", "Global unicast", NULL, "global"},
    {"10.0.0.0", "Private-Use", "RFC 1918", "global"},
    {"10.255.255.255", "Private-Use", "RFC 1918", "global"},
    {"100.63.255.255", "Global unicast", NULL, "global"},
    {"100.64.0.0", "Shared Address Space", "RFC 6598", "global"},
    {"100.127.255.255", "Shared Address Space", "RFC 6598", "global"},
    {"100.128.0.0", "Global unicast", NULL, "global"},
    {"127.0.0.0", "Loopback", "RFC 1122", "host"},
    {"127.255.255.255", "Loopback", "RFC 1122", "host"},
    {"169.253.255.255", "Global unicast", NULL, "global"},
    {"169.254.0.0", "Link Local", "RFC 3927", "link-local"},
    {"169.254.255.255", "Link Local", "RFC 3927", "link-local"},
    {"172.15.255.255", "Global unicast", NULL, "global"},
    {"172.16.0.0", "Private-Use", "RFC 1918", "global"},
    {"172.31.255.255", "Private-Use", "RFC 1918", "global"},
    {"172.32.0.0", "Global unicast", NULL, "global"},
    {"192.0.0.0", "IETF Protocol Assignments", "RFC 6890", "global"},
    {"192.0.0.255", "IETF Protocol Assignments", "RFC 6890", "global"},
    {"192.0.1.0", "Global unicast", NULL, "global"},
    {"192.0.2.0", "Documentation (TEST-NET-1)", "RFC 5737", "global"},
    {"192.0.2.255", "Documentation (TEST-NET-1)", "RFC 5737", "global"},
    {"192.168.0.0", "Private-Use", "RFC 1918", "global"},
    {"192.168.255.255", "Private-Use", "RFC 1918", "global"},
    {"198.17.255.255", "Global unicast", NULL, "global"},
    {"198.18.0.0", "Benchmarking", "RFC 2544", "global"},
    {"198.19.255.255", "Benchmarking", "RFC 2544", "global"},
    {"198.20.0.0", "Global unicast", NULL, "global"},
    {"198.51.100.0", "Documentation (TEST-NET-2)", "RFC 5737", "global"},
    {"198.51.100.255", "Documentation (TEST-NET-2)", "RFC 5737", "global"},
    {"203.0.113.0", "Documentation (TEST-NET-3)", "RFC 5737", "global"},
    {"203.0.113.255", "Documentation (TEST-NET-3)", "RFC 5737", "global"},
    {"223.255.255.255", "Global unicast", NULL, "global"},
    {"240.0.0.0", "Reserved", "RFC 1112", NULL},
    {"255.255.255.254", "Reserved", "RFC 1112", NULL},
    {"255.255.255.255", "Limited Broadcast", "RFC 919", "link-local"},
    {"8.8.8.8", "Global unicast", NULL, "global"},
};

static void test_v4_unicast_blocks(void **state)
{
    (void)state;

    for (size_t i = 0; i < COUNT(v4u_rows); i++) {
        const struct v4u_row *r = &v4u_rows[i];
        mcd_addr_info in = classify_ok(r->addr);

        check_bool(r->addr, "multicast", in.multicast, false);
        check_str(r->addr, "class", in.chapter_class, NULL);
        check_str(r->addr, "block", in.block, r->block);
        check_str(r->addr, "block_rfc", in.block_rfc, r->rfc);
        check_str(r->addr, "sub_block", in.sub_block, NULL);
        check_str(r->addr, "scope", in.scope, r->scope);
        check_bool(r->addr, "asm_ok", in.asm_ok, false);
        check_bool(r->addr, "has_mac", in.has_mac, false);
        check_bool(r->addr, "glop", in.glop, false);
    }
}

/* ------------------------------------------------------------------------ */
/* IPv6 multicast classification                                             */

struct v6m_row {
    const char *addr;
    uint8_t flags, scope_value;
    const char *scope, *block, *rfc;
    bool asm_ok;
};

static const struct v6m_row v6m_rows[] = {
    {"ff00::1", 0, 0x0, "reserved", "IPv6 multicast", "RFC 4291", true},
    {"ff01::1", 0, 0x1, "interface-local", "IPv6 multicast", "RFC 4291",
     true},
    {"ff02::1", 0, 0x2, "link-local", "IPv6 multicast", "RFC 4291", true},
    {"ff03::1", 0, 0x3, "realm-local", "IPv6 multicast", "RFC 4291", true},
    {"ff04::1", 0, 0x4, "admin-local", "IPv6 multicast", "RFC 4291", true},
    {"ff05::1", 0, 0x5, "site-local", "IPv6 multicast", "RFC 4291", true},
    {"ff06::1", 0, 0x6, "unassigned", "IPv6 multicast", "RFC 4291", true},
    {"ff07::1", 0, 0x7, "unassigned", "IPv6 multicast", "RFC 4291", true},
    {"ff08::1", 0, 0x8, "organization-local", "IPv6 multicast", "RFC 4291",
     true},
    {"ff09::1", 0, 0x9, "unassigned", "IPv6 multicast", "RFC 4291", true},
    {"ff0d::1", 0, 0xd, "unassigned", "IPv6 multicast", "RFC 4291", true},
    {"ff0e::1", 0, 0xe, "global", "IPv6 multicast", "RFC 4291", true},
    {"ff0f::1", 0, 0xf, "reserved", "IPv6 multicast", "RFC 4291", true},
    {"ff15::1234", 1, 0x5, "site-local", "IPv6 multicast", "RFC 4291", true},
    {"ff3e::8000:1", 3, 0xe, "global", "Source-Specific Multicast",
     "RFC 4607", false},
    {"ff35::1", 3, 0x5, "site-local", "Source-Specific Multicast", "RFC 4607",
     false},
    {"ff3e:0:0:1::1", 3, 0xe, "global", "Source-Specific Multicast",
     "RFC 4607", false},
    {"ff3e:30:2001:db8::1234", 3, 0xe, "global", "Unicast-prefix-based",
     "RFC 3306", true},
    {"ff7e:140:2001:db8:beef:feed::1234", 7, 0xe, "global", "Embedded-RP",
     "RFC 3956", true},
    {"ff12::1", 1, 0x2, "link-local", "IPv6 multicast", "RFC 4291", true},
};

static void test_v6_multicast_scopes_flags(void **state)
{
    (void)state;

    for (size_t i = 0; i < COUNT(v6m_rows); i++) {
        const struct v6m_row *r = &v6m_rows[i];
        mcd_addr_info in = classify_ok(r->addr);

        check_bool(r->addr, "multicast", in.multicast, true);
        check_str(r->addr, "class", in.chapter_class, NULL);
        assert_int_equal(in.v6_flags, r->flags);
        assert_int_equal(in.v6_scope, r->scope_value);
        check_bool(r->addr, "R", in.flag_r, (r->flags & 4) != 0);
        check_bool(r->addr, "P", in.flag_p, (r->flags & 2) != 0);
        check_bool(r->addr, "T", in.flag_t, (r->flags & 1) != 0);
        check_str(r->addr, "scope", in.scope, r->scope);
        check_str(r->addr, "block", in.block, r->block);
        check_str(r->addr, "block_rfc", in.block_rfc, r->rfc);
        check_bool(r->addr, "asm_ok", in.asm_ok, r->asm_ok);
        check_bool(r->addr, "glop", in.glop, false);
        check_str(r->addr, "note", in.note, NULL);
    }
}

static void check_addr_is(const mcd_addr *a, const char *want)
{
    char buf[MCD_ADDR_STRLEN];

    assert_int_equal(a->family, MCD_AF_INET6);
    assert_true(mcd_addr_format(a, buf, sizeof buf) > 0);
    assert_string_equal(buf, want);
}

static void test_v6_prefix_based(void **state)
{
    mcd_addr_info in = classify_ok("ff3e:30:2001:db8::1234");
    (void)state;

    assert_true(in.prefix_based);
    assert_int_equal(in.prefix_len, 48);
    check_addr_is(&in.prefix, "2001:db8::");
    assert_int_equal(in.group_id, 0x1234);
    assert_false(in.embedded_rp);

    /* Bits past plen are not part of the prefix. */
    in = classify_ok("ff3e:20:2001:db8:ffff:ffff::1");
    assert_int_equal(in.prefix_len, 32);
    check_addr_is(&in.prefix, "2001:db8::");
    in = classify_ok("ff3e:2c:2001:db8:ffff:ffff::1");
    check_addr_is(&in.prefix, "2001:db8:fff0::");
    in = classify_ok("ff3e:40:2001:db8:1:2:8000:1");
    check_addr_is(&in.prefix, "2001:db8:1:2::");
    assert_int_equal(in.group_id, 0x80000001u);

    /* RFC 3306 rules broken: still decoded, with a note. */
    in = classify_ok("ff3e:41:2001:db8:1:2:0:1");
    assert_int_equal(in.prefix_len, 65);
    check_addr_is(&in.prefix, "2001:db8:1:2::");
    assert_non_null(in.note);
    in = classify_ok("ff2e:30:2001:db8::1");
    assert_true(in.prefix_based);
    assert_non_null(in.note);
}

static void test_v6_ssm(void **state)
{
    mcd_addr_info in = classify_ok("ff3e::8000:1");
    (void)state;

    assert_string_equal(in.block, "Source-Specific Multicast");
    assert_false(in.asm_ok);
    assert_true(in.prefix_based);
    assert_int_equal(in.prefix_len, 0);
    check_addr_is(&in.prefix, "::");
    assert_int_equal(in.group_id, 0x80000001u);
    assert_false(in.embedded_rp);

    /* Outside ff3x::/32: plen set, or other flags. */
    in = classify_ok("ff3e:10:2001::1");
    assert_true(in.asm_ok);
    in = classify_ok("ff1e::8000:1");
    assert_true(in.asm_ok);
    in = classify_ok("ff7e::1");
    assert_true(in.asm_ok);
}

static void test_v6_embedded_rp(void **state)
{
    mcd_addr_info in = classify_ok("ff7e:140:2001:db8:beef:feed::1234");
    (void)state;

    assert_true(in.flag_r && in.flag_p && in.flag_t);
    assert_true(in.prefix_based);
    assert_int_equal(in.prefix_len, 64);
    check_addr_is(&in.prefix, "2001:db8:beef:feed::");
    assert_int_equal(in.group_id, 0x1234);
    assert_true(in.embedded_rp);
    check_addr_is(&in.rp, "2001:db8:beef:feed::1");

    /* plen 32, RIID 0xf. */
    in = classify_ok("ff75:f20:2001:db8::1");
    assert_true(in.embedded_rp);
    check_addr_is(&in.rp, "2001:db8::f");
    assert_string_equal(in.scope, "site-local");

    /* plen 0 or over 64: not an RP, and said so. */
    static const char *const bad[] = {
        "ff7e:100:2001:db8::1",
        "ff7e:141:2001:db8:1:2:3:4",
        "ff7e:1ff:2001:db8:1:2:3:4",
        "ff5e:140:2001:db8:1:2::1", /* R=1 without P */
        "ff6e:140:2001:db8:1:2::1", /* R=1, P=1, T=0 */
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        in = classify_ok(bad[i]);
        check_bool(bad[i], "embedded_rp", in.embedded_rp, false);
        check_str(bad[i], "block", in.block, "Embedded-RP");
        if (in.note == NULL) {
            print_error("%s: no note\n", bad[i]);
            fail();
        }
        assert_int_equal(in.rp.family, MCD_AF_NONE);
    }
}

static void test_v6_solicited_node(void **state)
{
    mcd_addr_info in = classify_ok("ff02::1:ff00:1234");
    (void)state;

    assert_true(in.solicited_node);
    assert_string_equal(in.assignment, "Solicited-node");
    assert_string_equal(in.scope, "link-local");
    in = classify_ok("ff02::1:ffab:cdef");
    assert_true(in.solicited_node);

    static const char *const not_sn[] = {
        "ff02::1:fe00:1234", "ff05::1:ff00:1234", "ff02::2:ff00:1234",
        "ff02:0:0:0:1:1:ff00:1234", "ff02::1",
    };
    for (size_t i = 0; i < COUNT(not_sn); i++) {
        in = classify_ok(not_sn[i]);
        check_bool(not_sn[i], "solicited_node", in.solicited_node, false);
    }
}

static void test_v6_assignments(void **state)
{
    static const struct {
        const char *addr, *name;
    } rows[] = {
        {"ff02::1", "All Nodes"},
        {"ff01::1", "All Nodes"},
        {"ff02::2", "All Routers"},
        {"ff05::2", "All Routers"},
        {"ff02::5", "OSPFv3 All SPF Routers"},
        {"ff02::6", "OSPFv3 All DR Routers"},
        {"ff02::9", "RIPng Routers"},
        {"ff02::a", "EIGRP Routers"},
        {"ff02::d", "All PIM Routers"},
        {"ff02::12", "VRRP"},
        {"ff02::16", "MLDv2 reports"},
        {"ff02::6b", "PTP peer delay"},
        {"ff02::fb", "mDNSv6"},
        {"ff05::fb", "mDNSv6"},
        {"ff0e::fb", "mDNSv6"},
        {"ff02::fc", "ESP-IDF multicast example group"},
        {"ff02::1:2", "DHCPv6 Relay Agents and Servers"},
        {"ff05::1:3", "DHCPv6 Servers"},
        {"ff02::1:3", "LLMNR"},
        {"ff02::c", "SSDP (UPnP)"},
        {"ff05::c", "SSDP (UPnP)"},
        {"ff08::c", "SSDP (UPnP)"},
        {"ff01::101", "NTP"},
        {"ff0e::101", "NTP"},
        {"ff0e::181", "PTP primary"},
        /* Not well-known: other flags, other scope, other bytes. */
        {"ff12::1", NULL},
        {"ff03::1:3", NULL},
        {"ff05::1", NULL},
        {"ff02:0:0:1::1", NULL},
        {"ff02::1:0:1", NULL},
        {"ff1e::101", NULL},
        {"ff02::fd", NULL},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr_info in = classify_ok(rows[i].addr);
        check_str(rows[i].addr, "assignment", in.assignment, rows[i].name);
    }
}

static void test_v6_mac(void **state)
{
    static const uint8_t want[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0xfb};
    static const uint8_t want_sn[6] = {0x33, 0x33, 0xff, 0x00, 0x12, 0x34};
    mcd_addr_info in = classify_ok("ff02::fb");
    (void)state;

    assert_true(in.has_mac);
    assert_memory_equal(in.mac, want, 6);
    assert_int_equal(in.mac_shared_log2, 96);
    in = classify_ok("ff0e::fb"); /* every scope maps to the same MAC */
    assert_memory_equal(in.mac, want, 6);
    in = classify_ok("ff02::1:ff00:1234");
    assert_memory_equal(in.mac, want_sn, 6);
}

/* ------------------------------------------------------------------------ */
/* IPv6 unicast classification                                               */

struct v6u_row {
    const char *addr, *block, *rfc, *scope;
};

static const struct v6u_row v6u_rows[] = {
    {"::", "Unspecified", "RFC 4291", NULL},
    {"::1", "Loopback", "RFC 4291", "host"},
    {"::2", "Reserved by IETF", "RFC 4291", NULL},
    {"::ffff:0.0.0.0", "IPv4-mapped", "RFC 4291", NULL},
    {"::ffff:10.1.2.3", "IPv4-mapped", "RFC 4291", "global"},
    {"::ffff:127.0.0.1", "IPv4-mapped", "RFC 4291", "host"},
    {"::ffff:255.255.255.255", "IPv4-mapped", "RFC 4291", "link-local"},
    {"fe80::", "Link-local unicast", "RFC 4291", "link-local"},
    {"fe80::1", "Link-local unicast", "RFC 4291", "link-local"},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "Link-local unicast",
     "RFC 4291", "link-local"},
    {"fec0::1", "Site-local unicast (deprecated)", "RFC 3879", "site-local"},
    {"fc00::", "Unique-Local", "RFC 4193", "global"},
    {"fd12:3456::1", "Unique-Local", "RFC 4193", "global"},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "Unique-Local", "RFC 4193",
     "global"},
    {"fe00::1", "Reserved by IETF", "RFC 4291", NULL},
    {"2001:db8::", "Documentation", "RFC 3849", "global"},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "Documentation", "RFC 3849",
     "global"},
    {"2001:db9::", "Global unicast", NULL, "global"},
    {"3fff::1", "Documentation", "RFC 9637", "global"},
    {"3fff:fff::1", "Documentation", "RFC 9637", "global"},
    {"3fff:1000::1", "Global unicast", NULL, "global"},
    {"64:ff9b::", "IPv4-IPv6 Translation", "RFC 6052", "global"},
    {"64:ff9b::c000:201", "IPv4-IPv6 Translation", "RFC 6052", "global"},
    {"64:ff9b::1:0:0", "Reserved by IETF", "RFC 4291", NULL},
    {"64:ff9b:1::1", "IPv4-IPv6 Translation (local use)", "RFC 8215",
     "global"},
    {"100::1", "Discard-Only Address Block", "RFC 6666", "global"},
    {"2001::1", "TEREDO", "RFC 4380", "global"},
    {"2001:2::1", "Benchmarking", "RFC 5180", "global"},
    {"2002:c000:201::1", "6to4", "RFC 3056", "global"},
    {"2606:4700::1111", "Global unicast", NULL, "global"},
    {"2000::", "Global unicast", NULL, "global"},
    {"3fff:ffff::", "Global unicast", NULL, "global"},
    {"4000::1", "Reserved by IETF", "RFC 4291", NULL},
};

static void test_v6_unicast_blocks(void **state)
{
    (void)state;

    for (size_t i = 0; i < COUNT(v6u_rows); i++) {
        const struct v6u_row *r = &v6u_rows[i];
        mcd_addr_info in = classify_ok(r->addr);

        check_bool(r->addr, "multicast", in.multicast, false);
        check_str(r->addr, "block", in.block, r->block);
        check_str(r->addr, "block_rfc", in.block_rfc, r->rfc);
        check_str(r->addr, "scope", in.scope, r->scope);
        check_bool(r->addr, "asm_ok", in.asm_ok, false);
        check_bool(r->addr, "has_mac", in.has_mac, false);
        check_bool(r->addr, "prefix_based", in.prefix_based, false);
    }
}

static void test_v6_mapped_sub_block(void **state)
{
    mcd_addr_info in = classify_ok("::ffff:192.168.1.1");
    (void)state;

    assert_string_equal(in.sub_block, "Private-Use");
    assert_string_equal(in.sub_block_rfc, "RFC 1918");
    in = classify_ok("::ffff:224.0.0.251");
    assert_false(in.multicast);
    assert_string_equal(in.sub_block, "Local Network Control Block");
}

static void test_classify_bad(void **state)
{
    mcd_addr a;
    mcd_addr_info in;
    (void)state;

    memset(&a, 0, sizeof a);
    assert_int_equal(mcd_addr_classify(&a, &in), MCD_E_INVAL);
    a.family = 5;
    assert_int_equal(mcd_addr_classify(&a, &in), MCD_E_INVAL);
    assert_int_equal(mcd_addr_classify(NULL, &in), MCD_E_INVAL);
    a = parse_ok("::1");
    assert_int_equal(mcd_addr_classify(&a, NULL), MCD_E_INVAL);
}

/* Whatever the bytes, classification succeeds and names a block. */
static void test_classify_every_first_byte(void **state)
{
    (void)state;

    for (unsigned fam = 0; fam < 2; fam++)
        for (unsigned b0 = 0; b0 < 256; b0++)
            for (unsigned b1 = 0; b1 < 256; b1 += 17) {
                mcd_addr a;
                mcd_addr_info in;

                memset(&a, 0, sizeof a);
                a.family = fam ? MCD_AF_INET6 : MCD_AF_INET4;
                a.b[0] = (uint8_t)b0;
                a.b[1] = (uint8_t)b1;
                a.b[3] = (uint8_t)(b0 ^ b1);
                assert_int_equal(mcd_addr_classify(&a, &in), 0);
                assert_non_null(in.block);
                assert_true(in.multicast == mcd_addr_is_multicast(&a));
                assert_true(in.has_mac == in.multicast);
                assert_true(!in.asm_ok || in.multicast);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_v4_valid),
        cmocka_unit_test(test_parse_v6_valid),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_parse_zone),
        cmocka_unit_test(test_parse_n),
        cmocka_unit_test(test_parse_n_no_overread),
        cmocka_unit_test(test_format_rfc5952),
        cmocka_unit_test(test_format_round_trip_all_zero_patterns),
        cmocka_unit_test(test_format_round_trip_v4),
        cmocka_unit_test(test_format_too_small),
        cmocka_unit_test(test_format_longest_fits),
        cmocka_unit_test(test_format_bad_family),
        cmocka_unit_test(test_format_v4_ignores_scope),
        cmocka_unit_test(test_equal_and_multicast),
        cmocka_unit_test(test_v4_multicast_blocks),
        cmocka_unit_test(test_v4_sub_block_rfcs),
        cmocka_unit_test(test_v4_assignments),
        cmocka_unit_test(test_v4_default_group),
        cmocka_unit_test(test_v4_glop),
        cmocka_unit_test(test_v4_mac),
        cmocka_unit_test(test_v4_mac_collision),
        cmocka_unit_test(test_v4_unicast_blocks),
        cmocka_unit_test(test_v6_multicast_scopes_flags),
        cmocka_unit_test(test_v6_prefix_based),
        cmocka_unit_test(test_v6_ssm),
        cmocka_unit_test(test_v6_embedded_rp),
        cmocka_unit_test(test_v6_solicited_node),
        cmocka_unit_test(test_v6_assignments),
        cmocka_unit_test(test_v6_mac),
        cmocka_unit_test(test_v6_unicast_blocks),
        cmocka_unit_test(test_v6_mapped_sub_block),
        cmocka_unit_test(test_classify_bad),
        cmocka_unit_test(test_classify_every_first_byte),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
