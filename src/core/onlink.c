/*
 * onlink.c - the rules that say whether an address is on a link: inside
 * one of the link's prefixes, link-local by definition, or a prefix's
 * IPv4 broadcast. Pure: the socket layers bring the prefixes (getifaddrs,
 * lwIP's netif) and ask here, so both apply the same rules.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcdisc/core.h"

/* Address bits of a family, 0 for none. */
static unsigned width(const mcd_addr *a)
{
    return a->family == MCD_AF_INET4 ? 32u
           : a->family == MCD_AF_INET6 ? 128u
                                       : 0u;
}

bool mcd_addr_in_prefix(const mcd_addr *a, const mcd_addr *prefix,
                        unsigned bits)
{
    if (a == NULL || prefix == NULL || a->family != prefix->family ||
        width(a) == 0 || bits > width(a))
        return false;
    size_t full = bits / 8u;
    unsigned rest = bits % 8u;

    if (memcmp(a->b, prefix->b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t m = (uint8_t)(0xffu << (8 - rest));
    return (a->b[full] & m) == (prefix->b[full] & m);
}

bool mcd_addr_is_link_local(const mcd_addr *a)
{
    if (a == NULL)
        return false;
    if (a->family == MCD_AF_INET6)
        return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
    if (a->family == MCD_AF_INET4)
        return a->b[0] == 169 && a->b[1] == 254;
    return false;
}

bool mcd_addr_is_broadcast(const mcd_addr *a, const mcd_addr *prefix,
                           unsigned bits)
{
    if (a == NULL || a->family != MCD_AF_INET4 || bits >= 31 ||
        !mcd_addr_in_prefix(a, prefix, bits))
        return false;
    uint32_t v = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
                 (uint32_t)a->b[2] << 8 | a->b[3];
    uint32_t host = bits == 0 ? UINT32_MAX : UINT32_MAX >> bits;
    return (v & host) == host;
}
