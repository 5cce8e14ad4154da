/*
 * version.c - the library version, set by the build (CMakeLists.txt).
 */
#include "mcdisc/core.h"

#ifndef MCD_VERSION_STRING
#error "MCD_VERSION_STRING must be defined by the build"
#endif

const char *mcd_version(void)
{
    return MCD_VERSION_STRING;
}
