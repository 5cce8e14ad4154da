/*
 * notify.c - readiness for systemd, when built with libsystemd (optional:
 * without it the service runs as Type=simple would, see dist/systemd/).
 */
#include "notify.h"

#ifdef MCD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void cli_notify(const char *state)
{
    /* A failure to notify is systemd's to report (a start timeout). */
    (void)sd_notify(0, state);
}
#else
void cli_notify(const char *state)
{
    (void)state;
}
#endif
