/*
 * sock.c - the multicast socket practice of mcdisc, in one place.
 *
 * RFC 3678 joins by interface index, IP_MULTICAST_ALL off, pktinfo on
 * every datagram, replies sent out of a chosen interface. No setsockopt
 * result is ignored.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 /* Linux >= 4.20 */
#endif

mcd_time mcd_now_(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (mcd_time)ts.tv_sec * 1000000u + (mcd_time)ts.tv_nsec / 1000u;
}

mcd_time mcd_clock_mono(void)
{
    return mcd_now_();
}

uint64_t mcd_clock_real_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint32_t mcd_random_(void)
{
    uint32_t v = 0;

    /* getrandom() on a 4-byte request never returns short once the pool
     * is initialised; before that, GRND_NONBLOCK fails and we fall back on
     * the clock, which only spreads replies, it protects nothing. */
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
        v = (uint32_t)mcd_now_();
    return v;
}

/* Unpredictable to an off-path forger, so from the kernel's pool, waiting
 * for it at early boot: a clock-based fallback would be guessable and
 * defeat the nonce and the keys. */
int mcd_nonce_(uint8_t nonce[MCD_EXT_NONCE_LEN])
{
    ssize_t n;

    do
        n = getrandom(nonce, MCD_EXT_NONCE_LEN, 0);
    while (n < 0 && errno == EINTR);
    return n == MCD_EXT_NONCE_LEN ? 0 : n < 0 ? -errno : -EIO;
}

int mcd_family_af_(enum mcd_family f)
{
    return f == MCD_AF_INET6 ? AF_INET6 : AF_INET;
}

static int opt(int fd, int level, int name, const void *val, socklen_t len)
{
    return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

static int opt_int(int fd, int level, int name, int v)
{
    return opt(fd, level, name, &v, sizeof v);
}

int mcd_sock_udp_(enum mcd_family family)
{
    int af = mcd_family_af_(family);
    int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err;

    if (fd < 0)
        return -errno;
    if (family == MCD_AF_INET6) {
        err = opt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        if (err == 0)
            err = opt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    } else {
        err = opt_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
    }
    if (err < 0) {
        close(fd);
        return err;
    }
    return fd;
}

int mcd_sock_bind_any_(int fd, enum mcd_family family, uint16_t port)
{
    mcd_endpoint any = {.addr = {.family = (uint8_t)family}, .port = port};
    struct sockaddr_storage ss;
    socklen_t len = mcd_to_sockaddr_(&any, &ss);

    return bind(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
}

int mcd_sock_reuse_(int fd)
{
    /* On Linux, SO_REUSEADDR alone lets UDP sockets share a port, and every
     * one of them gets each multicast datagram it joined for. SO_REUSEPORT
     * must not be added there: it puts the sockets in a reuseport group and
     * the kernel then hands a multicast datagram to one member chosen by
     * hash, whatever it joined (tests/net/test_toolbox.sh shows two
     * receivers of two groups on one port swapping each other's traffic).
     * BSDs give SO_REUSEPORT the multicast meaning, so set it there. */
    int err = opt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
#if !defined(__linux__) && defined(SO_REUSEPORT)
    if (err == 0)
        err = opt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
#endif
    return err;
}

int mcd_sock_mcast_all_off_(int fd, enum mcd_family family)
{
    if (family == MCD_AF_INET6) {
        int err = opt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);

        /* Kernels before 4.20 lack it; the responder checks the
         * destination from pktinfo itself, so go on without. */
        return err == -ENOPROTOOPT ? 0 : err;
    }
    return opt_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
}

/* MCAST_JOIN_GROUP or MCAST_LEAVE_GROUP (RFC 3678) by interface index. */
static int group_op(int fd, int op, const mcd_addr *group, uint32_t ifindex)
{
    struct group_req req;
    mcd_endpoint ep = {.addr = *group, .port = 0};
    int level = group->family == MCD_AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;

    memset(&req, 0, sizeof req);
    req.gr_interface = ifindex;
    mcd_to_sockaddr_(&ep, &req.gr_group);
    return opt(fd, level, op, &req, sizeof req);
}

int mcd_sock_join_(int fd, const mcd_addr *group, uint32_t ifindex)
{
    return group_op(fd, MCAST_JOIN_GROUP, group, ifindex);
}

int mcd_sock_leave_(int fd, const mcd_addr *group, uint32_t ifindex)
{
    return group_op(fd, MCAST_LEAVE_GROUP, group, ifindex);
}

int mcd_sock_join_source_(int fd, const mcd_addr *group,
                          const mcd_addr *source, uint32_t ifindex)
{
    struct group_source_req req;
    mcd_endpoint g = {.addr = *group}, src = {.addr = *source};
    int level = group->family == MCD_AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;

    memset(&req, 0, sizeof req);
    req.gsr_interface = ifindex;
    mcd_to_sockaddr_(&g, &req.gsr_group);
    mcd_to_sockaddr_(&src, &req.gsr_source);
    return opt(fd, level, MCAST_JOIN_SOURCE_GROUP, &req, sizeof req);
}

int mcd_sock_mcast_out_(int fd, enum mcd_family family, uint32_t ifindex,
                        int ttl, bool loop)
{
    int err;

    if (family == MCD_AF_INET6) {
        err = opt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex);
        if (err == 0)
            err = opt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl);
        if (err == 0)
            err = opt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loop);
        return err;
    }
    struct ip_mreqn mr;
    memset(&mr, 0, sizeof mr);
    mr.imr_ifindex = (int)ifindex;
    err = opt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr);
    if (err == 0)
        err = opt_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl);
    if (err == 0)
        err = opt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loop);
    return err;
}

int mcd_sock_rcvbuf_(int fd, int bytes)
{
    int got = 0;
    socklen_t len = sizeof got;

    /* SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN;
     * without it the plain option gives what rmem_max allows. */
    if (opt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes) < 0) {
        int err = opt_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);

        if (err < 0)
            return err;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
        return -errno;
    return got;
}

int mcd_sock_replies_rcvbuf_(int fd)
{
    int got = mcd_sock_rcvbuf_(fd, 4 * 1024 * 1024);

    return got < 0 ? got : 0;
}

int mcd_sock_sndbuf_(int fd)
{
    int got = 0;
    socklen_t len = sizeof got;

    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) < 0)
        return -errno;
    return got;
}

int mcd_sock_outq_(int fd)
{
    int bytes = 0;

    /* SIOCOUTQ on UDP: the bytes of our datagrams the kernel still holds,
     * those waiting for ARP/ND included. */
    return ioctl(fd, SIOCOUTQ, &bytes) < 0 ? -errno : bytes;
}

void mcd_sock_read_pktinfo_(struct msghdr *msg, mcd_rx *rx)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            rx->ifindex = (uint32_t)pi.ipi_ifindex;
            rx->dst.family = MCD_AF_INET4;
            memcpy(rx->dst.b, &pi.ipi_addr, 4);
            rx->has_dst = true;
        } else if (c->cmsg_level == IPPROTO_IPV6 &&
                   c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            rx->ifindex = pi.ipi6_ifindex;
            rx->dst.family = MCD_AF_INET6;
            memcpy(rx->dst.b, &pi.ipi6_addr, 16);
            rx->has_dst = true;
        }
    }
}

int mcd_sock_recv_(int fd, uint8_t *buf, size_t cap, mcd_rx *rx)
{
    struct sockaddr_storage from;
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                 CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, cap};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from,
                         .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf, .msg_controllen = sizeof ctl};
    ssize_t n;

    memset(rx, 0, sizeof *rx);
    /* MSG_TRUNC: the true length, so a datagram larger than buf is seen
     * for what it is instead of as a cut copy. */
    n = recvmsg(fd, &msg, MSG_TRUNC);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    rx->len = (size_t)n;
    mcd_sock_read_pktinfo_(&msg, rx);
    if (mcd_from_sockaddr_((struct sockaddr *)&from, &rx->from) < 0)
        return -EAFNOSUPPORT;
    return 0;
}

static socklen_t put_pktinfo(char *ctl, size_t cap, enum mcd_family family,
                             uint32_t ifindex)
{
    struct msghdr msg = {.msg_control = ctl, .msg_controllen = cap};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

    if (family == MCD_AF_INET6) {
        struct in6_pktinfo pi = {.ipi6_ifindex = ifindex};

        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof pi);
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
        return (socklen_t)CMSG_SPACE(sizeof pi);
    }
    struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex};

    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    return (socklen_t)CMSG_SPACE(sizeof pi);
}

int mcd_sock_send_(int fd, const uint8_t *data, size_t len,
                   const mcd_endpoint *to, uint32_t ifindex)
{
    struct sockaddr_storage ss;
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {(void *)data, len};
    struct msghdr msg = {.msg_name = &ss, .msg_iov = &iov, .msg_iovlen = 1};

    memset(&ctl, 0, sizeof ctl);
    msg.msg_namelen = mcd_to_sockaddr_(to, &ss);
    if (ifindex != 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = put_pktinfo(ctl.buf, sizeof ctl.buf,
                                         to->addr.family, ifindex);
    }
    if (sendmsg(fd, &msg, 0) < 0)
        return -errno;
    return 0;
}

int mcd_sock_recv_batch_(int fd, uint8_t *bufs, size_t stride, size_t n,
                         mcd_rx *rx)
{
    struct mmsghdr msgs[MCD_SOCK_BATCH];
    struct iovec iov[MCD_SOCK_BATCH];
    struct sockaddr_storage from[MCD_SOCK_BATCH];
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                 CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl[MCD_SOCK_BATCH];
    int got;

    if (n > MCD_SOCK_BATCH)
        n = MCD_SOCK_BATCH;
    memset(msgs, 0, n * sizeof msgs[0]);
    for (size_t i = 0; i < n; i++) {
        iov[i] = (struct iovec){bufs + i * stride, stride};
        msgs[i].msg_hdr = (struct msghdr){
            .msg_name = &from[i], .msg_namelen = sizeof from[i],
            .msg_iov = &iov[i], .msg_iovlen = 1,
            .msg_control = ctl[i].buf, .msg_controllen = sizeof ctl[i].buf};
    }
    /* MSG_TRUNC: msg_len is the true length of longer datagrams. */
    got = recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (got < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    for (int i = 0; i < got; i++) {
        memset(&rx[i], 0, sizeof rx[i]);
        rx[i].len = msgs[i].msg_len;
        mcd_sock_read_pktinfo_(&msgs[i].msg_hdr, &rx[i]);
        if (mcd_from_sockaddr_((struct sockaddr *)&from[i], &rx[i].from) < 0)
            rx[i].from.addr.family = MCD_AF_NONE;
    }
    return got;
}

int mcd_sock_send_batch_(int fd, const mcd_sock_tx *tx, size_t n)
{
    struct mmsghdr msgs[MCD_SOCK_BATCH];
    struct iovec iov[MCD_SOCK_BATCH];
    struct sockaddr_storage to[MCD_SOCK_BATCH];
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } ctl[MCD_SOCK_BATCH];
    int sent;

    if (n > MCD_SOCK_BATCH)
        n = MCD_SOCK_BATCH;
    memset(msgs, 0, n * sizeof msgs[0]);
    memset(ctl, 0, n * sizeof ctl[0]);
    for (size_t i = 0; i < n; i++) {
        iov[i] = (struct iovec){(void *)tx[i].data, tx[i].len};
        msgs[i].msg_hdr.msg_name = &to[i];
        msgs[i].msg_hdr.msg_namelen = mcd_to_sockaddr_(&tx[i].to, &to[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        if (tx[i].ifindex != 0) {
            msgs[i].msg_hdr.msg_control = ctl[i].buf;
            msgs[i].msg_hdr.msg_controllen = put_pktinfo(
                ctl[i].buf, sizeof ctl[i].buf, tx[i].to.addr.family,
                tx[i].ifindex);
        }
    }
    sent = sendmmsg(fd, msgs, (unsigned)n, 0);
    return sent < 0 ? -errno : sent;
}
