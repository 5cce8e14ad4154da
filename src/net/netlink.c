/*
 * netlink.c - link and address changes from rtnetlink, so a responder can
 * join again after an interface comes back (RFC 3549; rtnetlink(7)).
 *
 * mcd_nl_parse_() walks a buffer of messages with every length checked; it
 * is fuzzed (tests/fuzz/fuzz_netlink.c) because the kernel is not the only
 * one who could write to a netlink socket's buffer in a test.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <unistd.h>

int mcd_nl_open_(void)
{
    return mcd_nl_socket_(RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
                          RTMGRP_IPV6_IFADDR);
}

int mcd_nl_socket_(uint32_t groups)
{
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    NETLINK_ROUTE);

    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int err = -errno;

        close(fd);
        return err;
    }
    return fd;
}

static void link_change(const struct nlmsghdr *h, mcd_nl_change *c)
{
    struct ifinfomsg ifi;

    if (h->nlmsg_len < NLMSG_LENGTH(sizeof ifi))
        return;
    memcpy(&ifi, NLMSG_DATA(h), sizeof ifi);
    c->ifindex = (uint32_t)ifi.ifi_index;
    c->kind = h->nlmsg_type == RTM_DELLINK ? MCD_NL_LINK_GONE
              : (ifi.ifi_flags & IFF_UP) && (ifi.ifi_flags & IFF_RUNNING)
                  ? MCD_NL_LINK_UP
                  : MCD_NL_LINK_DOWN;
}

static void addr_change(const struct nlmsghdr *h, mcd_nl_change *c)
{
    struct ifaddrmsg ifa;

    if (h->nlmsg_len < NLMSG_LENGTH(sizeof ifa))
        return;
    memcpy(&ifa, NLMSG_DATA(h), sizeof ifa);
    c->ifindex = ifa.ifa_index;
    c->family = ifa.ifa_family == AF_INET6  ? MCD_AF_INET6
                : ifa.ifa_family == AF_INET ? MCD_AF_INET4
                                            : MCD_AF_NONE;
    c->kind = h->nlmsg_type == RTM_NEWADDR ? MCD_NL_ADDR_NEW : MCD_NL_ADDR_GONE;
}

int mcd_nl_parse_(const uint8_t *buf, size_t len, mcd_nl_change *out,
                  size_t cap)
{
    size_t n = 0, off = 0;

    while (n < cap && len - off >= sizeof(struct nlmsghdr)) {
        struct nlmsghdr h;

        memcpy(&h, buf + off, sizeof h);
        if (h.nlmsg_len < sizeof h || h.nlmsg_len > len - off)
            break; /* truncated or lying about its length: stop here */
        /* The payload must be aligned for the structs read from it. */
        uint8_t msg[512];
        size_t take = h.nlmsg_len < sizeof msg ? h.nlmsg_len : sizeof msg;
        struct nlmsghdr *m = (struct nlmsghdr *)(void *)msg;

        memcpy(msg, buf + off, take);
        m->nlmsg_len = (uint32_t)take;
        mcd_nl_change c = {.kind = MCD_NL_NONE};
        if (h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK)
            link_change(m, &c);
        else if (h.nlmsg_type == RTM_NEWADDR || h.nlmsg_type == RTM_DELADDR)
            addr_change(m, &c);
        if (c.kind != MCD_NL_NONE)
            out[n++] = c;
        off += NLMSG_ALIGN(h.nlmsg_len);
        if (off > len)
            break;
    }
    return (int)n;
}

int mcd_nl_read_(int fd, mcd_nl_change *out, size_t cap)
{
    uint8_t buf[16384] __attribute__((aligned(8)));
    ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

    if (got < 0)
        /* ENOBUFS: events were lost; the caller resyncs from scratch. */
        return errno == EAGAIN ? 0 : -errno;
    return mcd_nl_parse_(buf, (size_t)got, out, cap);
}
