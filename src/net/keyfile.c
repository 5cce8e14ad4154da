/*
 * keyfile.c - loading a pre-shared key (docs/PROTOCOL.md, "Keys"). A key
 * file others may read is a key others hold, and one they may write is a
 * key they choose: both are refused, as ssh refuses a loose private key.
 * The checks are made on the open descriptor (fstat), so the file checked
 * is the file read.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mcdisc/posix.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read at most cap bytes; *n gets how many (a key is small: a longer file
 * shows as cap + 1 bytes). */
static int read_all(int fd, uint8_t *buf, size_t cap, size_t *n)
{
    *n = 0;
    while (*n < cap) {
        ssize_t r = read(fd, buf + *n, cap - *n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    return 0;
}

static int check_mode(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return MCD_E_KEYTYPE;
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return MCD_E_KEYPERM;
    return 0;
}

int mcd_key_load(mcd_key *k, const char *path)
{
    uint8_t buf[MCD_KEY_MAX + 2]; /* a key, its newline, one more */
    size_t n = 0;
    int fd, err;

    if (k == NULL || path == NULL)
        return MCD_E_INVAL;
    /* O_NONBLOCK: a FIFO named as the key must not hang the open. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    err = check_mode(fd);
    if (err == 0)
        err = read_all(fd, buf, sizeof buf, &n);
    close(fd);
    if (err == 0) {
        if (n > 0 && buf[n - 1] == '\n')
            n--; /* one trailing newline: `echo KEY > file` works */
        err = n > MCD_KEY_MAX ? MCD_E_KEYLONG : mcd_key_set(k, buf, n);
    }
    for (size_t i = 0; i < sizeof buf; i++)
        ((volatile uint8_t *)buf)[i] = 0;
    return err;
}
