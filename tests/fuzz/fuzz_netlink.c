/* fuzz_netlink.c - rtnetlink message walking on any bytes. */
#include <stdlib.h>
#include <string.h>

#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mcd_nl_change ch[16];
    /* Copy to an exactly sized heap block so ASan sees any over-read. */
    uint8_t *buf = malloc(size ? size : 1);
    int n;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    n = mcd_nl_parse_(buf, size, ch, 16);
    if (n < 0 || n > 16)
        abort();
    free(buf);
    return 0;
}
