/* fuzz_sn_h1ws.c - the HTTP/1.1 upgrade response parser on arbitrary heads. */
#include <stdint.h>
#include <stdlib.h>

#include "../../module/signal/net/sn_h1ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sn_hdrs h;
    int status = 0, n;

    sn_hdrs_init(&h, 0);
    n = sn_h1ws_parse_response(data, size, "dGhlIHNhbXBsZSBub25jZQ==", &status, &h);
    if (n > 0 && (size_t)n > size)
        abort();
    sn_hdrs_free(&h);
    return 0;
}
