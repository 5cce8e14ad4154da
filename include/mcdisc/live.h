/*
 * live.h - the live view (docs/PROTOCOL.md, "Live view and keys"):
 * announcements and goodbyes (src/core/announce.c), a device's
 * announcement schedule, and a watcher's table of devices with expiry
 * (src/core/watch.c). Sans-I/O, no heap. Included by mcdisc/core.h.
 */
#ifndef MCDISC_LIVE_H
#define MCDISC_LIVE_H

#ifdef __cplusplus
extern "C" {
#endif

#define MCD_EXT_KIND_ANNOUNCE 3
#define MCD_EXT_KIND_GOODBYE 4
#define MCD_EXT_TLV_LIFETIME 4
#define MCD_EXT_TLV_TEXT 6
#define MCD_LIFETIME_DEFAULT 120 /* s; docs/PERFORMANCE.md */
#define MCD_LIFETIME_MIN 5
#define MCD_LIFETIME_MAX 86400

/* The fields of an announcement (kind 3) or goodbye (kind 4). */
typedef struct mcd_ext_announce {
    uint8_t kind;
    uint64_t counter;                     /* increases with every one sent */
    uint8_t id[MCD_EXT_ID_LEN];
    mcd_reply base;                       /* TEXT, parsed strictly */
    uint32_t lifetime;                    /* s; 0 in a goodbye */
    const uint8_t *tlv; size_t tlv_len;   /* every TLV (TXT: mcd_ext_txt_next) */
} mcd_ext_announce;

/* Write query text + NUL + header (kind, flags 0, counter) + id + TEXT +
 * LIFETIME (0 for a goodbye) + one TXT per pair (announcements only).
 * Returns the length; MCD_E_TOOLONG (over cap or MCD_EXT_MAX),
 * MCD_E_BADREPLY (text not a reply), MCD_E_BADTXT, MCD_E_INVAL. */
MCD_EXTERN
int mcd_ext_announce_encode(const uint8_t *query, size_t query_len,
                            const mcd_ext_announce *a, const uint8_t *text,
                            size_t text_len, const char *const *txt,
                            size_t ntxt, uint8_t *out, size_t cap);

/* Decode a datagram that starts with the query (query_len bytes, already
 * matched by the caller) and a NUL. Returns 0 for a well-formed
 * announcement or goodbye; 1 for another kind (a query: not ours);
 * MCD_E_BADEXT (cut short, bad magic, version 0, a TLV past the end, over
 * MCD_EXT_MAX, TEXT or LIFETIME missing or of the wrong size, a lifetime
 * of 0 in an announcement); MCD_E_BADREPLY (TEXT not a reply);
 * MCD_E_INVAL. */
MCD_EXTERN
int mcd_ext_announce_decode(const uint8_t *data, size_t len, size_t query_len,
                            mcd_ext_announce *out);

/* The first LIFETIME of a well-formed TLV area (an extended reply's):
 * true with *s set when present with 4 bytes. */
MCD_EXTERN
bool mcd_ext_lifetime_get(const uint8_t *tlv, size_t tlv_len, uint32_t *s);

/* An extended reply template with LIFETIME in its base (so a cut reply
 * keeps it): as mcd_ext_reply_template, the LIFETIME TLV right after the
 * id. A lifetime of 0 leaves it out. */
MCD_EXTERN
int mcd_ext_reply_template_lt(const uint8_t *text, size_t text_len,
                              const uint8_t id[MCD_EXT_ID_LEN],
                              uint32_t lifetime, const char *const *txt,
                              size_t ntxt, uint8_t *out, size_t cap,
                              size_t *base_len);

/* ------------------------------------------------------------------------ */
/* A device's schedule: 3 announcements 1 s then 2 s apart at start and
 * after an address or link change, one burst per 10 s at most (a change
 * inside that waits for it); on stop, 2 goodbyes 100 ms apart. */

#define MCD_ANN_COPIES 3
#define MCD_ANN_BURST_GAP_US 10000000u
#define MCD_BYE_COPIES 2
#define MCD_BYE_GAP_US 100000u

typedef struct mcd_announcer {
    mcd_time next;        /* when the next copy is due (when left > 0) */
    mcd_time last_burst;  /* start of the last burst */
    uint8_t left;         /* announcements left in this burst */
    uint8_t bye_left;     /* goodbyes left */
    bool pending;         /* a change arrived inside the rate limit */
    bool burst_seen;      /* last_burst is valid */
    bool stopping;
} mcd_announcer;

MCD_EXTERN
void mcd_announcer_init(mcd_announcer *a);
/* Start, or an address or link changed: a burst (now, or when the rate
 * limit allows). */
MCD_EXTERN
void mcd_announcer_kick(mcd_announcer *a, mcd_time now);
/* Stop: no more announcements, goodbyes instead. */
MCD_EXTERN
void mcd_announcer_stop(mcd_announcer *a, mcd_time now);
/* What to send now: MCD_EXT_KIND_ANNOUNCE, MCD_EXT_KIND_GOODBYE or 0
 * (nothing). *next (when not NULL) gets the next time to call, or
 * MCD_TIME_NEVER-like UINT64_MAX when nothing is scheduled. */
MCD_EXTERN
int mcd_announcer_poll(mcd_announcer *a, mcd_time now, mcd_time *next);
/* When mcd_announcer_poll() has something to do next (MCD_TIME_NEVER:
 * nothing), without changing a. */
MCD_EXTERN
mcd_time mcd_announcer_next(const mcd_announcer *a);
/* After stop: true once every goodbye went out. */
MCD_EXTERN
bool mcd_announcer_done(const mcd_announcer *a);

/* ------------------------------------------------------------------------ */
/* A watcher's table (src/core/watch.c): devices keyed by id (extended) or
 * by address, port and text (chapter devices), each listed until its
 * lifetime passes without a refresh. The caller gives the table's memory;
 * a full table drops new devices and counts them. */

#define MCD_WATCH_TXT_MAX 256

typedef struct mcd_watch_dev {
    bool used;
    bool ext;                      /* known by id, else a chapter device */
    uint8_t id[MCD_EXT_ID_LEN];
    mcd_endpoint from;             /* last source */
    mcd_reply text;
    uint32_t lifetime;             /* s */
    uint64_t counter;              /* last announcement's or goodbye's */
    uint64_t vcounter;             /* keys: last verified one's (0: none) */
    uint64_t pcounter;             /* keys: a signed one's, until confirmed */
    bool verified;                 /* keys: a verified reply (nonce-bound) */
    bool confirm;                  /* keys: a verified announcement waits for
                                      a verified reply: refresh now */
    bool shown;                    /* free for the caller (not the core's) */
    mcd_time seen;                 /* last reply or announcement */
    mcd_time asked;                /* last refresh query that wanted it */
    uint16_t txt_len;
    uint8_t txt[MCD_WATCH_TXT_MAX]; /* TLVs of its TXT pairs, as received */
} mcd_watch_dev;

enum mcd_watch_event {
    MCD_WATCH_NONE = 0,
    MCD_WATCH_NEW,
    MCD_WATCH_UPDATE,
    MCD_WATCH_GONE_GOODBYE,
    MCD_WATCH_GONE_EXPIRED,
};

typedef struct mcd_watch_stats {
    uint64_t table_full, replayed, malformed, stale_goodbye;
    uint64_t unverified; /* keys: ignored for a verified device */
    /* From a source off the link it came in on (the socket layer knows
     * the prefixes and counts these; the table never sees them). */
    uint64_t off_link;
} mcd_watch_stats;

typedef struct mcd_watch {
    mcd_watch_dev *devs;
    size_t cap;
    uint32_t default_lifetime;     /* s: chapter devices, replies without */
    bool keyed;                    /* keys: set by the caller after init */
    mcd_watch_stats stats;
} mcd_watch;

MCD_EXTERN
void mcd_watch_init(mcd_watch *w, mcd_watch_dev *devs, size_t cap,
                    uint32_t default_lifetime);
/* An announcement or goodbye from `from`. Returns the event and points
 * *dev at the device concerned (for GONE: its last state, slot freed). */
MCD_EXTERN
enum mcd_watch_event mcd_watch_on_announce(mcd_watch *w,
                                           const mcd_ext_announce *a,
                                           const mcd_endpoint *from,
                                           mcd_time now,
                                           const mcd_watch_dev **dev);
/* An extended reply (nonce already checked by the caller). */
MCD_EXTERN
enum mcd_watch_event mcd_watch_on_reply(mcd_watch *w, const mcd_ext_reply *r,
                                        const mcd_endpoint *from,
                                        mcd_time now,
                                        const mcd_watch_dev **dev);
/* Keys (w->keyed; docs/PROTOCOL.md, "Keys and the live view"): as above
 * with the datagram's mcd_ext_mac_check() result (MCD_MAC_OK, _NONE,
 * _BAD). A verified reply verifies its device; an announcement or goodbye
 * counts as verified only with a right MAC and a counter above the last
 * verified one of its id; a device first seen by a verified announcement
 * is due for a query (confirm) and verified by its reply only; nothing
 * unverified changes, refreshes or removes a verified device. */
MCD_EXTERN
enum mcd_watch_event mcd_watch_on_announce_mac(mcd_watch *w,
                                               const mcd_ext_announce *a,
                                               int mac,
                                               const mcd_endpoint *from,
                                               mcd_time now,
                                               const mcd_watch_dev **dev);
MCD_EXTERN
enum mcd_watch_event mcd_watch_on_reply_mac(mcd_watch *w,
                                            const mcd_ext_reply *r, int mac,
                                            const mcd_endpoint *from,
                                            mcd_time now,
                                            const mcd_watch_dev **dev);
/* A chapter reply. */
MCD_EXTERN
enum mcd_watch_event mcd_watch_on_chapter(mcd_watch *w, const mcd_reply *r,
                                          const mcd_endpoint *from,
                                          mcd_time now,
                                          const mcd_watch_dev **dev);
/* One device whose lifetime passed (GONE_EXPIRED, *dev its last state),
 * or NONE: call until NONE. */
MCD_EXTERN
enum mcd_watch_event mcd_watch_expire(mcd_watch *w, mcd_time now,
                                      const mcd_watch_dev **dev);
/* Refresh: true when a device is due (7/8 of its lifetime since it was
 * seen, and not asked in the last 20th of its lifetime): then send a
 * query; *next gets the next time to look. */
MCD_EXTERN
bool mcd_watch_refresh_due(const mcd_watch *w, mcd_time now, mcd_time *next);
/* Mark the due devices asked, and add every extended device that is not
 * due (keyed: and verified) to the KNOWN filter (the due ones are withheld so that they answer).
 * Returns how many were added; *chapter_due tells whether a chapter device
 * is due (send a plain copy too). */
MCD_EXTERN
size_t mcd_watch_refresh_known(mcd_watch *w, mcd_time now, uint8_t *filter,
                               size_t filter_len, uint8_t k,
                               const uint8_t nonce[MCD_EXT_NONCE_LEN],
                               uint16_t salt, bool *chapter_due);
/* How many devices are listed. */
MCD_EXTERN
size_t mcd_watch_count(const mcd_watch *w);

#ifdef __cplusplus
}
#endif

#endif /* MCDISC_LIVE_H */
