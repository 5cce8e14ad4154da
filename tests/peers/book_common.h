/*
 * book_common.h - what the two book-style peers share. They follow the
 * chapter's socket sequence (bind wildcard:3333, IP_MULTICAST_TTL,
 * IP_MULTICAST_IF by address, IP_ADD_MEMBERSHIP with INADDR_ANY) so that
 * mcdisc is tested against the way real firmware uses sockets, with the
 * chapter's defects left out: lengths are compared, nothing is truncated
 * silently, and reads time out.
 */
#ifndef BOOK_COMMON_H
#define BOOK_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void die(const char *what)
{
    fprintf(stderr, "book peer: %s: %s\n", what, strerror(errno));
    exit(2);
}

static inline void print_bytes(const unsigned char *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
    putchar('"');
}

static inline void print_from(const struct sockaddr_storage *ss)
{
    char a[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
        printf("[%s]:%u", a, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const void *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
        printf("%s:%u", a, ntohs(s4->sin_port));
    }
}

/* The chapter's sequence: socket, bind wildcard:port, TTL 1, outgoing
 * interface, join. IPv6 is our extension of it (same steps). */
static inline int book_socket(const char *group, int port, const char *ifspec,
                       struct sockaddr_storage *dst, socklen_t *dstlen)
{
    struct in_addr g4;
    struct in6_addr g6;
    int v6 = inet_pton(AF_INET6, group, &g6) == 1;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    int ttl = 1;

    if (fd < 0)
        die("socket");
    memset(dst, 0, sizeof *dst);
    if (v6) {
        unsigned idx = if_nametoindex(ifspec);
        struct sockaddr_in6 any = {.sin6_family = AF_INET6,
                                   .sin6_port = htons((uint16_t)port)};
        struct ipv6_mreq mr = {.ipv6mr_multiaddr = g6, .ipv6mr_interface = idx};
        struct sockaddr_in6 *d = (void *)dst;

        if (idx == 0)
            die("if_nametoindex");
        if (bind(fd, (void *)&any, sizeof any) < 0)
            die("bind");
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0 ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof mr) < 0)
            die("setsockopt (IPv6 multicast)");
        d->sin6_family = AF_INET6;
        d->sin6_port = htons((uint16_t)port);
        d->sin6_addr = g6;
        d->sin6_scope_id = idx;
        *dstlen = sizeof *d;
        return fd;
    }
    struct sockaddr_in any = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_ANY)};
    struct in_addr ifaddr;
    struct ip_mreq mr;
    unsigned char ttl8 = 1;
    struct sockaddr_in *d = (void *)dst;

    if (inet_pton(AF_INET, group, &g4) != 1)
        die("group is not an address");
    if (inet_pton(AF_INET, ifspec, &ifaddr) != 1)
        die("interface address");
    if (bind(fd, (void *)&any, sizeof any) < 0)
        die("bind");
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl8, sizeof ttl8) < 0)
        die("IP_MULTICAST_TTL");
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr) < 0)
        die("IP_MULTICAST_IF");
    mr.imr_multiaddr = g4;
    mr.imr_interface.s_addr = htonl(INADDR_ANY);
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
        die("IP_ADD_MEMBERSHIP");
    d->sin_family = AF_INET;
    d->sin_port = htons((uint16_t)port);
    d->sin_addr = g4;
    *dstlen = sizeof *d;
    return fd;
}

#endif
