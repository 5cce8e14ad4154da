/*
 * diag.c - what this machine shows of the usual reasons multicast does not
 * arrive: the interface's flags, rp_filter, the IGMP/MLD version in force,
 * whether the kernel holds the membership, and a route for the group.
 * Everything is read from /proc; nothing is changed.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* A device line of /proc/net/igmp ("%d\t%-10s: %5d %7s"): its index,
 * group count and querier version. The name runs into the colon from 10
 * characters on, so it is skipped, never read: interfaces are told apart
 * by index. Group lines start with a tab. */
bool diag_igmp_dev(const char *line, int *idx, int *count, char *q,
                   size_t qcap)
{
    char v[16];

    if (line[0] < '0' || line[0] > '9' ||
        sscanf(line, "%d %*[^:]: %d %15s", idx, count, v) != 3)
        return false;
    snprintf(q, qcap, "%s", v);
    return true;
}

/* Scan /proc/net/igmp: the querier version on interface ifindex and
 * whether group is joined there. */
static void igmp_state(uint32_t ifindex, const mcd_addr *g, char *querier,
                       size_t qcap, bool *member)
{
    char line[256], hex[16];
    FILE *f = fopen("/proc/net/igmp", "r");
    int dev = -1;

    *member = false;
    snprintf(querier, qcap, "?");
    if (f == NULL)
        return;
    igmp_hex(g, hex, sizeof hex);
    while (fgets(line, sizeof line, f) != NULL) {
        char q[16];
        int idx, count;

        if (diag_igmp_dev(line, &idx, &count, q, sizeof q)) {
            dev = idx;
            if ((uint32_t)dev == ifindex)
                snprintf(querier, qcap, "%s", q);
        } else if (dev >= 0 && (uint32_t)dev == ifindex &&
                   strstr(line, hex) != NULL) {
            *member = true;
        }
    }
    fclose(f);
}

/* /proc/net/igmp6: "%-4d %-15s %pi6 ...", matched by index. */
static bool mld_member(uint32_t ifindex, const mcd_addr *g)
{
    char line[256], hex[33];
    FILE *f = fopen("/proc/net/igmp6", "r");
    bool found = false;

    if (f == NULL)
        return false;
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", g->b[i]);
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char grp[40];
        int idx;

        found = sscanf(line, "%d %*s %39s", &idx, grp) == 2 && idx >= 0 &&
                (uint32_t)idx == ifindex && strcmp(grp, hex) == 0;
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

    igmp_state(ifc->index, g, q, sizeof q, &member);
    fprintf(f, "mcdisc: diag: %s: rp_filter %d (all: %d)%s\n", ifc->name, rp,
            rp_all, (rp > 0 || rp_all > 0) ?
            "; a strict filter drops datagrams from sources not routed back "
            "through this interface" : "");
    /* The kernel falls back to V1/V2 only for a few minutes after hearing
     * such a querier (RFC 3376 7.2.1); V3 is also what it shows when it
     * never heard any query at all. */
    bool older = strcmp(q, "V1") == 0 || strcmp(q, "V2") == 0;
    fprintf(f, "mcdisc: diag: %s: IGMP version %s%s, compatibility mode %s: "
            "%s\n", ifc->name, force > 0 ? "forced to " : "",
            force > 0 ? (force == 2 ? "2" : force == 3 ? "3" : "1")
                      : "not forced",
            q, older ? "an IGMPv1/v2 querier was heard in the last minutes"
                     : "the default, also when no query was ever heard (it "
                       "does not show that a querier exists)");
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
            mld_member(ifc->index, group) ? "holds a" : "holds NO", gtext);
}

/* --- queriers: what recv heard, and what it cannot know ------------------ */

void diag_watch_open(diag_watch *w)
{
    memset(w, 0, sizeof *w);
    w->since = mcd_clock_mono();
    w->fd[0] = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      IPPROTO_IGMP);
    w->err[0] = w->fd[0] < 0 ? errno : 0;
    w->fd[1] = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      IPPROTO_ICMPV6);
    w->err[1] = w->fd[1] < 0 ? errno : 0;

    int on = 1;
    struct icmp6_filter flt;

    /* The interface of each query; ICMPv6: queries only (RFC 2710 3.6). */
    if (w->fd[0] >= 0 &&
        setsockopt(w->fd[0], IPPROTO_IP, IP_PKTINFO, &on, sizeof on) < 0)
        w->err[0] = errno;
    ICMP6_FILTER_SETBLOCKALL(&flt);
    ICMP6_FILTER_SETPASS(MLD_LISTENER_QUERY, &flt);
    if (w->fd[1] >= 0 &&
        (setsockopt(w->fd[1], IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
                    sizeof on) < 0 ||
         setsockopt(w->fd[1], IPPROTO_ICMPV6, ICMP6_FILTER, &flt,
                    sizeof flt) < 0))
        w->err[1] = errno;
    for (int i = 0; i < 2; i++)
        if (w->err[i] != 0 && w->fd[i] >= 0) {
            close(w->fd[i]);
            w->fd[i] = -1;
        }
}

size_t diag_watch_fds(const diag_watch *w, int *fds)
{
    size_t n = 0;

    for (int i = 0; i < 2; i++)
        if (w->fd[i] >= 0)
            fds[n++] = w->fd[i];
    return n;
}

static void heard(diag_watch *w, int fam, uint32_t ifindex,
                  const mcd_addr *from, int version)
{
    diag_heard *h = w->heard[fam];
    size_t i = 0;

    while (i < w->nheard[fam] && h[i].ifindex != ifindex)
        i++;
    if (i == w->nheard[fam]) {
        if (i == DIAG_MAX_HEARD)
            return;
        w->nheard[fam]++;
        h[i] = (diag_heard){.ifindex = ifindex};
    }
    h[i].n++;
    h[i].last = mcd_clock_mono();
    h[i].from = *from;
    h[i].version = version;
}

/* An IGMP membership query (RFC 3376 4.1; 7.1 for the older versions):
 * type 0x11; 8 bytes for v1 (code 0) and v2, 12 or more for v3. */
static void igmp_query(diag_watch *w, const uint8_t *b, size_t n,
                       uint32_t ifindex)
{
    size_t ihl = n > 0 ? (size_t)(b[0] & 0x0f) * 4 : 0;
    mcd_addr from = {.family = MCD_AF_INET4};

    if (n < 20 || ihl < 20 || n < ihl + 8 || b[9] != IPPROTO_IGMP ||
        b[ihl] != 0x11)
        return;
    memcpy(from.b, b + 12, 4);
    heard(w, 0, ifindex, &from,
          n - ihl >= 12 ? 3 : b[ihl + 1] == 0 ? 1 : 2);
}

/* An MLD query (RFC 3810 5.1): 24 bytes for MLDv1, 28 or more for v2. */
static void mld_query(diag_watch *w, const uint8_t *b, size_t n,
                      uint32_t ifindex, const struct sockaddr_in6 *src)
{
    mcd_addr from = {.family = MCD_AF_INET6};

    if (n < 24 || b[0] != MLD_LISTENER_QUERY)
        return;
    memcpy(from.b, &src->sin6_addr, 16);
    heard(w, 1, ifindex, &from, n >= 28 ? 2 : 1);
}

static uint32_t pktinfo_ifindex(struct msghdr *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            return (uint32_t)pi.ipi_ifindex;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            return pi.ipi6_ifindex;
        }
    }
    return 0;
}

void diag_watch_read(diag_watch *w)
{
    uint8_t buf[1500];
    union {
        struct cmsghdr align;
        uint8_t b[256];
    } ctl;
    struct sockaddr_in6 src;

    for (int i = 0; i < 2; i++) {
        for (int k = 0; w->fd[i] >= 0 && k < 64; k++) {
            struct iovec iov = {buf, sizeof buf};
            struct msghdr m = {.msg_name = &src, .msg_namelen = sizeof src,
                               .msg_iov = &iov, .msg_iovlen = 1,
                               .msg_control = ctl.b,
                               .msg_controllen = sizeof ctl.b};
            ssize_t n = recvmsg(w->fd[i], &m, 0);

            if (n < 0)
                break;
            if (i == 0)
                igmp_query(w, buf, (size_t)n, pktinfo_ifindex(&m));
            else
                mld_query(w, buf, (size_t)n, pktinfo_ifindex(&m), &src);
        }
    }
}

void diag_watch_close(diag_watch *w)
{
    for (int i = 0; i < 2; i++)
        if (w->fd[i] >= 0)
            close(w->fd[i]);
}

/* A bridge in this namespace: ifname itself, or the bridge it is a port
 * of. Its name in br, or false. */
static bool local_bridge(const char *ifname, char *br, size_t cap)
{
    char path[128], link[128];
    ssize_t n;

    snprintf(path, sizeof path, "/sys/class/net/%s/bridge", ifname);
    if (access(path, F_OK) == 0) {
        snprintf(br, cap, "%s", ifname);
        return true;
    }
    snprintf(path, sizeof path, "/sys/class/net/%s/brport/bridge", ifname);
    n = readlink(path, link, sizeof link - 1);
    if (n <= 0)
        return false;
    link[n] = '\0';
    snprintf(br, cap, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
    return true;
}

bool diag_bridge_read(const char *ifname, diag_bridge *b)
{
    const char *n = b->name;

    memset(b, 0, sizeof *b);
    if (!local_bridge(ifname, b->name, sizeof b->name))
        return false;
    b->snooping = read_int("/sys/class/net/%s/bridge/multicast_snooping", n);
    b->querier = read_int("/sys/class/net/%s/bridge/multicast_querier", n);
    b->igmp_version =
        read_int("/sys/class/net/%s/bridge/multicast_igmp_version", n);
    /* sysfs gives centiseconds (USER_HZ). */
    b->membership_ms = 10LL * read_int(
        "/sys/class/net/%s/bridge/multicast_membership_interval", n);
    b->query_ms = 10LL * read_int(
        "/sys/class/net/%s/bridge/multicast_query_interval", n);
    diag_bridge_querier(b);
    return true;
}

static void print_bridge(FILE *f, const char *ifname)
{
    diag_bridge b;

    if (!diag_bridge_read(ifname, &b)) {
        fprintf(f, "mcdisc: diag: %s: not a bridge or a bridge's port here; "
                "what this host cannot see: whether a switch between here "
                "and the sender snoops IGMP/MLD and still has a querier "
                "(without one it stops forwarding a group minutes after the "
                "last query), nor whether the sender sends at all\n", ifname);
        return;
    }
    fprintf(f, "mcdisc: diag: %s: bridge %s in this namespace: multicast "
            "snooping %s, its own querier %s%s\n", ifname, b.name,
            b.snooping == 1 ? "on" : b.snooping == 0 ? "off" : "unknown",
            b.querier == 1 ? "on" : b.querier == 0 ? "off" : "unknown",
            b.snooping == 1 && b.querier != 1 && b.other_querier[0] == 0
                ? ": with no other querier on the link, its ports' "
                  "memberships expire and the group stops being forwarded"
                : "");
}

const diag_heard *diag_watch_heard(const diag_watch *w, uint32_t ifindex,
                                   int fam)
{
    for (size_t i = 0; i < w->nheard[fam]; i++)
        if (w->heard[fam][i].ifindex == ifindex)
            return &w->heard[fam][i];
    return NULL;
}

void diag_print_queriers(FILE *f, const diag_watch *w, const mcd_iface *ifc,
                         enum mcd_family family)
{
    int fam = family == MCD_AF_INET6;
    const char *what = fam ? "MLD" : "IGMP";
    double ran = (double)(mcd_clock_mono() - w->since) / 1e6;
    const diag_heard *h = diag_watch_heard(w, ifc->index, fam);

    if (w->fd[fam] < 0) {
        fprintf(f, "mcdisc: diag: %s: cannot listen for %s queries (%s%s), "
                "so whether a querier is on the link is unknown\n", ifc->name,
                what, strerror(w->err[fam]),
                w->err[fam] == EPERM ? ": it needs CAP_NET_RAW" : "");
    } else if (h != NULL) {
        char a[CLI_ADDR_STRLEN];

        cli_format_addr(&h->from, a, sizeof a);
        fprintf(f, "mcdisc: diag: %s: %llu %s quer%s heard in the %.1f s this "
                "ran, the latest %.1f s ago from %s (%sv%d)\n", ifc->name,
                (unsigned long long)h->n, what, h->n == 1 ? "y" : "ies", ran,
                (double)(mcd_clock_mono() - h->last) / 1e6, a, what,
                h->version);
    } else {
        fprintf(f, "mcdisc: diag: %s: no %s query heard in the %.1f s this "
                "ran; queriers send one every 125 s by default, so a shorter "
                "run shows nothing either way\n", ifc->name, what, ran);
    }
    print_bridge(f, ifc->name);
}
