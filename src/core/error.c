/*
 * error.c - messages and names for the MCD_E_* block and for -errno.
 *
 * The core has no <errno.h> dependency of its own for codes: a negative
 * value outside the library block is passed to the platform's strerror
 * through mcd_os_strerror_(), which the POSIX layer (or a port) provides.
 */
#include "mcdisc/core.h"


#define MCD_ERR_MSG_(name, msg) msg,
#define MCD_ERR_NAME_(name, msg) "MCD_E_" #name,

static const char *const err_msg[] = {MCD_ERRNO_MAP(MCD_ERR_MSG_)};
static const char *const err_name[] = {MCD_ERRNO_MAP(MCD_ERR_NAME_)};

#define MCD_IGN_MSG_(name, msg) msg,
static const char *const ign_msg[] = {MCD_IGNORE_MAP(MCD_IGN_MSG_)};

static const char *const ign_name[] = {
    "answered",   "empty",    "oversize",     "prefix",
    "trailing",   "other",    "not-group",    "bad-source",
    "off-link",   "local-source", "rate-querier", "rate-global",
    "full",       "unresolved",   "send-failed",  "known",
    "ext-client", "malformed-ext", "short-query",
};

_Static_assert(sizeof ign_name / sizeof ign_name[0] == MCD_IGNORE_COUNT_,
               "ign_name must list every MCD_IGNORE_* value");

static int lib_index(int err)
{
    if (err <= MCD_E_FIRST_ || err >= MCD_E_LAST_)
        return -1;
    return err - MCD_E_FIRST_ - 1;
}

/* Provided by the platform layer (src/net/oserr.c on POSIX). */
const char *mcd_os_strerror_(int errnum);
const char *mcd_os_errname_(int errnum);

const char *mcd_strerror(int err)
{
    int i = lib_index(err);

    if (i >= 0)
        return err_msg[i];
    if (err < 0)
        return mcd_os_strerror_(-err);
    return "success";
}

const char *mcd_errname(int err)
{
    int i = lib_index(err);

    if (i >= 0)
        return err_name[i];
    if (err < 0)
        return mcd_os_errname_(-err);
    return "OK";
}

const char *mcd_ignore_str(enum mcd_ignore why)
{
    if ((unsigned)why >= MCD_IGNORE_COUNT_)
        return "unknown";
    return ign_msg[why];
}

const char *mcd_ignore_name(enum mcd_ignore why)
{
    if ((unsigned)why >= MCD_IGNORE_COUNT_)
        return "unknown";
    return ign_name[why];
}
