/*
 * test_keys.c - keys (docs/PROTOCOL.md, "Keys: authenticated replies"):
 * the mbedTLS glue against RFC 4231, the MAC TLV against the page's
 * vector (computed independently with Python's hmac), the keyed
 * responder core (the MAC always fits, never past the query's length),
 * and the keyed client core against hostile replies: another key, a
 * flipped byte anywhere, the MAC not last, a cut MAC, a reply replayed to
 * a later nonce, unkeyed and keyed replies to keyed and unkeyed clients,
 * a forger answering first with a device's id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mcdisc.h"

static const char Q[] = MCD_DEFAULT_QUERY;
#define QLEN (sizeof Q - 1)
#define MS 1000u

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;

    for (; s[0] && s[1]; s += 2) {
        unsigned v;

        while (*s == ' ')
            s++;
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* The glue: HMAC-SHA-256 (RFC 4231 section 4), the key id                  */

static void hmac_case(const uint8_t *key, size_t klen, const void *data,
                      size_t len, const char *want_hex)
{
    uint8_t out[32], want[32];

    assert_int_equal(unhex(want_hex, want), 32);
    assert_int_equal(mcd_hmac_sha256(key, klen, data, len, out), 0);
    assert_memory_equal(out, want, 32);
}

static void rfc4231(void **state)
{
    uint8_t k[131], d[50];
    static const char t6[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char t7[] =
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.";
    (void)state;

    memset(k, 0x0b, 20);
    hmac_case(k, 20, "Hi There", 8,
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_case((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    hmac_case(k, 20, d, 50,
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (uint8_t i = 0; i < 25; i++)
        k[i] = (uint8_t)(i + 1);
    memset(d, 0xcd, 50);
    hmac_case(k, 25, d, 50,
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0xaa, 131);
    hmac_case(k, 131, t6, sizeof t6 - 1,
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    hmac_case(k, 131, t7, sizeof t7 - 1,
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static mcd_key key_a, key_b;

static void set_key(mcd_key *k, const char *text)
{
    assert_int_equal(mcd_key_set(k, (const uint8_t *)text, strlen(text)), 0);
}

static void key_rules(void **state)
{
    mcd_key k;
    uint8_t big[MCD_KEY_MAX + 1];
    (void)state;

    assert_int_equal(mcd_key_set(&k, (const uint8_t *)"fifteen bytes!!", 15),
                     MCD_E_KEYSHORT);
    memset(big, 'x', sizeof big);
    assert_int_equal(mcd_key_set(&k, big, sizeof big), MCD_E_KEYLONG);
    assert_int_equal(mcd_key_set(&k, big, MCD_KEY_MAX), 0);
    assert_int_equal(mcd_key_set(&k, big, MCD_KEY_MIN), 0);
    /* The key id: SHA-256("mcdisc-example-key") begins 4a 85 7c f5. */
    set_key(&k, "mcdisc-example-key");
    assert_memory_equal(k.mac.key_id, "\x4a\x85\x7c\xf5", 4);
    mcd_key_wipe(&k);
    assert_int_equal(k.len, 0);
    assert_null(k.mac.fn);
}

/* ------------------------------------------------------------------------ */
/* The MAC TLV: docs/PROTOCOL.md's vector                                    */

static const char SPEC_REPLY[] =
    "45535033322d433320536d617274204c6967687420687474707320343433 00"
    "4d434458 01 02 00 0102030405060708 0011223344556677"
    "03 0008 66773d312e342e32"
    "03 000d 6d6f64656c3d43332d4c616d70";

static void mac_tlv_vector(void **state)
{
    uint8_t b[MCD_EXT_MAX], want[16];
    size_t n = unhex(SPEC_REPLY, b);
    mcd_ext_reply er;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    assert_int_equal(n, 81);
    assert_int_equal(mcd_ext_mac_append(&key_a.mac, b, n, sizeof b), 104);
    assert_memory_equal(b + 81, "\x05\x00\x14\x4a\x85\x7c\xf5", 7);
    unhex("4b3bf0cf2ad523238e180f9d50304ed9", want);
    assert_memory_equal(b + 88, want, 16);
    assert_int_equal(mcd_ext_reply_decode(b, 104, &er), 0);
    assert_int_equal(mcd_ext_mac_check(&key_a.mac, b, 104, &er), MCD_MAC_OK);
    /* No room: nothing half written counts. */
    assert_int_equal(mcd_ext_mac_append(&key_a.mac, b, 81, 103),
                     MCD_E_TOOLONG);
    /* Without a MAC TLV: none. */
    assert_int_equal(mcd_ext_reply_decode(b, 81, &er), 0);
    assert_int_equal(mcd_ext_mac_check(&key_a.mac, b, 81, &er), MCD_MAC_NONE);
}

/* ------------------------------------------------------------------------ */
/* The keyed responder core                                                  */

static const uint8_t ID[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
static uint8_t reply[MCD_REPLY_MAX], tpl[MCD_EXT_MAX];

static void keyed_responder(mcd_rcore *rc, const mcd_key *k)
{
    static const char *const txt[] = {"fw=1.4.2", "model=C3-Lamp"};
    mcd_rcore_config c;
    size_t base;
    int n = mcd_reply_format(MCD_DEFAULT_NAME, MCD_DEFAULT_PROTO, 443, reply,
                             sizeof reply);

    assert_int_equal(n, 30);
    c = (mcd_rcore_config){
        .query = (const uint8_t *)Q, .query_len = QLEN,
        .reply = reply, .reply_len = (size_t)n,
        .group = {.family = MCD_AF_INET4, .b = {232, 10, 11, 12}},
        .ext_enabled = true,
    };
    n = mcd_ext_reply_template(reply, c.reply_len, ID, txt, 2, tpl,
                               sizeof tpl, &base);
    assert_int_equal(n, 81);
    c.ext_reply = tpl;
    c.ext_reply_len = (size_t)n;
    c.ext_base_len = base;
    memcpy(c.id, ID, 8);
    if (k != NULL)
        c.mac = k->mac;
    assert_int_equal(mcd_rcore_init(rc, &c, 0), 0);
}

static size_t ext_query(uint8_t *out, const uint8_t nonce[8], size_t pad)
{
    mcd_ext_query q = {.has_window = true, .window_ms = 0};
    int n;

    memcpy(q.nonce, nonce, 8);
    n = mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, pad, out,
                             MCD_EXT_MAX);
    assert_true(n > 0);
    return (size_t)n;
}

/* Ask rc with a query of at least `pad` bytes; the reply into out (0: none
 * and *why set). */
static size_t ask(mcd_rcore *rc, const uint8_t nonce[8], size_t pad,
                  uint8_t *out, size_t *qlen, enum mcd_ignore *why)
{
    uint8_t qb[MCD_EXT_MAX];
    mcd_endpoint src = {.addr = {.family = MCD_AF_INET4, .b = {198, 18, 0, 2}},
                        .port = 40000};
    mcd_addr dst = {.family = MCD_AF_INET4, .b = {232, 10, 11, 12}};
    mcd_rcore_rx rx = {.data = qb, .src = &src, .dst = &dst, .ifindex = 3,
                       .src_on_link = true};
    mcd_rcore_tx tx;

    rx.len = rx.data_cap = *qlen = ext_query(qb, nonce, pad);
    *why = mcd_rcore_input(rc, 0, &rx);
    if (*why != MCD_IGNORE_NONE)
        return 0;
    assert_true(mcd_rcore_poll(rc, 0, &tx));
    mcd_rcore_done(rc, MCD_IGNORE_NONE);
    return mcd_rcore_tx_write(&tx, out, MCD_EXT_MAX);
}

static const uint8_t NONCE[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static void responder_appends_mac(void **state)
{
    mcd_rcore rc;
    uint8_t b[MCD_EXT_MAX];
    mcd_ext_reply er;
    enum mcd_ignore why;
    size_t qlen, n;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    keyed_responder(&rc, &key_a);
    /* The page's reply to the page's nonce, MAC and all. */
    n = ask(&rc, NONCE, MCD_EXT_QUERY_PAD, b, &qlen, &why);
    assert_int_equal(n, 104);
    assert_int_equal(mcd_ext_reply_decode(b, n, &er), 0);
    assert_int_equal(mcd_ext_mac_check(&key_a.mac, b, n, &er), MCD_MAC_OK);
    assert_memory_equal(b + 88,
                        "\x4b\x3b\xf0\xcf\x2a\xd5\x23\x23\x8e\x18\x0f\x9d"
                        "\x50\x30\x4e\xd9", 16);
    /* Unkeyed: the same 81 bytes without it. */
    keyed_responder(&rc, NULL);
    assert_int_equal(ask(&rc, NONCE, MCD_EXT_QUERY_PAD, b, &qlen, &why), 81);
}

/* At every query length: never longer than the query; TXT dropped before
 * the MAC; no reply when even the base and the MAC do not fit. */
static void responder_mac_always_fits(void **state)
{
    mcd_rcore rc;
    uint8_t b[MCD_EXT_MAX];
    mcd_ext_reply er;
    enum mcd_ignore why;
    size_t qlen, n;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    for (size_t pad = 54; pad <= 140; pad++) {
        keyed_responder(&rc, &key_a);
        n = ask(&rc, NONCE, pad, b, &qlen, &why);
        if (qlen < 54 + MCD_MAC_TLV_LEN) {
            assert_int_equal(n, 0);
            assert_int_equal(why, MCD_IGNORE_SHORT_QUERY);
            continue;
        }
        assert_true(n > 0 && n <= qlen);
        assert_int_equal(mcd_ext_reply_decode(b, n, &er), 0);
        assert_int_equal(mcd_ext_mac_check(&key_a.mac, b, n, &er),
                         MCD_MAC_OK);
        assert_int_equal(n, qlen < 104 ? 77 : 104);
        assert_int_equal(er.flags, qlen < 104 ? MCD_EXT_FLAG_TRUNC : 0);
    }
}

/* ------------------------------------------------------------------------ */
/* The keyed client core                                                     */

static mcd_device table[8];
static const uint8_t RUN[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};

static void client(mcd_qcore *q, const mcd_key *k, bool require)
{
    mcd_qcore_config c = {
        .query = (const uint8_t *)Q, .query_len = QLEN, .timeout_ms = 2000,
        .interval_ms = 100, .max_interval_ms = 100, .require_auth = require,
    };

    memcpy(c.nonce, RUN, 8);
    if (k != NULL)
        c.mac = k->mac;
    assert_int_equal(mcd_qcore_init(q, &c, table, 8, 0), 0);
}

typedef struct rbuf {
    uint8_t b[MCD_EXT_MAX];
    size_t n;
} rbuf;

/* The page's reply (TXT and all) with this nonce, id byte 7, MAC of k. */
static rbuf signed_reply(const uint8_t nonce[8], uint8_t id_last,
                         const mcd_key *k)
{
    rbuf r;
    int n;

    r.n = unhex(SPEC_REPLY, r.b);
    memcpy(r.b + 31 + 7, nonce, 8);
    r.b[31 + 15 + 7] = id_last;
    if (k != NULL) {
        n = mcd_ext_mac_append(&k->mac, r.b, r.n, sizeof r.b);
        assert_int_equal(n, (int)r.n + MCD_MAC_TLV_LEN);
        r.n = (size_t)n;
    }
    return r;
}

static mcd_endpoint ep(uint8_t last)
{
    return (mcd_endpoint){.addr = {.family = MCD_AF_INET4,
                                   .b = {198, 18, 0, last}},
                          .port = 4000};
}

static enum mcd_qresult feed(mcd_qcore *q, const void *p, size_t n,
                             uint8_t from)
{
    mcd_endpoint e = ep(from);
    mcd_qcore_rx rx = {.data = p, .len = n, .from = &e, .src_on_link = true,
                       .ifindex = 2};

    return mcd_qcore_input(q, 5 * MS, &rx, NULL);
}

static mcd_qcore_stats stats(const mcd_qcore *q)
{
    mcd_qcore_stats st;

    mcd_qcore_stats_get(q, &st);
    return st;
}

/* Listed, and whether verified. */
static void listed(const mcd_qcore *q, bool verified)
{
    assert_int_equal(stats(q).found, 1);
    assert_int_equal(table[0].verified, verified);
}

static void client_verifies(void **state)
{
    mcd_qcore q;
    rbuf r;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    set_key(&key_b, "another key, not ours");
    r = signed_reply(RUN, 7, &key_a);
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, true);
    assert_int_equal(table[0].txt_len, 11 + 16);
    /* Another key: listed, not verified, a bad MAC counted. */
    r = signed_reply(RUN, 7, &key_b);
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    assert_int_equal(stats(&q).bad_mac, 1);
    /* ...even under our key's id. */
    memcpy(r.b + 81 + 3, key_a.mac.key_id, 4);
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    /* Hidden with require_auth, and counted. */
    client(&q, &key_a, true);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_UNVERIFIED);
    assert_int_equal(stats(&q).found, 0);
    assert_int_equal(stats(&q).unverified, 1);
}

static void flipped_byte_anywhere(void **state)
{
    mcd_qcore q;
    rbuf good, r;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    good = signed_reply(RUN, 7, &key_a);
    for (size_t i = 0; i < good.n; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            r = good;
            r.b[i] ^= (uint8_t)(1u << bit);
            client(&q, &key_a, false);
            (void)feed(&q, r.b, r.n, 9);
            assert_true(stats(&q).found == 0 || !table[0].verified);
        }
}

static void mac_placement(void **state)
{
    mcd_qcore q;
    rbuf r;
    int n;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    /* A TLV after the MAC (outside it). */
    r = signed_reply(RUN, 7, &key_a);
    memcpy(r.b + r.n, "\x03\x00\x03x=y", 6);
    r.n += 6;
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    assert_int_equal(stats(&q).bad_mac, 1);
    /* The MAC not last, though right over what precedes it. */
    r = signed_reply(RUN, 7, NULL);
    r.n = 81 - 16; /* without the second TXT */
    n = mcd_ext_mac_append(&key_a.mac, r.b, r.n, sizeof r.b);
    r.n = (size_t)n;
    memcpy(r.b + r.n, "\x03\x00\x0dmodel=C3-Lamp", 16);
    r.n += 16;
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    /* A cut MAC: 15 bytes of it, the TLV's length saying so. */
    r = signed_reply(RUN, 7, &key_a);
    r.b[81 + 2] = 19;
    r.n--;
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    /* Two MAC TLVs: the first counts, and it is not last. */
    r = signed_reply(RUN, 7, &key_a);
    n = mcd_ext_mac_append(&key_a.mac, r.b, r.n, sizeof r.b);
    r.n = (size_t)n;
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
}

static void replayed_to_later_nonce(void **state)
{
    static const uint8_t old[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    mcd_qcore q;
    rbuf r;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    r = signed_reply(old, 7, &key_a); /* captured from an earlier run */
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_BAD_NONCE);
    /* The forger patches our nonce in: the MAC no longer holds. */
    memcpy(r.b + 31 + 7, RUN, 8);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    assert_int_equal(stats(&q).bad_mac, 1);
}

static void keyed_and_unkeyed(void **state)
{
    mcd_qcore q;
    rbuf r;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    /* An unkeyed reply to a keyed client: listed, unverified; no MAC is
     * not a bad MAC. */
    r = signed_reply(RUN, 7, NULL);
    client(&q, &key_a, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    assert_int_equal(stats(&q).bad_mac, 0);
    /* A keyed reply to an unkeyed client: listed, unverified, its TXT
     * kept (the MAC TLV is skipped). */
    r = signed_reply(RUN, 7, &key_a);
    client(&q, NULL, false);
    assert_int_equal(feed(&q, r.b, r.n, 9), MCD_Q_NEW);
    listed(&q, false);
    assert_int_equal(table[0].txt_len, 11 + 16);
    /* A chapter reply with require_auth: never verified, dropped. */
    client(&q, &key_a, true);
    assert_int_equal(feed(&q, "ESP32-C3 Smart Light https 443", 30, 9),
                     MCD_Q_UNVERIFIED);
    assert_int_equal(stats(&q).found, 0);
    /* require_auth without a key verifies nothing: refused. */
    {
        mcd_qcore_config c = {
            .query = (const uint8_t *)Q, .query_len = QLEN,
            .timeout_ms = 2000, .interval_ms = 100, .require_auth = true,
        };
        assert_int_equal(mcd_qcore_init(&q, &c, table, 8, 0), MCD_E_INVAL);
    }
}

/* Whether the keyed client's next extended copy names id_last in KNOWN. */
static bool in_known(mcd_qcore *q, uint8_t id_last, mcd_time now)
{
    uint8_t b[MCD_EXT_MAX], id[8] = {0x00, 0x11, 0x22, 0x33,
                                     0x44, 0x55, 0x66, 0x77};
    mcd_ext_query eq;
    int n;

    id[7] = id_last;
    assert_true(mcd_qcore_send_due(q, now));
    n = mcd_qcore_datagram(q, 0, b, sizeof b);
    assert_true(n > 0);
    assert_int_equal(mcd_ext_query_decode(b, (size_t)n, QLEN, &eq), 0);
    return eq.has_known && mcd_ext_known_has(eq.filter, eq.filter_len, eq.k,
                                             eq.nonce, eq.salt, id);
}

/* A forger answers first with the device's id and text: the device is
 * not silenced (not in KNOWN), and once it answers with a right MAC, the
 * device is verified with its own address only; the forger adds none. */
static void forger_first(void **state)
{
    mcd_qcore q;
    rbuf forged, real;
    (void)state;

    set_key(&key_a, "mcdisc-example-key");
    forged = signed_reply(RUN, 0x77, NULL);
    real = signed_reply(RUN, 0x77, &key_a);
    client(&q, &key_a, false);
    assert_false(in_known(&q, 0x77, 0));
    assert_int_equal(feed(&q, forged.b, forged.n, 66), MCD_Q_NEW);
    assert_false(in_known(&q, 0x77, 200 * MS));
    assert_int_equal(feed(&q, real.b, real.n, 9), MCD_Q_UPDATE);
    listed(&q, true);
    assert_int_equal(table[0].naddrs, 1);
    assert_int_equal(table[0].from.addr.b[3], 9);
    assert_int_equal(feed(&q, forged.b, forged.n, 67), MCD_Q_DUPLICATE);
    assert_int_equal(table[0].naddrs, 1);
    assert_true(in_known(&q, 0x77, 400 * MS));
    /* The device on a second link (verified): a second address. */
    assert_int_equal(feed(&q, real.b, real.n, 10), MCD_Q_UPDATE);
    assert_int_equal(table[0].naddrs, 2);
    /* Unkeyed client: known as before. */
    client(&q, NULL, false);
    assert_int_equal(feed(&q, forged.b, forged.n, 66), MCD_Q_NEW);
    assert_true(in_known(&q, 0x77, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4231),
        cmocka_unit_test(key_rules),
        cmocka_unit_test(mac_tlv_vector),
        cmocka_unit_test(responder_appends_mac),
        cmocka_unit_test(responder_mac_always_fits),
        cmocka_unit_test(client_verifies),
        cmocka_unit_test(flipped_byte_anywhere),
        cmocka_unit_test(mac_placement),
        cmocka_unit_test(replayed_to_later_nonce),
        cmocka_unit_test(keyed_and_unkeyed),
        cmocka_unit_test(forger_first),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
