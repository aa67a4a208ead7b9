/* test_sc_prim.c - primitives against RFC vectors and their own inverses.
 * XEdDSA is cross-checked against libsignal by the session interop tests. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_prim.h"

/* libsignal-protocol-c's ref10 XEdDSA verify (curve_sigs.h, not installed
 * by Debian; exported by libsignal-protocol-c.so 2.3.x): an independent
 * verifier for the signatures sc_xeddsa_sign makes. */
int curve25519_verify(const unsigned char *signature,
                      const unsigned char *curve25519_pubkey,
                      const unsigned char *msg, const unsigned long msg_len);

static size_t unhex(uint8_t *out, const char *hex)
{
    size_t n = strlen(hex) / 2, i;
    for (i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void eq_hex(const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[256];
    ck_assert_uint_eq(unhex(want, hex), n);
    ck_assert_msg(memcmp(got, want, n) == 0, "mismatch against %s", hex);
}

START_TEST(hmac_rfc4231_case2)
{
    uint8_t out[32];
    const char *msg = "what do ya want for nothing?";
    sc_iov v[2] = {{msg, 10}, {msg + 10, strlen(msg) - 10}};

    ck_assert_int_eq(sc_hmac_sha256(out, (const uint8_t *)"Jefe", 4, msg, strlen(msg)), 0);
    eq_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(out, 0, 32);
    ck_assert_int_eq(sc_hmac_sha256_v(out, (const uint8_t *)"Jefe", 4, v, 2), 0);
    eq_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(hkdf_rfc5869_case1)
{
    uint8_t ikm[22], salt[13], info[10], okm[42];

    memset(ikm, 0x0b, sizeof(ikm));
    unhex(salt, "000102030405060708090a0b0c");
    unhex(info, "f0f1f2f3f4f5f6f7f8f9");
    ck_assert_int_eq(sc_hkdf_sha256(okm, 42, salt, 13, ikm, 22, info, 10), 0);
    eq_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    ck_assert_int_eq(sc_hkdf_sha256(okm, 255 * 32 + 1, salt, 13, ikm, 22, info, 10), SC_ERR_FORMAT);
}
END_TEST

START_TEST(aes_cbc_round_trip_and_bad_padding)
{
    uint8_t key[32], iv[16], ct[64], pt[64];
    const char *msg = "thirty-three bytes of plain text!";
    size_t clen, plen;

    ck_assert_int_eq(ut_random(key, 32), 0);
    ck_assert_int_eq(ut_random(iv, 16), 0);
    ck_assert_int_eq(sc_aes256_cbc_encrypt(ct, &clen, key, iv, (const uint8_t *)msg, 33), 0);
    ck_assert_uint_eq(clen, 48);
    ck_assert_int_eq(sc_aes256_cbc_decrypt(pt, &plen, key, iv, ct, clen), 0);
    ck_assert_uint_eq(plen, 33);
    ck_assert_int_eq(memcmp(pt, msg, 33), 0);
    ck_assert_int_eq(sc_aes256_cbc_decrypt(pt, &plen, key, iv, ct, 47), SC_ERR_DECRYPT);
    /* Wrong key: CBC has no integrity, so about 1 in 256 wrong keys still
     * yield valid padding (why the MAC is checked first). Either way the
     * message must not come back. */
    key[0] ^= 1;
    {
        int rc = sc_aes256_cbc_decrypt(pt, &plen, key, iv, ct, clen);
        ck_assert(rc == SC_ERR_DECRYPT || (rc == 0 && (plen != 33 || memcmp(pt, msg, 33) != 0)));
    }
}
END_TEST

START_TEST(aes_ctr_is_its_own_inverse)
{
    uint8_t key[32] = {1}, iv[16] = {0}, buf[100], orig[100];

    ck_assert_int_eq(ut_random(orig, sizeof(orig)), 0);
    memcpy(buf, orig, sizeof(buf));
    ck_assert_int_eq(sc_aes256_ctr(buf, key, iv, buf, sizeof(buf)), 0);
    ck_assert_int_ne(memcmp(buf, orig, sizeof(buf)), 0);
    ck_assert_int_eq(sc_aes256_ctr(buf, key, iv, buf, sizeof(buf)), 0);
    ck_assert_int_eq(memcmp(buf, orig, sizeof(buf)), 0);
}
END_TEST

START_TEST(aes_gcm_round_trip_and_tamper)
{
    uint8_t key[32] = {7}, iv[12] = {9}, ct[21 + 16], pt[21];

    ck_assert_int_eq(sc_aes256_gcm_encrypt(ct, key, iv, 12, (const uint8_t *)"ad", 2,
                                           (const uint8_t *)"twenty-one bytes long", 21), 0);
    ck_assert_int_eq(sc_aes256_gcm_decrypt(pt, key, iv, 12, (const uint8_t *)"ad", 2, ct, sizeof(ct)), 0);
    ck_assert_int_eq(memcmp(pt, "twenty-one bytes long", 21), 0);
    ck_assert_int_eq(sc_aes256_gcm_decrypt(pt, key, iv, 12, (const uint8_t *)"aD", 2, ct, sizeof(ct)), SC_ERR_DECRYPT);
    ct[3] ^= 0x80;
    ck_assert_int_eq(sc_aes256_gcm_decrypt(pt, key, iv, 12, (const uint8_t *)"ad", 2, ct, sizeof(ct)), SC_ERR_DECRYPT);
    ck_assert_int_eq(sc_aes256_gcm_decrypt(pt, key, iv, 12, NULL, 0, ct, 15), SC_ERR_DECRYPT);
}
END_TEST

START_TEST(aes_gcm_siv_rfc8452)
{
    uint8_t key[32], nonce[12], out[8 + 16], pt[8];

    unhex(key, "0100000000000000000000000000000000000000000000000000000000000000");
    unhex(nonce, "030000000000000000000000");
    ck_assert_int_eq(sc_aes256_gcm_siv_encrypt(out, key, nonce, NULL, 0, NULL, 0), 0);
    eq_hex(out, 16, "07f5f4169bbf55a8400cd47ea6fd400f");
    unhex(pt, "0100000000000000");
    ck_assert_int_eq(sc_aes256_gcm_siv_encrypt(out, key, nonce, NULL, 0, pt, 8), 0);
    eq_hex(out, 24, "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28");
    memset(pt, 0, 8);
    ck_assert_int_eq(sc_aes256_gcm_siv_decrypt(pt, key, nonce, NULL, 0, out, 24), 0);
    eq_hex(pt, 8, "0100000000000000");
    out[0] ^= 1;
    ck_assert_int_eq(sc_aes256_gcm_siv_decrypt(pt, key, nonce, NULL, 0, out, 24), SC_ERR_DECRYPT);
}
END_TEST

START_TEST(x25519_rfc7748_keys_agree_and_zero_is_refused)
{
    uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32], zero[32] = {0};

    unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    ck_assert_int_eq(sc_x25519_public(pa, a), 0);
    ck_assert_int_eq(sc_x25519_public(pb, b), 0);
    eq_hex(pa, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    eq_hex(pb, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    ck_assert_int_eq(sc_x25519(s1, a, pb), 0);
    ck_assert_int_eq(sc_x25519(s2, b, pa), 0);
    ck_assert_int_eq(memcmp(s1, s2, 32), 0);
    ck_assert_int_eq(sc_x25519(s1, a, zero), SC_ERR_KEY);
    memset(s2, 0, 32);
    ck_assert_int_eq(sc_x25519(s1, a, pb), 0);
    ck_assert_int_eq(sc_x25519_pair(s2, a, pa, pb), 0);
    ck_assert_int_eq(memcmp(s1, s2, 32), 0);
    ck_assert_int_eq(sc_x25519_pair(s2, a, pa, zero), SC_ERR_KEY);
    ck_assert_int_eq(sc_x25519_keypair(pa, a), 0);
    ck_assert((a[0] & 7) == 0 && (a[31] & 0xC0) == 0x40);
}
END_TEST

START_TEST(xeddsa_sign_verify_and_reject)
{
    uint8_t priv[32], pub[32], sig[64], big[1569];

    ck_assert_int_eq(sc_x25519_keypair(pub, priv), 0);
    ck_assert_int_eq(ut_random(big, sizeof(big)), 0);
    ck_assert_int_eq(sc_xeddsa_sign(sig, priv, big, sizeof(big)), 0);
    ck_assert_int_eq(sc_xeddsa_verify(sig, pub, big, sizeof(big)), 0);
    big[100] ^= 1;
    ck_assert_int_eq(sc_xeddsa_verify(sig, pub, big, sizeof(big)), SC_ERR_SIGNATURE);
    big[100] ^= 1;
    sig[10] ^= 1;
    ck_assert_int_eq(sc_xeddsa_verify(sig, pub, big, sizeof(big)), SC_ERR_SIGNATURE);
    ck_assert_str_eq(sc_strerror(SC_ERR_SIGNATURE), "signature does not verify");
    ck_assert_str_eq(sc_strerror(UT_ERR_NOMEM), "out of memory");
}
END_TEST

/* libsignal's own vector (rust/core/src/curve/curve25519.rs, test_signature):
 * a signature made by libsignal verifies, every one-bit change of it is
 * refused; and the edges of libsignal's verify_signature: s is taken mod L
 * (s + L < 2^253 still verifies), s >= 2^253 is refused, bit 255 of the
 * key's u coordinate is ignored, u = -1 (no Edwards point) is refused. */
START_TEST(xeddsa_matches_libsignal_vector_and_edges)
{
    static const uint8_t L[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    uint8_t pub[32], msg[33], sig[64], bad[64], odd[32];
    unsigned c = 0;
    size_t i;

    unhex(pub, "ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64");
    unhex(msg, "05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a");
    unhex(sig, "5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfb"
               "ede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88");
    ck_assert_int_eq(sc_xeddsa_verify(sig, pub, msg, sizeof(msg)), 0);
    for (i = 0; i < 64; i++) {
        memcpy(bad, sig, 64);
        bad[i] ^= 1;
        ck_assert_msg(sc_xeddsa_verify(bad, pub, msg, sizeof(msg)) == SC_ERR_SIGNATURE,
                      "flipped bit in byte %zu accepted", i);
    }
    /* s + L: the same scalar mod L, bit 255 (the sign) kept */
    memcpy(bad, sig, 64);
    bad[63] &= 0x7f;
    for (i = 0; i < 32; i++) {
        c += bad[32 + i] + L[i];
        bad[32 + i] = (uint8_t)c;
        c >>= 8;
    }
    ck_assert((bad[63] & 0xe0) == 0);
    bad[63] |= sig[63] & 0x80;
    ck_assert_int_eq(sc_xeddsa_verify(bad, pub, msg, sizeof(msg)), 0);
    bad[63] |= 0x20; /* s >= 2^253 */
    ck_assert_int_eq(sc_xeddsa_verify(bad, pub, msg, sizeof(msg)), SC_ERR_SIGNATURE);
    /* bit 255 of u is not part of the coordinate */
    memcpy(odd, pub, 32);
    odd[31] |= 0x80;
    ck_assert_int_eq(sc_xeddsa_verify(sig, odd, msg, sizeof(msg)), 0);
    /* u = p - 1 = -1 maps to no Edwards point */
    memset(odd, 0xff, 32);
    odd[0] = 0xec;
    odd[31] = 0x7f;
    ck_assert_int_eq(sc_xeddsa_verify(sig, odd, msg, sizeof(msg)), SC_ERR_SIGNATURE);
}
END_TEST

/* A signature whose R is the identity (s = H(R || A || M) * a, which only
 * the key's owner can make): libsignal 0.100's PublicKey.verify accepts it
 * (checked with @signalapp/libsignal-client when this vector was made), as
 * its verify_signature has no small-order check; libsodium's Ed25519 verify
 * refused it, so the XEdDSA verify of an earlier version disagreed with
 * libsignal here. */
START_TEST(xeddsa_accepts_identity_r_like_libsignal)
{
    static const char msg[] = "identity R";
    uint8_t pub[32], sig[64];

    unhex(pub, "a114f6921a4d8ea347c0d62ced2cd35d78217bc0b1b52ca8448272cec6afe839");
    unhex(sig, "0100000000000000000000000000000000000000000000000000000000000000"
               "e8cdad0a3fae4febcbd2b15de7b8a66dc594732eab0d14b27bbfcccf7fa03688");
    ck_assert_int_eq(sc_xeddsa_verify(sig, pub, msg, strlen(msg)), 0);
    sig[40] ^= 1;
    ck_assert_int_eq(sc_xeddsa_verify(sig, pub, msg, strlen(msg)), SC_ERR_SIGNATURE);
}
END_TEST

/* Signatures made here verify under libsignal-protocol-c's independent
 * XEdDSA (the code Signal's clients used for years) for keys of both sign
 * bits, and fail there once the message changes. */
START_TEST(xeddsa_sign_verifies_under_libsignal_protocol_c)
{
    uint8_t priv[32], pub[32], sig[64], msg[200];
    int i, signs[2] = {0, 0};

    for (i = 0; i < 40; i++) {
        ck_assert_int_eq(sc_x25519_keypair(pub, priv), 0);
        ck_assert_int_eq(ut_random(msg, sizeof(msg)), 0);
        ck_assert_int_eq(sc_xeddsa_sign(sig, priv, msg, (size_t)i * 5), 0);
        signs[sig[63] >> 7]++;
        ck_assert_int_eq(curve25519_verify(sig, pub, msg, (unsigned long)i * 5), 0);
        ck_assert_int_eq(sc_xeddsa_verify(sig, pub, msg, (size_t)i * 5), 0);
        msg[0] ^= 1;
        ck_assert_int_ne(curve25519_verify(sig, pub, msg, 200), 0);
    }
    ck_assert(signs[0] > 0 && signs[1] > 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_prim");
    TCase *tc = tcase_create("prim");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, hmac_rfc4231_case2);
    tcase_add_test(tc, hkdf_rfc5869_case1);
    tcase_add_test(tc, aes_cbc_round_trip_and_bad_padding);
    tcase_add_test(tc, aes_ctr_is_its_own_inverse);
    tcase_add_test(tc, aes_gcm_round_trip_and_tamper);
    tcase_add_test(tc, aes_gcm_siv_rfc8452);
    tcase_add_test(tc, x25519_rfc7748_keys_agree_and_zero_is_refused);
    tcase_add_test(tc, xeddsa_sign_verify_and_reject);
    tcase_add_test(tc, xeddsa_matches_libsignal_vector_and_edges);
    tcase_add_test(tc, xeddsa_accepts_identity_r_like_libsignal);
    tcase_add_test(tc, xeddsa_sign_verifies_under_libsignal_protocol_c);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
