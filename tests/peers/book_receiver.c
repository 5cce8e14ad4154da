/*
 * book_receiver.c - the chapter's multicast receiver (the smart light), as
 * a test peer: it answers the exact query with the reply, by unicast to
 * the query's source, until killed.
 *
 * usage: book_receiver GROUP PORT IFACE [REPLY]
 *   IFACE   the interface's IPv4 address (IPv4 group) or name (IPv6)
 *   REPLY   default "ESP32-C3 Smart Light https 443"
 */
#include "book_common.h"

int main(int argc, char **argv)
{
    static const char query[] = "Are you Espressif IOT Smart Light";
    static unsigned char buf[65536];
    const char *reply = argc > 4 ? argv[4] : "ESP32-C3 Smart Light https 443";
    struct sockaddr_storage dst;
    socklen_t dstlen;

    if (argc < 4) {
        fprintf(stderr, "usage: book_receiver GROUP PORT IFACE [REPLY]\n");
        return 2;
    }
    int fd = book_socket(argv[1], atoi(argv[2]), argv[3], &dst, &dstlen);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (void *)&from, &fl);
        if (n < 0)
            die("recvfrom");
        int match = (size_t)n == sizeof query - 1 &&
                    memcmp(buf, query, sizeof query - 1) == 0;
        fputs("from ", stdout);
        print_from(&from);
        printf(" len %zd %s\n", n, match ? "answered" : "ignored");
        fflush(stdout);
        if (match && sendto(fd, reply, strlen(reply), 0, (void *)&from, fl) < 0)
            fprintf(stderr, "book peer: sendto: %s\n", strerror(errno));
    }
}
