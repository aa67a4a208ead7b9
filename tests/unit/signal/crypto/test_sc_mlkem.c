/* test_sc_mlkem.c - ML-KEM-768 (FIPS 203) known answers and the incremental
 * split SPQR uses. The accumulated vector is Go's crypto/mlkem TestAccumulated
 * (golang/go src/crypto/mlkem/mlkem_test.go, n = 100): seeds, messages and
 * random ciphertexts drawn in order from SHAKE128(""), and SHAKE128 over
 * ek ‖ ct ‖ K ‖ K' of every round must equal the published 32 bytes.
 * tests/interop/mlkem-kat.js cross-checks against crystals-kyber-js. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "sc_mlkem768.h"

static void hexs(char *out, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* _i = 0: the default path (AVX2 SHAKE batches where the CPU has them),
 * 1: OpenSSL's SHAKE only */
START_TEST(go_accumulated_100)
{
    enum { N = 100, PER = 64 + 32 + SC_MLKEM768_CT };
    uint8_t *stream = malloc((size_t)N * PER), ek[SC_MLKEM768_EK], dk[SC_MLKEM768_DK];
    uint8_t ct[SC_MLKEM768_CT], k[32], kk[32], k1[32], out[32];
    char hex[65];
    EVP_MD_CTX *s = EVP_MD_CTX_new(), *o = EVP_MD_CTX_new();
    size_t off = 0;
    int i;

    ck_assert_ptr_nonnull(stream);
    if (_i)
        setenv("SC_KYBER_NO_AVX2", "1", 1);
    else
        unsetenv("SC_KYBER_NO_AVX2");
    /* s.Read in order: one long squeeze equals successive reads */
    ck_assert_int_eq(EVP_DigestInit_ex(s, EVP_shake128(), NULL), 1);
    ck_assert_int_eq(EVP_DigestFinalXOF(s, stream, (size_t)N * PER), 1);
    ck_assert_int_eq(EVP_DigestInit_ex(o, EVP_shake128(), NULL), 1);
    for (i = 0; i < N; i++) {
        const uint8_t *seed = stream + off, *m = seed + 64, *ct1 = m + 32;

        off += PER;
        ck_assert_int_eq(sc_mlkem768_keypair_derand(ek, dk, seed), 0);
        EVP_DigestUpdate(o, ek, sizeof(ek));
        ck_assert_int_eq(sc_mlkem768_encaps_derand(ct, k, ek, m), 0);
        EVP_DigestUpdate(o, ct, sizeof(ct));
        EVP_DigestUpdate(o, k, sizeof(k));
        ck_assert_int_eq(sc_mlkem768_decaps(kk, ct, dk), 0);
        ck_assert_mem_eq(kk, k, 32);
        ck_assert_int_eq(sc_mlkem768_decaps(k1, ct1, dk), 0);
        EVP_DigestUpdate(o, k1, sizeof(k1));
    }
    ck_assert_int_eq(EVP_DigestFinalXOF(o, out, 32), 1);
    hexs(hex, out, 32);
    ck_assert_str_eq(hex, "1114b1b6699ed191734fa339376afa7e285c9e6acf6ff0177d346696ce564415");
    EVP_MD_CTX_free(s);
    EVP_MD_CTX_free(o);
    free(stream);
}
END_TEST

/* encaps1 + encaps2 is ordinary encapsulation, split as libcrux splits it. */
START_TEST(incremental_equals_standard)
{
    uint8_t seed[64], m[32], ek[SC_MLKEM768_EK], dk[SC_MLKEM768_DK];
    uint8_t ct[SC_MLKEM768_CT], ss[32], hdr[64], ekt[SC_MLKEM768_EK_T];
    uint8_t ct1[SC_MLKEM768_CT1], ct2[SC_MLKEM768_CT2], es[SC_MLKEM768_ES], ss1[32];
    uint8_t both[SC_MLKEM768_CT], ss2[32];
    int i;

    for (i = 0; i < 8; i++) {
        memset(seed, 0x11 * i, sizeof(seed));
        seed[0] = (uint8_t)i;
        memset(m, 0xa0 + i, sizeof(m));
        ck_assert_int_eq(sc_mlkem768_keypair_derand(ek, dk, seed), 0);
        ck_assert_int_eq(sc_mlkem768_encaps_derand(ct, ss, ek, m), 0);
        sc_mlkem768_split(hdr, ekt, ek);
        ck_assert_mem_eq(hdr, ek + SC_MLKEM768_EK_T, 32);       /* ρ first */
        ck_assert_mem_eq(hdr + 32, dk + 2400 - 64, 32);          /* then H(ek) */
        ck_assert_int_eq(sc_mlkem768_hdr_matches(hdr, ekt), 1);
        ck_assert_int_eq(sc_mlkem768_encaps1_derand(ct1, es, ss1, hdr, m), 0);
        ck_assert_int_eq(sc_mlkem768_encaps2(ct2, es, ekt), 0);
        ck_assert_mem_eq(ct1, ct, SC_MLKEM768_CT1);
        ck_assert_mem_eq(ct2, ct + SC_MLKEM768_CT1, SC_MLKEM768_CT2);
        ck_assert_mem_eq(ss1, ss, 32);
        memcpy(both, ct1, sizeof(ct1));
        memcpy(both + sizeof(ct1), ct2, sizeof(ct2));
        ck_assert_int_eq(sc_mlkem768_decaps(ss2, both, dk), 0);
        ck_assert_mem_eq(ss2, ss, 32);
    }
}
END_TEST

START_TEST(header_and_modulus_checks)
{
    uint8_t ek[SC_MLKEM768_EK], dk[SC_MLKEM768_DK], hdr[64], ekt[SC_MLKEM768_EK_T];
    uint8_t ct[SC_MLKEM768_CT], ss[32], ct2[SC_MLKEM768_CT2], es[SC_MLKEM768_ES];

    ck_assert_int_eq(sc_mlkem768_keypair(ek, dk), 0);
    sc_mlkem768_split(hdr, ekt, ek);
    ekt[5] ^= 1;                                      /* another t̂ */
    ck_assert_int_eq(sc_mlkem768_hdr_matches(hdr, ekt), 0);
    ekt[5] ^= 1;
    hdr[0] ^= 1;                                      /* another ρ */
    ck_assert_int_eq(sc_mlkem768_hdr_matches(hdr, ekt), 0);
    hdr[0] ^= 1;
    /* a coefficient of 0xfff >= q: rejected by encaps and encaps2 */
    ekt[0] = 0xff;
    ekt[1] |= 0x0f;
    memcpy(ek, ekt, sizeof(ekt));
    ck_assert_int_eq(sc_mlkem768_hdr_matches(hdr, ekt), 0);
    ck_assert_int_eq(sc_mlkem768_encaps(ct, ss, ek), SC_ERR_FORMAT);
    memset(es, 0, sizeof(es));
    ck_assert_int_eq(sc_mlkem768_encaps2(ct2, es, ekt), SC_ERR_FORMAT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_mlkem");
    TCase *tc = tcase_create("mlkem768");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, go_accumulated_100, 0, 2);
    tcase_add_test(tc, incremental_equals_standard);
    tcase_add_test(tc, header_and_modulus_checks);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
