/*
 * mcdisc_lwip_host.c - the lwIP responder on a host: lwIP's unix port over
 * a TAP device, with the mcdisc responder (src/net/lwip) on top, the same
 * code a device runs. Built with Debian's liblwip-dev.
 *
 * usage: mcdisc-lwip --tap NAME --addr A.B.C.D/PREFIX [--name N]
 *        [--proto P] [--service-port N] [--group G] [--port P]
 *        [--txt KEY=VALUE]... [--key FILE] [--lifetime S]
 *        [--allow-from PREFIX[,PREFIX...]]
 *
 * The instance id of extended replies is the EUI-64 of the TAP netif's
 * MAC, as on a device. --key FILE signs extended replies (HMAC-SHA-256
 * from mbedTLS; the file's rules are mcdisc's, docs/PROTOCOL.md "Keys"),
 * and the announcements and goodbyes too. --lifetime S (default 120,
 * 10-86400): LIFETIME in replies and announcements; it announces at start
 * and says goodbye on SIGINT or SIGTERM. The announcements' counter has
 * the realtime clock's seconds as its boot counter.
 *
 * The TAP device must exist (ip tuntap add NAME mode tap) and be up.
 * Runs until SIGINT or SIGTERM; exit 0 then, 2 on an error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "mcdisc_lwip.h"
#ifdef MCD_HAVE_MBEDTLS
#include "mcdisc/posix.h" /* the key file loader (file I/O, mbedTLS) */
#endif

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static mcd_time now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (mcd_time)ts.tv_sec * 1000000u + (mcd_time)ts.tv_nsec / 1000u;
}

static uint32_t rnd(void)
{
    uint32_t v = 0;

    if (getrandom(&v, sizeof v, 0) != sizeof v)
        v = (uint32_t)now_us();
    return v;
}

static void init_done(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

static int parse_addr(const char *text, struct in_addr *a, struct in_addr *m)
{
    char buf[32];
    const char *slash = strchr(text, '/');
    long bits = slash ? strtol(slash + 1, NULL, 10) : 24;
    size_t n = slash ? (size_t)(slash - text) : strlen(text);

    if (n >= sizeof buf || bits < 1 || bits > 32)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, a) != 1)
        return -1;
    m->s_addr = htonl(bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits));
    return 0;
}

/* Bring up lwIP on the TAP device with a static address. */
static int start_lwip(struct netif *nif, const char *tap, struct in_addr a,
                      struct in_addr m)
{
    sys_sem_t sem;
    ip4_addr_t ip, mask, gw;

    if (setenv("PRECONFIGURED_TAPIF", tap, 1) != 0)
        return -1;
    if (sys_sem_new(&sem, 0) != ERR_OK)
        return -1;
    tcpip_init(init_done, &sem);
    sys_sem_wait(&sem);
    sys_sem_free(&sem);
    ip.addr = a.s_addr;
    mask.addr = m.s_addr;
    gw.addr = 0;
    LOCK_TCPIP_CORE();
    struct netif *ok = netif_add(nif, &ip, &mask, &gw, NULL, tapif_init,
                                 tcpip_input);
    if (ok != NULL) {
        netif_set_default(nif);
        netif_set_link_up(nif);
        netif_set_up(nif);
    }
    UNLOCK_TCPIP_CORE();
    return ok != NULL ? 0 : -1;
}

static int run(mcd_lwip_responder *r)
{
    bool stopping = false;

    /* On a signal the address is still there: goodbyes, then the end. */
    while (!stopping || !mcd_lwip_responder_stopped(r)) {
        if (stop && !stopping) {
            stopping = true;
            mcd_lwip_responder_stop(r);
        }
        struct pollfd pfd = {.fd = mcd_lwip_responder_fd(r), .events = POLLIN};
        int ms = mcd_lwip_responder_timeout(r);

        /* Bounded wait: the signal flag is checked at least every 200 ms. */
        if (ms < 0 || ms > 200)
            ms = 200;
        if (lwip_poll(&pfd, 1, ms) < 0 && errno != EINTR) {
            fprintf(stderr, "mcdisc-lwip: poll: %s\n", strerror(errno));
            return 2;
        }
        int err = mcd_lwip_responder_process(r);
        if (err < 0) {
            fprintf(stderr, "mcdisc-lwip: socket: %s\n", mcd_strerror(err));
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"tap", required_argument, NULL, 't'},
        {"addr", required_argument, NULL, 'a'},
        {"name", required_argument, NULL, 'n'},
        {"proto", required_argument, NULL, 'P'},
        {"service-port", required_argument, NULL, 's'},
        {"group", required_argument, NULL, 'g'},
        {"port", required_argument, NULL, 'p'},
        {"ssm", no_argument, NULL, 'S'},
        {"txt", required_argument, NULL, 'T'},
        {"key", required_argument, NULL, 'K'},
        {"allow-from", required_argument, NULL, 'F'},
        {"lifetime", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    static mcd_lwip_responder r;
#ifdef MCD_HAVE_MBEDTLS
    static mcd_key key;
#endif
    static struct netif nif;
    mcd_lwip_config cfg;
    const char *tap = NULL, *addr = NULL;
    static const char *txt[MCD_TXT_PAIRS_MAX];
    static const char *allow_from[1]; /* comma-separated, as in Kconfig */
    char idtext[2 * MCD_EXT_ID_LEN + 1];
    struct in_addr a, m;
    int c, err;

    char *end;
    long lt;

    mcd_lwip_config_init(&cfg);
    cfg.now = now_us;
    cfg.random = rnd;
    cfg.boot = (uint32_t)time(NULL); /* grows across restarts */
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 't': tap = optarg; break;
        case 'a': addr = optarg; break;
        case 'n': cfg.opts.name = optarg; break;
        case 'P': cfg.opts.proto = optarg; break;
        case 's': cfg.opts.service_port = (uint16_t)atoi(optarg); break;
        case 'g': cfg.opts.group = optarg; break;
        case 'p': cfg.opts.port = (uint16_t)atoi(optarg); break;
        case 'S': cfg.source_specific = true; break;
        case 'T':
            if (cfg.opts.ntxt == MCD_TXT_PAIRS_MAX) {
                fprintf(stderr, "mcdisc-lwip: --txt: at most %d pairs\n",
                        MCD_TXT_PAIRS_MAX);
                return 2;
            }
            txt[cfg.opts.ntxt++] = optarg;
            cfg.opts.txt = txt;
            break;
#ifdef MCD_HAVE_MBEDTLS
        case 'K':
            err = mcd_key_load(&key, optarg);
            if (err < 0) {
                fprintf(stderr, "mcdisc-lwip: --key '%s': %s\n", optarg,
                        mcd_strerror(err));
                return 2;
            }
            cfg.opts.mac = &key.mac;
            break;
#endif
        case 'L':
            lt = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || lt < MCD_LIFETIME_MIN ||
                lt > MCD_LIFETIME_MAX) {
                fprintf(stderr, "mcdisc-lwip: --lifetime '%s': seconds from "
                        "%d to %d\n", optarg, MCD_LIFETIME_MIN,
                        MCD_LIFETIME_MAX);
                return 2;
            }
            cfg.opts.lifetime = (uint32_t)lt;
            break;
        case 'F':
            allow_from[0] = optarg;
            cfg.opts.allow_from = allow_from;
            cfg.opts.n_allow_from = 1;
            break;
        default:
            fprintf(stderr, "mcdisc-lwip: unknown option (see the header of "
                    "tools/lwip/mcdisc_lwip_host.c)\n");
            return 2;
        }
    }
    if (tap == NULL || addr == NULL || parse_addr(addr, &a, &m) < 0) {
        fprintf(stderr, "mcdisc-lwip: --tap NAME and --addr A.B.C.D/PREFIX "
                "are needed\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (start_lwip(&nif, tap, a, m) < 0) {
        fprintf(stderr, "mcdisc-lwip: cannot bring up lwIP on %s\n", tap);
        return 2;
    }
    cfg.if_addr = a.s_addr;
    cfg.if_netmask = m.s_addr;
    mcd_ext_id_from_mac(nif.hwaddr, cfg.id);
    cfg.has_id = nif.hwaddr_len == 6;
    err = mcd_lwip_responder_open(&r, &cfg);
    if (err < 0) {
        fprintf(stderr, "mcdisc-lwip: responder: %s\n", mcd_strerror(err));
        return 2;
    }
    mcd_ext_id_format(cfg.id, idtext);
    fprintf(stderr, "mcdisc-lwip: answering on %s (%s) with lwIP %s, id %s\n",
            tap, addr, LWIP_VERSION_STRING, cfg.has_id ? idtext : "none");
    err = run(&r);
    fprintf(stderr, "mcdisc-lwip: answered %llu, send errors %llu\n",
            (unsigned long long)mcd_lwip_responder_answered(&r),
            (unsigned long long)mcd_lwip_responder_ignored(
                &r, MCD_IGNORE_SEND_FAILED));
    mcd_lwip_responder_close(&r);
    return err;
}
