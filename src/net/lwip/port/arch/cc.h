/* cc.h - compiler and platform glue for the cross-compiled lwIP port. */
#ifndef MCD_LWIP_ARCH_CC_H
#define MCD_LWIP_ARCH_CC_H

#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { } while (0)

#endif
