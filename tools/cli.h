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
#include <signal.h>

#include "mcdisc.h"

/* EXIT_FULL: discover only, its device table filled up. */
enum { EXIT_OK = 0, EXIT_NO = 1, EXIT_USAGE = 2, EXIT_FULL = 3 };

/* Print "mcdisc: <message>\n" to stderr; "mcdisc: <cli_error_at>:
 * <message>\n" while cli_error_at is set (a configuration file's
 * "FILE:LINE", tools/config.c). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char *cli_error_at;

/* The one number syntax of every option (and of a GROUP:PORT's port):
 * decimal digits only, no sign (a '-' only when min < 0), no blanks, no
 * hex or exponent, no leading zero ("0" itself aside). Out of [min, max]
 * is an error too. Returns 0 or -1 (and prints "mcdisc: <what>: '<text>'
 * is not a number in MIN-MAX"). */
int cli_parse_long(const char *what, const char *text, long min, long max,
                   long *out);
/* cli_parse_long() into a uint32_t (0 <= min <= max <= UINT32_MAX). */
int cli_parse_u32(const char *what, const char *text, long min, long max,
                  uint32_t *out);
/* Same syntax, with an optional fraction ("0.5", not ".5", "1e3" or
 * "0x10"), for durations and rates. */
int cli_parse_decimal(const char *what, const char *text, double min,
                      double max, double *out);

/* User text for an error message: control bytes, invalid UTF-8, the
 * invisible and bidi characters, '\' and '\'' as \xNN, cut after
 * CLI_QUOTE_MAX bytes with "...". The result lives in one of four static
 * buffers, so up to four may appear in one message. */
#define CLI_QUOTE_MAX 64
const char *cli_quote(const char *text);

/* Write `s` as a JSON string literal, quotes included. */
void json_str(FILE *f, const char *s);
/* Same for `len` bytes that may hold any value: '"', '\\', controls (C0,
 * DEL, C1) and the invisible and bidi characters as \uXXXX; each byte that
 * is not part of valid UTF-8 as U+FFFD. Returns true when one was replaced
 * (the string then no longer tells the bytes: see json_text). */
bool json_strn(FILE *f, const char *s, size_t len);
/* "key":"<json_strn>", and when bytes were replaced ,"key_hex":"<every
 * byte in hex>" (README.md, "Text from the network"). */
void json_text(FILE *f, const char *key, const char *s, size_t len);

/* Write len bytes for a terminal: printable ASCII and valid UTF-8 as they
 * are; control bytes, invalid UTF-8, C1 controls, the invisible and bidi
 * characters (U+061C, U+200B-U+200F, U+2028-U+202E, U+2060-U+206F,
 * U+FEFF, U+FFF9-U+FFFB), '\\' and '"' as \xNN per byte. Text from the
 * network goes through this, never raw. */
void cli_print_safe(FILE *f, const char *s, size_t len);

/* Standard output at exit: flush and close it, and report a write error
 * seen at any time (a full disk, a closed descriptor) in one line naming
 * `cmd`. Returns rc, or EXIT_USAGE when output was lost. */
int cli_finish_output(const char *cmd, int rc);
/* fflush(stdout), remembering the first failure for cli_finish_output. */
void cli_flush(void);
/* Open /dev/null on any of descriptors 0-2 that is closed, so no socket
 * ever becomes standard output or error; in the direction that cannot be
 * used (stdin write-only, stdout and stderr read-only), so output meant
 * for a closed descriptor still fails and is reported. Returns 0 or -1. */
int cli_std_fds(void);

/* The one --iface collector: names as given, at most `max` of them
 * (1 for send, MCD_MAX_IFACES for the others). */
typedef struct cli_ifaces {
    const char *name[MCD_MAX_IFACES];
    size_t n;
} cli_ifaces;
/* Adds arg, or says "CMD: at most MAX --iface" and returns -1. */
int cli_iface_add(const char *cmd, cli_ifaces *l, size_t max, const char *arg);

/* Where a subcommand works, the options all of them spell and check the
 * same way: -i/--iface, -g/--group, -p/--port (set the defaults first). */
typedef struct cli_where {
    cli_ifaces ifaces;
    const char *group;
    uint16_t port;
} cli_where;

/* A subcommand's command line. `longs` names its long options in one
 * line, each word "NAME=C" (takes a value) or "NAME.C" (a flag), C being
 * what `opt` gets; --help is always there. */
typedef int (*cli_opt_fn)(void *ctx, int c, const char *arg);
typedef struct cli_cmd {
    const char *name;      /* "discover", for messages */
    const char *shortopts; /* for getopt_long(), with the leading ':' */
    const char *longs;
    const char *usage;     /* the --help text */
    cli_opt_fn opt;
    size_t max_ifaces;     /* for --iface */
    bool operands;         /* false: an operand is "unexpected" */
} cli_cmd;

/* Run getopt_long() over a subcommand's argv. -h/--help prints the usage
 * and returns 1; so does the hidden --list-options, which prints every
 * long option, one a line ("--name=" when it takes a value), for
 * tests/cli/test_options_doc.sh and the bash completion. --iface,
 * --group and --port go to `where`, every other option to cmd->opt with
 * ctx. An unknown option, a missing value or a refused one gets one line
 * and returns -1. Returns 0 with optind at the first operand. */
int cli_getopt(const cli_cmd *cmd, int argc, char **argv, cli_where *where,
               void *ctx);
/* Whether the command line last parsed by cli_getopt() gave option `c`. */
bool cli_opt_given(int c);
/* Apply option `c` (arg NULL for a flag) as cli_getopt() does: --iface,
 * --group and --port to `where`, the others to cmd->opt. 0 or -1 (after
 * one line). For options from elsewhere than argv (tools/config.c). */
int cli_apply_opt(const cli_cmd *cmd, cli_where *where, void *ctx, int c,
                  const char *arg);

/* -q/--query of discover and respond: 1-MCD_QUERY_MAX bytes. */
int cli_query(const char *cmd, const char *arg, const char **out);
/* --ttl of discover and send: 1-255. */
int cli_ttl(const char *cmd, const char *arg, int *out);

/* send and recv stop at SIGINT or SIGTERM: cli_catch_stop() installs the
 * handler that sets cli_stop_signal (the signal's number). */
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_stop(void);

/* A default as text for a help string, from its constant: CLI_STR(x). */
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* Defaults of the program's own (the library's are MCD_DEFAULT_*). The
 * help texts print them through CLI_STR; tests/cli/test_options_doc.sh
 * checks the man page against `mcdisc --list-defaults`. */
#define CLI_DEFAULT_TIMEOUT_MS 2000
#define CLI_DEFAULT_INTERVAL_MS 100
#define CLI_DEFAULT_MAX_INTERVAL_MS 100
#define CLI_DEFAULT_SEND_RATE 10
#define CLI_DEFAULT_SEND_SIZE 64
/* Every default above and MCD_DEFAULT_*, as "NAME VALUE" lines. */
void cli_list_defaults(FILE *f);

/* JSON output pieces: ,"key": then a string (NULL: null) or a bool. */
void json_kv_str(FILE *f, const char *key, const char *value);
void json_kv_bool(FILE *f, const char *key, bool value);

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
/* A device line of /proc/net/igmp: index, group count, querier version. */
bool diag_igmp_dev(const char *line, int *idx, int *count, char *q,
                   size_t qcap);

/* What recv can learn of the queriers on its links (tools/diag.c): it
 * listens for IGMP and MLD queries on raw sockets while it runs (this
 * needs CAP_NET_RAW; without it, it says so). */
typedef struct diag_heard {
    uint32_t ifindex;
    uint64_t n;     /* queries heard */
    mcd_time last;  /* when the latest came (monotonic) */
    mcd_addr from;  /* its source */
    int version;    /* IGMP 1-3, MLD 1-2 */
} diag_heard;

/* Interfaces whose queriers are remembered: recv joins every usable one,
 * however many; past this, queries on more are not told apart. */
#define DIAG_MAX_HEARD 1024

typedef struct diag_watch {
    int fd[2];  /* [0] IGMP, [1] MLD; -1 when not open */
    int err[2]; /* errno of the failed open */
    mcd_time since;
    diag_heard heard[2][DIAG_MAX_HEARD];
    size_t nheard[2];
} diag_watch;

void diag_watch_open(diag_watch *w);
/* Its open descriptors into fds[2]; returns how many. */
size_t diag_watch_fds(const diag_watch *w, int *fds);
/* Read what waits (never blocks). */
void diag_watch_read(diag_watch *w);
void diag_watch_close(diag_watch *w);
/* What recv can and cannot know about queriers and snooping on ifc, for
 * `family`: queries heard while it ran, a bridge in this namespace (ifc
 * itself or its master) and its snooping state, and what lies beyond. */
void diag_print_queriers(FILE *f, const diag_watch *w, const mcd_iface *ifc,
                         enum mcd_family family);

/* The querier last heard on ifindex for family 0 (IGMP) or 1 (MLD), or
 * NULL. */
const diag_heard *diag_watch_heard(const diag_watch *w, uint32_t ifindex,
                                   int fam);

/* A bridge in this namespace (the interface itself or its master): its
 * multicast settings from sysfs, -1 where unknown, and the other querier
 * it heard (rtnetlink, when built with libmnl; "" when none). */
typedef struct diag_bridge {
    char name[128];
    int snooping, querier, igmp_version;
    long long membership_ms, query_ms;
    char other_querier[CLI_ADDR_STRLEN];
} diag_bridge;
bool diag_bridge_read(const char *ifname, diag_bridge *b);
/* Fill b->other_querier (tools/diag_nl.c). */
void diag_bridge_querier(diag_bridge *b);
/* The bridge's group database (RTM_GETMDB), one record a line in
 * `mcdisc diag`'s format; a record saying why when it cannot be read. */
void diag_mdb_records(FILE *f, bool json, const char *bridge);

/* Each subcommand: argv[0] is the subcommand's name. Returns an exit code. */
int cmd_addr(int argc, char **argv);
int cmd_discover(int argc, char **argv);
int cmd_respond(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* Help text of each subcommand, printed by `mcdisc help NAME` and
 * `mcdisc NAME --help`. */
extern const char cmd_addr_usage[];
extern const char cmd_discover_usage[];
extern const char cmd_respond_usage[];
extern const char cmd_send_usage[];
extern const char cmd_recv_usage[];
extern const char cmd_diag_usage[];
extern const char cmd_watch_usage[];

#endif
