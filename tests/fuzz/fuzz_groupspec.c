/* fuzz_groupspec.c - group arguments (GROUP[:PORT], [GROUP%ZONE]:PORT):
 * parse the bytes as they are (no NUL after them), and if they parse,
 * write the canonical form, parse it back to the same group, zone and
 * port. A zone must lie inside the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "[addr%zone]:port" or "addr:port", the zone as the input wrote it. */
static size_t canonical(const mcd_group_text *g, char *buf, size_t cap)
{
    char a[MCD_ADDR_STRLEN];
    mcd_addr bare = g->group;
    int n;

    bare.scope_id = 0;
    if (mcd_addr_format(&bare, a, sizeof a) < 0)
        abort();
    if (g->group.family == MCD_AF_INET4)
        n = snprintf(buf, cap, "%s:%u", a, g->port);
    else if (g->zone != NULL)
        n = snprintf(buf, cap, "[%s%%%.*s]:%u", a, (int)g->zone_len,
                     g->zone, g->port);
    else
        n = snprintf(buf, cap, "[%s]:%u", a, g->port);
    if (n < 0 || (size_t)n >= cap)
        abort();
    return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char out[MCD_GROUP_HOST_MAX + 16];
    mcd_group_text g, h;

    if (mcd_group_text_parse(text, size, 3333, &g) != 0)
        return 0;
    if (g.port == 0 || !mcd_addr_is_multicast(&g.group))
        abort();
    if (g.zone != NULL &&
        (g.zone < text || g.zone + g.zone_len > text + size))
        abort();
    size_t n = canonical(&g, out, sizeof out);
    if (mcd_group_text_parse(out, n, 1, &h) != 0 ||
        !mcd_addr_equal(&g.group, &h.group) || g.port != h.port ||
        (g.zone == NULL) != (h.zone == NULL) || g.zone_len != h.zone_len ||
        (g.zone != NULL && memcmp(g.zone, h.zone, g.zone_len) != 0))
        abort();
    return 0;
}
