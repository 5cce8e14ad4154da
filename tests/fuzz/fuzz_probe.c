/* fuzz_probe.c - the test header and the flow accounting on any bytes:
 * one flow table fed the input cut into datagrams. */
#include <stdlib.h>
#include <string.h>

#include "mcdisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mcd_flow table[4];
    mcd_flows f;
    mcd_endpoint src = {.addr = {.family = MCD_AF_INET4, .b = {198, 18, 0, 2}},
                        .port = 1};
    mcd_time now = 0;

    mcd_flows_init(&f, table, 4);
    /* Each datagram: one length byte, then that many bytes. */
    while (size > 0) {
        size_t len = data[0] < size - 1 ? data[0] : size - 1;
        mcd_flow *fl;
        mcd_probe h;

        src.port = (uint16_t)(1 + len % 3);
        (void)mcd_flows_input(&f, now, now * 7, &src, data + 1, len, &fl, &h);
        if (fl != NULL && mcd_flow_lost(fl) > fl->max_seq - fl->min_seq + 1)
            abort();
        now += 1000;
        data += len + 1;
        size -= len + 1;
    }
    return 0;
}
