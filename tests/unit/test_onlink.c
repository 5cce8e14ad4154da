/*
 * test_onlink.c - the on-link rules (src/core/onlink.c): prefix match,
 * link-local, IPv4 directed broadcast. Table-driven; a failing row
 * prints its addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mcdisc.h"

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

static mcd_addr addr(const char *text)
{
    mcd_addr a;

    if (mcd_addr_parse(text, &a) != 0)
        fail_msg("bad test address %s", text);
    return a;
}

struct prefix_row {
    const char *a, *prefix;
    unsigned bits;
    bool in, broadcast;
};

static const struct prefix_row prefix_rows[] = {
    {"192.168.1.7", "192.168.1.0", 24, true, false},
    {"192.168.1.255", "192.168.1.0", 24, true, true},
    {"192.168.2.7", "192.168.1.0", 24, false, false},
    {"192.168.2.255", "192.168.1.0", 24, false, false},
    /* Bits past the prefix length in the prefix itself do not count. */
    {"10.1.2.3", "10.200.0.1", 8, true, false},
    {"10.255.255.255", "10.200.0.1", 8, true, true},
    /* A prefix length that is not a whole byte. */
    {"172.16.15.1", "172.16.0.0", 20, true, false},
    {"172.16.15.255", "172.16.0.0", 20, true, true},
    {"172.16.16.1", "172.16.0.0", 20, false, false},
    /* /31 and /32 have no broadcast (RFC 3021). */
    {"10.0.0.1", "10.0.0.0", 31, true, false},
    {"10.0.0.1", "10.0.0.1", 32, true, false},
    {"10.0.0.2", "10.0.0.1", 32, false, false},
    /* /0 holds every address of the family. */
    {"203.0.113.9", "0.0.0.0", 0, true, false},
    {"255.255.255.255", "0.0.0.0", 0, true, true},
    /* Longer than the family: no prefix at all. */
    {"10.0.0.1", "10.0.0.1", 33, false, false},
    {"2001:db8::1", "2001:db8::", 32, true, false},
    {"2001:db8:1::1", "2001:db8::", 48, false, false},
    {"2001:db8::1", "2001:db8::1", 128, true, false},
    {"2001:db8::1", "2001:db8::1", 129, false, false},
    {"fe80::1", "fe80::", 10, true, false},
    {"febf::1", "fe80::", 10, true, false},
    {"fec0::1", "fe80::", 10, false, false},
    /* Families never mix, not even under /0. */
    {"10.0.0.1", "::", 0, false, false},
    {"::ffff:10.0.0.1", "10.0.0.0", 8, false, false},
};

static void test_prefix_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(prefix_rows); i++) {
        const struct prefix_row *r = &prefix_rows[i];
        mcd_addr a = addr(r->a), p = addr(r->prefix);

        if (mcd_addr_in_prefix(&a, &p, r->bits) != r->in)
            fail_msg("%s in %s/%u: expected %d", r->a, r->prefix, r->bits,
                     r->in);
        if (mcd_addr_is_broadcast(&a, &p, r->bits) != r->broadcast)
            fail_msg("%s broadcast of %s/%u: expected %d", r->a, r->prefix,
                     r->bits, r->broadcast);
    }
}

static void test_link_local(void **state)
{
    static const struct {
        const char *a;
        bool ll;
    } rows[] = {
        {"fe80::1", true},         {"febf:ffff::1", true},
        {"fec0::1", false},        {"fe7f::1", false},
        {"ff02::1", false},        {"2001:db8::1", false},
        {"169.254.0.1", true},     {"169.254.255.255", true},
        {"169.253.0.1", false},    {"169.255.0.1", false},
        {"10.169.254.1", false},   {"::ffff:169.254.0.1", false},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(rows); i++) {
        mcd_addr a = addr(rows[i].a);

        if (mcd_addr_is_link_local(&a) != rows[i].ll)
            fail_msg("%s link-local: expected %d", rows[i].a, rows[i].ll);
    }
}

/* NULL and a value of no family are never on a link. */
static void test_null_and_none(void **state)
{
    mcd_addr a = addr("10.0.0.1"), none = {0};

    (void)state;
    assert_false(mcd_addr_in_prefix(NULL, &a, 8));
    assert_false(mcd_addr_in_prefix(&a, NULL, 8));
    assert_false(mcd_addr_in_prefix(&none, &none, 0));
    assert_false(mcd_addr_is_link_local(NULL));
    assert_false(mcd_addr_is_link_local(&none));
    assert_false(mcd_addr_is_broadcast(NULL, &a, 8));
    assert_false(mcd_addr_is_broadcast(&a, NULL, 8));
}

/* --allow-from's prefixes: strict, and hostile text refused. */
struct subnet_row {
    const char *text;
    int err;
    unsigned bits;
};

static const struct subnet_row subnet_rows[] = {
    {"10.1.0.0/16", 0, 16},
    {"198.18.0.0/15", 0, 15},
    {"10.1.2.3/32", 0, 32},
    {"2001:db8:1::/64", 0, 64},
    {"::ffff:10.1.0.0/112", 0, 112},
    {"2001:db8::1/128", 0, 128},
    /* A /0 trusts every source: --allow-offlink, not a prefix. */
    {"0.0.0.0/0", MCD_E_BADPREFIX, 0},
    {"::/0", MCD_E_BADPREFIX, 0},
    /* Host bits set: a typo for some other prefix. */
    {"10.1.2.3/8", MCD_E_PREFIXHOST, 0},
    {"2001:db8::1/64", MCD_E_PREFIXHOST, 0},
    {"10.1.0.1/31", MCD_E_PREFIXHOST, 0},
    /* Past the family's width, or a length written loosely. */
    {"10.0.0.0/33", MCD_E_BADPREFIX, 0},
    {"2001:db8::/129", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/08", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/+8", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/ 8", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/8 ", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/4294967304", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/", MCD_E_BADPREFIX, 0},
    {"10.0.0.0", MCD_E_BADPREFIX, 0},
    {"/8", MCD_E_BADPREFIX, 0},
    {"", MCD_E_BADPREFIX, 0},
    {"10.0.0.0//8", MCD_E_BADPREFIX, 0},
    {"10.0.0.0/8/8", MCD_E_BADPREFIX, 0},
    {"010.0.0.0/8", MCD_E_BADPREFIX, 0},
    {"fe80::%1/64", MCD_E_BADPREFIX, 0},
    {"host.example/24", MCD_E_BADPREFIX, 0},
};

static void test_subnet_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(subnet_rows); i++) {
        const struct subnet_row *r = &subnet_rows[i];
        mcd_subnet p = {.bits = 99};
        int err = mcd_subnet_parse(r->text, strlen(r->text), &p);

        if (err != r->err)
            fail_msg("'%s': %d, expected %d", r->text, err, r->err);
        if (err == 0 && p.bits != r->bits)
            fail_msg("'%s': /%u", r->text, p.bits);
        if (err != 0 && p.bits != 99)
            fail_msg("'%s': out written on failure", r->text);
    }
    /* Only the first len bytes are read. */
    mcd_subnet p;
    assert_int_equal(mcd_subnet_parse("10.0.0.0/8,junk", 10, &p), 0);
    assert_int_equal(mcd_subnet_parse(NULL, 0, &p), MCD_E_BADPREFIX);
    assert_int_equal(mcd_subnet_parse(NULL, 3, &p), MCD_E_INVAL);
    assert_int_equal(mcd_subnet_parse("10.0.0.0/8", 10, NULL), MCD_E_INVAL);
}

static void test_subnet_list(void **state)
{
    mcd_subnet t[3];
    size_t n = 99;
    mcd_addr v4 = addr("10.1.7.7"), v6 = addr("2001:db8:1::7"),
             mapped = addr("::ffff:10.1.7.7"), out4 = addr("10.2.0.1");

    (void)state;
    assert_int_equal(mcd_subnet_list_parse("10.1.0.0/16,2001:db8:1::/64", t,
                                           3, &n), 0);
    assert_int_equal(n, 2);
    assert_true(mcd_subnet_match(t, n, &v4));
    assert_true(mcd_subnet_match(t, n, &v6));
    assert_false(mcd_subnet_match(t, n, &out4));
    /* Mixed families never match across: an IPv4 prefix does not take
     * the IPv6 address whose first bytes spell it, nor its mapped form. */
    assert_false(mcd_subnet_match(t, 1, &v6));
    assert_false(mcd_subnet_match(t, 1, &mapped));
    assert_false(mcd_subnet_match(t + 1, 1, &v4));
    assert_false(mcd_subnet_match(t, 0, &v4));
    assert_false(mcd_subnet_match(NULL, 2, &v4));
    /* Too many, empty elements, a bad one anywhere: refused, n kept. */
    n = 99;
    assert_int_equal(mcd_subnet_list_parse("10.0.0.0/8,10.1.0.0/16,"
                                           "10.2.0.0/16,10.3.0.0/16", t, 3,
                                           &n), MCD_E_PREFIXES);
    assert_int_equal(mcd_subnet_list_parse("10.0.0.0/8,", t, 3, &n),
                     MCD_E_BADPREFIX);
    assert_int_equal(mcd_subnet_list_parse(",10.0.0.0/8", t, 3, &n),
                     MCD_E_BADPREFIX);
    assert_int_equal(mcd_subnet_list_parse("10.0.0.0/8, 10.1.0.0/16", t, 3,
                                           &n), MCD_E_BADPREFIX);
    assert_int_equal(mcd_subnet_list_parse("10.0.0.0/8,10.1.2.3/16", t, 3,
                                           &n), MCD_E_PREFIXHOST);
    assert_int_equal(mcd_subnet_list_parse("", t, 3, &n), MCD_E_BADPREFIX);
    assert_int_equal(n, 99);
    assert_int_equal(mcd_subnet_list_parse(NULL, t, 3, &n), MCD_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_rows),
        cmocka_unit_test(test_link_local),
        cmocka_unit_test(test_null_and_none),
        cmocka_unit_test(test_subnet_rows),
        cmocka_unit_test(test_subnet_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
