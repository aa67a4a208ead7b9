/* ct_kyber.c - ctgrind-style constant-time check of sc_kyber: secret
 * inputs are marked undefined, so valgrind's memcheck reports every branch
 * and memory index that depends on them ("conditional jump ... depends on
 * uninitialised value"). Run by tests/ct/kyber-ct.sh.
 *   ct_kyber kem   - keygen (coins), encaps (coins), decaps (s and z of sk,
 *                    valid and forged ciphertexts): must be clean
 *   ct_kyber leak  - positive control: a secret-dependent branch that
 *                    valgrind must report */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sc_kyber.h"

#include "ct.h"

#ifdef CT_USABLE

static int kem(void)
{
    static uint8_t pk[1568], sk[3168], ct[1568];
    uint8_t coins[64], m[32], ss[32], ss2[32];
    int rc;

    memset(coins, 0x5a, sizeof(coins));
    memset(m, 0xa5, sizeof(m));
    SECRET(coins, sizeof(coins));
    rc = sc_kyber1024_keypair_derand(pk, sk, coins);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(pk, sizeof(pk)); /* the public key is published */

    SECRET(m, sizeof(m));
    rc = sc_kyber1024_enc_derand(ct, ss, pk, m);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(ct, sizeof(ct)); /* the ciphertext is sent */

    /* secret parts of sk: s (0..1536) and z (3136..3168); pk and H(pk)
     * inside it are public */
    SECRET(sk, 1536);
    SECRET(sk + 3136, 32);
    rc = sc_kyber1024_dec(ss2, ct, sk);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    ct[100] ^= 1; /* forged: implicit rejection path */
    rc = sc_kyber1024_dec(ss2, ct, sk);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;

    /* the real keygen and encaps take OS randomness */
    rc = sc_kyber1024_keypair(pk, sk);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(pk, sizeof(pk));
    rc = sc_kyber1024_enc(ct, ss, pk);
    PUBLIC(&rc, sizeof(rc));
    return rc ? 1 : 0;
}

#endif /* CT_USABLE */

CT_MAIN("ct_kyber", "kem", kem)
