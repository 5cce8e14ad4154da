/*
 * mcast.c - a group as the user writes it for the test traffic
 * ("group[:port]", "[v6group%zone]:port"): the receiver (receiver.c) and
 * the sender (sender.c) take it parsed.
 */
#define _GNU_SOURCE
#include "net.h"

#include <stdlib.h>
#include <string.h>
#include <net/if.h>

int mcd_group_spec_parse(const char *text, uint16_t default_port,
                         mcd_group_spec *out)
{
    char addr[MCD_ADDR_STRLEN + IF_NAMESIZE + 2];
    const char *port = NULL, *end = text + strlen(text);
    size_t alen;

    memset(out, 0, sizeof *out);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');

        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return MCD_E_BADADDR;
        alen = (size_t)(close - text - 1);
        text++;
        port = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strchr(text, ':');

        /* One colon: IPv4 with a port. More: a bare IPv6 group. */
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            alen = (size_t)(colon - text);
            port = colon + 1;
        } else {
            alen = (size_t)(end - text);
        }
    }
    if (alen == 0 || alen >= sizeof addr)
        return MCD_E_BADADDR;
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    int err = mcd_addr_resolve(addr, &out->group);
    if (err < 0)
        return err;
    if (!mcd_addr_is_multicast(&out->group))
        return MCD_E_NOTMCAST;
    out->port = default_port;
    if (port != NULL) {
        char *e;
        unsigned long v;

        if (*port < '1' || *port > '9')
            return MCD_E_BADPORT;
        v = strtoul(port, &e, 10);
        if (*e != '\0' || v == 0 || v > 65535)
            return MCD_E_BADPORT;
        out->port = (uint16_t)v;
    }
    return 0;
}
