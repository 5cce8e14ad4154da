/*
 * mcdisc/core.h - libmcdisc's values, pure rules and protocol cores: the
 * part of the library that builds anywhere (POSIX hosts, lwIP on a device).
 *
 *   - values and pure rules (addresses, the wire codec): no I/O at all;
 *   - the protocol cores (responder, query, test traffic): state machines
 *     driven by a `now` argument, no sockets, no heap.
 *
 * It includes no socket header. Errors: functions return int, negative on
 * failure. OS failures are -errno; library failures come from the MCD_E_*
 * block below. mcd_strerror() names either kind.
 *
 * NULL, in this header and in mcdisc/posix.h: a pointer argument must not
 * be NULL unless its function says what NULL means. A buffer given with
 * its length may be NULL when the length is 0: it is empty. The functions
 * that read or write text and bytes (mcd_addr_*, mcd_group_*,
 * mcd_query_check, mcd_reply_*, mcd_probe_*) check all the same: a NULL
 * pointer gets MCD_E_INVAL, before anything is read or written (a
 * predicate returns false). They are where users' and the network's input
 * comes in, their callers pass optional pointers on, and MCD_E_INVAL names
 * the caller's bug where MCD_E_BADADDR would blame the user's text. The
 * cores' per-datagram functions do not check: they run on state that
 * their init function, which does check, has already accepted.
 */
#ifndef MCDISC_CORE_H
#define MCDISC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcdisc/version.h"

/* Every public function carries MCD_EXTERN; the library is built with
 * hidden visibility (libuv's UV_EXTERN), so only these are exported from
 * libmcdisc.so and helpers shared between its files stay internal. */
#ifndef MCD_EXTERN
#if defined(__GNUC__) && __GNUC__ >= 4
#define MCD_EXTERN __attribute__((visibility("default")))
#else
#define MCD_EXTERN
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/* One table generates the enum, mcd_strerror() and mcd_errname(). */
#define MCD_ERRNO_MAP(X)                                                     \
    X(BADADDR, "not a valid IPv4 or IPv6 address")                           \
    X(NOTMCAST, "not a multicast address")                                   \
    X(FAMILY, "address families do not match")                               \
    X(BADPORT, "port must be 1-65535")                                       \
    X(TOOLONG, "text too long")                                              \
    X(BADTEXT, "text holds a control character or is empty")                 \
    X(BADNAME, "name would make an unparseable reply")                       \
    X(BADPROTO, "protocol must be a letter followed by letters, digits, "    \
                "'+', '-' or '.'")                                           \
    X(BADREPLY, "datagram is not a valid reply")                             \
    X(NOIFACE, "no such interface")                                          \
    X(IFNOMCAST, "interface is not up or not multicast-capable")             \
    X(IFNOADDR, "interface has no address of the group's family")            \
    X(NOIFACES, "no usable interface: none is up, multicast-capable, "       \
                "non-loopback and addressed in the group's family")          \
    X(ZONE, "interface is not the group's zone")                            \
    X(AMPLIFY, "reply longer than the query (an amplifier for spoofed "    \
               "queries)")                                                   \
    X(UNSUPPORTED, "not supported by this network stack")                    \
    X(FULL, "table full")                                                    \
    X(INVAL, "invalid argument")                                             \
    X(NOTPROBE, "datagram carries no mcdisc test header")                   \
    X(BADEXT, "malformed mcdisc extension")                                  \
    X(BADTXT, "TXT must be key=value: a key of letters, digits, '.', '_', "  \
              "'-', a value of printable text")                              \
    X(BADID, "id must be exactly 16 hex digits")                            \
    X(KEYPERM, "key file may be read or written by group or others "         \
               "(chmod 600 it)")                                             \
    X(KEYTYPE, "key file is not a regular file")                             \
    X(KEYSHORT, "key shorter than 16 bytes")                                 \
    X(KEYLONG, "key longer than 1024 bytes")                               \
    X(BADPREFIX, "prefix must be ADDRESS/LENGTH, length 1-32 (IPv4) or "     \
                 "1-128 (IPv6)")                                             \
    X(PREFIXHOST, "prefix has address bits set past its length")            \
    X(PREFIXES, "too many prefixes")

#define MCD_E_BASE (-30000)

enum mcd_error {
    MCD_E_FIRST_ = MCD_E_BASE,
#define MCD_ERR_ENUM_(name, msg) MCD_E_##name,
    MCD_ERRNO_MAP(MCD_ERR_ENUM_)
#undef MCD_ERR_ENUM_
    MCD_E_LAST_
};

/* A message for `err` (an MCD_E_* value or -errno). Never NULL; static. */
MCD_EXTERN
const char *mcd_strerror(int err);
/* The symbolic name ("MCD_E_NOIFACE", "ENODEV", ...). Never NULL; static. */
MCD_EXTERN
const char *mcd_errname(int err);

/* ------------------------------------------------------------------------ */
/* Addresses: strict text form (src/core/addr.c), classification           */
/* (src/core/addr_class.c)                                                   */

enum mcd_family { MCD_AF_NONE = 0, MCD_AF_INET4 = 4, MCD_AF_INET6 = 6 };

/* An IPv4 or IPv6 address as a plain value. IPv4 uses b[0..3]. */
typedef struct mcd_addr {
    uint8_t family;    /* enum mcd_family */
    uint8_t b[16];     /* network byte order */
    uint32_t scope_id; /* IPv6 zone (interface index), 0 when none */
} mcd_addr;

/* An address and a UDP port. */
typedef struct mcd_endpoint {
    mcd_addr addr;
    uint16_t port; /* host byte order */
} mcd_endpoint;

/* Longest text mcd_addr_format() writes, with its NUL (an IPv6 address with
 * an embedded IPv4 part and a %zone of up to 10 digits). */
#define MCD_ADDR_STRLEN 58

/* Parse `text` strictly: dotted-quad IPv4 (four decimal parts, no leading
 * zeros, no spaces, nothing after) or IPv6 text (RFC 4291 section 2.2),
 * IPv6 optionally followed by "%" and a decimal zone index (1-4294967295,
 * no leading zero). Named zones ("%eth0") need the OS: mcd_addr_resolve()
 * in the POSIX layer. Unused bytes of out->b are zeroed.
 * Returns 0 and fills *out, MCD_E_BADADDR, or MCD_E_INVAL (NULL). */
MCD_EXTERN
int mcd_addr_parse(const char *text, mcd_addr *out);

/* Like mcd_addr_parse() for the first `len` bytes of `text` (no NUL
 * needed), but a zone is never accepted: text holding a '%' gives
 * MCD_E_BADADDR. When zone_at is not NULL, `*zone_at` receives the index
 * of the first '%', or len if there is none (on failure too), so the
 * caller can parse text[0..*zone_at) and resolve the zone itself.
 * Returns 0 (out->scope_id is then 0), MCD_E_BADADDR, or MCD_E_INVAL
 * (NULL out, or NULL text with len > 0). */
MCD_EXTERN
int mcd_addr_parse_n(const char *text, size_t len, mcd_addr *out,
                     size_t *zone_at);

/* Write the canonical text of `a` (RFC 5952 for IPv6, "%N" zone when
 * an IPv6 scope_id is set) into buf. Returns the length written (without
 * the NUL) or MCD_E_TOOLONG when cap is too small (buf is then left
 * untouched), MCD_E_INVAL for a bad family or NULL. */
MCD_EXTERN
int mcd_addr_format(const mcd_addr *a, char *buf, size_t cap);

/* Same family and address bytes (b[0..3] for IPv4, all 16 for IPv6) and,
 * for IPv6, the same scope_id. False when either is NULL. */
MCD_EXTERN
bool mcd_addr_equal(const mcd_addr *a, const mcd_addr *b);
/* In 224.0.0.0/4 or ff00::/8. False for NULL or MCD_AF_NONE. */
MCD_EXTERN
bool mcd_addr_is_multicast(const mcd_addr *a);

/* What mcd_addr_classify() knows about an address. Every string is static
 * and NULL where it does not apply. */
typedef struct mcd_addr_info {
    bool multicast;
    /* The chapter's four IPv4 classes: "reserved", "public", "user",
     * "local". NULL for IPv6 and for unicast. */
    const char *chapter_class;
    /* The IANA registry block, e.g. "Source-Specific Multicast Block",
     * with the RFC that defines it. For unicast: the special-purpose
     * block ("Private-Use", "Loopback", ...) or "Global unicast". */
    const char *block;
    const char *block_rfc;
    /* A sub-block worth naming (RFC 2365 scopes inside 239/8,
     * MCAST-TEST-NET inside AD-HOC III, ...). */
    const char *sub_block;
    const char *sub_block_rfc;
    /* A well-known assignment ("All Systems on this Subnet", "mDNS"). */
    const char *assignment;
    /* Scope: "interface-local", "link-local", "realm-local", "admin-local",
     * "site-local", "organization-local", "global", or "reserved"/
     * "unassigned" for IPv6 scope values without a name. */
    const char *scope;
    /* Whether an any-source (*,G) join is appropriate: false in the SSM
     * ranges (232/8, ff3x::/32) and for non-multicast addresses. */
    bool asm_ok;
    /* Ethernet MAC the group maps to (RFC 1112 section 6.4, RFC 2464
     * section 7), and how many other groups share it: 31 for IPv4;
     * for IPv6 2^96 - 1, given as mac_shared_log2 = 96. */
    bool has_mac;
    uint8_t mac[6];
    uint32_t mac_shared_log2; /* other groups sharing = 2^log2 - 1 */
    /* GLOP (RFC 3180): the AS number encoded in 233.x.y.0/24. */
    bool glop;
    uint32_t glop_as;
    /* IPv6 multicast: flags (RFC 4291 2.7, RFC 3306, RFC 3956), scope. */
    uint8_t v6_flags; /* high nibble of byte 1: 0RPT */
    uint8_t v6_scope; /* low nibble of byte 1 */
    bool flag_r, flag_p, flag_t;
    /* Unicast-prefix-based (RFC 3306) and embedded-RP (RFC 3956). */
    bool prefix_based;
    uint8_t prefix_len; /* bits */
    mcd_addr prefix;    /* the network prefix, zero-padded */
    uint32_t group_id;
    bool embedded_rp;
    mcd_addr rp; /* the rendezvous point address */
    bool solicited_node; /* ff02::1:ffXX:XXXX (RFC 4291 2.7.1) */
    /* Why a multicast address breaks its own format's rules, e.g. an
     * Embedded-RP plen outside 1-64 (RFC 3956). NULL when it does not. */
    const char *note;
} mcd_addr_info;

/* Classify `a` (pure; no I/O). Returns 0, or MCD_E_INVAL for a bad
 * family or NULL. */
MCD_EXTERN
int mcd_addr_classify(const mcd_addr *a, mcd_addr_info *info);

/* A group argument as the command line and configurations write it:
 * "GROUP", "GROUP:PORT" (IPv4), "[GROUP]" or "[GROUP]:PORT", where an
 * IPv6 GROUP may carry a "%zone" (a name or an index). */
typedef struct mcd_group_text {
    mcd_addr group;   /* scope_id: the zone's value when it is numeric */
    uint16_t port;    /* default_port when the text gives none */
    const char *zone; /* the zone's text in the caller's buffer (not NUL-
                         terminated), NULL when there is none */
    size_t zone_len;  /* may be 0 ("ff02::1%"): the caller refuses it */
} mcd_group_text;

/* Longest host part of a group argument: an address, '%' and a zone of up
 * to 16 bytes (IF_NAMESIZE on Linux and the BSDs). */
#define MCD_GROUP_HOST_MAX (MCD_ADDR_STRLEN + 1 + 16)

/* Parse the first `len` bytes of `text` (no NUL needed) as a group
 * argument, strictly, without copying or allocating: the address as
 * mcd_addr_parse() reads it, a zone only on IPv6 (printable ASCII
 * without '%', ':', '[' or ']'), a port of 1-65535 in
 * decimal digits without sign, space or leading zero. The zone is not
 * resolved: that needs the OS (mcd_group_spec_parse() in the POSIX layer
 * looks a name up). Returns 0, MCD_E_BADADDR, MCD_E_NOTMCAST or
 * MCD_E_BADPORT (checked in that order; on the last two, out->group and
 * out->zone are already set), or MCD_E_INVAL. */
MCD_EXTERN
int mcd_group_text_parse(const char *text, size_t len, uint16_t default_port,
                         mcd_group_text *out);

/* On-link rules (src/core/onlink.c), pure: the socket layer brings the
 * prefixes of the link (the interface's addresses and prefix lengths). */

/* Whether the first `bits` bits of `a` equal those of `prefix` (same
 * family; 0 bits: any address of it). False when either is NULL, the
 * families differ or bits exceeds the family's length (32, 128). */
MCD_EXTERN
bool mcd_addr_in_prefix(const mcd_addr *a, const mcd_addr *prefix,
                        unsigned bits);
/* In fe80::/10 or 169.254.0.0/16: on the link it arrived on by
 * definition (RFC 4291 2.5.6, RFC 3927). False for NULL. */
MCD_EXTERN
bool mcd_addr_is_link_local(const mcd_addr *a);
/* The IPv4 directed broadcast of prefix/bits (RFC 919): inside it with
 * every host bit set, for prefixes that have one (shorter than /31,
 * RFC 3021). False for IPv6 and NULL. */
MCD_EXTERN
bool mcd_addr_is_broadcast(const mcd_addr *a, const mcd_addr *prefix,
                           unsigned bits);

/* A prefix (an address and its length), as --allow-from takes it. */
typedef struct mcd_subnet {
    mcd_addr addr;
    uint8_t bits;
} mcd_subnet;

/* The prefixes a responder trusts off its links (mcd_rcore_config):
 * a small fixed table; a build may set another size (-D). */
#ifndef MCD_ALLOW_FROM_MAX
#define MCD_ALLOW_FROM_MAX 4
#endif

/* Parse the first `len` bytes of `text` as ADDRESS/LENGTH, strictly: the
 * address as mcd_addr_parse_n() reads it (no zone), a decimal length of
 * 1-32 or 1-128 without sign or leading zero, no bit set past it.
 * Returns 0, MCD_E_BADPREFIX (syntax, or /0: every source, which is
 * allow_offlink), MCD_E_PREFIXHOST (10.1.2.3/8), or MCD_E_INVAL. */
MCD_EXTERN
int mcd_subnet_parse(const char *text, size_t len, mcd_subnet *out);
/* A comma-separated list of such prefixes (a Kconfig string), no empty
 * element, at most `cap`: the count in *n. Returns 0, the first bad
 * element's error, MCD_E_PREFIXES past cap, or MCD_E_INVAL. */
MCD_EXTERN
int mcd_subnet_list_parse(const char *text, mcd_subnet *out, size_t cap,
                          size_t *n);
/* Whether `a` lies inside one of the n prefixes (families must match). */
MCD_EXTERN
bool mcd_subnet_match(const mcd_subnet *p, size_t n, const mcd_addr *a);

/* ------------------------------------------------------------------------ */
/* The chapter's exchange (see docs/PROTOCOL.md)                              */

#define MCD_DEFAULT_GROUP "232.10.11.12"
#define MCD_DEFAULT_PORT 3333
#define MCD_DEFAULT_TTL 1
#define MCD_DEFAULT_QUERY "Are you Espressif IOT Smart Light"
#define MCD_DEFAULT_NAME "ESP32-C3 Smart Light"
#define MCD_DEFAULT_PROTO "https"
#define MCD_DEFAULT_SERVICE_PORT 443

/* Bounds of the wire codec. */
#define MCD_QUERY_MAX 512 /* longest query text */
#define MCD_NAME_MAX 200  /* longest device name, bytes */
#define MCD_PROTO_MAX 32  /* longest protocol token */
#define MCD_REPLY_MAX (MCD_NAME_MAX + 1 + MCD_PROTO_MAX + 1 + 5)

/* A parsed reply: "<name> <protocol> <port>", the name may hold spaces. */
typedef struct mcd_reply {
    char name[MCD_NAME_MAX + 1];   /* NUL-terminated */
    char proto[MCD_PROTO_MAX + 1]; /* NUL-terminated */
    uint16_t port;                 /* 1-65535 */
} mcd_reply;

/* How a datagram compares with the expected query. */
enum mcd_match {
    MCD_MATCH_EXACT = 0,       /* the query's bytes, nothing else */
    MCD_MATCH_NUL = 1,         /* the query plus one trailing NUL */
    MCD_MATCH_EMPTY = -1,      /* a zero-byte datagram */
    MCD_MATCH_PREFIX = -2,     /* a proper prefix of the query */
    MCD_MATCH_TRAILING = -3,   /* the query plus other bytes */
    MCD_MATCH_DIFFERENT = -4   /* anything else */
};

/* Compare a datagram with the query, by length and bytes (never as a C
 * string). A result >= 0 is answered; see docs/PROTOCOL.md for why the
 * single trailing NUL is accepted. */
MCD_EXTERN
enum mcd_match mcd_query_match(const uint8_t *data, size_t len,
                               const uint8_t *query, size_t query_len);

/* Check a query text for use: 1..MCD_QUERY_MAX bytes, no NUL.
 * Returns 0, MCD_E_TOOLONG, MCD_E_BADTEXT or MCD_E_INVAL. */
MCD_EXTERN
int mcd_query_check(const uint8_t *query, size_t len);

/* Write "<name> <proto> <port>" into out (no NUL). The result is checked
 * to parse back to the same fields. Returns its length, or MCD_E_BADNAME,
 * MCD_E_BADPROTO, MCD_E_BADPORT, MCD_E_TOOLONG (cap too small),
 * MCD_E_INVAL. */
MCD_EXTERN
int mcd_reply_format(const char *name, const char *proto, uint16_t port,
                     uint8_t *out, size_t cap);

/* Parse a reply datagram strictly. Rules (docs/PROTOCOL.md): bytes
 * 0x20-0x7e or >= 0x80 only; the last space-separated token is a decimal
 * port 1-65535 without leading zeros; the one before it a protocol token;
 * the rest, non-empty and not starting or ending with a space, the name.
 * Returns 0, MCD_E_BADREPLY, or MCD_E_INVAL. */
MCD_EXTERN
int mcd_reply_parse(const uint8_t *data, size_t len, mcd_reply *out);

/* ------------------------------------------------------------------------ */
/* The extension, version 1 (docs/PROTOCOL.md; src/core/ext.c): pure codec,  */
/* no I/O, no heap                                                           */

#define MCD_EXT_VERSION 1
#define MCD_EXT_MAGIC "MCDX"      /* 4d 43 44 58, after the query's NUL */
#define MCD_EXT_MAX 1232          /* longest extended query or reply */
#define MCD_EXT_NONCE_LEN 8
#define MCD_EXT_ID_LEN 8
#define MCD_EXT_HDR_LEN 15        /* magic 4, version, kind, flags, nonce 8 */
#define MCD_EXT_KIND_QUERY 1
#define MCD_EXT_KIND_REPLY 2
#define MCD_EXT_FLAG_TRUNC 0x01
#define MCD_EXT_TLV_PAD 0
#define MCD_EXT_TLV_WINDOW 1
#define MCD_EXT_TLV_KNOWN 2
#define MCD_EXT_TLV_TXT 3
#define MCD_EXT_WINDOW_MAX_MS 1000 /* the bound a responder enforces */
#define MCD_EXT_DEFAULT_WINDOW_MS 80
#define MCD_EXT_QUERY_PAD 128      /* client pads extended queries to this */
#define MCD_EXT_PEER_MS 10000      /* rule 4: plain copies of an ext client */
#define MCD_EXT_KNOWN_K 5
#define MCD_EXT_KNOWN_K_MAX 16
#define MCD_TXT_PAIRS_MAX 16       /* pairs a device declares at most */
#define MCD_TXT_PAIR_MAX 255       /* bytes of one "key=value" */
#define MCD_TXT_KEY_MAX 32

/* A decoded extended query (pointers into the datagram). */
typedef struct mcd_ext_query {
    uint8_t nonce[MCD_EXT_NONCE_LEN];
    uint8_t flags;
    bool has_window;
    uint16_t window_ms;
    bool has_known;
    uint16_t salt;
    uint8_t k;                /* 1..MCD_EXT_KNOWN_K_MAX */
    const uint8_t *filter;    /* borrowed */
    size_t filter_len;        /* bytes; m = 8 * filter_len */
} mcd_ext_query;

/* Write query text + NUL + header (kind 1, q->flags, q->nonce) + WINDOW
 * (if q->has_window) + KNOWN (if q->has_known: salt, k, filter_len bytes of
 * filter) + a PAD TLV when the datagram is shorter than pad_to, so that it
 * is at least pad_to bytes long (a PAD TLV takes 3 bytes at least).
 * Returns the length, MCD_E_TOOLONG (over cap or MCD_EXT_MAX), MCD_E_INVAL
 * (NULL, k out of 1..16, empty filter, a bad query text). */
MCD_EXTERN
int mcd_ext_query_encode(const uint8_t *query, size_t query_len,
                         const mcd_ext_query *q, size_t pad_to,
                         uint8_t *out, size_t cap);

/* data[0..query_len) is the query and data[query_len] is 0 (the caller
 * checked). Returns 0 with *out filled (pointers into data), MCD_E_BADEXT
 * (longer than MCD_EXT_MAX, header cut short, bad magic, version 0, a TLV
 * past the end, KNOWN shorter than 4 bytes or k 0 or > 16, WINDOW not 2
 * bytes), 1 for a well-formed header of another kind (not a query: ignore
 * it), or MCD_E_INVAL. */
MCD_EXTERN
int mcd_ext_query_decode(const uint8_t *data, size_t len, size_t query_len,
                         mcd_ext_query *out);

/* Bloom filter of known ids (docs/PROTOCOL.md "Known answers"): set, or
 * test, the k bits of `id` for this nonce and salt. An empty filter holds
 * nothing (has: false). */
MCD_EXTERN
void mcd_ext_known_add(uint8_t *filter, size_t filter_len, uint8_t k,
                       const uint8_t nonce[MCD_EXT_NONCE_LEN], uint16_t salt,
                       const uint8_t id[MCD_EXT_ID_LEN]);
MCD_EXTERN
bool mcd_ext_known_has(const uint8_t *filter, size_t filter_len, uint8_t k,
                       const uint8_t nonce[MCD_EXT_NONCE_LEN], uint16_t salt,
                       const uint8_t id[MCD_EXT_ID_LEN]);
/* Filter bytes for n ids at 8 bits each: max(n, 1), at most room. */
MCD_EXTERN
size_t mcd_ext_known_size(size_t n, size_t room);

/* Write a reply template: the reply text + NUL + header (kind 2, flags 0,
 * nonce zero) + id + one TXT TLV per pair, in order (each checked with
 * mcd_txt_check). Returns the full length and sets *base_len to the length
 * without the TXT TLVs; MCD_E_TOOLONG (over cap or MCD_EXT_MAX, or more
 * than MCD_TXT_PAIRS_MAX pairs), MCD_E_BADTXT, MCD_E_BADREPLY (a text that
 * is not a reply), MCD_E_INVAL. */
MCD_EXTERN
int mcd_ext_reply_template(const uint8_t *text, size_t text_len,
                           const uint8_t id[MCD_EXT_ID_LEN],
                           const char *const *txt, size_t ntxt, uint8_t *out,
                           size_t cap, size_t *base_len);

/* A decoded extended reply. */
typedef struct mcd_ext_reply {
    mcd_reply base;                       /* the text, parsed strictly */
    uint8_t nonce[MCD_EXT_NONCE_LEN];
    uint8_t id[MCD_EXT_ID_LEN];
    uint8_t flags;
    const uint8_t *tlv; size_t tlv_len;   /* the TLV area, in the datagram */
} mcd_ext_reply;

/* Returns 0; MCD_E_BADREPLY (no NUL, or the text before it does not
 * parse) or MCD_E_BADEXT (longer than MCD_EXT_MAX, header or TLVs
 * malformed, kind not 2); MCD_E_INVAL. A datagram with no NUL at all is a
 * chapter reply: use mcd_reply_parse. */
MCD_EXTERN
int mcd_ext_reply_decode(const uint8_t *data, size_t len, mcd_ext_reply *out);

/* Walk the TXT pairs of a well-formed TLV area (as decoded): start with
 * *pos = 0; returns true with the pair and its length set (raw bytes: check them with
 * mcd_txt_check before use) and *pos advanced, false at the end. Other TLV
 * types are skipped. */
MCD_EXTERN
bool mcd_ext_txt_next(const uint8_t *tlv, size_t tlv_len, size_t *pos,
                      const uint8_t **pair, size_t *len);

/* A "key=value" pair: 1..MCD_TXT_KEY_MAX bytes of letters, digits, '.',
 * '_', '-', then '=', then a value (may be empty) of bytes 0x20-0x7e or
 * from 0x80 (UTF-8); MCD_TXT_PAIR_MAX bytes at most. Returns 0,
 * MCD_E_BADTXT, MCD_E_TOOLONG or MCD_E_INVAL. */
MCD_EXTERN
int mcd_txt_check(const uint8_t *pair, size_t len);

/* Ids. EUI-64 of a MAC (aa bb cc ff fe dd ee ff, docs/PROTOCOL.md). */
MCD_EXTERN
void mcd_ext_id_from_mac(const uint8_t mac[6], uint8_t id[MCD_EXT_ID_LEN]);
/* FNV-1a-64 of the bytes, big-endian. */
MCD_EXTERN
void mcd_ext_id_hash(const uint8_t *data, size_t len,
                     uint8_t id[MCD_EXT_ID_LEN]);
/* Exactly 16 hex digits (either case), nothing else. Returns 0,
 * MCD_E_BADID or MCD_E_INVAL. */
MCD_EXTERN
int mcd_ext_id_parse(const char *text, uint8_t id[MCD_EXT_ID_LEN]);
/* 16 lowercase hex digits and a NUL. */
MCD_EXTERN
void mcd_ext_id_format(const uint8_t id[MCD_EXT_ID_LEN], char out[17]);

/* ------------------------------------------------------------------------ */
/* Keys (docs/PROTOCOL.md, "Keys: authenticated replies"; src/core/ext_mac.c):
 * the MAC TLV. The core holds no crypto: the caller gives a MAC function
 * (HMAC-SHA-256 cut to 16 bytes, from mbedTLS on POSIX and lwIP).         */

#define MCD_EXT_TLV_MAC 5
#define MCD_MAC_KEYID_LEN 4 /* first bytes of SHA-256(key) */
#define MCD_MAC_LEN 16      /* HMAC-SHA-256 cut to its first 16 bytes */
#define MCD_MAC_TLV_LEN (3 + MCD_MAC_KEYID_LEN + MCD_MAC_LEN) /* 23 */

/* mac = the MAC of data[0..len) under the caller's key (ctx). Returns 0,
 * or a negative error (the datagram is then not sent, or not verified). */
typedef int (*mcd_mac_fn)(void *ctx, const uint8_t *data, size_t len,
                          uint8_t mac[MCD_MAC_LEN]);

/* A key as the core sees it: fn NULL means no key. */
typedef struct mcd_mac_key {
    mcd_mac_fn fn;
    void *ctx;
    uint8_t key_id[MCD_MAC_KEYID_LEN];
} mcd_mac_key;

/* Append a MAC TLV to the datagram buf[0..len): type, length, key id, then
 * the MAC of every byte before the MAC value. Returns the new length
 * (len + MCD_MAC_TLV_LEN), MCD_E_TOOLONG (cap, or past MCD_EXT_MAX),
 * MCD_E_INVAL, or the MAC function's error. */
MCD_EXTERN
int mcd_ext_mac_append(const mcd_mac_key *k, uint8_t *buf, size_t len,
                       size_t cap);

#define MCD_MAC_OK 1    /* the last TLV is a MAC of our key id, and right */
#define MCD_MAC_NONE 0  /* no MAC TLV (an unkeyed device) */
#define MCD_MAC_BAD (-1) /* a MAC TLV that is not last, not 20 bytes long,
                            of another key id, or wrong */
/* Check the MAC of a decoded extended reply (er from
 * mcd_ext_reply_decode() of data[0..len)). Compares in constant time. */
MCD_EXTERN
int mcd_ext_mac_check(const mcd_mac_key *k, const uint8_t *data, size_t len,
                      const mcd_ext_reply *er);

/* ------------------------------------------------------------------------ */
/* Time                                                                       */

/* The cores take time as an argument: microseconds on any monotonic clock
 * the caller chooses. */
typedef uint64_t mcd_time;
#define MCD_TIME_NEVER UINT64_MAX

/* The longest wait mcd_timeout_ms() gives: a poll() loop wakes at least
 * this often, and the value fits any int. */
#define MCD_TIMEOUT_MAX_MS 60000

/* Milliseconds from `now` until `next` (a core's *_next()), for poll() on
 * any socket layer: -1 when next is MCD_TIME_NEVER, 0 when it is due,
 * else rounded up (a poll that wakes a moment early would spin) and at
 * most MCD_TIMEOUT_MAX_MS. */
MCD_EXTERN
int mcd_timeout_ms(mcd_time next, mcd_time now);

/* Private state: each core below is a plain struct so that a device can
 * keep it in static memory, but all its fields sit in one member named
 * priv_. Nothing outside src/core reads or writes priv_ (the test
 * core_private_fields checks it): use the functions. */

/* ------------------------------------------------------------------------ */
/* Responder core (src/core/responder.c): no sockets, no heap                */

/* Why a datagram was not answered. */
#define MCD_IGNORE_MAP(X)                                                    \
    X(NONE, "answered")                                                      \
    X(EMPTY, "zero-byte datagram")                                           \
    X(OVERSIZE, "datagram larger than any query")                            \
    X(PREFIX, "a prefix of the query")                                       \
    X(TRAILING, "the query followed by other bytes")                         \
    X(OTHER, "not the query")                                                \
    X(NOT_GROUP, "not sent to the group")                                    \
    X(BAD_SOURCE, "source is not a unicast address")                         \
    X(OFF_LINK, "source is not on the link the query came in on")            \
    X(LOCAL_SOURCE, "source is this host, or a subnet anycast or broadcast") \
    X(RATE_QUERIER, "this querier was answered moments ago")                 \
    X(RATE_GLOBAL, "over the global reply rate")                             \
    X(FULL, "too many replies pending")                                      \
    X(UNRESOLVED, "querier not resolved (ARP/ND), too many others waiting")  \
    X(SEND_FAILED, "the reply could not be sent")                            \
    X(KNOWN, "already known to the querier")                                 \
    X(EXT_CLIENT, "plain copy from a client that asked in the extension")    \
    X(MALFORMED_EXT, "malformed mcdisc extension")                           \
    X(SHORT_QUERY, "query too short for the reply")

enum mcd_ignore {
#define MCD_IGN_ENUM_(name, msg) MCD_IGNORE_##name,
    MCD_IGNORE_MAP(MCD_IGN_ENUM_)
#undef MCD_IGN_ENUM_
    MCD_IGNORE_COUNT_
};

MCD_EXTERN
const char *mcd_ignore_str(enum mcd_ignore why);  /* "not the query" */
MCD_EXTERN
const char *mcd_ignore_name(enum mcd_ignore why); /* "other" */

/* The extension in the responder core: 1 (the default), or 0 for a device
 * built for the chapter's exchange only (the ESP-IDF component's
 * CONFIG_MCDISC_EXTENSION): extended queries are then "the query followed
 * by other bytes", an id and TXT pairs are not used, and the code and the
 * tables' extension fields are left out (docs/PERFORMANCE.md). Like the
 * tables' sizes, the same for the library and every file that includes
 * this. */
#ifndef MCD_CONFIG_EXT
#define MCD_CONFIG_EXT 1
#endif

/* Routed clients trusted by prefix (allow_from, `--allow-from`): 1 (the
 * default), or 0 for a device that answers its own link only (the ESP-IDF
 * component's CONFIG_MCDISC_ROUTED): a non-empty allow_from is then
 * refused at setup with MCD_E_UNSUPPORTED, and the responder links
 * neither the prefixes' parser nor their match, nor keeps their table
 * (docs/PERFORMANCE.md). allow_offlink is unaffected. Like the tables'
 * sizes, the same for the library and every file that includes this. */
#ifndef MCD_CONFIG_ALLOW_FROM
#define MCD_CONFIG_ALLOW_FROM 1
#endif

/* The core's two tables, its RAM (docs/PERFORMANCE.md measures what loads
 * need). A build may set other sizes (-D, the ESP-IDF component from its
 * Kconfig), the same for the library and every file that includes this. */
#ifndef MCD_RESP_PENDING
#define MCD_RESP_PENDING 32  /* pending replies held at most */
#endif
#ifndef MCD_RESP_QUERIERS
#define MCD_RESP_QUERIERS 64 /* queriers remembered for the per-querier rate */
#endif

typedef struct mcd_rcore_config {
    const uint8_t *query; /* borrowed; must outlive the core */
    size_t query_len;
    const uint8_t *reply; /* borrowed; formatted by mcd_reply_format() */
    size_t reply_len;
    mcd_addr group;      /* queries must be sent to it... */
    bool allow_unicast;  /* ...unless this is set */
    bool allow_amplification; /* a reply longer than query + 1 byte */
    bool allow_offlink;  /* answer sources off the ingress link */
    /* ...or only those inside one of these (routed clients a device
     * trusts; every other rule still applies to them). Without
     * MCD_CONFIG_ALLOW_FROM no table: n_allow_from must be 0. */
#if MCD_CONFIG_ALLOW_FROM
    mcd_subnet allow_from[MCD_ALLOW_FROM_MAX];
#endif
    size_t n_allow_from;
    uint32_t delay_min_ms; /* reply delay window; 0/0 answers at once */
    uint32_t delay_max_ms;
    /* At most one reply per querier address per interval (0: no limit);
     * the table of MCD_RESP_QUERIERS forgets the oldest first. */
    uint32_t querier_interval_ms;
    /* Global token bucket: replies per second and burst (0: no limit). */
    uint32_t rate_per_s;
    uint32_t rate_burst;
    /* The extension (docs/PROTOCOL.md, "The extension, version 1"). When
     * ext_enabled, extended queries get ext_reply (borrowed; made by
     * mcd_ext_reply_template() from `reply` and `id`), whole or cut to
     * ext_base_len; else they are "the query followed by other bytes". */
    bool ext_enabled;
    const uint8_t *ext_reply;
    size_t ext_reply_len;
    size_t ext_base_len;
    uint8_t id[MCD_EXT_ID_LEN];
    /* Keys: when mac.fn is set, every extended reply ends with a MAC TLV,
     * counted in the base (truncation drops TXT, never the MAC). */
    mcd_mac_key mac;
} mcd_rcore_config;

/* The limits every socket layer's responder starts from. */
#define MCD_DEFAULT_DELAY_MIN_MS 0
#define MCD_DEFAULT_DELAY_MAX_MS 20 /* bench/delay_tradeoff.sh, docs/PERFORMANCE.md */
#define MCD_DEFAULT_QUERIER_INTERVAL_MS 50
#define MCD_DEFAULT_RATE_PER_S 1000
#define MCD_DEFAULT_RATE_BURST 200

/* One datagram as the socket layer saw it. */
typedef struct mcd_rcore_rx {
    const uint8_t *data; /* min(len, data_cap) bytes are readable */
    size_t data_cap;
    size_t len;               /* its true length */
    const mcd_endpoint *src;
    const mcd_addr *dst;      /* where it was sent; NULL when unknown */
    uint32_t ifindex;         /* where it arrived */
    bool src_on_link;         /* source inside a prefix of that interface */
    /* Source is an address of this host, at a port its own clients do
     * not send from (a reply would land on a local service). */
    bool src_is_local;
    /* Length of the on-link prefix holding the source (0: unknown): its
     * subnet-router anycast and broadcast addresses are refused. */
    uint8_t src_prefix_len;
    /* Sent to a group this host does not hold on that interface (another
     * program's membership leaking in): ignored as MCD_IGNORE_NOT_GROUP,
     * whatever it holds. */
    bool not_joined;
    uint32_t rnd;             /* a random number, for the reply delay */
} mcd_rcore_rx;

/* One reply to send: write its bytes with mcd_rcore_tx_write(). */
typedef struct mcd_rcore_tx {
    mcd_endpoint to;
    uint32_t ifindex; /* send out of the interface the query came in on */
    const uint8_t *data; /* the chapter reply, or the extension's template */
    size_t len;          /* bytes to send (of the template: base or all) */
    bool ext;            /* an extended reply: nonce and flags patched in */
    uint8_t nonce[MCD_EXT_NONCE_LEN];
    uint8_t flags;
    const mcd_mac_key *mac; /* an extended reply of a keyed core: MAC TLV
                               appended after the len bytes; else NULL */
} mcd_rcore_tx;

/* A reply waiting for its time: what mcd_rcore_poll() makes a tx of (its
 * bytes are the configuration's, not copied per entry). */
typedef struct mcd_rcore_pending_ {
    mcd_endpoint to;
    uint32_t ifindex;
    mcd_time due;
    bool used;
#if MCD_CONFIG_EXT
    bool ext;       /* the template, else the chapter reply */
    uint8_t flags;
    uint16_t len;   /* of the template: base or all */
    uint8_t nonce[MCD_EXT_NONCE_LEN];
#endif
} mcd_rcore_pending_;

typedef struct mcd_rcore_querier_ {
    mcd_addr addr;
    uint32_t ifindex; /* a querier is an address on one link */
    mcd_time last; /* when it was last answered (if answered) */
    bool used;
    bool answered;
#if MCD_CONFIG_EXT
    bool ext;         /* sent an extended query at ext_at from ext_port */
    uint16_t ext_port;
    mcd_time ext_at;
#endif
} mcd_rcore_querier_;

/* The responder core (state in priv_, see "Private state" above). */
typedef struct mcd_rcore {
    struct {
        mcd_rcore_config cfg;
        /* Before the tables: near the start, one load or store each on a
         * RISC-V (offsets under 2 KiB), whatever the tables' sizes. */
        uint64_t tokens_us; /* token bucket, in microseconds of credit */
        mcd_time bucket_at; /* when tokens_us was last topped up */
        uint64_t answered;
        uint64_t ignored[MCD_IGNORE_COUNT_];
        mcd_rcore_pending_ pending[MCD_RESP_PENDING];
        mcd_rcore_querier_ queriers[MCD_RESP_QUERIERS];
    } priv_;
} mcd_rcore;

/* Set up `rc` at time `now`; the token bucket starts full (rate_burst
 * replies). Returns 0, MCD_E_BADTEXT/TOOLONG for a bad
 * query, MCD_E_NOTMCAST for a group that is not multicast, MCD_E_AMPLIFY
 * for a reply longer than the query (+ 1 NUL) unless allowed,
 * MCD_E_UNSUPPORTED for ext_enabled in a core built without the extension
 * (MCD_CONFIG_EXT 0) or prefixes in one built without them
 * (MCD_CONFIG_ALLOW_FROM 0), MCD_E_PREFIXES, MCD_E_INVAL. */
MCD_EXTERN
int mcd_rcore_init(mcd_rcore *rc, const mcd_rcore_config *cfg, mcd_time now);

/* Feed one datagram (see docs/PROTOCOL.md for what is answered). Returns
 * MCD_IGNORE_NONE when a reply was scheduled, else the reason, counted in
 * rc->ignored[]. A scheduled reply is counted once its fate is known
 * (mcd_rcore_done). */
MCD_EXTERN
enum mcd_ignore mcd_rcore_input(mcd_rcore *rc, mcd_time now,
                                const mcd_rcore_rx *rx);

/* Take the next reply due at `now`. Returns true and fills *tx (valid
 * until the next call on rc), or false when none is due. The caller sends
 * it and reports what became of it with mcd_rcore_done(). */
MCD_EXTERN
bool mcd_rcore_poll(mcd_rcore *rc, mcd_time now, mcd_rcore_tx *tx);

/* Write the bytes of `tx` into out: a copy of the chapter reply, or the
 * template's first tx->len bytes with the query's nonce and the flags
 * patched in, then the MAC TLV when tx->mac is set. Returns the bytes
 * written (tx->len, + MCD_MAC_TLV_LEN when keyed), or 0 when cap is too
 * small or the MAC function failed. */
MCD_EXTERN
size_t mcd_rcore_tx_write(const mcd_rcore_tx *tx, uint8_t *out, size_t cap);

/* Count the fate of a reply taken with mcd_rcore_poll(): MCD_IGNORE_NONE
 * when it was sent (rc->answered), else why not (MCD_IGNORE_SEND_FAILED,
 * MCD_IGNORE_UNRESOLVED, ...; rc->ignored[]). */
MCD_EXTERN
void mcd_rcore_done(mcd_rcore *rc, enum mcd_ignore outcome);

/* When the next pending reply is due, or MCD_TIME_NEVER. */
MCD_EXTERN
mcd_time mcd_rcore_next(const mcd_rcore *rc);

/* The id of the extension's replies into id; false (id untouched) when
 * the extension is off. */
MCD_EXTERN
bool mcd_rcore_id(const mcd_rcore *rc, uint8_t id[MCD_EXT_ID_LEN]);

/* Replies counted as sent (mcd_rcore_done with MCD_IGNORE_NONE). */
MCD_EXTERN
uint64_t mcd_rcore_answered(const mcd_rcore *rc);
/* Datagrams ignored, and replies that did not leave, for reason `why`
 * (0 for MCD_IGNORE_NONE or a value out of range). */
MCD_EXTERN
uint64_t mcd_rcore_ignored(const mcd_rcore *rc, enum mcd_ignore why);

/* What a responder is asked to be, on any socket layer (the POSIX
 * mcd_responder_config and lwIP's mcd_lwip_config both hold one): texts
 * the core checks and formats, the group and port the layer opens, the
 * core's rules and limits. */
typedef struct mcd_responder_opts {
    const char *group;      /* NULL: MCD_DEFAULT_GROUP */
    uint16_t port;          /* 0: MCD_DEFAULT_PORT */
    const char *name;       /* NULL: MCD_DEFAULT_NAME */
    const char *proto;      /* NULL: MCD_DEFAULT_PROTO */
    uint16_t service_port;  /* 0: MCD_DEFAULT_SERVICE_PORT */
    const char *query;      /* NULL: MCD_DEFAULT_QUERY */
    bool allow_unicast;     /* see mcd_rcore_config */
    bool allow_amplification;
    bool allow_offlink;
    /* Prefixes answered off the link: each string one or more prefixes,
     * comma-separated (mcd_subnet_list_parse), MCD_ALLOW_FROM_MAX in all;
     * parsed at setup, borrowed until then (MCD_E_UNSUPPORTED there in a
     * build without MCD_CONFIG_ALLOW_FROM). */
    const char *const *allow_from;
    size_t n_allow_from;
    /* Limits: see mcd_rcore_config. mcd_responder_opts_init() sets the
     * MCD_DEFAULT_* ones; here 0 means 0 (no delay, no limit). */
    uint32_t delay_min_ms, delay_max_ms;
    uint32_t querier_interval_ms;
    uint32_t rate_per_s, rate_burst;
    /* The extension: the instance id as 16 hex digits (NULL: the layer
     * derives one), and TXT "key=value" pairs (borrowed). */
    const char *id;
    const char *const *txt;
    size_t ntxt;
    const mcd_mac_key *mac; /* keys: NULL or fn NULL, unkeyed (borrowed) */
    /* The live view: LIFETIME in every extended reply, in seconds (0:
     * none, as before it; `mcdisc respond` sets MCD_LIFETIME_DEFAULT). */
    uint32_t lifetime;
} mcd_responder_opts;

/* Fill o with the defaults: the chapter's exchange and the MCD_DEFAULT_*
 * limits. The one place a responder's defaults are written. */
MCD_EXTERN
void mcd_responder_opts_init(mcd_responder_opts *o);

/* ------------------------------------------------------------------------ */
/* Query core (src/core/query.c): no sockets, no heap                        */

/* Endpoints a device entry keeps (an extended device answering from more
 * is counted in addrs_dropped), and bytes of TXT it stores: pairs that do
 * not fit are left out whole (txt_truncated). */
#define MCD_DEVICE_ADDRS 4
#define MCD_DEVICE_TXT_MAX 512

/* One endpoint a device answered from. */
typedef struct mcd_device_addr {
    mcd_endpoint ep;
    uint32_t ifindex; /* where its reply arrived */
} mcd_device_addr;

/* A device found by a query. A chapter device is its endpoint and text;
 * an extended one (docs/PROTOCOL.md, "Client rules") its id and text,
 * with every endpoint it answered from. */
typedef struct mcd_device {
    mcd_endpoint from; /* who answered first (addrs[0].ep) */
    uint32_t ifindex;  /* where that reply arrived */
    mcd_reply reply;   /* its parsed fields */
    mcd_time rtt;      /* since the most recent query sent before it */
    mcd_time at;       /* when it arrived */
    mcd_time elapsed;  /* since the query started */
    bool ext;          /* it answered in the extension: id, txt are set */
    uint8_t id[MCD_EXT_ID_LEN];
    mcd_device_addr addrs[MCD_DEVICE_ADDRS]; /* naddrs of them */
    uint8_t naddrs;
    uint32_t addrs_dropped; /* further endpoints, not kept */
    /* Its TXT pairs as TXT TLVs (type 3, length, "key=value"): walk them
     * with mcd_ext_txt_next(). Only pairs mcd_txt_check() accepts, each
     * key once (the first). */
    uint8_t txt[MCD_DEVICE_TXT_MAX];
    uint16_t txt_len;
    /* Pairs are missing: it only answered with flag T (its full reply did
     * not fit our query), or they did not fit txt[], or broke the rules. */
    bool txt_truncated;
    /* Keys: a reply of this id and text carried a right MAC of the
     * client's key for this run's nonce (docs/PROTOCOL.md). Its addresses
     * and TXT are then only those of verified replies. */
    bool verified;
    struct {
        uint32_t hash;
        uint8_t t_replies; /* replies with flag T; UINT8_MAX: a full one came */
    } priv_;
} mcd_device;

typedef struct mcd_qcore_config {
    const uint8_t *query; /* borrowed; must outlive the core */
    size_t query_len;
    uint32_t timeout_ms;  /* collect replies this long */
    uint32_t sends;       /* send times; 0: as many as fit */
    uint32_t interval_ms; /* first gap between copies; doubles each time */
    uint32_t max_interval_ms; /* ...up to this gap (0: no cap) */
    uint32_t count;       /* stop after this many devices; 0: no limit */
    /* Which replies are taken (docs/PROTOCOL.md, "The client"): */
    bool allow_offlink;   /* sources off the link (the query left with a
                             TTL > 1); else only on-link ones */
    uint32_t per_source;  /* devices listed per source address at most
                             (a forger bound); 0: no limit */
    /* The extension (docs/PROTOCOL.md, "The extension, version 1"): */
    bool chapter_only;    /* send only the plain query, as the chapter */
    uint32_t window_ms;   /* WINDOW asked of devices, 1-MCD_EXT_WINDOW_MAX_MS;
                             0: MCD_EXT_DEFAULT_WINDOW_MS */
    uint8_t nonce[MCD_EXT_NONCE_LEN]; /* random, one per run */
    /* Keys: with mac.fn set, each extended reply's MAC is checked
     * (mcd_device.verified); require_auth then drops every reply that is
     * not verified, chapter replies included (MCD_Q_UNVERIFIED). */
    mcd_mac_key mac;
    bool require_auth;
} mcd_qcore_config;

/* What mcd_qcore_input() made of a datagram. */
enum mcd_qresult {
    MCD_Q_NEW = 0,       /* a device seen for the first time */
    MCD_Q_DUPLICATE = 1, /* a device already listed */
    MCD_Q_FULL = 2,      /* a new device, but the table is full */
    MCD_Q_CAPPED = 3,    /* a new device, but its source address already
                            has per_source devices listed */
    MCD_Q_UPDATE = 4,    /* a listed device gained something: an address,
                            its id, its full TXT */
    MCD_Q_QUERY = -1,    /* a copy of the query (ours or another client's) */
    MCD_Q_MULTICAST = -2,/* sent to a group, not to us */
    MCD_Q_MALFORMED = -3,/* does not parse as a reply */
    MCD_Q_BAD_SOURCE = -4, /* from port 0, or not a unicast address (a
                              broadcast, a group, the unspecified one) */
    MCD_Q_OFF_LINK = -5, /* from off the link, and allow_offlink unset */
    MCD_Q_BAD_NONCE = -6, /* an extended reply without our nonce: forged,
                            or an answer to another client */
    MCD_Q_UNVERIFIED = -7 /* require_auth: a reply without a right MAC */
};

/* One datagram the client received, as the socket layer saw it. */
typedef struct mcd_qcore_rx {
    const uint8_t *data;
    size_t len;
    const mcd_endpoint *from;
    bool dst_is_group;  /* sent to a multicast address, not to us */
    /* The source is on the link it arrived on: inside a prefix of that
     * interface, link-local, or an address of this host. */
    bool src_on_link;
    bool src_broadcast; /* a directed broadcast address of that link */
    uint32_t ifindex;   /* the interface to list the device on */
} mcd_qcore_rx;

/* The query core (state in priv_, see "Private state" above). */
typedef struct mcd_qcore {
    struct {
        mcd_qcore_config cfg;
        mcd_device *devices; /* caller's table */
        size_t cap, n;
        mcd_time start, deadline, next_send, last_send;
        uint32_t sent, gap_ms;
        uint64_t dropped; /* replies that were not devices (any reason) */
        /* Some of those, by reason; replies of devices left unlisted. */
        uint64_t bad_source, off_link, capped, full, bad_nonce;
        uint64_t received; /* every datagram fed */
        uint64_t bad_mac, unverified; /* keys */
    } priv_;
} mcd_qcore;

/* What a query core counted so far. */
typedef struct mcd_qcore_stats {
    size_t found;        /* devices listed */
    uint32_t sent;       /* copies of the query due so far */
    uint64_t dropped;    /* replies that were not devices (any reason) */
    uint64_t bad_source; /* ...of which MCD_Q_BAD_SOURCE */
    uint64_t off_link;   /* ...of which MCD_Q_OFF_LINK */
    uint64_t capped;     /* devices left unlisted: MCD_Q_CAPPED */
    uint64_t full;       /* devices left unlisted: MCD_Q_FULL */
    uint64_t bad_nonce;  /* ...of dropped: MCD_Q_BAD_NONCE */
    uint64_t received;   /* datagrams fed, whatever they were */
    uint64_t bad_mac;    /* keyed client: extended replies with our nonce
                            whose MAC TLV was wrong (MCD_MAC_BAD) */
    uint64_t unverified; /* ...of dropped: MCD_Q_UNVERIFIED */
} mcd_qcore_stats;

/* Start a query at `now` with a caller-owned device table of `cap`
 * entries. Returns 0, or MCD_E_INVAL / a query check error. */
MCD_EXTERN
int mcd_qcore_init(mcd_qcore *q, const mcd_qcore_config *cfg,
                   mcd_device *table, size_t cap, mcd_time now);

/* True when a send time is due at `now`; the core counts it, and the
 * caller then sends each of its datagrams (mcd_qcore_datagram) on every
 * interface. */
MCD_EXTERN
bool mcd_qcore_send_due(mcd_qcore *q, mcd_time now);

/* Datagram `i` of the latest send time into out[cap]: 0 the extended
 * copy (WINDOW, KNOWN with the ids received so far salted with the copy
 * number, PAD), 1 the plain query; with chapter_only, 0 the plain query.
 * Returns its length, 0 when there is no datagram `i`, or MCD_E_TOOLONG
 * (cap; MCD_EXT_MAX always fits). */
MCD_EXTERN
int mcd_qcore_datagram(const mcd_qcore *q, unsigned i, uint8_t *out,
                       size_t cap);

/* Feed one datagram received by the client. On MCD_Q_NEW and
 * MCD_Q_UPDATE, *dev (if not NULL) points at the table entry. */
MCD_EXTERN
enum mcd_qresult mcd_qcore_input(mcd_qcore *q, mcd_time now,
                                 const mcd_qcore_rx *rx,
                                 const mcd_device **dev);

/* The next time anything happens (a send or the deadline). */
MCD_EXTERN
mcd_time mcd_qcore_next(const mcd_qcore *q);

/* True when the deadline passed or `count` devices answered. */
MCD_EXTERN
bool mcd_qcore_done(const mcd_qcore *q, mcd_time now);

/* Its counters. */
MCD_EXTERN
void mcd_qcore_stats_get(const mcd_qcore *q, mcd_qcore_stats *st);

/* ------------------------------------------------------------------------ */
/* Test traffic (src/core/probe.c, docs/PROBE.md): what `mcdisc send` puts   */
/* in each datagram and how `mcdisc recv` accounts for it. No sockets.       */

#define MCD_PROBE_MAGIC 0x4d434450u /* "MCDP" */
#define MCD_PROBE_VERSION 1
#define MCD_PROBE_LEN 32 /* header bytes; a datagram may be longer */

/* The test header, host byte order here, network byte order on the wire. */
typedef struct mcd_probe {
    uint32_t sender_id; /* random per sender run: tells restarts apart */
    uint64_t seq;       /* 0, 1, 2, ... per sender run */
    uint64_t sent_us;   /* send time, microseconds since 1970 (realtime) */
    uint32_t total;     /* datagrams the sender plans to send; 0: unknown */
} mcd_probe;

/* Write the header into buf. Returns MCD_PROBE_LEN, MCD_E_TOOLONG or
 * MCD_E_INVAL. */
MCD_EXTERN
int mcd_probe_encode(const mcd_probe *p, uint8_t *buf, size_t cap);
/* Read a header from a datagram. Returns 0, MCD_E_NOTPROBE (too short,
 * wrong magic, version or header length), or MCD_E_INVAL. */
MCD_EXTERN
int mcd_probe_decode(const uint8_t *buf, size_t len, mcd_probe *p);

/* Sequence numbers remembered per flow to tell duplicates from late
 * datagrams. */
#define MCD_FLOW_WINDOW 4096

/* One sender as a receiver sees it: a source endpoint, and for test
 * traffic its sender id. Counters are cumulative. */
typedef struct mcd_flow {
    mcd_endpoint src;
    bool probe;         /* carries the test header */
    uint32_t sender_id; /* when probe */
    bool restarted;     /* a new run of a sender heard before */
    uint64_t received;  /* datagrams, duplicates included */
    uint64_t bytes;
    uint64_t unique, duplicates, reordered;
    uint64_t min_seq, max_seq;
    mcd_time first_at, last_at; /* caller's monotonic clock */
    /* One-way delay (receive realtime - send realtime), microseconds:
     * meaningful when both ends share a clock. Jitter per RFC 3550 6.4.1. */
    uint64_t delay_n;
    int64_t delay_min_us, delay_max_us, delay_sum_us;
    int64_t last_transit_us;
    uint64_t jitter_us16; /* jitter * 16, as RFC 3550 A.8 keeps it */
    struct {
        uint64_t win_base; /* duplicate window */
        uint64_t win[MCD_FLOW_WINDOW / 64];
    } priv_;
} mcd_flow;

/* What one datagram was to its flow. */
enum mcd_flow_event {
    MCD_FLOW_NEW,       /* first datagram of a new flow */
    MCD_FLOW_RESTART,   /* first datagram of a sender's new run */
    MCD_FLOW_NEXT,      /* in sequence, or a gap (loss) before it */
    MCD_FLOW_LATE,      /* older than the newest: reordered */
    MCD_FLOW_DUPLICATE, /* a sequence number seen before */
    MCD_FLOW_RAW,       /* no test header: counted only */
    MCD_FLOW_FULL       /* a new flow, but the table is full: dropped */
};

/* Flows in the caller's table (state in priv_, see "Private state"). */
typedef struct mcd_flows {
    struct {
        mcd_flow *tab; /* caller's table */
        size_t cap, n;
    } priv_;
} mcd_flows;

MCD_EXTERN
void mcd_flows_init(mcd_flows *f, mcd_flow *table, size_t cap);
/* How many flows are in use: table[0..count) of mcd_flows_init(). */
MCD_EXTERN
size_t mcd_flows_count(const mcd_flows *f);
/* Account for one datagram from `src` received at `now` (monotonic) and
 * `now_real_us` (realtime, for delay). *flow gets its flow (NULL on
 * MCD_FLOW_FULL); *hdr the decoded header when not NULL and present. */
MCD_EXTERN
enum mcd_flow_event mcd_flows_input(mcd_flows *f, mcd_time now,
                                    uint64_t now_real_us,
                                    const mcd_endpoint *src,
                                    const uint8_t *data, size_t len,
                                    mcd_flow **flow, mcd_probe *hdr);
/* Datagrams missing between the lowest and highest sequence numbers
 * seen (losses after the last one received cannot be seen). */
MCD_EXTERN
uint64_t mcd_flow_lost(const mcd_flow *fl);
/* Jitter in microseconds. */
MCD_EXTERN
uint64_t mcd_flow_jitter_us(const mcd_flow *fl);

/* The library's version, "MAJOR.MINOR.PATCH": the MCD_VERSION_STRING it
 * was built with (mcdisc/version.h). */
MCD_EXTERN
const char *mcd_version(void);

#ifdef __cplusplus
}
#endif

/* The live view: announcements, goodbyes, a watcher's table. */
#include "mcdisc/live.h"

#endif /* MCDISC_CORE_H */
