/*
 * cmd_recv.c - `mcdisc recv`: join groups, show what arrives, and account
 * per sender for loss, duplicates, reordering, rate, delay and jitter.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char cmd_recv_usage[] =
    "usage: mcdisc recv [options] GROUP[:PORT]...\n\n"
    "Join each group and print every datagram that arrives: source,\n"
    "group, interface, size, and the test header's fields (from `mcdisc\n"
    "send`) or a safe preview of the payload. At the end, a summary per\n"
    "sender: received, lost, duplicated, reordered, rate, one-way delay and\n"
    "jitter (delay is meaningful when both ends share a clock). IPv6 groups\n"
    "take the [GROUP%ZONE]:PORT form.\n\n"
    "  -i, --iface IF      join on IF (name, index or address); repeatable.\n"
    "                      Default: every usable interface of the family\n"
    "  -S, --source S      source-specific join: only datagrams from S\n"
    "  -p, --port P        port for groups given without one (default "
    CLI_STR(MCD_DEFAULT_PORT) ")\n"
    "  -c, --count N       stop after N datagrams\n"
    "  -d, --duration S    stop after S seconds (decimals allowed)\n"
    "  -q, --quiet         print only the summary\n"
    "  -j, --json          one JSON object per datagram and per summary\n"
    "  -h, --help          this help\n\n"
    "Ends at --count, --duration, SIGINT or SIGTERM. When nothing arrived\n"
    "it prints what the machine shows of the usual causes.\n"
    "Exit: 0 when something was received, 1 when nothing was, 2 on an error.\n";

#define MAX_GROUPS 64
#define MAX_FLOWS 1024

typedef struct ropts {
    const char *gtext[MAX_GROUPS];
    mcd_group_spec groups[MAX_GROUPS];
    size_t ngroups;
    cli_where where; /* no --group: groups are operands */
    const char *source;
    uint64_t count;
    double duration;
    bool quiet, json;
} ropts;

typedef struct rstate {
    const ropts *o;
    mcd_flows flows;
    mcd_flow table[MAX_FLOWS];
    uint64_t total;
    /* Datagrams of senders beyond the table, and a bitmap of their hashed
     * endpoints: its set bits are a lower bound of how many senders. */
    uint64_t untracked, untracked_senders;
    uint8_t untracked_seen[65536 / 8];
    diag_watch watch;
    uint32_t *ifidx; /* joined at the start, and their names */
    char (*ifnames)[IF_NAMESIZE];
    size_t nif;
} rstate;

static int parse_opt(void *ctx, int c, const char *arg)
{
    ropts *o = ctx;

    long v;

    switch (c) {
    case 'S': o->source = arg; return 0;
    case 'c':
        if (cli_parse_long("recv: --count", arg, 1, 2000000000L, &v) < 0)
            return -1;
        o->count = (uint64_t)v;
        return 0;
    case 'd':
        return cli_parse_decimal("recv: --duration", arg, 0.001, 1e7,
                                 &o->duration);
    case 'q': o->quiet = true; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static int parse_groups(ropts *o, int argc, char **argv)
{
    mcd_addr src = {0};

    if (o->source != NULL && mcd_addr_resolve(o->source, &src) < 0) {
        cli_error("recv: --source '%s': not a valid IPv4 or IPv6 address",
                  cli_quote(o->source));
        return -1;
    }
    if (o->source != NULL && mcd_addr_is_multicast(&src)) {
        cli_error("recv: --source '%s' is a group, not a sender",
                  cli_quote(o->source));
        return -1;
    }
    if (optind >= argc) {
        cli_error("recv: which group? (mcdisc recv GROUP[:PORT]...)");
        return -1;
    }
    for (int i = optind; i < argc; i++) {
        mcd_group_spec *g = &o->groups[o->ngroups];
        int err;

        if (o->ngroups == MAX_GROUPS) {
            cli_error("recv: at most %d groups", MAX_GROUPS);
            return -1;
        }
        err = mcd_group_spec_parse(argv[i], o->where.port, g);
        if (err < 0) {
            cli_group_error("recv", argv[i], err);
            return -1;
        }
        if (o->source != NULL && src.family != g->group.family) {
            cli_error("recv: --source '%s' and group '%s' are not of one "
                      "family", cli_quote(o->source), cli_quote(argv[i]));
            return -1;
        }
        g->source = src;
        o->gtext[o->ngroups++] = argv[i];
    }
    return 0;
}

static const cli_cmd recv_cli = {
    "recv", ":i:S:p:c:d:qjh",
    "iface=i source=S port=p count=c duration=d quiet.q json.j",
    cmd_recv_usage, parse_opt, MCD_MAX_IFACES, true};

static int parse_args(ropts *o, int argc, char **argv)
{
    int rc = cli_getopt(&recv_cli, argc, argv, &o->where, o);

    if (rc != 0)
        return rc;
    return parse_groups(o, argc, argv);
}

static void print_human(const mcd_datagram *dg, const mcd_flow *fl,
                        const mcd_probe *h, enum mcd_flow_event ev)
{
    char from[CLI_ENDPOINT_STRLEN], dst[CLI_ENDPOINT_STRLEN];
    char ifname[IF_NAMESIZE];
    size_t keep = dg->len < MCD_RX_KEEP ? dg->len : MCD_RX_KEEP;

    cli_format_endpoint(&dg->from, from, sizeof from);
    cli_format_endpoint(&dg->dst, dst, sizeof dst);
    cli_ifname(dg->ifindex, ifname, sizeof ifname);
    printf("%s -> %s on %s, %zu bytes", from, dst, ifname, dg->len);
    if (fl != NULL && fl->probe) {
        printf(": id %08x seq %llu, delay %.3f ms%s\n", h->sender_id,
               (unsigned long long)h->seq,
               (double)fl->last_transit_us / 1000.0,
               ev == MCD_FLOW_DUPLICATE ? " (duplicate)"
               : ev == MCD_FLOW_LATE    ? " (late)"
               : ev == MCD_FLOW_RESTART ? " (sender restarted)"
                                        : "");
        return;
    }
    fputs(": \"", stdout); /* cli_print_safe escapes '"' */
    cli_print_safe(stdout, (const char *)dg->data, keep < 64 ? keep : 64);
    printf("\"%s\n", keep > 64 ? "..." : "");
}

static void print_json(const mcd_datagram *dg, const mcd_flow *fl,
                       const mcd_probe *h, enum mcd_flow_event ev)
{
    char a[CLI_ADDR_STRLEN], ifname[IF_NAMESIZE];
    size_t keep = dg->len < MCD_RX_KEEP ? dg->len : MCD_RX_KEEP;

    cli_format_addr(&dg->from.addr, a, sizeof a);
    fputs("{\"type\":\"datagram\",\"from\":", stdout);
    json_str(stdout, a);
    cli_format_addr(&dg->dst.addr, a, sizeof a);
    printf(",\"from_port\":%u,\"group\":", dg->from.port);
    json_str(stdout, a);
    cli_ifname(dg->ifindex, ifname, sizeof ifname);
    printf(",\"port\":%u,\"iface\":", dg->dst.port);
    json_str(stdout, ifname);
    printf(",\"size\":%zu", dg->len);
    if (fl != NULL && fl->probe)
        printf(",\"sender_id\":%u,\"seq\":%llu,\"delay_us\":%lld,"
               "\"duplicate\":%s,\"late\":%s,\"restart\":%s}\n",
               h->sender_id, (unsigned long long)h->seq,
               (long long)fl->last_transit_us,
               ev == MCD_FLOW_DUPLICATE ? "true" : "false",
               ev == MCD_FLOW_LATE ? "true" : "false",
               ev == MCD_FLOW_RESTART ? "true" : "false");
    else {
        fputc(',', stdout);
        json_text(stdout, "preview", (const char *)dg->data,
                  keep < 64 ? keep : 64);
        fputs("}\n", stdout);
    }
}

/* A sender the full table could not take: counted, and said so once. */
static void untracked(rstate *st, const mcd_endpoint *src)
{
    uint32_t h = 2166136261u; /* FNV-1a over the address and port */
    const uint8_t *b = (const uint8_t *)src->addr.b;

    for (size_t i = 0; i < 16; i++)
        h = (h ^ b[i]) * 16777619u;
    h = ((h ^ (src->port & 0xff)) * 16777619u ^ (src->port >> 8)) * 16777619u;
    h = (h >> 16) ^ (h & 0xffff);
    if (st->untracked++ == 0)
        cli_error("recv: more than %d senders: those beyond are counted, not "
                  "tracked", MAX_FLOWS);
    if (!(st->untracked_seen[h / 8] & (1u << (h % 8)))) {
        st->untracked_seen[h / 8] |= (uint8_t)(1u << (h % 8));
        st->untracked_senders++;
    }
}

static void on_datagram(void *ctx, const mcd_datagram *dg)
{
    rstate *st = ctx;
    mcd_flow *fl;
    mcd_probe h = {0};
    size_t keep = dg->len < MCD_RX_KEEP ? dg->len : MCD_RX_KEEP;
    enum mcd_flow_event ev = mcd_flows_input(&st->flows, dg->at, dg->at_real_us,
                                             &dg->from, dg->data, keep, &fl, &h);

    if (fl != NULL)
        fl->bytes += dg->len - keep; /* count what the buffer did not keep */
    else if (ev == MCD_FLOW_FULL)
        untracked(st, &dg->from);
    st->total++;
    if (st->o->quiet)
        return;
    if (st->o->json)
        print_json(dg, fl, &h, ev);
    else
        print_human(dg, fl, &h, ev);
}

/* N datagrams span N - 1 gaps, from the first to the last: one datagram
 * (or several in the same microsecond) has no rate. Bytes as send counts
 * them, the mean size times the datagrams per second. */
static bool flow_rate(const mcd_flow *fl, double *pps, double *bps)
{
    double span = (double)(fl->last_at - fl->first_at) / 1e6;

    if (fl->received < 2 || span <= 0)
        return false;
    *pps = (double)(fl->received - 1) / span;
    *bps = *pps * (double)fl->bytes / (double)fl->received;
    return true;
}

static void summary_human(const mcd_flow *fl)
{
    char from[CLI_ENDPOINT_STRLEN];
    double pps, bps;
    bool has_rate = flow_rate(fl, &pps, &bps);

    cli_format_endpoint(&fl->src, from, sizeof from);
    printf("%s", from);
    if (fl->probe)
        printf(" id %08x%s", fl->sender_id,
               fl->restarted ? " (restarted)" : "");
    printf(": %llu received", (unsigned long long)fl->received);
    if (fl->probe) {
        uint64_t lost = mcd_flow_lost(fl);
        double expected = (double)(lost + fl->unique);
        printf(", %llu lost (%.1f%%), %llu duplicated, %llu reordered",
               (unsigned long long)lost, 100.0 * (double)lost / expected,
               (unsigned long long)fl->duplicates,
               (unsigned long long)fl->reordered);
    }
    if (has_rate)
        printf(", %.1f datagrams/s, %.1f bytes/s", pps, bps);
    else
        fputs(" (a rate needs two datagrams apart)", stdout);
    if (fl->probe && fl->delay_n > 0)
        printf(", delay min/avg/max %.3f/%.3f/%.3f ms, jitter %.3f ms",
               (double)fl->delay_min_us / 1000,
               (double)fl->delay_sum_us / (double)fl->delay_n / 1000,
               (double)fl->delay_max_us / 1000,
               (double)mcd_flow_jitter_us(fl) / 1000);
    putchar('\n');
}

static void summary_json(const mcd_flow *fl)
{
    char a[CLI_ADDR_STRLEN];
    double secs = (double)(fl->last_at - fl->first_at) / 1e6, pps, bps;

    cli_format_addr(&fl->src.addr, a, sizeof a);
    fputs("{\"type\":\"summary\",\"from\":", stdout);
    json_str(stdout, a);
    printf(",\"from_port\":%u,\"probe\":%s,\"received\":%llu,\"bytes\":%llu,"
           "\"seconds\":%.6f,",
           fl->src.port, fl->probe ? "true" : "false",
           (unsigned long long)fl->received, (unsigned long long)fl->bytes,
           secs);
    if (flow_rate(fl, &pps, &bps))
        printf("\"rate_pps\":%.3f,\"rate_Bps\":%.3f", pps, bps);
    else
        fputs("\"rate_pps\":null,\"rate_Bps\":null", stdout);
    if (fl->probe)
        printf(",\"sender_id\":%u,\"restarted\":%s,\"unique\":%llu,"
               "\"lost\":%llu,\"duplicates\":%llu,\"reordered\":%llu,"
               "\"first_seq\":%llu,\"last_seq\":%llu,\"delay_min_us\":%lld,"
               "\"delay_avg_us\":%lld,\"delay_max_us\":%lld,\"jitter_us\":%llu",
               fl->sender_id, fl->restarted ? "true" : "false",
               (unsigned long long)fl->unique,
               (unsigned long long)mcd_flow_lost(fl),
               (unsigned long long)fl->duplicates,
               (unsigned long long)fl->reordered,
               (unsigned long long)fl->min_seq,
               (unsigned long long)fl->max_seq, (long long)fl->delay_min_us,
               (long long)(fl->delay_n ? fl->delay_sum_us / (int64_t)fl->delay_n
                                       : 0),
               (long long)fl->delay_max_us,
               (unsigned long long)mcd_flow_jitter_us(fl));
    puts("}");
}

static void summary_untracked(const rstate *st)
{
    if (st->untracked == 0)
        return;
    if (st->o->json)
        printf("{\"type\":\"untracked\",\"datagrams\":%llu,"
               "\"senders_at_least\":%llu,\"table_size\":%d}\n",
               (unsigned long long)st->untracked,
               (unsigned long long)st->untracked_senders, MAX_FLOWS);
    else
        printf("not tracked (the table holds %d senders): %llu datagrams "
               "from at least %llu more senders\n", MAX_FLOWS,
               (unsigned long long)st->untracked,
               (unsigned long long)st->untracked_senders);
}

/* An interface joined at the start that is gone or was re-created: its
 * membership went with it. True when so (and said). */
static bool iface_gone(const rstate *st, size_t i)
{
    mcd_iface now;
    int err = mcd_iface_lookup(st->ifnames[i], &now);

    /* There still, or no telling (no descriptor left to ask, say). */
    if (err == 0 ? now.index == st->ifidx[i] : err != MCD_E_NOIFACE)
        return false;
    if (err == 0)
        cli_error("recv: %s was deleted and re-created while recv ran (index "
                  "%u, now %u): the groups were joined on the old one",
                  cli_quote(st->ifnames[i]), st->ifidx[i], now.index);
    else
        cli_error("recv: %s (index %u) was deleted while recv ran: nothing "
                  "more could arrive on it", cli_quote(st->ifnames[i]),
                  st->ifidx[i]);
    return true;
}

static void diagnose(const mcd_receiver *r, const rstate *st)
{
    const ropts *o = st->o;

    fprintf(stderr, "mcdisc: recv: nothing arrived; what this host shows:\n");
    for (size_t i = 0; i < st->nif; i++) {
        mcd_iface ifc;

        if (mcd_iface_lookup(st->ifnames[i], &ifc) < 0 ||
            ifc.index != st->ifidx[i])
            continue; /* said by iface_gone() */
        for (size_t g = 0; g < o->ngroups; g++) {
            const mcd_addr *grp = &o->groups[g].group;

            if (grp->family == MCD_AF_INET4 ? ifc.has_v4 : ifc.has_v6)
                diag_print_iface(stderr, &ifc, grp);
        }
        for (int fam = MCD_AF_INET4; fam <= MCD_AF_INET6; fam++)
            for (size_t g = 0; g < o->ngroups; g++)
                if (o->groups[g].group.family == fam) {
                    diag_print_queriers(stderr, &st->watch, &ifc, fam);
                    break;
                }
    }
    if (o->source != NULL)
        fprintf(stderr, "mcdisc: diag: source filter: only datagrams from %s "
                "(source-specific join, RFC 4607); the kernel drops those of "
                "any other sender\n", cli_quote(o->source));
    if (mcd_receiver_foreign(r) > 0)
        fprintf(stderr, "mcdisc: recv: %llu datagrams reached the port but "
                "were for another group or source\n",
                (unsigned long long)mcd_receiver_foreign(r));
}

/* The receiver's sockets (one or more per family and port: as many as
 * its memberships need) and diag's, to poll. */
static size_t poll_set(const mcd_receiver *r, const rstate *st,
                       struct pollfd *pfd, int *fds)
{
    size_t n = mcd_receiver_fds(r, fds, mcd_receiver_nfds(r));

    n += diag_watch_fds(&st->watch, fds + n);
    for (size_t i = 0; i < n; i++)
        pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    return n;
}

static int loop(mcd_receiver *r, rstate *st, struct pollfd *pfd, size_t n,
                const sigset_t *waitmask)
{
    mcd_time stop_at = st->o->duration > 0
        ? mcd_clock_mono() + (mcd_time)(st->o->duration * 1e6) : MCD_TIME_NEVER;

    while (!cli_stop_signal &&
           (st->o->count == 0 || st->total < st->o->count)) {
        mcd_time now = mcd_clock_mono();
        struct timespec ts, *tp = NULL;

        if (now >= stop_at)
            break;
        if (stop_at != MCD_TIME_NEVER) {
            ts.tv_sec = (time_t)((stop_at - now) / 1000000);
            ts.tv_nsec = (long)((stop_at - now) % 1000000) * 1000;
            tp = &ts;
        }
        if (ppoll(pfd, (nfds_t)n, tp, waitmask) < 0 && errno != EINTR) {
            cli_error("recv: poll: %s", strerror(errno));
            return EXIT_USAGE;
        }
        diag_watch_read(&st->watch);
        int got = mcd_receiver_process(r, on_datagram, st);
        if (got < 0) /* reported, and the receiver goes on */
            cli_error("recv: %s", mcd_strerror(got));
        cli_flush();
    }
    return EXIT_OK;
}

/* Interfaces recv chose itself where the kernel refused a join (a socket
 * more could not be opened, say): each named once, with the reason. */
static void report_skipped(const mcd_receiver *r, const ropts *o)
{
    mcd_receiver_skip k;

    for (size_t i = 0; mcd_receiver_skipped(r, i, &k); i++)
        cli_error("recv: cannot join %s on %s, skipping it: %s",
                  cli_quote(o->gtext[k.group]), cli_quote(k.name),
                  mcd_strerror(k.err));
}

int cmd_recv(int argc, char **argv)
{
    static rstate st;
    ropts o = {.where.port = MCD_DEFAULT_PORT};
    sigset_t stops, waitmask;
    mcd_receiver *r;
    struct pollfd *pfd = NULL;
    int *fds = NULL;
    size_t bad, nfds;
    int rc = parse_args(&o, argc, argv), err;

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    err = mcd_receiver_open(&r, o.groups, o.ngroups, o.where.ifaces.name,
                            o.where.ifaces.n, &bad);
    if (err < 0) {
        cli_open_error("recv", err, o.gtext[0], o.groups[0].port,
                       o.where.ifaces.name, bad);
        return EXIT_USAGE;
    }
    st.o = &o;
    mcd_flows_init(&st.flows, st.table, MAX_FLOWS);
    report_skipped(r, &o);
    diag_watch_open(&st.watch);
    nfds = mcd_receiver_nfds(r) + 2; /* and diag's two */
    st.nif = mcd_receiver_nifaces(r);
    pfd = calloc(nfds, sizeof *pfd);
    fds = calloc(nfds, sizeof *fds);
    st.ifidx = calloc(st.nif, sizeof *st.ifidx);
    st.ifnames = calloc(st.nif, sizeof *st.ifnames);
    if (pfd == NULL || fds == NULL || st.ifidx == NULL || st.ifnames == NULL) {
        cli_error("recv: %s", strerror(ENOMEM));
        rc = EXIT_USAGE;
        goto out;
    }
    st.nif = mcd_receiver_ifaces(r, st.ifidx, st.nif);
    for (size_t i = 0; i < st.nif; i++)
        snprintf(st.ifnames[i], IF_NAMESIZE, "%s",
                 mcd_receiver_ifname(r, st.ifidx[i]));
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, &waitmask);
    cli_catch_stop();
    rc = loop(r, &st, pfd, poll_set(r, &st, pfd, fds), &waitmask);
    for (size_t i = 0; i < mcd_flows_count(&st.flows); i++)
        (o.json ? summary_json : summary_human)(&st.table[i]);
    summary_untracked(&st);
    for (size_t i = 0; i < st.nif; i++)
        (void)iface_gone(&st, i);
    if (rc == EXIT_OK && st.total == 0) {
        diagnose(r, &st);
        rc = EXIT_NO;
    }
out:
    free(pfd);
    free(fds);
    free(st.ifidx);
    free(st.ifnames);
    diag_watch_close(&st.watch);
    mcd_receiver_close(r);
    return rc;
}
