/*
 * cli.c - helpers the subcommands share: errors, numbers, JSON strings.
 */
#include "cli.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("mcdisc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse_long(const char *what, const char *text, long min, long max,
                   long *out)
{
    char *end;
    long v;

    /* Digits only (strtol would skip blanks and take a '+'). */
    if (!((text[0] >= '0' && text[0] <= '9') ||
          (text[0] == '-' && min < 0 && text[1] >= '0' && text[1] <= '9'))) {
        cli_error("%s: '%s' is not a number in %ld-%ld", what, text, min, max);
        return -1;
    }
    errno = 0;
    v = strtol(text, &end, 10);
    if (*end != '\0' || errno != 0 || v < min || v > max) {
        cli_error("%s: '%s' is not a number in %ld-%ld", what, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
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
    return len;
}

void json_strn(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', f);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(p + i, len - i);

        if (p[i] == '"' || p[i] == '\\') {
            fprintf(f, "\\%c", p[i]);
        } else if (n == 1 && p[i] >= 0x20 && p[i] != 0x7f) {
            fputc(p[i], f);
        } else if (n > 1) {
            fwrite(p + i, 1, n, f);
            i += n;
            continue;
        } else {
            fprintf(f, "\\u%04x", p[i]);
        }
        i++;
    }
    fputc('"', f);
}

/* Code points a terminal must never receive raw from the network: C1
 * controls and the bidirectional overrides that reorder what is shown. */
static bool unsafe_cp(const unsigned char *p, size_t n)
{
    unsigned cp = n == 2 ? ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu)
                  : n == 3 ? ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) |
                                 (p[2] & 0x3fu)
                           : 0;

    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void cli_print_safe(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(p + i, len - i);

        if (n == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
            fputc(p[i], f);
        } else if (n > 1 && !unsafe_cp(p + i, n)) {
            fwrite(p + i, 1, n, f);
        } else {
            n = n == 0 ? 1 : n;
            for (size_t k = 0; k < n; k++)
                fprintf(f, "\\x%02x", p[i + k]);
        }
        i += n;
    }
}

void json_str(FILE *f, const char *s)
{
    if (s == NULL)
        fputs("null", f);
    else
        json_strn(f, s, strlen(s));
}

void cli_opt_error(const char *cmd, int c, char **argv, int optind_now,
                   int optopt_now)
{
    const char *arg = argv[optind_now - 1];

    if (c == ':')
        cli_error("%s: option '%s' needs a value", cmd, arg);
    else if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=') != NULL &&
             optopt_now != 0)
        cli_error("%s: option '%.*s' takes no value", cmd,
                  (int)(strchr(arg, '=') - arg), arg);
    else if (optopt_now != 0 && strncmp(arg, "--", 2) != 0)
        cli_error("%s: unknown option '-%c' (see mcdisc help %s)", cmd,
                  optopt_now, cmd);
    else
        cli_error("%s: unknown option '%s' (see mcdisc help %s)", cmd, arg,
                  cmd);
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
        cli_error("%s: --group '%s': %s", cmd, group, mcd_strerror(err));
        return -1;
    }
    if (!mcd_addr_is_multicast(&a)) {
        cli_error("%s: --group '%s' is not a multicast address", cmd, group);
        return -1;
    }
    return 0;
}

void cli_open_error(const char *cmd, int err, const char *group,
                    uint16_t port, const char *const *ifaces, size_t bad)
{
    if (bad != SIZE_MAX && ifaces != NULL) {
        cli_error("%s: --iface '%s': %s", cmd, ifaces[bad], mcd_strerror(err));
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
    cli_error("%s: group %s port %u: %s", cmd, group, port, mcd_strerror(err));
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
    if (err == MCD_E_NOTMCAST)
        cli_error("%s: '%s' is not a multicast group", cmd, text);
    else if (err == MCD_E_BADPORT)
        cli_error("%s: '%s': port must be 1-65535", cmd, text);
    else if (err == MCD_E_NOIFACE)
        cli_error("%s: '%s': no such interface for the zone", cmd, text);
    else
        cli_error("%s: '%s' is not a group (GROUP, GROUP:PORT or "
                  "[IPV6-GROUP%%ZONE]:PORT)", cmd, text);
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longs, const char *usage, cli_opt_fn fn,
               void *ctx)
{
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longs, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            cli_opt_error(cmd, c, argv, optind, optopt);
            return -1;
        }
        if (fn(ctx, c, optarg) < 0)
            return -1;
    }
    return 0;
}

void cli_ifname(uint32_t idx, char *buf, size_t cap)
{
    char name[IF_NAMESIZE];

    if (idx != 0 && if_indextoname(idx, name) != NULL)
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "%u", idx);
}
