/*
 * core_private.h - core functions that both socket layers (src/net and
 * src/net/lwip) call but that are not part of libmcdisc's surface: they
 * are not exported from libmcdisc.so. Tests link the static library.
 */
#ifndef MCD_CORE_PRIVATE_H
#define MCD_CORE_PRIVATE_H

#include "mcdisc/core.h"
#include "cursor.h"

#include <string.h>

/* A responder's two texts in one step (mcd_responder_setup_ext's; inline:
 * a device's start-up calls it once): copy o->query (NULL:
 * MCD_DEFAULT_QUERY) into qbuf[MCD_QUERY_MAX] after mcd_query_check()
 * (qbuf NULL: checked, not copied), and format the reply from o->name,
 * o->proto and o->service_port (NULL or 0: the chapter's) into rbuf[rcap]
 * (MCD_E_TOOLONG when it does not fit). Returns 0 with *query (qbuf, or
 * the text itself), *qlen and *rlen set, or the first check's error. */
static inline int mcd_responder_texts(const mcd_responder_opts *o,
                                      uint8_t *qbuf, const uint8_t **query,
                                      size_t *qlen, uint8_t *rbuf,
                                      size_t rcap, size_t *rlen)
{
    const char *q = o->query ? o->query : MCD_DEFAULT_QUERY;
    size_t n = strlen(q);
    int err = mcd_query_check((const uint8_t *)q, n);

    if (err < 0)
        return err;
    *query = qbuf != NULL ? memcpy(qbuf, q, n) : (const void *)q;
    err = mcd_reply_format(o->name ? o->name : MCD_DEFAULT_NAME,
                           o->proto ? o->proto : MCD_DEFAULT_PROTO,
                           o->service_port ? o->service_port
                                           : MCD_DEFAULT_SERVICE_PORT,
                           rbuf, rcap);
    if (err < 0)
        return err;
    *qlen = n;
    *rlen = (size_t)err;
    return 0;
}

/* Set up a responder core from the user's options, the same way on every
 * socket layer: the texts into qbuf[MCD_QUERY_MAX] and
 * rbuf[MCD_REPLY_MAX] (which must outlive rc; qbuf NULL: the core
 * borrows o->query itself, or MCD_DEFAULT_QUERY, which must then outlive
 * rc: no copy, no MCD_QUERY_MAX bytes of RAM), `group` as the layer
 * resolved it (MCD_E_NOTMCAST when it is not a group), the rules and
 * limits of `o`. Its group and port are the layer's to open. Returns 0 or
 * the first error (as mcd_responder_texts, mcd_rcore_init). */
int mcd_responder_setup(mcd_rcore *rc, const mcd_responder_opts *o,
                        const mcd_addr *group, uint8_t *qbuf, uint8_t *rbuf,
                        mcd_time now);

/* The same, with the extension: the reply template goes into
 * ebuf[ecap] (which must outlive rc), with o->id (MCD_E_BADID when it is
 * not 16 hex digits) or else default_id; no extension when ebuf is NULL or
 * neither id is given, or in a core built without it (MCD_CONFIG_EXT 0).
 * rbuf may be ebuf (one buffer of ecap bytes: the reply is then the
 * template's first bytes). Errors as mcd_responder_setup and
 * mcd_ext_reply_template. */
int mcd_responder_setup_ext(mcd_rcore *rc, const mcd_responder_opts *o,
                            const mcd_addr *group, uint8_t *qbuf,
                            uint8_t *rbuf, uint8_t *ebuf, size_t ecap,
                            const uint8_t *default_id, mcd_time now);

/* mcd_ext_reply_template() for a text known to be a reply (made by
 * mcd_reply_format(), which only makes texts that parse back): the same
 * but the parse, so that a device's start-up does not link the reply
 * parser for it. text may be out (formatted in place). */
int mcd_ext_template_(const uint8_t *text, size_t text_len,
                      const uint8_t id[MCD_EXT_ID_LEN],
                      const char *const *txt, size_t ntxt, uint8_t *out,
                      size_t cap, size_t *base_len);

/* mcd_ext_template_ with LIFETIME (when lifetime > 0) in the base, right
 * after the id (src/core/announce.c). */
int mcd_ext_template_lt_(const uint8_t *text, size_t text_len,
                         const uint8_t id[MCD_EXT_ID_LEN], uint32_t lifetime,
                         const char *const *txt, size_t ntxt, uint8_t *out,
                         size_t cap, size_t *base_len);

/* Whether every bit of `a` (IPv4, else IPv6) past its first `bits` is `v`
 * (0 or 1): the host part of a prefix of that length (onlink.c). */
bool mcd_host_bits_all_(const mcd_addr *a, unsigned bits, unsigned v);

/* The extension's header (ext.c): magic "MCDX", version, kind, flags and
 * 8 bytes (a query's nonce, an announcement's counter). */
typedef struct mcd_ext_hdr_ {
    uint8_t version, kind, flags;
    uint8_t nonce[MCD_EXT_NONCE_LEN];
} mcd_ext_hdr_;

/* Read the header at r's position. False when cut short, the magic is not
 * ours, or the version is 0 (any version >= 1 reads as 1). */
bool mcd_ext_hdr_read_(mcd_rcur *r, mcd_ext_hdr_ *h);
/* Write the header, version MCD_EXT_VERSION. */
void mcd_ext_hdr_put_(mcd_wcur *w, uint8_t kind, uint8_t flags,
                      const uint8_t nonce[MCD_EXT_NONCE_LEN]);
/* A TLV's type and 2-byte length (w->err past 0xffff); the value is the
 * caller's to put. */
void mcd_tlv_hdr_put_(mcd_wcur *w, uint8_t type, size_t len);

/* One TLV (type, 2-byte length, value) from *pos in tlv[0..len) (ext.c):
 * false at the end, or when it runs past it (*bad set). */
bool mcd_tlv_next_(const uint8_t *tlv, size_t len, size_t *pos,
                   uint8_t *type, const uint8_t **val, size_t *vlen,
                   bool *bad);

/* The TXT pairs as TXT TLVs into w, each checked with mcd_txt_check
 * (ext.c): 0, MCD_E_TOOLONG (more than MCD_TXT_PAIRS_MAX), MCD_E_BADTXT,
 * MCD_E_INVAL. Overflow of w is left in w->err. */
int mcd_ext_txt_put_(mcd_wcur *w, const char *const *txt, size_t ntxt);

/* A client's copy of a device's TXT pairs: those of tlv[0..len) that
 * obey the rules (mcd_txt_check), each key once (the first counts), at
 * most MCD_TXT_PAIRS_MAX, as many whole as fit dst[cap], as TXT TLVs
 * (ext.c; docs/PROTOCOL.md). Returns the bytes stored; *dropped tells
 * whether any pair was left out. */
size_t mcd_txt_store_(uint8_t *dst, size_t cap, const uint8_t *tlv,
                      size_t len, bool *dropped);

#endif
