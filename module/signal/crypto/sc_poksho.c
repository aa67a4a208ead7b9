/* sc_poksho.c - poksho statements, proofs and verification (sc_poksho.h).
 * Follows rust/poksho/src/statement.rs step by step; the comments name the
 * Rust hash inputs (L, D, A, Z, a, M, R). Note that libsignal absorbs the
 * base point G with the other points in A, whatever its comment says. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sc_poksho.h"
#include "sc_sho.h"

#define LABEL "POKSHO_Ristretto_SHOHMACSHA256"

typedef struct {
    uint8_t lhs, n;
    uint8_t scalar[SC_POKSHO_MAX_TERMS], point[SC_POKSHO_MAX_TERMS];
} equation;

struct sc_poksho {
    equation eq[SC_POKSHO_MAX_EQUATIONS];
    size_t n_eq, n_scalars, n_points;
    char scalar[SC_POKSHO_MAX_SCALARS][SC_POKSHO_MAX_NAME];
    char point[SC_POKSHO_MAX_POINTS][SC_POKSHO_MAX_NAME];
};

int sc_poksho_new(sc_poksho **out)
{
    sc_poksho *st = calloc(1, sizeof(*st));

    if (!st)
        return UT_ERR_NOMEM;
    memcpy(st->point[0], "G", 2); /* index 0 is the base point */
    st->n_points = 1;
    *out = st;
    return 0;
}

void sc_poksho_free(sc_poksho *st)
{
    free(st);
}

/* Index of name in tab, appended if new; -1 when full or too long. */
static int intern(char tab[][SC_POKSHO_MAX_NAME], size_t *n, size_t max,
                  const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len >= SC_POKSHO_MAX_NAME)
        return -1;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(tab[i], name))
            return (int)i;
    if (*n >= max)
        return -1;
    memcpy(tab[*n], name, len + 1);
    return (int)(*n)++;
}

int sc_poksho_add(sc_poksho *st, const char *lhs, const char *const *terms,
                  size_t n)
{
    size_t ns, np;
    equation e;
    int i;

    if (!st || !terms || n == 0 || n > SC_POKSHO_MAX_TERMS ||
        st->n_eq >= SC_POKSHO_MAX_EQUATIONS)
        return UT_ERR_INVAL;
    /* a failed add leaves the statement as it was */
    ns = st->n_scalars;
    np = st->n_points;
    memset(&e, 0, sizeof(e));
    if ((i = intern(st->point, &st->n_points, SC_POKSHO_MAX_POINTS, lhs)) < 0)
        goto fail;
    e.lhs = (uint8_t)i;
    for (size_t k = 0; k < n; k++) {
        if ((i = intern(st->scalar, &st->n_scalars, SC_POKSHO_MAX_SCALARS,
                        terms[2 * k])) < 0)
            goto fail;
        e.scalar[k] = (uint8_t)i;
        if ((i = intern(st->point, &st->n_points, SC_POKSHO_MAX_POINTS,
                        terms[2 * k + 1])) < 0)
            goto fail;
        e.point[k] = (uint8_t)i;
    }
    e.n = (uint8_t)n;
    st->eq[st->n_eq++] = e;
    return 0;
fail:
    st->n_scalars = ns;
    st->n_points = np;
    return UT_ERR_INVAL;
}

size_t sc_poksho_proof_len(const sc_poksho *st)
{
    return 32 * (1 + st->n_scalars);
}

/* Statement description D (Statement::to_bytes). */
static size_t describe(const sc_poksho *st, uint8_t *d)
{
    size_t k = 0;

    d[k++] = (uint8_t)st->n_eq;
    for (size_t i = 0; i < st->n_eq; i++) {
        d[k++] = st->eq[i].lhs;
        d[k++] = st->eq[i].n;
        for (size_t j = 0; j < st->eq[i].n; j++) {
            d[k++] = st->eq[i].scalar[j];
            d[k++] = st->eq[i].point[j];
        }
    }
    return k;
}

/* Orders args by the statement's names into out (32 bytes each), as
 * sort_scalars/sort_points: exactly one value per name, nothing more. */
static int sort_args(uint8_t (*out)[32], const char (*tab)[SC_POKSHO_MAX_NAME],
                     size_t n, const sc_poksho_arg *args, size_t n_args)
{
    if (n_args != n)
        return UT_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < n_args; j++)
            if (args[j].name && args[j].v && !strcmp(args[j].name, tab[i]))
                break;
        if (j == n_args)
            return UT_ERR_INVAL;
        memcpy(out[i], args[j].v, 32);
    }
    return 0;
}

static int sort_points(uint8_t (*all)[32], const sc_poksho *st,
                       const sc_poksho_arg *points, size_t n_points)
{
    static const uint8_t one[32] = {1};
    int rc;

    if ((rc = sort_args(all + 1, st->point + 1,
                        st->n_points - 1, points, n_points)))
        return rc;
    /* libsodium 1.0.18 ignores the top bit; dalek (libsignal) rejects it */
    for (size_t i = 1; i < st->n_points; i++)
        if ((all[i][31] & 0x80) || !crypto_core_ristretto255_is_valid_point(all[i]))
            return SC_ERR_FORMAT;
    if (crypto_scalarmult_ristretto255_base(all[0], one) != 0)
        return SC_ERR_CRYPTO;
    return 0;
}

/* r = s * P; libsodium returns -1 for the identity, which is a valid
 * result here (a zero scalar or the "0" point). Points are validated. */
static void smul(uint8_t r[32], const uint8_t s[32], const uint8_t p[32],
                 int is_base)
{
    int bad = is_base ? crypto_scalarmult_ristretto255_base(r, s)
                      : crypto_scalarmult_ristretto255(r, s, p);
    if (bad)
        memset(r, 0, 32);
}

/* homomorphism_with_subtraction: per equation sum(s_j * P_j), minus
 * h * lhs when h is given (verification). */
static int homomorphism(uint8_t (*out)[32], const sc_poksho *st,
                        const uint8_t (*g1)[32], const uint8_t (*all)[32],
                        const uint8_t *h)
{
    uint8_t t[32];
    int rc = 0;

    for (size_t i = 0; i < st->n_eq; i++) {
        const equation *e = &st->eq[i];
        memset(out[i], 0, 32);
        for (size_t j = 0; j < e->n; j++) {
            smul(t, g1[e->scalar[j]], all[e->point[j]], e->point[j] == 0);
            if (crypto_core_ristretto255_add(out[i], out[i], t)) {
                rc = SC_ERR_CRYPTO;
                goto out;
            }
        }
        if (h) {
            smul(t, h, all[e->lhs], e->lhs == 0);
            if (crypto_core_ristretto255_sub(out[i], out[i], t)) {
                rc = SC_ERR_CRYPTO;
                goto out;
            }
        }
    }
out:
    ut_wipe(t, sizeof(t));
    return rc;
}

/* sho = SHO(L); absorb D || A; ratchet. */
static int sho_start(sc_sho *sho, const sc_poksho *st,
                     const uint8_t (*all)[32])
{
    uint8_t d[1 + SC_POKSHO_MAX_EQUATIONS * (2 + 2 * SC_POKSHO_MAX_TERMS)];
    int rc;

    if ((rc = sc_sho_init(sho, LABEL, sizeof(LABEL) - 1)) ||
        (rc = sc_sho_absorb(sho, d, describe(st, d))))
        return rc;
    for (size_t i = 0; i < st->n_points; i++)
        if ((rc = sc_sho_absorb(sho, all[i], 32)))
            return rc;
    return sc_sho_ratchet(sho);
}

/* Absorbs R || M and squeezes the challenge. */
static int challenge(uint8_t c[32], sc_sho *sho, const sc_poksho *st,
                     const uint8_t (*commit)[32], const uint8_t *msg,
                     size_t msg_len)
{
    uint8_t wide[64];
    int rc;

    for (size_t i = 0; i < st->n_eq; i++)
        if ((rc = sc_sho_absorb(sho, commit[i], 32)))
            return rc;
    if ((rc = sc_sho_absorb_and_ratchet(sho, msg, msg_len)) ||
        (rc = sc_sho_squeeze(sho, wide, sizeof(wide))))
        return rc;
    crypto_core_ristretto255_scalar_reduce(c, wide);
    return 0;
}

static int scalar_is_canonical(const uint8_t s[32])
{
    uint8_t wide[64] = {0}, r[32];

    memcpy(wide, s, 32);
    crypto_core_ristretto255_scalar_reduce(r, wide);
    return sodium_memcmp(r, s, 32) == 0;
}

int sc_poksho_verify(const sc_poksho *st, const uint8_t *proof, size_t n,
                     const sc_poksho_arg *points, size_t n_points,
                     const uint8_t *msg, size_t msg_len)
{
    uint8_t all[SC_POKSHO_MAX_POINTS][32];
    uint8_t commit[SC_POKSHO_MAX_EQUATIONS][32];
    uint8_t c[32];
    sc_sho sho;
    int rc;

    memset(&sho, 0, sizeof(sho));
    if (!st || (!proof && n) || (!msg && msg_len))
        return UT_ERR_INVAL;
    /* Proof::from_slice, and the response count of verify_proof */
    if (n % 32 || n != sc_poksho_proof_len(st))
        return SC_ERR_ZK_VERIFY;
    for (size_t i = 0; i < n; i += 32)
        if (!scalar_is_canonical(proof + i))
            return SC_ERR_ZK_VERIFY;
    if ((rc = sort_points(all, st, points, n_points)) ||
        (rc = sho_start(&sho, st, (const uint8_t (*)[32])all)) ||
        (rc = homomorphism(commit, st, (const uint8_t (*)[32])(proof + 32),
                           (const uint8_t (*)[32])all, proof)) ||
        (rc = challenge(c, &sho, st, (const uint8_t (*)[32])commit, msg,
                        msg_len)))
        goto out;
    if (!ut_ct_eq(c, proof, 32))
        rc = SC_ERR_ZK_VERIFY;
out:
    sc_sho_clear(&sho);
    return rc;
}

int sc_poksho_prove(uint8_t **proof, size_t *proof_len, const sc_poksho *st,
                    const sc_poksho_arg *scalars, size_t n_scalars,
                    const sc_poksho_arg *points, size_t n_points,
                    const uint8_t *msg, size_t msg_len,
                    const uint8_t randomness[32])
{
    uint8_t all[SC_POKSHO_MAX_POINTS][32];
    uint8_t commit[SC_POKSHO_MAX_EQUATIONS][32];
    uint8_t g1[SC_POKSHO_MAX_SCALARS][32], nonce[SC_POKSHO_MAX_SCALARS][32];
    uint8_t *p = NULL;
    size_t len = 0;
    sc_sho sho, sho2;
    int rc;

    memset(&sho, 0, sizeof(sho));
    memset(&sho2, 0, sizeof(sho2));
    if (!proof || !proof_len || !st || !randomness || (!msg && msg_len) ||
        st->n_eq == 0)
        return UT_ERR_INVAL;
    len = sc_poksho_proof_len(st);
    if ((rc = sort_args(g1, st->scalar,
                        st->n_scalars, scalars, n_scalars)) ||
        (rc = sort_points(all, st, points, n_points)))
        goto out;
    for (size_t i = 0; i < st->n_scalars; i++)
        if (!scalar_is_canonical(g1[i])) {
            rc = UT_ERR_INVAL;
            goto out;
        }
    if ((rc = sho_start(&sho, st, (const uint8_t (*)[32])all)))
        goto out;

    /* synthetic nonce: sho2 = sho; absorb Z || a; ratchet; M; squeeze */
    if ((rc = sc_sho_clone(&sho2, &sho)) ||
        (rc = sc_sho_absorb(&sho2, randomness, 32)))
        goto out;
    for (size_t i = 0; i < st->n_scalars; i++)
        if ((rc = sc_sho_absorb(&sho2, g1[i], 32)))
            goto out;
    if ((rc = sc_sho_ratchet(&sho2)) ||
        (rc = sc_sho_absorb_and_ratchet(&sho2, msg, msg_len)))
        goto out;
    /* squeeze_and_ratchet(64 * n) in one call: the counter runs on */
    {
        size_t nb = 64 * st->n_scalars;
        uint8_t *blind = malloc(nb);
        if (!blind) {
            rc = UT_ERR_NOMEM;
            goto out;
        }
        rc = sc_sho_squeeze(&sho2, blind, nb);
        for (size_t i = 0; !rc && i < st->n_scalars; i++)
            crypto_core_ristretto255_scalar_reduce(nonce[i], blind + 64 * i);
        ut_free_secret(blind, nb);
        if (rc)
            goto out;
    }

    if ((rc = homomorphism(commit, st, (const uint8_t (*)[32])nonce,
                           (const uint8_t (*)[32])all, NULL)))
        goto out;
    if (!(p = malloc(len))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = challenge(p, &sho, st, (const uint8_t (*)[32])commit, msg,
                        msg_len)))
        goto out;
    for (size_t i = 0; i < st->n_scalars; i++) {
        uint8_t *r = p + 32 * (i + 1);
        crypto_core_ristretto255_scalar_mul(r, g1[i], p);
        crypto_core_ristretto255_scalar_add(r, r, nonce[i]);
    }
    /* a proof that fails would mean a bad witness or a glitch that could
     * leak it: never hand it out */
    if ((rc = sc_poksho_verify(st, p, len, points, n_points, msg, msg_len)))
        goto out;
out:
    sc_sho_clear(&sho);
    sc_sho_clear(&sho2);
    ut_wipe(g1, sizeof(g1));
    ut_wipe(nonce, sizeof(nonce));
    ut_wipe(commit, sizeof(commit));
    if (rc == 0) {
        *proof = p;
        *proof_len = len;
    } else {
        free(p);
    }
    return rc;
}
