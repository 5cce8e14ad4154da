/*
 * links.c - a group's memberships, interface by interface, and the
 * prefixes of the interfaces that hold them, following the links as they
 * come and go. Joined on each interface by index, past the memberships
 * the kernel allows one socket on more sockets (msocks.c). A netlink
 * socket reports link and address changes: any change, or lost ones,
 * means a resync, which acts (and reports) only where something differs.
 * The responder uses it; the prefixes reader serves the query too.
 */
#define _GNU_SOURCE
#include "links.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netpacket/packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REFRESH_US 100000 /* read the prefixes again at most this often */

typedef struct member {
    uint32_t ifindex;
    size_t sock; /* the socket holding it */
} member;

/* An interface and a number: a join that failed (reported once), or
 * whether a link is up (to report changes, not every message). */
typedef struct ifnote {
    uint32_t ifindex;
    int value;
} ifnote;

#define SOCKS(l) ((l)->socks->socks)
#define JOINED(l) ((member *)(l)->joined.items)
#define PREFIXES(l) ((const mcd_prefix *)(l)->prefixes.items)

static void emit(const mcd_links *l, int kind, const char *what,
                 uint32_t ifindex, int err)
{
    mcd_event ev = {.kind = kind, .what = what, .ifindex = ifindex,
                    .err = err};

    if (l->on_event != NULL)
        l->on_event(l->ctx, &ev);
}

/* Room for one more item in v; -ENOMEM when there is none. */
static int vec_room(mcd_vec_ *v, size_t size)
{
    if (v->n < v->cap)
        return 0;
    size_t cap = v->cap ? v->cap * 2 : 16;
    void *p = realloc(v->items, cap * size);

    if (p == NULL)
        return -ENOMEM;
    v->items = p;
    v->cap = cap;
    return 0;
}

static ifnote *note_find(const mcd_vec_ *v, uint32_t ifindex)
{
    ifnote *a = v->items;

    for (size_t i = 0; i < v->n; i++)
        if (a[i].ifindex == ifindex)
            return &a[i];
    return NULL;
}

/* Set the note of `ifindex`. Returns 1 when it was new or changed, 0 when
 * it was already so, -ENOMEM. */
static int note_set(mcd_vec_ *v, uint32_t ifindex, int value)
{
    ifnote *n = note_find(v, ifindex);

    if (n != NULL) {
        bool changed = n->value != value;

        n->value = value;
        return changed;
    }
    if (vec_room(v, sizeof *n) < 0)
        return -ENOMEM;
    ((ifnote *)v->items)[v->n++] = (ifnote){ifindex, value};
    return 1;
}

static void note_drop(mcd_vec_ *v, uint32_t ifindex)
{
    ifnote *n = note_find(v, ifindex), *a = v->items;

    if (n != NULL)
        *n = a[--v->n];
}

/* --- the host's prefixes --------------------------------------------------- */

static int prefix_add(mcd_vec_ *v, uint32_t ifindex, mcd_addr a,
                      uint8_t bits, bool peer)
{
    int err = vec_room(v, sizeof(mcd_prefix));

    a.scope_id = 0;
    if (err == 0)
        ((mcd_prefix *)v->items)[v->n++] =
            (mcd_prefix){ifindex, a, bits, peer};
    return err;
}

int mcd_prefixes_read_(mcd_prefix_want_fn want, const void *ctx, bool peers,
                       mcd_prefix **out)
{
    mcd_vec_ fresh = {0};
    struct ifaddrs *list;
    int err = 0;

    if (getifaddrs(&list) < 0)
        return -errno;
    for (struct ifaddrs *ia = list; ia && err == 0; ia = ia->ifa_next) {
        mcd_endpoint ep;
        uint32_t idx;

        if (ia->ifa_addr == NULL || mcd_from_sockaddr_(ia->ifa_addr, &ep) < 0)
            continue;
        idx = if_nametoindex(ia->ifa_name);
        if (want != NULL && !want(ctx, idx))
            continue;
        err = prefix_add(&fresh, idx, ep.addr,
                         mcd_mask_bits_(ia->ifa_netmask), false);
        /* A point-to-point link's peer is on it, whatever the mask. */
        if (err == 0 && peers && (ia->ifa_flags & IFF_POINTOPOINT) &&
            ia->ifa_dstaddr != NULL &&
            mcd_from_sockaddr_(ia->ifa_dstaddr, &ep) == 0)
            err = prefix_add(&fresh, idx, ep.addr,
                             ep.addr.family == MCD_AF_INET4 ? 32 : 128, true);
    }
    freeifaddrs(list);
    if (err < 0) {
        free(fresh.items);
        return err;
    }
    *out = fresh.items;
    return (int)fresh.n;
}

/* src against the prefixes read: see mcd_onlink_check_(). */
static bool onlink_lookup(const mcd_onlink_ *c, const mcd_addr *a,
                          uint32_t ifindex, bool *broadcast)
{
    bool on = mcd_addr_is_link_local(a), bcast = false;

    for (size_t i = 0; i < c->n; i++) {
        const mcd_prefix *p = &c->prefixes[i];

        if (!p->peer && mcd_addr_equal(a, &p->addr))
            on = true;
        if (p->ifindex != ifindex)
            continue;
        bcast = bcast || mcd_addr_is_broadcast(a, &p->addr, p->bits);
        on = on || mcd_addr_in_prefix(a, &p->addr, p->bits);
    }
    if (broadcast != NULL)
        *broadcast = bcast;
    return on;
}

bool mcd_onlink_check_(mcd_onlink_ *c, const mcd_addr *src,
                       uint32_t ifindex, bool *broadcast)
{
    mcd_addr a = *src;
    mcd_prefix *fresh = NULL;
    int n;

    a.scope_id = 0;
    if (onlink_lookup(c, &a, ifindex, broadcast))
        return true;
    if (c->prefixes != NULL && mcd_now_() - c->refreshed_at < REFRESH_US)
        return false;
    /* Not found: an address may have been added since the last look.
     * On failure the old list stays. */
    c->refreshed_at = mcd_now_();
    n = mcd_prefixes_read_(NULL, NULL, true, &fresh);
    if (n >= 0) {
        free(c->prefixes);
        c->prefixes = fresh;
        c->n = (size_t)n;
    }
    return onlink_lookup(c, &a, ifindex, broadcast);
}

void mcd_onlink_free_(mcd_onlink_ *c)
{
    free(c->prefixes);
    memset(c, 0, sizeof *c);
}

static bool want_joined(const void *ctx, uint32_t ifindex)
{
    return mcd_links_joined_(ctx, ifindex);
}

/* The addresses and prefix lengths of the joined interfaces, as many as
 * they have. On failure (getifaddrs can fail under memory pressure or a
 * netlink storm) the old list stays and a refresh is tried again later
 * (mcd_links_prefixes_for_()). */
static void refresh_prefixes(mcd_links *l)
{
    mcd_prefix *fresh = NULL;
    int n;

    l->refreshed_at = mcd_now_();
    n = mcd_prefixes_read_(want_joined, l, false, &fresh);
    if (n < 0) {
        emit(l, MCD_EV_ERROR, n == -ENOMEM ? "prefixes" : "getifaddrs", 0,
             n);
        return;
    }
    free(l->prefixes.items);
    l->prefixes = (mcd_vec_){fresh, (size_t)n, (size_t)n};
}

void mcd_links_prefixes_for_(mcd_links *l, uint32_t ifindex)
{
    for (size_t i = 0; i < l->prefixes.n; i++)
        if (PREFIXES(l)[i].ifindex == ifindex)
            return;
    if (mcd_links_joined_(l, ifindex) &&
        mcd_now_() - l->refreshed_at >= REFRESH_US)
        refresh_prefixes(l);
}

/* Link-local sources are on the link by definition (RFC 4291 2.5.6,
 * RFC 3927); others must fall inside a prefix configured on it. */
bool mcd_links_on_link_(const mcd_links *l, const mcd_addr *a,
                        uint32_t ifindex)
{
    if (mcd_addr_is_link_local(a))
        return true;
    for (size_t i = 0; i < l->prefixes.n; i++)
        if (PREFIXES(l)[i].ifindex == ifindex &&
            mcd_addr_in_prefix(a, &PREFIXES(l)[i].addr, PREFIXES(l)[i].bits))
            return true;
    return false;
}

bool mcd_links_own_(const mcd_links *l, const mcd_addr *a)
{
    mcd_addr x = *a;

    x.scope_id = 0;
    for (size_t i = 0; i < l->prefixes.n; i++)
        if (mcd_addr_equal(&x, &PREFIXES(l)[i].addr))
            return true;
    return false;
}

uint8_t mcd_links_prefix_len_(const mcd_links *l, const mcd_addr *a,
                              uint32_t ifindex)
{
    mcd_addr x = *a;
    uint8_t bits = 0;

    x.scope_id = 0;
    for (size_t i = 0; i < l->prefixes.n; i++) {
        const mcd_prefix *p = &PREFIXES(l)[i];

        if (p->ifindex == ifindex && p->bits > bits &&
            mcd_addr_in_prefix(&x, &p->addr, p->bits))
            bits = p->bits;
    }
    return bits;
}

/* --- memberships ----------------------------------------------------------- */

bool mcd_links_joined_(const mcd_links *l, uint32_t ifindex)
{
    return mcd_links_holder_(l, ifindex) != SIZE_MAX;
}

size_t mcd_links_holder_(const mcd_links *l, uint32_t ifindex)
{
    for (size_t i = 0; i < l->joined.n; i++)
        if (JOINED(l)[i].ifindex == ifindex)
            return JOINED(l)[i].sock;
    return SIZE_MAX;
}

uint32_t mcd_links_iface_at_(const mcd_links *l, size_t i)
{
    return JOINED(l)[i].ifindex;
}

size_t mcd_links_ifaces_(const mcd_links *l, uint32_t *idx, size_t cap)
{
    size_t n = 0;

    for (; n < l->joined.n && n < cap; n++)
        idx[n] = JOINED(l)[n].ifindex;
    return n;
}

size_t mcd_links_send_each_(const mcd_links *l, int fd, const uint8_t *data,
                            size_t len, const mcd_endpoint *to,
                            const char *what)
{
    size_t sent = 0;

    for (size_t i = 0; i < l->joined.n; i++) {
        uint32_t ifindex = JOINED(l)[i].ifindex;
        int err = mcd_sock_send_(fd, data, len, to, ifindex);

        if (err == 0)
            sent++;
        else if (what != NULL)
            emit(l, MCD_EV_ERROR, what, ifindex, err);
    }
    return sent;
}

/* The interfaces that should hold the membership now. With specs and
 * `tolerant` (waiting for them, or after a link change), each that exists
 * and is usable; the others are simply not there yet. */
static int pick_ifaces(const mcd_links *l, bool tolerant, mcd_iface *ifs,
                       size_t cap, size_t *bad)
{
    size_t n = 0;

    if (!tolerant || l->nspecs == 0)
        return mcd_iface_select(&l->group, (const char *const *)l->specs,
                                l->nspecs, ifs, cap, bad);
    for (size_t i = 0; i < l->nspecs && n < cap; i++) {
        const char *one[1] = {l->specs[i]};

        if (mcd_iface_select(&l->group, one, 1, &ifs[n], 1, NULL) == 1) {
            ifs[n].spec = i;
            n++;
        }
    }
    return (int)n;
}

/* pick_ifaces() into an array of the size needed (*out, to free): every
 * usable interface, however many there are, not the first MCD_MAX_IFACES. */
static int wanted_ifaces(const mcd_links *l, bool tolerant, mcd_iface **out,
                         size_t *bad)
{
    mcd_iface *ifs;
    int n;

    if (!tolerant || l->nspecs == 0)
        return mcd_iface_select_alloc_(&l->group, (const char *const *)l->specs,
                                       l->nspecs, out, bad);
    ifs = malloc(l->nspecs * sizeof *ifs);
    if (ifs == NULL)
        return -ENOMEM;
    n = pick_ifaces(l, tolerant, ifs, l->nspecs, bad);
    if (n < 0)
        free(ifs);
    else
        *out = ifs;
    return n;
}

typedef struct join_req {
    const mcd_addr *group, *source;
    uint32_t ifindex;
} join_req;

static int join_on(void *ctx, int fd)
{
    const join_req *q = ctx;
    mcd_addr group = *q->group;
    int err;

    if (q->source->family != MCD_AF_NONE) {
        group.scope_id = 0;
        return mcd_sock_join_source_(fd, &group, q->source, q->ifindex);
    }
    err = mcd_sock_join_(fd, q->group, q->ifindex);

    /* EADDRINUSE: the socket holds a membership we no longer know of, left
     * by an interface of this index deleted while netlink messages were
     * lost; it belongs to the old device. Leave it and join anew. */
    if (err == -EADDRINUSE) {
        err = mcd_sock_leave_(fd, q->group, q->ifindex);
        if (err == 0)
            err = mcd_sock_join_(fd, q->group, q->ifindex);
    }
    return err;
}

/* Join on the first socket with room. One socket's memberships are
 * bounded by the kernel, the program's are not: past that, one more socket
 * on the same port (msocks.c), so each datagram reaches the one socket
 * joined on its interface. */
static int join_one(mcd_links *l, const mcd_iface *ifc)
{
    join_req q = {&l->group, &l->source, ifc->index};
    int s, err = vec_room(&l->joined, sizeof(member));

    if (err < 0)
        return err;
    s = mcd_msocks_join_(l->socks, join_on, &q);
    if (s < 0)
        return s;
    JOINED(l)[l->joined.n++] = (member){ifc->index, (size_t)s};
    emit(l, MCD_EV_JOINED, ifc->name, ifc->index, 0);
    return 0;
}

/* Leave the group on joined[j]. After the interface is deleted the kernel
 * still holds the membership and finds it by the old index; ENODEV and
 * EADDRNOTAVAIL only say there was nothing left to drop. */
static void leave_one(mcd_links *l, size_t j)
{
    member m = JOINED(l)[j];
    int err = mcd_sock_leave_(SOCKS(l)[m.sock].fd, &l->group, m.ifindex);

    if (err < 0 && err != -ENODEV && err != -EADDRNOTAVAIL)
        emit(l, MCD_EV_ERROR, "leaving the group", m.ifindex, err);
    mcd_msocks_left_(l->socks, m.sock);
    JOINED(l)[j] = JOINED(l)[--l->joined.n];
    emit(l, MCD_EV_LEFT, NULL, m.ifindex, 0);
}

static bool in_list(const mcd_iface *ifs, int n, uint32_t ifindex)
{
    for (int i = 0; i < n; i++)
        if (ifs[i].index == ifindex)
            return true;
    return false;
}

/* Leave where no longer wanted; forget failures of interfaces gone. */
static void drop_unwanted(mcd_links *l, const mcd_iface *ifs, int n)
{
    ifnote *sk = l->skipped.items;

    for (size_t j = 0; j < l->joined.n;) {
        if (in_list(ifs, n, JOINED(l)[j].ifindex))
            j++;
        else
            leave_one(l, j);
    }
    for (size_t j = 0; j < l->skipped.n;) {
        if (in_list(ifs, n, sk[j].ifindex))
            j++;
        else
            sk[j] = sk[--l->skipped.n];
    }
}

/* An interface we chose could not join: say so once per interface and
 * error, not again at every link change that retries it. */
static void report_skip(mcd_links *l, const mcd_iface *ifc, int err)
{
    if (note_set(&l->skipped, ifc->index, err) != 0)
        emit(l, MCD_EV_JOIN_ERROR, ifc->name, ifc->index, err);
}

/* When the user named interfaces (and does not wait for them), any
 * failure is theirs to fix; interfaces we chose ourselves that cannot
 * join (no socket will take more, a link going away) are reported once
 * and skipped. */
int mcd_links_resync_(mcd_links *l, bool first, size_t *bad_iface)
{
    mcd_iface *ifs = NULL;
    bool strict = first && l->nspecs > 0 && !l->wait_ifaces;
    int n = wanted_ifaces(l, !first || l->wait_ifaces, &ifs, bad_iface);
    int err = 0;

    if (n < 0 && (strict || n != MCD_E_NOIFACES))
        return first ? n : 0;
    n = n < 0 ? 0 : n;
    drop_unwanted(l, ifs, n);
    for (int i = 0; i < n; i++) {
        if (mcd_links_joined_(l, ifs[i].index))
            continue;
        err = join_one(l, &ifs[i]);
        if (err < 0 && strict) {
            if (bad_iface != NULL)
                *bad_iface = ifs[i].spec;
            break;
        }
        if (err < 0)
            report_skip(l, &ifs[i], err);
        else
            note_drop(&l->skipped, ifs[i].index);
    }
    free(ifs);
    if (err < 0 && strict)
        return err;
    refresh_prefixes(l);
    /* At start, something must be joined unless we are told to wait. */
    if (first && l->joined.n == 0 && !l->wait_ifaces)
        return err < 0 ? err : MCD_E_NOIFACES;
    return 0;
}

/* --- link changes ---------------------------------------------------------- */

static const char *change_name(const mcd_nl_change *c)
{
    switch (c->kind) {
    case MCD_NL_LINK_UP: return "link up";
    case MCD_NL_LINK_DOWN: return "link down";
    case MCD_NL_LINK_GONE: return "link deleted";
    case MCD_NL_ADDR_NEW: return "address added";
    case MCD_NL_ADDR_GONE: return "address removed";
    case MCD_NL_NONE: break;
    }
    return "change";
}

/* Whether each link is up and running now, so that a message saying it
 * still is (promiscuous mode, MTU, a second copy) is not reported as a
 * change. Read after subscribing to netlink, and again when messages were
 * lost. */
static void seed_links(mcd_links *l)
{
    struct ifaddrs *list;

    l->state.n = 0;
    if (getifaddrs(&list) < 0)
        return; /* unknown links: their next "up" is reported, no harm */
    for (struct ifaddrs *ia = list; ia; ia = ia->ifa_next) {
        struct sockaddr_ll ll;

        if (ia->ifa_addr == NULL || ia->ifa_addr->sa_family != AF_PACKET)
            continue;
        memcpy(&ll, ia->ifa_addr, sizeof ll);
        note_set(&l->state, (uint32_t)ll.sll_ifindex,
                 (ia->ifa_flags & IFF_UP) && (ia->ifa_flags & IFF_RUNNING));
    }
    freeifaddrs(list);
}

/* Is this change worth a line? A link's state only when it changed (a
 * link first seen down is just being created); addresses only of the
 * group's family, the only ones used. */
static bool news(mcd_links *l, const mcd_nl_change *c)
{
    switch (c->kind) {
    case MCD_NL_LINK_UP:
    case MCD_NL_LINK_DOWN: {
        bool up = c->kind == MCD_NL_LINK_UP, known;

        known = note_find(&l->state, c->ifindex) != NULL;
        return note_set(&l->state, c->ifindex, up) != 0 && (known || up);
    }
    case MCD_NL_LINK_GONE:
        note_drop(&l->state, c->ifindex);
        return true;
    case MCD_NL_ADDR_NEW:
    case MCD_NL_ADDR_GONE:
        return c->family == l->group.family;
    case MCD_NL_NONE: break;
    }
    return false;
}

/* Leave at once on a deleted link: a link created with the same index
 * before the resync would otherwise look joined, its membership held by
 * the device that is gone. */
static void forget_link(mcd_links *l, uint32_t ifindex)
{
    for (size_t j = 0; j < l->joined.n; j++)
        if (JOINED(l)[j].ifindex == ifindex) {
            leave_one(l, j);
            return;
        }
}

/* Any change (or lost ones: ENOBUFS) means resync. */
void mcd_links_follow_(mcd_links *ls, size_t nl, int nl_fd)
{
    mcd_nl_change ch[64];
    bool changed = false, lost = false;

    for (int round = 0; round < 64; round++) {
        int n = mcd_nl_read_(nl_fd, ch, 64);

        if (n == 0)
            break;
        changed = true;
        if (n < 0) {
            for (size_t k = 0; k < nl && n != -ENOBUFS; k++)
                emit(&ls[k], MCD_EV_ERROR, "netlink", 0, n);
            lost = lost || n == -ENOBUFS;
            continue;
        }
        for (size_t k = 0; k < nl; k++)
            for (int i = 0; i < n; i++) {
                if (news(&ls[k], &ch[i]))
                    emit(&ls[k], MCD_EV_LINK, change_name(&ch[i]),
                         ch[i].ifindex, 0);
                if (ch[i].kind == MCD_NL_LINK_GONE)
                    forget_link(&ls[k], ch[i].ifindex);
            }
    }
    for (size_t k = 0; k < nl; k++) {
        if (lost)
            seed_links(&ls[k]);
        if (changed)
            mcd_links_resync_(&ls[k], false, NULL);
    }
}

void mcd_links_process_(mcd_links *l)
{
    mcd_links_follow_(l, 1, l->nl_fd);
}

/* --- open, close ----------------------------------------------------------- */

int mcd_links_open_(mcd_links *l, const mcd_links_config *cfg)
{
    int err;

    l->group = *cfg->group;
    if (cfg->source != NULL)
        l->source = *cfg->source;
    l->socks = cfg->shared != NULL ? cfg->shared : &l->own;
    l->on_event = cfg->on_event;
    l->ctx = cfg->ctx;
    if (cfg->nspecs > MCD_MAX_IFACES)
        return MCD_E_FULL;
    for (size_t i = 0; i < cfg->nspecs; i++) {
        l->specs[i] = strdup(cfg->specs[i]);
        if (l->specs[i] == NULL)
            return -ENOMEM;
        l->nspecs++;
    }
    l->wait_ifaces = cfg->wait_ifaces;
    if (cfg->shared == NULL) {
        l->own.family = (enum mcd_family)l->group.family;
        l->own.port = cfg->port;
        l->own.first_max = cfg->first_max;
    }
    if (l->socks->n == 0) {
        err = mcd_msocks_add_(l->socks);
        if (err < 0)
            return err;
    }
    if (cfg->no_netlink)
        return 0;
    l->nl_fd = mcd_nl_open_();
    if (l->nl_fd < 0)
        return l->nl_fd;
    seed_links(l); /* after subscribing: no change falls in between */
    return 0;
}

void mcd_links_close_(mcd_links *l)
{
    mcd_msocks_close_(&l->own);
    if (l->nl_fd >= 0)
        close(l->nl_fd);
    l->nl_fd = -1;
    for (size_t i = 0; i < l->nspecs; i++)
        free(l->specs[i]);
    l->nspecs = 0;
    free(l->joined.items);
    free(l->skipped.items);
    free(l->state.items);
    free(l->prefixes.items);
    l->joined = l->skipped = l->state = l->prefixes = (mcd_vec_){0};
}
