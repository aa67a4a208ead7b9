/* fuzz_sn_wsmsg.c - sn_wsmsg_decode on arbitrary bytes; a decoded message
 * is re-encoded and must decode to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/net/sn_wsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sn_wsmsg m, m2;
    ut_buf b;
    int rc;

    if (sn_wsmsg_decode(data, size, &m) != 0)
        return 0;
    ut_buf_init(&b, size * 2 + 1024);
    if (m.type == SN_WSMSG_REQUEST)
        rc = sn_wsmsg_encode_request(&b, m.verb, m.path, m.id, m.headers.v, m.headers.n,
                                     m.body, m.body_len);
    else
        rc = sn_wsmsg_encode_response(&b, m.id, m.status, m.message, m.headers.v,
                                      m.headers.n, m.body, m.body_len);
    if (rc == 0) {
        if (sn_wsmsg_decode(b.data, b.len, &m2) != 0)
            abort();
        if (m2.type != m.type || m2.id != m.id || m2.body_len != m.body_len ||
            m2.headers.n != m.headers.n ||
            (m.body_len && memcmp(m.body, m2.body, m.body_len) != 0))
            abort();
        sn_wsmsg_clear(&m2);
    }
    ut_buf_free(&b);
    sn_wsmsg_clear(&m);
    return 0;
}
