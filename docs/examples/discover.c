/*
 * discover.c - the smallest program that finds devices with libmcdisc.
 *
 *   cc discover.c $(pkg-config --cflags --libs mcdisc) -o discover
 *   ./discover [GROUP]
 *
 * Prints "NAME PROTO PORT from ADDRESS" per device; exits 0 when one
 * answered, 1 when none did, 2 on an error.
 */
#include <mcdisc.h>
#include <stdio.h>

static void found(void *ctx, const mcd_device *d)
{
    char addr[MCD_ADDR_STRLEN];

    (void)ctx;
    mcd_addr_format(&d->from.addr, addr, sizeof addr);
    printf("%s %s %u from %s\n", d->reply.name, d->reply.proto, d->reply.port,
           addr);
}

int main(int argc, char **argv)
{
    /* Zeros everywhere mean the defaults: the chapter's group, port,
     * query, TTL 1, a 2 s timeout with a copy of the query every 100 ms. */
    mcd_query_config cfg = {.group = argc > 1 ? argv[1] : NULL};
    int n = mcd_discover(&cfg, found, NULL);

    if (n < 0) {
        fprintf(stderr, "discover: %s\n", mcd_strerror(n));
        return 2;
    }
    return n > 0 ? 0 : 1;
}
