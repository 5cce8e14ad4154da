/*
 * mcdisc.c - the mcdisc program: one binary, several subcommands.
 */
#include "cli.h"

#include <string.h>

typedef struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    const char *usage;
} command;

static const command commands[] = {
    {"addr", "classify multicast addresses (scope, block, MAC, ...)",
     cmd_addr, cmd_addr_usage},
    {"discover", "multicast a query and list the devices that answer",
     cmd_discover, cmd_discover_usage},
    {"respond", "answer queries as a device until stopped", cmd_respond,
     cmd_respond_usage},
    {"send", "send test traffic (or any bytes) to a group at a steady rate",
     cmd_send, cmd_send_usage},
    {"recv", "join groups; show, count and time what arrives", cmd_recv,
     cmd_recv_usage},
    {"diag", "what this host knows about multicast, per interface",
     cmd_diag, cmd_diag_usage},
    {"watch", "list the devices present and keep the list current",
     cmd_watch, cmd_watch_usage},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fputs("usage: mcdisc [--help] [--version] COMMAND [ARGS...]\n\n"
          "Multicast discovery: query a group, list the devices that answer\n"
          "(compatible with the ESP32-C3 chapter's exchange by default).\n\n"
          "Commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("  help       show a command's help: mcdisc help COMMAND\n\n"
          "Exit codes: 0 success, 1 a valid \"no\" (nothing answered, not\n"
          "multicast), 2 usage or system error.\n", f);
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The command called name, or NULL after one line on stderr ("help: "
 * or "" before it, as `prefix` says). */
static const command *find_or_say(const char *prefix, const char *name)
{
    const command *c = find(name);

    if (c == NULL)
        cli_error("%sunknown command '%s' (see mcdisc --help)", prefix,
                  cli_quote(name));
    return c;
}

static int help(int argc, char **argv)
{
    const command *c;

    if (argc < 2) {
        usage(stdout);
        return EXIT_OK;
    }
    if (argc > 2) {
        cli_error("help: takes one command name");
        return EXIT_USAGE;
    }
    c = find_or_say("help: ", argv[1]);
    if (c == NULL)
        return EXIT_USAGE;
    fputs(c->usage, stdout);
    return EXIT_OK;
}

/* The program's own flags: an exit code, or -1 when arg is not a flag. */
static int global_flag(const char *arg)
{
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        usage(stdout);
    } else if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("mcdisc %s\n", mcd_version());
    } else if (strcmp(arg, "--list-defaults") == 0) { /* for the tests */
        cli_list_defaults(stdout);
    } else if (arg[0] == '-') {
        cli_error("unknown option '%s' (see mcdisc --help)", cli_quote(arg));
        return EXIT_USAGE;
    } else {
        return -1;
    }
    return EXIT_OK;
}

static int run(int argc, char **argv)
{
    const command *c;
    int rc;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    rc = global_flag(argv[1]);
    if (rc >= 0)
        return rc;
    if (strcmp(argv[1], "help") == 0)
        return help(argc - 1, argv + 1);
    c = find_or_say("", argv[1]);
    return c != NULL ? c->run(argc - 1, argv + 1) : EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const command *c = argc >= 2 ? find(argv[1]) : NULL;

    /* Before any socket: with a closed stderr (2>&-) the first socket
     * would be descriptor 2 and every message would go into it. */
    if (cli_std_fds() < 0)
        return EXIT_USAGE;
    return cli_finish_output(c != NULL ? c->name : NULL, run(argc, argv));
}
