/* test_sc_sho.c - ShoHmacSha256 against libsignal's own vectors
 * (rust/poksho/src/shohmacsha256.rs test_vectors), and the zkgroup
 * squeezes against libsodium's Ristretto checks. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "sc_sho.h"

static void eq_hex(const uint8_t *got, size_t n, const char *hex)
{
    ck_assert_uint_eq(strlen(hex), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        ck_assert_msg(got[i] == v, "byte %zu: %02x != %02x", i, got[i], v);
    }
}

static const char asd64[] =
    "392cb9449373037fa0c11aebed69cca3b7d3bc9790878f341729c65d5506442f"
    "04986cb5c9098f277c3ea640a4dc6e90372b433a90af9aea7072eaba3398c4fe";

START_TEST(vector_64_and_65)
{
    sc_sho s;
    uint8_t out[65];

    ck_assert_int_eq(sc_sho_init(&s, "asd", 3), 0);
    ck_assert_int_eq(sc_sho_absorb_and_ratchet(&s, "asdasd", 6), 0);
    ck_assert_int_eq(sc_sho_squeeze(&s, out, 64), 0);
    eq_hex(out, 64, asd64);
    sc_sho_clear(&s);

    ck_assert_int_eq(sc_sho_init(&s, "asd", 3), 0);
    /* two absorbs before one ratchet = one absorb of the concatenation */
    ck_assert_int_eq(sc_sho_absorb(&s, "asd", 3), 0);
    ck_assert_int_eq(sc_sho_absorb(&s, "asd", 3), 0);
    ck_assert_int_eq(sc_sho_ratchet(&s), 0);
    ck_assert_int_eq(sc_sho_squeeze(&s, out, 65), 0);
    ck_assert_uint_eq(out[64], 0x7a);
    eq_hex(out, 64, asd64);
    sc_sho_clear(&s);
}
END_TEST

START_TEST(vector_long_sequence)
{
    static uint8_t zero[129];
    static const size_t absorbs[] = {63, 64, 65, 127, 128, 129};
    uint8_t out[129];
    sc_sho s;

    ck_assert_int_eq(sc_sho_init(&s, "", 0), 0);
    ck_assert_int_eq(sc_sho_absorb_and_ratchet(&s, "abc", 3), 0);
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(sc_sho_absorb_and_ratchet(&s, zero, absorbs[i]), 0);
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(sc_sho_squeeze(&s, out, absorbs[i]), 0);
    ck_assert_int_eq(sc_sho_absorb_and_ratchet(&s, "def", 3), 0);
    ck_assert_int_eq(sc_sho_squeeze(&s, out, 63), 0);
    eq_hex(out, 63,
           "c5c13bcc6596c25fc4514eac9269dd6e3e57ef70f4bfb8d67fd3082ed9732d77"
           "90d8d2686f19eb2533a65c94bb8ceda0a068e1b615c81bb26e411889da9fb7");
    sc_sho_clear(&s);
}
END_TEST

START_TEST(squeeze_needs_ratchet_and_clone_is_independent)
{
    sc_sho s, c;
    uint8_t a[32], b[32], p[32], k[32];

    ck_assert_int_eq(sc_sho_init(&s, "L", 1), 0);
    ck_assert_int_eq(sc_sho_absorb(&s, "x", 1), 0);
    ck_assert_int_eq(sc_sho_squeeze(&s, a, 32), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_sho_clone(&c, &s), 0);
    ck_assert_int_eq(sc_sho_ratchet(&s), 0);
    ck_assert_int_eq(sc_sho_ratchet(&c), 0);
    ck_assert_int_eq(sc_sho_squeeze(&s, a, 32), 0);
    ck_assert_int_eq(sc_sho_squeeze(&c, b, 32), 0);
    ck_assert_mem_eq(a, b, 32);
    ck_assert_int_eq(sc_sho_squeeze(&s, a, 32), 0);
    ck_assert_mem_ne(a, b, 32);

    ck_assert_int_eq(sc_sho_point(&s, p), 0);
    ck_assert_int_eq(crypto_core_ristretto255_is_valid_point(p), 1);
    ck_assert_int_eq(sc_sho_scalar(&c, k), 0);
    ck_assert_uint_lt(k[31], 0x10 + 1); /* reduced mod l < 2^253 */
    sc_sho_clear(&s);
    sc_sho_clear(&c);
    sc_sho_clear(&c); /* twice is safe */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_sho");
    TCase *t = tcase_create("sho");
    SRunner *r;
    int failed;

    tcase_add_test(t, vector_64_and_65);
    tcase_add_test(t, vector_long_sequence);
    tcase_add_test(t, squeeze_needs_ratchet_and_clone_is_independent);
    suite_add_tcase(s, t);
    r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
