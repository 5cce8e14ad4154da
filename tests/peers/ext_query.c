/*
 * ext_query.c - an extended query, written from docs/PROTOCOL.md ("The
 * extension, version 1") without mcdisc's codec, as a test peer: it sends
 * one extended query (and optionally a plain copy from the same socket) to
 * the group and prints every reply in hex.
 *
 * usage: ext_query IFACE_ADDR GROUP PORT [options]
 *   --nonce HEX16   the nonce (default 0102030405060708)
 *   --window MS     a WINDOW TLV
 *   --known ID      an id for the KNOWN filter (16 hex digits); repeatable
 *   --ones          KNOWN with k 16 and a 64-byte filter of all ones
 *   --salt N        KNOWN's salt (default 1)
 *   --pad N         PAD up to at least N bytes (default 128; 0: none)
 *   --plain         then the chapter's 33 bytes, from the same socket
 *   --plain-only    only the chapter's 33 bytes
 *   --wait MS       read replies for MS ms after sending (default 1000)
 * The socket is bound to an ephemeral port, not joined, TTL 1. Prints
 * "sent N HEX" per datagram sent, "from ADDR:PORT len N HEX" per reply.
 */
#include "book_common.h"

#include <poll.h>
#include <stdint.h>

#define MAX_KNOWN 64
static const char query[] = "Are you Espressif IOT Smart Light";

typedef struct opts {
    unsigned char nonce[8];
    int window; /* -1: none */
    unsigned char known[MAX_KNOWN][8];
    int nknown, ones, plain, plain_only;
    unsigned salt;
    size_t pad;
    int wait_ms;
} opts;

static int hex8(const char *t, unsigned char *out)
{
    for (int i = 0; i < 8; i++) {
        unsigned v;

        if (sscanf(t + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return strlen(t) == 16 ? 0 : -1;
}

/* FNV-1a-64 ("Known answers"). */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static void bloom_add(unsigned char *f, size_t m_bytes, int k,
                      const unsigned char *nonce, unsigned salt,
                      const unsigned char *id)
{
    unsigned char s[2] = {(unsigned char)(salt >> 8), (unsigned char)salt};
    uint64_t h = fnv(fnv(fnv(0xcbf29ce484222325u, nonce, 8), s, 2), id, 8);
    uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1u;

    for (int i = 0; i < k; i++) {
        uint32_t b = (uint32_t)(h1 + (uint32_t)i * h2) % (uint32_t)(m_bytes * 8);

        f[b / 8] |= (unsigned char)(0x80u >> (b % 8));
    }
}

static size_t tlv(unsigned char *p, int type, size_t len)
{
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(len >> 8);
    p[2] = (unsigned char)len;
    return 3;
}

static size_t build(const opts *o, unsigned char *b)
{
    size_t n = sizeof query - 1;

    memcpy(b, query, n);
    b[n++] = 0;
    memcpy(b + n, "MCDX\x01\x01\x00", 7);
    n += 7;
    memcpy(b + n, o->nonce, 8);
    n += 8;
    if (o->window >= 0) {
        n += tlv(b + n, 1, 2);
        b[n++] = (unsigned char)(o->window >> 8);
        b[n++] = (unsigned char)o->window;
    }
    if (o->nknown > 0 || o->ones) {
        size_t m = o->ones ? 64 : (size_t)o->nknown;
        int k = o->ones ? 16 : 5;

        n += tlv(b + n, 2, 3 + m);
        b[n++] = (unsigned char)(o->salt >> 8);
        b[n++] = (unsigned char)o->salt;
        b[n++] = (unsigned char)k;
        memset(b + n, o->ones ? 0xff : 0, m);
        for (int i = 0; i < o->nknown; i++)
            bloom_add(b + n, m, k, o->nonce, o->salt, o->known[i]);
        n += m;
    }
    if (o->pad > n) {
        size_t v = o->pad - n > 3 ? o->pad - n - 3 : 0;

        n += tlv(b + n, 0, v);
        memset(b + n, 0, v);
        n += v;
    }
    return n;
}

static int parse(opts *o, int argc, char **argv)
{
    hex8("0102030405060708", o->nonce);
    o->window = -1;
    o->salt = 1;
    o->pad = 128;
    o->wait_ms = 1000;
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--plain") == 0)
            o->plain = 1;
        else if (strcmp(a, "--plain-only") == 0)
            o->plain_only = 1;
        else if (strcmp(a, "--ones") == 0)
            o->ones = 1;
        else if (v == NULL)
            return -1;
        else if (strcmp(a, "--nonce") == 0 && hex8(v, o->nonce) == 0)
            i++;
        else if (strcmp(a, "--known") == 0 && o->nknown < MAX_KNOWN &&
                 hex8(v, o->known[o->nknown]) == 0)
            o->nknown++, i++;
        else if (strcmp(a, "--window") == 0)
            o->window = atoi(v), i++;
        else if (strcmp(a, "--salt") == 0)
            o->salt = (unsigned)atoi(v), i++;
        else if (strcmp(a, "--pad") == 0)
            o->pad = (size_t)atol(v), i++;
        else if (strcmp(a, "--wait") == 0)
            o->wait_ms = atoi(v), i++;
        else
            return -1;
    }
    return o->pad <= 1232 ? 0 : -1;
}

static void hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void send_one(int fd, const struct sockaddr_in *to,
                     const unsigned char *b, size_t n)
{
    if (sendto(fd, b, n, 0, (const void *)to, sizeof *to) < 0)
        die("sendto");
    printf("sent %zu ", n);
    hex(b, n);
    putchar('\n');
}

int main(int argc, char **argv)
{
    static unsigned char msg[1232], buf[65536];
    struct sockaddr_in to = {.sin_family = AF_INET}, any = {
        .sin_family = AF_INET};
    struct in_addr ifaddr;
    unsigned char ttl = 1;
    opts o;
    int fd;

    memset(&o, 0, sizeof o);
    if (argc < 4 || parse(&o, argc, argv) < 0 ||
        inet_pton(AF_INET, argv[1], &ifaddr) != 1 ||
        inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) {
        fprintf(stderr, "usage: ext_query IFACE_ADDR GROUP PORT [options] "
                "(see tests/peers/ext_query.c)\n");
        return 2;
    }
    to.sin_port = htons((uint16_t)atoi(argv[3]));
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (void *)&any, sizeof any) < 0)
        die("socket");
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr) < 0)
        die("setsockopt");
    if (!o.plain_only)
        send_one(fd, &to, msg, build(&o, msg));
    if (o.plain || o.plain_only)
        send_one(fd, &to, (const unsigned char *)query, sizeof query - 1);
    fflush(stdout);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, o.wait_ms) > 0) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (void *)&from, &fl);

        if (n < 0)
            die("recvfrom");
        fputs("from ", stdout);
        print_from(&from);
        printf(" len %zd ", n);
        hex(buf, (size_t)n);
        putchar('\n');
        fflush(stdout);
    }
    close(fd);
    return 0;
}
