/*
 * oserr_lwip.c - the platform half of mcd_strerror() for builds without
 * the POSIX layer (lwIP devices): the C library's strerror.
 */
#include <string.h>

const char *mcd_os_strerror_(int errnum);
const char *mcd_os_errname_(int errnum);

const char *mcd_os_strerror_(int errnum)
{
    return strerror(errnum);
}

const char *mcd_os_errname_(int errnum)
{
    (void)errnum;
    return "E?";
}
