/*
 * cmd_diag.c - mcdisc diag: what this host knows about multicast, per
 * interface, in one place: the kernel's memberships and source filters,
 * the IGMP/MLD version in force, rp_filter, queriers heard (--listen),
 * the multicast routes and their counters when the host routes, and a
 * local bridge's snooping, querier and group database. Read from /proc,
 * sysfs and rtnetlink (libmnl); nothing is changed. The readers shared
 * with recv's "nothing arrived" diagnosis live in diag.c.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

const char cmd_diag_usage[] =
    "usage: mcdisc diag [options] [IFACE...]\n\n"
    "What this host knows about multicast on each interface (default: every\n"
    "one but loopback): memberships and source filters the kernel holds,\n"
    "the IGMP/MLD version in force, rp_filter, queriers heard, multicast\n"
    "routes and their counters, and a local bridge's snooping, querier and\n"
    "group database. One record a line.\n\n"
    "  -l, --listen MS     listen MS ms for IGMP/MLD queries (needs\n"
    "                      CAP_NET_RAW; default 0: not listened)\n"
    "  -j, --json          one JSON object per record per line\n"
    "  -h, --help          this help\n\n"
    "Exit: 0, 1 when a named interface does not exist, 2 on a usage error.\n";

typedef struct dopts {
    cli_where where;
    bool json;
    uint32_t listen_ms;
} dopts;

/* One record: JSON object or "IFACE kind key=value..." line. */
typedef struct dout {
    FILE *f;
    bool json;
} dout;

static void rec_begin(const dout *o, const char *kind, const char *iface)
{
    if (o->json) {
        fprintf(o->f, "{\"kind\":\"%s\"", kind);
        json_kv_str(o->f, "iface", iface);
    } else {
        fprintf(o->f, "%s %s", iface ? iface : "-", kind);
    }
}

static void kv_s(const dout *o, const char *k, const char *v)
{
    if (o->json)
        json_kv_str(o->f, k, v);
    else
        fprintf(o->f, " %s=%s", k, v ? v : "-");
}

static void kv_i(const dout *o, const char *k, long long v)
{
    fprintf(o->f, o->json ? ",\"%s\":%lld" : " %s=%lld", k, v);
}

static void kv_b(const dout *o, const char *k, bool v)
{
    if (o->json)
        json_kv_bool(o->f, k, v);
    else
        fprintf(o->f, " %s=%s", k, v ? "yes" : "no");
}

static void rec_end(const dout *o)
{
    fputs(o->json ? "}\n" : "\n", o->f);
}

/* A /proc or sysfs integer, -1 when absent. */
static long long read_ll(const char *fmt, const char *a)
{
    char path[256];
    long long v = -1;
    FILE *f;

    snprintf(path, sizeof path, fmt, a);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%lld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

static void addr_text4(uint32_t raw, char *buf, size_t cap)
{
    mcd_addr a = {.family = MCD_AF_INET4};

    memcpy(a.b, &raw, 4); /* /proc prints the raw (network order) word */
    cli_format_addr(&a, buf, cap);
}

/* The interface's sysctls that decide what arrives. */
static void iface_record(const dout *o, const mcd_iface *ifc)
{
    const char *n = ifc->name;

    rec_begin(o, "iface", n);
    kv_i(o, "index", ifc->index);
    kv_b(o, "up", ifc->up);
    kv_b(o, "multicast", ifc->multicast);
    kv_i(o, "rp_filter", read_ll("/proc/sys/net/ipv4/conf/%s/rp_filter", n));
    kv_i(o, "rp_filter_all",
         read_ll("/proc/sys/net/ipv4/conf/%s/rp_filter", "all"));
    kv_i(o, "force_igmp_version",
         read_ll("/proc/sys/net/ipv4/conf/%s/force_igmp_version", n));
    kv_i(o, "force_mld_version",
         read_ll("/proc/sys/net/ipv6/conf/%s/force_mld_version", n));
    kv_i(o, "mc_forwarding",
         read_ll("/proc/sys/net/ipv4/conf/%s/mc_forwarding", n));
    rec_end(o);
}

/* 32 hex digits (/proc/net/igmp6, mcfilter6) into an IPv6 address text. */
static bool hex6(const char *h, char *buf, size_t cap)
{
    mcd_addr a = {.family = MCD_AF_INET6};

    if (strlen(h) != 32)
        return false;
    for (int i = 0; i < 16; i++) {
        unsigned v;

        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            return false;
        a.b[i] = (uint8_t)v;
    }
    cli_format_addr(&a, buf, cap);
    return true;
}

/* Whether a line of /proc/net/igmp6 or mcfilter(6) is interface ifindex's.
 * The kernel cuts the name in mcfilter to 6 characters ("%6.6s"), so
 * only the index tells apart names with a common prefix. */
static bool is_iface(int idx, uint32_t ifindex)
{
    return idx >= 0 && (uint32_t)idx == ifindex;
}

/* One source filter entry: /proc/net/mcfilter ("%3d %6.6s 0x%08x 0x%08x
 * %6lu %6lu", host order) or mcfilter6 (fam 1: "%3d %6.6s %pi6 %pi6 ..."). */
typedef struct mcf_line {
    int idx;
    char g[CLI_ADDR_STRLEN], s[CLI_ADDR_STRLEN];
    unsigned long ni, ne; /* sockets including, excluding the source */
} mcf_line;

static const char *const mcf_file[2] = {"/proc/net/mcfilter",
                                        "/proc/net/mcfilter6"};

static bool mcf_parse(int fam, const char *line, mcf_line *m)
{
    unsigned mca, src;
    char g[40], s[40];

    if (fam == 1)
        return sscanf(line, "%d %*s %39s %39s %lu %lu", &m->idx, g, s,
                      &m->ni, &m->ne) == 5 &&
               hex6(g, m->g, sizeof m->g) && hex6(s, m->s, sizeof m->s);
    if (sscanf(line, "%d %*s 0x%x 0x%x %lu %lu", &m->idx, &mca, &src, &m->ni,
               &m->ne) != 5)
        return false;
    addr_text4(htonl(mca), m->g, sizeof m->g);
    addr_text4(htonl(src), m->s, sizeof m->s);
    return true;
}

/* Whether the source filters hold INCLUDE sources for (ifindex, group):
 * a source-specific membership rather than an any-source one. */
static bool src_include(int fam, uint32_t ifindex, const char *group)
{
    char line[256];
    FILE *f = fopen(mcf_file[fam], "r");
    bool inc = false;
    mcf_line m;

    if (f == NULL)
        return false;
    while (!inc && fgets(line, sizeof line, f) != NULL)
        inc = mcf_parse(fam, line, &m) && is_iface(m.idx, ifindex) &&
              strcmp(m.g, group) == 0 && m.ni > 0 && m.ne == 0;
    fclose(f);
    return inc;
}

/* /proc/net/igmp: the IGMP compatibility mode and the groups joined. */
static void igmp_records(const dout *o, const mcd_iface *ifc)
{
    char line[256];
    FILE *f = fopen("/proc/net/igmp", "r");
    int dev = -1;

    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char q[16], g[CLI_ADDR_STRLEN];
        int count;
        unsigned grp, users;

        if (diag_igmp_dev(line, &dev, &count, q, sizeof q)) {
            if (!is_iface(dev, ifc->index))
                continue;
            rec_begin(o, "igmp", ifc->name);
            kv_s(o, "version", q);
            kv_i(o, "groups", count);
            rec_end(o);
        } else if (is_iface(dev, ifc->index) &&
                   sscanf(line, " %x %u", &grp, &users) == 2) {
            addr_text4(grp, g, sizeof g);
            rec_begin(o, "membership", ifc->name);
            kv_s(o, "group", g);
            kv_i(o, "users", users);
            kv_s(o, "mode",
                 src_include(0, ifc->index, g) ? "include" : "exclude");
            rec_end(o);
        }
    }
    fclose(f);
}

/* /proc/net/mcfilter and mcfilter6: the sources of source-specific (and
 * exclude-list) memberships. */
static void source_records(const dout *o, const mcd_iface *ifc)
{
    char line[256];
    mcf_line m;

    for (int fam = 0; fam < 2; fam++) {
        FILE *f = fopen(mcf_file[fam], "r");

        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            if (!mcf_parse(fam, line, &m) || !is_iface(m.idx, ifc->index))
                continue;
            rec_begin(o, "source", ifc->name);
            kv_s(o, "group", m.g);
            kv_s(o, "source", m.s);
            kv_s(o, "mode", m.ni > 0 ? "include" : "exclude");
            rec_end(o);
        }
        if (f != NULL)
            fclose(f);
    }
}

/* /proc/net/igmp6 ("%-4d %-15s %pi6 %5d ..."): the groups joined. */
static void mld_records(const dout *o, const mcd_iface *ifc)
{
    char line[256];
    FILE *f = fopen("/proc/net/igmp6", "r");

    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char h[40], g[CLI_ADDR_STRLEN];
        int idx;
        unsigned users;

        if (sscanf(line, "%d %*s %39s %u", &idx, h, &users) != 3 ||
            !is_iface(idx, ifc->index) || !hex6(h, g, sizeof g))
            continue;
        rec_begin(o, "membership", ifc->name);
        kv_s(o, "group", g);
        kv_i(o, "users", users);
        kv_s(o, "mode", src_include(1, ifc->index, g) ? "include" : "exclude");
        rec_end(o);
    }
    if (f != NULL)
        fclose(f);
}

/* What was heard of queriers, or why nothing can be. */
static void querier_record(const dout *o, const diag_watch *w,
                           const mcd_iface *ifc, int fam, uint32_t listen_ms)
{
    const diag_heard *h = diag_watch_heard(w, ifc->index, fam);
    char a[CLI_ADDR_STRLEN];

    rec_begin(o, "querier", ifc->name);
    kv_s(o, "protocol", fam ? "mld" : "igmp");
    kv_i(o, "listened_ms", listen_ms);
    if (listen_ms == 0) {
        kv_s(o, "heard", "unknown");
        kv_s(o, "why", "not listened (--listen MS)");
    } else if (w->fd[fam] < 0) {
        kv_s(o, "heard", "unknown");
        kv_s(o, "why", w->err[fam] == EPERM
                           ? "listening needs CAP_NET_RAW"
                           : strerror(w->err[fam]));
    } else if (h == NULL) {
        kv_s(o, "heard", "no");
        kv_s(o, "why", "no query on the link: a snooping switch without a "
                       "querier stops forwarding a group one membership "
                       "interval after the last report");
    } else {
        cli_format_addr(&h->from, a, sizeof a);
        kv_s(o, "heard", "yes");
        kv_s(o, "from", a);
        kv_i(o, "version", h->version);
        kv_i(o, "count", (long long)h->n);
        kv_i(o, "ago_ms", (long long)((mcd_clock_mono() - h->last) / 1000u));
    }
    rec_end(o);
}

/* A local bridge (ifc itself, or its master): its multicast settings. */
static void bridge_record(const dout *o, const char *ifname)
{
    diag_bridge b;

    if (!diag_bridge_read(ifname, &b))
        return;
    rec_begin(o, "bridge", ifname);
    kv_s(o, "bridge", b.name);
    kv_i(o, "snooping", b.snooping);
    kv_i(o, "querier", b.querier);
    kv_i(o, "igmp_version", b.igmp_version);
    kv_i(o, "membership_interval_ms", b.membership_ms);
    kv_i(o, "query_interval_ms", b.query_ms);
    kv_s(o, "other_querier", b.other_querier[0] ? b.other_querier : NULL);
    rec_end(o);
    diag_mdb_records(o->f, o->json, b.name);
}

/* /proc/net/ip_mr_vif: vif index to name. */
static void vif_name(const char *file, int vif, char *buf, size_t cap)
{
    char line[256];
    FILE *f = fopen(file, "r");

    snprintf(buf, cap, "vif%d", vif);
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char name[64];
        int i;

        if (sscanf(line, "%d %63s", &i, name) == 2 && i == vif) {
            snprintf(buf, cap, "%s", name);
            break;
        }
    }
    if (f != NULL)
        fclose(f);
}

static void oifs(const dout *o, const char *vifs, const char *rest)
{
    int vif, ttl, used;
    char name[64];
    bool first = true;

    fputs(o->json ? ",\"oifs\":[" : " oifs=", o->f);
    while (sscanf(rest, " %d:%d%n", &vif, &ttl, &used) == 2) {
        vif_name(vifs, vif, name, sizeof name);
        if (o->json)
            fprintf(o->f, "%s\"%s\"", first ? "" : ",", name);
        else
            fprintf(o->f, "%s%s", first ? "" : ",", name);
        first = false;
        rest += used;
    }
    if (o->json)
        fputs("]", o->f);
    else if (first)
        fputs("-", o->f);
}

/* The kernel's multicast forwarding cache: (S,G), iif, counters, oifs. */
static void mroute_records(const dout *o)
{
    char line[512];
    FILE *f = fopen("/proc/net/ip_mr_cache", "r");

    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        unsigned grp, src;
        int iif, used;
        unsigned long pk, by, wr;
        char g[CLI_ADDR_STRLEN], s[CLI_ADDR_STRLEN], in[64];

        if (sscanf(line, "%x %x %d %lu %lu %lu%n", &grp, &src, &iif, &pk,
                   &by, &wr, &used) != 6)
            continue;
        addr_text4(grp, g, sizeof g);
        addr_text4(src, s, sizeof s);
        vif_name("/proc/net/ip_mr_vif", iif, in, sizeof in);
        rec_begin(o, "mroute", iif >= 0 ? in : NULL);
        kv_s(o, "group", g);
        kv_s(o, "source", s);
        kv_b(o, "resolved", iif >= 0);
        kv_i(o, "packets", (long long)pk);
        kv_i(o, "bytes", (long long)by);
        kv_i(o, "wrong_iif", (long long)wr);
        oifs(o, "/proc/net/ip_mr_vif", line + used);
        rec_end(o);
    }
    if (f != NULL)
        fclose(f);
}

static void report(const dout *o, const mcd_iface *ifc, const diag_watch *w,
                   uint32_t listen_ms)
{
    iface_record(o, ifc);
    igmp_records(o, ifc);
    source_records(o, ifc);
    mld_records(o, ifc);
    for (int fam = 0; fam < 2; fam++)
        querier_record(o, w, ifc, fam, listen_ms);
    bridge_record(o, ifc->name);
}

static int parse_opt(void *ctx, int c, const char *arg)
{
    dopts *o = ctx;

    switch (c) {
    case 'j': o->json = true; return 0;
    case 'l':
        return cli_parse_u32("diag: --listen", arg, 0, 600000, &o->listen_ms);
    }
    return -1;
}

static const cli_cmd diag_cli = {
    "diag", ":l:jh", "listen=l json.j", cmd_diag_usage, parse_opt, 0, true};

/* Listen for queries for ms (recv's watch, as long as asked). */
static void listen_queriers(diag_watch *w, uint32_t ms)
{
    int fds[2];
    size_t n = diag_watch_fds(w, fds);
    mcd_time end = mcd_clock_mono() + (mcd_time)ms * 1000u;
    struct pollfd p[2];

    for (size_t i = 0; i < n; i++)
        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    for (mcd_time now = mcd_clock_mono(); n > 0 && now < end;
         now = mcd_clock_mono()) {
        if (poll(p, (nfds_t)n, (int)((end - now) / 1000u) + 1) > 0)
            diag_watch_read(w);
    }
}

/* The interfaces named, or every one but loopback. */
static size_t pick(int argc, char **argv, mcd_iface *out, size_t cap, int *rc)
{
    size_t n = 0;

    for (int i = optind; i < argc && n < cap; i++) {
        if (mcd_iface_lookup(argv[i], &out[n]) < 0) {
            cli_error("diag: no interface '%s'", cli_quote(argv[i]));
            *rc = 1;
            continue;
        }
        n++;
    }
    if (optind < argc)
        return n;
    struct if_nameindex *all = if_nameindex();
    for (struct if_nameindex *p = all; p && p->if_index && n < cap; p++)
        if (mcd_iface_lookup(p->if_name, &out[n]) == 0 && !out[n].loopback)
            n++;
    if (all != NULL)
        if_freenameindex(all);
    return n;
}

int cmd_diag(int argc, char **argv)
{
    static mcd_iface ifs[64];
    static diag_watch w;
    dopts o = {.json = false};
    int rc = cli_getopt(&diag_cli, argc, argv, &o.where, &o);
    dout out = {stdout, false};
    size_t n;

    if (rc != 0)
        return rc < 0 ? EXIT_USAGE : 0;
    out.json = o.json;
    rc = 0;
    n = pick(argc, argv, ifs, sizeof ifs / sizeof ifs[0], &rc);
    memset(&w, 0, sizeof w);
    w.fd[0] = w.fd[1] = -1;
    if (o.listen_ms > 0) {
        diag_watch_open(&w);
        listen_queriers(&w, o.listen_ms);
    }
    for (size_t i = 0; i < n; i++)
        report(&out, &ifs[i], &w, o.listen_ms);
    mroute_records(&out);
    diag_watch_close(&w);
    cli_flush();
    return rc;
}
