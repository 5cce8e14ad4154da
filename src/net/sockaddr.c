/*
 * sockaddr.c - between the cores' plain values and the OS's sockaddrs,
 * and the one thing of address text the core cannot do: look a zone's
 * interface name up (mcd_addr_resolve, mcd_group_spec_parse).
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

socklen_t mcd_to_sockaddr_(const mcd_endpoint *ep, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (ep->addr.family == MCD_AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(ep->port);
        memcpy(&s6->sin6_addr, ep->addr.b, 16);
        s6->sin6_scope_id = ep->addr.scope_id;
        return sizeof *s6;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

    s4->sin_family = AF_INET;
    s4->sin_port = htons(ep->port);
    memcpy(&s4->sin_addr, ep->addr.b, 4);
    return sizeof *s4;
}

int mcd_from_sockaddr_(const struct sockaddr *sa, mcd_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 s6;

        memcpy(&s6, sa, sizeof s6);
        ep->addr.family = MCD_AF_INET6;
        memcpy(ep->addr.b, &s6.sin6_addr, 16);
        ep->addr.scope_id = s6.sin6_scope_id;
        ep->port = ntohs(s6.sin6_port);
        return 0;
    }
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in s4;

        memcpy(&s4, sa, sizeof s4);
        ep->addr.family = MCD_AF_INET4;
        memcpy(ep->addr.b, &s4.sin_addr, 4);
        ep->port = ntohs(s4.sin_port);
        return 0;
    }
    return MCD_E_FAMILY;
}

/* The interface index for a zone: an interface of that name first, else
 * the zone's own value (`numeric`, 0 when it is not a number). */
static int zone_index(const char *zone, size_t n, uint32_t numeric,
                      uint32_t *out)
{
    char name[IF_NAMESIZE];
    unsigned idx = 0;

    if (n > 0 && n < sizeof name) {
        memcpy(name, zone, n);
        name[n] = '\0';
        idx = if_nametoindex(name);
    }
    if (idx == 0)
        idx = numeric;
    if (idx == 0)
        return MCD_E_NOIFACE;
    *out = idx;
    return 0;
}

int mcd_addr_resolve(const char *text, mcd_addr *out)
{
    mcd_addr a, num;

    if (text == NULL || out == NULL)
        return MCD_E_INVAL;
    size_t len = strlen(text), zone_at = len;
    int err = mcd_addr_parse_n(text, len, out, &zone_at);
    if (err == 0 || zone_at >= len)
        return err;
    /* "addr%zone": the address part must parse on its own. */
    err = mcd_addr_parse_n(text, zone_at, &a, NULL);
    if (err < 0 || a.family != MCD_AF_INET6)
        return MCD_E_BADADDR;
    /* A numeric zone parses in the core. */
    if (mcd_addr_parse(text, &num) != 0)
        num.scope_id = 0;
    err = zone_index(text + zone_at + 1, len - zone_at - 1, num.scope_id,
                     &a.scope_id);
    if (err == 0)
        *out = a;
    return err;
}

/* The core parses (mcd_group_text_parse); the zone's name is looked up
 * here, before the core's later checks are reported, as it always was. */
int mcd_group_spec_parse(const char *text, uint16_t default_port,
                         mcd_group_spec *out)
{
    mcd_group_text g;

    if (text == NULL || out == NULL)
        return MCD_E_INVAL;
    memset(out, 0, sizeof *out);
    int err = mcd_group_text_parse(text, strlen(text), default_port, &g);
    if (err == MCD_E_BADADDR)
        return err;
    if (g.zone != NULL) {
        int zerr = zone_index(g.zone, g.zone_len, g.group.scope_id,
                              &g.group.scope_id);
        if (zerr < 0)
            return zerr;
    }
    if (err < 0)
        return err;
    out->group = g.group;
    out->port = g.port;
    return 0;
}

uint8_t mcd_mask_bits_(const struct sockaddr *mask)
{
    mcd_endpoint m;
    uint8_t bits = 0;

    if (mask == NULL || mcd_from_sockaddr_(mask, &m) < 0)
        return 0;
    for (size_t i = 0; i < 16; i++)
        bits = (uint8_t)(bits + __builtin_popcount(m.addr.b[i]));
    return bits;
}
