/*
 * sc_keys.c - see sc_keys.h. Kyber key generation lives in sc_keys_kem.c so
 * this file only needs the EC primitives.
 */
#include "config.h"

#include <string.h>

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

/* ref10 field and group arithmetic exported by libsignal-protocol-c.so
 * (2.3.x; its XEdDSA already comes from there, see sc_prim.c). Declared
 * here because Debian does not install the headers. */
typedef int32_t sc_fe[10];
typedef struct { sc_fe X, Y, Z; } sc_ge_p2;
typedef struct { sc_fe X, Y, Z, T; } sc_ge_p3;
void crypto_sign_ed25519_ref10_fe_frombytes(sc_fe h, const unsigned char *s);
void crypto_sign_ed25519_ref10_fe_tobytes(unsigned char *s, const sc_fe h);
void crypto_sign_ed25519_ref10_fe_1(sc_fe h);
void crypto_sign_ed25519_ref10_fe_add(sc_fe h, const sc_fe f, const sc_fe g);
void crypto_sign_ed25519_ref10_fe_sub(sc_fe h, const sc_fe f, const sc_fe g);
void crypto_sign_ed25519_ref10_fe_mul(sc_fe h, const sc_fe f, const sc_fe g);
void crypto_sign_ed25519_ref10_fe_invert(sc_fe out, const sc_fe z);
int crypto_sign_ed25519_ref10_ge_frombytes_negate_vartime(sc_ge_p3 *h,
                                                          const unsigned char *s);
void crypto_sign_ed25519_ref10_ge_double_scalarmult_vartime(
    sc_ge_p2 *r, const unsigned char *a, const sc_ge_p3 *A,
    const unsigned char *b);
void crypto_sign_ed25519_ref10_ge_tobytes(unsigned char *s, const sc_ge_p2 *h);

/* Map u to the Edwards y = (u-1)/(u+1), decode the point (fails for points
 * on the twist), and check [l]P = identity: torsion-free. Variable time,
 * public input only. */
int sc_ec_pub_check_canonical(const uint8_t pub[SC_EC_PUB_LEN])
{
    /* the group order l and p = 2^255 - 19, little-endian */
    static const uint8_t l[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
        0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0x10};
    static const uint8_t zero[32], identity[32] = {1};
    sc_fe u, one, num, den, y;
    sc_ge_p3 P;
    sc_ge_p2 R;
    uint8_t yb[32], out[32];
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
    crypto_sign_ed25519_ref10_fe_frombytes(u, pub);
    crypto_sign_ed25519_ref10_fe_1(one);
    crypto_sign_ed25519_ref10_fe_sub(num, u, one);
    crypto_sign_ed25519_ref10_fe_add(den, u, one);
    crypto_sign_ed25519_ref10_fe_invert(den, den);
    crypto_sign_ed25519_ref10_fe_mul(y, num, den);
    crypto_sign_ed25519_ref10_fe_tobytes(yb, y);
    if (crypto_sign_ed25519_ref10_ge_frombytes_negate_vartime(&P, yb))
        return SC_ERR_KEY; /* not on the curve (twist) */
    crypto_sign_ed25519_ref10_ge_double_scalarmult_vartime(&R, l, &P, zero);
    crypto_sign_ed25519_ref10_ge_tobytes(out, &R);
    return memcmp(out, identity, 32) ? SC_ERR_KEY : 0;
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
