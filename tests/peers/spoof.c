/*
 * spoof.c - a hostile peer: UDP datagrams to a group from forged source
 * addresses, through a raw socket (needs CAP_NET_RAW; the lab is root).
 *
 * usage: spoof GROUP PORT IFACE SOURCE COUNT RATE SECONDS [HEX]
 *   GROUP    IPv4 or IPv6 group; the family of everything else follows it
 *   IFACE    interface name to send on
 *   SOURCE   the first forged source; COUNT sources in all, SOURCE + 0 ..
 *            COUNT - 1 (counted in the last 32 bits), used in turn
 *   RATE     datagrams per second (paced every millisecond)
 *   SECONDS  how long (0: one datagram per source, then stop)
 *   HEX      the payload (default: the chapter's query)
 * Source port 3333, TTL / hop limit 1. Prints "sent N datagrams from M
 * sources" at the end.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t from_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;

    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;

        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* The packet: IP header (built here, IP_HDRINCL / IPPROTO_RAW), UDP
 * header, payload. Returns its length. */
static size_t build(uint8_t *pkt, int v6, const uint8_t *src,
                    const uint8_t *dst, uint16_t port, const uint8_t *pl,
                    size_t plen)
{
    size_t ih = v6 ? 40 : 20, ulen = 8 + plen;
    uint8_t *u = pkt + ih;
    uint32_t s;

    memset(pkt, 0, ih + 8);
    if (v6) {
        pkt[0] = 0x60;
        pkt[4] = (uint8_t)(ulen >> 8);
        pkt[5] = (uint8_t)ulen;
        pkt[6] = IPPROTO_UDP;
        pkt[7] = 1;
        memcpy(pkt + 8, src, 16);
        memcpy(pkt + 24, dst, 16);
    } else {
        pkt[0] = 0x45;
        pkt[2] = (uint8_t)((ih + ulen) >> 8);
        pkt[3] = (uint8_t)(ih + ulen);
        pkt[8] = 1;
        pkt[9] = IPPROTO_UDP;
        memcpy(pkt + 12, src, 4);
        memcpy(pkt + 16, dst, 4);
    }
    u[0] = 3333 >> 8;
    u[1] = 3333 & 0xff;
    u[2] = (uint8_t)(port >> 8);
    u[3] = (uint8_t)port;
    u[4] = (uint8_t)(ulen >> 8);
    u[5] = (uint8_t)ulen;
    memcpy(u + 8, pl, plen);
    /* The pseudo-header: addresses, protocol, length (RFC 768, 8200). */
    s = sum16(pkt + (v6 ? 8 : 12), v6 ? 32 : 8, IPPROTO_UDP + (uint32_t)ulen);
    uint16_t c = fold(sum16(u, ulen, s));
    c = c ? c : 0xffff;
    u[6] = (uint8_t)(c >> 8);
    u[7] = (uint8_t)c;
    return ih + ulen;
}

/* The last 32 bits of the address, plus i. */
static void nth(uint8_t *a, const uint8_t *base, size_t alen, uint32_t i)
{
    uint32_t v;

    memcpy(a, base, alen);
    v = (uint32_t)base[alen - 4] << 24 | (uint32_t)base[alen - 3] << 16 |
        (uint32_t)base[alen - 2] << 8 | base[alen - 1];
    v += i;
    a[alen - 4] = (uint8_t)(v >> 24);
    a[alen - 3] = (uint8_t)(v >> 16);
    a[alen - 2] = (uint8_t)(v >> 8);
    a[alen - 1] = (uint8_t)v;
}

int main(int argc, char **argv)
{
    static const char q[] = "Are you Espressif IOT Smart Light";
    uint8_t grp[16], base[16], src[16], pl[1500], pkt[1600];
    struct sockaddr_storage ss;
    socklen_t sslen;
    size_t plen = sizeof q - 1;
    unsigned long sent = 0;
    int v6, fd;

    if (argc < 8 || argc > 9) {
        fprintf(stderr, "usage: spoof GROUP PORT IFACE SOURCE COUNT RATE "
                "SECONDS [HEX]\n");
        return 2;
    }
    v6 = strchr(argv[1], ':') != NULL;
    unsigned ifindex = if_nametoindex(argv[3]);
    uint32_t count = (uint32_t)strtoul(argv[5], NULL, 10);
    double rate = atof(argv[6]), secs = atof(argv[7]);
    if (inet_pton(v6 ? AF_INET6 : AF_INET, argv[1], grp) != 1 ||
        inet_pton(v6 ? AF_INET6 : AF_INET, argv[4], base) != 1 ||
        ifindex == 0 || count == 0 || rate <= 0) {
        fprintf(stderr, "spoof: bad group, source, interface, count or rate\n");
        return 2;
    }
    memcpy(pl, q, plen);
    if (argc == 9)
        plen = from_hex(argv[8], pl, sizeof pl);
    memset(&ss, 0, sizeof ss);
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, grp, 16);
        s6->sin6_scope_id = ifindex;
        sslen = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, grp, 4);
        sslen = sizeof *s4;
    }
    /* IPPROTO_RAW: we write the IP header ourselves, source included. */
    fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, argv[3],
                             (socklen_t)strlen(argv[3]) + 1) < 0) {
        perror("spoof: raw socket");
        return 2;
    }
    double start = now(), end = start + secs;
    uint16_t port = (uint16_t)atoi(argv[2]);
    size_t alen = v6 ? 16 : 4;
    for (;;) {
        double t = now();
        unsigned long due = (unsigned long)((t - start) * rate) + 1;

        if (secs > 0 && t >= end)
            break;
        if (secs == 0 && sent >= count)
            break;
        for (; sent < due && (secs > 0 || sent < count); sent++) {
            nth(src, base, alen, (uint32_t)(sent % count));
            size_t len = build(pkt, v6, src, grp, port, pl, plen);
            if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sslen) < 0) {
                perror("spoof: sendto");
                return 2;
            }
        }
        usleep(1000);
    }
    printf("sent %lu datagrams from %lu sources\n", sent,
           sent < count ? sent : (unsigned long)count);
    return 0;
}
