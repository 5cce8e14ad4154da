/*
 * watch.c - a watcher's table of devices (docs/PROTOCOL.md, "Lifetime"):
 * who is there, until when, and what changed. Pure: the caller owns the
 * table's memory (bounded: a flood of ids fills it and is counted, it
 * never grows) and gives the time.
 *
 * Extended devices are their id; chapter devices, which carry none, are
 * their address, port and text, and get the watcher's default lifetime.
 * Announcements and goodbyes carry a counter: one not above the last seen
 * for that id is a replay and is ignored. Without keys anyone on the link
 * can still forge a goodbye with a higher counter (docs/PROTOCOL.md).
 */
#include "mcdisc/core.h"

#include "core_private.h"
#include "cursor.h"

#define US_PER_S 1000000u

void mcd_watch_init(mcd_watch *w, mcd_watch_dev *devs, size_t cap,
                    uint32_t default_lifetime)
{
    if (w == NULL)
        return;
    memset(w, 0, sizeof *w);
    w->devs = devs;
    w->cap = devs != NULL ? cap : 0;
    w->default_lifetime =
        default_lifetime ? default_lifetime : MCD_LIFETIME_DEFAULT;
    for (size_t i = 0; i < w->cap; i++)
        devs[i].used = false;
}

static bool same_addr(const mcd_endpoint *a, const mcd_endpoint *b)
{
    return a->port == b->port && a->addr.family == b->addr.family &&
           memcmp(a->addr.b, b->addr.b, sizeof a->addr.b) == 0;
}

static bool same_text(const mcd_reply *a, const mcd_reply *b)
{
    return a->port == b->port && strcmp(a->name, b->name) == 0 &&
           strcmp(a->proto, b->proto) == 0;
}

static mcd_watch_dev *by_id(mcd_watch *w, const uint8_t *id)
{
    for (size_t i = 0; i < w->cap; i++)
        if (w->devs[i].used && w->devs[i].ext &&
            memcmp(w->devs[i].id, id, MCD_EXT_ID_LEN) == 0)
            return &w->devs[i];
    return NULL;
}

static mcd_watch_dev *by_source(mcd_watch *w, const mcd_endpoint *from,
                                const mcd_reply *text)
{
    for (size_t i = 0; i < w->cap; i++)
        if (w->devs[i].used && !w->devs[i].ext &&
            same_addr(&w->devs[i].from, from) &&
            same_text(&w->devs[i].text, text))
            return &w->devs[i];
    return NULL;
}

static mcd_watch_dev *slot(mcd_watch *w)
{
    for (size_t i = 0; i < w->cap; i++)
        if (!w->devs[i].used) {
            memset(&w->devs[i], 0, sizeof w->devs[i]);
            return &w->devs[i];
        }
    w->stats.table_full++;
    return NULL;
}

static uint32_t clamp_lifetime(uint32_t s)
{
    if (s < MCD_LIFETIME_MIN)
        return MCD_LIFETIME_MIN;
    return s > MCD_LIFETIME_MAX ? MCD_LIFETIME_MAX : s;
}

/* Fill d from what a device said; UPDATE when its address, text, TXT or
 * lifetime changed, NONE for a mere refresh. */
static enum mcd_watch_event learn(mcd_watch_dev *d, bool fresh,
                                  const mcd_endpoint *from,
                                  const mcd_reply *text, uint32_t lifetime,
                                  const uint8_t *tlv, size_t tlv_len,
                                  mcd_time now)
{
    uint8_t txt[MCD_WATCH_TXT_MAX];
    bool dropped; /* not told: the watcher shows what it kept */
    uint16_t txt_len =
        (uint16_t)mcd_txt_store_(txt, sizeof txt, tlv, tlv_len, &dropped);
    bool changed = !same_addr(&d->from, from) || !same_text(&d->text, text) ||
                   d->lifetime != lifetime || d->txt_len != txt_len ||
                   memcmp(d->txt, txt, txt_len) != 0;

    d->used = true;
    d->from = *from;
    d->text = *text;
    d->lifetime = lifetime;
    d->txt_len = txt_len;
    memcpy(d->txt, txt, txt_len);
    d->seen = now;
    /* Heard: refreshed. But a device still to be confirmed by a verified
     * reply (keys) stays asked: an unverified answer (a forger echoing
     * every query) must not make it due again at once, a query storm. */
    if (!d->confirm)
        d->asked = 0;
    if (fresh)
        return MCD_WATCH_NEW;
    return changed ? MCD_WATCH_UPDATE : MCD_WATCH_NONE;
}

static mcd_watch_dev *find_or_add_ext(mcd_watch *w, const uint8_t *id,
                                      bool *fresh)
{
    mcd_watch_dev *d = by_id(w, id);

    *fresh = d == NULL;
    if (d == NULL && (d = slot(w)) != NULL) {
        d->ext = true;
        memcpy(d->id, id, MCD_EXT_ID_LEN);
    }
    return d;
}

/* Keys: a verified announcement or goodbye for a listed device. With no
 * verified counter yet (verified by a reply) it may be a replay from an
 * earlier run: it only asks the device again (confirm). */
static enum mcd_watch_event on_verified(mcd_watch_dev *d,
                                        const mcd_ext_announce *a,
                                        const mcd_endpoint *from,
                                        mcd_time now,
                                        const mcd_watch_dev **dev)
{
    if (a->counter > d->counter)
        d->counter = a->counter;
    if (d->vcounter == 0) { /* its counter is taken once a reply confirms */
        if (a->counter > d->pcounter)
            d->pcounter = a->counter;
        d->confirm = true;
        return MCD_WATCH_NONE;
    }
    d->vcounter = a->counter;
    *dev = d;
    if (a->kind == MCD_EXT_KIND_GOODBYE) {
        d->used = false;
        return MCD_WATCH_GONE_GOODBYE;
    }
    return learn(d, false, from, &a->base, clamp_lifetime(a->lifetime),
                 a->tlv, a->tlv_len, now);
}

enum mcd_watch_event mcd_watch_on_announce(mcd_watch *w,
                                           const mcd_ext_announce *a,
                                           const mcd_endpoint *from,
                                           mcd_time now,
                                           const mcd_watch_dev **dev)
{
    return mcd_watch_on_announce_mac(w, a, MCD_MAC_NONE, from, now, dev);
}

enum mcd_watch_event mcd_watch_on_announce_mac(mcd_watch *w,
                                               const mcd_ext_announce *a,
                                               int mac,
                                               const mcd_endpoint *from,
                                               mcd_time now,
                                               const mcd_watch_dev **dev)
{
    mcd_watch_dev *d;
    bool fresh, good;

    if (w == NULL || a == NULL || from == NULL || dev == NULL)
        return MCD_WATCH_NONE;
    *dev = NULL;
    d = by_id(w, a->id);
    /* Above the last verified counter and the last signed one (not the
     * last seen: an unsigned one with a huge counter must not block the
     * device's own; but a signed goodbye replayed from an earlier run
     * must not remove a device whose newer announcement is awaiting
     * confirmation). */
    good = w->keyed && mac == MCD_MAC_OK &&
           (d == NULL || (a->counter > d->vcounter &&
                          a->counter > d->pcounter));
    if (d != NULL && d->verified) {
        if (good)
            return on_verified(d, a, from, now, dev);
        w->stats.unverified++; /* replayed, unsigned or another key */
        return MCD_WATCH_NONE;
    }
    if (!good && d != NULL && a->counter <= d->counter) {
        w->stats.replayed++; /* not above the last: a replay, or reordered */
        return MCD_WATCH_NONE;
    }
    if (a->kind == MCD_EXT_KIND_GOODBYE) {
        if (d == NULL) {
            w->stats.stale_goodbye++;
            return MCD_WATCH_NONE;
        }
        d->counter = a->counter;
        d->used = false;
        *dev = d;
        return MCD_WATCH_GONE_GOODBYE;
    }
    d = find_or_add_ext(w, a->id, &fresh);
    if (d == NULL)
        return MCD_WATCH_NONE;
    d->counter = a->counter;
    if (good) { /* listed unverified until a verified reply confirms */
        d->pcounter = a->counter;
        d->confirm = true;
    }
    *dev = d;
    return learn(d, fresh, from, &a->base, clamp_lifetime(a->lifetime),
                 a->tlv, a->tlv_len, now);
}

enum mcd_watch_event mcd_watch_on_reply(mcd_watch *w, const mcd_ext_reply *r,
                                        const mcd_endpoint *from,
                                        mcd_time now,
                                        const mcd_watch_dev **dev)
{
    return mcd_watch_on_reply_mac(w, r, MCD_MAC_NONE, from, now, dev);
}

enum mcd_watch_event mcd_watch_on_reply_mac(mcd_watch *w,
                                            const mcd_ext_reply *r, int mac,
                                            const mcd_endpoint *from,
                                            mcd_time now,
                                            const mcd_watch_dev **dev)
{
    mcd_watch_dev *d;
    uint32_t life;
    bool fresh, good = w != NULL && w->keyed && mac == MCD_MAC_OK;
    enum mcd_watch_event ev;

    if (w == NULL || r == NULL || from == NULL || dev == NULL)
        return MCD_WATCH_NONE;
    *dev = NULL;
    if (!mcd_ext_lifetime_get(r->tlv, r->tlv_len, &life))
        life = w->default_lifetime;
    d = by_id(w, r->id);
    if (d != NULL && d->verified && !good) {
        w->stats.unverified++; /* forged, replayed, or another key */
        return MCD_WATCH_NONE;
    }
    d = find_or_add_ext(w, r->id, &fresh);
    if (d == NULL)
        return MCD_WATCH_NONE;
    *dev = d;
    if (good && !d->verified) {
        /* The first verified reply replaces what unverified ones said. */
        d->verified = true;
        d->confirm = false;
        d->vcounter = d->pcounter; /* what its signed announcement said */
        ev = learn(d, fresh, from, &r->base, clamp_lifetime(life), r->tlv,
                   r->tlv_len, now);
        return ev == MCD_WATCH_NONE ? MCD_WATCH_UPDATE : ev;
    }
    if (good && d->confirm) { /* confirmed: its announcement's counter */
        d->confirm = false;
        if (d->pcounter > d->vcounter)
            d->vcounter = d->pcounter;
    }
    /* A cut reply (flag T) carries no TXT: keep what we had. */
    if (r->flags & MCD_EXT_FLAG_TRUNC && !fresh) {
        d->seen = now;
        if (!d->confirm)
            d->asked = 0;
        d->from = *from;
        return MCD_WATCH_NONE;
    }
    return learn(d, fresh, from, &r->base, clamp_lifetime(life), r->tlv,
                 r->tlv_len, now);
}

enum mcd_watch_event mcd_watch_on_chapter(mcd_watch *w, const mcd_reply *r,
                                          const mcd_endpoint *from,
                                          mcd_time now,
                                          const mcd_watch_dev **dev)
{
    mcd_watch_dev *d;
    bool fresh;

    if (w == NULL || r == NULL || from == NULL || dev == NULL)
        return MCD_WATCH_NONE;
    *dev = NULL;
    /* An extended device's plain answer (same source and text) is that
     * device: refresh it rather than list it twice. */
    for (size_t i = 0; i < w->cap; i++) {
        d = &w->devs[i];
        if (d->used && d->ext && same_addr(&d->from, from) &&
            same_text(&d->text, r)) {
            if (d->verified) { /* keys: a chapter reply proves nothing */
                w->stats.unverified++;
                return MCD_WATCH_NONE;
            }
            d->seen = now;
            if (!d->confirm)
                d->asked = 0;
            return MCD_WATCH_NONE;
        }
    }
    d = by_source(w, from, r);
    fresh = d == NULL;
    if (d == NULL && (d = slot(w)) == NULL)
        return MCD_WATCH_NONE;
    *dev = d;
    return learn(d, fresh, from, r, w->default_lifetime, NULL, 0, now);
}

static mcd_time expiry(const mcd_watch_dev *d)
{
    return d->seen + (mcd_time)d->lifetime * US_PER_S;
}

enum mcd_watch_event mcd_watch_expire(mcd_watch *w, mcd_time now,
                                      const mcd_watch_dev **dev)
{
    if (w == NULL || dev == NULL)
        return MCD_WATCH_NONE;
    *dev = NULL;
    for (size_t i = 0; i < w->cap; i++)
        if (w->devs[i].used && now >= expiry(&w->devs[i])) {
            w->devs[i].used = false;
            *dev = &w->devs[i];
            return MCD_WATCH_GONE_EXPIRED;
        }
    return MCD_WATCH_NONE;
}

/* Due at 7/8 of the lifetime (a quiet device then costs 8/7 = 1.14
 * replies per lifetime: docs/PERFORMANCE.md); asked again every 20th of
 * it until it answers or expires (a lost reply gets two more chances). */
static mcd_time due_at(const mcd_watch_dev *d)
{
    mcd_time life = (mcd_time)d->lifetime * US_PER_S;
    mcd_time t = d->confirm ? d->seen : d->seen + life / 8 * 7;

    if (d->asked != 0 && d->asked + life / 20 > t)
        t = d->asked + life / 20;
    return t;
}

bool mcd_watch_refresh_due(const mcd_watch *w, mcd_time now, mcd_time *next)
{
    mcd_time first = MCD_TIME_NEVER;

    if (w == NULL)
        return false;
    for (size_t i = 0; i < w->cap; i++) {
        if (!w->devs[i].used)
            continue;
        if (due_at(&w->devs[i]) < first)
            first = due_at(&w->devs[i]);
        if (expiry(&w->devs[i]) < first)
            first = expiry(&w->devs[i]);
    }
    if (next != NULL)
        *next = first;
    for (size_t i = 0; i < w->cap; i++)
        if (w->devs[i].used && now >= due_at(&w->devs[i]))
            return true;
    return false;
}

size_t mcd_watch_refresh_known(mcd_watch *w, mcd_time now, uint8_t *filter,
                               size_t filter_len, uint8_t k,
                               const uint8_t nonce[MCD_EXT_NONCE_LEN],
                               uint16_t salt, bool *chapter_due)
{
    size_t n = 0;

    if (chapter_due != NULL)
        *chapter_due = false;
    if (w == NULL)
        return 0;
    for (size_t i = 0; i < w->cap; i++) {
        mcd_watch_dev *d = &w->devs[i];

        if (!d->used)
            continue;
        /* Due, or due within a 20th of its lifetime: withheld (it
         * answers), so that devices seen at nearby times share a query. */
        if (due_at(d) <= now + (mcd_time)d->lifetime * (US_PER_S / 20)) {
            d->asked = now;
            if (!d->ext && chapter_due != NULL)
                *chapter_due = true;
        } else if (d->ext && filter != NULL && (!w->keyed || d->verified)) {
            mcd_ext_known_add(filter, filter_len, k, nonce, salt, d->id);
            n++;
        }
    }
    return n;
}

size_t mcd_watch_count(const mcd_watch *w)
{
    size_t n = 0;

    for (size_t i = 0; w != NULL && i < w->cap; i++)
        n += w->devs[i].used;
    return n;
}
