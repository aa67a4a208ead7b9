/* fuzz_sc_zkgroup.c - zkgroup decryption on any bytes: UuidCiphertext and
 * ProfileKeyCiphertext under a fixed group, Lizard decode and the Elligator
 * inverse on any 32 bytes. Whatever decrypts must re-encrypt to the same
 * bytes (the ciphertext is a function of the plaintext), and every inverse
 * candidate must map back to its point. The first byte picks the parser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_lizard.h"
#include "../../module/signal/crypto/sc_zk.h"

/* master key 01..20, as the seeds in tests/fuzz/corpus/fuzz_sc_zkgroup */
static void group(sc_zk_group *g)
{
    uint8_t mk[32];
    for (int i = 0; i < 32; i++)
        mk[i] = (uint8_t)(i + 1);
    if (sc_zk_group_derive(g, mk))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[65], u[32], p[32], cand[8][32];
    unsigned mask;
    sc_zk_group g;
    int kind;

    if (size < 1)
        return 0;
    switch (data[0] % 5) {
    case 0: /* uid ciphertext */
        group(&g);
        if (sc_zk_uid_decrypt(u, &kind, &g, data + 1, size - 1) == 0) {
            if (sc_zk_uid_encrypt(out, &g, u, kind) || size - 1 != 65 ||
                memcmp(out, data + 1, 65))
                abort();
        }
        break;
    case 1: /* profile key ciphertext, the ACI first */
        if (size < 17)
            return 0;
        group(&g);
        if (sc_zk_profile_key_decrypt(u, &g, data + 17, size - 17, data + 1) == 0) {
            if (sc_zk_profile_key_encrypt(out, &g, u, data + 1) || size - 17 != 65 ||
                memcmp(out, data + 17, 65))
                abort();
        }
        break;
    case 2: /* Lizard decode */
        if (size < 33)
            return 0;
        if (sc_lizard_decode(u, data + 1) == 0) {
            sc_lizard_encode(p, u);
            if (memcmp(p, data + 1, 32))
                abort();
        }
        break;
    case 3: /* Elligator inverse */
        if (size < 33)
            return 0;
        if (sc_lizard_map_inverse(cand, &mask, data + 1) == 0) {
            for (int i = 0; i < 8; i++) {
                if (!((mask >> i) & 1))
                    continue;
                sc_lizard_map(p, cand[i]);
                if (memcmp(p, data + 1, 32))
                    abort();
            }
        } else if (mask) {
            abort();
        }
        break;
    case 4: /* uid round trip */
        if (size < 18)
            return 0;
        group(&g);
        kind = data[1] & 1;
        if (sc_zk_uid_encrypt(out, &g, data + 2, kind) ||
            sc_zk_uid_decrypt(u, &kind, &g, out, 65) || kind != (data[1] & 1) ||
            memcmp(u, data + 2, 16))
            abort();
        break;
    }
    return 0;
}
