/*
 * strcmp_receiver.c - the chapter's multicast receiver with its defects
 * kept, as a test peer: it reads every datagram into the same 64-byte
 * buffer, never terminates it, and answers when strcmp() finds the query
 * there. A query followed by a NUL and more bytes is answered (strcmp
 * stops at the NUL); after a datagram longer than the query without a NUL
 * right after it, the buffer keeps a tail and plain queries no longer
 * compare equal (docs/PROTOCOL.md, "Other traffic on the discovery
 * port"). book_receiver.c is the other kind of chapter device: it
 * compares the 33 bytes exactly.
 *
 * usage: strcmp_receiver GROUP PORT IFACE [REPLY]
 *   IFACE   the interface's IPv4 address
 * Prints "ready", then one line per datagram: "from ADDR:PORT len N
 * answered|ignored".
 */
#include "book_common.h"

int main(int argc, char **argv)
{
    static const char query[] = "Are you Espressif IOT Smart Light";
    static char buf[64]; /* the chapter's buffer, kept between datagrams */
    const char *reply = argc > 4 ? argv[4] : "ESP32-C3 Smart Light https 443";
    struct sockaddr_storage dst;
    socklen_t dstlen;

    if (argc < 4) {
        fprintf(stderr, "usage: strcmp_receiver GROUP PORT IFACE [REPLY]\n");
        return 2;
    }
    int fd = book_socket(argv[1], atoi(argv[2]), argv[3], &dst, &dstlen);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        /* One byte short of the buffer: buf[63] stays 0, so strcmp never
         * runs past it (the chapter's code relies on luck here). */
        ssize_t n = recvfrom(fd, buf, sizeof buf - 1, 0, (void *)&from, &fl);
        if (n < 0)
            die("recvfrom");
        int match = strcmp(buf, query) == 0;
        fputs("from ", stdout);
        print_from(&from);
        printf(" len %zd %s\n", n, match ? "answered" : "ignored");
        fflush(stdout);
        if (match && sendto(fd, reply, strlen(reply), 0, (void *)&from, fl) < 0)
            fprintf(stderr, "book peer: sendto: %s\n", strerror(errno));
    }
}
