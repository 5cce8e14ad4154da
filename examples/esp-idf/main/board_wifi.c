/*
 * board_wifi.c - the network on a chip (ESP32-C3 and the others with
 * Wi-Fi): NVS, then a station joining CONFIG_MCDISC_EXAMPLE_WIFI_SSID,
 * connecting again whenever the access point drops it. ESP-IDF's default
 * station netif posts IP_EVENT_STA_GOT_IP (DHCP) and IP_EVENT_STA_LOST_IP;
 * with CONFIG_MCDISC_IPV6 the station gets its IPv6 link-local address on
 * every connection (IP_EVENT_GOT_IP6 once it is valid).
 */
#include "esp_err.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_wifi.h"
#include "nvs.h"
#include "nvs_flash.h"

#include "board.h"
#include "mcdisc_app.h"

static const char *TAG = "board";
#if CONFIG_MCDISC_IPV6
static esp_netif_t *s_sta;
#endif

static void on_wifi_event(void *arg, esp_event_base_t base, int32_t id,
                          void *data)
{
    (void)arg;
    (void)base;
    if (id == WIFI_EVENT_STA_START) {
        esp_wifi_connect();
#if CONFIG_MCDISC_IPV6
    } else if (id == WIFI_EVENT_STA_CONNECTED) {
        /* esp_netif drops it on a disconnect: made again on each link. */
        if (esp_netif_create_ip6_linklocal(s_sta) != ESP_OK)
            ESP_LOGW(TAG, "no IPv6 link-local address");
#endif
    } else if (id == WIFI_EVENT_STA_DISCONNECTED) {
        const wifi_event_sta_disconnected_t *d = data;

        ESP_LOGW(TAG, "disconnected (reason %d); connecting again",
                 (int)d->reason);
        mcdisc_app_link_down(); /* before the address is declared lost */
        esp_wifi_connect();
    }
}

static void nvs_start(void)
{
    esp_err_t err = nvs_flash_init();

    /* A partition of another layout or version: start it afresh. */
    if (err == ESP_ERR_NVS_NO_FREE_PAGES ||
        err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);
}

/* Read, increment and store the boot counter once; later calls (each
 * reopen) get the same value. A failing NVS gives 0: the counter still
 * grows within the boot, and watchers forget a device after its lifetime. */
uint32_t board_boot_count(void)
{
    static bool done;
    static uint32_t boot;
    nvs_handle_t h;

    if (done)
        return boot;
    done = true;
    if (nvs_open("mcdisc", NVS_READWRITE, &h) != ESP_OK)
        return boot;
    if (nvs_get_u32(h, "boot", &boot) != ESP_OK)
        boot = 0;
    boot++;
    if (nvs_set_u32(h, "boot", boot) != ESP_OK || nvs_commit(h) != ESP_OK)
        ESP_LOGW(TAG, "boot counter not stored");
    nvs_close(h);
    return boot;
}

void board_network_start(void)
{
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    /* 32 and 64 bytes, NUL-terminated only when shorter: as the driver
     * reads them. */
    wifi_config_t wc = {
        .sta = {
            .ssid = CONFIG_MCDISC_EXAMPLE_WIFI_SSID,
            .password = CONFIG_MCDISC_EXAMPLE_WIFI_PASSWORD,
        },
    };

    nvs_start(); /* the Wi-Fi driver keeps its calibration there */
#if CONFIG_MCDISC_IPV6
    s_sta = esp_netif_create_default_wifi_sta();
#else
    esp_netif_create_default_wifi_sta();
#endif
    ESP_ERROR_CHECK(esp_wifi_init(&init));
    ESP_ERROR_CHECK(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID,
                                               on_wifi_event, NULL));
    wc.sta.threshold.authmode = CONFIG_MCDISC_EXAMPLE_WIFI_PASSWORD[0]
                                    ? WIFI_AUTH_WPA2_PSK
                                    : WIFI_AUTH_OPEN;
    ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
    ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &wc));
    ESP_ERROR_CHECK(esp_wifi_start());
    ESP_LOGI(TAG, "Wi-Fi station joining \"%s\"",
             CONFIG_MCDISC_EXAMPLE_WIFI_SSID);
}
