/* test_sc_kyber.c - Kyber1024 internals and KEM properties. Byte-exact
 * agreement with the round-3 reference (crystals-kyber, NIST KAT file) and
 * the difference to ML-KEM are checked by tests/interop/kyber-kat.js. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "sc_kyber.h"
#include "sc_kyber_int.h"

/* Every coefficient in (-q, q): the division-free compression equals the
 * textbook round(2^d x / q) mod 2^d (guards the KyberSlash rewrite). */
START_TEST(compress_matches_division_exhaustively)
{
    static const unsigned ds[] = {1, 4, 5, 10, 11};
    unsigned k;
    int a;

    for (k = 0; k < sizeof(ds) / sizeof(ds[0]); k++) {
        unsigned d = ds[k];
        for (a = -(KY_Q - 1); a < KY_Q; a++) {
            uint32_t u = (uint32_t)(a < 0 ? a + KY_Q : a);
            uint32_t want = (((u << d) + KY_Q / 2) / KY_Q) & ((1u << d) - 1);

            ck_assert_uint_eq(sc_kyber_compress_coeff((int16_t)a, d), want);
        }
    }
}
END_TEST

static int mod_q(int x)
{
    x %= KY_Q;
    return x < 0 ? x + KY_Q : x;
}

/* NTT multiplication equals schoolbook multiplication in Z_q[X]/(X^256+1). */
START_TEST(ntt_product_equals_schoolbook)
{
    ky_poly a, b, an, bn, r;
    int want[KY_N] = {0};
    unsigned i, j, seed = 12345;

    for (i = 0; i < KY_N; i++) {
        seed = seed * 1103515245u + 12345u;
        a.c[i] = (int16_t)((seed >> 8) % KY_Q);
        seed = seed * 1103515245u + 12345u;
        b.c[i] = (int16_t)((int)((seed >> 8) % 5) - 2); /* small, like noise */
    }
    for (i = 0; i < KY_N; i++)
        for (j = 0; j < KY_N; j++) {
            int p = a.c[i] * b.c[j];
            if (i + j < KY_N)
                want[i + j] = mod_q(want[i + j] + p);
            else
                want[i + j - KY_N] = mod_q(want[i + j - KY_N] - p);
        }
    an = a;
    bn = b;
    sc_kyber_ntt(&an);
    sc_kyber_ntt(&bn);
    sc_kyber_poly_basemul(&r, &an, &bn);
    sc_kyber_invntt_tomont(&r);
    for (i = 0; i < KY_N; i++)
        ck_assert_int_eq(mod_q(r.c[i]), want[i]);
}
END_TEST

START_TEST(byte_encodings_round_trip)
{
    ky_poly a, b;
    uint8_t buf[KY_POLYBYTES], msg[32], msg2[32];
    unsigned i;

    for (i = 0; i < KY_N; i++)
        a.c[i] = (int16_t)((i * 2654435761u) % KY_Q);
    sc_kyber_poly_tobytes(buf, &a);
    sc_kyber_poly_frombytes(&b, buf);
    ck_assert_int_eq(memcmp(a.c, b.c, sizeof(a.c)), 0);
    for (i = 0; i < 32; i++)
        msg[i] = (uint8_t)(i * 37 + 1);
    sc_kyber_poly_frommsg(&a, msg);
    sc_kyber_poly_tomsg(msg2, &a);
    ck_assert_int_eq(memcmp(msg, msg2, 32), 0);
}
END_TEST

START_TEST(round_trip_and_sizes)
{
    static uint8_t pk[SC_KYBER1024_PUBLICKEYBYTES], sk[SC_KYBER1024_SECRETKEYBYTES];
    static uint8_t ct[SC_KYBER1024_CIPHERTEXTBYTES];
    uint8_t ss1[32], ss2[32];
    int i;

    ck_assert_int_eq(SC_KYBER1024_PUBLICKEYBYTES, 1568);
    ck_assert_int_eq(SC_KYBER1024_SECRETKEYBYTES, 3168);
    ck_assert_int_eq(SC_KYBER1024_CIPHERTEXTBYTES, 1568);
    for (i = 0; i < 5; i++) {
        ck_assert_int_eq(sc_kyber1024_keypair(pk, sk), 0);
        ck_assert_int_eq(sc_kyber1024_enc(ct, ss1, pk), 0);
        ck_assert_int_eq(sc_kyber1024_dec(ss2, ct, sk), 0);
        ck_assert_int_eq(memcmp(ss1, ss2, 32), 0);
        /* sk embeds pk at 1536 */
        ck_assert_int_eq(memcmp(sk + 1536, pk, 1568), 0);
    }
}
END_TEST

START_TEST(derand_is_deterministic_and_seed_sensitive)
{
    static uint8_t pk1[1568], sk1[3168], pk2[1568], sk2[3168], ct1[1568], ct2[1568];
    uint8_t coins[64], m[32], ss1[32], ss2[32];

    memset(coins, 0x42, sizeof(coins));
    memset(m, 0x17, sizeof(m));
    ck_assert_int_eq(sc_kyber1024_keypair_derand(pk1, sk1, coins), 0);
    ck_assert_int_eq(sc_kyber1024_keypair_derand(pk2, sk2, coins), 0);
    ck_assert_int_eq(memcmp(pk1, pk2, sizeof(pk1)), 0);
    ck_assert_int_eq(memcmp(sk1, sk2, sizeof(sk1)), 0);
    ck_assert_int_eq(memcmp(sk1 + 3136, coins + 32, 32), 0); /* z */
    ck_assert_int_eq(sc_kyber1024_enc_derand(ct1, ss1, pk1, m), 0);
    ck_assert_int_eq(sc_kyber1024_enc_derand(ct2, ss2, pk1, m), 0);
    ck_assert_int_eq(memcmp(ct1, ct2, sizeof(ct1)), 0);
    ck_assert_int_eq(memcmp(ss1, ss2, 32), 0);
    coins[0] ^= 1;
    ck_assert_int_eq(sc_kyber1024_keypair_derand(pk2, sk2, coins), 0);
    ck_assert_int_ne(memcmp(pk1, pk2, sizeof(pk1)), 0);
    m[31] ^= 0x80;
    ck_assert_int_eq(sc_kyber1024_enc_derand(ct2, ss2, pk1, m), 0);
    ck_assert_int_ne(memcmp(ct1, ct2, sizeof(ct1)), 0);
    ck_assert_int_ne(memcmp(ss1, ss2, 32), 0);
}
END_TEST

static void shake256(uint8_t *out, size_t n, const uint8_t *a, size_t an,
                     const uint8_t *b, size_t bn)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(EVP_DigestInit_ex(c, EVP_shake256(), NULL), 1);
    ck_assert_int_eq(EVP_DigestUpdate(c, a, an), 1);
    ck_assert_int_eq(EVP_DigestUpdate(c, b, bn), 1);
    ck_assert_int_eq(EVP_DigestFinalXOF(c, out, n), 1);
    EVP_MD_CTX_free(c);
}

/* A modified ciphertext decapsulates to SHAKE256(z || SHA3-256(ct')):
 * round 3's implicit rejection, not an error and not the real secret. */
START_TEST(implicit_rejection_value)
{
    static uint8_t pk[1568], sk[3168], ct[1568];
    uint8_t ss[32], bad[32], want[32], hct[32];
    unsigned int hl;
    size_t pos;

    ck_assert_int_eq(sc_kyber1024_keypair(pk, sk), 0);
    ck_assert_int_eq(sc_kyber1024_enc(ct, ss, pk), 0);
    for (pos = 0; pos < sizeof(ct); pos += 523) {
        ct[pos] ^= 0x01;
        ck_assert_int_eq(sc_kyber1024_dec(bad, ct, sk), 0);
        ck_assert_int_ne(memcmp(bad, ss, 32), 0);
        ck_assert_int_eq(EVP_Digest(ct, sizeof(ct), hct, &hl, EVP_sha3_256(), NULL), 1);
        shake256(want, 32, sk + 3136, 32, hct, 32);
        ck_assert_int_eq(memcmp(bad, want, 32), 0);
        ct[pos] ^= 0x01;
    }
    ck_assert_int_eq(sc_kyber1024_dec(bad, ct, sk), 0);
    ck_assert_int_eq(memcmp(bad, ss, 32), 0);
}
END_TEST

/* The AVX2 four-way SHAKE equals OpenSSL's SHAKE128/256 (both rates,
 * several blocks, inputs of the lengths Kyber uses and others). */
START_TEST(shake4x_matches_openssl)
{
    static const unsigned rates[] = {168, 136};
    uint8_t in[4][167], out[4][5 * 168], want[5 * 168];
    uint8_t *const outp[4] = {out[0], out[1], out[2], out[3]};
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    size_t lens[] = {0, 1, 33, 34, 135, 167}, li;
    unsigned r, k;

    if (!sc_kyber_have_avx2()) {
        puts("NOTE: no AVX2 on this CPU: shake4x not tested (not used either)");
        return;
    }
    for (k = 0; k < 4; k++)
        for (li = 0; li < sizeof(in[0]); li++)
            in[k][li] = (uint8_t)(k * 31 + li * 7);
    for (r = 0; r < 2; r++)
        for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
            if (lens[li] >= rates[r])
                continue;
            sc_kyber_shake4x(outp, 5, rates[r], inp, lens[li]);
            for (k = 0; k < 4; k++) {
                EVP_MD_CTX *c = EVP_MD_CTX_new();
                ck_assert_int_eq(EVP_DigestInit_ex(c, r ? EVP_shake256() : EVP_shake128(), NULL), 1);
                ck_assert_int_eq(EVP_DigestUpdate(c, in[k], lens[li]), 1);
                ck_assert_int_eq(EVP_DigestFinalXOF(c, want, 5 * rates[r]), 1);
                EVP_MD_CTX_free(c);
                ck_assert_msg(memcmp(out[k], want, 5 * rates[r]) == 0,
                              "lane %u rate %u len %zu", k, rates[r], lens[li]);
            }
        }
}
END_TEST

/* Lazy accumulation with pre-multiplied zetas equals the plain product. */
START_TEST(basemul_z_equals_basemul)
{
    ky_polyvec a, b;
    ky_polyvec_z bz;
    ky_poly r1, r2;
    unsigned k, i, seed = 99;

    for (k = 0; k < KY_K; k++)
        for (i = 0; i < KY_N; i++) {
            seed = seed * 1103515245u + 12345u;
            a.v[k].c[i] = (int16_t)((seed >> 8) % 4096); /* unreduced, like frombytes */
            seed = seed * 1103515245u + 12345u;
            b.v[k].c[i] = (int16_t)((int)((seed >> 8) % KY_Q) - KY_Q / 2);
        }
    sc_kyber_polyvec_basemul_acc(&r1, &a, &b);
    sc_kyber_polyvec_zprep(&bz, &b);
    sc_kyber_polyvec_basemul_acc_z(&r2, &a, &b, &bz);
    for (i = 0; i < KY_N; i++)
        ck_assert_int_eq(mod_q(r1.c[i]), mod_q(r2.c[i]));
}
END_TEST

START_TEST(serialized_forms)
{
    static uint8_t pk[1568], sk[3168], ser[1569];
    const uint8_t *raw;

    ck_assert_int_eq(sc_kyber1024_keypair(pk, sk), 0);
    sc_kyber1024_serialize(ser, pk, sizeof(pk));
    ck_assert_uint_eq(ser[0], 0x08);
    ck_assert_int_eq(sc_kyber1024_deserialize(&raw, ser, sizeof(ser), 1568), 0);
    ck_assert_ptr_eq(raw, ser + 1);
    ck_assert_int_eq(sc_kyber1024_deserialize(&raw, ser, 1568, 1568), SC_ERR_FORMAT);
    ck_assert_ptr_null(raw);
    ck_assert_int_eq(sc_kyber1024_deserialize(&raw, ser, 0, 1568), SC_ERR_FORMAT);
    {
        static uint8_t ct[1569];
        uint8_t ss1[32], ss2[32];

        ck_assert_int_eq(sc_kyber1024_enc_serialized(ct, ss1, ser, sizeof(ser)), 0);
        ck_assert_uint_eq(ct[0], 0x08);
        ck_assert_int_eq(sc_kyber1024_dec_serialized(ss2, ct, sizeof(ct), sk), 0);
        ck_assert_int_eq(memcmp(ss1, ss2, 32), 0);
        ck_assert_int_eq(sc_kyber1024_dec_serialized(ss2, ct, 1568, sk), SC_ERR_FORMAT);
        ct[0] = 0x0a;
        ck_assert_int_eq(sc_kyber1024_dec_serialized(ss2, ct, sizeof(ct), sk), SC_ERR_KEM_TYPE);
        ck_assert_int_eq(sc_kyber1024_enc_serialized(ct, ss1, ser, 100), SC_ERR_FORMAT);
        ck_assert_uint_eq(ct[0], 0); /* zeroed on error */
    }
    ser[0] = 0x0a; /* ML-KEM-1024 */
    ck_assert_int_eq(sc_kyber1024_deserialize(&raw, ser, sizeof(ser), 1568), SC_ERR_KEM_TYPE);
    {
        static uint8_t ct[1569];
        uint8_t ss[32];

        ck_assert_int_eq(sc_kyber1024_enc_serialized(ct, ss, ser, sizeof(ser)), SC_ERR_KEM_TYPE);
    }
    ck_assert_str_eq(sc_strerror(SC_ERR_KEM_TYPE), "KEM type is not Kyber1024 (0x08)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_kyber");
    TCase *tc = tcase_create("kyber");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, compress_matches_division_exhaustively);
    tcase_add_test(tc, ntt_product_equals_schoolbook);
    tcase_add_test(tc, byte_encodings_round_trip);
    tcase_add_test(tc, round_trip_and_sizes);
    tcase_add_test(tc, derand_is_deterministic_and_seed_sensitive);
    tcase_add_test(tc, implicit_rejection_value);
    tcase_add_test(tc, serialized_forms);
    tcase_add_test(tc, shake4x_matches_openssl);
    tcase_add_test(tc, basemul_z_equals_basemul);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
