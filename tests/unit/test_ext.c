/*
 * test_ext.c - the extension's bytes (docs/PROTOCOL.md, "The extension,
 * version 1"): the test vectors of the specification, round trips,
 * malformed and hostile inputs, the Bloom filter's false positives, ids.
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
static const char R[] = "ESP32-C3 Smart Light https 443";
#define RLEN (sizeof R - 1)

/* The vectors' inputs (docs/PROTOCOL.md, "Test vectors"). */
static const uint8_t NONCE[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t ID[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
#define SALT 0x1234

/* Vector 1: an extended query, WINDOW 80 ms, KNOWN (salt 1234, k 5, the
 * 4-byte filter of vector 4), PAD to 128 bytes. */
static const char V_QUERY[] =
    "41726520796f752045737072657373696620494f5420536d617274204c69676874"
    "00" "4d434458" "01" "01" "00" "0102030405060708"
    "01" "0002" "0050"
    "02" "0007" "1234" "05" "02040811"
    "00" "003d" /* PAD: 61 zero bytes */
    "000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000";
/* Vector 2: the reply to it, TXT fw=1.4.2 and model=C3-Lamp. */
static const char V_REPLY[] =
    "45535033322d433320536d617274204c6967687420687474707320343433"
    "00" "4d434458" "01" "02" "00" "0102030405060708" "0011223344556677"
    "03" "0008" "66773d312e342e32"
    "03" "000d" "6d6f64656c3d43332d4c616d70";
/* Vector 3: the same reply cut to its base, flag T. */
static const char V_TRUNC[] =
    "45535033322d433320536d617274204c6967687420687474707320343433"
    "00" "4d434458" "01" "02" "01" "0102030405060708" "0011223344556677";
/* Vector 4: KNOWN of ID for NONCE and salt 1234, k 5, m 32:
 * h = b6bff0b86e0a743b, h1 = 6e0a743b, h2 = b6bff0b9, bits 27 20 13 6 31. */
static const uint8_t V_FILTER[4] = {0x02, 0x04, 0x08, 0x11};

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

static void vector_known(void **state)
{
    uint8_t f[4] = {0};

    (void)state;
    mcd_ext_known_add(f, sizeof f, 5, NONCE, SALT, ID);
    assert_memory_equal(f, V_FILTER, sizeof f);
    assert_true(mcd_ext_known_has(f, sizeof f, 5, NONCE, SALT, ID));
}

static void vector_query(void **state)
{
    uint8_t want[MCD_EXT_MAX], out[MCD_EXT_MAX];
    size_t n = unhex(V_QUERY, want, sizeof want);
    mcd_ext_query q = {.has_window = true, .window_ms = 80,
                       .has_known = true, .salt = SALT, .k = 5,
                       .filter = V_FILTER, .filter_len = 4};
    mcd_ext_query d;

    (void)state;
    assert_int_equal(n, 128);
    memcpy(q.nonce, NONCE, 8);
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 128,
                                          out, sizeof out), 128);
    assert_memory_equal(out, want, n);
    assert_int_equal(mcd_ext_query_decode(want, n, QLEN, &d), 0);
    assert_memory_equal(d.nonce, NONCE, 8);
    assert_true(d.has_window);
    assert_int_equal(d.window_ms, 80);
    assert_true(d.has_known);
    assert_int_equal(d.salt, SALT);
    assert_int_equal(d.k, 5);
    assert_int_equal(d.filter_len, 4);
    assert_memory_equal(d.filter, V_FILTER, 4);
    assert_true(mcd_ext_known_has(d.filter, d.filter_len, d.k, d.nonce,
                                  d.salt, ID));
}

static int template_of(const char *const *txt, size_t n, uint8_t *out,
                       size_t *base)
{
    return mcd_ext_reply_template((const uint8_t *)R, RLEN, ID, txt, n, out,
                                  MCD_EXT_MAX, base);
}

static void vector_replies(void **state)
{
    static const char *const txt[] = {"fw=1.4.2", "model=C3-Lamp"};
    uint8_t want[MCD_EXT_MAX], tpl[MCD_EXT_MAX];
    size_t n = unhex(V_REPLY, want, sizeof want), base = 0, pos = 0, plen;
    const uint8_t *pair;
    mcd_ext_reply d;
    int len = template_of(txt, 2, tpl, &base);

    (void)state;
    assert_int_equal(len, 81);
    assert_int_equal(n, 81);
    assert_int_equal(base, 54);
    memcpy(tpl + RLEN + 1 + 7, NONCE, 8); /* what the responder patches */
    assert_memory_equal(tpl, want, n);
    assert_int_equal(mcd_ext_reply_decode(want, n, &d), 0);
    assert_string_equal(d.base.name, "ESP32-C3 Smart Light");
    assert_int_equal(d.base.port, 443);
    assert_memory_equal(d.nonce, NONCE, 8);
    assert_memory_equal(d.id, ID, 8);
    assert_int_equal(d.flags, 0);
    assert_true(mcd_ext_txt_next(d.tlv, d.tlv_len, &pos, &pair, &plen));
    assert_int_equal(plen, 8);
    assert_memory_equal(pair, "fw=1.4.2", 8);
    assert_true(mcd_ext_txt_next(d.tlv, d.tlv_len, &pos, &pair, &plen));
    assert_memory_equal(pair, "model=C3-Lamp", 13);
    assert_false(mcd_ext_txt_next(d.tlv, d.tlv_len, &pos, &pair, &plen));

    n = unhex(V_TRUNC, want, sizeof want);
    assert_int_equal(n, base);
    tpl[RLEN + 1 + 6] = MCD_EXT_FLAG_TRUNC;
    assert_memory_equal(tpl, want, base);
    assert_int_equal(mcd_ext_reply_decode(want, n, &d), 0);
    assert_int_equal(d.flags, MCD_EXT_FLAG_TRUNC);
    assert_int_equal(d.tlv_len, 0);
}

/* Every cut of a vector: malformed unless it ends between two TLVs. */
static void truncated_everywhere(void **state)
{
    uint8_t q[MCD_EXT_MAX], r[MCD_EXT_MAX];
    size_t qn = unhex(V_QUERY, q, sizeof q), rn = unhex(V_REPLY, r, sizeof r);
    mcd_ext_query dq;
    mcd_ext_reply dr;

    (void)state;
    for (size_t len = QLEN + 1; len < qn; len++) {
        int want = (len == 49 || len == 54 || len == 64) ? 0 : MCD_E_BADEXT;

        if (mcd_ext_query_decode(q, len, QLEN, &dq) != want)
            fail_msg("query cut to %zu bytes", len);
    }
    for (size_t len = 0; len < rn; len++) {
        int want = len <= RLEN ? MCD_E_BADREPLY
                   : (len == 54 || len == 65) ? 0 : MCD_E_BADEXT;

        if (mcd_ext_reply_decode(r, len, &dr) != want)
            fail_msg("reply cut to %zu bytes", len);
    }
}

static void malformed(void **state)
{
    uint8_t q[MCD_EXT_MAX], r[MCD_EXT_MAX];
    size_t qn = unhex(V_QUERY, q, sizeof q), rn = unhex(V_REPLY, r, sizeof r);
    size_t h = QLEN + 1; /* the header's offset in the query */
    mcd_ext_query d;
    mcd_ext_reply dr;

    (void)state;
    q[h + 4] = 0; /* version 0 */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[h + 4] = 7; /* a later version reads as 1 */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), 0);
    q[h + 4] = 1;
    q[h + 6] = 0xff; /* unknown flags: ignored, reported */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), 0);
    assert_int_equal(d.flags, 0xff);
    q[h + 5] = 3; /* unknown kind: not a query */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), 1);
    q[h + 5] = MCD_EXT_KIND_REPLY;
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), 1);
    q[h + 5] = 1;
    q[h] = 'X'; /* magic */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[h] = 0x4d;
    q[h + 15 + 2] = 3; /* WINDOW of 3 bytes */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[h + 15 + 2] = 2;
    q[h + 20 + 5] = 0; /* KNOWN k = 0, then 17 */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[h + 20 + 5] = 17;
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[h + 20 + 5] = 16;
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), 0);
    q[h + 20 + 2] = 3; /* KNOWN without a filter byte */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[h + 20 + 2] = 7;
    q[qn - 62] = 0x3e; /* PAD one byte past the end */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[qn - 62] = 0xff; /* ...and far past it */
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), MCD_E_BADEXT);
    q[qn - 64] = 0x42; /* an unknown type, fitting: skipped */
    q[qn - 62] = 0x3d;
    assert_int_equal(mcd_ext_query_decode(q, qn, QLEN, &d), 0);
    assert_true(d.has_known);
    /* Longer than MCD_EXT_MAX. */
    assert_int_equal(mcd_ext_query_decode(q, MCD_EXT_MAX + 1, QLEN, &d),
                     MCD_E_BADEXT);

    r[RLEN + 1 + 5] = MCD_EXT_KIND_QUERY; /* a query is not a reply */
    assert_int_equal(mcd_ext_reply_decode(r, rn, &dr), MCD_E_BADEXT);
    r[RLEN + 1 + 5] = 2;
    r[RLEN + 1 + 6] = 0xfe; /* unknown flags kept, not refused */
    assert_int_equal(mcd_ext_reply_decode(r, rn, &dr), 0);
    assert_int_equal(dr.flags, 0xfe);
    r[rn - 14] = 0x0e; /* the last TXT one byte too long */
    assert_int_equal(mcd_ext_reply_decode(r, rn, &dr), MCD_E_BADEXT);
    r[rn - 14] = 0x0d;
    r[3] = 0x01; /* the text before the NUL must parse */
    assert_int_equal(mcd_ext_reply_decode(r, rn, &dr), MCD_E_BADREPLY);
    assert_int_equal(mcd_ext_reply_decode((const uint8_t *)R, RLEN, &dr),
                     MCD_E_BADREPLY);
}

/* The first WINDOW and KNOWN count; later ones and unknown TLVs are
 * skipped. */
static void duplicates_and_unknown(void **state)
{
    uint8_t b[256];
    size_t n = 0;
    mcd_ext_query d;
    static const uint8_t hdr[] = {0x4d, 0x43, 0x44, 0x58, 1, 1, 0,
                                  9, 9, 9, 9, 9, 9, 9, 9};
    static const uint8_t tlvs[] = {
        0x99, 0, 2, 0xaa, 0xbb,           /* unknown */
        1, 0, 2, 0x01, 0x00,              /* WINDOW 256 */
        1, 0, 2, 0x00, 0x10,              /* WINDOW 16: skipped */
        1, 0, 1, 0x00,                    /* a bad one: skipped unread */
        2, 0, 4, 0, 7, 3, 0xff,           /* KNOWN salt 7 k 3 */
        2, 0, 4, 0, 8, 4, 0x00,           /* KNOWN: skipped */
        2, 0, 3, 0, 8, 0,                 /* a bad one: skipped unread */
        3, 0, 3, 'a', '=', 'b',           /* TXT in a query: skipped */
        0, 0, 0,                          /* empty PAD */
    };

    (void)state;
    memcpy(b, Q, QLEN);
    n = QLEN;
    b[n++] = 0;
    memcpy(b + n, hdr, sizeof hdr);
    n += sizeof hdr;
    memcpy(b + n, tlvs, sizeof tlvs);
    n += sizeof tlvs;
    assert_int_equal(mcd_ext_query_decode(b, n, QLEN, &d), 0);
    assert_int_equal(d.window_ms, 256);
    assert_int_equal(d.salt, 7);
    assert_int_equal(d.k, 3);
    assert_int_equal(d.filter_len, 1);
    assert_int_equal(d.filter[0], 0xff);
    /* Two stray bytes after the last TLV: a TLV header cut short. */
    b[n++] = 0;
    b[n++] = 0;
    assert_int_equal(mcd_ext_query_decode(b, n, QLEN, &d), MCD_E_BADEXT);
}

static void round_trips(void **state)
{
    uint8_t out[MCD_EXT_MAX], filt[512];
    mcd_ext_query d;

    (void)state;
    for (int i = 0; i < 2000; i++) {
        mcd_ext_query q = {0};
        size_t pad = (size_t)(rnd() % (MCD_EXT_MAX + 1));
        int n;

        rnd_bytes(q.nonce, 8);
        q.has_window = rnd() & 1;
        q.window_ms = (uint16_t)rnd();
        q.has_known = rnd() & 1;
        if (q.has_known) {
            q.salt = (uint16_t)rnd();
            q.k = (uint8_t)(1 + rnd() % 16);
            q.filter_len = 1 + (size_t)(rnd() % sizeof filt);
            rnd_bytes(filt, q.filter_len);
            q.filter = filt;
        }
        n = mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, pad, out,
                                 sizeof out);
        assert_true(n > 0);
        assert_true((size_t)n >= pad && (size_t)n <= MCD_EXT_MAX);
        size_t content = (size_t)(q.has_window ? 54 : 49) +
                         (q.has_known ? 6 + q.filter_len : 0);
        size_t want = content >= pad ? content
                      : pad > content + 3 ? pad : content + 3;

        assert_int_equal((size_t)n, want);
        assert_int_equal(mcd_query_match(out, QLEN + 1, (const uint8_t *)Q,
                                         QLEN), MCD_MATCH_NUL);
        assert_int_equal(mcd_ext_query_decode(out, (size_t)n, QLEN, &d), 0);
        assert_memory_equal(d.nonce, q.nonce, 8);
        assert_int_equal(d.has_window, q.has_window);
        assert_int_equal(d.has_known, q.has_known);
        if (q.has_window)
            assert_int_equal(d.window_ms, q.window_ms);
        if (q.has_known) {
            assert_int_equal(d.salt, q.salt);
            assert_int_equal(d.k, q.k);
            assert_int_equal(d.filter_len, q.filter_len);
            assert_memory_equal(d.filter, filt, q.filter_len);
        }
    }
}

static void encode_errors(void **state)
{
    uint8_t out[MCD_EXT_MAX + 16], f[1] = {0};
    mcd_ext_query q = {.has_known = true, .k = 0, .filter = f,
                       .filter_len = 1};

    (void)state;
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 0,
                                          out, sizeof out), MCD_E_INVAL);
    q.k = 17;
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 0,
                                          out, sizeof out), MCD_E_INVAL);
    q.k = 5;
    q.filter_len = 0;
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 0,
                                          out, sizeof out), MCD_E_INVAL);
    q.filter_len = 1;
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q,
                                          MCD_EXT_MAX, out, sizeof out),
                     MCD_EXT_MAX);
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q,
                                          MCD_EXT_MAX + 1, out, sizeof out),
                     MCD_E_TOOLONG);
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 128,
                                          out, 127), MCD_E_TOOLONG);
    /* A pad two bytes past the content still needs a whole PAD TLV. */
    q.has_known = false;
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 51,
                                          out, sizeof out), 52);
    assert_int_equal(mcd_ext_query_encode((const uint8_t *)Q, QLEN, &q, 0,
                                          out, sizeof out), 49);
    assert_int_equal(mcd_ext_query_encode(NULL, 0, &q, 0, out, sizeof out),
                     MCD_E_INVAL);
}

/* 250 ids in 250 bytes, k 5: the specification's 2.2% per copy. Measured
 * over 10000 random ids that were not added. */
static void bloom_rate(void **state)
{
    uint8_t f[250] = {0}, ids[250][8], id[8], nonce[8];
    unsigned fp = 0;

    (void)state;
    rnd_bytes(nonce, 8);
    assert_int_equal(mcd_ext_known_size(250, 1000), 250);
    for (size_t i = 0; i < 250; i++) {
        rnd_bytes(ids[i], 8);
        mcd_ext_known_add(f, sizeof f, MCD_EXT_KNOWN_K, nonce, 99, ids[i]);
    }
    for (size_t i = 0; i < 250; i++)
        assert_true(mcd_ext_known_has(f, sizeof f, MCD_EXT_KNOWN_K, nonce,
                                      99, ids[i]));
    for (int i = 0; i < 10000; i++) {
        rnd_bytes(id, 8);
        fp += mcd_ext_known_has(f, sizeof f, MCD_EXT_KNOWN_K, nonce, 99, id);
    }
    print_message("bloom: %u false positives in 10000 (%.2f%%)\n", fp,
                  fp / 100.0);
    assert_true(fp >= 100 && fp <= 400); /* 1%..4% around 2.2% */
}

/* Another salt (or nonce) sets other bits: a false positive does not
 * repeat on the next copy. */
static void bloom_salt(void **state)
{
    uint8_t a[64] = {0}, b[64] = {0}, ids[64][8], id[8];
    unsigned fpa = 0, both = 0;

    (void)state;
    for (size_t i = 0; i < 64; i++) {
        rnd_bytes(ids[i], 8);
        mcd_ext_known_add(a, sizeof a, 5, NONCE, 1, ids[i]);
        mcd_ext_known_add(b, sizeof b, 5, NONCE, 2, ids[i]);
    }
    assert_memory_not_equal(a, b, sizeof a);
    for (int i = 0; i < 20000; i++) {
        bool ha, hb;

        rnd_bytes(id, 8);
        ha = mcd_ext_known_has(a, sizeof a, 5, NONCE, 1, id);
        hb = mcd_ext_known_has(b, sizeof b, 5, NONCE, 2, id);
        fpa += ha;
        both += ha && hb;
    }
    assert_true(fpa > 100);
    assert_true(both * 10 < fpa); /* independent: ~2% of them, not all */
    /* Sizing bounds and degenerate filters. */
    assert_int_equal(mcd_ext_known_size(0, 100), 1);
    assert_int_equal(mcd_ext_known_size(5000, 1100), 1100);
    assert_false(mcd_ext_known_has(NULL, 0, 5, NONCE, 1, ID));
    memset(a, 0xff, sizeof a); /* all ones: everyone is known */
    assert_true(mcd_ext_known_has(a, sizeof a, 16, NONCE, 1, ID));
}

static void txt_rules(void **state)
{
    static const char *good[] = {"fw=1.4.2", "a=", "K.e_y-1=v a l",
                                 "x=\xc3\xa9", "model=C3-Lamp"};
    static const char *bad[] = {"", "=v", "noequals", "k y=v", "k=\x01",
                                "k=\x7f", "k\xc3\xa9=v", "k:v"};
    char big[300];

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(mcd_txt_check((const uint8_t *)good[i],
                                       strlen(good[i])), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mcd_txt_check((const uint8_t *)bad[i], strlen(bad[i])) !=
            MCD_E_BADTXT)
            fail_msg("accepted TXT #%zu", i);
    assert_int_equal(mcd_txt_check((const uint8_t *)"k=\0", 3), MCD_E_BADTXT);
    memset(big, 'k', 33);
    big[33] = '=';
    assert_int_equal(mcd_txt_check((const uint8_t *)big, 34), MCD_E_BADTXT);
    assert_int_equal(mcd_txt_check((const uint8_t *)big + 1, 33), 0);
    memset(big + 34, 'v', sizeof big - 34);
    assert_int_equal(mcd_txt_check((const uint8_t *)big + 1, 255), 0);
    assert_int_equal(mcd_txt_check((const uint8_t *)big + 1, 256),
                     MCD_E_TOOLONG);
    assert_int_equal(mcd_txt_check(NULL, 1), MCD_E_INVAL);
}

static void template_errors(void **state)
{
    static const char *const bad[] = {"fw=1", "no equals"};
    const char *many[MCD_TXT_PAIRS_MAX + 1];
    static char big[MCD_TXT_PAIRS_MAX][MCD_TXT_PAIR_MAX + 1];
    uint8_t out[MCD_EXT_MAX];
    size_t base = 0;

    (void)state;
    assert_int_equal(template_of(bad, 2, out, &base), MCD_E_BADTXT);
    for (size_t i = 0; i <= MCD_TXT_PAIRS_MAX; i++)
        many[i] = "a=b";
    assert_int_equal(template_of(many, MCD_TXT_PAIRS_MAX + 1, out, &base),
                     MCD_E_TOOLONG);
    assert_int_equal(template_of(many, MCD_TXT_PAIRS_MAX, out, &base),
                     54 + MCD_TXT_PAIRS_MAX * 6);
    /* 16 pairs of 255 bytes do not fit 1232 bytes. */
    for (size_t i = 0; i < MCD_TXT_PAIRS_MAX; i++) {
        memset(big[i], 'v', MCD_TXT_PAIR_MAX);
        big[i][0] = 'k';
        big[i][1] = '=';
        many[i] = big[i];
    }
    assert_int_equal(template_of(many, MCD_TXT_PAIRS_MAX, out, &base),
                     MCD_E_TOOLONG);
    assert_int_equal(template_of(many, 4, out, &base), 54 + 4 * 258);
    assert_int_equal(mcd_ext_reply_template((const uint8_t *)"no reply", 8,
                                            ID, NULL, 0, out, sizeof out,
                                            &base), MCD_E_BADREPLY);
    assert_int_equal(mcd_ext_reply_template((const uint8_t *)R, RLEN, ID,
                                            NULL, 0, out, 53, &base),
                     MCD_E_TOOLONG);
}

static void ids(void **state)
{
    static const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    static const uint8_t eui[8] = {0xaa, 0xbb, 0xcc, 0xff,
                                   0xfe, 0xdd, 0xee, 0xff};
    uint8_t id[8];
    char text[17];

    (void)state;
    mcd_ext_id_from_mac(mac, id);
    assert_memory_equal(id, eui, 8);
    /* FNV-1a-64 of "abc", the published value. */
    mcd_ext_id_hash((const uint8_t *)"abc", 3, id);
    mcd_ext_id_format(id, text);
    assert_string_equal(text, "e71fa2190541574b");
    assert_int_equal(mcd_ext_id_parse("E71FA2190541574b", id), 0);
    mcd_ext_id_format(id, text);
    assert_string_equal(text, "e71fa2190541574b");
    assert_int_equal(mcd_ext_id_parse("e71fa2190541574", id), MCD_E_BADID);
    assert_int_equal(mcd_ext_id_parse("e71fa2190541574b0", id), MCD_E_BADID);
    assert_int_equal(mcd_ext_id_parse("e71fa2190541574g", id), MCD_E_BADID);
    assert_int_equal(mcd_ext_id_parse(" e71fa2190541574", id), MCD_E_BADID);
    assert_int_equal(mcd_ext_id_parse("0x1fa2190541574b", id), MCD_E_BADID);
    assert_int_equal(mcd_ext_id_parse("", id), MCD_E_BADID);
    assert_int_equal(mcd_ext_id_parse(NULL, id), MCD_E_INVAL);
    assert_string_equal(mcd_errname(MCD_E_BADEXT), "MCD_E_BADEXT");
    assert_string_equal(mcd_strerror(MCD_E_BADEXT),
                        "malformed mcdisc extension");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_known),   cmocka_unit_test(vector_query),
        cmocka_unit_test(vector_replies), cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(malformed),      cmocka_unit_test(duplicates_and_unknown),
        cmocka_unit_test(round_trips),    cmocka_unit_test(encode_errors),
        cmocka_unit_test(bloom_rate),     cmocka_unit_test(bloom_salt),
        cmocka_unit_test(txt_rules),      cmocka_unit_test(template_errors),
        cmocka_unit_test(ids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
