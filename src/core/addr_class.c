/*
 * addr_class.c - what an address is: its block in the IANA registries
 * (RFC 5771 multicast blocks, RFC 6890 special-purpose ranges), its scope
 * (RFC 2365, RFC 4291/7346), the IPv6 multicast flags and what they embed
 * (RFC 3306 prefixes, RFC 3956 rendezvous points), and the Ethernet MAC a
 * group maps to.
 *
 * Apart from addr.c because it is a different job: these are tables that
 * follow the registries and grow with them, read by `mcdisc addr` to
 * explain an address; the text grammar in addr.c is what every packet
 * path needs (and a device build that never explains an address links
 * none of this). Pure: no I/O, no heap, every string handed out is static.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcdisc/core.h"

#include "addr_bits.h"

/* ------------------------------------------------------------------------ */
/* Multicast or not                                                          */

bool mcd_addr_is_multicast(const mcd_addr *a)
{
    if (a == NULL)
        return false;
    if (a->family == MCD_AF_INET4)
        return (a->b[0] & 0xf0) == 0xe0; /* 224/4, RFC 5771 */
    if (a->family == MCD_AF_INET6)
        return a->b[0] == 0xff; /* ff00::/8, RFC 4291 2.7 */
    return false;
}

/* ------------------------------------------------------------------------ */
/* IPv4 classification                                                       */

#define V4(a, b, c, d)                                                       \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |       \
     (uint32_t)(d))

struct v4_range {
    uint32_t first, last;
    const char *name;
    const char *rfc;
    const char *scope;
};

/* The IANA IPv4 multicast registry (RFC 5771 section 3 onwards). Covers
 * 224/4 without a hole. 239/8 takes its scope from v4_admin_scopes. */
static const struct v4_range v4_mcast_blocks[] = {
    {V4(224, 0, 0, 0), V4(224, 0, 0, 255), "Local Network Control Block",
     "RFC 5771", "link-local"},
    {V4(224, 0, 1, 0), V4(224, 0, 1, 255), "Internetwork Control Block",
     "RFC 5771", "global"},
    {V4(224, 0, 2, 0), V4(224, 0, 255, 255), "AD-HOC Block I", "RFC 5771",
     "global"},
    {V4(224, 1, 0, 0), V4(224, 1, 255, 255), "Reserved", "RFC 5771",
     "global"},
    {V4(224, 2, 0, 0), V4(224, 2, 255, 255), "SDP/SAP Block", "RFC 2974",
     "global"},
    {V4(224, 3, 0, 0), V4(224, 4, 255, 255), "AD-HOC Block II", "RFC 5771",
     "global"},
    {V4(224, 5, 0, 0), V4(224, 251, 255, 255), "Reserved", "RFC 5771",
     "global"},
    {V4(224, 252, 0, 0), V4(224, 255, 255, 255), "DIS Transient Groups",
     "RFC 5771", "global"},
    {V4(225, 0, 0, 0), V4(231, 255, 255, 255), "Reserved", "RFC 5771",
     "global"},
    {V4(232, 0, 0, 0), V4(232, 255, 255, 255),
     "Source-Specific Multicast Block", "RFC 4607", "global"},
    {V4(233, 0, 0, 0), V4(233, 251, 255, 255), "GLOP Block", "RFC 3180",
     "global"},
    {V4(233, 252, 0, 0), V4(233, 255, 255, 255), "AD-HOC Block III",
     "RFC 5771", "global"},
    {V4(234, 0, 0, 0), V4(234, 255, 255, 255),
     "Unicast-Prefix-based IPv4 Multicast Addresses", "RFC 6034", "global"},
    {V4(235, 0, 0, 0), V4(238, 255, 255, 255), "Reserved", "RFC 5771",
     "global"},
    {V4(239, 0, 0, 0), V4(239, 255, 255, 255),
     "Administratively Scoped Block", "RFC 2365", NULL},
};

/* Sub-blocks worth naming: MCAST-TEST-NET and the RFC 2365 section 6.2
 * scopes, which cover 239/8 without a hole. */
static const struct v4_range v4_mcast_subs[] = {
    {V4(233, 252, 0, 0), V4(233, 252, 0, 255), "MCAST-TEST-NET", "RFC 6676",
     NULL},
    {V4(239, 0, 0, 0), V4(239, 191, 255, 255),
     "Organization Local Scope expansion", "RFC 2365", "organization-local"},
    {V4(239, 192, 0, 0), V4(239, 195, 255, 255),
     "IPv4 Organization Local Scope", "RFC 2365", "organization-local"},
    {V4(239, 196, 0, 0), V4(239, 251, 255, 255), "unassigned", "RFC 2365",
     "organization-local"},
    {V4(239, 252, 0, 0), V4(239, 254, 255, 255), "IPv4 Local Scope expansion",
     "RFC 2365", "site-local"},
    {V4(239, 255, 0, 0), V4(239, 255, 255, 255), "IPv4 Local Scope",
     "RFC 2365", "site-local"},
};

/* The chapter's own four classes. */
static const struct v4_range v4_chapter_classes[] = {
    {V4(224, 0, 0, 0), V4(224, 0, 0, 255), "reserved", NULL, NULL},
    {V4(224, 0, 1, 0), V4(224, 0, 1, 255), "public", NULL, NULL},
    {V4(224, 0, 2, 0), V4(238, 255, 255, 255), "user", NULL, NULL},
    {V4(239, 0, 0, 0), V4(239, 255, 255, 255), "local", NULL, NULL},
};

/* IANA IPv4 Special-Purpose Address Registry (RFC 6890), first match;
 * anything else is global unicast. */
static const struct v4_range v4_special[] = {
    {V4(0, 0, 0, 0), V4(0, 255, 255, 255), "This network", "RFC 791", NULL},
    {V4(10, 0, 0, 0), V4(10, 255, 255, 255), "Private-Use", "RFC 1918",
     "global"},
    {V4(100, 64, 0, 0), V4(100, 127, 255, 255), "Shared Address Space",
     "RFC 6598", "global"},
    {V4(127, 0, 0, 0), V4(127, 255, 255, 255), "Loopback", "RFC 1122",
     "host"},
    {V4(169, 254, 0, 0), V4(169, 254, 255, 255), "Link Local", "RFC 3927",
     "link-local"},
    {V4(172, 16, 0, 0), V4(172, 31, 255, 255), "Private-Use", "RFC 1918",
     "global"},
    {V4(192, 0, 0, 0), V4(192, 0, 0, 255), "IETF Protocol Assignments",
     "RFC 6890", "global"},
    {V4(192, 0, 2, 0), V4(192, 0, 2, 255), "Documentation (TEST-NET-1)",
     "RFC 5737", "global"},
    {V4(192, 168, 0, 0), V4(192, 168, 255, 255), "Private-Use", "RFC 1918",
     "global"},
    {V4(198, 18, 0, 0), V4(198, 19, 255, 255), "Benchmarking", "RFC 2544",
     "global"},
    {V4(198, 51, 100, 0), V4(198, 51, 100, 255), "Documentation (TEST-NET-2)",
     "RFC 5737", "global"},
    {V4(203, 0, 113, 0), V4(203, 0, 113, 255), "Documentation (TEST-NET-3)",
     "RFC 5737", "global"},
    {V4(255, 255, 255, 255), V4(255, 255, 255, 255), "Limited Broadcast",
     "RFC 919", "link-local"},
    {V4(240, 0, 0, 0), V4(255, 255, 255, 255), "Reserved", "RFC 1112", NULL},
    {V4(0, 0, 0, 0), V4(255, 255, 255, 255), "Global unicast", NULL,
     "global"},
};

struct v4_assignment {
    uint32_t addr;
    const char *name;
};

/* Well-known single addresses (IANA multicast registry and others). */
static const struct v4_assignment v4_assignments[] = {
    {V4(0, 0, 0, 0), "Unspecified"},
    {V4(224, 0, 0, 0), "Base address (reserved)"},
    {V4(224, 0, 0, 1), "All Systems on this Subnet"},
    {V4(224, 0, 0, 2), "All Routers on this Subnet"},
    {V4(224, 0, 0, 4), "DVMRP Routers"},
    {V4(224, 0, 0, 5), "OSPF All Routers"},
    {V4(224, 0, 0, 6), "OSPF Designated Routers"},
    {V4(224, 0, 0, 9), "RIPv2 Routers"},
    {V4(224, 0, 0, 10), "EIGRP Routers"},
    {V4(224, 0, 0, 13), "All PIM Routers"},
    {V4(224, 0, 0, 18), "VRRP"},
    {V4(224, 0, 0, 22), "IGMPv3 membership reports"},
    {V4(224, 0, 0, 102), "HSRPv2/GLBP"},
    {V4(224, 0, 0, 106), "Multicast Router Discovery"},
    {V4(224, 0, 0, 107), "PTP peer delay"},
    {V4(224, 0, 0, 251), "mDNS"},
    {V4(224, 0, 0, 252), "LLMNR"},
    {V4(224, 0, 1, 1), "NTP"},
    {V4(224, 0, 1, 39), "Cisco RP-Announce"},
    {V4(224, 0, 1, 40), "Cisco RP-Discovery"},
    {V4(224, 0, 1, 129), "PTP primary"},
    {V4(224, 2, 127, 254), "SAPv1 Announcements"},
    {V4(232, 10, 11, 12), "mcdisc default group (the ESP32-C3 chapter's)"},
    {V4(239, 255, 255, 250), "SSDP (UPnP)"},
    {V4(239, 255, 255, 253), "SLP"},
};

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

static const struct v4_range *v4_find(const struct v4_range *t, size_t n,
                                      uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (v >= t[i].first && v <= t[i].last)
            return &t[i];
    return NULL;
}

static const char *v4_assignment(uint32_t v)
{
    for (size_t i = 0; i < COUNT(v4_assignments); i++)
        if (v4_assignments[i].addr == v)
            return v4_assignments[i].name;
    return NULL;
}

/* RFC 1112 section 6.4: 01:00:5e and the low 23 bits of the group, so
 * 2^5 groups share each MAC. */
static void v4_mac(const uint8_t *b, mcd_addr_info *info)
{
    info->has_mac = true;
    info->mac[0] = 0x01;
    info->mac[1] = 0x00;
    info->mac[2] = 0x5e;
    info->mac[3] = b[1] & 0x7f;
    info->mac[4] = b[2];
    info->mac[5] = b[3];
    info->mac_shared_log2 = 5;
}

static void v4_sub_block(uint32_t v, mcd_addr_info *info)
{
    const struct v4_range *s =
        v4_find(v4_mcast_subs, COUNT(v4_mcast_subs), v);

    if (s == NULL)
        return;
    info->sub_block = s->name;
    info->sub_block_rfc = s->rfc;
    if (s->scope != NULL)
        info->scope = s->scope;
}

/* Block and sub-block names with their RFC and scope; the tables cover
 * 224/4, the NULL checks only guard against a future edit. */
static void v4_block(uint32_t v, mcd_addr_info *info)
{
    const struct v4_range *r =
        v4_find(v4_mcast_blocks, COUNT(v4_mcast_blocks), v);
    const struct v4_range *c =
        v4_find(v4_chapter_classes, COUNT(v4_chapter_classes), v);

    if (r != NULL) {
        info->block = r->name;
        info->block_rfc = r->rfc;
        info->scope = r->scope;
    }
    if (c != NULL)
        info->chapter_class = c->name;
    v4_sub_block(v, info);
}

static void classify_v4_mcast(const uint8_t *b, uint32_t v,
                              mcd_addr_info *info)
{
    info->multicast = true;
    v4_block(v, info);
    /* RFC 4607 section 1: 232/8 is for (S,G) joins only. */
    info->asm_ok = b[0] != 232;
    v4_mac(b, info);
    /* RFC 3180: 233.X.Y.0/24 belongs to AS X*256+Y; 233.252/14 was
     * taken back for AD-HOC Block III (RFC 5771 section 9). */
    if (v >= V4(233, 0, 0, 0) && v <= V4(233, 251, 255, 255)) {
        info->glop = true;
        info->glop_as = (uint32_t)b[1] << 8 | b[2];
    }
    info->assignment = v4_assignment(v);
}

static void classify_v4_unicast(uint32_t v, mcd_addr_info *info)
{
    const struct v4_range *r = v4_find(v4_special, COUNT(v4_special), v);

    info->assignment = v4_assignment(v);
    if (r == NULL) /* the table ends with a catch-all */
        return;
    info->block = r->name;
    info->block_rfc = r->rfc;
    info->scope = r->scope;
}

static void classify_v4(const uint8_t *b, mcd_addr_info *info)
{
    uint32_t v = V4(b[0], b[1], b[2], b[3]);

    if ((b[0] & 0xf0) == 0xe0)
        classify_v4_mcast(b, v, info);
    else
        classify_v4_unicast(v, info);
}

/* ------------------------------------------------------------------------ */
/* IPv6 classification                                                       */

struct v6_prefix {
    uint8_t p[16];
    unsigned len;
    const char *name;
    const char *rfc;
    const char *scope;
};

/* IANA IPv6 Special-Purpose Address Registry and address space, first
 * match. */
static const struct v6_prefix v6_special[] = {
    {{0}, 128, "Unspecified", "RFC 4291", NULL},
    {{[15] = 1}, 128, "Loopback", "RFC 4291", "host"},
    {{[10] = 0xff, [11] = 0xff}, 96, "IPv4-mapped", "RFC 4291", NULL},
    {{0x00, 0x64, 0xff, 0x9b}, 96, "IPv4-IPv6 Translation", "RFC 6052",
     "global"},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48,
     "IPv4-IPv6 Translation (local use)", "RFC 8215", "global"},
    {{0x01, 0x00}, 64, "Discard-Only Address Block", "RFC 6666", "global"},
    {{0x20, 0x01, 0x00, 0x00}, 32, "TEREDO", "RFC 4380", "global"},
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48, "Benchmarking", "RFC 5180",
     "global"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "Documentation", "RFC 3849", "global"},
    {{0x20, 0x02}, 16, "6to4", "RFC 3056", "global"},
    {{0x3f, 0xff, 0x00}, 20, "Documentation", "RFC 9637", "global"},
    {{0xfc}, 7, "Unique-Local", "RFC 4193", "global"},
    {{0xfe, 0x80}, 10, "Link-local unicast", "RFC 4291", "link-local"},
    {{0xfe, 0xc0}, 10, "Site-local unicast (deprecated)", "RFC 3879",
     "site-local"},
    {{0x20}, 3, "Global unicast", NULL, "global"},
    {{0}, 0, "Reserved by IETF", "RFC 4291", NULL},
};

/* RFC 4291 2.7 and RFC 7346 section 2. */
static const char *const v6_scopes[16] = {
    "reserved",   "interface-local", "link-local", "realm-local",
    "admin-local", "site-local",     "unassigned", "unassigned",
    "organization-local", "unassigned", "unassigned", "unassigned",
    "unassigned", "unassigned",      "global",     "reserved",
};

/* A permanent group ff<scope byte>::<low 32 bits>. */
struct v6_assignment {
    uint8_t byte1; /* flags and scope; 0xff: any scope, flags 0 */
    uint32_t low;
    const char *name;
};

/* Exact ones come first so they win over the variable-scope ones. */
static const struct v6_assignment v6_assignments[] = {
    {0x01, 0x1, "All Nodes"},
    {0x01, 0x2, "All Routers"},
    {0x02, 0x1, "All Nodes"},
    {0x02, 0x2, "All Routers"},
    {0x02, 0x5, "OSPFv3 All SPF Routers"},
    {0x02, 0x6, "OSPFv3 All DR Routers"},
    {0x02, 0x9, "RIPng Routers"},
    {0x02, 0xa, "EIGRP Routers"},
    {0x02, 0xd, "All PIM Routers"},
    {0x02, 0x12, "VRRP"},
    {0x02, 0x16, "MLDv2 reports"},
    {0x02, 0x6b, "PTP peer delay"},
    {0x02, 0xfb, "mDNSv6"},
    {0x02, 0xfc, "ESP-IDF multicast example group"},
    {0x02, 0x10002, "DHCPv6 Relay Agents and Servers"},
    {0x02, 0x10003, "LLMNR"},
    {0x05, 0x2, "All Routers"},
    {0x05, 0x10003, "DHCPv6 Servers"},
    {0xff, 0xc, "SSDP (UPnP)"},
    {0xff, 0xfb, "mDNSv6"},
    {0xff, 0x101, "NTP"},
    {0xff, 0x181, "PTP primary"},
};

static bool prefix_match(const uint8_t *b, const uint8_t *p, unsigned len)
{
    unsigned full = len / 8, rest = len % 8;

    if (memcmp(b, p, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (b[full] & mask) == (p[full] & mask);
}

static uint32_t low32(const uint8_t *b)
{
    return (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
           (uint32_t)b[14] << 8 | b[15];
}

static const char *v6_assignment(const uint8_t *b)
{
    if (!addr_all_zero(b + 2, 10))
        return NULL;
    for (size_t i = 0; i < COUNT(v6_assignments); i++) {
        const struct v6_assignment *e = &v6_assignments[i];
        bool scope_ok = e->byte1 == 0xff ? (b[1] >> 4) == 0 : b[1] == e->byte1;
        if (scope_ok && e->low == low32(b))
            return e->name;
    }
    return NULL;
}

/* ff02::1:ff00:0/104 (RFC 4291 2.7.1). */
static bool v6_solicited_node(const uint8_t *b)
{
    return b[1] == 0x02 && addr_all_zero(b + 2, 9) && b[11] == 0x01 &&
           b[12] == 0xff;
}

/* RFC 2464 section 7: 33:33 and the low 32 bits, so 2^96 groups share
 * each MAC. */
static void v6_mac(const uint8_t *b, mcd_addr_info *info)
{
    info->has_mac = true;
    info->mac[0] = 0x33;
    info->mac[1] = 0x33;
    memcpy(info->mac + 2, b + 12, 4);
    info->mac_shared_log2 = 96;
}

/* RFC 3956 sections 3-4: R=1 needs P=1 and T=1, plen 1-64; the RP is
 * the first plen bits of the network prefix, zeros, and the RIID in the
 * last four bits. */
static void v6_embedded_rp(const uint8_t *b, mcd_addr_info *info)
{
    info->block = "Embedded-RP";
    info->block_rfc = "RFC 3956";
    if (info->v6_flags != 0x7) {
        info->note = "invalid flags: R=1 requires P=1 and T=1 (RFC 3956)";
        return;
    }
    if (b[3] == 0 || b[3] > 64) {
        info->note = "invalid plen: Embedded-RP needs 1-64 (RFC 3956)";
        return;
    }
    info->embedded_rp = true;
    info->rp = info->prefix;
    info->rp.b[15] = b[2] & 0x0f;
}

/* The network prefix, masked to plen bits (at most 64). */
static void v6_network_prefix(const uint8_t *b, mcd_addr_info *info)
{
    unsigned plen = b[3] > 64 ? 64 : b[3];
    unsigned full = plen / 8, rest = plen % 8;

    memset(&info->prefix, 0, sizeof info->prefix);
    info->prefix.family = MCD_AF_INET6;
    memcpy(info->prefix.b, b + 4, full);
    if (rest != 0)
        info->prefix.b[full] = (uint8_t)(b[4 + full] & (0xff << (8 - rest)));
}

/* RFC 3306 section 4: ff<flags><scope>:<rsvd>:<plen>:<prefix 64>:<group
 * id 32>. ff3x::/32 (plen 0, flags 0011) is the SSM range (RFC 4607
 * section 1, RFC 3306 section 6). */
static void v6_prefix_based(const uint8_t *b, mcd_addr_info *info)
{
    info->prefix_based = true;
    info->prefix_len = b[3];
    v6_network_prefix(b, info);
    info->group_id = low32(b);
    if (info->v6_flags == 0x3 && b[2] == 0 && b[3] == 0) {
        info->block = "Source-Specific Multicast";
        info->block_rfc = "RFC 4607";
        info->asm_ok = false;
        return;
    }
    info->block = "Unicast-prefix-based";
    info->block_rfc = "RFC 3306";
    if (!info->flag_t)
        info->note = "invalid flags: P=1 requires T=1 (RFC 3306)";
    else if (b[3] > 64)
        info->note = "invalid plen: must be at most 64 (RFC 3306)";
}

static void classify_v6_mcast(const uint8_t *b, mcd_addr_info *info)
{
    info->multicast = true;
    info->v6_flags = (uint8_t)(b[1] >> 4);
    info->v6_scope = b[1] & 0x0f;
    info->flag_r = (info->v6_flags & 0x4) != 0;
    info->flag_p = (info->v6_flags & 0x2) != 0;
    info->flag_t = (info->v6_flags & 0x1) != 0;
    info->scope = v6_scopes[info->v6_scope];
    info->block = "IPv6 multicast";
    info->block_rfc = "RFC 4291";
    info->asm_ok = true;
    v6_mac(b, info);
    if (info->flag_p)
        v6_prefix_based(b, info);
    if (info->flag_r)
        v6_embedded_rp(b, info);
    info->solicited_node = v6_solicited_node(b);
    info->assignment =
        info->solicited_node ? "Solicited-node" : v6_assignment(b);
}

/* ::ffff:a.b.c.d takes its sub-block and scope from a.b.c.d. */
static void v6_mapped_detail(const uint8_t *b, mcd_addr_info *info)
{
    mcd_addr_info v4;

    memset(&v4, 0, sizeof v4);
    classify_v4(b + 12, &v4);
    info->sub_block = v4.block;
    info->sub_block_rfc = v4.block_rfc;
    info->scope = v4.scope;
}

static void classify_v6_unicast(const uint8_t *b, mcd_addr_info *info)
{
    for (size_t i = 0; i < COUNT(v6_special); i++) {
        const struct v6_prefix *e = &v6_special[i];
        if (!prefix_match(b, e->p, e->len))
            continue;
        info->block = e->name;
        info->block_rfc = e->rfc;
        info->scope = e->scope;
        break;
    }
    if (addr_v4_mapped(b))
        v6_mapped_detail(b, info);
}

int mcd_addr_classify(const mcd_addr *a, mcd_addr_info *info)
{
    if (a == NULL || info == NULL)
        return MCD_E_INVAL;
    if (a->family != MCD_AF_INET4 && a->family != MCD_AF_INET6)
        return MCD_E_INVAL;
    memset(info, 0, sizeof *info);
    if (a->family == MCD_AF_INET4)
        classify_v4(a->b, info);
    else if (a->b[0] == 0xff)
        classify_v6_mcast(a->b, info);
    else
        classify_v6_unicast(a->b, info);
    return 0;
}
