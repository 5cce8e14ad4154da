/*
 * oserr.c - the platform half of mcd_strerror(): POSIX errno text.
 */
#define _GNU_SOURCE
#include "mcdisc.h"

#include <string.h>

const char *mcd_os_strerror_(int errnum);
const char *mcd_os_errname_(int errnum);

const char *mcd_os_strerror_(int errnum)
{
    return strerror(errnum);
}

const char *mcd_os_errname_(int errnum)
{
    const char *name = strerrorname_np(errnum);

    return name != NULL ? name : "E?";
}
