/*
 * cmd_send.c - `mcdisc send`: paced multicast test traffic.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

const char cmd_send_usage[] =
    "usage: mcdisc send [options] GROUP[:PORT]\n\n"
    "Send datagrams to a multicast group at a steady rate. By default each\n"
    "carries mcdisc's test header (docs/PROBE.md: sender id, sequence\n"
    "number, send time) so `mcdisc recv` can count loss, duplicates,\n"
    "reordering and delay. IPv6 groups take the [GROUP%ZONE]:PORT form.\n\n"
    "  -i, --iface IF      send out of IF (name, index or address); default:\n"
    "                      the first usable interface of the group's family\n"
    "      --ttl N         TTL / hop limit 1-255 (default "
    CLI_STR(MCD_DEFAULT_TTL) ")\n"
    "      --loop          loop datagrams back to this host (default)\n"
    "      --no-loop       do not\n"
    "  -c, --count N       send N datagrams (default: until --duration or\n"
    "                      SIGINT)\n"
    "  -r, --rate PPS      datagrams per second (default "
    CLI_STR(CLI_DEFAULT_SEND_RATE) ")\n"
    "  -s, --size BYTES    datagram size with the header, 32-65507 (default "
    CLI_STR(CLI_DEFAULT_SEND_SIZE) ")\n"
    "  -d, --duration S    stop after S seconds (decimals allowed)\n"
    "  -m, --message TEXT  send TEXT as it is instead of the test header\n"
    "      --stdin         send what standard input holds, as it is\n"
    "  -p, --port P        port when GROUP has none (default "
    CLI_STR(MCD_DEFAULT_PORT) ")\n"
    "  -j, --json          the summary as a JSON object\n"
    "  -v, --verbose       print the interface's multicast state first\n"
    "  -h, --help          this help\n\n"
    "Exit: 0 when everything was sent, 2 on a usage or system error.\n";

#define MAX_PAYLOAD 65507 /* IPv4: 65535 - 20 (IP) - 8 (UDP) */
#define BATCH 64

typedef struct sopts {
    cli_where where; /* one --iface at most, no --group */
    int ttl;
    bool loop, json, verbose;
    uint64_t count; /* 0: no limit */
    double rate, duration;
    long size;
    const char *message;
    bool use_stdin;
    const char *group;
} sopts;

static int parse_opt(void *ctx, int c, const char *arg)
{
    sopts *o = ctx;

    long v;

    switch (c) {
    case 'T':
        return cli_ttl("send", arg, &o->ttl);
    case 'L': o->loop = true; return 0;
    case 'N': o->loop = false; return 0;
    case 'c':
        if (cli_parse_long("send: --count", arg, 1, LONG_MAX, &v) < 0)
            return -1;
        o->count = (uint64_t)v;
        return 0;
    case 'r':
        return cli_parse_decimal("send: --rate", arg, 0.001, 1e7, &o->rate);
    case 's':
        return cli_parse_long("send: --size", arg, MCD_PROBE_LEN, MAX_PAYLOAD,
                              &o->size);
    case 'd':
        return cli_parse_decimal("send: --duration", arg, 0.001, 1e7,
                                 &o->duration);
    case 'm': o->message = arg; return 0;
    case 'S': o->use_stdin = true; return 0;
    case 'j': o->json = true; return 0;
    case 'v': o->verbose = true; return 0;
    }
    return -1;
}

static const cli_cmd send_cli = {
    "send", ":i:c:r:s:d:m:p:jvh",
    "iface=i ttl=T loop.L no-loop.N count=c rate=r size=s duration=d "
    "message=m stdin.S port=p json.j verbose.v",
    cmd_send_usage, parse_opt, 1, true};

static int parse_args(sopts *o, int argc, char **argv)
{
    int rc = cli_getopt(&send_cli, argc, argv, &o->where, o);

    if (rc != 0)
        return rc;
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "send: which group? (mcdisc send GROUP[:PORT])"
                                 : "send: one group only; unexpected '%s'",
                  optind < argc ? cli_quote(argv[optind + 1]) : "");
        return -1;
    }
    if (o->message != NULL && o->use_stdin) {
        cli_error("send: --message and --stdin exclude each other");
        return -1;
    }
    o->group = argv[optind];
    return 0;
}

/* The payload: raw bytes (--message, --stdin), or a template whose first
 * MCD_PROBE_LEN bytes are rewritten per datagram. */
static int load_payload(const sopts *o, uint8_t *buf, size_t *len)
{
    if (o->message != NULL) {
        *len = strlen(o->message);
        if (*len > MAX_PAYLOAD) {
            cli_error("send: --message is longer than %d bytes", MAX_PAYLOAD);
            return -1;
        }
        memcpy(buf, o->message, *len);
        return 0;
    }
    if (o->use_stdin) {
        size_t n = fread(buf, 1, MAX_PAYLOAD + 1, stdin);

        if (ferror(stdin) || n > MAX_PAYLOAD) {
            cli_error("send: standard input: %s",
                      n > MAX_PAYLOAD ? "longer than 65507 bytes"
                                      : strerror(errno));
            return -1;
        }
        *len = n;
        return 0;
    }
    *len = (size_t)o->size;
    for (size_t i = MCD_PROBE_LEN; i < *len; i++)
        buf[i] = (uint8_t)i; /* a recognisable, non-zero filler */
    return 0;
}

typedef struct sstate {
    uint64_t sent, bytes;
    mcd_time start, end;
    mcd_time first, last; /* before the first send call, after the last */
} sstate;

static void sleep_until(mcd_time due)
{
    mcd_time now = mcd_clock_mono();

    if (due > now) {
        /* In slices of at most 100 ms, so a signal is never waited out. */
        mcd_time us = due - now < 100000 ? due - now : 100000;
        struct timespec ts = {0, (long)us * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Send datagram after datagram at `rate`, in batches when the rate is
 * higher than one system call per datagram can follow. */
static int run(const sopts *o, mcd_sender *snd, uint8_t *tmpl, size_t len,
               sstate *st)
{
    static uint8_t bufs[BATCH][MAX_PAYLOAD];
    const uint8_t *ptrs[BATCH];
    size_t lens[BATCH];
    mcd_probe p = {.total = o->count <= UINT32_MAX ? (uint32_t)o->count : 0};
    bool raw = o->message != NULL || o->use_stdin;
    double gap_us = 1e6 / o->rate;
    mcd_time stop_at = o->duration > 0 ? st->start + (mcd_time)(o->duration * 1e6)
                                       : MCD_TIME_NEVER;

    /* A new id per run lets receivers see a restart. */
    if (getrandom(&p.sender_id, sizeof p.sender_id, 0) != sizeof p.sender_id)
        p.sender_id = (uint32_t)(mcd_clock_real_us() ^ (uint64_t)getpid());
    for (size_t i = 0; i < BATCH; i++) {
        memcpy(bufs[i], tmpl, len);
        ptrs[i] = bufs[i];
        lens[i] = len;
    }
    while (!cli_stop_signal && (o->count == 0 || st->sent < o->count)) {
        mcd_time now = mcd_clock_mono();
        if (now >= stop_at)
            break;
        /* How many are due by now, by the schedule start + i * gap. */
        uint64_t due = (uint64_t)((double)(now - st->start) / gap_us) + 1;
        uint64_t k = due > st->sent ? due - st->sent : 0;
        if (k == 0) {
            mcd_time next = st->start + (mcd_time)((double)st->sent * gap_us);
            sleep_until(next < stop_at ? next : stop_at);
            continue;
        }
        if (k > BATCH)
            k = BATCH;
        if (o->count > 0 && k > o->count - st->sent)
            k = o->count - st->sent;
        for (size_t i = 0; !raw && i < k; i++) {
            p.seq = st->sent + i;
            p.sent_us = mcd_clock_real_us();
            mcd_probe_encode(&p, bufs[i], MCD_PROBE_LEN);
        }
        if (st->sent == 0)
            st->first = mcd_clock_mono();
        int n = mcd_sender_send(snd, ptrs, lens, (size_t)k);
        st->last = mcd_clock_mono();
        if (n < 0) {
            cli_error("send: %s", mcd_strerror(n));
            return EXIT_USAGE;
        }
        st->sent += (uint64_t)n;
        st->bytes += (uint64_t)n * len;
    }
    return EXIT_OK;
}

static void summary(const sopts *o, const mcd_sender *snd, const sstate *st)
{
    double secs = (double)(st->end - st->start) / 1e6;
    /* N datagrams span N - 1 gaps, from the first send to the last: one
     * datagram (or a single batch) has no rate. */
    double span = (double)(st->last - st->first) / 1e6;
    bool has_rate = st->sent > 1 && span > 0;
    double pps = has_rate ? (double)(st->sent - 1) / span : 0;
    double bps = pps * (double)st->bytes / (double)(st->sent ? st->sent : 1);

    if (o->json) {
        fputs("{\"type\":\"send_summary\",\"group\":", stdout);
        json_str(stdout, o->group);
        fputs(",\"iface\":", stdout);
        json_str(stdout, mcd_sender_iface(snd)->name);
        printf(",\"sent\":%llu,\"bytes\":%llu,\"seconds\":%.3f,",
               (unsigned long long)st->sent, (unsigned long long)st->bytes,
               secs);
        if (has_rate)
            printf("\"rate_pps\":%.1f,\"rate_Bps\":%.1f,", pps, bps);
        else
            fputs("\"rate_pps\":null,\"rate_Bps\":null,", stdout);
        printf("\"refused\":%llu}\n",
               (unsigned long long)mcd_sender_refused(snd));
    } else {
        printf("sent %llu datagrams (%llu bytes) to %s via %s in %.3f s",
               (unsigned long long)st->sent, (unsigned long long)st->bytes,
               o->group, mcd_sender_iface(snd)->name, secs);
        if (has_rate)
            printf(": %.1f datagrams/s, %.1f bytes/s\n", pps, bps);
        else
            fputs(" (a rate needs two datagrams sent apart)\n", stdout);
        if (mcd_sender_refused(snd) > 0)
            printf("%llu of them refused by a local firewall (EPERM)\n",
                   (unsigned long long)mcd_sender_refused(snd));
    }
}

/* The discovery exchange's own group and port: a device of the chapter's
 * kind keeps one receive buffer it never terminates, so after one datagram
 * longer than the query its next queries no longer match until a query
 * followed by a NUL arrives (docs/PROTOCOL.md, "Other traffic on the
 * discovery port"). */
static void warn_discovery(const mcd_group_spec *dest)
{
    mcd_addr g;

    if (dest->port != MCD_DEFAULT_PORT ||
        mcd_addr_parse(MCD_DEFAULT_GROUP, &g) != 0 ||
        !mcd_addr_equal(&g, &dest->group))
        return;
    cli_error("send: warning: %s:%u is the discovery group and port; a "
              "datagram longer than the query can leave devices of the "
              "chapter's kind deaf to queries (see docs/PROTOCOL.md)",
              MCD_DEFAULT_GROUP, MCD_DEFAULT_PORT);
}

int cmd_send(int argc, char **argv)
{
    static uint8_t tmpl[MAX_PAYLOAD + 1]; /* + 1: --stdin reads one more */
    sopts o = {.ttl = MCD_DEFAULT_TTL, .loop = true,
               .rate = CLI_DEFAULT_SEND_RATE, .size = CLI_DEFAULT_SEND_SIZE,
               .where.port = MCD_DEFAULT_PORT};
    mcd_group_spec dest;
    mcd_sender *snd;
    sstate st = {0};
    size_t len;
    int rc = parse_args(&o, argc, argv), err;

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    err = mcd_group_spec_parse(o.group, o.where.port, &dest);
    if (err < 0) {
        cli_group_error("send", o.group, err);
        return EXIT_USAGE;
    }
    if (load_payload(&o, tmpl, &len) < 0)
        return EXIT_USAGE;
    warn_discovery(&dest);
    err = mcd_sender_open(&snd, &dest, o.where.ifaces.name[0], o.ttl, o.loop);
    if (err < 0) {
        cli_open_error("send", err, o.group, dest.port, o.where.ifaces.name,
                       o.where.ifaces.n > 0 && (err == MCD_E_NOIFACE ||
                                         err == MCD_E_IFNOMCAST ||
                                         err == MCD_E_IFNOADDR) ? 0 : SIZE_MAX);
        return EXIT_USAGE;
    }
    if (o.verbose)
        diag_print_iface(stderr, mcd_sender_iface(snd), &dest.group);
    cli_catch_stop();
    st.start = mcd_clock_mono();
    rc = run(&o, snd, tmpl, len, &st);
    st.end = mcd_clock_mono();
    summary(&o, snd, &st);
    mcd_sender_close(snd);
    return rc;
}
