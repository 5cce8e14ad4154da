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

#include <stdint.h>

/* Bring the network up; the default event loop and esp_netif are
 * initialised. Returns once connecting has started: the address comes
 * later, as IP_EVENT_STA_GOT_IP. */
void board_network_start(void);

/* The high 32 bits of the announcements' counter (docs/PROTOCOL.md,
 * "Announcements and goodbyes"), which must grow across restarts so that
 * watchers do not take a new boot's announcements for replays. On a chip:
 * a boot counter in NVS, incremented once per boot. On the linux target
 * (no NVS in the bundle): the realtime clock in seconds. */
uint32_t board_boot_count(void);

#endif
