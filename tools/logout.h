/*
 * logout.h - a log stream that never blocks the program writing it.
 *
 * Lines wait in a buffer and leave as fast as the output takes them; on a
 * pipe or socket the descriptor is made non-blocking, so a reader that
 * stalls (`respond --verbose | slow-reader`, a busy journal) costs lines,
 * never answers. Dropped lines are counted and said, once the output
 * drains, as "N log lines dropped".
 */
#ifndef MCD_LOGOUT_H
#define MCD_LOGOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define LOGOUT_CAP 65536

typedef struct logout {
    int fd;
    int saved_flags; /* -1: left as it was */
    bool json;       /* say drops as a JSON object */
    size_t len;
    uint64_t dropped;
    char buf[LOGOUT_CAP];
} logout;

/* Take over descriptor fd (1 or 2) for log lines. */
void logout_init(logout *lo, int fd, bool json);
/* A stream to format one line into (NULL when out of memory: the line is
 * counted as dropped); logout_end() queues it. */
FILE *logout_begin(logout *lo);
void logout_end(logout *lo, FILE *f);
/* printf one line. */
void logout_printf(logout *lo, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Write what the output takes now; true when something still waits. */
bool logout_flush(logout *lo);
/* At exit: give the reader up to `ms` to take the rest, restore the
 * descriptor. */
void logout_close(logout *lo, int ms);

#endif
