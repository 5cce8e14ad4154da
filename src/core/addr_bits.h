/*
 * addr_bits.h - two byte tests that both halves of the address code need
 * (addr.c writes ::ffff:a.b.c.d in its dotted form, addr_class.c
 * classifies it by its IPv4 part). Internal to src/core.
 */
#ifndef MCD_ADDR_BITS_H
#define MCD_ADDR_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool addr_all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* ::ffff:0:0/96 (RFC 4291 2.5.5.2). */
static inline bool addr_v4_mapped(const uint8_t *b)
{
    return addr_all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff;
}

#endif
