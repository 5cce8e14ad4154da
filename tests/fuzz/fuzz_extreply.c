/* fuzz_extreply.c - the extended reply decoder, the TXT walk and check,
 * and the id parser on any bytes: an accepted reply's TLVs lie inside the
 * datagram, and its text, id and valid pairs make a template that decodes
 * back to the same. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void id_text(const uint8_t *data, size_t size)
{
    char t[24];
    uint8_t id[8];
    char back[17];
    size_t n = size < sizeof t - 1 ? size : sizeof t - 1;

    memcpy(t, data, n);
    t[n] = '\0';
    if (mcd_ext_id_parse(t, id) != 0)
        return;
    mcd_ext_id_format(id, back);
    if (strlen(t) != 16)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[MCD_EXT_MAX];
    const char *pairs[MCD_TXT_PAIRS_MAX];
    static char store[MCD_TXT_PAIRS_MAX][MCD_TXT_PAIR_MAX + 1];
    const uint8_t *pair;
    size_t pos = 0, plen, npairs = 0, base;
    mcd_ext_reply d, d2;
    uint8_t text[MCD_REPLY_MAX];
    int n;

    id_text(data, size);
    if (mcd_ext_reply_decode(data, size, &d) != 0)
        return 0;
    if (d.tlv < data || d.tlv + d.tlv_len != data + size)
        abort();
    while (mcd_ext_txt_next(d.tlv, d.tlv_len, &pos, &pair, &plen)) {
        if (pair < d.tlv || pair + plen > d.tlv + d.tlv_len || pos > d.tlv_len)
            abort();
        if (mcd_txt_check(pair, plen) != 0 || npairs == MCD_TXT_PAIRS_MAX)
            continue;
        memcpy(store[npairs], pair, plen);
        store[npairs][plen] = '\0';
        pairs[npairs] = store[npairs];
        npairs++;
    }
    n = mcd_reply_format(d.base.name, d.base.proto, d.base.port, text,
                         sizeof text);
    if (n < 0)
        abort();
    n = mcd_ext_reply_template(text, (size_t)n, d.id, pairs, npairs, out,
                               sizeof out, &base);
    if (n == MCD_E_TOOLONG)
        return 0;
    if (n < 0 || mcd_ext_reply_decode(out, (size_t)n, &d2) != 0 ||
        memcmp(d.id, d2.id, 8) != 0 || strcmp(d.base.name, d2.base.name) != 0)
        abort();
    return 0;
}
