/*
 * test_neigh.c - the rule on replies to queriers whose link-layer address
 * is unknown (src/net/neigh.c), with a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net.h"

static mcd_addr host(uint32_t i)
{
    mcd_addr a = {.family = MCD_AF_INET4,
                  .b = {198, 18, (uint8_t)(100 + i / 256), (uint8_t)i}};
    return a;
}

static enum mcd_ignore admit(mcd_gate *g, mcd_time now, uint32_t i,
                             enum mcd_nstate st, bool crowded)
{
    mcd_addr a = host(i);
    return mcd_gate_admit_(g, now, &a, 2, st, crowded);
}

/* Queriers the kernel resolved are always answered, and remembered. */
static void resolved_always_pass(void **state)
{
    static mcd_gate g;

    (void)state;
    memset(&g, 0, sizeof g);
    assert_int_equal(admit(&g, 1, 7, MCD_N_RESOLVED, true), MCD_IGNORE_NONE);
    /* Its entry evicted, or in the middle of a new resolution: still. */
    assert_int_equal(admit(&g, 2, 7, MCD_N_NONE, true), MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, 3, 7, MCD_N_PENDING, false), MCD_IGNORE_NONE);
    /* Remembered per interface. */
    mcd_addr a = host(7);
    assert_int_equal(mcd_gate_admit_(&g, 4, &a, 3, MCD_N_NONE, true),
                     MCD_IGNORE_UNRESOLVED);
}

/* Never-resolved queriers: MCD_GATE_COLD per MCD_GATE_HOLD_US, none
 * while the send buffer is crowded. */
static void cold_bounded(void **state)
{
    static mcd_gate g;
    mcd_time t = 1000000;

    (void)state;
    memset(&g, 0, sizeof g);
    assert_int_equal(admit(&g, t, 1, MCD_N_NONE, true), MCD_IGNORE_UNRESOLVED);
    for (uint32_t i = 0; i < MCD_GATE_COLD; i++)
        assert_int_equal(admit(&g, t + i, 1000 + i, MCD_N_NONE, false),
                         MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US - 1, 5000, MCD_N_NONE,
                           false), MCD_IGNORE_UNRESOLVED);
    /* A resolved querier is not held back by the cold ones. */
    assert_int_equal(admit(&g, t + 100, 6000, MCD_N_RESOLVED, false),
                     MCD_IGNORE_NONE);
    /* Once the oldest has had its 3 s, one more may go. */
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 5000, MCD_N_PENDING,
                           false), MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 5001, MCD_N_NONE,
                           false), MCD_IGNORE_UNRESOLVED);
    /* One that resolves frees its place at once (and is remembered). */
    mcd_addr a = host(1005);
    mcd_gate_resolved_(&g, t + 200, &a, 2);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 5001, MCD_N_NONE,
                           false), MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 1005, MCD_N_NONE,
                           true), MCD_IGNORE_NONE);
    /* Where the kernel cannot be asked, only the send buffer decides. */
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 5002, MCD_N_UNKNOWN,
                           false), MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 5002, MCD_N_UNKNOWN,
                           true), MCD_IGNORE_UNRESOLVED);
}

/* More resolved queriers than the table holds: the one seen longest ago
 * is forgotten, the others stay. */
/* ARP/ND gave up on a querier: no reply while its last try is under
 * MCD_GATE_HOLD_US old, then one more try (a real querier whose ARP was
 * lost once is not silenced while the kernel keeps the failed entry). */
static void failed_retried_after_hold(void **state)
{
    static mcd_gate g;
    mcd_time t = 1000000;

    (void)state;
    memset(&g, 0, sizeof g);
    assert_int_equal(admit(&g, t, 9, MCD_N_NONE, false), MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + 1000000, 9, MCD_N_FAILED, false),
                     MCD_IGNORE_UNRESOLVED);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US, 9, MCD_N_FAILED, false),
                     MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + MCD_GATE_HOLD_US + 1, 9, MCD_N_FAILED,
                           false), MCD_IGNORE_UNRESOLVED);
    /* Never tried by us (its failure came from elsewhere): one try now,
     * unless the send buffer is crowded. */
    assert_int_equal(admit(&g, t, 10, MCD_N_FAILED, true),
                     MCD_IGNORE_UNRESOLVED);
    assert_int_equal(admit(&g, t, 10, MCD_N_FAILED, false), MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + 1, 10, MCD_N_FAILED, false),
                     MCD_IGNORE_UNRESOLVED);
    /* A querier resolved before and failed since: the same rule. */
    mcd_addr a = host(11);
    mcd_gate_resolved_(&g, t, &a, 2);
    assert_int_equal(admit(&g, t + 5, 11, MCD_N_FAILED, false),
                     MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, t + 6, 11, MCD_N_FAILED, false),
                     MCD_IGNORE_UNRESOLVED);
}

static void known_table_bounded(void **state)
{
    static mcd_gate g;

    (void)state;
    memset(&g, 0, sizeof g);
    for (uint32_t i = 0; i <= MCD_GATE_KNOWN; i++)
        assert_int_equal(admit(&g, 10 + i, i, MCD_N_RESOLVED, false),
                         MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, 500, 0, MCD_N_NONE, true),
                     MCD_IGNORE_UNRESOLVED);
    assert_int_equal(admit(&g, 500, MCD_GATE_KNOWN, MCD_N_NONE, true),
                     MCD_IGNORE_NONE);
    assert_int_equal(admit(&g, 500, 1, MCD_N_NONE, true), MCD_IGNORE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resolved_always_pass),
        cmocka_unit_test(cold_bounded),
        cmocka_unit_test(failed_retried_after_hold),
        cmocka_unit_test(known_table_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
