/*
 * ext_peer.c - a stand-alone extended device for the client's tests,
 * written from docs/PROTOCOL.md's layout (not with mcdisc's codec): it
 * answers every extended query on the group with an extended reply, by
 * unicast from its port to the query's source.
 *
 * usage: ext_peer IFACE_ADDR GROUP PORT MODE ID [TEXT [PAIR...]]
 *   MODE   echo: the query's nonce, as a device does;
 *          forge: the right format with a wrong nonce (every bit of the
 *          query's flipped), as an off-path forger that guessed
 *          replay: ID is a whole reply in hex (captured, keyed, for an
 *          earlier query); it is sent again with each query's nonce
 *          patched in, as an on-path forger without the key would
 *   ID     16 hex digits
 *   TEXT   the reply text (default "ESP32-C3 Smart Light https 443")
 *   PAIR   key=value, one TXT TLV each
 * Plain queries and anything else are ignored. Prints "ready", then
 * "sent MODE N to ADDR:PORT" per reply.
 */
#include "book_common.h"

#include <stdint.h>

static const char query[] = "Are you Espressif IOT Smart Light";

/* The nonce of an extended query (query, NUL, "MCDX", version >= 1, kind
 * 1, flags, nonce), or 0 when it is not one. */
static int query_nonce(const unsigned char *b, size_t n, unsigned char *nonce)
{
    size_t q = sizeof query - 1;

    if (n < q + 1 + 15 || memcmp(b, query, q) != 0 || b[q] != 0 ||
        memcmp(b + q + 1, "MCDX", 4) != 0 || b[q + 5] == 0 || b[q + 6] != 1)
        return 0;
    memcpy(nonce, b + q + 8, 8);
    return 1;
}

static size_t build(unsigned char *out, const char *text,
                    const unsigned char *nonce, const unsigned char *id,
                    char **pairs, int npairs)
{
    size_t n = strlen(text) + 1;

    memcpy(out, text, n);
    memcpy(out + n, "MCDX\x01\x02\x00", 7);
    memcpy(out + n + 7, nonce, 8);
    memcpy(out + n + 15, id, 8);
    n += 23;
    for (int i = 0; i < npairs; i++) {
        size_t len = strlen(pairs[i]);
        out[n] = 3;
        out[n + 1] = (unsigned char)(len >> 8);
        out[n + 2] = (unsigned char)len;
        memcpy(out + n + 3, pairs[i], len);
        n += 3 + len;
    }
    return n;
}

int main(int argc, char **argv)
{
    static unsigned char buf[2048], out[2048];
    unsigned char id[8], nonce[8];
    struct sockaddr_storage dst;
    socklen_t dstlen;
    unsigned long sent = 0;

    int replay = argc >= 6 && strcmp(argv[4], "replay") == 0;
    size_t rlen = 0;

    if (argc < 6 ||
        (strcmp(argv[4], "echo") && strcmp(argv[4], "forge") && !replay) ||
        (!replay && strlen(argv[5]) != 16)) {
        fprintf(stderr, "usage: ext_peer IFACE_ADDR GROUP PORT "
                        "echo|forge|replay ID [TEXT [PAIR...]]\n");
        return 2;
    }
    if (replay) { /* the captured reply; its nonce follows the first NUL */
        for (; argv[5][2 * rlen] && rlen < sizeof out; rlen++)
            if (sscanf(argv[5] + 2 * rlen, "%2hhx", &out[rlen]) != 1)
                return 2;
        unsigned char *nul = memchr(out, 0, rlen);
        if (nul == NULL || (size_t)(nul - out) + 16 > rlen)
            return 2;
    }
    for (int i = 0; !replay && i < 8; i++)
        if (sscanf(argv[5] + 2 * i, "%2hhx", &id[i]) != 1)
            return 2;
    const char *text = argc > 6 ? argv[6] : "ESP32-C3 Smart Light https 443";
    int forge = strcmp(argv[4], "forge") == 0;
    int fd = book_socket(argv[2], atoi(argv[3]), argv[1], &dst, &dstlen);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (void *)&from, &fl);

        if (n < 0)
            die("recvfrom");
        if (!query_nonce(buf, (size_t)n, nonce))
            continue;
        for (int i = 0; forge && i < 8; i++)
            nonce[i] ^= 0xff;
        size_t len = rlen;

        if (replay)
            memcpy((unsigned char *)memchr(out, 0, rlen) + 8, nonce, 8);
        else
            len = build(out, text, nonce, id, argv + 7,
                        argc > 7 ? argc - 7 : 0);
        if (sendto(fd, out, len, 0, (void *)&from, fl) < 0) {
            fprintf(stderr, "ext_peer: sendto: %s\n", strerror(errno));
            continue;
        }
        printf("sent %s %lu to ", argv[4], ++sent);
        print_from(&from);
        putchar('\n');
        fflush(stdout);
    }
}
