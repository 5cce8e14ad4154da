/*
 * test_lwip_port.c - the lwIP responder (src/net/lwip) on lwIP's unix
 * port, with a netif that sends nothing: what the socket layer reports
 * when its socket fails, and the wait it asks for. Traffic is tested in
 * the lab (tests/net/test_lwip.sh).
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

static mcd_time clock_us;

static mcd_time fake_now(void)
{
    return clock_us;
}

static uint32_t fake_random(void)
{
    return 7;
}

/* Everything the stack sends (the IGMP report) is dropped. */
static err_t drop(struct netif *nif, struct pbuf *p, const ip4_addr_t *to)
{
    (void)nif;
    (void)p;
    (void)to;
    return ERR_OK;
}

static err_t nif_init(struct netif *nif)
{
    nif->name[0] = 't';
    nif->name[1] = 'p';
    nif->output = drop;
    nif->mtu = 1500;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_IGMP;
    return ERR_OK;
}

static void init_done(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

static struct netif nif;

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(process_reports_a_failed_socket),
        cmocka_unit_test(options_checked),
        cmocka_unit_test(allow_from_string),
    };
    return cmocka_run_group_tests(tests, start_stack, NULL);
}
