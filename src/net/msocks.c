/*
 * msocks.c - the memberships of one group family and port, spread over as
 * many sockets as the kernel's per-socket limit requires. The responder
 * and the receiver both use it: one socket's memberships are bounded
 * (net.ipv4.igmp_max_memberships, 20 by default; for IPv6 the socket's
 * option memory, net.core.optmem_max), the program's are not.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* A socket bound to wildcard:port, sharing it with the others (SO_REUSEADDR,
 * see sock.c) and IP_MULTICAST_ALL off, so each datagram reaches the
 * sockets joined on its interface only. */
static int open_sock(const mcd_msocks *m)
{
    int fd = mcd_sock_udp_(m->family), err;

    if (fd < 0)
        return fd;
    err = mcd_sock_reuse_(fd);
    if (err == 0)
        err = mcd_sock_mcast_all_off_(fd, m->family);
    if (err == 0)
        err = mcd_sock_bind_any_(fd, m->family, m->port);
    if (err == 0 && m->rcvbuf > 0) {
        int got = mcd_sock_rcvbuf_(fd, m->rcvbuf);

        err = got < 0 ? got : 0;
    }
    if (err < 0) {
        close(fd);
        return err;
    }
    return fd;
}

int mcd_msocks_add_(mcd_msocks *m)
{
    int fd;

    if (m->n == MCD_MSOCKS_MAX)
        return -ENOBUFS;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        mcd_msock *p = realloc(m->socks, cap * sizeof *p);

        if (p == NULL)
            return -ENOMEM;
        m->socks = p;
        m->cap = cap;
    }
    fd = open_sock(m);
    if (fd < 0)
        return fd;
    m->socks[m->n] = (mcd_msock){.fd = fd};
    return (int)m->n++;
}

/* ENOBUFS: past net.ipv4.igmp_max_memberships; ENOMEM: past the socket's
 * option memory (net.core.optmem_max), the only bound for IPv6. */
static bool sock_full(int err)
{
    return err == -ENOBUFS || err == -ENOMEM;
}

int mcd_msocks_join_(mcd_msocks *m, mcd_msocks_join_fn join, void *ctx)
{
    for (size_t s = 0;; s++) {
        bool fresh = s == m->n;
        int err;

        if (fresh && (err = mcd_msocks_add_(m)) < 0)
            return err;
        if (m->socks[s].full ||
            (s == 0 && m->first_max > 0 && m->socks[0].held >= m->first_max))
            continue;
        err = join(ctx, m->socks[s].fd);
        if (err == 0) {
            m->socks[s].held++;
            return (int)s;
        }
        if (!sock_full(err) || m->socks[s].held == 0) {
            /* A socket that holds nothing refused: another would too. */
            if (fresh)
                close(m->socks[--m->n].fd);
            return err;
        }
        m->socks[s].full = true;
    }
}

void mcd_msocks_left_(mcd_msocks *m, size_t s)
{
    m->socks[s].held--;
    m->socks[s].full = false;
}

void mcd_msocks_close_(mcd_msocks *m)
{
    for (size_t i = 0; i < m->n; i++)
        close(m->socks[i].fd);
    free(m->socks);
    m->socks = NULL;
    m->n = m->cap = 0;
}
