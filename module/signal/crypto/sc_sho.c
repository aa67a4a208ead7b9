/* sc_sho.c - ShoHmacSha256 (see sc_sho.h). Pending input is buffered and
 * MACed at the ratchet: inputs here are labels, points and statements, all
 * small, so buffering is simpler than a live HMAC context and as fast. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sc_prim.h"
#include "sc_sho.h"

static void be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

int sc_sho_init(sc_sho *s, const void *label, size_t n)
{
    memset(s, 0, sizeof(*s));
    return sc_sho_absorb_and_ratchet(s, label, n);
}

int sc_sho_absorb(sc_sho *s, const void *in, size_t n)
{
    if (!s->absorbing) {
        s->absorbing = 1;
        s->n = 0;
    }
    if (n == 0)
        return 0;
    if (s->n + n > s->cap) {
        size_t cap = s->cap ? s->cap : 128;
        uint8_t *p;
        while (cap < s->n + n)
            cap *= 2;
        if (!(p = malloc(cap)))
            return UT_ERR_NOMEM;
        if (s->n)
            memcpy(p, s->in, s->n);
        ut_free_secret(s->in, s->cap);
        s->in = p;
        s->cap = cap;
    }
    memcpy(s->in + s->n, in, n);
    s->n += n;
    return 0;
}

int sc_sho_ratchet(sc_sho *s)
{
    static const uint8_t zero = 0;
    sc_iov v[2] = {{s->in, s->n}, {&zero, 1}};
    int rc;

    if (!s->absorbing)
        return 0;
    if ((rc = sc_hmac_sha256_v(s->cv, s->cv, 32, v, 2)))
        return rc;
    if (s->n)
        ut_wipe(s->in, s->n);
    s->n = 0;
    s->absorbing = 0;
    return 0;
}

int sc_sho_absorb_and_ratchet(sc_sho *s, const void *in, size_t n)
{
    int rc = sc_sho_absorb(s, in, n);
    return rc ? rc : sc_sho_ratchet(s);
}

int sc_sho_squeeze(sc_sho *s, uint8_t *out, size_t n)
{
    static const uint8_t one = 0x01, two = 0x02;
    uint8_t ctr[8], block[32];
    sc_iov a[2] = {{ctr, 8}, {&one, 1}}, b[2] = {{ctr, 8}, {&two, 1}};
    uint64_t i;
    size_t off;
    int rc = 0;

    if (s->absorbing)
        return SC_ERR_FORMAT;
    for (i = 0, off = 0; off < n; i++) {
        size_t k = n - off < 32 ? n - off : 32;
        be64(ctr, i);
        if ((rc = sc_hmac_sha256_v(block, s->cv, 32, a, 2)))
            goto out;
        memcpy(out + off, block, k);
        off += k;
    }
    be64(ctr, (uint64_t)n);
    rc = sc_hmac_sha256_v(s->cv, s->cv, 32, b, 2);
out:
    ut_wipe(block, sizeof(block));
    return rc;
}

int sc_sho_point(sc_sho *s, uint8_t point[32])
{
    uint8_t h[64];
    int rc = sc_sho_squeeze(s, h, sizeof(h));

    if (!rc && crypto_core_ristretto255_from_hash(point, h) != 0)
        rc = SC_ERR_CRYPTO;
    ut_wipe(h, sizeof(h));
    return rc;
}

int sc_sho_scalar(sc_sho *s, uint8_t scalar[32])
{
    uint8_t h[64];
    int rc = sc_sho_squeeze(s, h, sizeof(h));

    if (!rc)
        crypto_core_ristretto255_scalar_reduce(scalar, h);
    ut_wipe(h, sizeof(h));
    return rc;
}

int sc_sho_clone(sc_sho *dst, const sc_sho *src)
{
    *dst = *src;
    dst->in = NULL;
    dst->cap = 0;
    if (src->n) {
        if (!(dst->in = malloc(src->n)))
            return UT_ERR_NOMEM;
        memcpy(dst->in, src->in, src->n);
        dst->cap = src->n;
    }
    return 0;
}

void sc_sho_clear(sc_sho *s)
{
    if (s->in)
        ut_free_secret(s->in, s->cap);
    ut_wipe(s, sizeof(*s));
}
