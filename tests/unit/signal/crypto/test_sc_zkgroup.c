/* test_sc_zkgroup.c - sc_lizard and sc_zkgroup: curve25519-dalek's Lizard
 * and Elligator vectors, the forward map against libsodium's own
 * from_hash, the inverse map on random points, libsignal's uid and profile
 * key ciphertext vectors (zkgroup crypto/uid_encryption.rs and
 * profile_key_encryption.rs tests), round trips and rejection of tampered
 * or malformed ciphertexts. Byte equality with libsignal-client itself is
 * tests/interop/zkgroup-interop.js. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "sc_lizard.h"
#include "sc_sho.h"
#include "sc_zk.h"
#include "sc_zk_int.h"

static void from_hex(uint8_t *out, size_t n, const char *hex)
{
    ck_assert_uint_eq(strlen(hex), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* curve25519-dalek src/lizard/lizard_ristretto.rs test_lizard_encode */
static const char *const lizard_vec[][2] = {
    {"00000000000000000000000000000000",
     "f0b7e34484f74cf00f15024b738539738646bbbe1e9bc7509a676815227e774f"},
    {"01010101010101010101010101010101",
     "cc92e81f585afc5caac88660d8d17e9025a44489a363042123f6af0702156e65"},
    {"000102030405060708090a0b0c0d0e0f",
     "c830573f8a8e7778671f76cdc796dc0a235cf177f197d9fcba06e84e96247444"},
    {"dddddddddddddddddddddddddddddddd",
     "ccb60554c081841037f821fa827b6a5bc2531f80e2647f1a858611f4ccfe3056"},
};

START_TEST(lizard_vectors)
{
    for (size_t i = 0; i < sizeof(lizard_vec) / sizeof(lizard_vec[0]); i++) {
        uint8_t data[16], want[32], p[32], back[16];
        from_hex(data, 16, lizard_vec[i][0]);
        from_hex(want, 32, lizard_vec[i][1]);
        sc_lizard_encode(p, data);
        ck_assert_mem_eq(p, want, 32);
        ck_assert_int_eq(sc_lizard_decode(back, p), 0);
        ck_assert_mem_eq(back, data, 16);
    }
}
END_TEST

/* dalek src/ristretto/elligator.rs elligator_vs_ristretto_sage (first 4) */
START_TEST(elligator_sage_vectors)
{
    static const uint8_t in[4][32] = {
        {184, 249, 135, 49, 253, 123, 89, 113, 67, 160, 6, 239, 7, 105, 211, 41, 192, 249, 185, 57,
         9, 102, 70, 198, 15, 127, 7, 26, 160, 102, 134, 71},
        {229, 14, 241, 227, 75, 9, 118, 60, 128, 153, 226, 21, 183, 217, 91, 136, 98, 0, 231, 156,
         124, 77, 82, 139, 142, 134, 164, 169, 169, 62, 250, 52},
        {115, 109, 36, 220, 180, 223, 99, 6, 204, 169, 19, 29, 169, 68, 84, 23, 21, 109, 189, 149,
         127, 205, 91, 102, 172, 35, 112, 35, 134, 69, 186, 34},
        {16, 49, 96, 107, 171, 199, 164, 9, 129, 16, 64, 62, 241, 63, 132, 173, 209, 160, 112, 215,
         105, 50, 157, 81, 253, 105, 1, 154, 229, 25, 120, 83},
    };
    static const uint8_t out[4][32] = {
        {176, 157, 237, 97, 66, 29, 140, 166, 168, 94, 26, 157, 212, 216, 229, 160, 195, 246, 232,
         239, 169, 112, 63, 193, 64, 32, 152, 69, 11, 190, 246, 86},
        {234, 141, 77, 203, 181, 225, 250, 74, 171, 62, 15, 118, 78, 212, 150, 19, 131, 14, 188,
         238, 194, 244, 141, 138, 166, 162, 83, 122, 228, 201, 19, 26},
        {232, 231, 51, 92, 5, 168, 80, 36, 173, 179, 104, 68, 186, 149, 68, 40, 140, 170, 27, 103,
         99, 140, 21, 242, 43, 62, 250, 134, 208, 255, 61, 89},
        {208, 120, 140, 129, 177, 179, 237, 159, 252, 160, 28, 13, 206, 5, 211, 241, 192, 218, 1,
         97, 130, 241, 20, 169, 119, 46, 246, 29, 79, 80, 77, 84},
    };
    for (int i = 0; i < 4; i++) {
        uint8_t p[32];
        sc_lizard_map(p, in[i]);
        ck_assert_mem_eq(p, out[i], 32);
    }
}
END_TEST

/* libsodium's from_hash is two Elligators added: an independent oracle for
 * the forward map, including bit 255 being ignored. */
START_TEST(elligator_matches_libsodium)
{
    for (int i = 0; i < 300; i++) {
        uint8_t h[64], a[32], b[32], sum[32], want[32];
        randombytes_buf(h, sizeof(h));
        if (i == 0)
            memset(h, 0, sizeof(h));
        if (i == 1)
            memset(h, 0xff, sizeof(h)); /* >= p after masking: not reduced input */
        crypto_core_ristretto255_from_hash(want, h);
        sc_lizard_map(a, h);
        sc_lizard_map(b, h + 32);
        if (crypto_core_ristretto255_add(sum, a, b) != 0)
            ck_abort_msg("invalid map output at %d", i);
        ck_assert_mem_eq(sum, want, 32);
    }
}
END_TEST

START_TEST(lizard_round_trip_random)
{
    for (int i = 0; i < 1000; i++) {
        uint8_t data[16], p[32], back[16];
        randombytes_buf(data, sizeof(data));
        if (i == 0)
            memset(data, 0xff, sizeof(data));
        sc_lizard_encode(p, data);
        ck_assert_int_eq(crypto_core_ristretto255_is_valid_point(p), 1);
        memset(back, 0, sizeof(back));
        ck_assert_int_eq(sc_lizard_decode(back, p), 0);
        ck_assert_mem_eq(back, data, 16);
    }
}
END_TEST

START_TEST(lizard_random_point_has_no_preimage)
{
    int decoded = 0;
    for (int i = 0; i < 300; i++) {
        uint8_t p[32], back[16];
        crypto_core_ristretto255_random(p);
        int rc = sc_lizard_decode(back, p);
        ck_assert(rc == 0 || rc == SC_ERR_ZK_VERIFY);
        decoded += rc == 0;
    }
    ck_assert_int_eq(decoded, 0);
}
END_TEST

START_TEST(lizard_rejects_bad_encodings)
{
    uint8_t p[32], back[16];
    unsigned mask;
    uint8_t cand[8][32];

    sc_lizard_encode(p, (const uint8_t *)"0123456789abcdef");
    p[0] |= 1; /* negative s */
    ck_assert_int_eq(sc_lizard_decode(back, p), SC_ERR_FORMAT);
    memset(p, 0xff, 32); /* >= p */
    p[0] = 0xee;
    ck_assert_int_eq(sc_lizard_decode(back, p), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_lizard_map_inverse(cand, &mask, p), SC_ERR_FORMAT);
    ck_assert_uint_eq(mask, 0);
    /* p itself (2^255-19) is non-canonical zero */
    memset(p, 0xff, 32);
    p[0] = 0xed;
    p[31] = 0x7f;
    ck_assert_int_eq(sc_lizard_decode(back, p), SC_ERR_FORMAT);
    /* the identity decodes but has no Lizard preimage */
    memset(p, 0, 32);
    ck_assert_int_eq(sc_lizard_decode(back, p), SC_ERR_ZK_VERIFY);
    ck_assert_int_eq(sc_lizard_map_inverse(cand, &mask, p), 0);
}
END_TEST

/* map(inverse(map(r))) == map(r) and r is among the candidates (dalek's
 * elligator_inv / map_pos_felem_to_curve_inverse tests). */
START_TEST(map_inverse_random)
{
    for (int i = 0; i < 300; i++) {
        uint8_t r[32], p[32], q[32], cand[8][32];
        unsigned mask;
        int found = 0;
        randombytes_buf(r, sizeof(r));
        if (i == 0)
            memset(r, 0, sizeof(r));
        r[0] &= 0xfe;
        r[31] &= 0x3f;
        sc_lizard_map(p, r);
        ck_assert_int_eq(sc_lizard_map_inverse(cand, &mask, p), 0);
        ck_assert_uint_ne(mask, 0);
        for (int j = 0; j < 8; j++) {
            if (!((mask >> j) & 1))
                continue;
            sc_lizard_map(q, cand[j]);
            ck_assert_mem_eq(q, p, 32);
            found |= memcmp(cand[j], r, 32) == 0;
        }
        ck_assert_msg(found, "preimage %d not among the candidates", i);
    }
}
END_TEST

/* A group whose key pair slots hold a Sho-derived KeyPair, as in
 * libsignal's crypto tests (KeyPair::derive_from(Sho::new(label, data))). */
static void test_key_pair(sc_zk_group *g, size_t off, const char *label, const uint8_t *data,
                          size_t n, const uint8_t g1[32], const uint8_t g2[32])
{
    sc_sho s;
    uint8_t a[32], b[32];

    memset(g, 0, sizeof(*g));
    ck_assert_int_eq(sc_sho_init(&s, label, strlen(label)), 0);
    ck_assert_int_eq(sc_sho_absorb_and_ratchet(&s, data, n), 0);
    ck_assert_int_eq(sc_sho_scalar(&s, g->b + off), 0);
    ck_assert_int_eq(sc_sho_scalar(&s, g->b + off + 32), 0);
    sc_sho_clear(&s);
    ck_assert_int_eq(sc_zk_point_mul(a, g->b + off, g1), 0);
    ck_assert_int_eq(sc_zk_point_mul(b, g->b + off + 32, g2), 0);
    ck_assert_int_eq(crypto_core_ristretto255_add(g->b + off + 64, a, b), 0);
}

START_TEST(uid_libsignal_vector)
{
    static const char want[] =
        "f89ee7705a66036b908db884211b773ac543ee35c4a3086220fc3e1e35b4234c"
        "fa1d2eea2cc2f4b4c42cff39a9dceb57293b5f8770ca60f9e9b74447bfd3bd3d";
    uint8_t mk[32], uuid[16], ct[65], exp[64], back[16];
    sc_zk_group g;
    int kind = -1;

    for (int i = 0; i < 32; i++)
        mk[i] = (uint8_t)i;
    for (int i = 0; i < 16; i++)
        uuid[i] = (uint8_t)i;
    test_key_pair(&g, SC_ZK_OFF_UID_A1, "Test_Uid_Encryption", mk, 32, sc_zk_uid_g_a1,
                  sc_zk_uid_g_a2);
    from_hex(exp, 64, want);
    ck_assert_int_eq(sc_zk_uid_encrypt(ct, &g, uuid, SC_ZK_ACI), 0);
    ck_assert_uint_eq(ct[0], 0);
    ck_assert_mem_eq(ct + 1, exp, 64);
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, ct, sizeof(ct)), 0);
    ck_assert_int_eq(kind, SC_ZK_ACI);
    ck_assert_mem_eq(back, uuid, 16);
}
END_TEST

START_TEST(profile_key_libsignal_vector)
{
    static const char want[] =
        "5618cb4c7d721e012b22f077ef1264f6b143bb597a1d665a70aa84245f246d20"
        "badb97474a56f4b5361aeca9d118b7004e140971990aab2af2432d3f8f7d213a";
    /* profile_key_encryption.rs SystemParams::SYSTEM_HARDCODED */
    static const uint8_t gb1[32] = {
        0xf6, 0xba, 0xa3, 0x17, 0xce, 0x18, 0x39, 0xc9, 0x3d, 0x61, 0x7e, 0x0c, 0xd8, 0x37, 0xd1, 0x9d,
        0xa9, 0xc8, 0xa4, 0xc5, 0x20, 0xbf, 0x7c, 0x51, 0xb1, 0xe6, 0xc2, 0xcb, 0x2a, 0x04, 0x9c, 0x61};
    static const uint8_t gb2[32] = {
        0x2e, 0x01, 0x75, 0x89, 0x4c, 0x87, 0x30, 0xb2, 0x03, 0xab, 0x3b, 0xd9, 0x8e, 0xcb, 0x2d, 0x81,
        0xab, 0xac, 0xb6, 0x5f, 0x8a, 0x61, 0x24, 0xf4, 0x97, 0x71, 0xd1, 0x4a, 0x98, 0x52, 0x12, 0x0c};
    uint8_t a32_1[32], a16_1[16], ct[65], exp[64], back[32];
    sc_zk_group g;

    for (int i = 0; i < 32; i++)
        a32_1[i] = (uint8_t)(100 + i);
    for (int i = 0; i < 16; i++)
        a16_1[i] = (uint8_t)(100 + i);
    test_key_pair(&g, SC_ZK_OFF_PK_A1, "Test_Profile_Key_Encryption", a32_1, 32, gb1, gb2);
    from_hex(exp, 64, want);
    ck_assert_int_eq(sc_zk_profile_key_encrypt(ct, &g, a32_1, a16_1), 0);
    ck_assert_mem_eq(ct + 1, exp, 64);
    ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, ct, sizeof(ct), a16_1), 0);
    ck_assert_mem_eq(back, a32_1, 32);
}
END_TEST

START_TEST(group_derive_consistent)
{
    uint8_t mk[32], pub[SC_ZK_GROUP_PUBLIC_LEN], a[32], b[32], A[32];
    sc_zk_group g, g2;

    randombytes_buf(mk, sizeof(mk));
    ck_assert_int_eq(sc_zk_group_derive(&g, mk), 0);
    ck_assert_int_eq(sc_zk_group_derive(&g2, mk), 0);
    ck_assert_mem_eq(g.b, g2.b, SC_ZK_GROUP_SECRET_LEN);
    ck_assert_uint_eq(g.b[0], 0);
    ck_assert_mem_eq(g.b + SC_ZK_OFF_MASTER_KEY, mk, 32);
    /* A = a1*G_a1 + a2*G_a2, recomputed here with libsodium directly */
    ck_assert_int_eq(crypto_scalarmult_ristretto255(a, sc_zk_uid_a1(&g), sc_zk_uid_g_a1), 0);
    ck_assert_int_eq(crypto_scalarmult_ristretto255(b, sc_zk_uid_a2(&g), sc_zk_uid_g_a2), 0);
    ck_assert_int_eq(crypto_core_ristretto255_add(A, a, b), 0);
    ck_assert_mem_eq(A, sc_zk_uid_A(&g), 32);
    sc_zk_group_public(pub, &g);
    ck_assert_uint_eq(pub[0], 0);
    ck_assert_mem_eq(pub + 1, g.b + SC_ZK_OFF_GROUP_ID, 32);
    ck_assert_mem_eq(pub + 33, sc_zk_uid_A(&g), 32);
    ck_assert_mem_eq(pub + 65, g.b + SC_ZK_OFF_PK_A, 32);
    mk[5] ^= 1;
    ck_assert_int_eq(sc_zk_group_derive(&g2, mk), 0);
    ck_assert_mem_ne(g.b + SC_ZK_OFF_GROUP_ID, g2.b + SC_ZK_OFF_GROUP_ID, 32);
}
END_TEST

START_TEST(uid_round_trip_and_rejects)
{
    uint8_t mk[32], uuid[16], ct[65], bad[66], back[16];
    sc_zk_group g, other;
    int kind;

    randombytes_buf(mk, sizeof(mk));
    ck_assert_int_eq(sc_zk_group_derive(&g, mk), 0);
    mk[0] ^= 0x80;
    ck_assert_int_eq(sc_zk_group_derive(&other, mk), 0);
    for (int i = 0; i < 100; i++) {
        int k = i & 1 ? SC_ZK_PNI : SC_ZK_ACI;
        randombytes_buf(uuid, sizeof(uuid));
        ck_assert_int_eq(sc_zk_uid_encrypt(ct, &g, uuid, k), 0);
        kind = -1;
        ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, ct, sizeof(ct)), 0);
        ck_assert_int_eq(kind, k);
        ck_assert_mem_eq(back, uuid, 16);
        ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &other, ct, sizeof(ct)), SC_ERR_ZK_VERIFY);
    }
    ck_assert_int_eq(sc_zk_uid_encrypt(ct, &g, uuid, 7), UT_ERR_INVAL);
    ck_assert_int_eq(sc_zk_uid_encrypt(ct, &g, uuid, SC_ZK_ACI), 0);
    /* length, reserved byte */
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, ct, 64), SC_ERR_FORMAT);
    memcpy(bad, ct, 65);
    bad[65] = 0;
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 66), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, NULL, 0), SC_ERR_FORMAT);
    bad[0] = 1;
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_FORMAT);
    /* every single bit flip fails, never another id */
    for (int i = 8; i < 65 * 8; i++) {
        memcpy(bad, ct, 65);
        bad[i / 8] ^= (uint8_t)(1 << (i % 8));
        int rc = sc_zk_uid_decrypt(back, &kind, &g, bad, 65);
        ck_assert_msg(rc == SC_ERR_FORMAT || rc == SC_ERR_ZK_VERIFY, "bit %d: %d", i, rc);
    }
    /* non-canonical encodings: s = p (zero), s = p + 2, odd s, bit 255 */
    {
        static const uint8_t bad_s[4][32] = {
            {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
            {0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
            {1},
            {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
        };
        uint8_t pk[32];
        for (int i = 0; i < 4; i++) {
            memcpy(bad, ct, 65);
            memcpy(bad + 33, bad_s[i], 32);
            ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_FORMAT);
            memcpy(bad, ct, 65);
            memcpy(bad + 1, bad_s[i], 32);
            ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_FORMAT);
            ck_assert_int_eq(sc_zk_profile_key_decrypt(pk, &g, bad, 65, uuid), SC_ERR_FORMAT);
        }
    }
    /* valid points, wrong content: E_A2 replaced, E_A1 swapped */
    memcpy(bad, ct, 65);
    crypto_core_ristretto255_random(bad + 33);
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_ZK_VERIFY);
    memcpy(bad, ct, 65);
    crypto_core_ristretto255_random(bad + 1);
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_ZK_VERIFY);
    /* identities and the base point as E_A1 */
    memset(bad, 0, 65);
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_ZK_VERIFY);
    memcpy(bad, ct, 65);
    memset(bad + 1, 0, 32);
    ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_ZK_VERIFY);
    {
        uint8_t one[32] = {1};
        ck_assert_int_eq(crypto_scalarmult_ristretto255_base(bad + 1, one), 0);
        ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_ZK_VERIFY);
    }
    /* a lizard-valid M2 with an M1 that fits neither ACI nor PNI: encrypt
     * the ACI's M2 with an unrelated M1 */
    {
        uint8_t m1[32], m2[32], junk[32], t[32];
        ck_assert_int_eq(sc_zk_uid_points(m1, m2, uuid, SC_ZK_ACI), 0);
        crypto_core_ristretto255_random(junk);
        bad[0] = 0;
        ck_assert_int_eq(sc_zk_point_mul(bad + 1, sc_zk_uid_a1(&g), junk), 0);
        ck_assert_int_eq(sc_zk_point_mul(t, sc_zk_uid_a2(&g), bad + 1), 0);
        ck_assert_int_eq(crypto_core_ristretto255_add(bad + 33, t, m2), 0);
        ck_assert_int_eq(sc_zk_uid_decrypt(back, &kind, &g, bad, 65), SC_ERR_ZK_VERIFY);
    }
}
END_TEST

START_TEST(profile_key_round_trip_and_rejects)
{
    uint8_t mk[32], pk[32], aci[16], aci2[16], ct[65], bad[65], back[32];
    sc_zk_group g;

    randombytes_buf(mk, sizeof(mk));
    ck_assert_int_eq(sc_zk_group_derive(&g, mk), 0);
    for (int i = 0; i < 40; i++) {
        randombytes_buf(pk, sizeof(pk));
        randombytes_buf(aci, sizeof(aci));
        if (i < 8) { /* every combination of the bits the encoding clears */
            pk[0] = (uint8_t)((pk[0] & 0xfe) | ((i >> 2) & 1));
            pk[31] = (uint8_t)((pk[31] & 0x3f) | ((i & 3) << 6));
        }
        ck_assert_int_eq(sc_zk_profile_key_encrypt(ct, &g, pk, aci), 0);
        memset(back, 0, sizeof(back));
        ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, ct, 65, aci), 0);
        ck_assert_mem_eq(back, pk, 32);
        memcpy(aci2, aci, 16);
        aci2[15] ^= 1;
        ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, ct, 65, aci2), SC_ERR_ZK_VERIFY);
    }
    ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, ct, 64, aci), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, NULL, 0, aci), SC_ERR_FORMAT);
    for (int i = 0; i < 65 * 8; i += 3) {
        memcpy(bad, ct, 65);
        bad[i / 8] ^= (uint8_t)(1 << (i % 8));
        int rc = sc_zk_profile_key_decrypt(back, &g, bad, 65, aci);
        ck_assert_msg(rc == SC_ERR_FORMAT || rc == SC_ERR_ZK_VERIFY, "bit %d: %d", i, rc);
    }
    memset(bad, 0, 65);
    ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, bad, 65, aci), SC_ERR_ZK_VERIFY);
    memcpy(bad, ct, 65);
    crypto_core_ristretto255_random(bad + 33);
    ck_assert_int_eq(sc_zk_profile_key_decrypt(back, &g, bad, 65, aci), SC_ERR_ZK_VERIFY);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_zkgroup");
    TCase *l = tcase_create("lizard"), *z = tcase_create("zkgroup");
    SRunner *r;
    int failed;

    if (sodium_init() < 0)
        return 1;
    tcase_set_timeout(l, 120);
    tcase_set_timeout(z, 120);
    tcase_add_test(l, lizard_vectors);
    tcase_add_test(l, elligator_sage_vectors);
    tcase_add_test(l, elligator_matches_libsodium);
    tcase_add_test(l, lizard_round_trip_random);
    tcase_add_test(l, lizard_random_point_has_no_preimage);
    tcase_add_test(l, lizard_rejects_bad_encodings);
    tcase_add_test(l, map_inverse_random);
    tcase_add_test(z, uid_libsignal_vector);
    tcase_add_test(z, profile_key_libsignal_vector);
    tcase_add_test(z, group_derive_consistent);
    tcase_add_test(z, uid_round_trip_and_rejects);
    tcase_add_test(z, profile_key_round_trip_and_rejects);
    suite_add_tcase(s, l);
    suite_add_tcase(s, z);
    r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
