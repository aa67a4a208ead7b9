/* ct_kyber.c - ctgrind-style constant-time check of sc_kyber: secret
 * inputs are marked undefined, so valgrind's memcheck reports every branch
 * and memory index that depends on them ("conditional jump ... depends on
 * uninitialised value"). Run by tests/ct/kyber-ct.sh.
 *   ct_kyber kem   - keygen (coins), encaps (coins), decaps (s and z of sk,
 *                    valid and forged ciphertexts), for Kyber1024 and then
 *                    ML-KEM-768 with its incremental encapsulation: must
 *                    be clean
 *   ct_kyber leak  - positive control: a secret-dependent branch that
 *                    valgrind must report */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sc_kyber.h"
#include "sc_mlkem768.h"

#include "ct.h"

#ifdef CT_USABLE

/* ML-KEM-768 (SPQR's epochs): keygen (seed), encaps (m), decaps (ŝ and z
 * of dk), and the incremental encaps1 (m) / encaps2 (the state). */
static int mlkem(void)
{
    static uint8_t ek[SC_MLKEM768_EK], dk[SC_MLKEM768_DK], ct[SC_MLKEM768_CT];
    static uint8_t hdr[SC_MLKEM768_HDR], ekt[SC_MLKEM768_EK_T], es[SC_MLKEM768_ES];
    uint8_t seed[64], m[32], ss[32], ss2[32];
    int rc;

    memset(seed, 0x3c, sizeof(seed));
    memset(m, 0xc3, sizeof(m));
    SECRET(seed, sizeof(seed));
    rc = sc_mlkem768_keypair_derand(ek, dk, seed);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(ek, sizeof(ek));
    SECRET(m, sizeof(m));
    rc = sc_mlkem768_encaps_derand(ct, ss, ek, m);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(ct, sizeof(ct));
    SECRET(dk, 1152);
    SECRET(dk + SC_MLKEM768_DK - 32, 32);
    rc = sc_mlkem768_decaps(ss2, ct, dk);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    ct[77] ^= 1; /* implicit rejection path */
    rc = sc_mlkem768_decaps(ss2, ct, dk);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    sc_mlkem768_split(hdr, ekt, ek);
    PUBLIC(hdr, sizeof(hdr));
    PUBLIC(ekt, sizeof(ekt));
    SECRET(m, sizeof(m));
    rc = sc_mlkem768_encaps1_derand(ct, es, ss, hdr, m);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(ct, SC_MLKEM768_CT1);
    rc = sc_mlkem768_encaps2(ct + SC_MLKEM768_CT1, es, ekt);
    PUBLIC(&rc, sizeof(rc));
    return rc ? 1 : 0;
}

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
    return rc ? 1 : mlkem();
}

#endif /* CT_USABLE */

CT_MAIN("ct_kyber", "kem", kem)
