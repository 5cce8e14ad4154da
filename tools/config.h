/*
 * config.h - a subcommand's options from a file (tools/config.c).
 */
#ifndef MCDISC_CONFIG_H
#define MCDISC_CONFIG_H

#include "cli.h"

/* The values read from a file; they must outlive what they were applied
 * to (a running responder's options point into them). */
typedef struct cli_config cli_config;

/* Read FILE's "key = value" lines, each key a long option of cmd's table
 * (a flag's value true or false; a repeatable option's key repeatable),
 * and apply each as that option, to `where` and ctx, unless the command
 * line last parsed by cli_getopt() gave that option (the command line
 * wins). Strict: a section, a continuation line, an unknown key, a bad
 * value or a line that is not "key = value" is refused in one line naming
 * FILE:LINE. Returns 0, or -1 after that line; *out gets the values
 * (free with cli_config_free, in both cases). Built without libinih, it
 * says so and returns -1. */
int cli_config_load(const cli_cmd *cmd, const char *path, cli_where *where,
                    void *ctx, cli_config **out);
void cli_config_free(cli_config *c);

#endif
