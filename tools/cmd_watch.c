/*
 * cmd_watch.c - mcdisc watch: the devices present, kept current
 * (docs/PROTOCOL.md, "Live view and keys"). A live table on a terminal,
 * redrawn in place; plain lines otherwise; --json one event per line.
 */
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_watch_usage[] =
    "usage: mcdisc watch [options]\n\n"
    "List the devices present and keep the list current until stopped:\n"
    "devices that announce or answer appear, those that say goodbye or\n"
    "outlive their lifetime go, a changed address or TXT is an update.\n\n"
    "Options:\n"
    "  -i, --iface NAME      watch on this interface (repeatable; default:\n"
    "                        every usable one)\n"
    "  -g, --group ADDR      the group (default " MCD_DEFAULT_GROUP ")\n"
    "  -p, --port N          the port (default " CLI_STR(MCD_DEFAULT_PORT) ")\n"
    "  -q, --query TEXT      the query (default \"" MCD_DEFAULT_QUERY "\")\n"
    "      --chapter         plain queries only (chapter devices)\n"
    "      --lifetime S      how long a chapter device, which says none, is\n"
    "                        listed without a refresh: " CLI_STR(MCD_LIFETIME_MIN) "-"
    CLI_STR(MCD_LIFETIME_MAX) " (default " CLI_STR(MCD_LIFETIME_DEFAULT) ")\n"
    "  -j, --json            one event per line: {\"event\":\"new\"|\"update\"|\n"
    "                        \"gone\", ..., \"reason\":\"goodbye\"|\"expired\"}\n"
    "      --key FILE        check MACs with the pre-shared key in FILE:\n"
    "                        devices are shown verified or not\n"
    "      --require-auth    show only verified devices (needs --key)\n"
    "  -h, --help            this help\n\n"
    "On a terminal the table is redrawn in place; when standard output is\n"
    "not a terminal, one line per event. SIGUSR1 prints the counters to\n"
    "standard error (one JSON object with --json).\n"
    "Exit: 0 after SIGINT/SIGTERM, 2 on a usage or system error.\n";

typedef struct wopts {
    mcd_watcher_config cfg;
    cli_where where;
    bool json, tty;
    const char *key_file; /* --key FILE */
    bool require_auth;
    mcd_key key;
} wopts;

static volatile sig_atomic_t stop_signal, counters_signal;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        counters_signal = 1;
    else
        stop_signal = sig;
}

static int parse_opt(void *ctx, int c, const char *arg)
{
    wopts *o = ctx;

    switch (c) {
    case 'q': return cli_query("watch", arg, &o->cfg.query);
    case 'j': o->json = true; return 0;
    case 'C': o->cfg.chapter_only = true; return 0;
    case 'L':
        return cli_parse_u32("watch: --lifetime", arg, MCD_LIFETIME_MIN,
                             MCD_LIFETIME_MAX, &o->cfg.default_lifetime);
    case 'K': o->key_file = arg; return 0;
    case 'A': o->require_auth = true; return 0;
    }
    return -1;
}

/* --key FILE (and --require-auth, which needs it), as discover's. */
static int load_key(wopts *o)
{
    int err;

    if (o->key_file == NULL) {
        if (o->require_auth)
            cli_error("watch: --require-auth needs --key FILE");
        return o->require_auth ? -1 : 0;
    }
    err = mcd_key_load(&o->key, o->key_file);
    if (err < 0) {
        cli_error("watch: --key '%s': %s", cli_quote(o->key_file),
                  err == MCD_E_UNSUPPORTED ? "mcdisc was built without "
                                             "mbedTLS: no keys"
                                           : mcd_strerror(err));
        return -1;
    }
    o->cfg.mac = &o->key.mac;
    return 0;
}

static const cli_cmd watch_cli = {
    "watch", ":i:g:p:q:jh",
    "iface=i group=g port=p query=q json.j chapter.C lifetime=L key=K "
    "require-auth.A",
    cmd_watch_usage, parse_opt, MCD_MAX_IFACES, false};

static const char *event_name(enum mcd_watch_event ev)
{
    switch (ev) {
    case MCD_WATCH_NEW: return "new";
    case MCD_WATCH_UPDATE: return "update";
    default: return "gone";
    }
}

static void addr_text(const mcd_watch_dev *d, char *buf, size_t cap)
{
    if (mcd_addr_format(&d->from.addr, buf, cap) < 0)
        snprintf(buf, cap, "?");
}

static void print_json(const mcd_watch_dev *d, enum mcd_watch_event ev,
                       bool keyed)
{
    char id[17], addr[MCD_ADDR_STRLEN];
    const uint8_t *pair;
    size_t pos = 0, plen;
    bool first = true;

    addr_text(d, addr, sizeof addr);
    printf("{\"event\":\"%s\"", event_name(ev));
    if (d->ext) {
        mcd_ext_id_format(d->id, id);
        printf(",\"id\":\"%s\"", id);
    } else {
        printf(",\"id\":null");
    }
    putchar(',');
    json_text(stdout, "name", d->text.name, strlen(d->text.name));
    putchar(',');
    json_text(stdout, "proto", d->text.proto, strlen(d->text.proto));
    printf(",\"port\":%u,\"address\":\"%s\",\"source_port\":%u,"
           "\"lifetime\":%u,\"chapter\":%s,\"txt\":{",
           d->text.port, addr, d->from.port, d->lifetime,
           d->ext ? "false" : "true");
    while (mcd_ext_txt_next(d->txt, d->txt_len, &pos, &pair, &plen)) {
        const char *eq = memchr(pair, '=', plen);
        size_t k = (size_t)(eq - (const char *)pair);

        if (!first)
            putchar(',');
        first = false;
        json_strn(stdout, (const char *)pair, k);
        putchar(':');
        json_strn(stdout, eq + 1, plen - k - 1);
    }
    putchar('}');
    if (keyed)
        printf(",\"verified\":%s", d->verified ? "true" : "false");
    if (ev == MCD_WATCH_GONE_GOODBYE || ev == MCD_WATCH_GONE_EXPIRED)
        printf(",\"reason\":\"%s\"",
               ev == MCD_WATCH_GONE_GOODBYE ? "goodbye" : "expired");
    printf("}\n");
    fflush(stdout);
}

/* One device on a line: event (or nothing in the table), id, address,
 * lifetime, the reply's fields. */
static void print_line(const mcd_watch_dev *d, const char *what, bool keyed)
{
    char id[17] = "-", addr[MCD_ADDR_STRLEN];

    addr_text(d, addr, sizeof addr);
    if (d->ext)
        mcd_ext_id_format(d->id, id);
    if (what != NULL)
        printf("%-14s ", what);
    printf("%-16s %-15s %6us  ", id, addr, d->lifetime);
    if (keyed)
        printf("%-10s ", d->verified ? "verified" : "unverified");
    cli_print_safe(stdout, d->text.name, strlen(d->text.name));
    printf(" %s %u\n", d->text.proto, d->text.port);
}

static void draw_table(const mcd_watcher *w, const wopts *o)
{
    bool keyed = o->cfg.mac != NULL;
    const mcd_watch *t = mcd_watcher_table(w);
    uint64_t sent, heard;

    mcd_watcher_counts(w, &sent, &heard);
    /* Home and clear, as watch(1) and top do: no scrolling log. */
    fputs("\033[H\033[2J", stdout);
    printf("mcdisc watch: %zu devices (sent %llu, heard %llu, table full "
           "%llu, replayed %llu, off-link %llu)\n\n%-16s %-15s %7s  %s%s\n",
           mcd_watch_count(t), (unsigned long long)sent,
           (unsigned long long)heard,
           (unsigned long long)t->stats.table_full,
           (unsigned long long)t->stats.replayed,
           (unsigned long long)t->stats.off_link, "ID", "ADDRESS",
           "LIFE", keyed ? "AUTH       " : "", "NAME PROTOCOL PORT");
    for (size_t i = 0; i < t->cap; i++)
        if (t->devs[i].used && (!o->require_auth || t->devs[i].verified))
            print_line(&t->devs[i], NULL, keyed);
    fflush(stdout);
}

static void on_change(void *ctx, enum mcd_watch_event ev,
                      const mcd_watch_dev *d)
{
    const wopts *o = ctx;
    bool keyed = o->cfg.mac != NULL;

    /* --require-auth: a device appears (new) when it is verified, and
     * goes only if it was shown. The watcher's table memory is ours to
     * mark (mcd_watch_dev.shown). */
    if (o->require_auth) {
        bool gone = ev == MCD_WATCH_GONE_GOODBYE ||
                    ev == MCD_WATCH_GONE_EXPIRED;

        if (gone ? !d->shown : !d->verified)
            return;
        if (!gone && !d->shown)
            ev = MCD_WATCH_NEW;
        ((mcd_watch_dev *)d)->shown = true;
    }
    if (o->json) {
        print_json(d, ev, keyed);
    } else if (!o->tty) {
        print_line(d, ev == MCD_WATCH_GONE_GOODBYE   ? "gone(goodbye)"
                      : ev == MCD_WATCH_GONE_EXPIRED ? "gone(expired)"
                                                     : event_name(ev),
                   keyed);
        fflush(stdout);
    }
}

/* Signals stay blocked except inside ppoll(), so one that arrives between
 * two polls is seen at the next one, not lost until traffic wakes us. */
static void install_signals(sigset_t *waitmask)
{
    struct sigaction sa;
    sigset_t ours;

    sigemptyset(&ours);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGTERM);
    sigaddset(&ours, SIGUSR1);
    sigprocmask(SIG_BLOCK, &ours, waitmask);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

/* SIGUSR1: what was sent, taken and refused, on standard error (standard
 * output is the events'). */
static void print_counters(const mcd_watcher *w, const wopts *o)
{
    const mcd_watch *t = mcd_watcher_table(w);
    const mcd_watch_stats *st = &t->stats;
    uint64_t sent, heard;

    mcd_watcher_counts(w, &sent, &heard);
    fprintf(stderr,
            o->json ? "{\"devices\":%zu,\"sent\":%llu,\"heard\":%llu,"
                      "\"table_full\":%llu,\"replayed\":%llu,"
                      "\"malformed\":%llu,\"stale_goodbye\":%llu,"
                      "\"unverified\":%llu,\"off_link\":%llu}\n"
                    : "mcdisc watch: %zu devices; sent %llu, heard %llu, "
                      "table full %llu, replayed %llu, malformed %llu, "
                      "stale goodbye %llu, unverified %llu, off-link %llu\n",
            mcd_watch_count(t), (unsigned long long)sent,
            (unsigned long long)heard, (unsigned long long)st->table_full,
            (unsigned long long)st->replayed,
            (unsigned long long)st->malformed,
            (unsigned long long)st->stale_goodbye,
            (unsigned long long)st->unverified,
            (unsigned long long)st->off_link);
}

static int run(mcd_watcher *w, const wopts *o, const sigset_t *waitmask)
{
    struct pollfd pfd[MCD_MAX_IFACES * 4 + 2];
    int fds[MCD_MAX_IFACES * 4 + 2];

    while (!stop_signal) {
        size_t n = mcd_watcher_fds(w, fds, sizeof fds / sizeof fds[0]);
        int ms = mcd_watcher_timeout(w), err = 0;
        struct timespec ts;

        if (o->tty && (ms < 0 || ms > 1000))
            ms = 1000; /* the table's clock */
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (long)(ms % 1000) * 1000000L;
        for (size_t i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        if (ppoll(pfd, (nfds_t)n, ms < 0 ? NULL : &ts, waitmask) < 0 &&
            errno != EINTR) {
            cli_error("watch: poll: %s", strerror(errno));
            return EXIT_USAGE;
        }
        for (size_t i = 0; i < n && err == 0; i++)
            if (pfd[i].revents != 0)
                err = mcd_watcher_process(w, pfd[i].fd);
        if (err == 0)
            err = mcd_watcher_process(w, -1);
        if (err < 0) {
            cli_error("watch: the socket failed: %s", mcd_strerror(err));
            return EXIT_USAGE;
        }
        if (counters_signal) {
            counters_signal = 0;
            print_counters(w, o);
        }
        if (o->tty && !o->json)
            draw_table(w, o);
    }
    return EXIT_OK;
}

int cmd_watch(int argc, char **argv)
{
    wopts o;
    sigset_t waitmask;
    mcd_watcher *w;
    size_t bad;
    int rc, err;

    memset(&o, 0, sizeof o);
    rc = cli_getopt(&watch_cli, argc, argv, &o.where, &o);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (load_key(&o) < 0)
        return EXIT_USAGE;
    o.cfg.group = o.where.group;
    o.cfg.port = o.where.port;
    o.cfg.ifaces = o.where.ifaces.name;
    o.cfg.n_ifaces = o.where.ifaces.n;
    o.tty = isatty(STDOUT_FILENO);
    install_signals(&waitmask);
    err = mcd_watcher_open(&w, &o.cfg, on_change, &o, &bad);
    if (err < 0) {
        cli_open_error("watch", err, o.cfg.group, o.cfg.port,
                       o.where.ifaces.name, bad);
        mcd_key_wipe(&o.key);
        return EXIT_USAGE;
    }
    rc = run(w, &o, &waitmask);
    mcd_watcher_close(w);
    mcd_key_wipe(&o.key);
    return rc; /* main() checks the output */
}
