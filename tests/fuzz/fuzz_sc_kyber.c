/* fuzz_sc_kyber.c - Kyber1024 on peer-controlled bytes: the 0x08-typed
 * ciphertext and public key of a PreKeySignalMessage / bundle. Decaps of
 * any ciphertext must succeed (implicit rejection); encaps to any public
 * key must succeed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_kyber.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pk[1568], sk[3168], ct[1568], buf[1568];
    static int have_keys;
    const uint8_t *raw;
    uint8_t ss[32], coins[64] = {7};

    if (!have_keys) {
        if (sc_kyber1024_keypair_derand(pk, sk, coins))
            abort();
        have_keys = 1;
    }
    if (sc_kyber1024_deserialize(&raw, data, size, 1568) == 0) {
        if (sc_kyber1024_dec(ss, raw, sk) || sc_kyber1024_enc(ct, ss, raw))
            abort();
    }
    memset(buf, 0, sizeof(buf));
    memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
    if (sc_kyber1024_dec(ss, buf, sk))
        abort();
    return 0;
}
