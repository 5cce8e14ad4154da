/*
 * logout.c - see logout.h.
 */
#include "logout.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char line[4096];

void logout_init(logout *lo, int fd, bool json)
{
    struct stat st;

    lo->fd = fd;
    lo->json = json;
    lo->len = 0;
    lo->dropped = 0;
    lo->saved_flags = -1;
    /* A file or a terminal is left blocking: a file does not stall, and
     * O_NONBLOCK on a terminal would be shared with the shell. */
    if (fstat(fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK) &&
        fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
        lo->saved_flags = fl;
}

static void say_dropped(logout *lo);

static bool drain(logout *lo)
{
    while (lo->len > 0) {
        ssize_t n = write(lo->fd, lo->buf, lo->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0) {
            /* The output is gone (EPIPE, EIO): nobody can read these. */
            lo->len = 0;
            return false;
        }
        memmove(lo->buf, lo->buf + n, lo->len - (size_t)n);
        lo->len -= (size_t)n;
    }
    return false;
}

static void put(logout *lo, const char *s, size_t n)
{
    if (lo->len + n > sizeof lo->buf) {
        lo->dropped++;
        return;
    }
    memcpy(lo->buf + lo->len, s, n);
    lo->len += n;
}

/* Say how many were dropped once there is room again. */
static void say_dropped(logout *lo)
{
    char msg[128];
    int n;

    if (lo->dropped == 0 || lo->len > sizeof lo->buf / 2)
        return;
    if (lo->json)
        n = snprintf(msg, sizeof msg, "{\"type\":\"log_dropped\",\"lines\":%"
                     PRIu64 "}\n", lo->dropped);
    else
        n = snprintf(msg, sizeof msg, "mcdisc: respond: %" PRIu64 " log lines"
                     " dropped (the output did not keep up)\n", lo->dropped);
    lo->dropped = 0;
    put(lo, msg, (size_t)n);
}

bool logout_flush(logout *lo)
{
    drain(lo);
    say_dropped(lo);
    return drain(lo);
}

static void queue(logout *lo, const char *s, size_t n)
{
    logout_flush(lo);
    put(lo, s, n);
    drain(lo);
}

FILE *logout_begin(logout *lo)
{
    FILE *f = fmemopen(line, sizeof line, "w");

    if (f == NULL)
        lo->dropped++;
    return f;
}

void logout_end(logout *lo, FILE *f)
{
    long n;

    if (f == NULL)
        return;
    n = ftell(f);
    fclose(f);
    if (n > 0)
        queue(lo, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void logout_printf(logout *lo, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        queue(lo, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void logout_close(logout *lo, int ms)
{
    struct pollfd p = {.fd = lo->fd, .events = POLLOUT};

    say_dropped(lo);
    while (logout_flush(lo) && poll(&p, 1, ms) > 0)
        ;
    if (lo->saved_flags >= 0)
        fcntl(lo->fd, F_SETFL, lo->saved_flags);
}
