/*
 * test_null.c - the NULL policy written at the top of mcdisc/core.h, for
 * every function it names and the POSIX layer's two parsers: a NULL
 * pointer gets MCD_E_INVAL (a predicate false), a NULL buffer of length 0
 * is an empty one, and nothing is written to the output on the way.
 *
 * One table: each row is a call, what it returned, and what it must.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mcdisc.h"

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

struct row {
    const char *call;
    int got, want;
};

#define ROW(call, want) {#call, (int)(call), (want)}

static void check_rows(const struct row *rows, size_t n)
{
    bool ok = true;

    for (size_t i = 0; i < n; i++) {
        if (rows[i].got == rows[i].want)
            continue;
        print_error("%s: %s (%d), expected %s (%d)\n", rows[i].call,
                    mcd_errname(rows[i].got), rows[i].got,
                    mcd_errname(rows[i].want), rows[i].want);
        ok = false;
    }
    assert_true(ok);
}

static void test_addr_text(void **state)
{
    mcd_addr a = {.family = MCD_AF_INET4};
    mcd_addr_info in;
    char buf[MCD_ADDR_STRLEN];
    size_t z;
    (void)state;

    const struct row rows[] = {
        ROW(mcd_addr_parse(NULL, &a), MCD_E_INVAL),
        ROW(mcd_addr_parse("::1", NULL), MCD_E_INVAL),
        ROW(mcd_addr_parse(NULL, NULL), MCD_E_INVAL),
        ROW(mcd_addr_parse_n(NULL, 3, &a, &z), MCD_E_INVAL),
        ROW(mcd_addr_parse_n("::1", 3, NULL, &z), MCD_E_INVAL),
        ROW(mcd_addr_parse_n(NULL, 0, &a, &z), MCD_E_BADADDR),
        ROW(mcd_addr_parse_n(NULL, 0, &a, NULL), MCD_E_BADADDR),
        ROW(mcd_addr_format(NULL, buf, sizeof buf), MCD_E_INVAL),
        ROW(mcd_addr_format(&a, NULL, 5), MCD_E_INVAL),
        ROW(mcd_addr_format(&a, NULL, 0), MCD_E_TOOLONG),
        ROW(mcd_addr_classify(NULL, &in), MCD_E_INVAL),
        ROW(mcd_addr_classify(&a, NULL), MCD_E_INVAL),
        ROW(mcd_addr_equal(NULL, &a), false),
        ROW(mcd_addr_equal(&a, NULL), false),
        ROW(mcd_addr_is_multicast(NULL), false),
    };
    check_rows(rows, COUNT(rows));
    /* Nothing written on the way out. */
    assert_int_equal(a.family, MCD_AF_INET4);
}

static void test_group_text(void **state)
{
    mcd_group_text g;
    mcd_group_spec s = {.port = 7};
    (void)state;

    const struct row rows[] = {
        ROW(mcd_group_text_parse(NULL, 5, 1, &g), MCD_E_INVAL),
        ROW(mcd_group_text_parse("ff02::1", 7, 1, NULL), MCD_E_INVAL),
        ROW(mcd_group_text_parse(NULL, 0, 1, &g), MCD_E_BADADDR),
        ROW(mcd_group_spec_parse(NULL, 1, &s), MCD_E_INVAL),
        ROW(mcd_group_spec_parse("ff02::1", 1, NULL), MCD_E_INVAL),
    };
    check_rows(rows, COUNT(rows));
    assert_int_equal(s.port, 7);
}

static void test_resolve(void **state)
{
    mcd_addr a = {.family = MCD_AF_INET4};
    (void)state;

    /* It crashed before the policy (strlen(NULL)). */
    const struct row rows[] = {
        ROW(mcd_addr_resolve(NULL, &a), MCD_E_INVAL),
        ROW(mcd_addr_resolve("fe80::1%lo", NULL), MCD_E_INVAL),
        ROW(mcd_addr_resolve(NULL, NULL), MCD_E_INVAL),
    };
    check_rows(rows, COUNT(rows));
    assert_int_equal(a.family, MCD_AF_INET4);
}

static void test_wire(void **state)
{
    mcd_reply r = {.port = 7};
    uint8_t buf[MCD_REPLY_MAX];
    (void)state;

    const struct row rows[] = {
        ROW(mcd_query_check(NULL, 5), MCD_E_INVAL),
        ROW(mcd_query_check(NULL, 0), MCD_E_BADTEXT),
        ROW(mcd_reply_parse(NULL, 5, &r), MCD_E_INVAL),
        ROW(mcd_reply_parse((const uint8_t *)"a b 1", 5, NULL), MCD_E_INVAL),
        ROW(mcd_reply_parse(NULL, 0, &r), MCD_E_BADREPLY),
        ROW(mcd_reply_format(NULL, "https", 443, buf, sizeof buf),
            MCD_E_INVAL),
        ROW(mcd_reply_format("n", NULL, 443, buf, sizeof buf), MCD_E_INVAL),
        ROW(mcd_reply_format("n", "https", 443, NULL, 5), MCD_E_INVAL),
        ROW(mcd_reply_format("n", "https", 443, NULL, 0), MCD_E_TOOLONG),
    };
    check_rows(rows, COUNT(rows));
    assert_int_equal(r.port, 7);
}

static void test_probe(void **state)
{
    mcd_probe p = {.seq = 7};
    uint8_t buf[MCD_PROBE_LEN];
    (void)state;

    memset(buf, 0, sizeof buf);
    const struct row rows[] = {
        ROW(mcd_probe_encode(NULL, buf, sizeof buf), MCD_E_INVAL),
        ROW(mcd_probe_encode(&p, NULL, 5), MCD_E_INVAL),
        ROW(mcd_probe_encode(&p, NULL, 0), MCD_E_TOOLONG),
        ROW(mcd_probe_decode(NULL, MCD_PROBE_LEN, &p), MCD_E_INVAL),
        ROW(mcd_probe_decode(buf, sizeof buf, NULL), MCD_E_INVAL),
        ROW(mcd_probe_decode(NULL, 0, &p), MCD_E_NOTPROBE),
    };
    check_rows(rows, COUNT(rows));
    assert_int_equal(p.seq, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_text),
        cmocka_unit_test(test_group_text),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_wire),
        cmocka_unit_test(test_probe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
