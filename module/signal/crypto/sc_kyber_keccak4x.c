/*
 * sc_kyber_keccak4x.c - four SHAKE128/256 instances at once with AVX2
 * (one 64-bit lane of each state per 256-bit register), for the parts of
 * Kyber that hash many short independent inputs: the matrix A (16 XOFs)
 * and the noise (8-9 PRFs). About a third of Kyber's time was there; one
 * AVX2 permutation costs little more than one scalar OpenSSL permutation.
 * The caller checks sc_kyber_have_avx2() and otherwise uses OpenSSL.
 * Keccak-f[1600] written from FIPS 202; constant time (no data-dependent
 * branches or indexes). Checked against OpenSSL's SHAKE in test_sc_kyber.
 */
#include "config.h"

#include <string.h>

#include "sc_kyber_int.h"
#include "ut.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

int sc_kyber_have_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL,
    0x8000000080008000ULL, 0x000000000000808BULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008AULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800AULL, 0x800000008000000AULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};


/* Rotations by constants: immediate shifts. Fully unrolled round
 * (generated from the FIPS 202 step definitions; lane index x + 5y). */
#define ROL(v, n) _mm256_or_si256(_mm256_slli_epi64((v), (n)), _mm256_srli_epi64((v), 64 - (n)))
#define XOR5(a, b, c, d, e) \
    _mm256_xor_si256(_mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d)), e)

__attribute__((target("avx2"))) static void keccakf4x(__m256i s[25])
{
    __m256i c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    __m256i b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24;
    int r;

    for (r = 0; r < 24; r++) {
        c0 = XOR5(s[0], s[5], s[10], s[15], s[20]);
        c1 = XOR5(s[1], s[6], s[11], s[16], s[21]);
        c2 = XOR5(s[2], s[7], s[12], s[17], s[22]);
        c3 = XOR5(s[3], s[8], s[13], s[18], s[23]);
        c4 = XOR5(s[4], s[9], s[14], s[19], s[24]);
        d0 = _mm256_xor_si256(c4, ROL(c1, 1));
        d1 = _mm256_xor_si256(c0, ROL(c2, 1));
        d2 = _mm256_xor_si256(c1, ROL(c3, 1));
        d3 = _mm256_xor_si256(c2, ROL(c4, 1));
        d4 = _mm256_xor_si256(c3, ROL(c0, 1));
        b0 = _mm256_xor_si256(s[0], d0);
        b10 = ROL(_mm256_xor_si256(s[1], d1), 1);
        b20 = ROL(_mm256_xor_si256(s[2], d2), 62);
        b5 = ROL(_mm256_xor_si256(s[3], d3), 28);
        b15 = ROL(_mm256_xor_si256(s[4], d4), 27);
        b16 = ROL(_mm256_xor_si256(s[5], d0), 36);
        b1 = ROL(_mm256_xor_si256(s[6], d1), 44);
        b11 = ROL(_mm256_xor_si256(s[7], d2), 6);
        b21 = ROL(_mm256_xor_si256(s[8], d3), 55);
        b6 = ROL(_mm256_xor_si256(s[9], d4), 20);
        b7 = ROL(_mm256_xor_si256(s[10], d0), 3);
        b17 = ROL(_mm256_xor_si256(s[11], d1), 10);
        b2 = ROL(_mm256_xor_si256(s[12], d2), 43);
        b12 = ROL(_mm256_xor_si256(s[13], d3), 25);
        b22 = ROL(_mm256_xor_si256(s[14], d4), 39);
        b23 = ROL(_mm256_xor_si256(s[15], d0), 41);
        b8 = ROL(_mm256_xor_si256(s[16], d1), 45);
        b18 = ROL(_mm256_xor_si256(s[17], d2), 15);
        b3 = ROL(_mm256_xor_si256(s[18], d3), 21);
        b13 = ROL(_mm256_xor_si256(s[19], d4), 8);
        b14 = ROL(_mm256_xor_si256(s[20], d0), 18);
        b24 = ROL(_mm256_xor_si256(s[21], d1), 2);
        b9 = ROL(_mm256_xor_si256(s[22], d2), 61);
        b19 = ROL(_mm256_xor_si256(s[23], d3), 56);
        b4 = ROL(_mm256_xor_si256(s[24], d4), 14);
        s[0] = _mm256_xor_si256(b0, _mm256_andnot_si256(b1, b2));
        s[1] = _mm256_xor_si256(b1, _mm256_andnot_si256(b2, b3));
        s[2] = _mm256_xor_si256(b2, _mm256_andnot_si256(b3, b4));
        s[3] = _mm256_xor_si256(b3, _mm256_andnot_si256(b4, b0));
        s[4] = _mm256_xor_si256(b4, _mm256_andnot_si256(b0, b1));
        s[5] = _mm256_xor_si256(b5, _mm256_andnot_si256(b6, b7));
        s[6] = _mm256_xor_si256(b6, _mm256_andnot_si256(b7, b8));
        s[7] = _mm256_xor_si256(b7, _mm256_andnot_si256(b8, b9));
        s[8] = _mm256_xor_si256(b8, _mm256_andnot_si256(b9, b5));
        s[9] = _mm256_xor_si256(b9, _mm256_andnot_si256(b5, b6));
        s[10] = _mm256_xor_si256(b10, _mm256_andnot_si256(b11, b12));
        s[11] = _mm256_xor_si256(b11, _mm256_andnot_si256(b12, b13));
        s[12] = _mm256_xor_si256(b12, _mm256_andnot_si256(b13, b14));
        s[13] = _mm256_xor_si256(b13, _mm256_andnot_si256(b14, b10));
        s[14] = _mm256_xor_si256(b14, _mm256_andnot_si256(b10, b11));
        s[15] = _mm256_xor_si256(b15, _mm256_andnot_si256(b16, b17));
        s[16] = _mm256_xor_si256(b16, _mm256_andnot_si256(b17, b18));
        s[17] = _mm256_xor_si256(b17, _mm256_andnot_si256(b18, b19));
        s[18] = _mm256_xor_si256(b18, _mm256_andnot_si256(b19, b15));
        s[19] = _mm256_xor_si256(b19, _mm256_andnot_si256(b15, b16));
        s[20] = _mm256_xor_si256(b20, _mm256_andnot_si256(b21, b22));
        s[21] = _mm256_xor_si256(b21, _mm256_andnot_si256(b22, b23));
        s[22] = _mm256_xor_si256(b22, _mm256_andnot_si256(b23, b24));
        s[23] = _mm256_xor_si256(b23, _mm256_andnot_si256(b24, b20));
        s[24] = _mm256_xor_si256(b24, _mm256_andnot_si256(b20, b21));
        s[0] = _mm256_xor_si256(s[0], _mm256_set1_epi64x((long long)RC[r]));
    }
}

__attribute__((target("avx2"))) void
sc_kyber_shake4x(uint8_t *const out[4], size_t nblocks, unsigned rate,
                 const uint8_t *const in[4], size_t inlen)
{
    __m256i a[25];
    uint64_t lane[4][25];
    size_t i, blk;
    int k;

    /* absorb one padded block per instance (inlen < rate); x86 is little
     * endian, so lanes are plain 8-byte loads and stores */
    memset(lane, 0, sizeof(lane));
    for (k = 0; k < 4; k++) {
        uint8_t *b = (uint8_t *)lane[k];

        memcpy(b, in[k], inlen);
        b[inlen] ^= 0x1f;
        b[rate - 1] ^= 0x80;
    }
    for (i = 0; i < 25; i++)
        a[i] = _mm256_set_epi64x((long long)lane[3][i], (long long)lane[2][i],
                                 (long long)lane[1][i], (long long)lane[0][i]);
    for (blk = 0; blk < nblocks; blk++) {
        keccakf4x(a);
        for (i = 0; i < rate / 8; i++) {
            uint64_t w[4];

            _mm256_storeu_si256((__m256i *)(void *)w, a[i]);
            for (k = 0; k < 4; k++)
                memcpy(out[k] + blk * rate + 8 * i, &w[k], 8);
        }
    }
    ut_wipe(lane, sizeof(lane));
    ut_wipe(a, sizeof(a));
}

#else

int sc_kyber_have_avx2(void)
{
    return 0;
}

void sc_kyber_shake4x(uint8_t *const out[4], size_t nblocks, unsigned rate,
                      const uint8_t *const in[4], size_t inlen)
{
    (void)out;
    (void)nblocks;
    (void)rate;
    (void)in;
    (void)inlen;
}

#endif
