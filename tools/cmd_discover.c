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
    "arrives: address, port, interface, name, protocol, service port,\n"
    "round-trip time and, for a device that speaks mcdisc's extension, its\n"
    "id (short), its TXT pairs and every other address it answered from.\n\n"
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
    "      --chapter       speak only the chapter's exchange: plain queries,\n"
    "                      no extension (no ids, TXT or known answers)\n"
    "      --window MS     ask extended devices to spread their replies over\n"
    "                      MS milliseconds, 1-" CLI_STR(MCD_EXT_WINDOW_MAX_MS)
    " (default " CLI_STR(MCD_EXT_DEFAULT_WINDOW_MS) ")\n"
    "      --key FILE      check extended replies' MACs with the pre-shared\n"
    "                      key in FILE: devices are shown verified or not\n"
    "                      (refused when group or others may read or write\n"
    "                      FILE)\n"
    "      --require-auth  list only verified devices (needs --key)\n"
    "  -j, --json          one JSON object per device per line, when the run\n"
    "                      ends (with every address and its full TXT); the\n"
    "                      counters as one JSON object on stderr\n"
    "  -h, --help          this help\n\n"
    "Replies count only from a unicast address and port, and with TTL 1\n"
    "only from the link they arrived on; extended replies only with this\n"
    "run's random nonce (others are forged: counted on stderr).\n\n"
    "SIGINT or SIGTERM ends the run early, as the timeout does.\n\n"
    "Exit: 0 when at least one device (or N with --count) answered, 1 when\n"
    "fewer did before the timeout, 2 on a usage or system error, 3 when the\n"
    "device table filled up and some devices may be missing.\n";

typedef struct dopts {
    mcd_query_config cfg;
    cli_where where;
    bool json;
    const char *key_file; /* --key FILE */
    mcd_key key;
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
    case 'C':
        o->cfg.chapter_only = true;
        return 0;
    case 'W':
        return cli_parse_u32("discover: --window", arg, 1,
                             MCD_EXT_WINDOW_MAX_MS, &o->cfg.window_ms);
    case 'K':
        o->key_file = arg;
        return 0;
    case 'A':
        o->cfg.require_auth = true;
        return 0;
    }
    return -1;
}

/* --key FILE (and --require-auth, which needs it). */
static int load_key(dopts *o)
{
    int err;

    if (o->key_file == NULL) {
        if (o->cfg.require_auth)
            cli_error("discover: --require-auth needs --key FILE");
        return o->cfg.require_auth ? -1 : 0;
    }
    err = mcd_key_load(&o->key, o->key_file);
    if (err < 0) {
        cli_error("discover: --key '%s': %s", cli_quote(o->key_file),
                  err == MCD_E_UNSUPPORTED ? "mcdisc was built without "
                                             "mbedTLS: no keys"
                                           : mcd_strerror(err));
        return -1;
    }
    o->cfg.mac = &o->key.mac;
    return 0;
}

static const cli_cmd discover_cli = {
    "discover", ":i:g:p:t:q:c:jh",
    "iface=i group=g port=p ttl=T timeout=t retries=r interval=I "
    "max-interval=M query=q count=c per-source=S json.j chapter.C window=W "
    "key=K require-auth.A",
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
    if (rc == 0 && load_key(o) < 0)
        rc = -1;
    return rc;
}

/* What the human output showed of each device, so that an update prints
 * only what is new. */
typedef struct shown {
    uint8_t naddrs;
    bool ext;
    uint16_t txt_len;
    bool verified;
} shown;

typedef struct dctx {
    const dopts *o;
    const mcd_query *q;
    shown *shown; /* per table entry, DEVICE_TABLE of them */
} dctx;

#define DEVICE_TABLE 4096 /* the device table's size (max_devices) */

/* "key=value" pairs, space-separated, made safe for a terminal. */
static void print_txt(const mcd_device *d)
{
    size_t pos = 0, len;
    const uint8_t *p;

    while (mcd_ext_txt_next(d->txt, d->txt_len, &pos, &p, &len)) {
        fputc(' ', stdout);
        cli_print_safe(stdout, (const char *)p, len);
    }
    if (d->txt_truncated)
        fputs(" ...", stdout);
}

static void print_id(const dctx *c, const mcd_device *d)
{
    char id[17];

    mcd_ext_id_format(d->id, id);
    printf("id %.8s", id); /* short, as git's: all 16 digits in --json */
    if (c->o->cfg.mac != NULL) /* keyed: say which are */
        fputs(d->verified ? " verified" : " unverified", stdout);
    print_txt(d);
}

/* Update lines name the device by its short id: other devices' lines may
 * have come in between. */
static void print_addrs(const dctx *c, const mcd_device *d, size_t from)
{
    char ep[CLI_ENDPOINT_STRLEN], id[17];

    mcd_ext_id_format(d->id, id);
    for (size_t i = from; i < d->naddrs; i++) {
        cli_format_endpoint(&d->addrs[i].ep, ep, sizeof ep);
        printf("    id %.8s also %s %s\n", id, ep,
               mcd_query_ifname(c->q, d->addrs[i].ifindex));
    }
}

/* "addresses": every endpoint it answered from, the first one first. */
static void json_addrs(const dctx *c, const mcd_device *d)
{
    char addr[CLI_ADDR_STRLEN];

    fputs(",\"addresses\":[", stdout);
    for (size_t i = 0; i < d->naddrs; i++) {
        cli_format_addr(&d->addrs[i].ep.addr, addr, sizeof addr);
        fputs(i ? ",{\"address\":" : "{\"address\":", stdout);
        json_str(stdout, addr);
        printf(",\"port\":%u,\"iface\":", d->addrs[i].ep.port);
        json_str(stdout, mcd_query_ifname(c->q, d->addrs[i].ifindex));
        fputc('}', stdout);
    }
    fputc(']', stdout);
    if (d->addrs_dropped > 0)
        printf(",\"addresses_dropped\":%u", d->addrs_dropped);
}

/* "txt": {"key":"value",...} (the core keeps each key once). */
static void json_txt(const mcd_device *d)
{
    size_t pos = 0, len, n = 0;
    const uint8_t *p;

    if (!d->ext)
        return;
    fputs(",\"txt\":{", stdout);
    while (mcd_ext_txt_next(d->txt, d->txt_len, &pos, &p, &len)) {
        const uint8_t *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;

        fputs(n++ ? "," : "", stdout);
        json_strn(stdout, (const char *)p, klen);
        fputc(':', stdout);
        json_strn(stdout, (const char *)p + klen + (eq != NULL),
                  len - klen - (eq != NULL));
    }
    printf("},\"txt_truncated\":%s", d->txt_truncated ? "true" : "false");
}

/* The device's whole object, one line. */
static void json_device(const dctx *c, const mcd_device *d)
{
    char addr[CLI_ADDR_STRLEN], id[17];

    cli_format_addr(&d->from.addr, addr, sizeof addr);
    fputs("{\"address\":", stdout);
    json_str(stdout, addr);
    printf(",\"port\":%u,\"iface\":", d->from.port);
    json_str(stdout, mcd_query_ifname(c->q, d->ifindex));
    fputc(',', stdout);
    json_text(stdout, "name", d->reply.name, strlen(d->reply.name));
    fputc(',', stdout);
    json_text(stdout, "proto", d->reply.proto, strlen(d->reply.proto));
    printf(",\"service_port\":%u,\"rtt_ms\":%.3f,\"t_ms\":%.3f",
           d->reply.port, (double)d->rtt / 1000.0,
           (double)d->elapsed / 1000.0);
    if (d->ext) {
        mcd_ext_id_format(d->id, id);
        fputs(",\"id\":", stdout);
        json_str(stdout, id);
    }
    printf(",\"verified\":%s", d->verified ? "true" : "false");
    json_addrs(c, d);
    json_txt(d);
    fputs("}\n", stdout);
}

/* --json: every device once, when the run ends, with every address it
 * answered from and its full TXT (they may come after its first reply). */
static void json_all(const dctx *c)
{
    const mcd_device *d;

    for (size_t i = 0; (d = mcd_query_device(c->q, i)) != NULL; i++)
        json_device(c, d);
    cli_flush();
}

static shown *shown_of(const dctx *c, const mcd_device *d)
{
    size_t i = (size_t)(d - mcd_query_device(c->q, 0));

    return i < DEVICE_TABLE ? &c->shown[i] : NULL;
}

static void print_device(void *ctx, const mcd_device *d)
{
    const dctx *c = ctx;
    char ep[CLI_ENDPOINT_STRLEN];
    shown *sh = shown_of(c, d);

    if (c->o->json)
        return; /* printed when the run ends, complete (json_all) */
    cli_format_endpoint(&d->from, ep, sizeof ep);
    printf("%-22s %-8s ", ep, mcd_query_ifname(c->q, d->ifindex));
    cli_print_safe(stdout, d->reply.name, strlen(d->reply.name));
    fputs("  ", stdout);
    cli_print_safe(stdout, d->reply.proto, strlen(d->reply.proto));
    printf(" %u  %.2f ms", d->reply.port, (double)d->rtt / 1000.0);
    if (d->ext) {
        fputs("  ", stdout);
        print_id(c, d);
    }
    fputc('\n', stdout);
    print_addrs(c, d, 1);
    if (sh != NULL)
        *sh = (shown){d->naddrs, d->ext, d->txt_len, d->verified};
    cli_flush();
}

/* A listed device gained its id, an address or its full TXT: indented
 * lines under it with what is new. */
static void print_update(void *ctx, const mcd_device *d)
{
    const dctx *c = ctx;
    shown *sh = shown_of(c, d);

    if (c->o->json || sh == NULL)
        return;
    if (d->ext && (!sh->ext || sh->txt_len != d->txt_len ||
                   sh->verified != d->verified)) {
        char ep[CLI_ENDPOINT_STRLEN];

        fputs("    ", stdout);
        print_id(c, d);
        /* Listed from its chapter reply, or now verified (its address
         * is that of the verified reply): say which. */
        if (!sh->ext || sh->verified != d->verified) {
            cli_format_endpoint(&d->from, ep, sizeof ep);
            printf(" (is %s)", ep);
        }
        fputc('\n', stdout);
    }
    /* Verified now: its addresses are those of verified replies only. */
    print_addrs(c, d, sh->verified != d->verified ? 1 : sh->naddrs);
    *sh = (shown){d->naddrs, d->ext, d->txt_len, d->verified};
    cli_flush();
}

static int loop(dctx *ctx, mcd_query *q, struct pollfd *pfd, size_t n)
{
    while (!mcd_query_done(q) && !cli_stop_signal) {
        int err = mcd_query_process(q, print_device, ctx);

        if (err < 0) {
            cli_error("discover: sending the query: %s", mcd_strerror(err));
            return EXIT_USAGE;
        }
        if (!mcd_query_done(q) && !cli_stop_signal &&
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
    dctx ctx = {o, q, calloc(DEVICE_TABLE, sizeof(shown))};
    int rc = EXIT_USAGE;

    if (fds == NULL || pfd == NULL || ctx.shown == NULL) {
        cli_error("discover: %s", strerror(ENOMEM));
    } else {
        n = mcd_query_fds(q, fds, n);
        for (size_t i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        mcd_query_on_update(q, print_update);
        rc = loop(&ctx, q, pfd, n);
        if (o->json)
            json_all(&ctx); /* what was found, whatever ended the run */
    }
    free(fds);
    free(pfd);
    free(ctx.shown);
    return rc;
}

/* The counters as one JSON object on stderr (the bench reads it). */
static void json_stats(const mcd_query_stats *st)
{
    fprintf(stderr,
            "{\"stats\":{\"found\":%zu,\"copies\":%u,\"received\":%llu,"
            "\"bad_nonce\":%llu,\"capped\":%llu,\"off_link\":%llu,"
            "\"bad_source\":%llu,\"other\":%llu,\"full\":%llu,"
            "\"bad_mac\":%llu,\"unverified\":%llu}}\n",
            st->found, st->copies, (unsigned long long)st->received,
            (unsigned long long)st->bad_nonce,
            (unsigned long long)st->capped,
            (unsigned long long)st->off_link,
            (unsigned long long)st->bad_source,
            (unsigned long long)st->other, (unsigned long long)st->full,
            (unsigned long long)st->bad_mac,
            (unsigned long long)st->unverified);
}

/* Lines on stderr for what did not become a device, and the exit code a
 * full table turns the result into. */
static int report(const mcd_query_stats *st, int rc)
{
    uint64_t refused = st->capped + st->bad_source + st->off_link +
                       st->bad_nonce + st->other;

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
                  "source, %llu not a reply, %llu with a bad nonce",
                  (unsigned long long)refused, refused == 1 ? "" : "s",
                  (unsigned long long)st->capped,
                  (unsigned long long)st->off_link,
                  (unsigned long long)st->bad_source,
                  (unsigned long long)st->other,
                  (unsigned long long)st->bad_nonce);
    if (st->bad_mac > 0 || st->unverified > 0)
        cli_error("discover: %llu extended repl%s with a bad MAC, %llu "
                  "unverified repl%s left out (--require-auth)",
                  (unsigned long long)st->bad_mac,
                  st->bad_mac == 1 ? "y" : "ies",
                  (unsigned long long)st->unverified,
                  st->unverified == 1 ? "y" : "ies");
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
                       .max_interval_ms = CLI_DEFAULT_MAX_INTERVAL_MS,
                       .max_devices = DEVICE_TABLE}};
    mcd_query *q;
    size_t bad;
    int rc = parse_args(&o, argc, argv);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    int err = mcd_query_open(&q, &o.cfg, &bad);
    if (err < 0) {
        cli_open_error("discover", err, o.cfg.group, o.cfg.port,
                       o.where.ifaces.name, bad);
        mcd_key_wipe(&o.key);
        return EXIT_USAGE;
    }
    cli_catch_stop(); /* an early end still prints what was found */
    rc = run(&o, q);
    size_t found = mcd_query_found(q);
    if (rc == EXIT_OK && !o.json)
        fprintf(stderr, "%zu device%s answered\n", found, found == 1 ? "" : "s");
    if (rc == EXIT_OK && (found == 0 || (o.cfg.count && found < o.cfg.count)))
        rc = EXIT_NO;
    mcd_query_stats st;
    mcd_query_get_stats(q, &st);
    if (o.json)
        json_stats(&st);
    rc = report(&st, rc);
    mcd_query_close(q);
    mcd_key_wipe(&o.key);
    return rc;
}
