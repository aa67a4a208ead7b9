/*
 * sc_spqr_code.c - see sc_spqr_code.h.
 */
#include "config.h"

#include <string.h>

#include "sc_spqr_code.h"

uint16_t sc_gf16_mul(uint16_t a, uint16_t b)
{
    uint32_t acc = 0, x = a;
    int i;

    for (i = 0; i < 16; i++)
        if (b & (1u << i))
            acc ^= x << i;
    for (i = 31; i >= 16; i--)       /* reduce by x^16 + x^12 + x^3 + x + 1 */
        if (acc & (1u << i))
            acc ^= 0x1100Bu << (i - 16);
    return (uint16_t)acc;
}

uint16_t sc_gf16_inv(uint16_t a)
{
    /* a^(2^16 - 2), as gf.rs div_impl */
    uint16_t sq = sc_gf16_mul(a, a), out = 1;
    int i;

    for (i = 1; i < 16; i++) {
        out = sc_gf16_mul(out, sq);
        sq = sc_gf16_mul(sq, sq);
    }
    return out;
}

/* w[j] = L_j(x) for the points xs[0..k), x not among them. */
static void lagrange_weights(uint16_t *w, const uint16_t *xs, unsigned k, uint16_t x)
{
    uint16_t pre[SC_SPQR_CODE_MAXK + 1], suf[SC_SPQR_CODE_MAXK + 1], den;
    unsigned j, m;

    pre[0] = 1;
    for (j = 0; j < k; j++)
        pre[j + 1] = sc_gf16_mul(pre[j], (uint16_t)(x ^ xs[j]));
    suf[k] = 1;
    for (j = k; j-- > 0;)
        suf[j] = sc_gf16_mul(suf[j + 1], (uint16_t)(x ^ xs[j]));
    for (j = 0; j < k; j++) {
        den = 1;
        for (m = 0; m < k; m++)
            if (m != j)
                den = sc_gf16_mul(den, (uint16_t)(xs[j] ^ xs[m]));
        w[j] = sc_gf16_mul(sc_gf16_mul(pre[j], suf[j + 1]), sc_gf16_inv(den));
    }
}

static uint16_t sym(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* out = Σ w[j] · rows[j] per 16-bit symbol; rows are 32-byte chunks. */
static void combine(uint8_t out[SC_SPQR_CHUNK], const uint16_t *w,
                    const uint8_t *const *rows, unsigned k)
{
    unsigned p, j;

    for (p = 0; p < 16; p++) {
        uint16_t y = 0;
        for (j = 0; j < k; j++)
            y ^= sc_gf16_mul(w[j], sym(rows[j] + 2 * p));
        out[2 * p] = (uint8_t)(y >> 8);
        out[2 * p + 1] = (uint8_t)y;
    }
}

void sc_spqr_chunk_at(uint8_t out[SC_SPQR_CHUNK], const uint8_t *msg, size_t n,
                      uint16_t idx)
{
    unsigned k = (unsigned)(n / SC_SPQR_CHUNK), j;
    uint16_t xs[SC_SPQR_CODE_MAXK], w[SC_SPQR_CODE_MAXK];
    const uint8_t *rows[SC_SPQR_CODE_MAXK];

    if (idx < k) {
        memcpy(out, msg + (size_t)idx * SC_SPQR_CHUNK, SC_SPQR_CHUNK);
        return;
    }
    for (j = 0; j < k; j++) {
        xs[j] = (uint16_t)j;
        rows[j] = msg + (size_t)j * SC_SPQR_CHUNK;
    }
    lagrange_weights(w, xs, k, idx);
    combine(out, w, rows, k);
}

void sc_spqr_decoder_init(sc_spqr_decoder *d, size_t n)
{
    memset(d, 0, sizeof(*d));
    d->k = (uint16_t)(n / SC_SPQR_CHUNK);
}

static long find(const sc_spqr_decoder *d, uint16_t idx)
{
    unsigned i;

    for (i = 0; i < d->count; i++)
        if (d->idx[i] == idx)
            return (long)i;
    return -1;
}

void sc_spqr_decoder_add(sc_spqr_decoder *d, uint16_t idx,
                         const uint8_t data[SC_SPQR_CHUNK])
{
    unsigned i;

    /* polynomial.rs add_chunk: keep a point if it is a systematic one
     * (x < k) or while fewer than k are held; the set ignores a repeated x.
     * Kept sorted by index, as the Rust SortedSet. */
    if (!(idx < d->k || d->count < d->k) || find(d, idx) >= 0 ||
        d->count >= 2 * SC_SPQR_CODE_MAXK)
        return;
    for (i = d->count; i > 0 && d->idx[i - 1] > idx; i--) {
        d->idx[i] = d->idx[i - 1];
        memcpy(d->data[i], d->data[i - 1], SC_SPQR_CHUNK);
    }
    d->idx[i] = idx;
    memcpy(d->data[i], data, SC_SPQR_CHUNK);
    d->count++;
}

int sc_spqr_decoder_done(const sc_spqr_decoder *d, uint8_t *out)
{
    uint16_t w[SC_SPQR_CODE_MAXK];
    const uint8_t *rows[SC_SPQR_CODE_MAXK];
    unsigned x, j;
    long pos;

    if (!d->k || d->count < d->k)
        return 0;
    /* interpolation uses the k lowest indexes held (polynomial.rs
     * decoded_message: the first pts_needed points of the sorted set) */
    for (j = 0; j < d->k; j++)
        rows[j] = d->data[j];
    for (x = 0; x < d->k; x++) {
        if ((pos = find(d, (uint16_t)x)) >= 0) {
            memcpy(out + (size_t)x * SC_SPQR_CHUNK, d->data[pos], SC_SPQR_CHUNK);
            continue;
        }
        lagrange_weights(w, d->idx, d->k, (uint16_t)x);
        combine(out + (size_t)x * SC_SPQR_CHUNK, w, rows, d->k);
    }
    return 1;
}
