/*
 * board_linux.c - the network on ESP-IDF's linux target: lwIP on the TAP
 * device tap0 through ESP-IDF's own glue (protocol_examples_tapif_io), with
 * the static address of sdkconfig (CONFIG_EXAMPLE_CONNECT_TAPIF_*). There is
 * no Wi-Fi driver here, so this file posts what a station's netif would:
 * IP_EVENT_STA_GOT_IP once the address is set, IP_EVENT_STA_LOST_IP when
 * the link goes. With CONFIG_EXAMPLE_CONNECT_IPV6 it also gives the netif
 * its IPv6 link-local address whenever the link comes up (ESP-IDF's TAP
 * glue leaves that to the application, as a Wi-Fi station does on
 * WIFI_EVENT_STA_CONNECTED); esp_netif posts IP_EVENT_GOT_IP6 once it is
 * valid.
 *
 * For tests only, when MCDISC_EXAMPLE_CONTROL names a file, lines appended
 * to it act as the network would on a device:
 *   addr IP NETMASK GW   esp_netif_set_ip_info(), as a DHCP renewal into
 *                        another subnet; then IP_EVENT_STA_GOT_IP
 *   down                 the link drops (esp_netif_action_disconnected);
 *                        IP_EVENT_STA_LOST_IP
 *   up                   the link is back (esp_netif_action_connected), the
 *                        same address again; IP_EVENT_STA_GOT_IP (and a
 *                        new link-local address, as below)
 * The linux target is a host program, so it logs to stdout (line-buffered
 * for whoever reads the log) and supplies esp_timer_get_time() itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esp_err.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "protocol_examples_common.h"

#include "board.h"
#include "mcdisc_app.h"

#define CONTROL_POLL_MS 20

static const char *TAG = "board";
static esp_netif_t *s_netif;

/* ESP-IDF v5.x builds esp_timer for linux as headers only. */
int64_t esp_timer_get_time(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A link-local address on the link that just came up (esp_netif drops
 * the IPv6 addresses when the link goes down). */
static void link_local(void)
{
#if CONFIG_EXAMPLE_CONNECT_IPV6
    ESP_ERROR_CHECK(esp_netif_create_ip6_linklocal(s_netif));
#endif
}

/* CONFIG_EXAMPLE_CONNECT_IPV6: "wait until it's valid", as a station's
 * first lease usually comes after its link-local address (DHCP is slower
 * than DAD). At most 5 s, then IPv4 only until IP_EVENT_GOT_IP6. */
static void link_local_wait(void)
{
#if CONFIG_EXAMPLE_CONNECT_IPV6
    esp_ip6_addr_t ll;

    for (int i = 0; i < 5000 / CONTROL_POLL_MS; i++) {
        if (esp_netif_get_ip6_linklocal(s_netif, &ll) == ESP_OK)
            return;
        vTaskDelay(pdMS_TO_TICKS(CONTROL_POLL_MS));
    }
    ESP_LOGW(TAG, "no valid IPv6 link-local address after 5 s");
#endif
}

/* What the station's netif posts when it has an address. */
static void post_got_ip(void)
{
    ip_event_got_ip_t e = {.esp_netif = s_netif};

    ESP_ERROR_CHECK(esp_netif_get_ip_info(s_netif, &e.ip_info));
    ESP_ERROR_CHECK(esp_event_post(IP_EVENT, IP_EVENT_STA_GOT_IP, &e,
                                   sizeof e, portMAX_DELAY));
}

static void set_addr(const char *args)
{
    char ip[16], mask[16], gw[16];
    esp_netif_ip_info_t info;

    if (sscanf(args, "%15s %15s %15s", ip, mask, gw) != 3 ||
        esp_netif_str_to_ip4(ip, &info.ip) != ESP_OK ||
        esp_netif_str_to_ip4(mask, &info.netmask) != ESP_OK ||
        esp_netif_str_to_ip4(gw, &info.gw) != ESP_OK) {
        ESP_LOGE(TAG, "control: bad addr line '%s'", args);
        return;
    }
    ESP_ERROR_CHECK(esp_netif_set_ip_info(s_netif, &info));
    ESP_LOGI(TAG, "control: address " IPSTR "/" IPSTR, IP2STR(&info.ip),
             IP2STR(&info.netmask));
    post_got_ip();
}

static void command(const char *line)
{
    if (strncmp(line, "addr ", 5) == 0) {
        set_addr(line + 5);
    } else if (strcmp(line, "down") == 0) {
        esp_netif_action_disconnected(s_netif, NULL, 0, NULL);
        ESP_LOGI(TAG, "control: link down");
        ESP_ERROR_CHECK(esp_event_post(IP_EVENT, IP_EVENT_STA_LOST_IP, NULL,
                                       0, portMAX_DELAY));
    } else if (strcmp(line, "up") == 0) {
        esp_netif_ip_info_t info;

        esp_netif_action_connected(s_netif, NULL, 0, NULL);
        ESP_ERROR_CHECK(esp_netif_get_ip_info(s_netif, &info));
        ESP_ERROR_CHECK(esp_netif_set_ip_info(s_netif, &info));
        ESP_LOGI(TAG, "control: link up");
        link_local();
        post_got_ip();
    } else if (strcmp(line, "stop") == 0) {
        ESP_LOGI(TAG, "control: stop");
        mcdisc_app_stop();
    } else {
        ESP_LOGE(TAG, "control: unknown line '%s'", line);
    }
}

/* A FreeRTOS task, so that esp_netif is called as on a device. The file is
 * polled, never waited on: a blocking read would stall the simulated CPU
 * (and <fcntl.h> is lwIP's own on this target, without O_NONBLOCK). */
static void control_task(void *arg)
{
    FILE *f = arg;
    char line[96];
    size_t n = 0;

    for (;;) {
        int c;

        while ((c = getc(f)) != EOF) {
            if (c != '\n') {
                if (n < sizeof line - 1)
                    line[n++] = (char)c;
                continue;
            }
            line[n] = '\0';
            n = 0;
            command(line);
        }
        clearerr(f); /* at the end for now: read what is appended later */
        vTaskDelay(pdMS_TO_TICKS(CONTROL_POLL_MS));
    }
}

static void control_start(void)
{
    const char *path = getenv("MCDISC_EXAMPLE_CONTROL");
    FILE *f;

    if (path == NULL)
        return;
    f = fopen(path, "r");
    if (f == NULL) {
        ESP_LOGE(TAG, "control: %s: %s", path, strerror(errno));
        abort();
    }
    xTaskCreate(control_task, "control", 4096, f, 4, NULL);
    ESP_LOGI(TAG, "control: reading %s", path);
}

void board_network_start(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ESP_ERROR_CHECK(example_connect()); /* esp_netif "TAP" on tap0 */
    s_netif = esp_netif_get_handle_from_ifkey("TAP");
    if (s_netif == NULL) {
        ESP_LOGE(TAG, "no TAP netif");
        abort();
    }
    control_start();
    link_local();
    link_local_wait();
    post_got_ip(); /* the static address: as a station's first lease */
}

/* No NVS in the linux target's bundle: the realtime clock's seconds grow
 * across restarts as a chip's boot counter does. */
uint32_t board_boot_count(void)
{
    return (uint32_t)time(NULL);
}
