/* fuzz_sig_history - the message-backup archive reader (sig_history_read):
 * byte 0 even: the rest as the decrypted archive itself (gzip header and
 * stream checks); odd: the rest gzip-compressed here first, so that the
 * frame splitter and the protobuf-c frame parsers see the fuzzer's bytes.
 * Every input must end in 0 or an error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "../../module/signal/client/sig_history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *gzip(const uint8_t *p, size_t n, size_t *out_len)
{
    z_stream z;
    size_t cap = n + n / 100 + 64;
    uint8_t *out = malloc(cap);

    memset(&z, 0, sizeof(z));
    if (!out || deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sig_history_limits lim = {3, 0};
    sig_history *h = NULL;
    char err[128];
    uint8_t *gz;
    size_t n = 0;

    if (size < 1)
        return 0;
    lim.max_messages = data[0] >> 4; /* 0..15, including none kept */
    if (data[0] & 1) {
        gz = gzip(data + 1, size - 1, &n);
        if (sig_history_read(&h, gz, n, &lim, err, sizeof(err)) == 0)
            sig_history_free(h);
        free(gz);
    } else if (sig_history_read(&h, data + 1, size - 1, &lim, err, sizeof(err)) == 0) {
        sig_history_free(h);
    }
    return 0;
}
