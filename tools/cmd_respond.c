/*
 * cmd_respond.c - `mcdisc respond`: answer queries as a device.
 */
#include "cli.h"
#include "config.h"
#include "logout.h"
#include "notify.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char cmd_respond_usage[] =
    "usage: mcdisc respond [options]\n\n"
    "Join the group and answer each query with \"NAME PROTO PORT\", sent by\n"
    "unicast to the query's source, until SIGINT or SIGTERM. SIGUSR1 prints\n"
    "the counters; SIGHUP reads --config's file again. Link and address\n"
    "changes are followed: the responder joins again where an interface\n"
    "appears or comes back.\n\n"
    "      --config FILE     options from FILE, one \"key = value\" a line, the\n"
    "                        key a long option below (\"name = Lamp\",\n"
    "                        \"verbose = true\", \"iface\" repeatable); an\n"
    "                        option given here overrides its key\n"
    "  -i, --iface IF        join on IF (name, index or address); repeatable.\n"
    "                        Default: every interface that is up, multicast-\n"
    "                        capable, not loopback, with an address of the\n"
    "                        group's family\n"
    "      --wait-iface      a named interface that is missing or down is\n"
    "                        waited for instead of an error\n"
    "  -g, --group G         multicast group (default " MCD_DEFAULT_GROUP ")\n"
    "  -p, --port P          UDP port (default " CLI_STR(MCD_DEFAULT_PORT)
    ")\n"
    "  -n, --name NAME       device name (default \"" MCD_DEFAULT_NAME "\")\n"
    "  -P, --proto PROTO     application protocol (default " MCD_DEFAULT_PROTO
    ")\n"
    "  -s, --service-port N  application port (default "
    CLI_STR(MCD_DEFAULT_SERVICE_PORT) ")\n"
    "  -q, --query TEXT      the query to answer (default \""
    MCD_DEFAULT_QUERY "\")\n"
    "      --id HEX          the instance id extended replies carry: 16 hex\n"
    "                        digits (default: derived from /etc/machine-id,\n"
    "                        else the host name, and the reply's fields)\n"
    "      --txt KEY=VALUE   metadata extended replies carry; repeatable, at\n"
    "                        most " CLI_STR(MCD_TXT_PAIRS_MAX) " (a key of letters, digits, '.', '_', '-';\n"
    "                        a printable value; " CLI_STR(MCD_TXT_PAIR_MAX) " bytes a pair)\n"
    "      --key FILE        sign extended replies with the pre-shared key in\n"
    "                        FILE (HMAC-SHA-256; at least 16 bytes; refused\n"
    "                        when group or others may read or write it)\n"
    "      --lifetime S      how long a watcher lists this device without a\n"
    "                        refresh, in seconds: " CLI_STR(MCD_LIFETIME_MIN) "-" CLI_STR(MCD_LIFETIME_MAX) " (default "
    CLI_STR(MCD_LIFETIME_DEFAULT) ");\n"
    "                        it announces at start and on address or link\n"
    "                        changes, and says goodbye on SIGINT/SIGTERM\n"
    "      --delay MIN-MAX   reply after a random delay in MIN-MAX ms\n"
    "                        (default " CLI_STR(MCD_DEFAULT_DELAY_MIN_MS) "-"
    CLI_STR(MCD_DEFAULT_DELAY_MAX_MS) "; 0 answers at once, as the\n"
    "                        chapter does)\n"
    "      --querier-interval MS\n"
    "                        answer one address at most once per MS ms\n"
    "                        (default " CLI_STR(MCD_DEFAULT_QUERIER_INTERVAL_MS)
    "; 0: no limit)\n"
    "      --rate N          at most N replies per second in all (default\n"
    "                        " CLI_STR(MCD_DEFAULT_RATE_PER_S)
    "; 0: no limit)\n"
    "      --burst N         ...in bursts of up to N (default "
    CLI_STR(MCD_DEFAULT_RATE_BURST) ")\n"
    "      --allow-unicast   also answer queries not sent to the group\n"
    "      --allow-offlink   also answer sources outside the link the query\n"
    "                        came in on (routed setups)\n"
    "      --allow-from PREFIX\n"
    "                        ...or only those inside PREFIX (10.1.0.0/16,\n"
    "                        2001:db8:1::/64; comma-separated or repeated,\n"
    "                        at most " CLI_STR(MCD_ALLOW_FROM_MAX) " in all)\n"
    "      --allow-amplification\n"
    "                        allow a reply longer than the query (spoofed\n"
    "                        queries then make this host an amplifier)\n"
    "  -v, --verbose         log every datagram: source, interface, answered\n"
    "                        or ignored and why (lines a slow reader cannot\n"
    "                        take are dropped and counted, never waited for)\n"
    "  -j, --json            log and counters as JSON objects, one per line\n"
    "  -h, --help            this help\n\n"
    "Answered: the query's exact bytes, or the query plus one NUL byte,\n"
    "sent to the group from a source on the link, with the chapter's reply;\n"
    "an extended query (the query, a NUL, mcdisc's extension) with an\n"
    "extended reply: nonce, id, TXT, never longer than the query. Everything\n"
    "else is ignored and counted (see docs/PROTOCOL.md).\n"
    "Exit: 0 after SIGINT/SIGTERM, 2 on a usage or system error.\n";

typedef struct ropts {
    mcd_responder_config cfg;
    cli_where where;
    bool verbose, json;
    const char *config; /* --config FILE */
    cli_config *values; /* what it held */
    const char *txt[MCD_TXT_PAIRS_MAX];
    const char *key_file; /* --key FILE */
    const char *allow_from[MCD_ALLOW_FROM_MAX];
    size_t n_prefixes; /* in all the --allow-from strings */
} ropts;

static volatile sig_atomic_t stop_signal, counters_signal, reload_signal;

/* The log (stdout: datagrams and JSON; stderr: the rest) never blocks the
 * answering: see logout.h. */
static logout out_log, err_log;

/* Error lines (a failed send, a failed receive) come in storms under a
 * flood: a token bucket lets ERR_BURST through, then one per
 * ERR_EVERY_US; the others are counted and their number said. */
#define ERR_BURST 5
#define ERR_EVERY_US 1000000u
static struct {
    mcd_time at;       /* when tokens were last topped up */
    uint32_t tokens;
    uint64_t suppressed;
} err_rate = {0, ERR_BURST, 0};

static bool err_token(void)
{
    mcd_time now = mcd_clock_mono();

    if (err_rate.at == 0)
        err_rate.at = now;
    while (now - err_rate.at >= ERR_EVERY_US && err_rate.tokens < ERR_BURST) {
        err_rate.tokens++;
        err_rate.at += ERR_EVERY_US;
    }
    if (err_rate.tokens == ERR_BURST)
        err_rate.at = now;
    if (err_rate.tokens == 0)
        return false;
    err_rate.tokens--;
    return true;
}

/* Say how many error lines were held back, when a line may be printed. */
static void say_suppressed(void)
{
    if (err_rate.suppressed == 0 || !err_token())
        return;
    logout_printf(&err_log, "mcdisc: respond: %llu more error lines "
                  "suppressed\n", (unsigned long long)err_rate.suppressed);
    err_rate.suppressed = 0;
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        counters_signal = 1;
    else if (sig == SIGHUP)
        reload_signal = 1;
    else
        stop_signal = sig;
}

/* "MIN-MAX" milliseconds, or a single value for both. */
static int parse_delay(ropts *o, const char *arg)
{
    char lo[16], *dash = strchr(arg, '-');
    size_t n = dash ? (size_t)(dash - arg) : strlen(arg);

    if (n == 0 || n >= sizeof lo) {
        cli_error("respond: --delay: '%s' must be MIN-MAX milliseconds",
                  cli_quote(arg));
        return -1;
    }
    memcpy(lo, arg, n);
    lo[n] = '\0';
    if (cli_parse_u32("respond: --delay", lo, 0, 60000,
                          &o->cfg.opts.delay_min_ms) < 0 ||
        cli_parse_u32("respond: --delay", dash ? dash + 1 : lo, 0, 60000,
                          &o->cfg.opts.delay_max_ms) < 0)
        return -1;
    if (o->cfg.opts.delay_max_ms < o->cfg.opts.delay_min_ms) {
        cli_error("respond: --delay: '%s': MIN is above MAX", cli_quote(arg));
        return -1;
    }
    return 0;
}

static int parse_limit(ropts *o, int c, const char *arg)
{
    switch (c) {
    case 'D':
        return parse_delay(o, arg);
    case 'Q':
        return cli_parse_u32("respond: --querier-interval", arg, 0, 3600000,
                             &o->cfg.opts.querier_interval_ms);
    case 'R':
        return cli_parse_u32("respond: --rate", arg, 0, 1000000,
                             &o->cfg.opts.rate_per_s);
    case 'B':
        return cli_parse_u32("respond: --burst", arg, 0, 1000000,
                             &o->cfg.opts.rate_burst);
    }
    return -1;
}

/* --id: 16 hex digits. */
static int parse_id(ropts *o, const char *arg)
{
    uint8_t id[MCD_EXT_ID_LEN];

    if (mcd_ext_id_parse(arg, id) < 0) {
        cli_error("respond: --id '%s': %s", cli_quote(arg),
                  mcd_strerror(MCD_E_BADID));
        return -1;
    }
    o->cfg.opts.id = arg;
    return 0;
}

/* --txt KEY=VALUE, repeatable: each checked as the wire takes it. */
static int parse_txt(ropts *o, const char *arg)
{
    int err = mcd_txt_check((const uint8_t *)arg, strlen(arg));

    if (err == MCD_E_TOOLONG) {
        cli_error("respond: --txt '%s': longer than %d bytes",
                  cli_quote(arg), MCD_TXT_PAIR_MAX);
        return -1;
    }
    if (err < 0) {
        cli_error("respond: --txt '%s': %s", cli_quote(arg),
                  mcd_strerror(err));
        return -1;
    }
    if (o->cfg.opts.ntxt == MCD_TXT_PAIRS_MAX) {
        cli_error("respond: --txt: at most %d pairs", MCD_TXT_PAIRS_MAX);
        return -1;
    }
    o->txt[o->cfg.opts.ntxt++] = arg;
    o->cfg.opts.txt = o->txt;
    return 0;
}

/* --allow-from PREFIX[,PREFIX...], repeatable: each checked here so the
 * error names the argument at fault. */
static int parse_allow_from(ropts *o, const char *arg)
{
    mcd_subnet p[MCD_ALLOW_FROM_MAX];
    size_t n = 0;
    int err = mcd_subnet_list_parse(arg, p, MCD_ALLOW_FROM_MAX, &n);

    if (err == 0 && o->n_prefixes + n > MCD_ALLOW_FROM_MAX)
        err = MCD_E_PREFIXES;
    if (err == MCD_E_PREFIXES) {
        cli_error("respond: --allow-from: at most %d prefixes",
                  MCD_ALLOW_FROM_MAX);
        return -1;
    }
    if (err < 0) {
        cli_error("respond: --allow-from '%s': %s", cli_quote(arg),
                  mcd_strerror(err));
        return -1;
    }
    o->n_prefixes += n;
    o->allow_from[o->cfg.opts.n_allow_from++] = arg;
    o->cfg.opts.allow_from = o->allow_from;
    return 0;
}

static int parse_opt(void *ctx, int c, const char *arg)
{
    ropts *o = ctx;

    switch (c) {
    case 'n': o->cfg.opts.name = arg; return 0;
    case 'P': o->cfg.opts.proto = arg; return 0;
    case 's':
        return cli_port("respond: --service-port", arg,
                        &o->cfg.opts.service_port);
    case 'q':
        return cli_query("respond", arg, &o->cfg.opts.query);
    case 'U': o->cfg.opts.allow_unicast = true; return 0;
    case 'A': o->cfg.opts.allow_amplification = true; return 0;
    case 'O': o->cfg.opts.allow_offlink = true; return 0;
    case 'W': o->cfg.wait_ifaces = true; return 0;
    case 'v': o->verbose = true; return 0;
    case 'j': o->json = true; return 0;
    case 'C': o->config = arg; return 0;
    case 'I': return parse_id(o, arg);
    case 'T': return parse_txt(o, arg);
    case 'K': o->key_file = arg; return 0;
    case 'F': return parse_allow_from(o, arg);
    case 'L':
        return cli_parse_u32("respond: --lifetime", arg, MCD_LIFETIME_MIN,
                             MCD_LIFETIME_MAX, &o->cfg.opts.lifetime);
    }
    return parse_limit(o, c, arg);
}

/* Keys: the running responder's core holds a pointer to its key, so a
 * reload (SIGHUP) loads the file into the other slot and the slot in use
 * changes only when the new configuration is taken. */
static mcd_key keys[2];
static mcd_key *key_in_use;

static int load_key(ropts *o)
{
    mcd_key *k = key_in_use == &keys[0] ? &keys[1] : &keys[0];
    int err;

    if (o->key_file == NULL)
        return 0;
    err = mcd_key_load(k, o->key_file);
    if (err < 0) {
        cli_error("respond: --key '%s': %s", cli_quote(o->key_file),
                  err == MCD_E_UNSUPPORTED ? "mcdisc was built without "
                                             "mbedTLS: no keys"
                                           : mcd_strerror(err));
        return -1;
    }
    o->cfg.opts.mac = &k->mac;
    return 0;
}

/* The configuration o was taken: its key (if any) is the one in use. */
static void key_taken(const ropts *o)
{
    mcd_key *old = key_in_use;

    key_in_use = o->cfg.opts.mac != NULL ? o->cfg.opts.mac->ctx : NULL;
    if (old != NULL && old != key_in_use)
        mcd_key_wipe(old);
}

/* What a configuration whose extended reply or announcement does not
 * fit the extension's datagram is told, at start-up (`then` "") and on
 * SIGHUP: TXT, LIFETIME and the MAC all count. */
static void txt_error(const char *cmd, const char *then)
{
    cli_error("%s: --txt: the extended reply or the announcement would be "
              "longer than %d bytes (TXT, LIFETIME and the MAC count); "
              "declare fewer or shorter pairs%s", cmd, MCD_EXT_MAX, then);
}

/* Everything the responder will make of the options, checked by the
 * library's one check (the one a reload's update makes too) before
 * anything is opened. */
static int check_ext(const ropts *o)
{
    int err = mcd_responder_check(&o->cfg);

    if (err == MCD_E_TOOLONG) {
        txt_error("respond", "");
        return -1;
    }
    return 0; /* any other error: mcd_responder_open() names it */
}

/* The reply must parse back on the client and must not make us an
 * amplifier unless allowed: say which field breaks it. */
static int check_reply(const ropts *o)
{
    uint8_t buf[MCD_REPLY_MAX];
    int err = mcd_reply_format(o->cfg.opts.name, o->cfg.opts.proto,
                               o->cfg.opts.service_port, buf, sizeof buf);
    size_t qlen = strlen(o->cfg.opts.query);

    if (err == MCD_E_BADNAME || err == MCD_E_TOOLONG)
        cli_error("respond: --name '%s': must be 1-%d bytes, no control "
                  "characters, no leading or trailing space",
                  cli_quote(o->cfg.opts.name), MCD_NAME_MAX);
    else if (err == MCD_E_BADPROTO)
        cli_error("respond: --proto '%s': %s (at most %d)",
                  cli_quote(o->cfg.opts.proto), mcd_strerror(err),
                  MCD_PROTO_MAX);
    else if (err < 0)
        cli_error("respond: reply: %s", mcd_strerror(err));
    if (err < 0)
        return -1;
    if ((size_t)err > qlen + 1 && !o->cfg.opts.allow_amplification) {
        cli_error("respond: the reply (%d bytes) is longer than the query "
                  "(%zu bytes): spoofed queries would make this host an "
                  "amplifier; shorten it or pass --allow-amplification",
                  err, qlen);
        return -1;
    }
    return 0;
}

static const cli_cmd respond_cli = {
    "respond", ":i:g:p:n:P:s:q:vjh",
    "iface=i wait-iface.W group=g port=p name=n proto=P service-port=s "
    "query=q id=I txt=T key=K lifetime=L delay=D querier-interval=Q rate=R "
    "burst=B allow-unicast.U allow-offlink.O allow-from=F "
    "allow-amplification.A verbose.v json.j "
    "config=C",
    cmd_respond_usage, parse_opt, MCD_MAX_IFACES, false};

static int parse_args(ropts *o, int argc, char **argv)
{
    int rc;

    o->where.group = o->cfg.opts.group;
    o->where.port = o->cfg.opts.port;
    o->cfg.opts.lifetime = MCD_LIFETIME_DEFAULT;
    rc = cli_getopt(&respond_cli, argc, argv, &o->where, o);
    if (rc == 0 && o->config != NULL)
        rc = cli_config_load(&respond_cli, o->config, &o->where, o,
                             &o->values);
    o->cfg.opts.group = o->where.group;
    o->cfg.opts.port = o->where.port;
    o->cfg.ifaces = o->where.ifaces.name;
    o->cfg.n_ifaces = o->where.ifaces.n;
    if (rc == 0)
        rc = load_key(o);
    return rc != 0 ? rc : check_reply(o);
}

static void log_datagram(const ropts *o, const mcd_event *ev)
{
    char from[CLI_ENDPOINT_STRLEN], dst[CLI_ADDR_STRLEN] = "?";
    char ifname[IF_NAMESIZE];

    cli_format_endpoint(ev->from, from, sizeof from);
    if (ev->dst != NULL)
        cli_format_addr(ev->dst, dst, sizeof dst);
    cli_ifname(ev->ifindex, ifname, sizeof ifname);
    if (!o->json) {
        logout_printf(&out_log, "%s -> %s on %s, %zu bytes: %s%s\n", from,
                      dst, ifname, ev->len,
                      ev->why == MCD_IGNORE_NONE ? "" : "ignored: ",
                      mcd_ignore_str(ev->why));
        return;
    }
    FILE *f = logout_begin(&out_log);
    if (f == NULL)
        return;
    fputs("{\"type\":\"datagram\",\"from\":", f);
    json_str(f, from);
    fputs(",\"to\":", f);
    json_str(f, dst);
    fputs(",\"iface\":", f);
    json_str(f, ifname);
    fprintf(f, ",\"size\":%zu,\"answered\":%s,\"reason\":\"%s\"}\n", ev->len,
            ev->why == MCD_IGNORE_NONE ? "true" : "false",
            mcd_ignore_name(ev->why));
    logout_end(&out_log, f);
}

/* Interface events: rare, and what a user needs to see, so always. */
static void log_iface(const mcd_event *ev)
{
    char ifname[IF_NAMESIZE];

    cli_ifname(ev->ifindex, ifname, sizeof ifname);
    switch (ev->kind) {
    case MCD_EV_JOIN_ERROR:
        logout_printf(&err_log, "mcdisc: respond: cannot join on %s, "
                      "skipping it: %s\n", ev->what, mcd_strerror(ev->err));
        break;
    case MCD_EV_JOINED:
        logout_printf(&err_log, "mcdisc: respond: joined on %s\n", ev->what);
        break;
    case MCD_EV_LEFT:
        logout_printf(&err_log, "mcdisc: respond: %s is gone or down; not "
                      "joined there now\n", ifname);
        break;
    case MCD_EV_LINK:
        logout_printf(&err_log, "mcdisc: respond: %s: %s\n", ifname,
                      ev->what);
        break;
    default:
        say_suppressed();
        if (!err_token()) {
            err_rate.suppressed++;
            break;
        }
        logout_printf(&err_log, "mcdisc: respond: %s: %s\n", ev->what,
                      mcd_strerror(ev->err));
    }
}

static void log_event(void *ctx, const mcd_event *ev)
{
    const ropts *o = ctx;

    if (ev->kind != MCD_EV_DATAGRAM)
        log_iface(ev);
    else if (o->verbose)
        log_datagram(o, ev);
}

static void announce(const ropts *o, const mcd_responder *r)
{
    uint8_t reply[MCD_REPLY_MAX];
    int rlen = mcd_reply_format(o->cfg.opts.name, o->cfg.opts.proto,
                                o->cfg.opts.service_port, reply, sizeof reply);
    mcd_addr g;
    uint8_t id[MCD_EXT_ID_LEN];
    char idtext[2 * MCD_EXT_ID_LEN + 1] = "none";

    if (mcd_responder_id(r, id))
        mcd_ext_id_format(id, idtext);
    logout_printf(&err_log, "mcdisc: respond: answering \"%s\" on %s port %u "
                  "as \"%s %s %u\", id %s, %zu TXT pairs%s\n",
                  o->cfg.opts.query, o->cfg.opts.group, o->cfg.opts.port,
                  o->cfg.opts.name, o->cfg.opts.proto,
                  o->cfg.opts.service_port, idtext, o->cfg.opts.ntxt,
                  o->cfg.opts.mac != NULL ? ", signed (--key)" : "");
    if (rlen > 0 && (size_t)rlen > strlen(o->cfg.opts.query) + 1)
        logout_printf(&err_log, "mcdisc: respond: warning: the reply is "
                      "longer than the query (--allow-amplification): "
                      "spoofed queries make this host an amplifier\n");
    if (mcd_addr_resolve(o->cfg.opts.group, &g) == 0 &&
        g.family == MCD_AF_INET4 && g.b[0] == 232)
        logout_printf(&err_log, "mcdisc: respond: note: %s is in 232/8, the "
                      "source-specific block (RFC 4607); SSM-aware routers "
                      "(FRR's pimd by default) and switches drop any-source "
                      "joins there, so it does not cross a router. "
                      "239.255.0.0/16 is safer for a group of your own.\n",
                      o->cfg.opts.group);
}

/* What the responders a reload closed had counted (reload()). */
static uint64_t answered_before, ignored_before[MCD_IGNORE_COUNT_];

/* Counters, grouped as a user asks (answered, rate-limited, off-link,
 * malformed, foreign, failed) and in detail. "answered" counts replies
 * the kernel took; "send-failed" those it refused. */
static void print_counters(const ropts *o, const mcd_responder *r)
{
    uint64_t c[MCD_IGNORE_COUNT_];
    logout *lo = o->json ? &out_log : &err_log;
    FILE *f = logout_begin(lo);

    if (f == NULL)
        return;
    for (int w = 1; w < MCD_IGNORE_COUNT_; w++)
        c[w] = ignored_before[w] +
               mcd_responder_ignored(r, (enum mcd_ignore)w);
    uint64_t malformed = c[MCD_IGNORE_EMPTY] + c[MCD_IGNORE_OVERSIZE] +
                         c[MCD_IGNORE_PREFIX] + c[MCD_IGNORE_TRAILING] +
                         c[MCD_IGNORE_OTHER];
    uint64_t limited = c[MCD_IGNORE_RATE_QUERIER] +
                       c[MCD_IGNORE_RATE_GLOBAL] + c[MCD_IGNORE_FULL] +
                       c[MCD_IGNORE_UNRESOLVED];
    uint64_t foreign = c[MCD_IGNORE_NOT_GROUP] + c[MCD_IGNORE_BAD_SOURCE] +
                       c[MCD_IGNORE_LOCAL_SOURCE];
    /* The extension's silences: the querier knows us, its plain copy,
     * or a query too short for any reply. */
    uint64_t suppressed = c[MCD_IGNORE_KNOWN] + c[MCD_IGNORE_EXT_CLIENT] +
                          c[MCD_IGNORE_SHORT_QUERY];

    malformed += c[MCD_IGNORE_MALFORMED_EXT];

    if (o->json)
        fprintf(f, "{\"type\":\"counters\",\"answered\":%llu,"
                "\"rate_limited\":%llu,\"off_link\":%llu,\"malformed\":%llu,"
                "\"foreign\":%llu,\"suppressed\":%llu,\"failed\":%llu",
                (unsigned long long)(answered_before +
                                     mcd_responder_answered(r)),
                (unsigned long long)limited,
                (unsigned long long)c[MCD_IGNORE_OFF_LINK],
                (unsigned long long)malformed, (unsigned long long)foreign,
                (unsigned long long)suppressed,
                (unsigned long long)c[MCD_IGNORE_SEND_FAILED]);
    else
        fprintf(f, "mcdisc: respond: answered %llu",
                (unsigned long long)(answered_before +
                                     mcd_responder_answered(r)));
    for (int w = 1; w < MCD_IGNORE_COUNT_; w++) {
        const char *name = mcd_ignore_name((enum mcd_ignore)w);

        if (o->json)
            fprintf(f, ",\"%s\":%llu", name, (unsigned long long)c[w]);
        else if (c[w] > 0)
            fprintf(f, ", %s %llu", name, (unsigned long long)c[w]);
    }
    fputs(o->json ? "}\n" : "\n", f);
    logout_end(lo, f);
}

/* The responder's descriptors into pfd (grown as needed: their number
 * grows when interfaces appear, so this is asked before each poll), then
 * the log's while lines wait for it. Returns the count, or -1. */
static int poll_set(const mcd_responder *r, struct pollfd **pfd, int **fds,
                    size_t *cap, size_t *n)
{
    size_t want = mcd_responder_nfds(r), k;

    if (want + 2 > *cap) {
        struct pollfd *p = realloc(*pfd, (want + 2) * sizeof **pfd);
        int *f = p ? realloc(*fds, (want + 2) * sizeof **fds) : NULL;

        if (p != NULL)
            *pfd = p;
        if (f == NULL)
            return -1;
        *fds = f;
        *cap = want + 2;
    }
    *n = k = mcd_responder_fds(r, *fds, *cap);
    for (size_t i = 0; i < *n; i++)
        (*pfd)[i] = (struct pollfd){.fd = (*fds)[i], .events = POLLIN};
    if (out_log.len > 0)
        (*pfd)[k++] = (struct pollfd){.fd = out_log.fd, .events = POLLOUT};
    if (err_log.len > 0)
        (*pfd)[k++] = (struct pollfd){.fd = err_log.fd, .events = POLLOUT};
    return (int)k;
}

/* Signals stay blocked except inside ppoll(), so one that arrives between
 * the check and the wait cannot be missed. */
static void reload(ropts *o, mcd_responder **rp, int argc, char **argv);

static int serve(ropts *o, mcd_responder **rp, const sigset_t *waitmask,
                 int argc, char **argv)
{
    mcd_responder *r = *rp;
    struct pollfd *pfd = NULL;
    int *fds = NULL, rc = EXIT_OK;
    size_t cap = 0, n = 0;

    while (!stop_signal && rc == EXIT_OK) {
        int ms = mcd_responder_timeout(r);
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        int k = poll_set(r, &pfd, &fds, &cap, &n);

        if (k < 0) {
            logout_printf(&err_log, "mcdisc: respond: %s\n", strerror(ENOMEM));
            rc = EXIT_USAGE;
            break;
        }
        /* Held-back error lines are said within a second or so. */
        if (err_rate.suppressed > 0 && (ms < 0 || ms > 1000))
            ts = (struct timespec){1, 0}, ms = 1000;
        if (ppoll(pfd, (nfds_t)k, ms < 0 ? NULL : &ts, waitmask) < 0 &&
            errno != EINTR) {
            logout_printf(&err_log, "mcdisc: respond: poll: %s\n",
                          strerror(errno));
            rc = EXIT_USAGE;
            break;
        }
        if (counters_signal) {
            counters_signal = 0;
            print_counters(o, r);
        }
        if (reload_signal) {
            reload_signal = 0;
            reload(o, rp, argc, argv);
            r = *rp;
            continue; /* its descriptors may have changed */
        }
        int err = 0;
        for (size_t i = 0; i < n && err == 0 && !stop_signal; i++)
            if (pfd[i].revents != 0)
                err = mcd_responder_process(r, pfd[i].fd);
        if (err == 0 && !stop_signal)
            err = mcd_responder_process(r, -1); /* timers */
        if (err < 0) {
            logout_printf(&err_log, "mcdisc: respond: the socket failed: "
                          "%s\n", mcd_strerror(err));
            rc = EXIT_USAGE;
        }
        say_suppressed();
        logout_flush(&out_log);
        logout_flush(&err_log);
    }
    free(pfd);
    free(fds);
    return rc;
}

/* SIGINT/SIGTERM: goodbyes (two, 100 ms apart) before closing; a
 * second signal, or half a second, cuts it short. */
static void say_goodbye(mcd_responder *r, const sigset_t *waitmask)
{
    struct timespec ts = {0, 20000000L};

    stop_signal = 0;
    mcd_responder_stop(r);
    for (int i = 0; i < 25 && !stop_signal && !mcd_responder_stopped(r);
         i++) {
        int ms = mcd_responder_timeout(r);

        if (ms >= 0 && ms < 20)
            ts.tv_nsec = (long)ms * 1000000L;
        (void)ppoll(NULL, 0, &ts, waitmask);
        (void)mcd_responder_process(r, -1);
    }
}

/* Readiness (and after a reload) for systemd, with what is answered. */
static void notify_ready(const ropts *o, const char *state)
{
    char msg[MCD_NAME_MAX + MCD_PROTO_MAX + 64];

    snprintf(msg, sizeof msg, "%s\nSTATUS=answering as %s %s %u", state,
             o->cfg.opts.name, o->cfg.opts.proto, o->cfg.opts.service_port);
    cli_notify(msg);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Do the two configurations hold the same memberships? */
static bool same_place(const ropts *a, const ropts *b)
{
    if (!same_str(a->cfg.opts.group, b->cfg.opts.group) ||
        a->cfg.opts.port != b->cfg.opts.port ||
        a->cfg.wait_ifaces != b->cfg.wait_ifaces ||
        a->where.ifaces.n != b->where.ifaces.n)
        return false;
    for (size_t i = 0; i < a->where.ifaces.n; i++)
        if (!same_str(a->where.ifaces.name[i], b->where.ifaces.name[i]))
            return false;
    return true;
}

/* SIGHUP: the same command line over the file as it is now. A file that
 * does not load leaves everything running as it was, and says why. The
 * same group, port and interfaces: texts and limits are swapped into the
 * running responder, its memberships untouched; else a new responder is
 * opened (joined) before the old one closes. The log's format (--json)
 * stays the one started with. */
static void reload(ropts *o, mcd_responder **rp, int argc, char **argv)
{
    ropts n;
    mcd_responder *nr = NULL;
    size_t bad;
    int err;

    cli_notify("RELOADING=1");
    logout_flush(&err_log);
    memset(&n, 0, sizeof n);
    mcd_responder_config_init(&n.cfg);
    if (parse_args(&n, argc, argv) != 0) {
        cli_error("respond: SIGHUP: '%s' not loaded; still answering as "
                  "before", cli_quote(o->config));
        goto keep;
    }
    n.json = o->json;
    n.cfg.on_event = log_event;
    n.cfg.ctx = o; /* o takes n's place below */
    if (same_place(o, &n))
        err = mcd_responder_update(*rp, &n.cfg);
    else
        err = mcd_responder_open(&nr, &n.cfg, &bad);
    if (err == MCD_E_TOOLONG) {
        txt_error("respond: SIGHUP", "; not loaded, still answering as "
                  "before");
        goto keep;
    }
    if (err < 0) {
        cli_open_error("respond: SIGHUP", err, n.cfg.opts.group,
                       n.cfg.opts.port, n.where.ifaces.name,
                       nr == NULL && !same_place(o, &n) ? bad : SIZE_MAX);
        goto keep;
    }
    if (nr != NULL) {
        answered_before += mcd_responder_answered(*rp);
        for (int w = 1; w < MCD_IGNORE_COUNT_; w++)
            ignored_before[w] += mcd_responder_ignored(*rp,
                                                       (enum mcd_ignore)w);
        mcd_responder_close(*rp);
        *rp = nr;
    }
    cli_config_free(o->values);
    *o = n;
    key_taken(o);
    /* Pointers of ropts into itself follow it (an option that fills an
     * array in ropts must be re-pointed here too). */
    o->cfg.ifaces = o->where.ifaces.name;
    if (o->cfg.opts.ntxt > 0)
        o->cfg.opts.txt = o->txt;
    if (o->cfg.opts.n_allow_from > 0)
        o->cfg.opts.allow_from = o->allow_from;
    announce(o, *rp);
    notify_ready(o, "READY=1");
    return;
keep:
    /* A key loaded for n was never taken: the spare slot is wiped. */
    if (n.cfg.opts.mac != NULL && n.cfg.opts.mac->ctx != key_in_use)
        mcd_key_wipe(n.cfg.opts.mac->ctx);
    cli_config_free(n.values);
    notify_ready(o, "READY=1");
}

static void install_signals(sigset_t *waitmask)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigset_t stops;

    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGUSR1);
    sigaddset(&stops, SIGHUP);
    sigprocmask(SIG_BLOCK, &stops, waitmask);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cmd_respond(int argc, char **argv)
{
    ropts o;
    sigset_t waitmask;
    mcd_responder *r;
    size_t bad;
    int rc;

    memset(&o, 0, sizeof o);
    mcd_responder_config_init(&o.cfg);
    rc = parse_args(&o, argc, argv);
    if (rc == 0 && check_ext(&o) < 0)
        rc = -1;
    if (rc != 0) {
        cli_config_free(o.values);
        mcd_key_wipe(&keys[0]);
        mcd_key_wipe(&keys[1]);
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    o.cfg.on_event = log_event;
    o.cfg.ctx = &o;
    /* Signals first: a SIGUSR1 while joining must not kill us. */
    install_signals(&waitmask);
    logout_init(&out_log, STDOUT_FILENO, o.json);
    logout_init(&err_log, STDERR_FILENO, false);
    int err = mcd_responder_open(&r, &o.cfg, &bad);
    if (err < 0) {
        logout_close(&err_log, 1000);
        cli_open_error("respond", err, o.cfg.opts.group, o.cfg.opts.port,
                       o.where.ifaces.name, bad);
        cli_config_free(o.values);
        mcd_key_wipe(&keys[0]);
        mcd_key_wipe(&keys[1]);
        return EXIT_USAGE;
    }
    key_taken(&o);
    announce(&o, r);
    notify_ready(&o, "READY=1");
    rc = serve(&o, &r, &waitmask, argc, argv);
    cli_notify("STOPPING=1");
    if (stop_signal)
        say_goodbye(r, &waitmask);
    err_rate.tokens = 1;
    say_suppressed();
    print_counters(&o, r);
    mcd_responder_close(r);
    cli_config_free(o.values);
    mcd_key_wipe(&keys[0]); /* no key material left behind */
    mcd_key_wipe(&keys[1]);
    /* The summary is worth a moment's wait, not a hang. */
    logout_close(&out_log, 1000);
    logout_close(&err_log, 1000);
    return rc;
}
