/*
 * rcore_tables.c - how large the responder core's tables must be: the
 * core alone, driven by a fake clock with the loads of the network tests,
 * as one device sees them. Built twice (CMakeLists.txt): with tables far
 * larger than any load (the peaks are what a device needs) and with the
 * sizes of the ESP-IDF component's defaults (Kconfig), to see what those
 * refuse. Prints one line per load; docs/PERFORMANCE.md has the figures.
 *
 *   pending   replies scheduled and not yet due, at most at once
 *             (MCD_RESP_PENDING)
 *   queriers  queriers answered within one querier interval, at most at
 *             once: the entries the per-querier limit must remember
 *             (MCD_RESP_QUERIERS)
 */
#include <stdio.h>
#include <string.h>

#include "mcdisc/core.h"

#define MAX_EVENTS 200000

typedef struct load {
    const char *name;
    unsigned forged_per_s; /* queries from ever new sources (a flood) */
    unsigned forged_sources;
    unsigned clients;      /* genuine queriers... */
    unsigned client_gap_ms; /* ...each asking this often */
    unsigned client_copies; /* ...this many times (0: all along) */
    unsigned seconds;
} load;

/* The loads of the network tests, from one device's side. */
static const load loads[] = {
    /* test_discover_scale / bench discovery: one client, the default
     * discover (20 copies 100 ms apart), 250 devices each seeing it. */
    {"250 devices, one discover", 0, 0, 1, 100, 20, 3},
    /* 20 clients discovering at the same time. */
    {"20 clients discovering at once", 0, 0, 20, 100, 20, 3},
    /* test_respond_flood: 1000 forged queries/s from 5000 sources, a real
     * querier asking once every 200 ms. */
    {"flood: 1000/s from 5000 forged sources + 1 querier", 1000, 5000, 1,
     200, 0, 10},
};

typedef struct result {
    unsigned pending_peak, queriers_peak;
    unsigned long asked, answered, full, rate;
    unsigned long client_asked, client_answered;
} result;

static mcd_time sched[MAX_EVENTS]; /* when each scheduled reply was scheduled */

static void feed(mcd_rcore *rc, mcd_time now, uint32_t src, bool client,
                 unsigned long *n_sched, unsigned long *taken, result *res,
                 unsigned interval_ms)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    static const mcd_addr g = {.family = MCD_AF_INET4, .b = {232, 10, 11, 12}};
    mcd_endpoint ep = {.addr = {.family = MCD_AF_INET4,
                                .b = {10, (uint8_t)(src >> 16),
                                      (uint8_t)(src >> 8), (uint8_t)src}},
                       .port = 40000};
    mcd_rcore_rx rx = {.data = (const uint8_t *)q, .data_cap = sizeof q - 1,
                       .len = sizeof q - 1, .src = &ep, .dst = &g,
                       .src_on_link = true, .src_prefix_len = 8,
                       .rnd = (uint32_t)(now * 2654435761u) ^ src};
    enum mcd_ignore why = mcd_rcore_input(rc, now, &rx);
    unsigned live = 0;

    res->asked++;
    res->client_asked += client;
    if (why == MCD_IGNORE_FULL)
        res->full++;
    if (why == MCD_IGNORE_RATE_GLOBAL)
        res->rate++;
    if (why != MCD_IGNORE_NONE)
        return;
    res->answered++;
    res->client_answered += client;
    if (*n_sched < MAX_EVENTS)
        sched[(*n_sched)++] = now;
    /* Queriers answered within the last interval: all must be remembered. */
    for (unsigned long i = *n_sched; i-- > 0 &&
                                     now - sched[i] < interval_ms * 1000u;)
        live++;
    if (live > res->queriers_peak)
        res->queriers_peak = live;
    if (*n_sched - *taken > res->pending_peak)
        res->pending_peak = (unsigned)(*n_sched - *taken);
}

static void run(const load *l, const mcd_rcore_config *cfg, result *res)
{
    static mcd_rcore rc;
    unsigned long n_sched = 0, taken = 0;
    double forged_due = 0;
    uint32_t next_src = 0;
    mcd_rcore_tx tx;

    memset(res, 0, sizeof *res);
    if (mcd_rcore_init(&rc, cfg, 0) != 0)
        return;
    for (unsigned ms = 0; ms < l->seconds * 1000u; ms++) {
        mcd_time now = (mcd_time)ms * 1000u;

        forged_due += l->forged_per_s / 1000.0;
        for (; forged_due >= 1; forged_due -= 1) {
            feed(&rc, now, 0x10000 + next_src, false, &n_sched, &taken, res,
                 cfg->querier_interval_ms);
            next_src = (next_src + 1) % l->forged_sources;
        }
        for (unsigned c = 0; c < l->clients; c++) {
            /* Clients start a few ms apart, as real ones do. */
            unsigned t = ms - c * 3u, k = t / l->client_gap_ms;

            if (ms >= c * 3u && t % l->client_gap_ms == 0 &&
                (l->client_copies == 0 || k < l->client_copies))
                feed(&rc, now, c + 1, true, &n_sched, &taken, res,
                     cfg->querier_interval_ms);
        }
        while (mcd_rcore_poll(&rc, now, &tx)) {
            mcd_rcore_done(&rc, MCD_IGNORE_NONE);
            taken++;
        }
    }
}

int main(void)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    uint8_t reply[MCD_REPLY_MAX];
    int rlen = mcd_reply_format(MCD_DEFAULT_NAME, MCD_DEFAULT_PROTO, 443,
                                reply, sizeof reply);
    mcd_rcore_config cfg = {
        .query = (const uint8_t *)q, .query_len = sizeof q - 1,
        .reply = reply, .reply_len = (size_t)(rlen > 0 ? rlen : 1),
        .group = {.family = MCD_AF_INET4, .b = {232, 10, 11, 12}},
        .delay_min_ms = MCD_DEFAULT_DELAY_MIN_MS,
        .delay_max_ms = MCD_DEFAULT_DELAY_MAX_MS,
        .querier_interval_ms = MCD_DEFAULT_QUERIER_INTERVAL_MS,
        .rate_per_s = MCD_DEFAULT_RATE_PER_S,
        .rate_burst = MCD_DEFAULT_RATE_BURST,
    };

    printf("tables: MCD_RESP_PENDING %d, MCD_RESP_QUERIERS %d; sizeof(mcd_rcore) %zu; "
           "limits: delay %u-%u ms, querier interval %u ms, %u/s burst %u\n",
           MCD_RESP_PENDING, MCD_RESP_QUERIERS, sizeof(mcd_rcore),
           cfg.delay_min_ms, cfg.delay_max_ms, cfg.querier_interval_ms,
           cfg.rate_per_s, cfg.rate_burst);
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
        result r;

        run(&loads[i], &cfg, &r);
        printf("%s: pending peak %u, queriers peak %u; answered %lu of %lu "
               "(table full %lu, over the rate %lu); the genuine queriers "
               "answered %lu of %lu\n",
               loads[i].name, r.pending_peak, r.queriers_peak, r.answered,
               r.asked, r.full, r.rate, r.client_answered, r.client_asked);
    }
    return 0;
}
