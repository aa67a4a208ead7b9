/* sc_zkgse.c - group send endorsements (sc_zk.h): libsignal v0.100.0
 * rust/zkgroup/src/api/groups/group_send_endorsement.rs
 * (GroupSendEndorsementsResponse::receive_with_service_ids,
 * GroupSendEndorsement::combine / to_token, GroupSendToken::into_full_token)
 * over rust/zkcredential/src/endorsements.rs (EndorsementResponse::receive,
 * its batched proof, Endorsement::to_token) and
 * rust/zkgroup/src/api/endorsement_expiration.rs (validate_expiration).
 *
 * The server signs, for each member, E_i = a1 * M1(aci_i) (the first point
 * of the member's UidStruct ciphertext under the group's uid key) with a
 * key derived from the expiration: R_i = sk' * E_i, sk' = 1 / (sk + t),
 * PK' = PK + t*G, t = the tag scalar of the expiration. The response lists
 * the R_i in the order of compress(2 * E_i) and proves, with one poksho
 * proof over hash-weighted sums, that log_E(R) = log_PK'(G) for all of them.
 * A token for a set of members is SHA-256(compress(a1^-1 * sum R_i))[..16];
 * the chat server recomputes it as sk' * sum M1(aci_i).
 *
 * Layouts are bincode with fixed-width little-endian integers (as in
 * sc_zkauth.c): a Vec or boxed slice is a u64 length then its items. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sc_poksho.h"
#include "sc_prim.h"
#include "sc_sho.h"
#include "sc_zk.h"
#include "sc_zk_int.h"

#define TAG_LABEL "20240215_Signal_GroupSendEndorsement"
#define WEIGHTS_LABEL "Signal_ZKCredential_Endorsements_EndorsementResponse_ProofWeights_20240207"
#define TOKEN_RAW_LEN 16 /* endorsements.rs TOKEN_LEN */
#define SECONDS_PER_DAY 86400u
#define MIN_LEFT (2u * 3600u)            /* validate_expiration: 2 hours */
#define MAX_LEFT (7u * SECONDS_PER_DAY)  /* and 7 days */
#define PROOF_LEN 64                      /* challenge + one response */

/* curve25519-dalek's decompress: canonical encodings only. */
static int point_ok(const uint8_t p[32])
{
    static const uint8_t identity[32] = {0};
    return !(p[31] & 0x80) &&
           (crypto_core_ristretto255_is_valid_point(p) || !memcmp(p, identity, 32));
}

/* r = a + b with the identity (32 zero bytes) allowed on either side:
 * libsodium refuses to decode it. */
static int padd(uint8_t r[32], const uint8_t a[32], const uint8_t b[32])
{
    static const uint8_t identity[32] = {0};

    if (!memcmp(a, identity, 32)) {
        memmove(r, b, 32);
        return 0;
    }
    if (!memcmp(b, identity, 32)) {
        memmove(r, a, 32);
        return 0;
    }
    return crypto_core_ristretto255_add(r, a, b) ? SC_ERR_CRYPTO : 0;
}

/* r = s * p (identity in or out allowed) */
static void smul(uint8_t r[32], const uint8_t s[32], const uint8_t p[32])
{
    if (crypto_scalarmult_ristretto255(r, s, p))
        memset(r, 0, 32);
}

/* GroupSendDerivedKeyPair::tag_info(expiration).get_scalar() */
static int tag_scalar(uint8_t t[32], uint64_t expiration)
{
    uint8_t be[8];
    sc_sho sho;
    int rc;

    for (int i = 7; i >= 0; i--, expiration >>= 8)
        be[i] = (uint8_t)expiration;
    if (!(rc = sc_sho_init(&sho, TAG_LABEL, sizeof(TAG_LABEL) - 1)) &&
        !(rc = sc_sho_absorb_and_ratchet(&sho, be, 8)))
        rc = sc_sho_scalar(&sho, t);
    sc_sho_clear(&sho);
    return rc;
}

typedef struct {
    size_t idx;        /* the member's position in the caller's list */
    uint8_t E[32];     /* a1 * M1 */
    uint8_t key[32];   /* compress(2 * E): the sort key, also hashed */
} member_pt;

static int key_cmp(const void *a, const void *b)
{
    return memcmp(((const member_pt *)a)->key, ((const member_pt *)b)->key, 32);
}

int sc_zk_gse_receive(uint8_t *endorsements, uint64_t *expiration,
                      const sc_zk_server *sp, const sc_zk_group *g,
                      const uint8_t *acis, size_t n, uint64_t now,
                      const uint8_t *resp, size_t resp_len)
{
    static const char *const st1[] = {"sk_prime", "weighted_sum(E)"};
    static const char *const st2[] = {"sk_prime", "PK_prime"};
    member_pt *m = NULL;
    uint8_t t[32], tG[32], pkp[32], sumE[32], sumR[32], w[32], tmp[32];
    uint8_t *weights = NULL, m2[32];
    const uint8_t *R, *proof;
    sc_poksho_arg pa[3];
    sc_poksho *st = NULL;
    uint64_t exp, left;
    size_t proof_len;
    sc_sho sho;
    int rc;

    memset(&sho, 0, sizeof(sho));
    if (!endorsements || !expiration || !sp || !g || (!acis && n) || (!resp && resp_len))
        return UT_ERR_INVAL;
    /* reserved, R (u64 count, points), proof (u64 length, bytes), expiration */
    if (resp_len < 1 + 8 || resp[0] != 0)
        return SC_ERR_FORMAT;
    {
        uint64_t cnt = ut_le64_get(resp + 1);
        if (cnt > (resp_len - 9) / 32 || resp_len - 9 - 32 * cnt < 16)
            return SC_ERR_FORMAT;
        R = resp + 9;
        proof_len = ut_le64_get(resp + 9 + 32 * cnt);
        if (proof_len != resp_len - 9 - 32 * cnt - 16)
            return SC_ERR_FORMAT;
        proof = resp + 9 + 32 * cnt + 8;
        exp = ut_le64_get(resp + resp_len - 8);
        /* EndorsementResponse::receive: one endorsement per member */
        if (cnt != n || n == 0)
            return SC_ERR_ZK_VERIFY;
    }
    /* endorsement_expiration.rs validate_expiration */
    left = exp > now ? exp - now : 0;
    if (exp % SECONDS_PER_DAY || left < MIN_LEFT || left > MAX_LEFT)
        return SC_ERR_ZK_VERIFY;

    /* PK' = PK + t*G */
    if ((rc = tag_scalar(t, exp)))
        goto out;
    crypto_scalarmult_ristretto255_base(tG, t);
    if ((rc = padd(pkp, sc_zk_server_endorsement_key(sp), tG)))
        goto out;

    /* the members' points, sorted as the issuer sorted them */
    if (!(m = calloc(n, sizeof(*m)))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t m1[32];
        m[i].idx = i;
        if ((rc = sc_zk_uid_points(m1, m2, acis + 16 * i, SC_ZK_ACI)))
            goto out;
        smul(m[i].E, sc_zk_uid_a1(g), m1);
        if ((rc = padd(m[i].key, m[i].E, m[i].E)))
            goto out;
    }
    qsort(m, n, sizeof(*m), key_cmp);

    /* the proof's weights: a Sho over PK', the doubled E and the R */
    if (!(weights = malloc(16 * (n - 1) + 1))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = sc_sho_init(&sho, WEIGHTS_LABEL, sizeof(WEIGHTS_LABEL) - 1)) ||
        (rc = sc_sho_absorb(&sho, pkp, 32)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((rc = sc_sho_absorb(&sho, m[i].key, 32)))
            goto out;
    if ((rc = sc_sho_absorb(&sho, R, 32 * n)) || (rc = sc_sho_ratchet(&sho)) ||
        (rc = sc_sho_squeeze(&sho, weights, 16 * (n - 1))))
        goto out;

    /* an R that does not decode fails the proof (libsignal substitutes the
     * identity, which fails it too) */
    for (size_t i = 0; i < n; i++)
        if (!point_ok(R + 32 * i)) {
            rc = SC_ERR_ZK_VERIFY;
            goto out;
        }
    memcpy(sumE, m[0].E, 32);
    memcpy(sumR, R, 32);
    for (size_t i = 1; i < n; i++) {
        memset(w, 0, 32);
        memcpy(w, weights + 16 * (i - 1), 16);
        w[15] &= 0x7f;
        smul(tmp, w, m[i].E);
        if ((rc = padd(sumE, sumE, tmp)))
            goto out;
        smul(tmp, w, R + 32 * i);
        if ((rc = padd(sumR, sumR, tmp)))
            goto out;
    }

    pa[0] = (sc_poksho_arg){"weighted_sum(R)", sumR};
    pa[1] = (sc_poksho_arg){"weighted_sum(E)", sumE};
    pa[2] = (sc_poksho_arg){"PK_prime", pkp};
    if ((rc = sc_poksho_new(&st)) || (rc = sc_poksho_add(st, "weighted_sum(R)", st1, 1)) ||
        (rc = sc_poksho_add(st, "G", st2, 1)))
        goto out;
    if (proof_len != PROOF_LEN ||
        (rc = sc_poksho_verify(st, proof, proof_len, pa, 3, NULL, 0))) {
        rc = rc == 0 || rc == SC_ERR_FORMAT ? SC_ERR_ZK_VERIFY : rc;
        goto out;
    }
    /* back in the caller's order */
    for (size_t i = 0; i < n; i++)
        memcpy(endorsements + 32 * m[i].idx, R + 32 * i, 32);
    *expiration = exp;
out:
    sc_poksho_free(st);
    sc_sho_clear(&sho);
    free(weights);
    free(m);
    ut_wipe(m2, sizeof(m2));
    return rc;
}

int sc_zk_gse_combine(uint8_t out[SC_ZK_GSE_LEN], const uint8_t *endorsements, size_t k)
{
    uint8_t acc[32] = {0};
    int rc;

    if (!out || (!endorsements && k))
        return UT_ERR_INVAL;
    for (size_t i = 0; i < k; i++) {
        if (!point_ok(endorsements + 32 * i))
            return SC_ERR_FORMAT;
        if ((rc = padd(acc, acc, endorsements + 32 * i)))
            return rc;
    }
    memcpy(out, acc, 32);
    return 0;
}

int sc_zk_gse_full_token(uint8_t token[SC_ZK_GSE_TOKEN_LEN], const sc_zk_group *g,
                         const uint8_t endorsement[SC_ZK_GSE_LEN], uint64_t expiration)
{
    uint8_t inv[32], P[32], h[32];
    int rc;

    if (!token || !g || !endorsement)
        return UT_ERR_INVAL;
    if (!point_ok(endorsement))
        return SC_ERR_FORMAT;
    /* ClientDecryptionKey::for_first_point_of_attribute: a1^-1 */
    if (crypto_core_ristretto255_scalar_invert(inv, sc_zk_uid_a1(g))) {
        rc = SC_ERR_FORMAT;
        goto out;
    }
    smul(P, inv, endorsement);
    if ((rc = sc_sha256(h, P, 32)))
        goto out;
    /* GroupSendFullToken: reserved, raw_token (u64 length, bytes), expiration */
    token[0] = 0;
    ut_le64_put(token + 1, TOKEN_RAW_LEN);
    memcpy(token + 9, h, TOKEN_RAW_LEN);
    ut_le64_put(token + 25, expiration);
out:
    ut_wipe(inv, sizeof(inv));
    ut_wipe(P, sizeof(P));
    ut_wipe(h, sizeof(h));
    return rc;
}
