/*
 * app_main.c - mcdisc's example firmware: answers discovery queries (the
 * chapter's, by default) on the station's address, and follows it when it
 * changes. The same on every board; board.h says what differs.
 */
#include "esp_err.h"
#include "esp_event.h"
#include "esp_netif.h"

#include "board.h"
#include "mcdisc_app.h"

void app_main(void)
{
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    /* Subscribed before the network starts: no first address is missed. */
    mcdisc_app_start();
    board_network_start();
}
