/*
 * cli.c - helpers the subcommands share: errors, numbers, JSON strings.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *cli_error_at;

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("mcdisc: ", stderr);
    if (cli_error_at != NULL)
        fprintf(stderr, "%s: ", cli_error_at);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The digits of a number: "0" or [1-9][0-9]*, at most 19 of them (the
 * caller checks the range). Returns how many, or 0 when there are none or
 * a leading zero. */
static size_t digits(const char *s)
{
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
        return 0;
    return n;
}

/* A bound for a message: "0.001", "10000000", "-5". */
static void bound_text(double v, char *buf, size_t cap)
{
    size_t n;

    snprintf(buf, cap, "%.3f", v);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[n - 1] = '\0';
}

static int number_error(const char *what, const char *text, const char *lo,
                        const char *hi)
{
    cli_error("%s: '%s' is not a number in %s-%s", what, cli_quote(text), lo,
              hi);
    return -1;
}

static int long_error(const char *what, const char *text, long min, long max)
{
    char lo[24], hi[24];

    snprintf(lo, sizeof lo, "%ld", min);
    snprintf(hi, sizeof hi, "%ld", max);
    return number_error(what, text, lo, hi);
}

static int decimal_error(const char *what, const char *text, double min,
                         double max)
{
    char lo[32], hi[32];

    bound_text(min, lo, sizeof lo);
    bound_text(max, hi, sizeof hi);
    return number_error(what, text, lo, hi);
}

int cli_parse_long(const char *what, const char *text, long min, long max,
                   long *out)
{
    bool neg = text[0] == '-' && min < 0;
    size_t n = digits(text + neg);
    long v;

    if (n == 0 || text[neg + n] != '\0')
        return long_error(what, text, min, max);
    errno = 0;
    v = strtol(text, NULL, 10);
    if (errno != 0 || v < min || v > max)
        return long_error(what, text, min, max);
    *out = v;
    return 0;
}

int cli_parse_u32(const char *what, const char *text, long min, long max,
                  uint32_t *out)
{
    long v;

    if (cli_parse_long(what, text, min, max, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_decimal(const char *what, const char *text, double min,
                      double max, double *out)
{
    size_t n = digits(text), f = 0;
    double v;

    if (n > 0 && text[n] == '.')
        while (text[n + 1 + f] >= '0' && text[n + 1 + f] <= '9')
            f++;
    if (n == 0 || (text[n] == '.' && f == 0) ||
        text[n + (f > 0 ? f + 1 : 0)] != '\0')
        return decimal_error(what, text, min, max);
    v = strtod(text, NULL); /* plain digits: the C locale's '.' */
    if (!(v >= min && v <= max))
        return decimal_error(what, text, min, max);
    *out = v;
    return 0;
}

/* The valid UTF-8 sequence at s (at most n bytes): its length, and its
 * code point in *cp; 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp_out)
{
    size_t len;
    unsigned cp;

    if (s[0] < 0x80) {
        *cp_out = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0)
        len = 2, cp = s[0] & 0x1fu;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, cp = s[0] & 0x0fu;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, cp = s[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    /* No overlong forms, surrogates or values past U+10FFFF. */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *cp_out = cp;
    return len;
}

/* Code points a terminal or a JSON consumer must never get raw from the
 * network: controls (C0, DEL, C1), and the invisible and bidirectional
 * formatting characters that hide or reorder what is shown (Unicode TR
 * 36, 9: the Trojan Source list and its neighbours), with the line and
 * paragraph separators. */
static bool unsafe_cp(unsigned cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
           (cp >= 0xfff9 && cp <= 0xfffb);
}

/* One unit of text for a human, at p (n bytes left), into out[]: the
 * character as it is, or each of its bytes as \xNN. Returns the length
 * written; *used gets the bytes of input consumed. */
static size_t human_unit(const unsigned char *p, size_t n, char quote,
                         char out[static 17], size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned cp;
    size_t len = utf8_len(p, n, &cp), w = 0;

    if (len > 0 && !unsafe_cp(cp) && cp != '\\' && cp != (unsigned char)quote) {
        memcpy(out, p, len);
        *used = len;
        return len;
    }
    len = len == 0 ? 1 : len;
    for (size_t k = 0; k < len; k++) {
        out[w++] = '\\';
        out[w++] = 'x';
        out[w++] = hex[p[k] >> 4];
        out[w++] = hex[p[k] & 0xf];
    }
    *used = len;
    return w;
}

void cli_print_safe(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char out[17];

    for (size_t i = 0, used; i < len; i += used)
        fwrite(out, 1, human_unit(p + i, len - i, '"', out, &used), f);
}

const char *cli_quote(const char *text)
{
    static char bufs[4][(CLI_QUOTE_MAX + 4) * 4 + 4];
    static unsigned next;
    char *buf = bufs[next++ % 4], out[17];
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text), i = 0, w = 0, used;

    while (i < len && i < CLI_QUOTE_MAX) {
        size_t k = human_unit(p + i, len - i, '\'', out, &used);

        memcpy(buf + w, out, k);
        w += k;
        i += used;
    }
    if (i < len) {
        memcpy(buf + w, "...", 3);
        w += 3;
    }
    buf[w] = '\0';
    return buf;
}

bool json_strn(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    bool replaced = false;

    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = utf8_len(p + i, len - i, &cp);

        if (n == 0) {
            fputs("\\ufffd", f); /* RFC 8259 8.1: JSON text is UTF-8 */
            replaced = true;
            n = 1;
        } else if (cp == '"' || cp == '\\') {
            fprintf(f, "\\%c", (char)cp);
        } else if (unsafe_cp(cp)) {
            fprintf(f, "\\u%04x", cp);
        } else {
            fwrite(p + i, 1, n, f);
        }
        i += n;
    }
    fputc('"', f);
    return replaced;
}

void json_text(FILE *f, const char *key, const char *s, size_t len)
{
    fprintf(f, "\"%s\":", key);
    if (!json_strn(f, s, len))
        return;
    fprintf(f, ",\"%s_hex\":\"", key);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", (unsigned char)s[i]);
    fputc('"', f);
}

void json_str(FILE *f, const char *s)
{
    if (s == NULL)
        fputs("null", f);
    else
        (void)json_strn(f, s, strlen(s));
}

static int out_errno; /* the first failure to write standard output */

void cli_flush(void)
{
    if (fflush(stdout) != 0 && out_errno == 0)
        out_errno = errno != 0 ? errno : EIO;
}

int cli_finish_output(const char *cmd, int rc)
{
    bool lost = ferror(stdout) != 0;

    errno = 0;
    cli_flush();
    if (fclose(stdout) != 0 && out_errno == 0)
        out_errno = errno != 0 ? errno : EIO;
    if (!lost && out_errno == 0)
        return rc;
    cli_error("%s%scannot write the output: %s", cmd ? cmd : "",
              cmd ? ": " : "", out_errno ? strerror(out_errno) : "write error");
    return EXIT_USAGE;
}

int cli_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        /* The lowest free descriptor: fd itself, as 0..fd-1 are open. */
        if (open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
            return -1;
    }
    return 0;
}

void cli_opt_error(const char *cmd, int c, char **argv, int optind_now,
                   int optopt_now)
{
    const char *arg = argv[optind_now - 1];

    char opt[3] = {'-', (char)optopt_now, '\0'};

    if (c == ':') {
        cli_error("%s: option '%s' needs a value", cmd, cli_quote(arg));
    } else if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=') != NULL &&
               optopt_now != 0) {
        char name[CLI_QUOTE_MAX + 1];

        snprintf(name, sizeof name, "%.*s", (int)(strchr(arg, '=') - arg),
                 arg);
        cli_error("%s: option '%s' takes no value", cmd, cli_quote(name));
    } else if (optopt_now != 0 && strncmp(arg, "--", 2) != 0) {
        cli_error("%s: unknown option '%s' (see mcdisc help %s)", cmd,
                  cli_quote(opt), cmd);
    } else {
        cli_error("%s: unknown option '%s' (see mcdisc help %s)", cmd,
                  cli_quote(arg), cmd);
    }
}

int cli_port(const char *what, const char *text, uint16_t *out)
{
    long v;

    if (cli_parse_long(what, text, 1, 65535, &v) < 0)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int cli_check_group(const char *cmd, const char *group)
{
    mcd_addr a;
    int err = mcd_addr_resolve(group, &a);

    if (err < 0) {
        cli_error("%s: --group '%s': %s", cmd, cli_quote(group),
                  mcd_strerror(err));
        return -1;
    }
    if (!mcd_addr_is_multicast(&a)) {
        cli_error("%s: --group '%s' is not a multicast address", cmd,
                  cli_quote(group));
        return -1;
    }
    return 0;
}

void cli_open_error(const char *cmd, int err, const char *group,
                    uint16_t port, const char *const *ifaces, size_t bad)
{
    if (bad != SIZE_MAX && ifaces != NULL) {
        cli_error("%s: --iface '%s': %s", cmd, cli_quote(ifaces[bad]),
                  mcd_strerror(err));
        return;
    }
    if (err == -EADDRINUSE) {
        cli_error("%s: port %u is in use by a program that does not share it "
                  "(SO_REUSEADDR)", cmd, port);
        return;
    }
    if (err == MCD_E_NOIFACES) {
        cli_error("%s: %s; name one with --iface", cmd, mcd_strerror(err));
        return;
    }
    cli_error("%s: group %s port %u: %s", cmd, cli_quote(group), port,
              mcd_strerror(err));
}

void cli_format_addr(const mcd_addr *a, char *buf, size_t cap)
{
    mcd_addr plain = *a;
    char ifname[IF_NAMESIZE];
    int n;

    /* Zones by interface name, as a user types them ("fe80::1%eth0"). */
    plain.scope_id = 0;
    n = mcd_addr_format(&plain, buf, cap);
    if (n < 0) {
        snprintf(buf, cap, "?");
        return;
    }
    if (a->scope_id == 0)
        return;
    if (if_indextoname(a->scope_id, ifname) == NULL)
        snprintf(ifname, sizeof ifname, "%u", a->scope_id);
    snprintf(buf + n, cap - (size_t)n, "%%%s", ifname);
}

/* "[addr%zone]:port" for IPv6, "addr:port" for IPv4. */
void cli_format_endpoint(const mcd_endpoint *ep, char *buf, size_t cap)
{
    char a[CLI_ADDR_STRLEN];

    cli_format_addr(&ep->addr, a, sizeof a);
    if (ep->addr.family == MCD_AF_INET6)
        snprintf(buf, cap, "[%s]:%u", a, ep->port);
    else
        snprintf(buf, cap, "%s:%u", a, ep->port);
}

void cli_group_error(const char *cmd, const char *text, int err)
{
    const char *q = cli_quote(text);

    if (err == MCD_E_NOTMCAST)
        cli_error("%s: '%s' is not a multicast group", cmd, q);
    else if (err == MCD_E_BADPORT)
        cli_error("%s: '%s': port must be 1-65535, decimal digits without a "
                  "leading zero", cmd, q);
    else if (err == MCD_E_NOIFACE)
        cli_error("%s: '%s': no such interface for the zone", cmd, q);
    else
        cli_error("%s: '%s' is not a group (GROUP, GROUP:PORT or "
                  "[IPV6-GROUP%%ZONE]:PORT)", cmd, q);
}

/* Room for respond's 17 long options and more, with --help and
 * --list-options. */
#define CLI_MAX_LONGS 32

/* "iface=i json.j" into longs[] (names copied into names[cap]), then
 * "help" and the hidden "list-options". Returns -1 when the spec does
 * not fit or does not parse: a mistake in the program, said so. */
static int long_table(const char *spec, struct option *longs, char *names,
                      size_t cap)
{
    size_t n = 0, w = 0;
    const char *p = spec + strspn(spec, " ");

    while (*p != '\0') {
        size_t len = strcspn(p, "=. ");

        if ((p[len] != '=' && p[len] != '.') || p[len + 1] == '\0' ||
            n + 3 > CLI_MAX_LONGS || w + len + 1 > cap)
            return -1;
        memcpy(names + w, p, len);
        names[w + len] = '\0';
        longs[n++] = (struct option){
            names + w, p[len] == '=' ? required_argument : no_argument, NULL,
            (unsigned char)p[len + 1]};
        w += len + 1;
        p += len + 2;
        p += strspn(p, " ");
    }
    longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n++] = (struct option){"list-options", no_argument, NULL, 1};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    return 0;
}

/* --iface, --group and --port, the same for every subcommand. */
static int where_opt(const cli_cmd *cmd, cli_where *w, int c, const char *arg)
{
    char what[32];

    switch (c) {
    case 'i':
        return cli_iface_add(cmd->name, &w->ifaces, cmd->max_ifaces, arg);
    case 'g':
        w->group = arg;
        return cli_check_group(cmd->name, arg);
    }
    snprintf(what, sizeof what, "%s: --port", cmd->name);
    return cli_port(what, arg, &w->port);
}

/* The options the command line last parsed gave (cli_opt_given). */
static bool given[256];

bool cli_opt_given(int c)
{
    return c >= 0 && c < 256 && given[c];
}

int cli_apply_opt(const cli_cmd *cmd, cli_where *where, void *ctx, int c,
                  const char *arg)
{
    if (c == 'i' || c == 'g' || c == 'p')
        return where_opt(cmd, where, c, arg) < 0 ? -1 : 0;
    return cmd->opt(ctx, c, arg) < 0 ? -1 : 0;
}

/* One option: 1 when getopt is done with argv (help, list, an error). */
static int one_opt(const cli_cmd *cmd, const struct option *longs, int c,
                   char **argv, cli_where *where, void *ctx)
{
    if (c == 'h') {
        fputs(cmd->usage, stdout);
        return 1;
    }
    if (c == 1) { /* --list-options */
        for (size_t i = 0; longs[i].val != 1; i++)
            printf("--%s%s\n", longs[i].name,
                   longs[i].has_arg == required_argument ? "=" : "");
        return 1;
    }
    if (c == '?' || c == ':') {
        cli_opt_error(cmd->name, c, argv, optind, optopt);
        return -1;
    }
    given[(unsigned char)c] = true;
    return cli_apply_opt(cmd, where, ctx, c, optarg);
}

int cli_getopt(const cli_cmd *cmd, int argc, char **argv, cli_where *where,
               void *ctx)
{
    static struct option longs[CLI_MAX_LONGS + 1];
    static char names[512];
    int c, rc = 0;

    if (long_table(cmd->longs, longs, names, sizeof names) < 0) {
        cli_error("%s: bad option table", cmd->name);
        return -1;
    }
    optind = 1;
    opterr = 0;
    memset(given, 0, sizeof given);
    while (rc == 0 &&
           (c = getopt_long(argc, argv, cmd->shortopts, longs, NULL)) != -1)
        rc = one_opt(cmd, longs, c, argv, where, ctx);
    if (rc == 0 && !cmd->operands && optind < argc) {
        cli_error("%s: unexpected argument '%s'", cmd->name,
                  cli_quote(argv[optind]));
        rc = -1;
    }
    return rc;
}

int cli_query(const char *cmd, const char *arg, const char **out)
{
    if (mcd_query_check((const uint8_t *)arg, strlen(arg)) < 0) {
        cli_error("%s: --query must be 1-%d bytes", cmd, MCD_QUERY_MAX);
        return -1;
    }
    *out = arg;
    return 0;
}

int cli_ttl(const char *cmd, const char *arg, int *out)
{
    char what[32];
    long v;

    snprintf(what, sizeof what, "%s: --ttl", cmd);
    if (cli_parse_long(what, arg, 1, 255, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

volatile sig_atomic_t cli_stop_signal;

static void on_stop(int sig)
{
    cli_stop_signal = sig;
}

void cli_catch_stop(void)
{
    struct sigaction sa = {.sa_handler = on_stop};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_iface_add(const char *cmd, cli_ifaces *l, size_t max, const char *arg)
{
    if (max > MCD_MAX_IFACES)
        max = MCD_MAX_IFACES;
    if (l->n >= max) {
        cli_error("%s: at most %zu --iface", cmd, max);
        return -1;
    }
    l->name[l->n++] = arg;
    return 0;
}

void cli_list_defaults(FILE *f)
{
    static const struct {
        const char *name, *value;
    } d[] = {
#define D(x) {#x, CLI_STR(x)}
        D(MCD_DEFAULT_GROUP), D(MCD_DEFAULT_PORT), D(MCD_DEFAULT_TTL),
        D(MCD_DEFAULT_QUERY), D(MCD_DEFAULT_NAME), D(MCD_DEFAULT_PROTO),
        D(MCD_DEFAULT_SERVICE_PORT), D(MCD_DEFAULT_DELAY_MIN_MS),
        D(MCD_DEFAULT_DELAY_MAX_MS), D(MCD_DEFAULT_QUERIER_INTERVAL_MS),
        D(MCD_DEFAULT_RATE_PER_S), D(MCD_DEFAULT_RATE_BURST),
        D(MCD_DEFAULT_PER_SOURCE), D(CLI_DEFAULT_TIMEOUT_MS),
        D(CLI_DEFAULT_INTERVAL_MS), D(CLI_DEFAULT_MAX_INTERVAL_MS),
        D(CLI_DEFAULT_SEND_RATE), D(CLI_DEFAULT_SEND_SIZE),
        D(MCD_EXT_DEFAULT_WINDOW_MS), D(MCD_LIFETIME_DEFAULT),
#undef D
    };

    /* Strings come stringified with their quotes: drop them. */
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        const char *v = d[i].value;
        size_t len = strlen(v);

        if (len >= 2 && v[0] == '"')
            fprintf(f, "%s %.*s\n", d[i].name, (int)(len - 2), v + 1);
        else
            fprintf(f, "%s %s\n", d[i].name, v);
    }
}

void json_kv_str(FILE *f, const char *key, const char *value)
{
    fprintf(f, ",\"%s\":", key);
    json_str(f, value);
}

void json_kv_bool(FILE *f, const char *key, bool value)
{
    fprintf(f, ",\"%s\":%s", key, value ? "true" : "false");
}

void cli_ifname(uint32_t idx, char *buf, size_t cap)
{
    char name[IF_NAMESIZE];

    if (idx != 0 && if_indextoname(idx, name) != NULL)
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "%u", idx);
}
