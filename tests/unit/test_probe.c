/*
 * test_probe.c - the test header's bytes and the receiver's accounting:
 * loss, duplicates, reordering, restarts, delay and jitter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mcdisc.h"

static mcd_flow table[4];

static mcd_endpoint src(uint8_t last, uint16_t port)
{
    mcd_endpoint ep = {.addr = {.family = MCD_AF_INET4,
                                .b = {198, 18, 0, last}},
                       .port = port};
    return ep;
}

/* Feed one test datagram: sender id, seq, sent at `sent` us, received at
 * `recv` us (both clocks). */
static enum mcd_flow_event feed(mcd_flows *f, const mcd_endpoint *from,
                                uint32_t id, uint64_t seq, uint64_t sent,
                                uint64_t recv, mcd_flow **fl)
{
    uint8_t buf[64] = {0};
    mcd_probe p = {.sender_id = id, .seq = seq, .sent_us = sent, .total = 0};

    assert_int_equal(mcd_probe_encode(&p, buf, sizeof buf), MCD_PROBE_LEN);
    return mcd_flows_input(f, recv, recv, from, buf, 48, fl, NULL);
}

static void header_bytes(void **state)
{
    static const uint8_t want[MCD_PROBE_LEN] = {
        'M', 'C', 'D', 'P', 1, 0, 0, 32,           /* magic, ver, flags, len */
        0xde, 0xad, 0xbe, 0xef,                     /* sender id */
        0, 0, 0, 0, 0, 0, 0x01, 0x02,               /* seq */
        0, 0x05, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x01, /* sent_us */
        0, 0, 0x03, 0xe8,                           /* total 1000 */
    };
    mcd_probe p = {.sender_id = 0xdeadbeef, .seq = 0x102,
                   .sent_us = 0x0005f00000000001ull, .total = 1000};
    mcd_probe q;
    uint8_t buf[MCD_PROBE_LEN];

    (void)state;
    assert_int_equal(mcd_probe_encode(&p, buf, sizeof buf), MCD_PROBE_LEN);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(mcd_probe_encode(&p, buf, MCD_PROBE_LEN - 1),
                     MCD_E_TOOLONG);
    assert_int_equal(mcd_probe_decode(want, sizeof want, &q), 0);
    assert_int_equal(q.sender_id, p.sender_id);
    assert_int_equal(q.seq, p.seq);
    assert_int_equal(q.sent_us, p.sent_us);
    assert_int_equal(q.total, 1000);
}

static void header_rejects(void **state)
{
    uint8_t buf[MCD_PROBE_LEN];
    mcd_probe p = {0}, q;

    (void)state;
    mcd_probe_encode(&p, buf, sizeof buf);
    for (size_t n = 0; n < MCD_PROBE_LEN; n++)
        assert_int_equal(mcd_probe_decode(buf, n, &q), MCD_E_NOTPROBE);
    buf[0] = 'X';
    assert_int_equal(mcd_probe_decode(buf, sizeof buf, &q), MCD_E_NOTPROBE);
    buf[0] = 'M';
    buf[4] = 2; /* a later version */
    assert_int_equal(mcd_probe_decode(buf, sizeof buf, &q), MCD_E_NOTPROBE);
    buf[4] = 1;
    buf[7] = 33; /* another header length */
    assert_int_equal(mcd_probe_decode(buf, sizeof buf, &q), MCD_E_NOTPROBE);
}

static void in_order_no_loss(void **state)
{
    mcd_flows f;
    mcd_flow *fl;
    mcd_endpoint a = src(2, 40000);

    (void)state;
    mcd_flows_init(&f, table, 4);
    assert_int_equal(feed(&f, &a, 7, 0, 1000, 1500, &fl), MCD_FLOW_NEW);
    for (uint64_t s = 1; s < 1000; s++)
        assert_int_equal(feed(&f, &a, 7, s, 1000 + s, 1500 + s, &fl),
                         MCD_FLOW_NEXT);
    assert_int_equal(mcd_flows_count(&f), 1);
    assert_int_equal(fl->received, 1000);
    assert_int_equal(fl->unique, 1000);
    assert_int_equal(fl->bytes, 48000);
    assert_int_equal(mcd_flow_lost(fl), 0);
    assert_int_equal(fl->duplicates, 0);
    assert_int_equal(fl->reordered, 0);
    assert_int_equal(fl->delay_min_us, 500);
    assert_int_equal(fl->delay_max_us, 500);
    assert_int_equal(mcd_flow_jitter_us(fl), 0);
}

static void loss_dup_reorder(void **state)
{
    mcd_flows f;
    mcd_flow *fl;
    mcd_endpoint a = src(2, 40000);
    uint64_t order[] = {0, 1, 3, 2, 2, 6, 9, 5, 9};

    (void)state;
    mcd_flows_init(&f, table, 4);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        feed(&f, &a, 7, order[i], 0, 0, &fl);
    /* Seen: 0 1 2 3 5 6 9 = 7 unique of 0..9: 4, 7, 8 lost. */
    assert_int_equal(fl->received, 9);
    assert_int_equal(fl->unique, 7);
    assert_int_equal(fl->duplicates, 2);
    assert_int_equal(fl->reordered, 2); /* 2 after 3, 5 after 6/9 */
    assert_int_equal(mcd_flow_lost(fl), 3);
}

static void late_join_is_not_loss(void **state)
{
    mcd_flows f;
    mcd_flow *fl;
    mcd_endpoint a = src(2, 40000);

    (void)state;
    mcd_flows_init(&f, table, 4);
    for (uint64_t s = 5000; s < 5100; s++)
        feed(&f, &a, 7, s, 0, 0, &fl);
    assert_int_equal(mcd_flow_lost(fl), 0);
    assert_int_equal(fl->min_seq, 5000);
}

static void window_slides(void **state)
{
    mcd_flows f;
    mcd_flow *fl;
    mcd_endpoint a = src(2, 40000);

    (void)state;
    mcd_flows_init(&f, table, 4);
    feed(&f, &a, 7, 0, 0, 0, &fl);
    feed(&f, &a, 7, 10000, 0, 0, &fl);
    assert_int_equal(feed(&f, &a, 7, 10000, 0, 0, &fl), MCD_FLOW_DUPLICATE);
    /* 0 fell out of the window: late, not a duplicate. */
    assert_int_equal(feed(&f, &a, 7, 0, 0, 0, &fl), MCD_FLOW_LATE);
    /* A hostile jump does not loop or crash. */
    assert_int_equal(feed(&f, &a, 7, UINT64_MAX - 1, 0, 0, &fl), MCD_FLOW_NEXT);
    assert_int_equal(feed(&f, &a, 7, UINT64_MAX - 1, 0, 0, &fl),
                     MCD_FLOW_DUPLICATE);
}

static void restart_detected(void **state)
{
    mcd_flows f;
    mcd_flow *fl, *old;
    mcd_endpoint a = src(2, 40000), a2 = src(2, 40001), b = src(3, 40000);

    (void)state;
    mcd_flows_init(&f, table, 4);
    for (uint64_t s = 0; s < 10; s++)
        feed(&f, &a, 7, s, 0, s, &old);
    /* Same host, new port and id, from 0: the sender ran again. */
    assert_int_equal(feed(&f, &a2, 8, 0, 0, 20, &fl), MCD_FLOW_RESTART);
    assert_true(fl->restarted);
    /* Another host with a new id is just another sender. */
    assert_int_equal(feed(&f, &b, 9, 0, 0, 21, &fl), MCD_FLOW_NEW);
    assert_false(fl->restarted);
    /* The old run speaks again: two senders at once, not a restart. */
    feed(&f, &a, 7, 10, 0, 22, &old);
    assert_false(table[1].restarted);
    assert_int_equal(mcd_flows_count(&f), 3);
}

static void raw_and_full(void **state)
{
    mcd_flows f;
    mcd_flow *fl;
    mcd_endpoint e;

    (void)state;
    mcd_flows_init(&f, table, 4);
    for (uint8_t i = 0; i < 4; i++) {
        e = src((uint8_t)(10 + i), 5000);
        assert_int_equal(mcd_flows_input(&f, 0, 0, &e, (const uint8_t *)"hi",
                                         2, &fl, NULL),
                         MCD_FLOW_RAW);
        assert_false(fl->probe);
        assert_int_equal(mcd_flow_lost(fl), 0);
    }
    e = src(99, 5000);
    assert_int_equal(mcd_flows_input(&f, 0, 0, &e, (const uint8_t *)"hi", 2,
                                     &fl, NULL),
                     MCD_FLOW_FULL);
    assert_null(fl);
}

static void jitter_rfc3550(void **state)
{
    mcd_flows f;
    mcd_flow *fl;
    mcd_endpoint a = src(2, 40000);

    (void)state;
    mcd_flows_init(&f, table, 4);
    /* Transit alternates 100 and 260 us: |D| = 160 each time, so the
     * jitter climbs towards 160. */
    for (uint64_t s = 0; s < 400; s++)
        feed(&f, &a, 7, s, s * 1000, s * 1000 + (s % 2 ? 260 : 100), &fl);
    assert_in_range(mcd_flow_jitter_us(fl), 150, 160);
    assert_int_equal(fl->delay_min_us, 100);
    assert_int_equal(fl->delay_max_us, 260);
    assert_int_equal(fl->delay_sum_us / (int64_t)fl->delay_n, 180);
    /* A clock far apart is clamped, not overflowed. */
    feed(&f, &a, 7, 400, (uint64_t)1 << 62, 0, &fl);
    assert_true(fl->delay_min_us == -((int64_t)1 << 40));
    feed(&f, &a, 7, 401, 0, (uint64_t)1 << 62, &fl);
    assert_true(fl->delay_max_us == ((int64_t)1 << 40));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_bytes),     cmocka_unit_test(header_rejects),
        cmocka_unit_test(in_order_no_loss), cmocka_unit_test(loss_dup_reorder),
        cmocka_unit_test(late_join_is_not_loss),
        cmocka_unit_test(window_slides),    cmocka_unit_test(restart_detected),
        cmocka_unit_test(raw_and_full),     cmocka_unit_test(jitter_rfc3550),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
