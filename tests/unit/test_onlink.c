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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_rows),
        cmocka_unit_test(test_link_local),
        cmocka_unit_test(test_null_and_none),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
