/*
 * mcdisc_app.c - the discovery responder's task and how it follows the
 * network: the same code on every board (board.h).
 *
 * One task owns the responder; nothing else touches it. Event handlers run
 * in the event loop's task, so they only post the newest network state into
 * a one-slot mailbox (xQueueOverwrite: a burst of events leaves the last
 * one). The task reads it between polls and closes the responder, then opens
 * it again on the new address and netmask: the on-link rule and the
 * membership belong to an address, so a DHCP renewal into another subnet
 * must not keep the old ones. Without an address it waits, closed.
 *
 * IPv6 (CONFIG_MCDISC_IPV6): when the station has a link-local address
 * (IP_EVENT_GOT_IP6, esp_netif_get_ip6_linklocal) the responder answers
 * there too, on CONFIG_MCDISC_IPV6_GROUP; the same mailbox and reopen. The
 * IPv4 address is still what opens it.
 *
 * The live view (docs/PROTOCOL.md): every open and reopen announces the
 * device (the core's schedule, rate-limited across reopens), so a watcher
 * sees it on every IP_EVENT_STA_GOT_IP. No goodbye on a move or a loss:
 * by the time the event arrives the old address is gone (lwIP already
 * sends from the new one, or from none), and watchers see the move as an
 * update, the loss as an expiry after CONFIG_MCDISC_LIFETIME.
 * mcdisc_app_stop() says goodbye while the address is still there.
 */
#include "mcdisc_app.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "lwip/sockets.h"

#include "board.h"
#include "mcdisc_lwip.h"

/* The longest a new address waits to be seen while the responder is open,
 * and the pause before a failed open is tried again. */
#define MCDISC_APP_POLL_MS 100
#define MCDISC_APP_RETRY_MS 1000

static const char *TAG = "mcdisc";

/* What the network is now: an address to answer on, or none; the
 * station's MAC, for the extension's id. stop: a clean stop (goodbye). */
typedef struct net_state {
    bool up;
    bool stop;
    uint32_t addr;    /* network order */
    uint32_t netmask; /* network order */
    bool has_mac;
    uint8_t mac[6];
#if MCD_LWIP_IPV6
    bool has_ll;
    esp_ip6_addr_t ll; /* the station's link-local address */
    uint8_t ll_index;  /* its lwIP netif index */
#endif
} net_state;

static QueueHandle_t s_mailbox;

static mcd_time now_us(void)
{
    return (mcd_time)esp_timer_get_time();
}

static void post(const net_state *st)
{
    if (s_mailbox != NULL)
        xQueueOverwrite(s_mailbox, st);
}

#if MCD_LWIP_IPV6
/* The station's link-local address, once valid (after its DAD). */
static void link_local(esp_netif_t *netif, net_state *st)
{
    int index = esp_netif_get_netif_impl_index(netif);

    st->has_ll = index > 0 && index <= 255 &&
                 esp_netif_get_ip6_linklocal(netif, &st->ll) == ESP_OK;
    st->ll_index = st->has_ll ? (uint8_t)index : 0;
}

/* A new IPv6 address: the whole state again, if IPv4 is up (else the
 * responder stays closed, and nothing changes). */
static bool got_ip6(ip_event_got_ip6_t *e, net_state *st)
{
    esp_netif_ip_info_t info;

    if (esp_netif_ip6_get_addr_type(&e->ip6_info.ip) !=
            ESP_IP6_ADDR_IS_LINK_LOCAL ||
        !esp_netif_is_netif_up(e->esp_netif) ||
        esp_netif_get_ip_info(e->esp_netif, &info) != ESP_OK ||
        info.ip.addr == 0)
        return false;
    st->up = true;
    st->addr = info.ip.addr;
    st->netmask = info.netmask.addr;
    st->has_mac = esp_netif_get_mac(e->esp_netif, st->mac) == ESP_OK;
    link_local(e->esp_netif, st);
    return true;
}
#endif

static void on_ip_event(void *arg, esp_event_base_t base, int32_t id,
                        void *data)
{
    net_state st = {.up = false};

    (void)arg;
    (void)base;
    if (id == IP_EVENT_STA_GOT_IP) {
        const ip_event_got_ip_t *e = data;

        st.up = true;
        st.addr = e->ip_info.ip.addr;
        st.netmask = e->ip_info.netmask.addr;
        st.has_mac = esp_netif_get_mac(e->esp_netif, st.mac) == ESP_OK;
#if MCD_LWIP_IPV6
        link_local(e->esp_netif, &st);
#endif
    }
#if MCD_LWIP_IPV6
    if (id == IP_EVENT_GOT_IP6 && !got_ip6(data, &st))
        return;
#endif
    post(&st);
}

void mcdisc_app_link_down(void)
{
    net_state st = {.up = false};

    post(&st);
}

void mcdisc_app_stop(void)
{
    net_state st = {.up = false, .stop = true};

    post(&st);
}

/* First open, or reopen keeping the announcements' rate limit and
 * counter. */
static int open_responder(mcd_lwip_responder *r, const net_state *st)
{
    static bool opened;
    mcd_lwip_config cfg;

    mcd_lwip_config_init(&cfg); /* the limits every layer uses */
    cfg.if_addr = st->addr;
    cfg.if_netmask = st->netmask;
    cfg.now = now_us;
    cfg.random = esp_random; /* the hardware RNG */
    cfg.boot = board_boot_count();
    cfg.opts.group = CONFIG_MCDISC_GROUP;
    cfg.opts.port = CONFIG_MCDISC_PORT;
    cfg.opts.name = CONFIG_MCDISC_NAME;
    cfg.opts.proto = CONFIG_MCDISC_PROTO;
    cfg.opts.service_port = CONFIG_MCDISC_SERVICE_PORT;
    cfg.opts.delay_max_ms = CONFIG_MCDISC_DELAY_MAX_MS;
#if CONFIG_MCDISC_EXTENSION
    /* The extension: the EUI-64 of the station's MAC as the id (stable
     * across restarts and addresses), the TXT pair of Kconfig. */
    static const char *const txt[] = {CONFIG_MCDISC_TXT};

    if (st->has_mac) {
        mcd_ext_id_from_mac(st->mac, cfg.id);
        cfg.has_id = true;
    }
    if (CONFIG_MCDISC_TXT[0] != '\0') {
        cfg.opts.txt = txt;
        cfg.opts.ntxt = 1;
    }
    cfg.opts.lifetime = CONFIG_MCDISC_LIFETIME;
#endif
#if CONFIG_MCDISC_ROUTED
    /* Routed clients' prefixes, comma-separated: the core parses them. */
    static const char *const allow_from[] = {CONFIG_MCDISC_ALLOW_FROM};
    if (allow_from[0][0] != '\0') {
        cfg.opts.allow_from = allow_from;
        cfg.opts.n_allow_from = 1;
    }
#endif
#if MCD_LWIP_IPV6
    if (st->has_ll && CONFIG_MCDISC_IPV6_GROUP[0] != '\0') {
        cfg.group6 = CONFIG_MCDISC_IPV6_GROUP;
        memcpy(cfg.if6_addr, st->ll.addr, sizeof cfg.if6_addr);
        cfg.if6_index = st->ll_index;
    }
#endif
    int err = opened ? mcd_lwip_responder_reopen(r, &cfg)
                     : mcd_lwip_responder_open(r, &cfg);

    opened = true;
#if MCD_LWIP_IPV6
    if (err < 0 && cfg.group6 != NULL) {
        /* Refused with IPv6 (the group, the join, or anything else): try
         * IPv4 alone, which says the error again if it was not IPv6's. */
        ESP_LOGW(TAG, "with IPv6: %s; trying IPv4 only", mcd_strerror(err));
        cfg.group6 = NULL;
        err = mcd_lwip_responder_reopen(r, &cfg);
    }
#endif
    return err;
}

/* A clean stop, the address still there: the goodbyes (2, 100 ms apart),
 * waited for at most a second. */
static void say_goodbye(mcd_lwip_responder *r)
{
    mcd_lwip_responder_stop(r);
    for (int i = 0; i < 20 && !mcd_lwip_responder_stopped(r); i++) {
        vTaskDelay(pdMS_TO_TICKS(50));
        (void)mcd_lwip_responder_process(r);
    }
    ESP_LOGI(TAG, "said goodbye");
}

static void log_state(const char *what, const net_state *st)
{
    esp_ip4_addr_t a = {.addr = st->addr}, m = {.addr = st->netmask};

    ESP_LOGI(TAG, "%s " IPSTR " mask " IPSTR, what, IP2STR(&a), IP2STR(&m));
}

/* Apply the newest state: close, then open on the new address. Returns
 * whether the responder is open. */
static bool follow(mcd_lwip_responder *r, bool open, const net_state *st)
{
    int err;

    if (open) {
        if (st->stop)
            say_goodbye(r);
        mcd_lwip_responder_close(r);
        ESP_LOGI(TAG, "closed (answered %llu so far)",
                 (unsigned long long)mcd_lwip_responder_answered(r));
    }
    if (!st->up) {
        ESP_LOGI(TAG, "%s", st->stop ? "stopped" : "paused: no address");
        return false;
    }
    err = open_responder(r, st);
    if (err < 0) {
        ESP_LOGE(TAG, "responder: %s", mcd_strerror(err));
        return false;
    }
#if CONFIG_MCDISC_EXTENSION
    if (st->has_mac) {
        uint8_t id[MCD_EXT_ID_LEN];
        char text[17];

        mcd_ext_id_from_mac(st->mac, id);
        mcd_ext_id_format(id, text);
        ESP_LOGI(TAG, "extension: id %s", text);
    }
#endif
    log_state("answering on " CONFIG_MCDISC_GROUP " from", st);
#if MCD_LWIP_IPV6
    if (mcd_lwip_responder_fd6(r) >= 0)
        ESP_LOGI(TAG, "answering on " CONFIG_MCDISC_IPV6_GROUP " from " IPV6STR
                 " netif %u", IPV62STR(st->ll), (unsigned)st->ll_index);
#endif
    return true;
}

/* Wait for a query or a reply that is due, at most MCDISC_APP_POLL_MS, then
 * let the responder work. Returns false when its socket failed. */
static bool serve(mcd_lwip_responder *r)
{
    struct pollfd pfd[1 + MCD_LWIP_IPV6] = {
        {.fd = mcd_lwip_responder_fd(r), .events = POLLIN},
    };
    int ms = mcd_lwip_responder_timeout(r), err;

#if MCD_LWIP_IPV6
    /* -1 when IPv6 is off: lwIP's poll skips it. */
    pfd[1].fd = mcd_lwip_responder_fd6(r);
    pfd[1].events = POLLIN;
#endif
    if (ms < 0 || ms > MCDISC_APP_POLL_MS)
        ms = MCDISC_APP_POLL_MS;
    lwip_poll(pfd, 1 + MCD_LWIP_IPV6, ms);
    err = mcd_lwip_responder_process(r);
    if (err < 0) {
        ESP_LOGE(TAG, "socket: %s; opening it again", mcd_strerror(err));
        mcd_lwip_responder_close(r);
        return false;
    }
    return true;
}

#if MCD_LWIP_IPV6
/* Nothing that the responder depends on differs. */
static bool same_net(const net_state *a, const net_state *b)
{
    return a->up == b->up && a->stop == b->stop && a->addr == b->addr &&
           a->netmask == b->netmask && a->has_mac == b->has_mac &&
           memcmp(a->mac, b->mac, sizeof a->mac) == 0 &&
           a->has_ll == b->has_ll && a->ll_index == b->ll_index &&
           memcmp(a->ll.addr, b->ll.addr, sizeof a->ll.addr) == 0;
}
#endif

static void responder_task(void *arg)
{
    static mcd_lwip_responder r; /* static: no heap; this task's alone */
    net_state st = {.up = false};
    bool open = false;
#if MCD_LWIP_IPV6
    net_state cur = st; /* what the responder is open on */
#endif

    (void)arg;
    for (;;) {
        /* Open: look at the mailbox between polls. Closed with an address
         * (a failed open): try again after a pause. Else: sleep. */
        TickType_t wait = open ? 0
                          : st.up ? pdMS_TO_TICKS(MCDISC_APP_RETRY_MS)
                                  : portMAX_DELAY;

        if (xQueueReceive(s_mailbox, &st, wait) == pdTRUE ||
            (!open && st.up)) {
#if MCD_LWIP_IPV6
            /* With IPv6 one network brings two events (IP_EVENT_STA_GOT_IP
             * and IP_EVENT_GOT_IP6, either first): the second, changing
             * nothing, must not reopen, since a reopen announces again and
             * the announcements' rate limit (a burst per 10 s) would hold
             * back those of the next real move. */
            if (open && same_net(&st, &cur))
                continue;
            cur = st;
#endif
            open = follow(&r, open, &st);
            continue;
        }
        if (open)
            open = serve(&r);
    }
}

void mcdisc_app_start(void)
{
    if (s_mailbox != NULL)
        return;
    s_mailbox = xQueueCreate(1, sizeof(net_state));
    if (s_mailbox == NULL) {
        ESP_LOGE(TAG, "no memory for the mailbox");
        return;
    }
    ESP_ERROR_CHECK(esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP,
                                               on_ip_event, NULL));
    ESP_ERROR_CHECK(esp_event_handler_register(IP_EVENT, IP_EVENT_STA_LOST_IP,
                                               on_ip_event, NULL));
#if MCD_LWIP_IPV6
    ESP_ERROR_CHECK(esp_event_handler_register(IP_EVENT, IP_EVENT_GOT_IP6,
                                               on_ip_event, NULL));
#endif
    xTaskCreate(responder_task, "mcdisc", 4096, NULL, 5, NULL);
}
