/*
 * forger.c - a hostile peer against the client: it waits for the first
 * query on the group and answers it with forged replies, from its own
 * address and from spoofed ones (a raw socket, IPv4 only).
 *
 * usage: forger IFACE_ADDR GROUP PORT ACTION...
 *   rate R             send the floods that follow at R replies/s (0, the
 *                      default: as fast as the socket takes them)
 *   flood N            N replies "Forged I http 80" (distinct names) from
 *                      IFACE_ADDR:PORT
 *   spoof ADDR SPORT   one reply "Spoof ADDR SPORT http 80" from ADDR:SPORT
 *                      (any address and port, 0 included)
 * Prints "ready" once joined, then "forged N replies to ADDR:PORT".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Sleep until `k` replies at `rate` per second are due since `t0`. */
static void pace(const struct timespec *t0, long k, long rate)
{
    long long ns = (long long)k * 1000000000LL / rate;
    struct timespec due = {t0->tv_sec + (time_t)(ns / 1000000000LL),
                           t0->tv_nsec + (long)(ns % 1000000000LL)};

    if (due.tv_nsec >= 1000000000L) {
        due.tv_sec++;
        due.tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
}

static int die(const char *what)
{
    perror(what);
    return 2;
}

/* One UDP datagram with a source of our choosing (IP_HDRINCL). */
static int spoof(int raw, struct in_addr src, unsigned sport,
                 const struct sockaddr_in *to, const char *text)
{
    unsigned char pkt[512];
    size_t len = strlen(text);
    struct iphdr ip = {.version = 4, .ihl = 5, .ttl = 64,
                       .protocol = IPPROTO_UDP, .saddr = src.s_addr,
                       .daddr = to->sin_addr.s_addr,
                       .tot_len = htons((uint16_t)(sizeof ip + 8 + len))};
    struct udphdr udp = {.source = htons((uint16_t)sport),
                         .dest = to->sin_port,
                         .len = htons((uint16_t)(8 + len))};

    /* The kernel fills in the IP checksum and id; a UDP checksum of 0
     * means none (RFC 768). */
    memcpy(pkt, &ip, sizeof ip);
    memcpy(pkt + sizeof ip, &udp, sizeof udp);
    memcpy(pkt + sizeof ip + sizeof udp, text, len);
    return sendto(raw, pkt, sizeof ip + sizeof udp + len, 0,
                  (const struct sockaddr *)to, sizeof *to) < 0 ? -1 : 0;
}

static int open_listener(const char *ifaddr, const char *group, int port)
{
    struct sockaddr_in any = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port)};
    struct ip_mreq mr;
    int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || inet_pton(AF_INET, group, &mr.imr_multiaddr) != 1 ||
        inet_pton(AF_INET, ifaddr, &mr.imr_interface) != 1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&any, sizeof any) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    struct sockaddr_in q;
    socklen_t qlen = sizeof q;
    char buf[600], text[128];
    unsigned long n = 0;
    long rate = 0;
    int fd, raw;

    if (argc < 5) {
        fprintf(stderr, "usage: forger IFACE_ADDR GROUP PORT ACTION...\n");
        return 2;
    }
    fd = open_listener(argv[1], argv[2], atoi(argv[3]));
    raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0 || raw < 0)
        return die("forger: socket");
    printf("ready\n");
    fflush(stdout);
    if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&q, &qlen) < 0)
        return die("forger: recvfrom");
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "rate") == 0 && i + 1 < argc) {
            rate = atol(argv[++i]);
        } else if (strcmp(argv[i], "flood") == 0 && i + 1 < argc) {
            long count = atol(argv[++i]);
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (long k = 0; k < count; k++) {
                if (rate > 0 && k % 50 == 0)
                    pace(&t0, k, rate);
                int len = snprintf(text, sizeof text, "Forged %ld http 80", k);
                /* A blocking socket: a full queue waits, nothing is lost
                 * on this side. */
                if (sendto(fd, text, (size_t)len, 0, (struct sockaddr *)&q,
                           qlen) < 0)
                    return die("forger: sendto");
                n++;
            }
        } else if (strcmp(argv[i], "spoof") == 0 && i + 2 < argc) {
            struct in_addr src;
            if (inet_pton(AF_INET, argv[i + 1], &src) != 1) {
                fprintf(stderr, "forger: bad address %s\n", argv[i + 1]);
                return 2;
            }
            snprintf(text, sizeof text, "Spoof %s %s http 80", argv[i + 1],
                     argv[i + 2]);
            if (spoof(raw, src, (unsigned)atoi(argv[i + 2]), &q, text) < 0)
                return die("forger: raw sendto");
            n++;
            i += 2;
        } else {
            fprintf(stderr, "forger: unknown action %s\n", argv[i]);
            return 2;
        }
    }
    printf("forged %lu replies to %s:%u\n", n, inet_ntoa(q.sin_addr),
           ntohs(q.sin_port));
    return 0;
}
