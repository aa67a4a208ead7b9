/* fuzz_sc_provision.c - ProvisionEnvelope parsing and decryption on any
 * bytes (what the provisioning socket hands us), plus an encrypt/decrypt
 * round trip of the input as a ProvisionMessage (first byte 0xff). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_pbwire.h"
#include "../../module/signal/crypto/sc_prim.h"
#include "../../module/signal/crypto/sc_provision.h"

static const uint8_t PRIV[32] = {0x48, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                                 24, 25, 26, 27, 28, 29, 30, 0x71};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *pt = NULL, *env = NULL, pub[32];
    size_t n = 0, env_len = 0;
    sc_pb_reader r;
    sc_pb_field f;

    if (size > 0 && data[0] == 0xff) {
        if (sc_x25519_public(pub, PRIV) ||
            sc_provision_encrypt(&env, &env_len, pub, data + 1, size - 1))
            abort();
        if (sc_provision_decrypt(&pt, &n, PRIV, env, env_len) || n != size - 1 ||
            (n && memcmp(pt, data + 1, n)))
            abort();
        free(env);
        free(pt);
        return 0;
    }
    sc_pb_reader_init(&r, data, size);
    while (sc_pb_next(&r, &f) == 1)
        ;
    if (sc_provision_decrypt(&pt, &n, PRIV, data, size) == 0)
        free(pt);
    if (size > 33 &&
        sc_provision_decrypt_fields(&pt, &n, PRIV, data, 33, data + 33, size - 33) == 0)
        free(pt);
    return 0;
}
