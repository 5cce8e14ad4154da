/*
 * mcdisc_lwip.h - the mcdisc responder on lwIP's socket API, for devices
 * (the ESP32-C3's stack) and for lwIP's unix port on a host.
 *
 * The protocol core (src/core) is the same code as on Linux; this port only
 * replaces the socket layer. Everything lives in a struct the caller owns
 * (static memory on a device): no heap.
 *
 * What lwIP cannot do, and this port therefore refuses with
 * MCD_E_UNSUPPORTED: joins by interface index (MCAST_JOIN_GROUP: lwIP joins
 * by interface address, as the chapter does), source-specific joins, and
 * SO_REUSEPORT. Without IP_PKTINFO (LWIP_NETBUF_RECVINFO) the destination of
 * a datagram is unknown, so the "sent to the group" check is left out, and
 * the on-link check uses the configured address and netmask.
 */
#ifndef MCDISC_LWIP_H
#define MCDISC_LWIP_H

#include "mcdisc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mcd_lwip_config {
    /* What every socket layer's responder takes (mcdisc/core.h); start
     * from mcd_responder_opts_init(). The group must be IPv4. */
    mcd_responder_opts opts;
    uint32_t if_addr;      /* the station's IPv4 address, network order */
    uint32_t if_netmask;   /* its netmask, network order */
    bool source_specific;  /* asks for an SSM join: unsupported */
    bool reuse_port;       /* asks for SO_REUSEPORT: unsupported */
    mcd_time (*now)(void);   /* microseconds, monotonic (esp_timer) */
    uint32_t (*random)(void); /* a real random source (esp_random) */
    /* The extension's instance id (opts.id, as text, wins): on a device
     * the EUI-64 of its MAC (mcd_ext_id_from_mac). Without either, only
     * the chapter's exchange is answered. TXT pairs: opts.txt. */
    bool has_id;
    uint8_t id[MCD_EXT_ID_LEN];
} mcd_lwip_config;

/* Room for the extended reply: its text, header, id and TXT pairs. */
#ifndef MCD_LWIP_EXT_REPLY_MAX
#define MCD_LWIP_EXT_REPLY_MAX 512
#endif

/* Caller-owned state (static memory on a device), all in priv_: use the
 * functions below. */
typedef struct mcd_lwip_responder {
    struct {
        int fd;
        mcd_rcore core;
        mcd_lwip_config cfg;
        uint32_t group_addr; /* network order */
        uint8_t query[MCD_QUERY_MAX];
        uint8_t reply[MCD_REPLY_MAX];
        uint8_t ext_reply[MCD_LWIP_EXT_REPLY_MAX];
        /* Any query up to the longest extended one, and one byte to see a
         * longer datagram; the reply to send is written here too. */
        uint8_t rx[MCD_EXT_MAX + 1];
    } priv_;
} mcd_lwip_responder;

/* Create the socket, bind 0.0.0.0:port, join the group on if_addr.
 * Returns 0, a negative MCD_E_* (MCD_E_UNSUPPORTED for the options lwIP
 * lacks), or -errno of the socket call that failed. */
int mcd_lwip_responder_open(mcd_lwip_responder *r, const mcd_lwip_config *cfg);
/* The lwIP socket to wait on (lwip_select/lwip_poll). */
int mcd_lwip_responder_fd(const mcd_lwip_responder *r);
/* Milliseconds until process() must run again; -1: only on input. */
int mcd_lwip_responder_timeout(const mcd_lwip_responder *r);
/* Read what waits (non-blocking) and send what is due. Returns 0, or
 * -errno when the socket itself failed (as mcd_responder_process). */
int mcd_lwip_responder_process(mcd_lwip_responder *r);
/* Replies lwIP accepted so far (see mcd_rcore_answered). */
uint64_t mcd_lwip_responder_answered(const mcd_lwip_responder *r);
/* Datagrams ignored, and replies lost, for reason `why`
 * (MCD_IGNORE_SEND_FAILED: no ARP entry yet, no pbuf). */
uint64_t mcd_lwip_responder_ignored(const mcd_lwip_responder *r,
                                    enum mcd_ignore why);
/* Close the socket (the membership goes with it). */
void mcd_lwip_responder_close(mcd_lwip_responder *r);

#ifdef __cplusplus
}
#endif

#endif
