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
 * SO_REUSEPORT. With lwIP's IP_PKTINFO (LWIP_NETBUF_RECVINFO, ESP-IDF's
 * CONFIG_LWIP_NETBUF_RECVINFO) a query not sent to the group is refused;
 * without it the destination of a datagram is unknown and that check is
 * left out. An lwIP without SO_REUSE (CONFIG_LWIP_SO_REUSE=n) gets no
 * SO_REUSEADDR. The on-link check uses the configured address and netmask:
 * when the station's address changes, open the responder again
 * (mcd_lwip_responder_reopen; examples/esp-idf does it on every
 * IP_EVENT_STA_GOT_IP).
 *
 * IPv6 (MCD_LWIP_IPV6, below): the responder also answers on the station's
 * link-local address, queries sent to an IPv6 link-local-scope group
 * (docs/PROTOCOL.md: ff02::e80a:b0c) from a link-local source on the same
 * netif. lwIP reports no IPv6 destination, so that socket skips the
 * sent-to-the-group check, as an lwIP without IP_PKTINFO does.
 *
 * The live view (docs/PROTOCOL.md, "Live view and keys"): with an id and a
 * lifetime (opts.lifetime; mcd_lwip_config_init sets MCD_LIFETIME_DEFAULT)
 * every extended reply carries LIFETIME, and the responder announces itself
 * to the group on the core's schedule at every open and reopen (every new
 * address), rate-limited across reopens. mcd_lwip_responder_stop() says
 * goodbye while the address is still there; close() never sends (the link
 * may be gone). Keyed (opts.mac), announcements and goodbyes end with the
 * MAC TLV as replies do.
 */
#ifndef MCDISC_LWIP_H
#define MCDISC_LWIP_H

#include "mcdisc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IPv6 on the station's link-local address: compiled in only when asked
 * (the ESP-IDF component: CONFIG_MCDISC_IPV6 with CONFIG_LWIP_IPV6), so
 * that an IPv4-only device carries none of it. Needs lwIP's LWIP_IPV6 and
 * LWIP_IPV6_MLD. */
#ifndef MCD_LWIP_IPV6
#define MCD_LWIP_IPV6 0
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
    /* The high 32 bits of the announcements' counter, which must grow
     * across restarts: a boot counter kept in flash (NVS) on a chip, the
     * realtime clock in seconds where there is one. The low 32 bits are
     * now() in seconds (never carrying into these), strictly increasing
     * while open. */
    uint32_t boot;
#if MCD_LWIP_IPV6
    /* The IPv6 group (ff02::/16 text, no zone); NULL or "": IPv4 only. */
    const char *group6;
    uint8_t if6_addr[16]; /* the station's link-local address (fe80::/10) */
    uint8_t if6_index;    /* its lwIP netif index (netif_get_index) */
#endif
} mcd_lwip_config;

/* cfg zeroed, opts from mcd_responder_opts_init(), and the device's
 * lifetime MCD_LIFETIME_DEFAULT (0 in opts.lifetime: no LIFETIME, no
 * announcements). now and random are the caller's to set. The opts'
 * strings and TXT pairs are borrowed while the responder is open (the
 * query is not copied: the core reads it there). */
void mcd_lwip_config_init(mcd_lwip_config *cfg);

/* Room for the reply: its text and, with the extension, the extended
 * reply built on it (NUL, header and id: 24 bytes, then 3 + the length of
 * each TXT pair); the chapter's reply is the first bytes of it. Too small
 * for the configured reply: the open fails with MCD_E_TOOLONG. The
 * ESP-IDF component sets it from CONFIG_MCDISC_EXT_REPLY_MAX. */
#ifndef MCD_LWIP_EXT_REPLY_MAX
#if MCD_CONFIG_EXT
#define MCD_LWIP_EXT_REPLY_MAX 512
#else
#define MCD_LWIP_EXT_REPLY_MAX MCD_REPLY_MAX
#endif
#endif

/* The receive buffer: any query up to the longest extended one (the
 * longest chapter query and its NUL without the extension), and one byte
 * more, to see a longer datagram even where lwIP would not say MSG_TRUNC. */
#if MCD_CONFIG_EXT
#define MCD_LWIP_RX_MAX (MCD_EXT_MAX + 1)
#else
#define MCD_LWIP_RX_MAX (MCD_QUERY_MAX + 2)
#endif

/* Caller-owned state (static memory on a device), all in priv_: use the
 * functions below. */
typedef struct mcd_lwip_responder {
    struct {
        int fd;
        mcd_lwip_config cfg;
        uint32_t group_addr; /* network order */
        /* No copy of the query: the core reads cfg.opts.query (borrowed). */
        uint8_t reply[MCD_LWIP_EXT_REPLY_MAX]; /* and the extension's */
        /* The datagram received; the reply to send is written here too. */
        uint8_t rx[MCD_LWIP_RX_MAX];
#if MCD_LWIP_IPV6
        int fd6; /* -1: no IPv6 */
        uint8_t group6[16];
#endif
#if MCD_CONFIG_EXT
        /* The live view: kept by reopen (rate limit, counter). */
        mcd_announcer ann;
        uint64_t counter; /* the last one sent */
        bool ann_on;
#endif
        /* Last: the fields above stay near the start (one load or store
         * each on a RISC-V while their offsets are under 2 KiB: with the
         * default buffers; a reply room near Kconfig's 1232 bytes pushes
         * the live view's fields past it, which costs code, not
         * correctness). */
        mcd_rcore core;
    } priv_;
} mcd_lwip_responder;

/* Create the socket, bind 0.0.0.0:port, join the group on if_addr; with
 * MCD_LWIP_IPV6 and group6, a second socket bound to [::]:port (IPv6
 * only) joined to group6 on netif if6_index. Returns 0, a negative
 * MCD_E_* (MCD_E_UNSUPPORTED for the options lwIP lacks and for a group6
 * not of link-local scope; MCD_E_TOOLONG for texts whose reply does not
 * fit MCD_LWIP_EXT_REPLY_MAX or whose announcement would pass
 * MCD_EXT_MAX), or -errno of the socket call that failed. */
int mcd_lwip_responder_open(mcd_lwip_responder *r, const mcd_lwip_config *cfg);
/* The lwIP socket to wait on (lwip_select/lwip_poll). */
int mcd_lwip_responder_fd(const mcd_lwip_responder *r);
#if MCD_LWIP_IPV6
/* The IPv6 socket to wait on too; -1 when IPv6 is off. */
int mcd_lwip_responder_fd6(const mcd_lwip_responder *r);
#endif
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
/* A new address (or netmask, or link): close and open with cfg, keeping
 * the announcement schedule's rate limit and counter of the responder
 * opened before (r must have been opened once, even if it failed since).
 * Announces again. Returns as mcd_lwip_responder_open. */
int mcd_lwip_responder_reopen(mcd_lwip_responder *r,
                              const mcd_lwip_config *cfg);
/* Stop cleanly while the address is still there: goodbyes (2, 100 ms
 * apart) instead of announcements, sent by process(); then close. */
void mcd_lwip_responder_stop(mcd_lwip_responder *r);
/* After stop: true once every goodbye went out (or there were none). */
bool mcd_lwip_responder_stopped(const mcd_lwip_responder *r);
/* Close the socket (the membership goes with it). Sends nothing: on a lost
 * link no goodbye is possible, and watchers expire the device. */
void mcd_lwip_responder_close(mcd_lwip_responder *r);

#ifdef __cplusplus
}
#endif

#endif
