/* sc_zkgroup.c - GroupSecretParams, UuidCiphertext and ProfileKeyCiphertext
 * (sc_zk.h, sc_zk_int.h), following libsignal 0.100's
 * rust/zkgroup/src/api/groups/group_params.rs, crypto/uid_encryption.rs,
 * crypto/profile_key_encryption.rs and rust/zkcredential/src/attributes.rs.
 * Group and scalar arithmetic is libsodium's Ristretto255; the Elligator
 * maps come from sc_lizard. */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sc_lizard.h"
#include "sc_sho.h"
#include "sc_zk_int.h"
#include "ut.h"

const uint8_t sc_zk_uid_g_a1[32] = {
    0xa6, 0x32, 0x4c, 0x36, 0x8d, 0xf7, 0x34, 0x69, 0x11, 0x47, 0x98, 0x13, 0x48, 0xb6, 0xe7, 0xeb,
    0x42, 0xc3, 0x30, 0x7e, 0x71, 0x1b, 0x6c, 0x7e, 0xcc, 0xd3, 0x03, 0x2d, 0x45, 0x69, 0x3f, 0x5a};
const uint8_t sc_zk_uid_g_a2[32] = {
    0x04, 0x80, 0x13, 0x52, 0x5b, 0x76, 0x12, 0x4b, 0xf2, 0x64, 0x0c, 0x5e, 0x93, 0x69, 0xc7, 0x6e,
    0xfb, 0xe8, 0x0a, 0xba, 0x2a, 0x24, 0xaa, 0x5d, 0x8e, 0x18, 0xa9, 0x8e, 0xba, 0x14, 0xf8, 0x37};
/* profile_key_encryption.rs SystemParams::SYSTEM_HARDCODED */
static const uint8_t pk_g_b1[32] = {
    0xf6, 0xba, 0xa3, 0x17, 0xce, 0x18, 0x39, 0xc9, 0x3d, 0x61, 0x7e, 0x0c, 0xd8, 0x37, 0xd1, 0x9d,
    0xa9, 0xc8, 0xa4, 0xc5, 0x20, 0xbf, 0x7c, 0x51, 0xb1, 0xe6, 0xc2, 0xcb, 0x2a, 0x04, 0x9c, 0x61};
static const uint8_t pk_g_b2[32] = {
    0x2e, 0x01, 0x75, 0x89, 0x4c, 0x87, 0x30, 0xb2, 0x03, 0xab, 0x3b, 0xd9, 0x8e, 0xcb, 0x2d, 0x81,
    0xab, 0xac, 0xb6, 0x5f, 0x8a, 0x61, 0x24, 0xf4, 0x97, 0x71, 0xd1, 0x4a, 0x98, 0x52, 0x12, 0x0c};

static const uint8_t identity[32];

#define LABEL(s) (s), (sizeof(s) - 1)

/* libsodium ignores bit 255 of an encoding; dalek (and RFC 9496) reject it. */
int sc_zk_point_mul(uint8_t out[32], const uint8_t s[32], const uint8_t p[32])
{
    if (p[31] & 0x80)
        return SC_ERR_FORMAT;
    if (crypto_scalarmult_ristretto255(out, s, p) == 0)
        return 0;
    /* -1: p invalid, or the product is the identity */
    if (!crypto_core_ristretto255_is_valid_point(p) && sodium_memcmp(p, identity, 32) != 0)
        return SC_ERR_FORMAT;
    memset(out, 0, 32);
    return 0;
}

/* s1*g1 + s2*g2 */
static int lincomb(uint8_t out[32], const uint8_t s1[32], const uint8_t g1[32],
                   const uint8_t s2[32], const uint8_t g2[32])
{
    uint8_t a[32], b[32];
    int rc;

    if ((rc = sc_zk_point_mul(a, s1, g1)) || (rc = sc_zk_point_mul(b, s2, g2)))
        goto out;
    rc = crypto_core_ristretto255_add(out, a, b) ? SC_ERR_CRYPTO : 0;
out:
    ut_wipe(a, sizeof(a));
    ut_wipe(b, sizeof(b));
    return rc;
}

static int calc_m1(uint8_t m1[32], const uint8_t uuid[16], int kind)
{
    uint8_t sid[17];
    size_t n = 0;
    sc_sho s;
    int rc;

    if (kind == SC_ZK_PNI)
        sid[n++] = 0x01;
    memcpy(sid + n, uuid, 16);
    n += 16;
    if (!(rc = sc_sho_init(&s, LABEL("Signal_ZKGroup_20200424_UID_CalcM1"))) &&
        !(rc = sc_sho_absorb_and_ratchet(&s, sid, n)))
        rc = sc_sho_point(&s, m1);
    sc_sho_clear(&s);
    return rc;
}

int sc_zk_uid_points(uint8_t m1[32], uint8_t m2[32], const uint8_t uuid[16], int kind)
{
    int rc;

    if (kind != SC_ZK_ACI && kind != SC_ZK_PNI)
        return UT_ERR_INVAL;
    if ((rc = calc_m1(m1, uuid, kind)))
        return rc;
    sc_lizard_encode(m2, uuid);
    return 0;
}

static int calc_m3(uint8_t m3[32], const uint8_t pk[32], const uint8_t uid[16])
{
    uint8_t in[48], r[32];
    sc_sho s;
    int rc;

    memcpy(in, pk, 32);
    memcpy(in + 32, uid, 16);
    if (!(rc = sc_sho_init(&s, LABEL("Signal_ZKGroup_20200424_ProfileKeyAndUid_ProfileKey_CalcM3"))) &&
        !(rc = sc_sho_absorb_and_ratchet(&s, in, sizeof(in))) &&
        !(rc = sc_sho_squeeze(&s, r, 32)))
        sc_lizard_map(m3, r);
    sc_sho_clear(&s);
    ut_wipe(in, sizeof(in));
    ut_wipe(r, sizeof(r));
    return rc;
}

int sc_zk_profile_key_points(uint8_t m3[32], uint8_t m4[32], const uint8_t profile_key[32],
                             const uint8_t uid[16])
{
    uint8_t enc[32];
    int rc;

    if ((rc = calc_m3(m3, profile_key, uid)))
        return rc;
    memcpy(enc, profile_key, 32);
    enc[0] &= 254;
    enc[31] &= 63;
    sc_lizard_map(m4, enc);
    ut_wipe(enc, sizeof(enc));
    return 0;
}

/* KeyPair::derive_from: a1, a2 from the Sho, A = a1*G1 + a2*G2;
 * out = a1 || a2 || A. */
static int derive_key_pair(uint8_t out[96], sc_sho *s, const uint8_t g1[32], const uint8_t g2[32])
{
    int rc;

    if ((rc = sc_sho_scalar(s, out)) || (rc = sc_sho_scalar(s, out + 32)))
        return rc;
    return lincomb(out + 64, out, g1, out + 32, g2);
}

int sc_zk_group_derive(sc_zk_group *g, const uint8_t master_key[32])
{
    sc_sho s;
    int rc;

    memset(g, 0, sizeof(*g));
    memcpy(g->b + SC_ZK_OFF_MASTER_KEY, master_key, 32);
    if ((rc = sc_sho_init(&s, LABEL("Signal_ZKGroup_20200424_GroupMasterKey_"
                                     "GroupSecretParams_DeriveFromMasterKey"))) ||
        (rc = sc_sho_absorb_and_ratchet(&s, master_key, 32)) ||
        (rc = sc_sho_squeeze(&s, g->b + SC_ZK_OFF_GROUP_ID, 32)) ||
        (rc = sc_sho_squeeze(&s, g->b + SC_ZK_OFF_BLOB_KEY, 32)) ||
        (rc = derive_key_pair(g->b + SC_ZK_OFF_UID_A1, &s, sc_zk_uid_g_a1, sc_zk_uid_g_a2)) ||
        (rc = derive_key_pair(g->b + SC_ZK_OFF_PK_A1, &s, pk_g_b1, pk_g_b2)))
        goto out;
out:
    sc_sho_clear(&s);
    if (rc)
        ut_wipe(g, sizeof(*g));
    return rc;
}

void sc_zk_group_public(uint8_t out[SC_ZK_GROUP_PUBLIC_LEN], const sc_zk_group *g)
{
    out[0] = 0;
    memcpy(out + 1, g->b + SC_ZK_OFF_GROUP_ID, 32);
    memcpy(out + 33, g->b + SC_ZK_OFF_UID_A, 32);
    memcpy(out + 65, g->b + SC_ZK_OFF_PK_A, 32);
}

/* KeyPair::encrypt: E_A1 = a1*M1, E_A2 = a2*E_A1 + M2; ct = 0 || E_A1 || E_A2 */
static int elgamal_encrypt(uint8_t ct[65], const uint8_t *kp, const uint8_t ma[32],
                           const uint8_t mb[32])
{
    uint8_t t[32];
    int rc;

    ct[0] = 0;
    if ((rc = sc_zk_point_mul(ct + 1, kp, ma)) || (rc = sc_zk_point_mul(t, kp + 32, ct + 1)))
        goto out;
    rc = crypto_core_ristretto255_add(ct + 33, t, mb) ? SC_ERR_CRYPTO : 0;
out:
    ut_wipe(t, sizeof(t));
    return rc;
}

static int valid_point(const uint8_t p[32])
{
    if (p[31] & 0x80)
        return 0;
    return crypto_core_ristretto255_is_valid_point(p) || sodium_memcmp(p, identity, 32) == 0;
}

/* Parses 0 || E_A1 || E_A2 and computes decrypt_to_second_point (E_A2 -
 * a2*E_A1) and a1^-1 * E_A1. */
static int elgamal_decrypt(uint8_t second[32], uint8_t first[32], const uint8_t *kp,
                           const uint8_t *ct, size_t n)
{
    static const uint8_t basepoint[32] = {
        0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
        0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76};
    uint8_t t[32], inv[32];
    int rc;

    if (n != 65 || ct[0] != 0 || !valid_point(ct + 1) || !valid_point(ct + 33))
        return SC_ERR_FORMAT;
    if (sodium_memcmp(ct + 1, basepoint, 32) == 0)
        return SC_ERR_ZK_VERIFY;
    if ((rc = sc_zk_point_mul(t, kp + 32, ct + 1)))
        goto out;
    if (crypto_core_ristretto255_sub(second, ct + 33, t)) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    if (crypto_core_ristretto255_scalar_invert(inv, kp) != 0) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    rc = sc_zk_point_mul(first, inv, ct + 1);
out:
    ut_wipe(t, sizeof(t));
    ut_wipe(inv, sizeof(inv));
    return rc;
}

int sc_zk_uid_encrypt(uint8_t ct[SC_ZK_UID_CT_LEN], const sc_zk_group *g, const uint8_t uuid[16],
                      int kind)
{
    uint8_t m1[32], m2[32];
    int rc;

    if (!(rc = sc_zk_uid_points(m1, m2, uuid, kind)))
        rc = elgamal_encrypt(ct, g->b + SC_ZK_OFF_UID_A1, m1, m2);
    ut_wipe(m1, sizeof(m1));
    ut_wipe(m2, sizeof(m2));
    return rc;
}

int sc_zk_uid_decrypt(uint8_t uuid[16], int *kind, const sc_zk_group *g, const uint8_t *ct,
                      size_t n)
{
    uint8_t m2[32], m1[32], aci_m1[32], pni_m1[32], u[16];
    int rc, is_aci, is_pni;

    if (!ct)
        return SC_ERR_FORMAT;
    if ((rc = elgamal_decrypt(m2, m1, g->b + SC_ZK_OFF_UID_A1, ct, n)))
        goto out;
    if ((rc = sc_lizard_decode(u, m2)))
        goto out;
    if ((rc = calc_m1(aci_m1, u, SC_ZK_ACI)) || (rc = calc_m1(pni_m1, u, SC_ZK_PNI)))
        goto out;
    is_aci = ut_ct_eq(m1, aci_m1, 32);
    is_pni = ut_ct_eq(m1, pni_m1, 32);
    if (is_aci == is_pni) {
        rc = SC_ERR_ZK_VERIFY;
        goto out;
    }
    memcpy(uuid, u, 16);
    *kind = is_aci ? SC_ZK_ACI : SC_ZK_PNI;
out:
    ut_wipe(m1, sizeof(m1));
    ut_wipe(m2, sizeof(m2));
    ut_wipe(u, sizeof(u));
    return rc;
}

int sc_zk_profile_key_encrypt(uint8_t ct[SC_ZK_PROFILE_KEY_CT_LEN], const sc_zk_group *g,
                              const uint8_t profile_key[32], const uint8_t aci[16])
{
    uint8_t m3[32], m4[32];
    int rc;

    if (!(rc = sc_zk_profile_key_points(m3, m4, profile_key, aci)))
        rc = elgamal_encrypt(ct, g->b + SC_ZK_OFF_PK_A1, m3, m4);
    ut_wipe(m3, sizeof(m3));
    ut_wipe(m4, sizeof(m4));
    return rc;
}

/* ProfileKeyEncryptionDomain::decrypt: every positive Elligator preimage of
 * M4, with each combination of the three bits the encoding cleared, is
 * tried against M3; exactly one must match. All 64 candidates are always
 * computed so the time does not depend on which one matched. */
int sc_zk_profile_key_decrypt(uint8_t profile_key[32], const sc_zk_group *g, const uint8_t *ct,
                              size_t n, const uint8_t aci[16])
{
    uint8_t m4[32], m3[32], cand[8][32], pk[32], result[32] = {0}, t[32];
    unsigned mask, found = 0;
    int rc;

    if (!ct)
        return SC_ERR_FORMAT;
    if ((rc = elgamal_decrypt(m4, m3, g->b + SC_ZK_OFF_PK_A1, ct, n)))
        goto out;
    if ((rc = sc_lizard_map_inverse(cand, &mask, m4)))
        goto out;
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 8; j++) {
            unsigned ok;
            uint8_t m;
            memcpy(pk, cand[i], 32);
            if ((j >> 2) & 1)
                pk[0] |= 0x01;
            if ((j >> 1) & 1)
                pk[31] |= 0x80;
            if (j & 1)
                pk[31] |= 0x40;
            if ((rc = calc_m3(t, pk, aci)))
                goto out;
            ok = (unsigned)ut_ct_eq(t, m3, 32) & ((mask >> i) & 1);
            m = (uint8_t)(0 - ok);
            for (int k = 0; k < 32; k++)
                result[k] = (uint8_t)((result[k] & ~m) | (pk[k] & m));
            found += ok;
        }
    }
    if (found != 1) {
        rc = SC_ERR_ZK_VERIFY;
        goto out;
    }
    memcpy(profile_key, result, 32);
out:
    ut_wipe(m3, sizeof(m3));
    ut_wipe(m4, sizeof(m4));
    ut_wipe(cand, sizeof(cand));
    ut_wipe(pk, sizeof(pk));
    ut_wipe(result, sizeof(result));
    ut_wipe(t, sizeof(t));
    return rc;
}
