/*
 * mcdisc_app.h - the discovery responder's task, the same on every board.
 */
#ifndef MCDISC_APP_H
#define MCDISC_APP_H

/* Create the responder's task and subscribe it to IP_EVENT_STA_GOT_IP and
 * IP_EVENT_STA_LOST_IP. Call once, before the network starts; a second
 * call does nothing (one task owns the one responder). */
void mcdisc_app_start(void);

/* The link went (a Wi-Fi disconnect): stop answering until the next
 * IP_EVENT_STA_GOT_IP. Safe from an event handler. */
void mcdisc_app_link_down(void);

/* Stop cleanly (before a restart, an update): the responder says goodbye
 * while the address is still there, then closes until the next
 * IP_EVENT_STA_GOT_IP. Safe from any task. */
void mcdisc_app_stop(void);

#endif
