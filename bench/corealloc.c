/*
 * corealloc.c - count the heap allocations of the responder core while it
 * answers a million queries: malloc and friends are wrapped (-Wl,--wrap)
 * and counted. The core is meant to allocate nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

static unsigned long calls;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n) { calls++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { calls++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { calls++; return __real_realloc(p, n); }

int main(void)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    static mcd_rcore rc;
    uint8_t reply[MCD_REPLY_MAX];
    int rlen = mcd_reply_format(MCD_DEFAULT_NAME, MCD_DEFAULT_PROTO, 443, reply,
                                sizeof reply);
    mcd_addr g = {.family = MCD_AF_INET4, .b = {232, 10, 11, 12}};
    mcd_endpoint src = {.addr = {.family = MCD_AF_INET4, .b = {198, 18, 0, 2}},
                        .port = 40000};
    mcd_rcore_config cfg = {
        .query = (const uint8_t *)q, .query_len = sizeof q - 1,
        .reply = reply, .reply_len = (size_t)rlen, .group = g,
        .delay_max_ms = 20, .querier_interval_ms = 50, .rate_per_s = 1000,
        .rate_burst = 200,
    };
    unsigned long answered = 0;
    mcd_rcore_tx tx;

    if (rlen < 0 || mcd_rcore_init(&rc, &cfg, 0) != 0)
        return 2;
    calls = 0;
    for (unsigned long i = 0; i < 1000000; i++) {
        mcd_time now = (mcd_time)i * 1000;
        src.addr.b[2] = (uint8_t)(i >> 8);
        src.addr.b[3] = (uint8_t)i;
        mcd_rcore_rx rx = {.data = (const uint8_t *)q, .data_cap = sizeof q - 1,
                           .len = sizeof q - 1, .src = &src, .dst = &g,
                           .ifindex = 2, .src_on_link = true,
                           .rnd = (uint32_t)(i * 2654435761u)};
        (void)mcd_rcore_input(&rc, now, &rx);
        while (mcd_rcore_poll(&rc, now, &tx))
            answered++;
    }
    printf("answered %lu of 1000000 queries (the rest rate-limited); "
           "heap allocations: %lu\n", answered, calls);
    return calls == 0 ? 0 : 1;
}
