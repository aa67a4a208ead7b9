/* test_sc_spqr_code.c - GF(2^16) and SPQR's chunk erasure code
 * (spqr src/encoding/gf.rs, polynomial.rs). Chunks libsignal itself sent
 * are decoded in tests/interop/spqr-interop.js. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_spqr_code.h"

START_TEST(gf16_field_laws)
{
    uint32_t a;
    unsigned i;

    /* x^15 * x = x^16 = x^12 + x^3 + x + 1 (the reduction polynomial 0x1100B) */
    ck_assert_uint_eq(sc_gf16_mul(0x8000, 2), 0x100B);
    ck_assert_uint_eq(sc_gf16_mul(0, 0x1234), 0);
    ck_assert_uint_eq(sc_gf16_mul(1, 0xbeef), 0xbeef);
    for (a = 1; a < 65536; a++)
        ck_assert_uint_eq(sc_gf16_mul((uint16_t)a, sc_gf16_inv((uint16_t)a)), 1);
    srand(7);
    for (i = 0; i < 10000; i++) {
        uint16_t x = (uint16_t)rand(), y = (uint16_t)rand(), z = (uint16_t)rand();
        ck_assert_uint_eq(sc_gf16_mul(x, y), sc_gf16_mul(y, x));
        ck_assert_uint_eq(sc_gf16_mul(x, (uint16_t)(y ^ z)),
                          sc_gf16_mul(x, y) ^ sc_gf16_mul(x, z));
        ck_assert_uint_eq(sc_gf16_mul(sc_gf16_mul(x, y), z),
                          sc_gf16_mul(x, sc_gf16_mul(y, z)));
    }
}
END_TEST

static void fill(uint8_t *m, size_t n, unsigned seed)
{
    size_t i;

    srand(seed);
    for (i = 0; i < n; i++)
        m[i] = (uint8_t)rand();
}

/* Every payload size SPQR uses: any k distinct chunks decode. */
START_TEST(any_k_chunks_decode)
{
    static const size_t sizes[] = {96, 1152, 960, 160};
    uint8_t msg[1152], out[1152], chunk[32];
    unsigned s, trial;

    for (s = 0; s < 4; s++) {
        size_t n = sizes[s];
        unsigned k = (unsigned)(n / 32);
        fill(msg, n, (unsigned)s);
        /* systematic: chunk j < k is the message itself */
        sc_spqr_chunk_at(chunk, msg, n, 1);
        ck_assert_mem_eq(chunk, msg + 32, 32);
        for (trial = 0; trial < 4; trial++) {
            sc_spqr_decoder d;
            unsigned got = 0, idx;
            sc_spqr_decoder_init(&d, n);
            /* trial 0: only redundancy chunks k..2k-1; 1: every other chunk;
             * 2: a far range with repeats; 3: interleaved old and new */
            for (idx = 0; !sc_spqr_decoder_done(&d, out); idx++) {
                uint16_t j = trial == 0 ? (uint16_t)(k + idx)
                           : trial == 1 ? (uint16_t)(2 * idx + 1)
                           : trial == 2 ? (uint16_t)(1000 + idx / 2)
                           : (uint16_t)(idx % 2 ? idx : 3 * k + idx);
                sc_spqr_chunk_at(chunk, msg, n, j);
                sc_spqr_decoder_add(&d, j, chunk);
                ck_assert_uint_lt(++got, 4 * k + 2);
            }
            ck_assert_mem_eq(out, msg, n);
        }
    }
}
END_TEST

/* polynomial.rs test encode_and_decode_large: 1088 bytes of 3, chunks
 * 35..69 (none systematic) decode. */
START_TEST(rust_encode_and_decode_large)
{
    uint8_t msg[1088], out[1088], chunk[32];
    sc_spqr_decoder d;
    unsigned i, done = 0;

    memset(msg, 3, sizeof(msg));
    sc_spqr_decoder_init(&d, sizeof(msg));
    for (i = 35; i < 71 && !done; i++) {
        sc_spqr_chunk_at(chunk, msg, sizeof(msg), (uint16_t)i);
        sc_spqr_decoder_add(&d, (uint16_t)i, chunk);
        done = (unsigned)sc_spqr_decoder_done(&d, out);
    }
    ck_assert(done);
    ck_assert_mem_eq(out, msg, sizeof(msg));
}
END_TEST

START_TEST(too_few_or_repeated_chunks_do_not_decode)
{
    uint8_t msg[96], out[96], chunk[32];
    sc_spqr_decoder d;

    fill(msg, sizeof(msg), 9);
    sc_spqr_decoder_init(&d, sizeof(msg));
    sc_spqr_chunk_at(chunk, msg, 96, 5);
    sc_spqr_decoder_add(&d, 5, chunk);
    sc_spqr_decoder_add(&d, 5, chunk);
    sc_spqr_decoder_add(&d, 5, chunk);
    ck_assert_int_eq(sc_spqr_decoder_done(&d, out), 0);
    sc_spqr_chunk_at(chunk, msg, 96, 9);
    sc_spqr_decoder_add(&d, 9, chunk);
    ck_assert_int_eq(sc_spqr_decoder_done(&d, out), 0);
    sc_spqr_chunk_at(chunk, msg, 96, 0);
    sc_spqr_decoder_add(&d, 0, chunk);
    ck_assert_int_eq(sc_spqr_decoder_done(&d, out), 1);
    ck_assert_mem_eq(out, msg, 96);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_spqr_code");
    TCase *tc = tcase_create("code");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, gf16_field_laws);
    tcase_add_test(tc, any_k_chunks_decode);
    tcase_add_test(tc, rust_encode_and_decode_large);
    tcase_add_test(tc, too_few_or_repeated_chunks_do_not_decode);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
