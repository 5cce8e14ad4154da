/*
 * board.h - what differs between boards: how the network comes up.
 *
 * board_wifi.c: NVS and a Wi-Fi station on the chip. board_linux.c: ESP-IDF's
 * linux target, lwIP over a TAP device. Either way the board posts the
 * station's events (IP_EVENT_STA_GOT_IP, IP_EVENT_STA_LOST_IP) on the
 * default event loop, or calls mcdisc_app_link_down() when the link goes,
 * and mcdisc_app.c reacts to them the same way.
 */
#ifndef BOARD_H
#define BOARD_H

/* Bring the network up; the default event loop and esp_netif are
 * initialised. Returns once connecting has started: the address comes
 * later, as IP_EVENT_STA_GOT_IP. */
void board_network_start(void);

#endif
