/* test_sc_poksho.c - poksho statements against libsignal's own known-answer
 * proofs (rust/poksho/src/sign.rs test_signature, statement.rs
 * test_complex_statement at v0.100.0), plus round trips, tampering and
 * malformed input. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "sc_poksho.h"

static void eq_hex(const uint8_t *got, size_t n, const char *hex)
{
    ck_assert_uint_eq(strlen(hex), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        ck_assert_msg(got[i] == v, "byte %zu: %02x != %02x", i, got[i], v);
    }
}

/* Scalar::from_bytes_mod_order_wide of the 64 bytes start, start+1, ... */
static void wide_scalar(uint8_t s[32], unsigned start)
{
    uint8_t w[64];
    for (unsigned i = 0; i < 64; i++)
        w[i] = (uint8_t)(start + i);
    crypto_core_ristretto255_scalar_reduce(s, w);
}

static void base_mul(uint8_t p[32], const uint8_t s[32])
{
    ck_assert_int_eq(crypto_scalarmult_ristretto255_base(p, s), 0);
}

static void mul(uint8_t r[32], const uint8_t s[32], const uint8_t p[32])
{
    ck_assert_int_eq(crypto_scalarmult_ristretto255(r, s, p), 0);
}

static void add(uint8_t r[32], const uint8_t p[32], const uint8_t q[32])
{
    ck_assert_int_eq(crypto_core_ristretto255_add(r, p, q), 0);
}

static sc_poksho *sig_statement(void)
{
    static const char *const t[] = {"private_key", "G"};
    sc_poksho *st;
    ck_assert_int_eq(sc_poksho_new(&st), 0);
    ck_assert_int_eq(sc_poksho_add(st, "public_key", t, 1), 0);
    return st;
}

START_TEST(signature_vector)
{
    static const char want[] =
        "a08f6b34a282dd4c7cfc40b918f224a6b631ca5f6480a10b42bd1408602a7e00"
        "8a23a1e32479befb5e26b9f0f4fe0e9e9e9ec9afad269143acb03a22c6364f03";
    uint8_t a[32], A[32], rnd[32], msg[100], *proof = NULL;
    size_t len = 0;
    sc_poksho *st = sig_statement();

    wide_scalar(a, 0);
    base_mul(A, a);
    for (unsigned i = 0; i < 32; i++)
        rnd[i] = (uint8_t)i;
    for (unsigned i = 0; i < 100; i++)
        msg[i] = (uint8_t)i;
    sc_poksho_arg sa[] = {{"private_key", a}}, pa[] = {{"public_key", A}};
    ck_assert_uint_eq(sc_poksho_proof_len(st), 64);
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, st, sa, 1, pa, 1, msg,
                                     sizeof(msg), rnd), 0);
    ck_assert_uint_eq(len, 64);
    eq_hex(proof, len, want);
    ck_assert_int_eq(sc_poksho_verify(st, proof, len, pa, 1, msg, sizeof(msg)), 0);
    /* another message, another key: no */
    ck_assert_int_eq(sc_poksho_verify(st, proof, len, pa, 1, msg, 99), SC_ERR_ZK_VERIFY);
    base_mul(A, rnd);
    ck_assert_int_eq(sc_poksho_verify(st, proof, len, pa, 1, msg, sizeof(msg)),
                     SC_ERR_ZK_VERIFY);
    free(proof);
    sc_poksho_free(st);
}
END_TEST

/* test_complex_statement: A = a*G + b*H + c*I, B = c*H + d*I */
typedef struct {
    uint8_t a[32], b[32], c[32], d[32], H[32], I[32], A[32], B[32], t[32];
    sc_poksho_arg sa[4], pa[4];
    sc_poksho *st;
} complex_fx;

static void complex_setup(complex_fx *f)
{
    static const char *const e1[] = {"a", "G", "b", "H", "c", "I"};
    static const char *const e2[] = {"c", "H", "d", "I"};
    uint8_t h[32], i[32];

    wide_scalar(f->a, 10);
    wide_scalar(f->b, 20);
    wide_scalar(f->c, 30);
    wide_scalar(f->d, 40);
    wide_scalar(h, 50);
    wide_scalar(i, 60);
    base_mul(f->H, h);
    base_mul(f->I, i);
    base_mul(f->A, f->a);
    mul(f->t, f->b, f->H);
    add(f->A, f->A, f->t);
    mul(f->t, f->c, f->I);
    add(f->A, f->A, f->t);
    mul(f->B, f->c, f->H);
    mul(f->t, f->d, f->I);
    add(f->B, f->B, f->t);
    ck_assert_int_eq(sc_poksho_new(&f->st), 0);
    ck_assert_int_eq(sc_poksho_add(f->st, "A", e1, 3), 0);
    ck_assert_int_eq(sc_poksho_add(f->st, "B", e2, 2), 0);
    sc_poksho_arg sa[] = {{"a", f->a}, {"b", f->b}, {"c", f->c}, {"d", f->d}};
    sc_poksho_arg pa[] = {{"A", f->A}, {"B", f->B}, {"H", f->H}, {"I", f->I}};
    memcpy(f->sa, sa, sizeof(sa));
    memcpy(f->pa, pa, sizeof(pa));
}

START_TEST(complex_vector)
{
    static const char want[] =
        "8efc676c33e6b2d0670ed5461a507f6a4bc9153e261db80fa438f3cd80a5c909"
        "b113cc0d7990ad616d0a2fc4b831d06357a5ee5d36d44b3427c7901061180c0f"
        "b1798c51680fe21b9f98e97955b1597c49314725c1546a369328cf54daae710b"
        "fc4a9911422aa77ed6d7231de3003ba5ae9d9fd0c53ced7ad782e29b04684a07"
        "221a6ef47ce61d817f01117cf59df69ac35b5bb590f1f7b6d029717bc1a62501";
    complex_fx f;
    uint8_t rnd[32], *proof = NULL, *p2;
    size_t len = 0;

    complex_setup(&f);
    for (unsigned i = 0; i < 32; i++)
        rnd[i] = (uint8_t)i;
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, f.sa, 4, f.pa, 4,
                                     NULL, 0, rnd), 0);
    eq_hex(proof, len, want);
    ck_assert_int_eq(sc_poksho_verify(f.st, proof, len, f.pa, 4, NULL, 0), 0);
    /* a message the proof is not bound to */
    ck_assert_int_eq(sc_poksho_verify(f.st, proof, len, f.pa, 4, rnd, 32),
                     SC_ERR_ZK_VERIFY);
    /* one byte more, one scalar less */
    p2 = malloc(len + 1);
    memcpy(p2, proof, len);
    p2[len] = 0;
    ck_assert_int_eq(sc_poksho_verify(f.st, p2, len + 1, f.pa, 4, NULL, 0),
                     SC_ERR_ZK_VERIFY);
    ck_assert_int_eq(sc_poksho_verify(f.st, p2, len - 32, f.pa, 4, NULL, 0),
                     SC_ERR_ZK_VERIFY);
    ck_assert_int_eq(sc_poksho_verify(f.st, p2, 0, f.pa, 4, NULL, 0),
                     SC_ERR_ZK_VERIFY);
    /* every single flipped byte is caught */
    for (size_t i = 0; i < len; i++) {
        memcpy(p2, proof, len);
        p2[i] ^= 0x01;
        ck_assert_int_eq(sc_poksho_verify(f.st, p2, len, f.pa, 4, NULL, 0),
                         SC_ERR_ZK_VERIFY);
    }
    /* a non-canonical scalar (the challenge + L) is rejected as such */
    memcpy(p2, proof, len);
    memset(p2 + 32, 0xff, 32);
    ck_assert_int_eq(sc_poksho_verify(f.st, p2, len, f.pa, 4, NULL, 0),
                     SC_ERR_ZK_VERIFY);
    free(p2);
    free(proof);
    sc_poksho_free(f.st);
}
END_TEST

START_TEST(bad_arguments)
{
    complex_fx f;
    uint8_t rnd[32] = {7}, bad[32], *proof = (uint8_t *)1;
    size_t len = 0;

    complex_setup(&f);
    /* an extra scalar, a missing one, an unknown name */
    sc_poksho_arg sa5[5];
    memcpy(sa5, f.sa, sizeof(f.sa));
    sa5[4] = (sc_poksho_arg){"abc", f.a};
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, sa5, 5, f.pa, 4,
                                     NULL, 0, rnd), UT_ERR_INVAL);
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, f.sa, 3, f.pa, 4,
                                     NULL, 0, rnd), UT_ERR_INVAL);
    sa5[0] = (sc_poksho_arg){"x", f.a};
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, sa5, 4, f.pa, 4,
                                     NULL, 0, rnd), UT_ERR_INVAL);
    ck_assert_ptr_eq(proof, (uint8_t *)1); /* untouched on error */
    /* a wrong witness never yields a proof */
    sa5[0] = (sc_poksho_arg){"a", f.b};
    memcpy(sa5 + 1, f.sa + 1, 3 * sizeof(*sa5));
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, sa5, 4, f.pa, 4,
                                     NULL, 0, rnd), SC_ERR_ZK_VERIFY);
    /* an invalid point encoding */
    memset(bad, 0xff, sizeof(bad));
    sc_poksho_arg pa[4];
    memcpy(pa, f.pa, sizeof(pa));
    pa[2].v = bad;
    ck_assert_int_eq(sc_poksho_verify(f.st, bad, 32 * 5, pa, 4, NULL, 0),
                     SC_ERR_ZK_VERIFY); /* non-canonical scalars first */
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, f.sa, 4, pa, 4,
                                     NULL, 0, rnd), SC_ERR_FORMAT);
    /* the top bit set on a valid encoding: libsignal rejects it, and so
     * must we (libsodium 1.0.18 alone does not) */
    uint8_t top[32];
    memcpy(top, f.A, 32);
    top[31] |= 0x80;
    ck_assert_int_eq(crypto_core_ristretto255_is_valid_point(f.A), 1);
    pa[2].v = f.H;
    pa[0].v = top;
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, f.sa, 4, pa, 4,
                                     NULL, 0, rnd), SC_ERR_FORMAT);
    /* an extra point */
    sc_poksho_arg pa5[5];
    memcpy(pa5, f.pa, sizeof(f.pa));
    pa5[4] = (sc_poksho_arg){"xyz", f.A};
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, f.sa, 4, pa5, 5,
                                     NULL, 0, rnd), UT_ERR_INVAL);
    /* statement limits */
    static const char *const t[] = {"s", "P"};
    static const char *const empty[] = {"", "P"};
    ck_assert_int_eq(sc_poksho_add(f.st, "Q", t, 0), UT_ERR_INVAL);
    ck_assert_int_eq(sc_poksho_add(f.st, "", t, 1), UT_ERR_INVAL);
    ck_assert_int_eq(sc_poksho_add(f.st, "Q", empty, 1), UT_ERR_INVAL);
    /* the failed adds left nothing behind: the proof is the same size and
     * still proves */
    ck_assert_uint_eq(sc_poksho_proof_len(f.st), 32 * 5);
    ck_assert_int_eq(sc_poksho_prove(&proof, &len, f.st, f.sa, 4, f.pa, 4,
                                     NULL, 0, rnd), 0);
    ck_assert_int_eq(sc_poksho_verify(f.st, proof, len, f.pa, 4, NULL, 0), 0);
    free(proof);
    sc_poksho_free(f.st);
}
END_TEST

/* Round trips with random witnesses, including an identity left-hand side
 * (the "0" point of zkcredential's presentation statement) and a scalar
 * used in several equations. */
START_TEST(round_trip_random)
{
    static const char *const e1[] = {"x", "G", "y", "H"};
    static const char *const e2[] = {"x", "H", "z", "K"};
    static const char *const e3[] = {"w", "K", "v", "Z"};
    uint8_t x[32], y[32], z[32], w[32], v[32], h[32], k[32], H[32], K[32];
    uint8_t P[32], Q[32], Zp[32], O[32] = {0}, t[32], rnd[32], *proof;
    size_t len;
    sc_poksho *st;

    for (int round = 0; round < 3; round++) {
        crypto_core_ristretto255_scalar_random(x);
        crypto_core_ristretto255_scalar_random(y);
        crypto_core_ristretto255_scalar_random(z);
        crypto_core_ristretto255_scalar_random(h);
        crypto_core_ristretto255_scalar_random(k);
        crypto_core_ristretto255_scalar_random(w);
        randombytes_buf(rnd, sizeof(rnd));
        base_mul(H, h);
        base_mul(K, k);
        base_mul(P, x);
        mul(t, y, H);
        add(P, P, t);
        mul(Q, x, H);
        mul(t, z, K);
        add(Q, Q, t);
        /* 0 = w*K + v*Z with Z = K and v = -w */
        memcpy(Zp, K, 32);
        crypto_core_ristretto255_scalar_negate(v, w);

        ck_assert_int_eq(sc_poksho_new(&st), 0);
        ck_assert_int_eq(sc_poksho_add(st, "P", e1, 2), 0);
        ck_assert_int_eq(sc_poksho_add(st, "Q", e2, 2), 0);
        ck_assert_int_eq(sc_poksho_add(st, "0", e3, 2), 0);
        sc_poksho_arg sa[] = {{"v", v}, {"w", w}, {"x", x}, {"y", y}, {"z", z}};
        sc_poksho_arg pa[] = {{"P", P}, {"Q", Q}, {"H", H}, {"K", K},
                              {"Z", Zp}, {"0", O}};
        ck_assert_int_eq(sc_poksho_prove(&proof, &len, st, sa, 5, pa, 6,
                                         (const uint8_t *)"msg", 3, rnd), 0);
        ck_assert_uint_eq(len, 32 * 6);
        ck_assert_int_eq(sc_poksho_verify(st, proof, len, pa, 6,
                                          (const uint8_t *)"msg", 3), 0);
        proof[len - 1] ^= 0x40;
        ck_assert_int_eq(sc_poksho_verify(st, proof, len, pa, 6,
                                          (const uint8_t *)"msg", 3),
                         SC_ERR_ZK_VERIFY);
        free(proof);
        /* the claim P is for another x: nothing to prove */
        add(P, P, H);
        ck_assert_int_eq(sc_poksho_prove(&proof, &len, st, sa, 5, pa, 6,
                                         (const uint8_t *)"msg", 3, rnd),
                         SC_ERR_ZK_VERIFY);
        sc_poksho_free(st);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_poksho");
    TCase *tc = tcase_create("poksho");
    SRunner *sr;
    int failed;

    if (sodium_init() < 0)
        return 1;
    tcase_add_test(tc, signature_vector);
    tcase_add_test(tc, complex_vector);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, round_trip_random);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
