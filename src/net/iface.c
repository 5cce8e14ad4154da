/*
 * iface.c - interfaces by name, index or address, and the default choice
 * (every interface that is up, multicast-capable, not loopback and
 * addressed in the group's family).
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note_addr(mcd_iface *ifc, const struct ifaddrs *ia)
{
    mcd_endpoint ep;

    if (ia->ifa_addr == NULL || mcd_from_sockaddr_(ia->ifa_addr, &ep) < 0)
        return;
    if (ep.addr.family == MCD_AF_INET4 && !ifc->has_v4) {
        ifc->has_v4 = true;
        ifc->v4 = ep.addr;
    } else if (ep.addr.family == MCD_AF_INET6) {
        ifc->has_v6 = true;
    }
}

/* Fill *out for interface `index` from the getifaddrs() list. */
static int describe(const struct ifaddrs *list, uint32_t index, mcd_iface *out)
{
    char name[IF_NAMESIZE];

    if (if_indextoname(index, name) == NULL)
        return MCD_E_NOIFACE;
    memset(out, 0, sizeof *out);
    out->index = index;
    snprintf(out->name, sizeof out->name, "%s", name);
    for (const struct ifaddrs *ia = list; ia; ia = ia->ifa_next) {
        if (strcmp(ia->ifa_name, name) != 0)
            continue;
        out->up = (ia->ifa_flags & IFF_UP) && (ia->ifa_flags & IFF_RUNNING);
        out->multicast = (ia->ifa_flags & IFF_MULTICAST) != 0;
        out->loopback = (ia->ifa_flags & IFF_LOOPBACK) != 0;
        note_addr(out, ia);
    }
    return 0;
}

static bool is_index(const char *s, uint32_t *idx)
{
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9')
        return false;
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v == 0 || v > UINT32_MAX)
        return false;
    *idx = (uint32_t)v;
    return true;
}

/* The interface holding address `a`, or 0. */
static uint32_t index_of_addr(const struct ifaddrs *list, const mcd_addr *a)
{
    for (const struct ifaddrs *ia = list; ia; ia = ia->ifa_next) {
        mcd_endpoint ep;

        if (ia->ifa_addr == NULL || mcd_from_sockaddr_(ia->ifa_addr, &ep) < 0)
            continue;
        ep.addr.scope_id = a->scope_id;
        if (mcd_addr_equal(&ep.addr, a))
            return if_nametoindex(ia->ifa_name);
    }
    return 0;
}

static uint32_t spec_index(const struct ifaddrs *list, const char *spec)
{
    uint32_t idx = 0;
    mcd_addr a;

    if (is_index(spec, &idx))
        return idx;
    if (mcd_addr_resolve(spec, &a) == 0)
        return index_of_addr(list, &a);
    return if_nametoindex(spec);
}

int mcd_iface_lookup(const char *spec, mcd_iface *out)
{
    struct ifaddrs *list;
    uint32_t idx;
    int err;

    if (spec == NULL || *spec == '\0')
        return MCD_E_NOIFACE;
    if (getifaddrs(&list) < 0)
        return -errno;
    idx = spec_index(list, spec);
    err = idx == 0 ? MCD_E_NOIFACE : describe(list, idx, out);
    freeifaddrs(list);
    if (err == 0)
        out->spec = SIZE_MAX;
    return err;
}

static bool has_family(const mcd_iface *ifc, enum mcd_family f)
{
    return f == MCD_AF_INET6 ? ifc->has_v6 : ifc->has_v4;
}

static int check_usable(const mcd_iface *ifc, enum mcd_family f)
{
    if (!ifc->up || !ifc->multicast)
        return MCD_E_IFNOMCAST;
    if (!has_family(ifc, f))
        return MCD_E_IFNOADDR;
    return 0;
}

static int select_given(const mcd_addr *g, const char *const *specs,
                        size_t n, mcd_iface *out, size_t cap, size_t *bad)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        mcd_iface ifc;
        bool dup = false;
        int err = mcd_iface_lookup(specs[i], &ifc);

        if (err == 0)
            err = check_usable(&ifc, g->family);
        if (err == 0 && g->scope_id != 0 && ifc.index != g->scope_id)
            err = MCD_E_ZONE;
        for (size_t j = 0; err == 0 && j < count; j++)
            dup = dup || out[j].index == ifc.index;
        if (err == 0 && !dup && count == cap)
            err = MCD_E_FULL;
        if (err < 0) {
            if (bad != NULL)
                *bad = i;
            return err;
        }
        ifc.spec = i;
        if (!dup)
            out[count++] = ifc;
    }
    return (int)count;
}

/* The zone of a link-scoped group is the one interface to use. */
static int select_zone(const mcd_addr *g, mcd_iface *out)
{
    char name[IF_NAMESIZE];
    int err;

    if (if_indextoname(g->scope_id, name) == NULL)
        return MCD_E_NOIFACE;
    err = mcd_iface_lookup(name, out);
    if (err == 0)
        err = check_usable(out, g->family);
    out->spec = SIZE_MAX;
    return err < 0 ? err : 1;
}

static int select_all(enum mcd_family f, mcd_iface *out, size_t cap)
{
    struct if_nameindex *ni = if_nameindex();
    struct ifaddrs *list;
    size_t count = 0;

    if (ni == NULL)
        return -errno;
    if (getifaddrs(&list) < 0) {
        int err = -errno;

        if_freenameindex(ni);
        return err;
    }
    for (struct if_nameindex *p = ni; p->if_index != 0 && count < cap; p++) {
        mcd_iface ifc;

        if (describe(list, p->if_index, &ifc) == 0 && !ifc.loopback &&
            check_usable(&ifc, f) == 0) {
            ifc.spec = SIZE_MAX;
            out[count++] = ifc;
        }
    }
    freeifaddrs(list);
    if_freenameindex(ni);
    return count == 0 ? MCD_E_NOIFACES : (int)count;
}

int mcd_iface_select(const mcd_addr *group, const char *const *specs,
                     size_t n_specs, mcd_iface *out, size_t cap, size_t *bad)
{
    if (bad != NULL)
        *bad = SIZE_MAX;
    if (group == NULL || cap == 0)
        return MCD_E_INVAL;
    if (n_specs > 0)
        return select_given(group, specs, n_specs, out, cap, bad);
    if (group->scope_id != 0)
        return select_zone(group, out);
    return select_all((enum mcd_family)group->family, out, cap);
}

int mcd_iface_select_alloc_(const mcd_addr *group, const char *const *specs,
                            size_t n_specs, mcd_iface **out, size_t *bad)
{
    size_t cap = n_specs > 0 ? n_specs : 64;

    for (;;) {
        mcd_iface *ifs = malloc(cap * sizeof *ifs);
        int n;

        if (ifs == NULL)
            return -ENOMEM;
        n = mcd_iface_select(group, specs, n_specs, ifs, cap, bad);
        if (n_specs == 0 && n == (int)cap && cap < INT_MAX / 2 / sizeof *ifs) {
            free(ifs);
            cap *= 2; /* maybe more than fitted: ask again */
            continue;
        }
        if (n < 0)
            free(ifs);
        else
            *out = ifs;
        return n;
    }
}
