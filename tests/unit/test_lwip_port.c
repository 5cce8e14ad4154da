/*
 * test_lwip_port.c - the lwIP responder (src/net/lwip) on lwIP's unix
 * port, with a netif that sends nothing: what the socket layer reports
 * when its socket fails, the wait it asks for, and the counter of the
 * announcements it would send (kept from the netif's output). Traffic is
 * tested in the lab (tests/net/test_lwip.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

#include "mcdisc_lwip.h"
#include "mcdisc/live.h" /* after core.h, which mcdisc_lwip.h includes */

static mcd_time clock_us;

static mcd_time fake_now(void)
{
    return clock_us;
}

static uint32_t fake_random(void)
{
    return 7;
}

/* The payload of the last UDP datagram to port 3333 the stack sent. */
static uint8_t sent[1600];
static size_t sent_len;

/* Everything the stack sends (the IGMP report) is dropped; the UDP
 * payload to the discovery port is kept in sent[]. */
static err_t drop(struct netif *nif, struct pbuf *p, const ip4_addr_t *to)
{
    uint8_t pkt[1600];
    u16_t n = pbuf_copy_partial(p, pkt, sizeof pkt, 0);
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;

    (void)nif;
    (void)to;
    if (n >= ihl + 8 && pkt[9] == 17 && pkt[ihl + 2] == 3333 >> 8 &&
        pkt[ihl + 3] == (3333 & 0xff)) {
        sent_len = n - ihl - 8;
        memcpy(sent, pkt + ihl + 8, sent_len);
    }
    return ERR_OK;
}

#if MCD_LWIP_IPV6
/* The last UDP datagram sent over IPv6: payload, destination, port. */
static uint8_t sent6[1600];
static size_t sent6_len;
static uint8_t sent6_to[16];
static unsigned sent6_port;

/* IPv6 out (MLD reports, replies, announcements) is dropped too; UDP
 * (next header 17, no extension header) is kept in sent6. */
static err_t drop6(struct netif *nif, struct pbuf *p, const ip6_addr_t *to)
{
    uint8_t pkt[1600];
    u16_t n = pbuf_copy_partial(p, pkt, sizeof pkt, 0);

    (void)nif;
    (void)to;
    if (n >= 48 && pkt[6] == 17) {
        memcpy(sent6_to, pkt + 24, 16);
        sent6_port = (unsigned)pkt[42] << 8 | pkt[43];
        sent6_len = n - 48u;
        memcpy(sent6, pkt + 48, sent6_len);
    }
    return ERR_OK;
}
#endif

static err_t nif_init(struct netif *nif)
{
    nif->name[0] = 't';
    nif->name[1] = 'p';
    nif->output = drop;
#if MCD_LWIP_IPV6
    nif->output_ip6 = drop6;
#endif
    nif->mtu = 1500;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_IGMP;
    return ERR_OK;
}

static void init_done(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

static struct netif nif;
#if MCD_LWIP_IPV6
static struct netif nif2; /* another link: its link-local sources are not ours */
#endif

#if MCD_LWIP_IPV6
/* nif2, another link, with the link-local address fe80::7. */
static struct netif *add_second_link(void)
{
    ip6_addr_t ll2;
    s8_t i;

    if (netif_add(&nif2, NULL, NULL, NULL, NULL, nif_init, tcpip_input) ==
        NULL)
        return NULL;
    netif_set_link_up(&nif2);
    netif_set_up(&nif2);
    ip6addr_aton("fe80::7", &ll2);
    ip6_addr_assign_zone(&ll2, IP6_UNICAST, &nif2);
    if (netif_add_ip6_address(&nif2, &ll2, &i) != ERR_OK)
        return NULL;
    netif_ip6_addr_set_state(&nif2, i, IP6_ADDR_PREFERRED);
    return &nif2;
}
#endif

static int start_stack(void **state)
{
    sys_sem_t sem;
    ip4_addr_t ip, mask, gw;

    (void)state;
    if (sys_sem_new(&sem, 0) != ERR_OK)
        return -1;
    tcpip_init(init_done, &sem);
    sys_sem_wait(&sem);
    sys_sem_free(&sem);
    IP4_ADDR(&ip, 198, 18, 0, 1);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    LOCK_TCPIP_CORE();
    struct netif *ok = netif_add(&nif, &ip, &mask, &gw, NULL, nif_init,
                                 tcpip_input);
    if (ok != NULL) {
        netif_set_link_up(&nif);
        netif_set_up(&nif);
#if MCD_LWIP_IPV6
        /* A link-local address to send from, valid at once (no DAD). */
        netif_create_ip6_linklocal_address(&nif, 0);
        netif_ip6_addr_set_state(&nif, 0, IP6_ADDR_PREFERRED);
        ok = add_second_link();
#endif
    }
    UNLOCK_TCPIP_CORE();
    return ok != NULL ? 0 : -1;
}

static void open_one(mcd_lwip_responder *r)
{
    mcd_lwip_config cfg = {.now = fake_now, .random = fake_random};

    mcd_responder_opts_init(&cfg.opts);
    cfg.if_addr = lwip_htonl(0xc6120001u); /* 198.18.0.1 */
    cfg.if_netmask = lwip_htonl(0xffffff00u);
    assert_int_equal(mcd_lwip_responder_open(r, &cfg), 0);
}

/* Nothing waiting is no error; a socket that failed is the caller's to
 * know, as mcd_responder_process() tells it (it used to return 0). */
static void process_reports_a_failed_socket(void **state)
{
    static mcd_lwip_responder r;

    (void)state;
    open_one(&r);
    assert_int_equal(mcd_lwip_responder_process(&r), 0);
    assert_int_equal(mcd_lwip_responder_timeout(&r), -1);
    assert_int_equal(mcd_lwip_responder_answered(&r), 0);
    assert_int_equal(lwip_close(mcd_lwip_responder_fd(&r)), 0);
    assert_int_equal(mcd_lwip_responder_process(&r), -EBADF);
}

/* The options every layer shares reach the port: an IPv6 group is
 * refused (IPv4 only), a group that is no group too. */
static void options_checked(void **state)
{
    static mcd_lwip_responder r;
    mcd_lwip_config cfg = {.now = fake_now, .random = fake_random};

    (void)state;
    mcd_responder_opts_init(&cfg.opts);
    cfg.opts.group = "ff02::1";
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), MCD_E_UNSUPPORTED);
    cfg.opts.group = "198.18.0.9";
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), MCD_E_NOTMCAST);
    /* As strict as mcd_addr_parse(), though lwIP's parser reads it. */
    static const char *const loose[] = {"232.010.11.12", "232.10.11",
                                        "0xe80a0b0c", "232.10.11.12 ",
                                        "", "232.10.11.12.1"};
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        cfg.opts.group = loose[i];
        assert_int_equal(mcd_lwip_responder_open(&r, &cfg), MCD_E_BADADDR);
    }
    cfg.opts.group = NULL;
    cfg.now = NULL;
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), MCD_E_INVAL);
}

/* --allow-from as the firmware's Kconfig gives it: one comma-separated
 * string, parsed when the port opens; a bad prefix stops it with why. */
static void allow_from_string(void **state)
{
    static mcd_lwip_responder r;
    mcd_lwip_config cfg = {.now = fake_now, .random = fake_random};
    static const char *const bad[] = {"10.20.0.0/16,10.1.2.3/8"};
    static const char *const good[] = {"10.20.0.0/16,2001:db8:20::/48"};

    (void)state;
    mcd_responder_opts_init(&cfg.opts);
    cfg.if_addr = lwip_htonl(0xc6120001u); /* 198.18.0.1 */
    cfg.if_netmask = lwip_htonl(0xffffff00u);
    cfg.opts.allow_from = bad;
    cfg.opts.n_allow_from = 1;
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), MCD_E_PREFIXHOST);
    cfg.opts.allow_from = good;
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    mcd_lwip_responder_close(&r);
}

/* A device's configuration: the defaults (lifetime: it announces), the
 * fake clock and random source, 198.18.0.1/24, an id. */
static void device_cfg(mcd_lwip_config *cfg)
{
    mcd_lwip_config_init(cfg);
    cfg->now = fake_now;
    cfg->random = fake_random;
    cfg->if_addr = lwip_htonl(0xc6120001u); /* 198.18.0.1 */
    cfg->if_netmask = lwip_htonl(0xffffff00u);
    cfg->has_id = true;
    memset(cfg->id, 0x42, sizeof cfg->id);
}

/* The counter of the announcement process() sends now. */
static uint64_t announced(mcd_lwip_responder *r)
{
    mcd_ext_announce a;

    sent_len = 0;
    assert_int_equal(mcd_lwip_responder_process(r), 0);
    assert_true(sent_len > 0);
    assert_int_equal(mcd_ext_announce_decode(sent, sent_len,
                                             strlen(MCD_DEFAULT_QUERY), &a),
                     0);
    assert_int_equal(a.kind, MCD_EXT_KIND_ANNOUNCE);
    return a.counter;
}

/* The announcements' counter grows across a reboot (boot + 1) after any
 * uptime: it used to be boot << 32 plus the milliseconds, which carry
 * into the boot word after 49.7 days (2^32 ms), so the first
 * announcement after the reboot was below the last one before, and keyed
 * watchers refused the device as a replay. */
static void counter_grows_across_reboots(void **state)
{
    static mcd_lwip_responder r;
    mcd_lwip_config cfg;
    uint64_t before, next, after;

    (void)state;
    device_cfg(&cfg);
    cfg.boot = 7;
    clock_us = ((UINT64_C(1) << 32) + 5000) * 1000; /* 2^32 ms + 5 s */
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    before = announced(&r);
    clock_us += 1000000; /* the burst's second copy, 1 s later */
    next = announced(&r);
    assert_true(next > before);
    mcd_lwip_responder_close(&r);
    /* Rebooted: the boot counter one more, the clock from 0. */
    cfg.boot = 8;
    clock_us = 2000000;
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    after = announced(&r);
    assert_true(after > next);
    assert_true(after >> 32 == 8); /* the boot word is the boot's */
    mcd_lwip_responder_close(&r);
}

#if MCD_LWIP_EXT_REPLY_MAX >= 1232
/* An announcement that cannot be made stops the open with why: it is the
 * query, the reply text, the TXT pairs and the MAC in one datagram, so a
 * reply room of 1232 bytes (Kconfig's largest) can hold a template whose
 * announcement would pass the extension's 1232 bytes. It used to open,
 * answer, and never announce, silently. (unit_lwip_port6 is built with
 * that room.) */
static void announcement_too_long_refused(void **state)
{
    static mcd_lwip_responder r;
    static char query[MCD_QUERY_MAX + 1];
    static char pairs[8][131];
    static const char *txt[8];
    mcd_lwip_config cfg;

    (void)state;
    memset(query, 'q', MCD_QUERY_MAX);
    for (size_t i = 0; i < 8; i++) {
        memset(pairs[i], 'v', 130);
        memcpy(pairs[i], "k0=", 3);
        pairs[i][1] = (char)('0' + i);
        txt[i] = pairs[i];
    }
    device_cfg(&cfg);
    cfg.opts.txt = txt;
    cfg.opts.ntxt = 8; /* the template: 61 + 8 x 133 = 1125 bytes, fits */
    cfg.opts.query = query; /* the announcement: 512 + 1128 > 1232 */
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), MCD_E_TOOLONG);
    assert_int_equal(mcd_lwip_responder_fd(&r), -1);
    /* The chapter's query: the announcement fits, and is sent. */
    cfg.opts.query = NULL;
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    sent_len = 0;
    assert_int_equal(mcd_lwip_responder_process(&r), 0);
    assert_true(sent_len > 1100);
    mcd_lwip_responder_close(&r);
}
#endif

#if MCD_LWIP_IPV6
/* IPv6 (built with MCD_LWIP_IPV6: unit_lwip_port6): the group is one of
 * link-local scope, without a zone; the socket opens and joins it on the
 * netif, and closes with the responder. */
static void ipv6_group(void **state)
{
    static mcd_lwip_responder r;
    mcd_lwip_config cfg = {.now = fake_now, .random = fake_random};
    static const struct {
        const char *group;
        int err;
    } bad[] = {
        {"ff02::e80a:b0c%1", MCD_E_BADADDR},
        {"232.10.11.12", MCD_E_BADADDR},
        {"ff02::e80a:b0c ", MCD_E_BADADDR},
        {"fe80::1", MCD_E_NOTMCAST},
        {"ff05::e80a:b0c", MCD_E_UNSUPPORTED}, /* site scope */
    };

    (void)state;
    mcd_responder_opts_init(&cfg.opts);
    cfg.if_addr = lwip_htonl(0xc6120001u); /* 198.18.0.1 */
    cfg.if_netmask = lwip_htonl(0xffffff00u);
    cfg.if6_index = netif_get_index(&nif);
    cfg.if6_addr[0] = 0xfe;
    cfg.if6_addr[1] = 0x80;
    cfg.if6_addr[15] = 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.group6 = bad[i].group;
        assert_int_equal(mcd_lwip_responder_open(&r, &cfg), bad[i].err);
    }
    cfg.group6 = "";
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    assert_int_equal(mcd_lwip_responder_fd6(&r), -1); /* IPv4 only */
    mcd_lwip_responder_close(&r);
    cfg.group6 = "ff02::e80a:b0c";
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    assert_true(mcd_lwip_responder_fd6(&r) >= 0);
    assert_true(mcd_lwip_responder_fd6(&r) != mcd_lwip_responder_fd(&r));
    assert_int_equal(mcd_lwip_responder_process(&r), 0);
    mcd_lwip_responder_close(&r);
    assert_int_equal(mcd_lwip_responder_fd6(&r), -1);
}

#define G6 "ff02::e80a:b0c"

/* A netif receives an IPv6 UDP datagram from src (a link-local one is
 * given the netif as zone by lwIP) to dst:3333, checksum right. */
static void inject6_to(struct netif *in, const char *src, const char *dst,
                       const void *data, size_t len)
{
    uint8_t pkt[48 + 64];
    size_t ulen = 8 + len, i;
    ip6_addr_t a;
    uint32_t sum = 17 + (uint32_t)ulen;
    struct pbuf *p;

    assert_true(len <= 64);
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x60;
    pkt[4] = (uint8_t)(ulen >> 8);
    pkt[5] = (uint8_t)ulen;
    pkt[6] = 17;  /* UDP */
    pkt[7] = 255; /* hop limit */
    assert_true(ip6addr_aton(src, &a));
    memcpy(pkt + 8, a.addr, 16);
    assert_true(ip6addr_aton(dst, &a));
    memcpy(pkt + 24, a.addr, 16);
    pkt[40] = 5000 >> 8, pkt[41] = 5000 & 0xff;
    pkt[42] = 3333 >> 8, pkt[43] = 3333 & 0xff;
    pkt[44] = pkt[4], pkt[45] = pkt[5];
    memcpy(pkt + 48, data, len);
    /* RFC 8200 section 8.1: the pseudo-header, then the datagram. */
    for (i = 8; i < 40 + ulen; i += 2)
        sum += (uint32_t)pkt[i] << 8 | pkt[i + 1]; /* pkt[] zero past it */
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    pkt[46] = (uint8_t)(sum >> 8);
    pkt[47] = (uint8_t)sum;
    p = pbuf_alloc(PBUF_RAW, (u16_t)(40 + ulen), PBUF_RAM);
    assert_non_null(p);
    assert_int_equal(pbuf_take(p, pkt, (u16_t)(40 + ulen)), ERR_OK);
    assert_int_equal(in->input(p, in), ERR_OK);
}

/* From src to the group, on the station's netif. */
static void inject6(const char *src, const void *data, size_t len)
{
    inject6_to(&nif, src, G6, data, len);
}

/* Wait until the IPv6 socket has it, then let the responder work. */
static void process6(mcd_lwip_responder *r)
{
    struct pollfd pfd = {.fd = mcd_lwip_responder_fd6(r), .events = POLLIN};

    assert_int_equal(lwip_poll(&pfd, 1, 2000), 1);
    assert_int_equal(mcd_lwip_responder_process(r), 0);
}

/* Who is answered on the IPv6 socket: a link-local source on the netif;
 * not a global source (off the link for an address that is link-local
 * only, even on the same wire), nor the station's own address, nor a
 * link-local source on another netif. */
static void ipv6_link_local_sources(void **state)
{
    static mcd_lwip_responder r;
    static const char q[] = MCD_DEFAULT_QUERY;
    mcd_lwip_config cfg = {.now = fake_now, .random = fake_random};
    ip6_addr_t me;

    (void)state;
    mcd_responder_opts_init(&cfg.opts);
    cfg.opts.delay_max_ms = 0; /* answered, or not, at once */
    cfg.if_addr = lwip_htonl(0xc6120001u); /* 198.18.0.1 */
    cfg.if_netmask = lwip_htonl(0xffffff00u);
    cfg.group6 = G6;
    cfg.if6_index = netif_get_index(&nif);
    assert_true(ip6addr_aton("fe80::1", &me));
    memcpy(cfg.if6_addr, me.addr, sizeof cfg.if6_addr);
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    inject6("2001:db8::5", q, sizeof q - 1);
    process6(&r);
    assert_int_equal(mcd_lwip_responder_ignored(&r, MCD_IGNORE_OFF_LINK), 1);
    inject6("fe80::1", q, sizeof q - 1);
    process6(&r);
    assert_int_equal(mcd_lwip_responder_ignored(&r, MCD_IGNORE_LOCAL_SOURCE), 1);
    sent6_len = 0;
    inject6("fe80::5", q, sizeof q - 1);
    process6(&r);
    /* Answered by unicast to the querier's link-local address and port. */
    assert_int_equal(mcd_lwip_responder_ignored(&r, MCD_IGNORE_OFF_LINK), 1);
    assert_int_equal(mcd_lwip_responder_answered(&r), 1);
    assert_true(ip6addr_aton("fe80::5", &me));
    assert_memory_equal(sent6_to, me.addr, 16);
    assert_int_equal(sent6_port, 5000);
    assert_int_equal(sent6_len, 30);
    assert_memory_equal(sent6, "ESP32-C3 Smart Light https 443", 30);
    /* A link-local source on another netif (its zone): off the link. */
    inject6_to(&nif2, "fe80::5", "fe80::7", q, sizeof q - 1);
    process6(&r);
    assert_int_equal(mcd_lwip_responder_ignored(&r, MCD_IGNORE_OFF_LINK), 2);
    assert_int_equal(mcd_lwip_responder_answered(&r), 1);
    mcd_lwip_responder_close(&r);
}

/* Announcements go to both groups: the same bytes, on the IPv6 one by the
 * station's netif. */
static void ipv6_announcements(void **state)
{
    static mcd_lwip_responder r;
    mcd_lwip_config cfg;
    ip6_addr_t g;

    (void)state;
    device_cfg(&cfg);
    cfg.group6 = G6;
    cfg.if6_index = netif_get_index(&nif);
    clock_us = 100000000;
    assert_int_equal(mcd_lwip_responder_open(&r, &cfg), 0);
    sent6_len = 0;
    uint64_t c = announced(&r); /* the IPv4 copy */
    assert_true(ip6addr_aton(G6, &g));
    assert_memory_equal(sent6_to, g.addr, 16);
    assert_int_equal(sent6_port, 3333);
    assert_int_equal(sent6_len, sent_len);
    assert_memory_equal(sent6, sent, sent_len);
    assert_true(c > 0);
    mcd_lwip_responder_close(&r);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(process_reports_a_failed_socket),
        cmocka_unit_test(options_checked),
        cmocka_unit_test(allow_from_string),
        cmocka_unit_test(counter_grows_across_reboots),
#if MCD_LWIP_EXT_REPLY_MAX >= 1232
        cmocka_unit_test(announcement_too_long_refused),
#endif
#if MCD_LWIP_IPV6
        cmocka_unit_test(ipv6_group),
        cmocka_unit_test(ipv6_link_local_sources),
        cmocka_unit_test(ipv6_announcements),
#endif
    };
    return cmocka_run_group_tests(tests, start_stack, NULL);
}
