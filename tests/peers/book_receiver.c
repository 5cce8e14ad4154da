/*
 * book_receiver.c - the chapter's multicast receiver (the smart light), as
 * a test peer: it answers the exact query with the reply, by unicast to
 * the query's source, until killed.
 *
 * usage: book_receiver [--strcmp] GROUP PORT IFACE [REPLY]
 *   IFACE   the interface's IPv4 address (IPv4 group) or name (IPv6)
 *   REPLY   default "ESP32-C3 Smart Light https 443"
 *   --strcmp  the chapter's own comparison, defects kept: every datagram
 *           is read into one 64-byte buffer that is never re-terminated,
 *           and strcmp() decides. A query + NUL + more is answered; after
 *           a datagram longer than the query without a NUL at offset 33
 *           the buffer keeps a tail and plain queries are no longer
 *           answered (docs/PROTOCOL.md, "Other traffic on the discovery
 *           port"). Without it, the 33 bytes are compared exactly.
 */
#include "book_common.h"

int main(int argc, char **argv)
{
    static const char query[] = "Are you Espressif IOT Smart Light";
    static unsigned char buf[65536];
    static char chapter_buf[64]; /* --strcmp: kept between datagrams */
    int chapter = argc > 1 && strcmp(argv[1], "--strcmp") == 0;
    const char *reply;
    struct sockaddr_storage dst;
    socklen_t dstlen;

    argc -= chapter;
    argv += chapter;
    reply = argc > 4 ? argv[4] : "ESP32-C3 Smart Light https 443";
    if (argc < 4) {
        fprintf(stderr, "usage: book_receiver [--strcmp] GROUP PORT IFACE "
                "[REPLY]\n");
        return 2;
    }
    int fd = book_socket(argv[1], atoi(argv[2]), argv[3], &dst, &dstlen);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        /* --strcmp reads one byte short of its buffer: chapter_buf[63]
         * stays 0, so strcmp never runs past it. */
        ssize_t n = chapter ? recvfrom(fd, chapter_buf, sizeof chapter_buf - 1,
                                       0, (void *)&from, &fl)
                            : recvfrom(fd, buf, sizeof buf, 0, (void *)&from,
                                       &fl);
        if (n < 0)
            die("recvfrom");
        int match = chapter ? strcmp(chapter_buf, query) == 0
                            : (size_t)n == sizeof query - 1 &&
                                  memcmp(buf, query, sizeof query - 1) == 0;
        fputs("from ", stdout);
        print_from(&from);
        printf(" len %zd %s\n", n, match ? "answered" : "ignored");
        fflush(stdout);
        if (match && sendto(fd, reply, strlen(reply), 0, (void *)&from, fl) < 0)
            fprintf(stderr, "book peer: sendto: %s\n", strerror(errno));
    }
}
