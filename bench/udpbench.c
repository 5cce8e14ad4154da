/*
 * udpbench.c - the other side of mcdisc's benchmarks: minimal programs
 * that set the baselines (a raw sendmmsg/recvmmsg pair, a raw UDP
 * ping-pong, the chapter's one-query algorithm) and the load (a query
 * flood that counts replies). IPv4 only; every figure is printed on one
 * line of "key=value" pairs for the scripts in bench/.
 *
 *   udpbench rawsend GROUP PORT IFADDR SIZE RATE COUNT
 *   udpbench rawrecv GROUP PORT IFADDR COUNT TIMEOUT_MS
 *   udpbench echo PORT
 *   udpbench ping DEST PORT COUNT [PAYLOAD]   (DEST a group: query mode)
 *   udpbench qload GROUP PORT IFADDR RATE SECONDS
 *   udpbench chapter GROUP PORT IFADDR TIMEOUT_MS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUERY "Are you Espressif IOT Smart Light"
#define BATCH 64

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "udpbench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static struct sockaddr_in sin_of(const char *addr, int port)
{
    struct sockaddr_in s = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};

    if (inet_pton(AF_INET, addr, &s.sin_addr) != 1) {
        fprintf(stderr, "udpbench: bad address %s\n", addr);
        exit(2);
    }
    return s;
}

/* A sending socket: TTL 1 and the outgoing interface by address. */
static int tx_socket(const char *ifaddr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct in_addr a;
    unsigned char ttl = 1;

    if (fd < 0 || inet_pton(AF_INET, ifaddr, &a) != 1 ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0)
        die("tx socket");
    return fd;
}

/* A receiving socket bound to port, joined to group (if any). */
static int rx_socket(const char *group, int port, const char *ifaddr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, big = 8 << 20;
    struct sockaddr_in any = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port)};

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&any, sizeof any) < 0)
        die("rx socket");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (group != NULL) {
        struct ip_mreq mr;

        if (inet_pton(AF_INET, group, &mr.imr_multiaddr) != 1 ||
            inet_pton(AF_INET, ifaddr, &mr.imr_interface) != 1 ||
            setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
            die("join");
    }
    return fd;
}

static int rawsend(char **a)
{
    static unsigned char buf[BATCH][65507];
    struct sockaddr_in dst = sin_of(a[0], atoi(a[1]));
    int fd = tx_socket(a[2]);
    size_t size = (size_t)atol(a[3]);
    double rate = atof(a[4]), t0;
    long count = atol(a[5]), sent = 0;
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];

    memset(m, 0, sizeof m);
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){buf[i], size};
        m[i].msg_hdr = (struct msghdr){.msg_name = &dst,
                                       .msg_namelen = sizeof dst,
                                       .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    t0 = now_s();
    while (sent < count) {
        long due = (long)((now_s() - t0) * rate) + 1 - sent;

        if (due <= 0) {
            usleep(50);
            continue;
        }
        if (due > BATCH)
            due = BATCH;
        if (due > count - sent)
            due = count - sent;
        for (long i = 0; i < due; i++)
            memcpy(buf[i], &(uint32_t){(uint32_t)(sent + i)}, 4);
        int n = sendmmsg(fd, m, (unsigned)due, 0);
        if (n < 0 && errno != ENOBUFS)
            die("sendmmsg");
        sent += n > 0 ? n : 0;
    }
    printf("sent=%ld seconds=%.3f\n", sent, now_s() - t0);
    return 0;
}

static int rawrecv(char **a)
{
    static unsigned char buf[BATCH][2048];
    int fd = rx_socket(a[0], atoi(a[1]), a[2]);
    long want = atol(a[3]), got = 0;
    int timeout = atoi(a[4]);
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];
    struct pollfd p = {.fd = fd, .events = POLLIN};

    printf("ready\n");
    fflush(stdout);
    memset(m, 0, sizeof m);
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){buf[i], sizeof buf[i]};
        m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
    }
    /* The timeout counts from the last datagram: a sender that stops ends
     * the run. */
    while (got < want && poll(&p, 1, timeout) > 0) {
        int n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
        got += n > 0 ? n : 0;
    }
    printf("received=%ld\n", got);
    return 0;
}

static _Noreturn void echo(char **a)
{
    int fd = rx_socket(NULL, atoi(a[0]), NULL);
    unsigned char buf[2048];

    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (void *)&from, &fl);

        if (n >= 0)
            sendto(fd, buf, (size_t)n, 0, (void *)&from, fl);
    }
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

/* Sequential round trips; the reply is whatever comes back first. */
static int ping(char **a, int argc)
{
    struct sockaddr_in dst = sin_of(a[0], atoi(a[1]));
    int count = atoi(a[2]), fd = socket(AF_INET, SOCK_DGRAM, 0), lost = 0;
    const char *payload = argc > 3 ? a[3] : "ping";
    double *rtt = calloc((size_t)count, sizeof *rtt);
    unsigned char ttl = 1, buf[2048];
    int n = 0;

    if (fd < 0 || rtt == NULL ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0)
        die("ping socket");
    for (int i = 0; i < count; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        double t0 = now_s();

        if (sendto(fd, payload, strlen(payload), 0, (void *)&dst,
                   sizeof dst) < 0)
            die("sendto");
        if (poll(&p, 1, 1000) <= 0 || recv(fd, buf, sizeof buf, 0) < 0) {
            lost++;
            continue;
        }
        rtt[n++] = (now_s() - t0) * 1e6;
        usleep(2000); /* past any per-querier limit of the responder */
    }
    qsort(rtt, (size_t)n, sizeof *rtt, cmp_double);
    printf("n=%d lost=%d median_us=%.1f p99_us=%.1f\n", n, lost,
           n ? rtt[n / 2] : 0.0, n ? rtt[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0.0);
    free(rtt);
    return 0;
}

/* The query at `rate` for `seconds`, from one socket; counts the replies. */
static int qload(char **a)
{
    struct sockaddr_in dst = sin_of(a[0], atoi(a[1]));
    int fd = tx_socket(a[2]), big = 8 << 20;
    double rate = atof(a[3]), secs = atof(a[4]), t0 = now_s();
    long sent = 0, replies = 0;
    unsigned char buf[2048];

    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    while (now_s() - t0 < secs) {
        long due = (long)((now_s() - t0) * rate) + 1 - sent;

        for (long i = 0; i < due; i++)
            if (sendto(fd, QUERY, strlen(QUERY), 0, (void *)&dst,
                       sizeof dst) >= 0)
                sent++;
        while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
            replies++;
        if (due <= 0)
            usleep(20);
    }
    double end = now_s() + 0.5; /* the last replies */
    while (now_s() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};

        if (poll(&p, 1, 50) > 0)
            while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
                replies++;
    }
    printf("sent=%ld replies=%ld\n", sent, replies);
    return 0;
}

/* The chapter's algorithm, fairly: bind the port, join, send one query,
 * take the first datagram that is not our own query as the answer. */
static int chapter(char **a)
{
    struct sockaddr_in dst = sin_of(a[0], atoi(a[1]));
    int fd = rx_socket(a[0], atoi(a[1]), a[2]), timeout = atoi(a[3]);
    struct in_addr ifa;
    unsigned char ttl = 1, buf[2048];
    double t0;

    inet_pton(AF_INET, a[2], &ifa);
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0)
        die("chapter socket");
    t0 = now_s();
    if (sendto(fd, QUERY, strlen(QUERY), 0, (void *)&dst, sizeof dst) < 0)
        die("sendto");
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = timeout - (int)((now_s() - t0) * 1000);

        if (left <= 0 || poll(&p, 1, left) <= 0) {
            printf("found=0 first_ms=nan\n");
            return 0;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == (ssize_t)strlen(QUERY) && memcmp(buf, QUERY, (size_t)n) == 0)
            continue; /* our own query, looped back */
        printf("found=1 first_ms=%.3f\n", (now_s() - t0) * 1000);
        return 0;
    }
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int args;
    } modes[] = {{"rawsend", 6}, {"rawrecv", 5}, {"echo", 1},
                 {"ping", 3},    {"qload", 5},   {"chapter", 4}};

    for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) != 0)
            continue;
        if (argc - 2 < modes[i].args)
            break;
        switch (i) {
        case 0: return rawsend(argv + 2);
        case 1: return rawrecv(argv + 2);
        case 2: echo(argv + 2);
        case 3: return ping(argv + 2, argc - 2);
        case 4: return qload(argv + 2);
        case 5: return chapter(argv + 2);
        }
    }
    fprintf(stderr, "usage: see the top of bench/udpbench.c\n");
    return 2;
}
