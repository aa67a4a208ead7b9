/*
 * sc_keys.c - see sc_keys.h. Kyber key generation lives in sc_keys_kem.c so
 * this file only needs the EC primitives.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sc_fe25519.h"
#include "sc_keys.h"
#include "sc_prim.h"

#define REC_VERSION 1
enum { KIND_IDENTITY = 1, KIND_PREKEY = 2, KIND_SIGNED = 3, KIND_KYBER = 4 };

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- EC keys ------------------------------------------------------------ */

int sc_ec_keypair_generate(sc_ec_keypair *kp)
{
    int rc = sc_x25519_keypair(kp->pub, kp->priv);

    if (rc)
        sc_ec_keypair_wipe(kp);
    return rc;
}

void sc_ec_keypair_wipe(sc_ec_keypair *kp)
{
    if (kp)
        ut_wipe(kp, sizeof(*kp));
}

void sc_ec_pub_serialize(uint8_t out[SC_EC_SERIALIZED_LEN],
                         const uint8_t pub[SC_EC_PUB_LEN])
{
    out[0] = SC_EC_TYPE;
    memcpy(out + 1, pub, SC_EC_PUB_LEN);
}

int sc_ec_pub_deserialize(uint8_t pub[SC_EC_PUB_LEN], const uint8_t *in,
                          size_t n)
{
    if (!in || n != SC_EC_SERIALIZED_LEN || in[0] != SC_EC_TYPE)
        return SC_ERR_KEY;
    memcpy(pub, in + 1, SC_EC_PUB_LEN);
    return 0;
}

/* Map u to the Edwards y = (u-1)/(u+1) and let libsodium check the point
 * (crypto_core_ed25519_is_valid_point): on the curve, not of small order,
 * and [l]P = identity, i.e. torsion-free. u is public; the field code of
 * sc_fe25519.h is constant time anyway. */
int sc_ec_pub_check_canonical(const uint8_t pub[SC_EC_PUB_LEN])
{
    static const uint8_t zero[32];
    fe u, one, num, den, y;
    uint8_t yb[32];
    int i;

    /* u < p: compare from the top byte down */
    for (i = 31; i >= 0; i--) {
        uint8_t pi = i == 31 ? 0x7f : i == 0 ? 0xed : 0xff;
        if (pub[i] != pi) {
            if (pub[i] > pi)
                return SC_ERR_KEY;
            break;
        }
    }
    if (i < 0 || !memcmp(pub, zero, 32))
        return SC_ERR_KEY; /* u = p, or the order-2 point u = 0 */
    fe_frombytes(u, pub);
    fe_one(one);
    fe_sub(num, u, one);
    fe_add(den, u, one);
    if (fe_iszero(den))
        return SC_ERR_KEY; /* u = -1: no Edwards point */
    fe_invert(den, den);
    fe_mul(y, num, den);
    fe_tobytes(yb, y); /* sign bit 0: P and -P are torsion-free together */
    return crypto_core_ed25519_is_valid_point(yb) ? 0 : SC_ERR_KEY;
}

/* ---- pre-keys ----------------------------------------------------------- */

int sc_prekey_generate(sc_prekey *pk, uint32_t id)
{
    pk->id = id;
    return sc_ec_keypair_generate(&pk->kp);
}

void sc_prekey_wipe(sc_prekey *pk)
{
    if (pk)
        ut_wipe(pk, sizeof(*pk));
}

int sc_signed_prekey_generate(sc_signed_prekey *spk, uint32_t id,
                              uint64_t timestamp_ms,
                              const sc_ec_keypair *identity)
{
    uint8_t ser[SC_EC_SERIALIZED_LEN];
    int rc;

    spk->id = id;
    spk->timestamp_ms = timestamp_ms;
    rc = sc_ec_keypair_generate(&spk->kp);
    if (rc)
        goto out;
    sc_ec_pub_serialize(ser, spk->kp.pub);
    rc = sc_xeddsa_sign(spk->sig, identity->priv, ser, sizeof(ser));
out:
    if (rc)
        sc_signed_prekey_wipe(spk);
    return rc;
}

void sc_signed_prekey_wipe(sc_signed_prekey *spk)
{
    if (spk)
        ut_wipe(spk, sizeof(*spk));
}

int sc_signed_prekey_verify(const uint8_t identity_pub[SC_EC_PUB_LEN],
                            const uint8_t spk_pub[SC_EC_PUB_LEN],
                            const uint8_t sig[SC_SIG_LEN])
{
    uint8_t ser[SC_EC_SERIALIZED_LEN];

    sc_ec_pub_serialize(ser, spk_pub);
    return sc_xeddsa_verify(sig, identity_pub, ser, sizeof(ser)) ? SC_ERR_SIGNATURE : 0;
}

void sc_kyber_prekey_wipe(sc_kyber_prekey *kpk)
{
    if (kpk)
        ut_wipe(kpk, sizeof(*kpk));
}

void sc_kem_serialize(uint8_t out[SC_KEM_SERIALIZED_LEN],
                      const uint8_t raw[SC_KEM_PUB_LEN])
{
    out[0] = SC_KEM_TYPE_KYBER1024;
    memcpy(out + 1, raw, SC_KEM_PUB_LEN);
}

int sc_kem_deserialize(uint8_t raw[SC_KEM_PUB_LEN], const uint8_t *in,
                       size_t n)
{
    if (!in || n != SC_KEM_SERIALIZED_LEN || in[0] != SC_KEM_TYPE_KYBER1024)
        return SC_ERR_KEY;
    memcpy(raw, in + 1, SC_KEM_PUB_LEN);
    return 0;
}

int sc_kyber_prekey_verify(const uint8_t identity_pub[SC_EC_PUB_LEN],
                           const uint8_t kem_pub[SC_KEM_PUB_LEN],
                           const uint8_t sig[SC_SIG_LEN])
{
    uint8_t ser[SC_KEM_SERIALIZED_LEN];

    sc_kem_serialize(ser, kem_pub);
    return sc_xeddsa_verify(sig, identity_pub, ser, sizeof(ser)) ? SC_ERR_SIGNATURE : 0;
}

/* ---- storage -------------------------------------------------------------- */

static int check_head(const uint8_t *in, size_t n, size_t want, int kind)
{
    if (!in || n != want || in[0] != REC_VERSION || in[1] != kind)
        return SC_ERR_KEY_RECORD;
    return 0;
}

/* The stored public key must belong to the private key: catches truncated
 * or mixed-up records before they produce undecryptable sessions. */
static int check_pair(const sc_ec_keypair *kp)
{
    uint8_t pub[32];
    int rc = sc_x25519_public(pub, kp->priv);

    if (!rc && !ut_ct_eq(pub, kp->pub, 32))
        rc = SC_ERR_KEY_RECORD;
    return rc;
}

void sc_identity_keypair_store(uint8_t out[SC_IDENTITY_RECORD_LEN],
                               const sc_ec_keypair *ik)
{
    out[0] = REC_VERSION;
    out[1] = KIND_IDENTITY;
    memcpy(out + 2, ik->pub, 32);
    memcpy(out + 34, ik->priv, 32);
}

int sc_identity_keypair_load(sc_ec_keypair *ik, const uint8_t *in, size_t n)
{
    int rc = check_head(in, n, SC_IDENTITY_RECORD_LEN, KIND_IDENTITY);

    if (rc)
        return rc;
    memcpy(ik->pub, in + 2, 32);
    memcpy(ik->priv, in + 34, 32);
    rc = check_pair(ik);
    if (rc)
        sc_ec_keypair_wipe(ik);
    return rc;
}

void sc_prekey_store(uint8_t out[SC_PREKEY_RECORD_LEN], const sc_prekey *pk)
{
    out[0] = REC_VERSION;
    out[1] = KIND_PREKEY;
    put32(out + 2, pk->id);
    memcpy(out + 6, pk->kp.pub, 32);
    memcpy(out + 38, pk->kp.priv, 32);
}

int sc_prekey_load(sc_prekey *pk, const uint8_t *in, size_t n)
{
    int rc = check_head(in, n, SC_PREKEY_RECORD_LEN, KIND_PREKEY);

    if (rc)
        return rc;
    pk->id = get32(in + 2);
    memcpy(pk->kp.pub, in + 6, 32);
    memcpy(pk->kp.priv, in + 38, 32);
    rc = check_pair(&pk->kp);
    if (rc)
        sc_prekey_wipe(pk);
    return rc;
}

void sc_signed_prekey_store(uint8_t out[SC_SIGNED_PREKEY_RECORD_LEN],
                            const sc_signed_prekey *spk)
{
    out[0] = REC_VERSION;
    out[1] = KIND_SIGNED;
    put32(out + 2, spk->id);
    put64(out + 6, spk->timestamp_ms);
    memcpy(out + 14, spk->kp.pub, 32);
    memcpy(out + 46, spk->kp.priv, 32);
    memcpy(out + 78, spk->sig, 64);
}

int sc_signed_prekey_load(sc_signed_prekey *spk, const uint8_t *in, size_t n)
{
    int rc = check_head(in, n, SC_SIGNED_PREKEY_RECORD_LEN, KIND_SIGNED);

    if (rc)
        return rc;
    spk->id = get32(in + 2);
    spk->timestamp_ms = get64(in + 6);
    memcpy(spk->kp.pub, in + 14, 32);
    memcpy(spk->kp.priv, in + 46, 32);
    memcpy(spk->sig, in + 78, 64);
    rc = check_pair(&spk->kp);
    if (rc)
        sc_signed_prekey_wipe(spk);
    return rc;
}

void sc_kyber_prekey_store(uint8_t out[SC_KYBER_PREKEY_RECORD_LEN],
                           const sc_kyber_prekey *kpk)
{
    out[0] = REC_VERSION;
    out[1] = KIND_KYBER;
    put32(out + 2, kpk->id);
    put64(out + 6, kpk->timestamp_ms);
    out[14] = kpk->last_resort ? 1 : 0;
    memcpy(out + 15, kpk->pub, SC_KEM_PUB_LEN);
    memcpy(out + 15 + SC_KEM_PUB_LEN, kpk->priv, SC_KEM_PRIV_LEN);
    memcpy(out + 15 + SC_KEM_PUB_LEN + SC_KEM_PRIV_LEN, kpk->sig, 64);
}

int sc_kyber_prekey_load(sc_kyber_prekey *kpk, const uint8_t *in, size_t n)
{
    int rc = check_head(in, n, SC_KYBER_PREKEY_RECORD_LEN, KIND_KYBER);

    if (rc)
        return rc;
    if (in[14] > 1)
        return SC_ERR_KEY_RECORD;
    kpk->id = get32(in + 2);
    kpk->timestamp_ms = get64(in + 6);
    kpk->last_resort = in[14];
    memcpy(kpk->pub, in + 15, SC_KEM_PUB_LEN);
    memcpy(kpk->priv, in + 15 + SC_KEM_PUB_LEN, SC_KEM_PRIV_LEN);
    memcpy(kpk->sig, in + 15 + SC_KEM_PUB_LEN + SC_KEM_PRIV_LEN, 64);
    /* The round-3 secret key embeds the public key (dk_pke ‖ ek ‖ H ‖ z). */
    if (!ut_ct_eq(kpk->priv + 1536, kpk->pub, SC_KEM_PUB_LEN)) {
        sc_kyber_prekey_wipe(kpk);
        return SC_ERR_KEY_RECORD;
    }
    return 0;
}
