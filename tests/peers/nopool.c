/*
 * nopool.c - LD_PRELOAD shim: the kernel's random pool as at early boot,
 * not yet initialised. getrandom() with GRND_NONBLOCK fails with EAGAIN;
 * a call that waits is served (the pool is ready for whoever waits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    if (flags & GRND_NONBLOCK) {
        errno = EAGAIN;
        return -1;
    }
    return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
}
