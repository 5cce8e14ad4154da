/*
 * sender.c - mcd_sender, multicast test traffic out: one socket, one
 * interface, datagrams sent in batches (sendmmsg), paced by the caller.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct mcd_sender {
    int fd;
    mcd_iface ifc;
    mcd_endpoint dest;
    uint64_t refused;
};

static int pick_iface(const mcd_group_spec *dest, const char *iface,
                      mcd_iface *out)
{
    const char *specs[1] = {iface};
    int n = mcd_iface_select(&dest->group, specs, iface ? 1 : 0, out, 1, NULL);

    return n < 0 ? n : 0;
}

int mcd_sender_open(mcd_sender **out, const mcd_group_spec *dest,
                    const char *iface, int ttl, bool loop)
{
    mcd_sender *s;
    int err, flags;

    if (out == NULL || dest == NULL || ttl < 0 || ttl > 255)
        return MCD_E_INVAL;
    if (!mcd_addr_is_multicast(&dest->group))
        return MCD_E_NOTMCAST;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->fd = -1;
    err = pick_iface(dest, iface, &s->ifc);
    if (err == 0 && (s->fd = mcd_sock_udp_(dest->group.family)) < 0)
        err = s->fd;
    if (err == 0)
        err = mcd_sock_mcast_out_(s->fd, dest->group.family, s->ifc.index,
                                  ttl, loop);
    /* Blocking: a paced sender waits for room rather than dropping. */
    if (err == 0 && ((flags = fcntl(s->fd, F_GETFL)) < 0 ||
                     fcntl(s->fd, F_SETFL, flags & ~O_NONBLOCK) < 0))
        err = -errno;
    if (err < 0) {
        mcd_sender_close(s);
        return err;
    }
    s->dest.addr = dest->group;
    s->dest.port = dest->port;
    if (s->dest.addr.family == MCD_AF_INET6)
        s->dest.addr.scope_id = s->ifc.index;
    *out = s;
    return 0;
}

const mcd_iface *mcd_sender_iface(const mcd_sender *s)
{
    return &s->ifc;
}

int mcd_sender_send(mcd_sender *s, const uint8_t *const *bufs,
                    const size_t *lens, size_t n)
{
    mcd_sock_tx tx[MCD_SOCK_BATCH];
    size_t done = 0;

    while (done < n) {
        size_t k = n - done < MCD_SOCK_BATCH ? n - done : MCD_SOCK_BATCH;

        for (size_t i = 0; i < k; i++)
            tx[i] = (mcd_sock_tx){.to = s->dest, .data = bufs[done + i],
                                  .len = lens[done + i]};
        int sent = mcd_sock_send_batch_(s->fd, tx, k);
        if (sent < 0) {
            /* ENOBUFS: the device queue is full; wait a moment. */
            if (sent == -ENOBUFS || sent == -EINTR) {
                usleep(200);
                continue;
            }
            /* EPERM: a local firewall dropped this one; count it and go
             * on, as a lossy link would. */
            if (sent == -EPERM) {
                s->refused++;
                done++;
                continue;
            }
            return done > 0 ? (int)done : sent;
        }
        done += (size_t)sent;
        /* A short count: message `sent` failed and its error is lost
         * (sendmmsg(2) reports only the count). Sending it again would
         * repeat a datagram the stack refused, so count it and skip it. */
        if ((size_t)sent < k && done < n) {
            s->refused++;
            done++;
        }
    }
    return (int)done;
}

uint64_t mcd_sender_refused(const mcd_sender *s)
{
    return s->refused;
}

void mcd_sender_close(mcd_sender *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}
