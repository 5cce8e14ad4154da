/*
 * ext_mac.c - the MAC TLV (docs/PROTOCOL.md, "Keys: authenticated
 * replies"): where it goes and what it covers. No crypto here: the caller
 * gives the MAC function (HMAC-SHA-256 from mbedTLS on POSIX and lwIP), so
 * the core stays free of it and a device links only what it already has.
 *
 * The MAC covers every byte of the datagram before the MAC value, the
 * TLV's own type, length and key id included: the echoed nonce binds a
 * reply to one query, and nothing after the MAC can be added unseen
 * because the MAC must be the last TLV.
 */
#include "mcdisc/core.h"

#include "core_private.h"
#include "cursor.h"

#define MAC_VALUE_LEN (MCD_MAC_KEYID_LEN + MCD_MAC_LEN) /* 20 */

int mcd_ext_mac_append(const mcd_mac_key *k, uint8_t *buf, size_t len,
                       size_t cap)
{
    mcd_wcur w = {buf, cap < MCD_EXT_MAX ? cap : MCD_EXT_MAX, len, false};
    int err;

    if (k == NULL || k->fn == NULL || buf == NULL || len > w.cap)
        return MCD_E_INVAL;
    mcd_wcur_byte(&w, MCD_EXT_TLV_MAC);
    mcd_wcur_be(&w, MAC_VALUE_LEN, 2);
    mcd_wcur_put(&w, k->key_id, MCD_MAC_KEYID_LEN);
    if (w.err || MCD_MAC_LEN > w.cap - w.len)
        return MCD_E_TOOLONG;
    err = k->fn(k->ctx, buf, w.len, buf + w.len);
    if (err < 0)
        return err;
    return (int)(w.len + MCD_MAC_LEN);
}

/* Constant time: how many bytes differ is not leaked through timing. */
static bool same_mac(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;

    for (size_t i = 0; i < MCD_MAC_LEN; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

/* The offset in tlv[0..len) of the first MAC TLV's value, with its length,
 * or false when there is none. The TLVs are known to be well formed. */
static bool first_mac(const uint8_t *tlv, size_t len, size_t *at,
                      size_t *vlen)
{
    size_t pos = 0;
    uint8_t type;
    const uint8_t *val;
    bool bad;

    while (mcd_tlv_next_(tlv, len, &pos, &type, &val, vlen, &bad))
        if (type == MCD_EXT_TLV_MAC) {
            *at = (size_t)(val - tlv);
            return true;
        }
    return false;
}

int mcd_ext_mac_check(const mcd_mac_key *k, const uint8_t *data, size_t len,
                      const mcd_ext_reply *er)
{
    uint8_t mac[MCD_MAC_LEN];
    size_t at, vlen, off;

    if (k == NULL || k->fn == NULL || data == NULL || er == NULL ||
        er->tlv < data || er->tlv_len > len ||
        (size_t)(er->tlv - data) != len - er->tlv_len)
        return MCD_MAC_BAD;
    if (!first_mac(er->tlv, er->tlv_len, &at, &vlen))
        return MCD_MAC_NONE;
    off = (size_t)(er->tlv - data) + at; /* the key id */
    /* Last, whole, ours: a TLV after it would be outside the MAC. */
    if (vlen != MAC_VALUE_LEN || off + vlen != len ||
        memcmp(data + off, k->key_id, MCD_MAC_KEYID_LEN) != 0)
        return MCD_MAC_BAD;
    off += MCD_MAC_KEYID_LEN;
    if (k->fn(k->ctx, data, off, mac) < 0)
        return MCD_MAC_BAD;
    return same_mac(mac, data + off) ? MCD_MAC_OK : MCD_MAC_BAD;
}
