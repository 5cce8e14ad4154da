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

#include "core_private.h"

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
    /* Bit by bit: run per datagram on a device (--allow-from), where a
     * byte compare and a mask cost twice the flash. */
    for (unsigned i = 0; i < bits; i++) {
        unsigned differ = (unsigned)a->b[i / 8u] ^ prefix->b[i / 8u];

        if ((differ >> (7u - i % 8u)) & 1u)
            return false;
    }
    return true;
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

bool mcd_host_bits_all_(const mcd_addr *a, unsigned bits, unsigned v)
{
    unsigned total = a->family == MCD_AF_INET4 ? 32u : 128u;

    for (unsigned i = bits; i < total; i++)
        if ((((unsigned)a->b[i / 8u] >> (7u - i % 8u)) & 1u) != v)
            return false;
    return true;
}

/* Decimal 0-max without sign, space or leading zero; -1 when not. */
static int prefix_len(const char *t, size_t n, unsigned max)
{
    unsigned v = 0;

    if (n == 0 || n > 3 || (t[0] == '0' && n > 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return -1;
        v = v * 10u + (unsigned)(t[i] - '0');
    }
    return v > max ? -1 : (int)v;
}

int mcd_subnet_parse(const char *text, size_t len, mcd_subnet *out)
{
    const char *slash;
    mcd_addr a;
    int bits;

    if (out == NULL || (text == NULL && len > 0))
        return MCD_E_INVAL;
    slash = len > 0 ? memchr(text, '/', len) : NULL;
    if (slash == NULL ||
        mcd_addr_parse_n(text, (size_t)(slash - text), &a, NULL) < 0)
        return MCD_E_BADPREFIX;
    bits = prefix_len(slash + 1, len - (size_t)(slash - text) - 1, width(&a));
    /* A /0 trusts every source: that is --allow-offlink, said plainly. */
    if (bits <= 0)
        return MCD_E_BADPREFIX;
    /* Bits past the length: a typo for another prefix (10.1.2.3/8), or
     * a host meant as /32; either way not what the table would hold. */
    if (!mcd_host_bits_all_(&a, (unsigned)bits, 0))
        return MCD_E_PREFIXHOST;
    out->addr = a;
    out->bits = (uint8_t)bits;
    return 0;
}

int mcd_subnet_list_parse(const char *text, mcd_subnet *out, size_t cap,
                          size_t *n)
{
    size_t start = 0, count = 0;

    if (text == NULL || n == NULL || (out == NULL && cap > 0))
        return MCD_E_INVAL;
    for (size_t i = 0;; i++) {
        if (text[i] != ',' && text[i] != '\0')
            continue;
        if (count == cap)
            return MCD_E_PREFIXES;
        int err = mcd_subnet_parse(text + start, i - start, &out[count]);
        if (err < 0)
            return err;
        count++;
        if (text[i] == '\0')
            break;
        start = i + 1;
    }
    *n = count;
    return 0;
}

bool mcd_subnet_match(const mcd_subnet *p, size_t n, const mcd_addr *a)
{
    for (size_t i = 0; p != NULL && i < n; i++)
        if (mcd_addr_in_prefix(a, &p[i].addr, p[i].bits))
            return true;
    return false;
}
