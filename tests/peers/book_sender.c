/*
 * book_sender.c - the chapter's multicast sender, as a test peer.
 *
 * usage: book_sender GROUP PORT IFACE [options]
 *   IFACE       the interface's IPv4 address (IPv4 group) or name (IPv6)
 *   --hex HEX   send these bytes instead of the chapter's query
 *   --fill N    send N bytes of 'x'
 *   --wait MS   read datagrams for MS ms after sending (default 1500)
 *
 * Prints every datagram it reads on the same socket, as the chapter does
 * (its own looped-back query included), one line each:
 *   from ADDR:PORT len N "bytes"
 */
#include "book_common.h"

#include <poll.h>

static size_t from_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;

    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (unsigned char)v;
    }
    return n;
}

int main(int argc, char **argv)
{
    static unsigned char msg[65536], buf[65536];
    size_t len = strlen("Are you Espressif IOT Smart Light");
    struct sockaddr_storage dst;
    socklen_t dstlen;
    int wait_ms = 1500;

    if (argc < 4) {
        fprintf(stderr, "usage: book_sender GROUP PORT IFACE [--hex H|--fill N] [--wait MS]\n");
        return 2;
    }
    memcpy(msg, "Are you Espressif IOT Smart Light", len);
    for (int i = 4; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--hex") == 0)
            len = from_hex(argv[i + 1], msg, sizeof msg);
        else if (strcmp(argv[i], "--fill") == 0) {
            len = (size_t)atol(argv[i + 1]);
            if (len > sizeof msg)
                len = sizeof msg;
            memset(msg, 'x', len);
        } else if (strcmp(argv[i], "--wait") == 0)
            wait_ms = atoi(argv[i + 1]);
    }
    int fd = book_socket(argv[1], atoi(argv[2]), argv[3], &dst, &dstlen);
    if (sendto(fd, msg, len, 0, (struct sockaddr *)&dst, dstlen) < 0)
        die("sendto");
    printf("sent %zu bytes\n", len);
    fflush(stdout);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, wait_ms) > 0) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (void *)&from, &fl);
        if (n < 0)
            die("recvfrom");
        fputs("from ", stdout);
        print_from(&from);
        printf(" len %zd ", n);
        print_bytes(buf, (size_t)n);
        putchar('\n');
        fflush(stdout);
    }
    close(fd);
    return 0;
}
