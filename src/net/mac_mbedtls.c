/*
 * mac_mbedtls.c - the keys' crypto, from mbedTLS (Debian's libmbedtls-dev,
 * and ESP-IDF's own crypto library): HMAC-SHA-256 cut to 16 bytes for the
 * MAC TLV, SHA-256 for the key id. Never written by hand. Built without
 * mbedTLS, every function says MCD_E_UNSUPPORTED.
 */
#include "mcdisc/posix.h"

#include <string.h>

#ifdef MCD_HAVE_MBEDTLS
#include <mbedtls/md.h>

static const mbedtls_md_info_t *sha256(void)
{
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}

int mcd_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data,
                    size_t len, uint8_t out[32])
{
    if (key == NULL || out == NULL || (data == NULL && len > 0))
        return MCD_E_INVAL;
    if (sha256() == NULL)
        return MCD_E_UNSUPPORTED;
    return mbedtls_md_hmac(sha256(), key, klen, data, len, out) == 0
               ? 0
               : MCD_E_INVAL;
}

/* The core's mcd_mac_fn: ctx is the mcd_key. */
static int key_mac(void *ctx, const uint8_t *data, size_t len,
                   uint8_t mac[MCD_MAC_LEN])
{
    const mcd_key *k = ctx;
    uint8_t full[32];
    int err = mcd_hmac_sha256(k->key, k->len, data, len, full);

    memcpy(mac, full, MCD_MAC_LEN);
    return err;
}

int mcd_key_set(mcd_key *k, const uint8_t *key, size_t len)
{
    uint8_t id[32];

    if (k == NULL || key == NULL)
        return MCD_E_INVAL;
    if (len < MCD_KEY_MIN)
        return MCD_E_KEYSHORT;
    if (len > MCD_KEY_MAX)
        return MCD_E_KEYLONG;
    if (sha256() == NULL || mbedtls_md(sha256(), key, len, id) != 0)
        return MCD_E_UNSUPPORTED;
    memmove(k->key, key, len); /* key may be k->key (mcd_key_load) */
    k->len = len;
    k->mac.fn = key_mac;
    k->mac.ctx = k;
    memcpy(k->mac.key_id, id, MCD_MAC_KEYID_LEN);
    return 0;
}
#else
int mcd_hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *data,
                    size_t len, uint8_t out[32])
{
    (void)key, (void)klen, (void)data, (void)len, (void)out;
    return MCD_E_UNSUPPORTED;
}

int mcd_key_set(mcd_key *k, const uint8_t *key, size_t len)
{
    (void)k, (void)key, (void)len;
    return MCD_E_UNSUPPORTED;
}
#endif

void mcd_key_wipe(mcd_key *k)
{
    /* Through a volatile pointer: a plain memset before the end of the
     * object's life may be optimised away. */
    volatile uint8_t *p = (volatile uint8_t *)k;

    for (size_t i = 0; i < sizeof *k; i++)
        p[i] = 0;
}
