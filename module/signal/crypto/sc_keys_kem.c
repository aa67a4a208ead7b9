/* sc_keys_kem.c - Kyber pre-key generation (sc_keys.h), on sc_kyber. */
#include "config.h"

#include "sc_keys.h"
#include "sc_kyber.h"
#include "sc_prim.h"

_Static_assert(SC_KEM_PUB_LEN == SC_KYBER1024_PUBLICKEYBYTES, "pk size");
_Static_assert(SC_KEM_PRIV_LEN == SC_KYBER1024_SECRETKEYBYTES, "sk size");
_Static_assert(SC_KEM_CT_LEN == SC_KYBER1024_CIPHERTEXTBYTES, "ct size");

int sc_kyber_prekey_generate(sc_kyber_prekey *kpk, uint32_t id,
                             uint64_t timestamp_ms, int last_resort,
                             const sc_ec_keypair *identity)
{
    uint8_t ser[SC_KEM_SERIALIZED_LEN];
    int rc;

    kpk->id = id;
    kpk->timestamp_ms = timestamp_ms;
    kpk->last_resort = last_resort ? 1 : 0;
    rc = sc_kyber1024_keypair(kpk->pub, kpk->priv);
    if (rc)
        goto out;
    /* signed over the serialized form, type byte included (1569 bytes) */
    sc_kem_serialize(ser, kpk->pub);
    rc = sc_xeddsa_sign(kpk->sig, identity->priv, ser, sizeof(ser));
out:
    if (rc)
        sc_kyber_prekey_wipe(kpk);
    return rc;
}
