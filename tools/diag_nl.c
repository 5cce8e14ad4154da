/*
 * diag_nl.c - what diag asks rtnetlink about a local bridge, with libmnl:
 * the querier it elected or heard (IFLA_BR_MCAST_QUERIER_STATE, Linux
 * 5.15) and its group database (RTM_GETMDB). Without libmnl these say
 * they were not built.
 */
#include "cli.h"

#include <string.h>

#ifdef MCD_HAVE_MNL
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

/* libmnl's iteration macros do their pointer arithmetic in long. */
#pragma GCC diagnostic ignored "-Wconversion"

typedef int (*nl_each)(const struct nlmsghdr *nlh, void *ctx);

/* Send one request and feed every answer to cb. 0, or -errno. */
static int nl_ask(struct nlmsghdr *req, nl_each cb, void *ctx)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
    unsigned seq = (unsigned)time(NULL), portid;
    int ret = -1;

    if (nl == NULL)
        return -errno;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
        goto out;
    portid = mnl_socket_get_portid(nl);
    req->nlmsg_seq = seq;
    if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
        goto out;
    while ((ret = (int)mnl_socket_recvfrom(nl, buf, sizeof buf)) > 0) {
        ret = mnl_cb_run(buf, (size_t)ret, seq, portid, (mnl_cb_t)cb, ctx);
        /* A dump ends with NLMSG_DONE (MNL_CB_STOP); a plain request
         * gets one answer. */
        if (ret <= MNL_CB_STOP || !(req->nlmsg_flags & NLM_F_DUMP))
            break;
    }
out:
    ret = ret < 0 ? -errno : 0;
    mnl_socket_close(nl);
    return ret;
}

/* The nested attribute of type `type` inside `nest`, or NULL. */
static const struct nlattr *nested(const struct nlattr *nest, uint16_t type)
{
    const struct nlattr *a;

    mnl_attr_for_each_nested(a, nest)
        if (mnl_attr_get_type(a) == type)
            return a;
    return NULL;
}

static int querier_cb(const struct nlmsghdr *nlh, void *ctx)
{
    diag_bridge *b = ctx;
    const struct nlattr *a, *info = NULL, *data, *qs, *ip;

    mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
        if (mnl_attr_get_type(a) == IFLA_LINKINFO)
            info = a;
    if (info == NULL || (data = nested(info, IFLA_INFO_DATA)) == NULL ||
        (qs = nested(data, IFLA_BR_MCAST_QUERIER_STATE)) == NULL)
        return MNL_CB_OK;
    ip = nested(qs, BRIDGE_QUERIER_IP_ADDRESS);
    if (ip != NULL && mnl_attr_get_payload_len(ip) == 4) {
        mcd_addr q = {.family = MCD_AF_INET4};

        memcpy(q.b, mnl_attr_get_payload(ip), 4);
        if (q.b[0] != 0)
            cli_format_addr(&q, b->other_querier, sizeof b->other_querier);
    }
    return MNL_CB_OK;
}

void diag_bridge_querier(diag_bridge *b)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifinfomsg *ifm;

    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = (int)if_nametoindex(b->name);
    if (ifm->ifi_index != 0)
        (void)nl_ask(nlh, querier_cb, b);
}

typedef struct mdb_ctx {
    FILE *f;
    bool json;
    const char *bridge;
    unsigned n;
} mdb_ctx;

static void mdb_entry(mdb_ctx *c, const struct nlattr *e)
{
    const struct br_mdb_entry *m = mnl_attr_get_payload(e);
    mcd_addr g = {0};
    char gt[CLI_ADDR_STRLEN], port[IF_NAMESIZE + 8];

    if (mnl_attr_get_payload_len(e) < sizeof *m)
        return;
    if (m->addr.proto == htons(0x0800)) {
        g.family = MCD_AF_INET4;
        memcpy(g.b, &m->addr.u.ip4, 4);
    } else if (m->addr.proto == htons(0x86dd)) {
        g.family = MCD_AF_INET6;
        memcpy(g.b, &m->addr.u.ip6, 16);
    } else {
        return;
    }
    cli_format_addr(&g, gt, sizeof gt);
    cli_ifname(m->ifindex, port, sizeof port);
    c->n++;
    if (c->json) {
        fputs("{\"kind\":\"mdb\"", c->f);
        json_kv_str(c->f, "iface", c->bridge);
        json_kv_str(c->f, "port", port);
        json_kv_str(c->f, "group", gt);
        json_kv_str(c->f, "state",
                    m->state == MDB_PERMANENT ? "permanent" : "temp");
        fputs("}\n", c->f);
    } else {
        fprintf(c->f, "%s mdb port=%s group=%s state=%s\n", c->bridge, port,
                gt, m->state == MDB_PERMANENT ? "permanent" : "temp");
    }
}

static int mdb_cb(const struct nlmsghdr *nlh, void *ctx)
{
    const struct nlattr *a, *ent, *info;

    mnl_attr_for_each(a, nlh, sizeof(struct br_port_msg)) {
        if (mnl_attr_get_type(a) != MDBA_MDB)
            continue;
        mnl_attr_for_each_nested(ent, a)
            if (mnl_attr_get_type(ent) == MDBA_MDB_ENTRY)
                mnl_attr_for_each_nested(info, ent)
                    if (mnl_attr_get_type(info) == MDBA_MDB_ENTRY_INFO)
                        mdb_entry(ctx, info);
    }
    return MNL_CB_OK;
}

void diag_mdb_records(FILE *f, bool json, const char *bridge)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct br_port_msg *bpm;
    mdb_ctx c = {f, json, bridge, 0};
    int err;

    nlh->nlmsg_type = RTM_GETMDB;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    bpm = mnl_nlmsg_put_extra_header(nlh, sizeof *bpm);
    bpm->family = AF_BRIDGE;
    bpm->ifindex = if_nametoindex(bridge);
    err = nl_ask(nlh, mdb_cb, &c);
    if (err < 0 && json) {
        fputs("{\"kind\":\"mdb\"", f);
        json_kv_str(f, "iface", bridge);
        json_kv_str(f, "error", strerror(-err));
        fputs("}\n", f);
    } else if (err < 0) {
        fprintf(f, "%s mdb error=%s\n", bridge, strerror(-err));
    }
}

#else /* !MCD_HAVE_MNL */

void diag_bridge_querier(diag_bridge *b)
{
    (void)b;
}

void diag_mdb_records(FILE *f, bool json, const char *bridge)
{
    if (json) {
        fputs("{\"kind\":\"mdb\"", f);
        json_kv_str(f, "iface", bridge);
        json_kv_str(f, "error", "built without libmnl");
        fputs("}\n", f);
    } else {
        fprintf(f, "%s mdb error=built-without-libmnl\n", bridge);
    }
}

#endif
