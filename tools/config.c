/*
 * config.c - a subcommand's options from a configuration file (--config).
 *
 * The file holds "key = value" lines whose keys are the subcommand's long
 * options, read from the same table as its command line (cli_cmd.longs),
 * so an option added there is a key at once. libinih parses the lines;
 * this file adds the strictness: no sections, no continuation lines, no
 * line cut by the parser's buffer, no unknown key, no bad value, each
 * refused in one line naming the file and the line.
 */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef MCD_HAVE_INIH
#include <ini.h>

/* Values live as long as the configuration they belong to. */
struct cli_config {
    char **values;
    size_t n, cap;
};

typedef struct load {
    const cli_cmd *cmd;
    cli_where *where;
    void *ctx;
    const char *path;
    FILE *f;
    unsigned line;     /* the line the reader returned last */
    bool failed;       /* a message was printed: stop reading */
    cli_config *store;
    char at[300];      /* "FILE:LINE" for cli_error */
} load;

/* The option `key` of the table: its getopt value and whether it takes a
 * value. --config itself, --help and --list-options are no keys. */
static int find_key(const cli_cmd *cmd, const char *key, int *c,
                    bool *takes_value)
{
    const char *p = cmd->longs;
    size_t klen = strlen(key);

    while (*(p += strspn(p, " ")) != '\0') {
        size_t len = strcspn(p, "=. ");

        if (len == klen && memcmp(p, key, len) == 0 &&
            strcmp(key, "config") != 0 && p[len] != '\0' &&
            p[len] != ' ') {
            *takes_value = p[len] == '=';
            *c = (unsigned char)p[len + 1];
            return 0;
        }
        p += len + (p[len] != '\0' ? 2 : 0);
    }
    return -1;
}

static int fail(load *l, const char *fmt, const char *arg)
{
    cli_error_at = l->at;
    cli_error(fmt, l->cmd->name, cli_quote(arg));
    cli_error_at = NULL;
    l->failed = true;
    return 0;
}

static char *keep(cli_config *s, const char *value)
{
    char *v;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **p = realloc(s->values, cap * sizeof *p);

        if (p == NULL)
            return NULL;
        s->values = p;
        s->cap = cap;
    }
    v = strdup(value);
    if (v != NULL)
        s->values[s->n++] = v;
    return v;
}

/* A flag's key: true (the flag given) or false (not given). */
static int flag_value(load *l, const char *key, const char *value, bool *on)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
            *on = strcmp(value, yes[i]) == 0;
            return 0;
        }
    }
    char fmt[96];
    snprintf(fmt, sizeof fmt, "%%s: %s: '%%s' must be true or false", key);
    return fail(l, fmt, value) - 1;
}

/* One "key = value": applied as the option given on the command line,
 * unless the command line gives that option itself (it wins). */
static int on_entry(void *user, const char *section, const char *key,
                    const char *value)
{
    load *l = user;
    const char *v = value;
    bool takes_value, on = true;
    int c;

    snprintf(l->at, sizeof l->at, "%s:%u", l->path, l->line);
    if (section[0] != '\0')
        return fail(l, "%s: sections are not used ('[%s]')", section);
    if (find_key(l->cmd, key, &c, &takes_value) < 0)
        return fail(l, "%s: unknown key '%s' (keys are the long options "
                    "of --help)", key);
    if (!takes_value && flag_value(l, key, value, &on) < 0)
        return 0;
    if (!on || cli_opt_given(c))
        return 1;
    if (takes_value && (v = keep(l->store, value)) == NULL)
        return fail(l, "%s: %s", strerror(ENOMEM));
    cli_error_at = l->at;
    int rc = cli_apply_opt(l->cmd, l->where, l->ctx, c, takes_value ? v : NULL);
    cli_error_at = NULL;
    if (rc < 0)
        l->failed = true;
    return rc < 0 ? 0 : 1;
}

/* libinih's line reader, counting lines and refusing what inih would
 * take otherwise: a section line, a continuation line (inih joins it to
 * the key above), a line longer than its buffer (inih would read the
 * rest as a line of its own). */
static char *read_line(char *buf, int cap, void *user)
{
    load *l = user;
    size_t n;

    if (l->failed || fgets(buf, cap, l->f) == NULL)
        return NULL;
    l->line++;
    snprintf(l->at, sizeof l->at, "%s:%u", l->path, l->line);
    n = strlen(buf);
    if (n + 1 == (size_t)cap && buf[n - 1] != '\n' && !feof(l->f)) {
        char what[16];
        snprintf(what, sizeof what, "%d", cap - 2);
        fail(l, "%s: a line longer than %s bytes", what);
        return NULL;
    }
    char shown[CLI_QUOTE_MAX + 1];
    const char *p = buf + strspn(buf, " \t");

    snprintf(shown, sizeof shown, "%.*s", (int)strcspn(p, "\r\n"), p);
    if (*p == '[') {
        fail(l, "%s: sections are not used ('%s')", shown);
        return NULL;
    }
    if (p != buf && *shown != '\0' && *p != ';' && *p != '#') {
        fail(l, "%s: a line starting with a blank continues nothing ('%s')",
             shown);
        return NULL;
    }
    return buf;
}

int cli_config_load(const cli_cmd *cmd, const char *path, cli_where *where,
                    void *ctx, cli_config **out)
{
    load l = {.cmd = cmd, .where = where, .ctx = ctx, .path = path};
    int err;

    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return -1;
    l.store = *out;
    l.f = fopen(path, "re");
    if (l.f == NULL) {
        cli_error("%s: --config '%s': %s", cmd->name, cli_quote(path),
                  strerror(errno));
        return -1;
    }
    err = ini_parse_stream(read_line, &l, on_entry, &l);
    fclose(l.f);
    if (l.failed)
        return -1;
    if (err != 0) {
        snprintf(l.at, sizeof l.at, "%s:%d", path, err);
        fail(&l, "%s: not a 'key = value' line%s", "");
        return -1;
    }
    return 0;
}

void cli_config_free(cli_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->values[i]);
    free(c->values);
    free(c);
}

#else /* built without libinih */

int cli_config_load(const cli_cmd *cmd, const char *path, cli_where *where,
                    void *ctx, cli_config **out)
{
    (void)where, (void)ctx;
    *out = NULL;
    cli_error("%s: --config '%s': this mcdisc was built without libinih",
              cmd->name, cli_quote(path));
    return -1;
}

void cli_config_free(cli_config *c)
{
    (void)c;
}

#endif
