/*
 * mcdisc.h - multicast discovery: libmcdisc's public interface, one header
 * per surface (c-ares style), all included here:
 *
 *   mcdisc/version.h  the version (MCD_VERSION_STRING, ...), generated
 *   mcdisc/core.h     values, the wire codec, the protocol cores: no
 *                     socket header, no heap; what the lwIP port includes
 *   mcdisc/posix.h    the POSIX layer: sockets around the cores
 *
 * One prefix (mcd_). Errors: functions return int, negative on failure.
 * OS failures are -errno; library failures come from the MCD_E_* block
 * (mcdisc/core.h). mcd_strerror() names either kind.
 */
#ifndef MCDISC_H
#define MCDISC_H

#include "mcdisc/version.h"
#include "mcdisc/core.h"
#include "mcdisc/posix.h"

#endif /* MCDISC_H */
