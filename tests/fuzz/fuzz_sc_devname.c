/* fuzz_sc_devname.c - DeviceName parsing and decryption on any bytes (the
 * server returns other devices' names), plus a round trip of the input as
 * a name (first byte 0xff). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_devname.h"
#include "../../module/signal/crypto/sc_prim.h"

static const uint8_t PRIV[32] = {0x58, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3,
                                 4, 5, 6, 7, 8, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
                                 1, 2, 0x42};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *enc = NULL, pub[32];
    char *name = NULL;
    size_t n = 0, len = 0;

    if (size > 0 && data[0] == 0xff) {
        if (size - 1 > SC_DEVNAME_MAX)
            return 0;
        if (sc_x25519_public(pub, PRIV) ||
            sc_devname_encrypt(&enc, &len, pub, data + 1, size - 1) ||
            sc_devname_decrypt(&name, &n, PRIV, enc, len) || n != size - 1 ||
            (n && memcmp(name, data + 1, n)))
            abort();
        free(enc);
        free(name);
        return 0;
    }
    if (sc_devname_decrypt(&name, &n, PRIV, data, size) == 0)
        free(name);
    return 0;
}
