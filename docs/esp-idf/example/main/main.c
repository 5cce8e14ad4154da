/*
 * main.c - an ESP32-C3 firmware that answers mcdisc (and the chapter's)
 * discovery queries. Not built in this repository (no ESP-IDF in CI); see
 * docs/esp-idf/README.md.
 */
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "lwip/sockets.h"

#include "mcdisc_lwip.h"

static const char *TAG = "mcdisc";

static mcd_time now_us(void)
{
    return (mcd_time)esp_timer_get_time();
}

static void responder_task(void *arg)
{
    static mcd_lwip_responder r; /* static: no heap */
    esp_netif_ip_info_t ip;
    esp_netif_t *sta = esp_netif_get_handle_from_ifkey("WIFI_STA_DEF");

    (void)arg;
    /* Unlike the chapter, check that the station has an address. */
    if (sta == NULL || esp_netif_get_ip_info(sta, &ip) != ESP_OK ||
        ip.ip.addr == 0) {
        ESP_LOGE(TAG, "no IPv4 address on the station interface");
        vTaskDelete(NULL);
        return;
    }
    mcd_lwip_config cfg = {
        .if_addr = ip.ip.addr,
        .if_netmask = ip.netmask.addr,
        .now = now_us,
        .random = esp_random, /* the hardware RNG */
    };
    mcd_responder_opts_init(&cfg.opts); /* the limits every layer uses */
    cfg.opts.group = CONFIG_MCDISC_GROUP;
    cfg.opts.port = CONFIG_MCDISC_PORT;
    cfg.opts.name = CONFIG_MCDISC_NAME;
    cfg.opts.proto = CONFIG_MCDISC_PROTO;
    cfg.opts.service_port = CONFIG_MCDISC_SERVICE_PORT;
    cfg.opts.delay_max_ms = CONFIG_MCDISC_DELAY_MAX_MS;
    /* The extension's instance id: the EUI-64 of the station MAC, stable
     * for the life of the chip (docs/PROTOCOL.md, "The id"). */
    uint8_t mac[6];
    if (esp_read_mac(mac, ESP_MAC_WIFI_STA) == ESP_OK) {
        mcd_ext_id_from_mac(mac, cfg.id);
        cfg.has_id = true;
    }
    int err = mcd_lwip_responder_open(&r, &cfg);
    if (err < 0) {
        ESP_LOGE(TAG, "responder: %s", mcd_strerror(err));
        vTaskDelete(NULL);
        return;
    }
    ESP_LOGI(TAG, "answering on %s:%d", CONFIG_MCDISC_GROUP, CONFIG_MCDISC_PORT);
    for (;;) {
        struct pollfd pfd = {.fd = mcd_lwip_responder_fd(&r), .events = POLLIN};
        int ms = mcd_lwip_responder_timeout(&r);

        lwip_poll(&pfd, 1, ms < 0 ? 1000 : ms);
        err = mcd_lwip_responder_process(&r);
        if (err < 0) {
            ESP_LOGE(TAG, "socket: %s", mcd_strerror(err));
            break;
        }
    }
    mcd_lwip_responder_close(&r);
    vTaskDelete(NULL); /* a FreeRTOS task must not return */
}

/* Call once the station got its address (IP_EVENT_STA_GOT_IP). */
void mcdisc_start(void)
{
    xTaskCreate(responder_task, "mcdisc", 4096, NULL, 5, NULL);
}
