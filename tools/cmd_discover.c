/*
 * cmd_discover.c - `mcdisc discover`: multicast the query, list devices.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

const char cmd_discover_usage[] =
    "usage: mcdisc discover [options]\n\n"
    "Multicast the query and print each device that answers, once, as it\n"
    "arrives: address, port, interface, name, protocol, service port and\n"
    "round-trip time.\n\n"
    "  -i, --iface IF      send on IF (name, index or address); repeatable.\n"
    "                      Default: every interface that is up, multicast-\n"
    "                      capable, not loopback, with an address of the\n"
    "                      group's family\n"
    "  -g, --group G       multicast group (default " MCD_DEFAULT_GROUP ")\n"
    "  -p, --port P        UDP port of the group (default "
    CLI_STR(MCD_DEFAULT_PORT) ")\n"
    "      --ttl N         multicast TTL / hop limit, 1-255 (default "
    CLI_STR(MCD_DEFAULT_TTL) ")\n"
    "  -t, --timeout MS    collect replies for MS milliseconds (default "
    CLI_STR(CLI_DEFAULT_TIMEOUT_MS) ")\n"
    "      --retries N     send at most N more copies of the query (default:\n"
    "                      as many as fit in the timeout)\n"
    "      --interval MS   gap before the first copy, doubling (default "
    CLI_STR(CLI_DEFAULT_INTERVAL_MS) ")\n"
    "      --max-interval MS\n"
    "                      ...up to this gap (default "
    CLI_STR(CLI_DEFAULT_MAX_INTERVAL_MS) ")\n"
    "  -q, --query TEXT    the query (default \"" MCD_DEFAULT_QUERY "\")\n"
    "  -c, --count N       stop as soon as N devices answered\n"
    "      --per-source N  list at most N devices per source address\n"
    "                      (default " CLI_STR(MCD_DEFAULT_PER_SOURCE) ")\n"
    "  -j, --json          one JSON object per device per line\n"
    "  -h, --help          this help\n\n"
    "Replies count only from a unicast address and port, and with TTL 1\n"
    "only from the link they arrived on.\n\n"
    "Exit: 0 when at least one device (or N with --count) answered, 1 when\n"
    "fewer did before the timeout, 2 on a usage or system error, 3 when the\n"
    "device table filled up and some devices may be missing.\n";

typedef struct dopts {
    mcd_query_config cfg;
    cli_where where;
    bool json;
} dopts;

static int parse_opt(void *ctx, int c, const char *arg)
{
    dopts *o = ctx;

    uint32_t v;

    switch (c) {
    case 'T':
        return cli_ttl("discover", arg, &o->cfg.ttl);
    case 't':
        return cli_parse_u32("discover: --timeout", arg, 1, 3600000,
                             &o->cfg.timeout_ms);
    case 'r':
        if (cli_parse_u32("discover: --retries", arg, 0, 100, &v) < 0)
            return -1;
        o->cfg.sends = v + 1;
        return 0;
    case 'I':
        return cli_parse_u32("discover: --interval", arg, 1, 600000,
                             &o->cfg.interval_ms);
    case 'M':
        return cli_parse_u32("discover: --max-interval", arg, 1, 600000,
                             &o->cfg.max_interval_ms);
    case 'q':
        return cli_query("discover", arg, &o->cfg.query);
    case 'c':
        return cli_parse_u32("discover: --count", arg, 1, 1000000,
                                 &o->cfg.count);
    case 'S':
        return cli_parse_u32("discover: --per-source", arg, 1, 1000000,
                             &o->cfg.per_source);
    case 'j':
        o->json = true;
        return 0;
    }
    return -1;
}

static const cli_cmd discover_cli = {
    "discover", ":i:g:p:t:q:c:jh",
    "iface=i group=g port=p ttl=T timeout=t retries=r interval=I "
    "max-interval=M query=q count=c per-source=S json.j",
    cmd_discover_usage, parse_opt, MCD_MAX_IFACES, false};

static int parse_args(dopts *o, int argc, char **argv)
{
    o->where.group = o->cfg.group;
    o->where.port = o->cfg.port;
    int rc = cli_getopt(&discover_cli, argc, argv, &o->where, o);

    o->cfg.group = o->where.group;
    o->cfg.port = o->where.port;
    o->cfg.ifaces = o->where.ifaces.name;
    o->cfg.n_ifaces = o->where.ifaces.n;
    return rc;
}

typedef struct dctx {
    const dopts *o;
    const mcd_query *q;
} dctx;

static void print_device(void *ctx, const mcd_device *d)
{
    const dopts *o = ((const dctx *)ctx)->o;
    const char *ifname = mcd_query_ifname(((const dctx *)ctx)->q, d->ifindex);
    char ep[CLI_ENDPOINT_STRLEN], addr[CLI_ADDR_STRLEN];
    double rtt_ms = (double)d->rtt / 1000.0;

    if (!o->json) {
        cli_format_endpoint(&d->from, ep, sizeof ep);
        printf("%-22s %-8s ", ep, ifname);
        cli_print_safe(stdout, d->reply.name, strlen(d->reply.name));
        fputs("  ", stdout);
        cli_print_safe(stdout, d->reply.proto, strlen(d->reply.proto));
        printf(" %u  %.2f ms\n", d->reply.port, rtt_ms);
    } else {
        cli_format_addr(&d->from.addr, addr, sizeof addr);
        fputs("{\"address\":", stdout);
        json_str(stdout, addr);
        printf(",\"port\":%u,\"iface\":", d->from.port);
        json_str(stdout, ifname);
        fputc(',', stdout);
        json_text(stdout, "name", d->reply.name, strlen(d->reply.name));
        fputc(',', stdout);
        json_text(stdout, "proto", d->reply.proto, strlen(d->reply.proto));
        printf(",\"service_port\":%u,\"rtt_ms\":%.3f,\"t_ms\":%.3f}\n",
               d->reply.port, rtt_ms, (double)d->elapsed / 1000.0);
    }
    cli_flush();
}

static int loop(dopts *o, mcd_query *q, struct pollfd *pfd, size_t n)
{
    dctx ctx = {o, q};

    while (!mcd_query_done(q)) {
        int err = mcd_query_process(q, print_device, &ctx);

        if (err < 0) {
            cli_error("discover: sending the query: %s", mcd_strerror(err));
            return EXIT_USAGE;
        }
        if (!mcd_query_done(q) &&
            poll(pfd, (nfds_t)n, mcd_query_timeout(q)) < 0 && errno != EINTR) {
            cli_error("discover: poll: %s", strerror(errno));
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static int run(dopts *o, mcd_query *q)
{
    /* One socket per interface, as many as the host has. */
    size_t n = mcd_query_nfds(q);
    int *fds = calloc(n, sizeof *fds);
    struct pollfd *pfd = calloc(n, sizeof *pfd);
    int rc = EXIT_USAGE;

    if (fds == NULL || pfd == NULL) {
        cli_error("discover: %s", strerror(ENOMEM));
    } else {
        n = mcd_query_fds(q, fds, n);
        for (size_t i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        rc = loop(o, q, pfd, n);
    }
    free(fds);
    free(pfd);
    return rc;
}

/* Lines on stderr for what did not become a device, and the exit code a
 * full table turns the result into. */
static int report(const mcd_query_stats *st, int rc)
{
    uint64_t refused = st->capped + st->bad_source + st->off_link + st->other;

    if (st->ifaces_skipped > 0)
        cli_error("discover: warning: skipped %zu interface%s (the first, "
                  "%s: %s)", st->ifaces_skipped,
                  st->ifaces_skipped == 1 ? "" : "s", st->skipped_first,
                  mcd_strerror(st->skipped_err));
    if (st->copies_unsent == st->copies && st->copies > 0)
        cli_error("discover: warning: no copy of the query could be sent: %s",
                  mcd_strerror(st->last_send_error));
    else if (st->copies_unsent > 0)
        cli_error("discover: warning: %u of %u copies of the query could not "
                  "be sent (last error: %s)", st->copies_unsent, st->copies,
                  mcd_strerror(st->last_send_error));
    if (refused > 0)
        cli_error("discover: ignored %llu datagram%s: %llu over the "
                  "per-source limit, %llu from off the link, %llu from a bad "
                  "source, %llu not a reply",
                  (unsigned long long)refused, refused == 1 ? "" : "s",
                  (unsigned long long)st->capped,
                  (unsigned long long)st->off_link,
                  (unsigned long long)st->bad_source,
                  (unsigned long long)st->other);
    if (st->full > 0) {
        /* Counted per reply: a device left out answers every copy. */
        cli_error("discover: warning: the device table is full, devices are "
                  "missing: %llu repl%s from devices not listed",
                  (unsigned long long)st->full, st->full == 1 ? "y" : "ies");
        if (rc != EXIT_USAGE)
            rc = EXIT_FULL;
    }
    return rc;
}

int cmd_discover(int argc, char **argv)
{
    dopts o = {.cfg = {.group = MCD_DEFAULT_GROUP,
                       .port = MCD_DEFAULT_PORT,
                       .timeout_ms = CLI_DEFAULT_TIMEOUT_MS,
                       .interval_ms = CLI_DEFAULT_INTERVAL_MS,
                       .max_interval_ms = CLI_DEFAULT_MAX_INTERVAL_MS}};
    mcd_query *q;
    size_t bad;
    int rc = parse_args(&o, argc, argv);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    int err = mcd_query_open(&q, &o.cfg, &bad);
    if (err < 0) {
        cli_open_error("discover", err, o.cfg.group, o.cfg.port,
                       o.where.ifaces.name, bad);
        return EXIT_USAGE;
    }
    rc = run(&o, q);
    size_t found = mcd_query_found(q);
    if (rc == EXIT_OK && !o.json)
        fprintf(stderr, "%zu device%s answered\n", found, found == 1 ? "" : "s");
    if (rc == EXIT_OK && (found == 0 || (o.cfg.count && found < o.cfg.count)))
        rc = EXIT_NO;
    mcd_query_stats st;
    mcd_query_get_stats(q, &st);
    rc = report(&st, rc);
    mcd_query_close(q);
    return rc;
}
