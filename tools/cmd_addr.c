/*
 * cmd_addr.c - `mcdisc addr [--json] ADDRESS...`: what an address is.
 *
 * Pure: parses and classifies with the core, opens no socket. Exit code
 * 0 when every address is multicast, 1 when a valid one is not, 2 when
 * any input is not an address (or on a usage error).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const char cmd_addr_usage[] =
    "usage: mcdisc addr [--json] ADDRESS...\n"
    "\n"
    "Say what each IPv4 or IPv6 address is: multicast or not, its IANA\n"
    "block and RFC, scope, well-known assignment, whether an any-source\n"
    "join suits it, and the Ethernet MAC a group maps to. Sends nothing.\n"
    "\n"
    "  --json      one JSON object per address, one per line\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 every address is multicast, 1 a valid address is not\n"
    "multicast, 2 an input is not an address or the usage is wrong.\n";

/* ------------------------------------------------------------------------ */
/* Human output                                                              */

static void field(const char *label, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void field(const char *label, const char *fmt, ...)
{
    va_list ap;

    printf("  %-14s ", label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* "Name (RFC n)", or the name alone. */
static void field_rfc(const char *label, const char *name, const char *rfc)
{
    if (name == NULL)
        return;
    if (rfc != NULL)
        field(label, "%s (%s)", name, rfc);
    else
        field(label, "%s", name);
}

/* The ranges of the chapter's four classes. */
static const char *class_range(const char *cls)
{
    static const char *const ranges[][2] = {
        {"reserved", "224.0.0.0/24"},
        {"public", "224.0.1.0/24"},
        {"user", "224.0.2.0-238.255.255.255"},
        {"local", "239.0.0.0/8"},
    };

    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (strcmp(ranges[i][0], cls) == 0)
            return ranges[i][1];
    return "?";
}

static void print_any_source(const mcd_addr *a, const mcd_addr_info *in)
{
    if (in->asm_ok)
        field("any-source", "yes");
    else if (a->family == MCD_AF_INET4)
        field("any-source", "no: 232/8 is for source-specific joins "
                            "(RFC 4607): routers drop any-source joins, so "
                            "it does not cross one; prefer 239.255.0.0/16 "
                            "for a private group");
    else
        field("any-source", "no: ff3x::/32 is for source-specific joins "
                            "(RFC 4607); prefer an ff05:: or ff08:: group "
                            "for a private group");
}

static void print_mac(const mcd_addr_info *in)
{
    const uint8_t *m = in->mac;

    if (!in->has_mac)
        return;
    if (in->mac_shared_log2 < 32)
        field("mac", "%02x:%02x:%02x:%02x:%02x:%02x (shared with %lu other "
                     "groups)", m[0], m[1], m[2], m[3], m[4], m[5],
              (1UL << in->mac_shared_log2) - 1);
    else
        field("mac", "%02x:%02x:%02x:%02x:%02x:%02x (shared with 2^%u-1 "
                     "other groups)", m[0], m[1], m[2], m[3], m[4], m[5],
              (unsigned)in->mac_shared_log2);
}

static void print_v6_flags(const mcd_addr_info *in)
{
    char names[16] = "";

    if (in->v6_flags & 0x8)
        strcat(names, " X");
    if (in->flag_r)
        strcat(names, " R");
    if (in->flag_p)
        strcat(names, " P");
    if (in->flag_t)
        strcat(names, " T");
    field("flags", "%x (%s)", (unsigned)in->v6_flags,
          names[0] != '\0' ? names + 1 : "none");
}

static void print_v6_prefix(const mcd_addr_info *in)
{
    char text[MCD_ADDR_STRLEN];

    if (!in->prefix_based)
        return;
    if (mcd_addr_format(&in->prefix, text, sizeof text) > 0)
        field("prefix", "%s/%u", text, (unsigned)in->prefix_len);
    field("group id", "0x%08lx", (unsigned long)in->group_id);
    if (in->embedded_rp &&
        mcd_addr_format(&in->rp, text, sizeof text) > 0)
        field("rp", "%s (RIID %u)", text, (unsigned)(in->rp.b[15] & 0xf));
}

static void print_v6_multicast(const mcd_addr_info *in)
{
    print_v6_flags(in);
    print_v6_prefix(in);
    if (in->solicited_node)
        field("solicited-node", "yes");
}

static void print_scope(const mcd_addr *a, const mcd_addr_info *in)
{
    if (in->scope == NULL)
        return;
    if (a->family == MCD_AF_INET6 && in->multicast)
        field("scope", "%s (%x)", in->scope, (unsigned)in->v6_scope);
    else
        field("scope", "%s", in->scope);
}

static void print_human(const char *input, const mcd_addr *a,
                        const mcd_addr_info *in)
{
    char text[MCD_ADDR_STRLEN];
    bool v6 = a->family == MCD_AF_INET6;

    if (mcd_addr_format(a, text, sizeof text) < 0)
        text[0] = '\0';
    printf("%s\n", text);
    if (strcmp(text, input) != 0)
        field("input", "%s", input); /* it parsed: plain ASCII */
    field("multicast", "%s (%s)", in->multicast ? "yes" : "no",
          v6 ? "IPv6" : "IPv4");
    if (in->chapter_class != NULL)
        field("class", "%s (%s, chapter)", in->chapter_class,
              class_range(in->chapter_class));
    field_rfc("block", in->block, in->block_rfc);
    field_rfc("sub-block", in->sub_block, in->sub_block_rfc);
    if (in->note != NULL)
        field("note", "%s", in->note);
    if (in->assignment != NULL)
        field("assignment", "%s", in->assignment);
    if (in->glop)
        field("glop AS", "%lu", (unsigned long)in->glop_as);
    print_scope(a, in);
    if (in->multicast)
        print_any_source(a, in);
    if (in->multicast && v6)
        print_v6_multicast(in);
    print_mac(in);
}

/* ------------------------------------------------------------------------ */
/* JSON output                                                               */

static void json_key(const char *key)
{
    printf(",\"%s\":", key);
}

static void json_kv_addr(const char *key, const mcd_addr *a, bool present)
{
    char text[MCD_ADDR_STRLEN];

    if (!present || mcd_addr_format(a, text, sizeof text) <= 0)
        text[0] = '\0';
    json_kv_str(stdout, key, text[0] != '\0' ? text : NULL);
}

static void json_mac(const mcd_addr_info *in)
{
    const uint8_t *m = in->mac;
    char text[18];

    if (!in->has_mac) {
        json_kv_str(stdout, "mac", NULL);
        json_kv_str(stdout, "mac_shared_with", NULL);
        return;
    }
    snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
             m[2], m[3], m[4], m[5]);
    json_kv_str(stdout, "mac", text);
    json_key("mac_shared_with");
    if (in->mac_shared_log2 < 32)
        printf("%lu", (1UL << in->mac_shared_log2) - 1);
    else
        printf("\"2^%u-1\"", (unsigned)in->mac_shared_log2);
}

static void json_v6_multicast(const mcd_addr_info *in)
{
    printf(",\"flags\":{\"R\":%s,\"P\":%s,\"T\":%s}",
           in->flag_r ? "true" : "false", in->flag_p ? "true" : "false",
           in->flag_t ? "true" : "false");
    json_key("scope_value");
    printf("%u", (unsigned)in->v6_scope);
    json_kv_addr("prefix", &in->prefix, in->prefix_based);
    json_key("prefix_len");
    if (in->prefix_based)
        printf("%u", (unsigned)in->prefix_len);
    else
        fputs("null", stdout);
    json_key("group_id");
    if (in->prefix_based)
        printf("%lu", (unsigned long)in->group_id);
    else
        fputs("null", stdout);
    json_kv_addr("rp", &in->rp, in->embedded_rp);
    json_kv_bool(stdout, "solicited_node", in->solicited_node);
}

static void print_json(const char *input, const mcd_addr *a,
                       const mcd_addr_info *in)
{
    char text[MCD_ADDR_STRLEN];

    if (mcd_addr_format(a, text, sizeof text) < 0)
        text[0] = '\0';
    fputs("{\"address\":", stdout);
    json_str(stdout, text);
    fputc(',', stdout);
    json_text(stdout, "input", input, strlen(input));
    json_kv_bool(stdout, "valid", true);
    json_kv_str(stdout, "family", a->family == MCD_AF_INET6 ? "ipv6" : "ipv4");
    json_kv_bool(stdout, "multicast", in->multicast);
    json_kv_str(stdout, "class", in->chapter_class);
    json_kv_str(stdout, "block", in->block);
    json_kv_str(stdout, "rfc", in->block_rfc);
    json_kv_str(stdout, "sub_block", in->sub_block);
    json_kv_str(stdout, "sub_block_rfc", in->sub_block_rfc);
    json_kv_str(stdout, "assignment", in->assignment);
    json_kv_str(stdout, "scope", in->scope);
    json_kv_str(stdout, "note", in->note);
    json_kv_bool(stdout, "asm_ok", in->asm_ok);
    json_mac(in);
    if (in->glop)
        printf(",\"glop_as\":%lu", (unsigned long)in->glop_as);
    if (in->multicast && a->family == MCD_AF_INET6)
        json_v6_multicast(in);
    fputs("}\n", stdout);
}

/* ------------------------------------------------------------------------ */
/* Bad input                                                                 */

#define NOT_AN_ADDRESS "not an IPv4 or IPv6 address"
#define BAD_ZONE "zone must be an interface index (a number such as %2)"

/* True when the address part is fine and only the zone is not: a named
 * zone ("fe80::1%eth0") gets its own message. */
static bool only_zone_bad(const char *input)
{
    mcd_addr a;
    size_t len = strlen(input), zone_at;

    (void)mcd_addr_parse_n(input, len, &a, &zone_at);
    return zone_at < len && mcd_addr_parse_n(input, zone_at, &a, NULL) == 0 &&
           a.family == MCD_AF_INET6;
}

static void report_invalid(const char *input, bool json)
{
    const char *shown = cli_quote(input);
    bool zone = only_zone_bad(input);

    if (zone)
        cli_error("addr: '%s': %s", shown, BAD_ZONE);
    else
        cli_error("addr: '%s' is %s", shown, NOT_AN_ADDRESS);
    if (!json)
        return;
    fputc('{', stdout);
    json_text(stdout, "input", input, strlen(input));
    json_kv_bool(stdout, "valid", false);
    json_kv_str(stdout, "error", zone ? BAD_ZONE : NOT_AN_ADDRESS);
    fputs("}\n", stdout);
}

/* ------------------------------------------------------------------------ */
/* The command                                                               */

static int parse_opt(void *ctx, int c, const char *arg)
{
    (void)arg;
    if (c != 'j')
        return -1;
    *(bool *)ctx = true;
    return 0;
}

/* One argument: returns 2 invalid, 1 not multicast, 0 multicast. */
static int do_one(const char *input, bool json, bool blank_line)
{
    mcd_addr a;
    mcd_addr_info info;

    if (mcd_addr_parse(input, &a) != 0 ||
        mcd_addr_classify(&a, &info) != 0) {
        report_invalid(input, json);
        return EXIT_USAGE;
    }
    if (json) {
        print_json(input, &a, &info);
    } else {
        if (blank_line)
            putchar('\n');
        print_human(input, &a, &info);
    }
    return info.multicast ? EXIT_OK : EXIT_NO;
}

int cmd_addr(int argc, char **argv)
{
    bool json = false;
    static const cli_cmd addr_cli = {"addr", ":h", "json.j", cmd_addr_usage,
                                     parse_opt, 0, true};
    cli_where none = {0};
    int rc = cli_getopt(&addr_cli, argc, argv, &none, &json);
    int worst = EXIT_OK;
    bool printed = false;

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (optind >= argc) {
        cli_error("addr: no address given (usage: mcdisc addr [--json] "
                  "ADDRESS...)");
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        int r = do_one(argv[i], json, printed);
        if (r != EXIT_USAGE)
            printed = true;
        if (r > worst)
            worst = r;
    }
    return worst; /* main() checks that the output was written */
}
