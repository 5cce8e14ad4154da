/*
 * diag.c - what this machine shows of the usual reasons multicast does not
 * arrive: the interface's flags, rp_filter, the IGMP/MLD version in force,
 * whether the kernel holds the membership, and a route for the group.
 * Everything is read from /proc; nothing is changed.
 */
#include "cli.h"

#include <string.h>

/* First line of a /proc/sys file as an int, or -1. */
static int read_int(const char *fmt, const char *ifname)
{
    char path[256];
    FILE *f;
    int v = -1;

    snprintf(path, sizeof path, fmt, ifname);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%d", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

/* The group as /proc/net/igmp prints it: the raw 32-bit value, %08X. */
static void igmp_hex(const mcd_addr *g, char *out, size_t cap)
{
    uint32_t raw;

    memcpy(&raw, g->b, 4);
    snprintf(out, cap, "%08X", raw);
}

/* Scan /proc/net/igmp: the querier version on ifname and whether group is
 * joined there. */
static void igmp_state(const char *ifname, const mcd_addr *g, char *querier,
                       size_t qcap, bool *member)
{
    char line[256], hex[16], dev[64] = "";
    FILE *f = fopen("/proc/net/igmp", "r");

    *member = false;
    snprintf(querier, qcap, "?");
    if (f == NULL)
        return;
    igmp_hex(g, hex, sizeof hex);
    while (fgets(line, sizeof line, f) != NULL) {
        char d[64], q[16];
        int idx, count;

        if (sscanf(line, "%d %63s : %d %15s", &idx, d, &count, q) == 4) {
            snprintf(dev, sizeof dev, "%s", d);
            if (strcmp(dev, ifname) == 0)
                snprintf(querier, qcap, "%s", q);
        } else if (strcmp(dev, ifname) == 0 && strstr(line, hex) != NULL) {
            *member = true;
        }
    }
    fclose(f);
}

static bool mld_member(const char *ifname, const mcd_addr *g)
{
    char line[256], hex[33];
    FILE *f = fopen("/proc/net/igmp6", "r");
    bool found = false;

    if (f == NULL)
        return false;
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", g->b[i]);
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char dev[64], grp[40];
        int idx;

        found = sscanf(line, "%d %63s %39s", &idx, dev, grp) == 3 &&
                strcmp(dev, ifname) == 0 && strcmp(grp, hex) == 0;
    }
    fclose(f);
    return found;
}

/* An IPv4 route that covers the group, from /proc/net/route. */
static bool v4_route(const mcd_addr *g, char *dev, size_t cap)
{
    char line[256];
    FILE *f = fopen("/proc/net/route", "r");
    uint32_t addr;
    bool found = false;

    if (f == NULL)
        return false;
    memcpy(&addr, g->b, 4); /* the file holds raw values too */
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char d[64];
        unsigned dst, gw, flags, refc, use, metric, mask;

        if (sscanf(line, "%63s %x %x %x %u %u %u %x", d, &dst, &gw, &flags,
                   &refc, &use, &metric, &mask) == 8 &&
            (addr & mask) == dst) {
            snprintf(dev, cap, "%s", d);
            found = true;
        }
    }
    fclose(f);
    return found;
}

static void diag_v4(FILE *f, const mcd_iface *ifc, const mcd_addr *g,
                    const char *gtext)
{
    char q[16], dev[64];
    bool member;
    int rp = read_int("/proc/sys/net/ipv4/conf/%s/rp_filter", ifc->name);
    int rp_all = read_int("/proc/sys/net/ipv4/conf/%s/rp_filter", "all");
    int force = read_int("/proc/sys/net/ipv4/conf/%s/force_igmp_version",
                         ifc->name);

    igmp_state(ifc->name, g, q, sizeof q, &member);
    fprintf(f, "mcdisc: diag: %s: rp_filter %d (all: %d)%s\n", ifc->name, rp,
            rp_all, (rp > 0 || rp_all > 0) ?
            "; a strict filter drops datagrams from sources not routed back "
            "through this interface" : "");
    fprintf(f, "mcdisc: diag: %s: IGMP version %s%s, querier mode %s\n",
            ifc->name, force > 0 ? "forced to " : "",
            force > 0 ? (force == 2 ? "2" : force == 3 ? "3" : "1")
                      : "not forced",
            q);
    fprintf(f, "mcdisc: diag: %s: the kernel %s membership of %s\n", ifc->name,
            member ? "holds a" : "holds NO", gtext);
    if (v4_route(g, dev, sizeof dev))
        fprintf(f, "mcdisc: diag: route for %s: via %s\n", gtext, dev);
    else
        fprintf(f, "mcdisc: diag: no route covers %s (no default, no "
                "224.0.0.0/4): joins without an interface index fail\n", gtext);
}

void diag_print_iface(FILE *f, const mcd_iface *ifc, const mcd_addr *group)
{
    char gtext[CLI_ADDR_STRLEN];

    cli_format_addr(group, gtext, sizeof gtext);
    fprintf(f, "mcdisc: diag: %s (index %u): %s, %s\n", ifc->name, ifc->index,
            ifc->up ? "up" : "DOWN or no carrier",
            ifc->multicast ? "MULTICAST flag set" : "NO MULTICAST flag");
    if (group->family == MCD_AF_INET4) {
        diag_v4(f, ifc, group, gtext);
        return;
    }
    int force = read_int("/proc/sys/net/ipv6/conf/%s/force_mld_version",
                         ifc->name);
    fprintf(f, "mcdisc: diag: %s: MLD version %s\n", ifc->name,
            force > 0 ? (force == 1 ? "forced to 1" : "forced to 2")
                      : "not forced");
    fprintf(f, "mcdisc: diag: %s: the kernel %s membership of %s\n", ifc->name,
            mld_member(ifc->name, group) ? "holds a" : "holds NO", gtext);
}
