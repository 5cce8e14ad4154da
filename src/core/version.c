/*
 * version.c - the library version, from the generated mcdisc/version.h
 * (cmake/version.cmake): the one the headers a program was built with
 * may differ from, when the shared library was replaced.
 */
#include "mcdisc/core.h"

const char *mcd_version(void)
{
    return MCD_VERSION_STRING;
}
