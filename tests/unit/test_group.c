/*
 * test_group.c - group arguments: the core's parser on the caller's
 * buffer (mcd_group_text_parse) and the POSIX layer's wrapper that looks
 * the zone up (mcd_group_spec_parse).
 *
 * Table-driven: each row is one argument and what must come of it; a
 * failing row prints its text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

struct row {
    const char *text;
    int rc;
    const char *group; /* mcd_addr_format() of the group, when rc is 0 */
    uint16_t port;
    const char *zone;  /* NULL: none */
};

/* default_port is 3333 in every row. */
static const struct row rows[] = {
    /* IPv4, with and without a port. */
    {"232.10.11.12", 0, "232.10.11.12", 3333, NULL},
    {"232.10.11.12:5000", 0, "232.10.11.12", 5000, NULL},
    {"224.0.0.251:1", 0, "224.0.0.251", 1, NULL},
    {"239.255.255.250:65535", 0, "239.255.255.250", 65535, NULL},
    {"[232.1.2.3]:7", 0, "232.1.2.3", 7, NULL},
    /* IPv6: bare (no port: its colons are the address's), bracketed. */
    {"ff02::1", 0, "ff02::1", 3333, NULL},
    {"ff02::1:5000", 0, "ff02::1:5000", 3333, NULL},
    {"[ff02::1]", 0, "ff02::1", 3333, NULL},
    {"[ff02::1]:5000", 0, "ff02::1", 5000, NULL},
    {"[FF3E::8000:1]:65535", 0, "ff3e::8000:1", 65535, NULL},
    /* Zones: a name is left to the caller, a number is read too. */
    {"[ff02::1%eth0]:5000", 0, "ff02::1", 5000, "eth0"},
    {"ff02::1%eth0", 0, "ff02::1", 3333, "eth0"},
    {"[ff02::1%3]:9", 0, "ff02::1%3", 9, "3"},
    {"ff02::1%", 0, "ff02::1", 3333, ""},
    {"ff02::1%lo.100", 0, "ff02::1", 3333, "lo.100"},
    {"ff02::1%0", 0, "ff02::1", 3333, "0"},
    /* Ports: strict decimal, 1-65535, no leading zero, sign or space. */
    {"232.1.2.3:", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:0", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:65536", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:080", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:00", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:0x50", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:+80", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:-1", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3: 80", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:80 ", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:1e3", MCD_E_BADPORT, NULL, 0, NULL},
    {"232.1.2.3:99999999999999999999", MCD_E_BADPORT, NULL, 0, NULL},
    {"[ff02::1]:", MCD_E_BADPORT, NULL, 0, NULL},
    {"[ff02::1]:0", MCD_E_BADPORT, NULL, 0, NULL},
    {"[ff02::1]:65536", MCD_E_BADPORT, NULL, 0, NULL},
    {"[ff02::1]:080", MCD_E_BADPORT, NULL, 0, NULL},
    /* Brackets. */
    {"", MCD_E_BADADDR, NULL, 0, NULL},
    {"[", MCD_E_BADADDR, NULL, 0, NULL},
    {"[]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[]:5000", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1]x", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1]]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1]:[5000]", MCD_E_BADPORT, NULL, 0, NULL},
    {"ff02::1]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[[ff02::1]]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1]5000", MCD_E_BADADDR, NULL, 0, NULL},
    /* Addresses. */
    {":5000", MCD_E_BADADDR, NULL, 0, NULL},
    {" 232.1.2.3", MCD_E_BADADDR, NULL, 0, NULL},
    {"232.1.2.3 ", MCD_E_BADADDR, NULL, 0, NULL},
    {"232.01.2.3", MCD_E_BADADDR, NULL, 0, NULL},
    {"232.1.2.3:5000:1", MCD_E_BADADDR, NULL, 0, NULL},
    {"0xe8.1.2.3", MCD_E_BADADDR, NULL, 0, NULL},
    {"group", MCD_E_BADADDR, NULL, 0, NULL},
    /* Zones only on IPv6, and only of bytes that can be written back. */
    {"232.1.2.3%eth0", MCD_E_BADADDR, NULL, 0, NULL},
    {"[232.1.2.3%1]:5000", MCD_E_BADADDR, NULL, 0, NULL},
    {"ff02::1%a]b", MCD_E_BADADDR, NULL, 0, NULL},
    {"ff02::1%eth0:5000", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1%a%b]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1%a b]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1%\t]", MCD_E_BADADDR, NULL, 0, NULL},
    {"[ff02::1%\xc3\xa9]", MCD_E_BADADDR, NULL, 0, NULL},
    /* Not multicast: reported before the port. */
    {"10.0.0.1", MCD_E_NOTMCAST, NULL, 0, NULL},
    {"10.0.0.1:0", MCD_E_NOTMCAST, NULL, 0, NULL},
    {"[fe80::1%eth0]:5000", MCD_E_NOTMCAST, NULL, 0, NULL},
    {"::ffff:232.1.2.3", MCD_E_NOTMCAST, NULL, 0, NULL},
};

static void check_row(const struct row *r, const mcd_group_text *g, int rc)
{
    char a[MCD_ADDR_STRLEN];

    if (rc != r->rc) {
        print_error("'%s': %s, expected %s\n", r->text, mcd_errname(rc),
                    mcd_errname(r->rc));
        fail();
    }
    if (rc != 0)
        return;
    assert_true(mcd_addr_format(&g->group, a, sizeof a) > 0);
    if (strcmp(a, r->group) != 0 || g->port != r->port) {
        print_error("'%s': %s port %u, expected %s port %u\n", r->text, a,
                    g->port, r->group, r->port);
        fail();
    }
    if ((g->zone == NULL) != (r->zone == NULL) ||
        (r->zone != NULL && (g->zone_len != strlen(r->zone) ||
                             memcmp(g->zone, r->zone, g->zone_len) != 0))) {
        print_error("'%s': zone '%.*s', expected '%s'\n", r->text,
                    (int)g->zone_len, g->zone ? g->zone : "",
                    r->zone ? r->zone : "(none)");
        fail();
    }
}

/* Each row from a heap buffer of exactly its length, no NUL after it, so
 * ASan sees any read past the end. */
static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(rows); i++) {
        size_t n = strlen(rows[i].text);
        char *buf = malloc(n ? n : 1);
        mcd_group_text g;

        assert_non_null(buf);
        memcpy(buf, rows[i].text, n);
        int rc = mcd_group_text_parse(buf, n, 3333, &g);
        if (rc == 0 && g.zone != NULL)
            assert_true(g.zone >= buf && g.zone + g.zone_len <= buf + n);
        /* Compare while buf (where g.zone points) is alive. */
        check_row(&rows[i], &g, rc);
        free(buf);
    }
}

/* Only `len` bytes count: what follows in the buffer is not read. */
static void test_len_bounds(void **state)
{
    mcd_group_text g;
    (void)state;

    assert_int_equal(mcd_group_text_parse("232.1.2.3:5000", 9, 1, &g), 0);
    assert_int_equal(g.port, 1);
    assert_int_equal(mcd_group_text_parse("[ff02::1]:5000", 9, 1, &g), 0);
    assert_int_equal(g.port, 1);
    assert_int_equal(mcd_group_text_parse("[ff02::1%eth0]", 13, 1, &g),
                     MCD_E_BADADDR);
    /* An embedded NUL is a byte like any other: not an end. */
    assert_int_equal(mcd_group_text_parse("232.1.2.3\0:80", 13, 1, &g),
                     MCD_E_BADADDR);
    assert_int_equal(mcd_group_text_parse("232.1.2.3:8\0", 12, 1, &g),
                     MCD_E_BADPORT);
    assert_int_equal(mcd_group_text_parse("[ff02::1%e\0]", 12, 1, &g),
                     MCD_E_BADADDR);
}

/* The host part is at most MCD_GROUP_HOST_MAX bytes. */
static void test_overlong(void **state)
{
    char buf[MCD_GROUP_HOST_MAX + 16];
    mcd_group_text g;
    (void)state;

    memset(buf, 'a', sizeof buf);
    memcpy(buf, "[ff02::1%", 9);
    /* Host: "ff02::1%" and zone bytes up to the limit. */
    buf[1 + MCD_GROUP_HOST_MAX] = ']';
    assert_int_equal(mcd_group_text_parse(buf, MCD_GROUP_HOST_MAX + 2, 1, &g),
                     0);
    assert_int_equal(g.zone_len, MCD_GROUP_HOST_MAX - 8);
    buf[1 + MCD_GROUP_HOST_MAX] = 'a';
    buf[2 + MCD_GROUP_HOST_MAX] = ']';
    assert_int_equal(mcd_group_text_parse(buf, MCD_GROUP_HOST_MAX + 3, 1, &g),
                     MCD_E_BADADDR);
    /* A long run of digits is no port. */
    char port[64] = "232.1.2.3:";
    memset(port + 10, '1', 40);
    assert_int_equal(mcd_group_text_parse(port, 50, 1, &g), MCD_E_BADPORT);
}

/* On MCD_E_NOTMCAST and MCD_E_BADPORT the group and zone are known, so a
 * caller can report an unknown zone first. */
static void test_partial_on_failure(void **state)
{
    const char *t = "[ff02::1%eth1]:0";
    mcd_group_text g;
    (void)state;

    assert_int_equal(mcd_group_text_parse(t, strlen(t), 1, &g),
                     MCD_E_BADPORT);
    assert_non_null(g.zone);
    assert_int_equal(g.zone_len, 4);
    assert_memory_equal(g.zone, "eth1", 4);
    assert_int_equal(g.group.family, MCD_AF_INET6);
}

/* The POSIX wrapper: the zone looked up by name (lo is in every network
 * namespace), else taken as a number; errors in the order they always
 * came: address, zone, multicast, port. */
static void test_spec_parse(void **state)
{
    mcd_group_spec s;
    char t[64];
    unsigned lo = if_nametoindex("lo");
    (void)state;

    assert_true(lo > 0);
    assert_int_equal(mcd_group_spec_parse("[ff02::1%lo]:5000", 1, &s), 0);
    assert_int_equal(s.group.scope_id, lo);
    assert_int_equal(s.port, 5000);
    assert_int_equal(s.source.family, MCD_AF_NONE);
    assert_int_equal(mcd_group_spec_parse("ff02::1%7", 1, &s), 0);
    assert_int_equal(s.group.scope_id, 7);
    assert_int_equal(s.port, 1);
    assert_int_equal(mcd_group_spec_parse("232.1.2.3:80", 1, &s), 0);
    assert_int_equal(s.port, 80);
    assert_int_equal(s.group.scope_id, 0);
    assert_int_equal(mcd_group_spec_parse("ff02::1%nosuch0", 1, &s),
                     MCD_E_NOIFACE);
    assert_int_equal(mcd_group_spec_parse("ff02::1%", 1, &s), MCD_E_NOIFACE);
    assert_int_equal(mcd_group_spec_parse("ff02::1%0", 1, &s),
                     MCD_E_NOIFACE);
    snprintf(t, sizeof t, "ff02::1%%%s", "abcdefghijklmnopq");
    assert_int_equal(mcd_group_spec_parse(t, 1, &s), MCD_E_NOIFACE);
    assert_int_equal(mcd_group_spec_parse("fe80::1%nosuch0", 1, &s),
                     MCD_E_NOIFACE);
    assert_int_equal(mcd_group_spec_parse("[ff02::1%nosuch0]:0", 1, &s),
                     MCD_E_NOIFACE);
    assert_int_equal(mcd_group_spec_parse("[ff02::1%lo]:0", 1, &s),
                     MCD_E_BADPORT);
    assert_int_equal(mcd_group_spec_parse("fe80::1%lo", 1, &s),
                     MCD_E_NOTMCAST);
    assert_int_equal(mcd_group_spec_parse("232.1.2.3:080", 1, &s),
                     MCD_E_BADPORT);
    assert_int_equal(mcd_group_spec_parse("[ff02::1", 1, &s), MCD_E_BADADDR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_len_bounds),
        cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_partial_on_failure),
        cmocka_unit_test(test_spec_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
