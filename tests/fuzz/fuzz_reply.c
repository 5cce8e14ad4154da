/* fuzz_reply.c - the reply codec and the query match on any bytes: a
 * parsed reply must format back to bytes that parse to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char q[] = MCD_DEFAULT_QUERY;
    uint8_t out[MCD_REPLY_MAX];
    mcd_reply r, r2;
    int n;

    (void)mcd_query_match(data, size, (const uint8_t *)q, sizeof q - 1);
    if (mcd_reply_parse(data, size, &r) != 0)
        return 0;
    n = mcd_reply_format(r.name, r.proto, r.port, out, sizeof out);
    if (n < 0 || mcd_reply_parse(out, (size_t)n, &r2) != 0)
        abort();
    if (strcmp(r.name, r2.name) != 0 || strcmp(r.proto, r2.proto) != 0 ||
        r.port != r2.port)
        abort();
    return 0;
}
