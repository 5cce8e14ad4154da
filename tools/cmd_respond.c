/*
 * cmd_respond.c - `mcdisc respond`: answer queries as a device.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

const char cmd_respond_usage[] =
    "usage: mcdisc respond [options]\n\n"
    "Join the group and answer each query with \"NAME PROTO PORT\", sent by\n"
    "unicast to the query's source, until SIGINT or SIGTERM.\n\n"
    "  -i, --iface IF        join on IF (name, index or address); repeatable.\n"
    "                        Default: every interface that is up, multicast-\n"
    "                        capable, not loopback, with an address of the\n"
    "                        group's family\n"
    "  -g, --group G         multicast group (default " MCD_DEFAULT_GROUP ")\n"
    "  -p, --port P          UDP port (default 3333)\n"
    "  -n, --name NAME       device name (default \"" MCD_DEFAULT_NAME "\")\n"
    "  -P, --proto PROTO     application protocol (default " MCD_DEFAULT_PROTO
    ")\n"
    "  -s, --service-port N  application port (default 443)\n"
    "  -q, --query TEXT      the query to answer (default \""
    MCD_DEFAULT_QUERY "\")\n"
    "      --allow-unicast   also answer queries not sent to the group\n"
    "      --allow-amplification\n"
    "                        allow a reply longer than the query (spoofed\n"
    "                        queries then make this host an amplifier)\n"
    "  -v, --verbose         log every datagram: source, interface, answered\n"
    "                        or ignored and why\n"
    "  -h, --help            this help\n\n"
    "Answered: the query's exact bytes, or the query plus one NUL byte.\n"
    "Everything else is ignored (see docs/PROTOCOL.md).\n"
    "Exit: 0 after SIGINT/SIGTERM, 2 on a usage or system error.\n";

typedef struct ropts {
    mcd_responder_config cfg;
    const char *ifaces[MCD_MAX_IFACES];
    bool verbose;
} ropts;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int parse_opt(ropts *o, int c, const char *arg)
{
    switch (c) {
    case 'i':
        if (o->cfg.n_ifaces == MCD_MAX_IFACES) {
            cli_error("respond: at most %d --iface", MCD_MAX_IFACES);
            return -1;
        }
        o->ifaces[o->cfg.n_ifaces++] = arg;
        return 0;
    case 'g':
        o->cfg.group = arg;
        return cli_check_group("respond", arg);
    case 'p':
        return cli_port("respond: --port", arg, &o->cfg.port);
    case 'n':
        o->cfg.name = arg;
        return 0;
    case 'P':
        o->cfg.proto = arg;
        return 0;
    case 's':
        return cli_port("respond: --service-port", arg, &o->cfg.service_port);
    case 'q':
        o->cfg.query = arg;
        if (mcd_query_check((const uint8_t *)arg, strlen(arg)) < 0) {
            cli_error("respond: --query must be 1-%d bytes", MCD_QUERY_MAX);
            return -1;
        }
        return 0;
    case 'U':
        o->cfg.allow_unicast = true;
        return 0;
    case 'A':
        o->cfg.allow_amplification = true;
        return 0;
    case 'v':
        o->verbose = true;
        return 0;
    }
    return -1;
}

/* The reply must parse back on the client: say which field breaks it. */
static int check_reply(const ropts *o)
{
    uint8_t buf[MCD_REPLY_MAX];
    int err = mcd_reply_format(o->cfg.name, o->cfg.proto, o->cfg.service_port,
                               buf, sizeof buf);

    if (err == MCD_E_BADNAME || err == MCD_E_TOOLONG)
        cli_error("respond: --name '%s': must be 1-%d bytes, no control "
                  "characters, no leading or trailing space", o->cfg.name,
                  MCD_NAME_MAX);
    else if (err == MCD_E_BADPROTO)
        cli_error("respond: --proto '%s': %s (at most %d)", o->cfg.proto,
                  mcd_strerror(err), MCD_PROTO_MAX);
    else if (err < 0)
        cli_error("respond: reply: %s", mcd_strerror(err));
    if (err < 0)
        return -1;
    size_t qlen = strlen(o->cfg.query);
    if ((size_t)err > qlen + 1 && !o->cfg.allow_amplification) {
        cli_error("respond: the reply (%d bytes) is longer than the query "
                  "(%zu bytes): spoofed queries would make this host an "
                  "amplifier; shorten it or pass --allow-amplification",
                  err, qlen);
        return -1;
    }
    return 0;
}

static int parse_args(ropts *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"iface", required_argument, NULL, 'i'},
        {"group", required_argument, NULL, 'g'},
        {"port", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'n'},
        {"proto", required_argument, NULL, 'P'},
        {"service-port", required_argument, NULL, 's'},
        {"query", required_argument, NULL, 'q'},
        {"allow-unicast", no_argument, NULL, 'U'},
        {"allow-amplification", no_argument, NULL, 'A'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:g:p:n:P:s:q:vh", longs, NULL)) !=
           -1) {
        if (c == 'h') {
            fputs(cmd_respond_usage, stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            cli_opt_error("respond", c, argv, optind, optopt);
            return -1;
        }
        if (parse_opt(o, c, optarg) < 0)
            return -1;
    }
    if (optind < argc) {
        cli_error("respond: unexpected argument '%s'", argv[optind]);
        return -1;
    }
    o->cfg.ifaces = o->ifaces;
    return check_reply(o);
}

static void log_event(void *ctx, const mcd_event *ev)
{
    const ropts *o = ctx;
    char from[CLI_ENDPOINT_STRLEN], dst[CLI_ADDR_STRLEN] = "?";
    char ifname[IF_NAMESIZE] = "?";

    if (ev->kind == MCD_EV_JOIN_ERROR) {
        fprintf(stderr, "mcdisc: respond: cannot join on %s, skipping it: %s\n",
                ev->what, mcd_strerror(ev->err));
        return;
    }
    if (ev->kind == MCD_EV_ERROR) {
        /* One line per failure; the responder goes on. */
        fprintf(stderr, "mcdisc: respond: %s: %s\n", ev->what,
                mcd_strerror(ev->err));
        return;
    }
    if (!o->verbose)
        return;
    cli_format_endpoint(ev->from, from, sizeof from);
    if (ev->dst != NULL)
        cli_format_addr(ev->dst, dst, sizeof dst);
    if (ev->ifindex == 0 || if_indextoname(ev->ifindex, ifname) == NULL)
        snprintf(ifname, sizeof ifname, "%u", ev->ifindex);
    printf("%s -> %s on %s, %zu bytes: %s%s\n", from, dst, ifname, ev->len,
           ev->why == MCD_IGNORE_NONE ? "" : "ignored: ",
           mcd_ignore_str(ev->why));
    fflush(stdout);
}

static void announce(const ropts *o)
{
    mcd_addr g;

    fprintf(stderr, "mcdisc: respond: answering \"%s\" on %s port %u as "
            "\"%s %s %u\"\n", o->cfg.query, o->cfg.group, o->cfg.port,
            o->cfg.name, o->cfg.proto, o->cfg.service_port);
    uint8_t reply[MCD_REPLY_MAX];
    int rlen = mcd_reply_format(o->cfg.name, o->cfg.proto,
                                o->cfg.service_port, reply, sizeof reply);
    if (rlen > 0 && (size_t)rlen > strlen(o->cfg.query) + 1)
        fprintf(stderr, "mcdisc: respond: warning: the reply is longer than "
                "the query (--allow-amplification): spoofed queries make "
                "this host an amplifier\n");
    if (mcd_addr_resolve(o->cfg.group, &g) == 0 && g.family == MCD_AF_INET4 &&
        g.b[0] == 232)
        fprintf(stderr, "mcdisc: respond: note: %s is in 232/8, the "
                "source-specific block (RFC 4607); SSM-aware routers and "
                "switches may drop any-source joins there. 239.255.0.0/16 "
                "is safer for a group of your own.\n", o->cfg.group);
}

static void print_counters(const mcd_responder *r)
{
    fprintf(stderr, "mcdisc: respond: answered %llu",
            (unsigned long long)mcd_responder_answered(r));
    for (int w = 1; w < MCD_IGNORE_COUNT_; w++) {
        uint64_t n = mcd_responder_ignored(r, (enum mcd_ignore)w);

        if (n > 0)
            fprintf(stderr, ", %s %llu", mcd_ignore_name((enum mcd_ignore)w),
                    (unsigned long long)n);
    }
    fputc('\n', stderr);
}

/* Signals stay blocked except inside ppoll(), so one that arrives between
 * the check and the wait cannot be missed. */
static int serve(mcd_responder *r, const sigset_t *waitmask)
{
    struct pollfd pfd = {.fd = mcd_responder_fd(r), .events = POLLIN};

    while (!stop_signal) {
        int ms = mcd_responder_timeout(r);
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

        if (ppoll(&pfd, 1, ms < 0 ? NULL : &ts, waitmask) < 0 &&
            errno != EINTR) {
            cli_error("respond: poll: %s", strerror(errno));
            return EXIT_USAGE;
        }
        int err = stop_signal ? 0 : mcd_responder_process(r);
        if (err < 0) {
            cli_error("respond: the socket failed: %s", mcd_strerror(err));
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

int cmd_respond(int argc, char **argv)
{
    ropts o = {.cfg = {.group = MCD_DEFAULT_GROUP, .port = MCD_DEFAULT_PORT,
                       .name = MCD_DEFAULT_NAME, .proto = MCD_DEFAULT_PROTO,
                       .service_port = MCD_DEFAULT_SERVICE_PORT,
                       .query = MCD_DEFAULT_QUERY}};
    struct sigaction sa = {.sa_handler = on_signal};
    mcd_responder *r;
    size_t bad;
    int rc = parse_args(&o, argc, argv);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    o.cfg.on_event = log_event;
    o.cfg.ctx = &o;
    int err = mcd_responder_open(&r, &o.cfg, &bad);
    if (err < 0) {
        cli_open_error("respond", err, o.cfg.group, o.cfg.port, o.ifaces, bad);
        return EXIT_USAGE;
    }
    sigset_t stops, waitmask;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, &waitmask);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    announce(&o);
    rc = serve(r, &waitmask);
    print_counters(r);
    mcd_responder_close(r);
    return rc;
}
