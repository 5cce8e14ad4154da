/*
 * notify.h - tell systemd what the service is doing (Type=notify).
 */
#ifndef MCDISC_NOTIFY_H
#define MCDISC_NOTIFY_H

/* Send `state` ("READY=1\nSTATUS=...", "RELOADING=1", "STOPPING=1") to
 * the service manager through sd_notify(3): nothing when the program was
 * not started by one (no $NOTIFY_SOCKET) or was built without libsystemd. */
void cli_notify(const char *state);

#endif
