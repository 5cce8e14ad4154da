/*
 * garbage.c - a hostile peer: random datagrams of random lengths (0 to
 * 65507 bytes, every length equally likely) to a group, for a while.
 *
 * usage: garbage GROUP PORT IFACE_ADDR SECONDS
 * Prints "sent N datagrams, B bytes, lengths MIN-MAX".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static unsigned char buf[65507];
    struct sockaddr_in dst = {.sin_family = AF_INET};
    struct in_addr ifaddr;
    unsigned char ttl = 1;
    unsigned long n = 0, bytes = 0, lo = sizeof buf, hi = 0;
    int fd;

    if (argc != 5 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 ||
        inet_pton(AF_INET, argv[3], &ifaddr) != 1) {
        fprintf(stderr, "usage: garbage GROUP PORT IFACE_ADDR SECONDS\n");
        return 2;
    }
    dst.sin_port = htons((uint16_t)atoi(argv[2]));
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr) ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl)) {
        perror("garbage: socket");
        return 2;
    }
    double end = now() + atof(argv[4]);
    while (now() < end) {
        unsigned int r;
        size_t len;

        if (getrandom(&r, sizeof r, 0) != sizeof r)
            return 2;
        /* Half the time a short one, where parsers have their edges. */
        len = (r & 1) ? (r >> 1) % 64 : (r >> 1) % (sizeof buf + 1);
        if (getrandom(buf, len > 256 ? 256 : len, 0) < 0)
            return 2;
        if (sendto(fd, buf, len, 0, (struct sockaddr *)&dst, sizeof dst) < 0)
            usleep(1000); /* ENOBUFS: let the queue drain */
        else {
            n++;
            bytes += len;
            lo = len < lo ? len : lo;
            hi = len > hi ? len : hi;
        }
        usleep(200);
    }
    printf("sent %lu datagrams, %lu bytes, lengths %lu-%lu\n", n, bytes, lo, hi);
    return 0;
}
