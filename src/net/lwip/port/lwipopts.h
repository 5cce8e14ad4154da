/*
 * lwipopts.h - the lwIP options the mcdisc port is cross-compiled against
 * (scripts/cross_size.sh): a device-like configuration, lwIP's own socket
 * definitions, IGMP on. On ESP-IDF the SDK's own lwipopts.h is used instead.
 */
#ifndef MCD_LWIPOPTS_H
#define MCD_LWIPOPTS_H

#define NO_SYS 0
#define LWIP_SOCKET 1
#define LWIP_NETCONN 1
#define LWIP_UDP 1
#define LWIP_TCP 0
#define LWIP_IGMP 1
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define SO_REUSE 1
#define LWIP_MULTICAST_TX_OPTIONS 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_EXTERNAL_HEADERS 0
#define LWIP_ERRNO_STDINCLUDE 1
#define MEM_ALIGNMENT 4

#endif
