/* fuzz_addr.c - address text: parse, and if it parses, format, parse back
 * to the same value, and classify. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[128], out[MCD_ADDR_STRLEN];
    mcd_addr a, b;
    mcd_addr_info info;
    size_t zone_at;

    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* The length-bounded form must not read past `size` (no NUL there). */
    (void)mcd_addr_parse_n((const char *)data, size, &a, &zone_at);
    if (mcd_addr_parse(text, &a) != 0)
        return 0;
    if (mcd_addr_format(&a, out, sizeof out) < 0)
        abort();
    if (mcd_addr_parse(out, &b) != 0 || !mcd_addr_equal(&a, &b))
        abort(); /* the canonical text must read back as the same address */
    if (mcd_addr_classify(&a, &info) != 0)
        abort();
    return 0;
}
