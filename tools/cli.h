/*
 * cli.h - what the subcommands of the mcdisc program share.
 *
 * Exit codes (documented in README.md and mcdisc(1)):
 *   0  success (every address multicast; a device answered; ...)
 *   1  a valid "no" (a unicast address; no device answered)
 *   2  usage or system error, with a one-line message on stderr
 */
#ifndef MCDISC_CLI_H
#define MCDISC_CLI_H

#include <stdbool.h>
#include <string.h>
#include <stdint.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "mcdisc.h"

enum { EXIT_OK = 0, EXIT_NO = 1, EXIT_USAGE = 2 };

/* Print "mcdisc: <message>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a decimal integer in [min, max], the whole string, no sign unless
 * min < 0. Returns 0 or -1 (and prints "mcdisc: <what>: ..."). */
int cli_parse_long(const char *what, const char *text, long min, long max,
                   long *out);

/* Write `s` as a JSON string literal, quotes included. */
void json_str(FILE *f, const char *s);
/* Same for `len` bytes that may hold any value (invalid UTF-8 and control
 * bytes are escaped as \u00XX). */
void json_strn(FILE *f, const char *s, size_t len);

/* Write len bytes for a terminal: printable ASCII and valid UTF-8 as they
 * are; control bytes, invalid UTF-8, C1 controls, bidi overrides and '\\'
 * as \\xNN. Text from the network goes through this, never raw. */
void cli_print_safe(FILE *f, const char *s, size_t len);

/* Run getopt_long() over a subcommand's argv: -h/--help prints `usage`
 * and returns 1; an unknown option or a missing value gets one line and
 * returns -1; every other option goes to fn, and a negative return from
 * fn ends with -1. Returns 0 with optind at the first operand. */
typedef int (*cli_opt_fn)(void *ctx, int c, const char *arg);
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longs, const char *usage, cli_opt_fn fn,
               void *ctx);

/* An interface's name for messages, or its index as text. */
void cli_ifname(uint32_t idx, char *buf, size_t cap);

/* Report a getopt_long() failure (`c` is '?' or ':') in one line. */
void cli_opt_error(const char *cmd, int c, char **argv, int optind_now,
                   int optopt_now);
/* A UDP port 1-65535, or -1 with a message. */
int cli_port(const char *what, const char *text, uint16_t *out);
/* 0 when `group` is a multicast address, else -1 with a message. */
int cli_check_group(const char *cmd, const char *group);
/* One line for a failure to open a responder or a query. */
void cli_open_error(const char *cmd, int err, const char *group,
                    uint16_t port, const char *const *ifaces, size_t bad);
/* Address text with the zone as an interface name ("fe80::1%eth0"). */
#define CLI_ADDR_STRLEN (MCD_ADDR_STRLEN + 16)
void cli_format_addr(const mcd_addr *a, char *buf, size_t cap);
/* Endpoint text: "a.b.c.d:port" or "[v6%zone]:port". */
#define CLI_ENDPOINT_STRLEN (CLI_ADDR_STRLEN + 8)
void cli_format_endpoint(const mcd_endpoint *ep, char *buf, size_t cap);

/* One line for a GROUP[:PORT] argument that mcd_group_spec_parse() refused. */
void cli_group_error(const char *cmd, const char *text, int err);

/* What the machine shows of the usual reasons multicast does not arrive
 * (tools/diag.c): rp_filter, IGMP/MLD version, membership, routes, flags. */
void diag_print_iface(FILE *f, const mcd_iface *ifc, const mcd_addr *group);

/* Each subcommand: argv[0] is the subcommand's name. Returns an exit code. */
int cmd_addr(int argc, char **argv);
int cmd_discover(int argc, char **argv);
int cmd_respond(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);

/* Help text of each subcommand, printed by `mcdisc help NAME` and
 * `mcdisc NAME --help`. */
extern const char cmd_addr_usage[];
extern const char cmd_discover_usage[];
extern const char cmd_respond_usage[];
extern const char cmd_send_usage[];
extern const char cmd_recv_usage[];

#endif
