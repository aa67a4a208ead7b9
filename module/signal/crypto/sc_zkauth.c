/* sc_zkauth.c - ServerPublicParams and the group auth credential
 * (AuthCredentialWithPniZkc: zkgroup api/auth/auth_credential_with_pni/
 * zkc.rs over zkcredential issuance.rs and presentation.rs, v0.100.0).
 * Layouts are bincode with fixed-width little-endian integers: a Vec is a
 * u64 length then its items, arrays and points are bare bytes, and trailing
 * bytes are an error. Proof statements are built with the same names as in
 * Rust, since poksho orders points and scalars by first appearance. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sc_poksho.h"
#include "sc_sho.h"
#include "sc_zk.h"
#include "sc_zk_int.h"

#define SERVER_PUBLIC_LEN 673
#define RESPONSE_LEN 425 /* version, credential (t, U, V), vec(320) */
#define CRED_LEN 265     /* version, t, U, V, 2 x (uuid, M1, M2), time */
#define PRESENTATION_LEN 633
#define VERSION_ZKC 3    /* AuthCredentialWithPniVersion::Zkc */
#define VERSION_PRES 3   /* PRESENTATION_VERSION_4 */
#define N_ATTR 5         /* public attribute point + 2 two-point uids */
#define SECONDS_PER_DAY 86400u

static const char CREDENTIAL_LABEL[] = "20240222_Signal_AuthCredentialZkc";
static const char PRESENTATION_LABEL[] = "Signal_ZKCredential_Presentation_20230410";
#define UID_KEY "Signal_ZKGroup_20230419_UidEncryption"

/* zkcredential SystemParams (credentials.rs SYSTEM_HARDCODED): G_w,
 * G_wprime, G_x0, G_x1, G_V, G_z, G_y0..G_y6. */
enum { G_W, G_WPRIME, G_X0, G_X1, G_V, G_Z, G_Y0 };
static const uint8_t SYS[13][32] = {
    { /* G_w */
    0x58, 0x9c, 0x87, 0x18, 0xe8, 0x26, 0x3a, 0x53, 0xa7, 0x89, 0x32, 0xb6, 0x21, 0x2a, 0x46, 0xe7,
    0xfd, 0x52, 0xde, 0x3a, 0xd1, 0x57, 0xb5, 0xbb, 0x27, 0x7d, 0xba, 0x49, 0x4c, 0xfd, 0x34, 0x71},
    { /* G_wprime */
    0xd4, 0xcc, 0x5f, 0x90, 0x68, 0x59, 0x52, 0x91, 0x7b, 0x33, 0x36, 0x6e, 0xfc, 0xce, 0x05, 0x12,
    0xa1, 0xf8, 0xd7, 0x0f, 0x97, 0x47, 0x58, 0x26, 0x6c, 0xb0, 0x4f, 0xc4, 0x24, 0x34, 0x6d, 0x37},
    { /* G_x0 */
    0xb2, 0x0f, 0x49, 0xcb, 0x2a, 0x08, 0x1c, 0x94, 0xb1, 0x77, 0x1f, 0xd8, 0xc1, 0x72, 0xae, 0x21,
    0x78, 0x5c, 0x61, 0xea, 0x2c, 0x7e, 0x31, 0x94, 0x7c, 0xe3, 0x51, 0xe7, 0xb5, 0xff, 0x07, 0x02},
    { /* G_x1 */
    0x8c, 0x53, 0x29, 0xbe, 0xb8, 0x7b, 0x31, 0x7f, 0xfc, 0xd9, 0x81, 0xe4, 0x40, 0x81, 0x9d, 0x91,
    0x13, 0x6c, 0x98, 0x8d, 0x6d, 0x9f, 0xbe, 0xa4, 0xa8, 0x7e, 0x55, 0xed, 0x24, 0xa5, 0x99, 0x3a},
    { /* G_V */
    0xa0, 0x2f, 0x68, 0x8a, 0xb1, 0xd3, 0xbd, 0x19, 0x05, 0x6f, 0x94, 0xc8, 0xa4, 0x4b, 0x8f, 0xad,
    0xdf, 0xa3, 0xc9, 0xc7, 0x9c, 0x95, 0xad, 0x44, 0x31, 0x1a, 0x7b, 0xf0, 0x0e, 0x5e, 0x86, 0x2e},
    { /* G_z */
    0xc2, 0xc3, 0x99, 0xf0, 0xd6, 0x89, 0xdf, 0xb8, 0xc2, 0xdc, 0x0d, 0x7c, 0xab, 0xa3, 0x2a, 0xfc,
    0xf5, 0x8c, 0xf0, 0xd8, 0x5f, 0x78, 0x19, 0x5a, 0x0b, 0x5a, 0xb7, 0x32, 0xf5, 0x65, 0x59, 0x54},
    { /* G_y0 */
    0x92, 0xcf, 0xd9, 0x82, 0x32, 0x1d, 0x1f, 0x9b, 0xe4, 0xb2, 0x1f, 0xe6, 0xa0, 0x21, 0x43, 0x06,
    0x02, 0x3d, 0x6a, 0x05, 0xd0, 0xd2, 0x3f, 0x67, 0xdd, 0xc1, 0xc0, 0x40, 0x0e, 0x5e, 0x0a, 0x5e},
    { /* G_y1 */
    0x92, 0xd1, 0x75, 0x95, 0x13, 0x1b, 0x7a, 0x09, 0x5e, 0x74, 0x0b, 0x88, 0x4b, 0x8c, 0x9b, 0xb0,
    0x22, 0x6a, 0x39, 0xcf, 0xd0, 0x27, 0xc7, 0x69, 0xc4, 0xf4, 0x67, 0x7c, 0x51, 0xf2, 0x1b, 0x24},
    { /* G_y2 */
    0xda, 0x81, 0xfb, 0x2b, 0xd1, 0x35, 0x6a, 0x9d, 0x06, 0x50, 0xf6, 0xa6, 0x3f, 0xcc, 0x90, 0xd9,
    0x3b, 0xd7, 0x4a, 0x95, 0x4b, 0xa6, 0xf7, 0x5f, 0x0e, 0x9f, 0xca, 0x47, 0xa6, 0xd2, 0x17, 0x34},
    { /* G_y3 */
    0xbc, 0xe7, 0xb2, 0x8f, 0x06, 0xb7, 0x6e, 0xf2, 0xc4, 0x4d, 0x20, 0xa0, 0x70, 0x26, 0x53, 0x4e,
    0x58, 0x6e, 0xb8, 0xe1, 0x03, 0x88, 0x74, 0xa9, 0x3e, 0x44, 0xde, 0x36, 0x2c, 0xe7, 0xbc, 0x08},
    { /* G_y4 */
    0x44, 0xbf, 0xfc, 0x88, 0xe3, 0x90, 0xc6, 0x25, 0x19, 0xe2, 0x81, 0xaa, 0x6f, 0xd5, 0x3f, 0xf9,
    0xdd, 0xd1, 0xd9, 0xba, 0x30, 0x3c, 0xf7, 0x00, 0x04, 0x27, 0x8e, 0xa2, 0xae, 0x66, 0xce, 0x05},
    { /* G_y5 */
    0xa2, 0x74, 0x9d, 0x29, 0xeb, 0xa5, 0x6f, 0x3e, 0xfe, 0x99, 0xe4, 0x29, 0x02, 0x82, 0x5c, 0x47,
    0x3d, 0xfc, 0x3c, 0x15, 0x4c, 0x37, 0x62, 0xd2, 0xe7, 0x6b, 0xd1, 0x03, 0xf6, 0x29, 0xd2, 0x50},
    { /* G_y6 */
    0xb2, 0xd9, 0xd5, 0xc2, 0x43, 0xa4, 0xcf, 0x8f, 0x3b, 0xe2, 0x1a, 0x84, 0xf1, 0x53, 0xf4, 0x4e,
    0x27, 0x33, 0xa1, 0x05, 0xcf, 0x78, 0x0a, 0x20, 0xf0, 0x3d, 0x84, 0xfe, 0x1e, 0xbb, 0xeb, 0x0e},
};

/* CredentialPublicKey: C_W and I[0..5] (I(n) = I[n - 2]). */
struct sc_zk_server {
    uint8_t C_W[32];
    uint8_t I[6][32];
    uint8_t PK[32]; /* endorsement root public key */
};

const uint8_t *sc_zk_server_endorsement_key(const sc_zk_server *sp)
{
    return sp->PK;
}

/* The parts of an AuthCredentialWithPniZkc. */
typedef struct {
    uint8_t t[32], U[32], V[32];
    uint8_t aci[16], aci_m1[32], aci_m2[32];
    uint8_t pni[16], pni_m1[32], pni_m2[32];
    uint64_t time;
} cred;

/* A canonical Ristretto encoding as curve25519-dalek decompresses it;
 * libsodium 1.0.18 alone would let the top bit through. */
static int point_ok(const uint8_t p[32])
{
    return !(p[31] & 0x80) && crypto_core_ristretto255_is_valid_point(p);
}

static int scalar_ok(const uint8_t s[32])
{
    uint8_t wide[64] = {0}, r[32];
    int ok;

    memcpy(wide, s, 32);
    crypto_core_ristretto255_scalar_reduce(r, wide);
    ok = sodium_memcmp(r, s, 32) == 0;
    ut_wipe(wide, sizeof(wide));
    ut_wipe(r, sizeof(r));
    return ok;
}

/* r = s * P, the identity allowed (libsodium reports it as -1); P valid. */
static void smul(uint8_t r[32], const uint8_t s[32], const uint8_t p[32])
{
    if (crypto_scalarmult_ristretto255(r, s, p))
        memset(r, 0, 32);
}

/* r = s * P + Q */
static int smul_add(uint8_t r[32], const uint8_t s[32], const uint8_t p[32],
                    const uint8_t q[32])
{
    uint8_t t[32];
    int rc;

    smul(t, s, p);
    rc = crypto_core_ristretto255_add(r, t, q) ? SC_ERR_CRYPTO : 0;
    ut_wipe(t, sizeof(t));
    return rc;
}

int sc_zk_server_parse(sc_zk_server **out, const uint8_t *b, size_t n)
{
    sc_zk_server *sp;

    if (!out || (!b && n))
        return UT_ERR_INVAL;
    /* reserved byte, then 20 points: seven old public keys (C_W, I each,
     * the signature key a single point), the generic credential key
     * (C_W, I[6]) and the endorsement root key */
    if (n != SERVER_PUBLIC_LEN || b[0] != 0)
        return SC_ERR_FORMAT;
    for (size_t off = 1; off < n; off += 32)
        if (!point_ok(b + off))
            return SC_ERR_FORMAT;
    if (!(sp = malloc(sizeof(*sp))))
        return UT_ERR_NOMEM;
    memcpy(sp->C_W, b + 417, 32);
    memcpy(sp->I, b + 449, sizeof(sp->I));
    memcpy(sp->PK, b + 641, 32);
    *out = sp;
    return 0;
}

void sc_zk_server_free(sc_zk_server *sp)
{
    free(sp);
}

/* M0: the public attribute (the redemption time) hashed to a point, as
 * IssuanceProofBuilder/PresentationProofVerifier finalize it. */
static int public_attr_point(uint8_t m0[32], uint64_t time)
{
    uint8_t be[8];
    sc_sho sho;
    int rc;

    for (int i = 7; i >= 0; i--, time >>= 8)
        be[i] = (uint8_t)time;
    if (!(rc = sc_sho_init(&sho, CREDENTIAL_LABEL, sizeof(CREDENTIAL_LABEL) - 1)) &&
        !(rc = sc_sho_absorb_and_ratchet(&sho, be, 8)))
        rc = sc_sho_point(&sho, m0);
    sc_sho_clear(&sho);
    return rc;
}

/* The issuance statement of IssuanceProofBuilder for N_ATTR points. */
static int issuance_statement(sc_poksho **out)
{
    static const char *const cw[] = {"w", "G_w", "wprime", "G_wprime"};
    static const char *const gvi[] = {"x0", "G_x0", "x1", "G_x1", "y0", "G_y0",
                                      "y1", "G_y1", "y2", "G_y2", "y3", "G_y3",
                                      "y4", "G_y4"};
    static const char *const v[] = {"w", "G_w", "x0", "U", "x1", "tU",
                                    "y0", "M0", "y1", "M1", "y2", "M2",
                                    "y3", "M3", "y4", "M4"};
    sc_poksho *st = NULL;
    int rc;

    if (!(rc = sc_poksho_new(&st)) &&
        !(rc = sc_poksho_add(st, "C_W", cw, 2)) &&
        !(rc = sc_poksho_add(st, "G_V-I", gvi, 2 + N_ATTR)))
        rc = sc_poksho_add(st, "V", v, 3 + N_ATTR);
    if (rc)
        sc_poksho_free(st);
    else
        *out = st;
    return rc;
}

int sc_zk_auth_receive(uint8_t **cred_out, size_t *cred_len,
                       const sc_zk_server *sp, const uint8_t aci[16],
                       const uint8_t pni[16], uint64_t redemption_time,
                       const uint8_t *resp, size_t resp_len)
{
    static const char *const gy[] = {"G_y0", "G_y1", "G_y2", "G_y3", "G_y4"};
    static const char *const mn[] = {"M0", "M1", "M2", "M3", "M4"};
    uint8_t m[N_ATTR][32], gvi[32], tU[32];
    const uint8_t *t, *U, *V;
    sc_poksho_arg pa[11 + 2 * N_ATTR];
    sc_poksho *st = NULL;
    uint8_t *c = NULL;
    size_t np = 0;
    int rc;

    if (!cred_out || !cred_len || !sp || !aci || !pni || (!resp && resp_len))
        return UT_ERR_INVAL;
    /* version, t, U, V, u64 proof length, proof: the length must account
     * for exactly the rest (bincode rejects trailing bytes) */
    if (resp_len < 105 || resp[0] != VERSION_ZKC ||
        ut_le64_get(resp + 97) != resp_len - 105)
        return SC_ERR_FORMAT;
    t = resp + 1;
    U = resp + 33;
    V = resp + 65;
    if (!scalar_ok(t) || !point_ok(U) || !point_ok(V))
        return SC_ERR_FORMAT;
    if (redemption_time % SECONDS_PER_DAY)
        return SC_ERR_ZK_VERIFY;

    if ((rc = public_attr_point(m[0], redemption_time)) ||
        (rc = sc_zk_uid_points(m[1], m[2], aci, SC_ZK_ACI)) ||
        (rc = sc_zk_uid_points(m[3], m[4], pni, SC_ZK_PNI)))
        goto out;
    if (crypto_core_ristretto255_sub(gvi, SYS[G_V], sp->I[N_ATTR - 2])) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    smul(tU, t, U);
    pa[np++] = (sc_poksho_arg){"C_W", sp->C_W};
    pa[np++] = (sc_poksho_arg){"G_w", SYS[G_W]};
    pa[np++] = (sc_poksho_arg){"G_wprime", SYS[G_WPRIME]};
    pa[np++] = (sc_poksho_arg){"G_V-I", gvi};
    pa[np++] = (sc_poksho_arg){"G_x0", SYS[G_X0]};
    pa[np++] = (sc_poksho_arg){"G_x1", SYS[G_X1]};
    for (int i = 0; i < N_ATTR; i++)
        pa[np++] = (sc_poksho_arg){gy[i], SYS[G_Y0 + i]};
    pa[np++] = (sc_poksho_arg){"V", V};
    pa[np++] = (sc_poksho_arg){"U", U};
    pa[np++] = (sc_poksho_arg){"tU", tU};
    for (int i = 0; i < N_ATTR; i++)
        pa[np++] = (sc_poksho_arg){mn[i], m[i]};

    if ((rc = issuance_statement(&st)))
        goto out;
    /* any verification failure, also a malformed proof, is one answer */
    if ((rc = sc_poksho_verify(st, resp + 105, resp_len - 105, pa, np, NULL, 0))) {
        if (rc == SC_ERR_FORMAT)
            rc = SC_ERR_ZK_VERIFY;
        goto out;
    }

    if (!(c = malloc(CRED_LEN))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    c[0] = VERSION_ZKC;
    memcpy(c + 1, resp + 1, 96); /* t, U, V */
    memcpy(c + 97, aci, 16);
    memcpy(c + 113, m[1], 32);
    memcpy(c + 145, m[2], 32);
    memcpy(c + 177, pni, 16);
    memcpy(c + 193, m[3], 32);
    memcpy(c + 225, m[4], 32);
    ut_le64_put(c + 257, redemption_time);
out:
    sc_poksho_free(st);
    ut_wipe(m, sizeof(m));
    ut_wipe(tU, sizeof(tU));
    if (rc == 0) {
        *cred_out = c;
        *cred_len = CRED_LEN;
    }
    return rc;
}

static int cred_parse(cred *c, const uint8_t *b, size_t n)
{
    if (n != CRED_LEN || b[0] != VERSION_ZKC)
        return SC_ERR_FORMAT;
    memcpy(c->t, b + 1, 32);
    memcpy(c->U, b + 33, 32);
    memcpy(c->V, b + 65, 32);
    memcpy(c->aci, b + 97, 16);
    memcpy(c->aci_m1, b + 113, 32);
    memcpy(c->aci_m2, b + 145, 32);
    memcpy(c->pni, b + 177, 16);
    memcpy(c->pni_m1, b + 193, 32);
    memcpy(c->pni_m2, b + 225, 32);
    c->time = ut_le64_get(b + 257);
    if (!scalar_ok(c->t) || !point_ok(c->U) || !point_ok(c->V) ||
        !point_ok(c->aci_m1) || !point_ok(c->aci_m2) ||
        !point_ok(c->pni_m1) || !point_ok(c->pni_m2))
        return SC_ERR_FORMAT;
    return 0;
}

/* PresentationProofBuilderCore::get_poksho_statement for two attributes
 * encrypted under the uid key (points 1-2 and 3-4) and the public
 * attribute point 0. */
static int presentation_statement(sc_poksho **out)
{
    static const char *const z[] = {"z", "I"};
    static const char *const cx1[] = {"t", "C_x0", "z0", "G_x0", "z", "G_x1"};
    static const char *const zero[] = {"z1_" UID_KEY, "I", "a1_" UID_KEY, "Z"};
    static const char *const sum[] = {"a1_" UID_KEY, "G_a1_" UID_KEY,
                                      "a2_" UID_KEY, "G_a2_" UID_KEY};
    static const char *const ea1[] = {"a1_" UID_KEY, "C_y1", "z1_" UID_KEY, "G_y1"};
    static const char *const cy2[] = {"z", "G_y2", "a2_" UID_KEY, "-E_A1"};
    static const char *const ea3[] = {"a1_" UID_KEY, "C_y3", "z1_" UID_KEY, "G_y3"};
    static const char *const cy4[] = {"z", "G_y4", "a2_" UID_KEY, "-E_A3"};
    static const char *const cy0[] = {"z", "G_y0"};
    sc_poksho *st = NULL;
    int rc;

    if (!(rc = sc_poksho_new(&st)) &&
        !(rc = sc_poksho_add(st, "Z", z, 1)) &&
        !(rc = sc_poksho_add(st, "C_x1", cx1, 3)) &&
        !(rc = sc_poksho_add(st, "0", zero, 2)) &&
        !(rc = sc_poksho_add(st, "sum(A)", sum, 2)) &&
        !(rc = sc_poksho_add(st, "E_A1", ea1, 2)) &&
        !(rc = sc_poksho_add(st, "C_y2-E_A2", cy2, 2)) &&
        !(rc = sc_poksho_add(st, "E_A3", ea3, 2)) &&
        !(rc = sc_poksho_add(st, "C_y4-E_A4", cy4, 2)))
        rc = sc_poksho_add(st, "C_y0", cy0, 1);
    if (rc)
        sc_poksho_free(st);
    else
        *out = st;
    return rc;
}

/* Secrets of one presentation, wiped together. */
typedef struct {
    cred c;
    uint8_t rnd[32], prnd[32];
    uint8_t z[32], z0[32], z1[32], nz[32];
    uint8_t a1[32], a2[32], A[32];
} pres_secrets;

int sc_zk_auth_present(uint8_t **pres, size_t *pres_len,
                       const sc_zk_server *sp, const sc_zk_group *g,
                       const uint8_t *cred_b, size_t cred_len,
                       const uint8_t randomness[32])
{
    static const char *const gy[] = {"G_y0", "G_y1", "G_y2", "G_y3", "G_y4"};
    static const uint8_t identity[32] = {0};
    uint8_t cy[N_ATTR][32], cx0[32], cx1[32], cv[32], Z[32], tu[32];
    uint8_t ea[4][32], nea1[32], nea3[32], cye2[32], cye4[32];
    const uint8_t *I;
    pres_secrets s;
    sc_poksho_arg sa[6], pa[32];
    sc_poksho *st = NULL;
    uint8_t *proof = NULL, *p = NULL;
    size_t proof_len = 0, np = 0;
    sc_sho sho;
    int rc;

    memset(&sho, 0, sizeof(sho));
    memset(&s, 0, sizeof(s));
    if (!pres || !pres_len || !sp || !g || (!cred_b && cred_len))
        return UT_ERR_INVAL;
    if ((rc = cred_parse(&s.c, cred_b, cred_len)))
        goto out;
    if (randomness)
        memcpy(s.rnd, randomness, 32);
    else if ((rc = ut_random(s.rnd, 32)))
        goto out;
    memcpy(s.a1, sc_zk_uid_a1(g), 32);
    memcpy(s.a2, sc_zk_uid_a2(g), 32);
    memcpy(s.A, sc_zk_uid_A(g), 32);
    /* a damaged group is a format error (a key pair that does not match
     * its A fails the proof: SC_ERR_ZK_VERIFY) */
    if (!scalar_ok(s.a1) || !scalar_ok(s.a2) || !point_ok(s.A)) {
        rc = SC_ERR_FORMAT;
        goto out;
    }

    if ((rc = sc_sho_init(&sho, PRESENTATION_LABEL, sizeof(PRESENTATION_LABEL) - 1)) ||
        (rc = sc_sho_absorb_and_ratchet(&sho, s.rnd, 32)) ||
        (rc = sc_sho_scalar(&sho, s.z)))
        goto out;

    /* commitments: C_yn = z*G_yn + Mn (M0 is the identity here: the
     * server puts the public attribute in itself) */
    {
        const uint8_t *mpts[N_ATTR] = {identity, s.c.aci_m1, s.c.aci_m2,
                                       s.c.pni_m1, s.c.pni_m2};
        for (int i = 0; i < N_ATTR; i++)
            if ((rc = smul_add(cy[i], s.z, SYS[G_Y0 + i], mpts[i])))
                goto out;
    }
    smul(tu, s.c.t, s.c.U);
    if ((rc = smul_add(cx0, s.z, SYS[G_X0], s.c.U)) ||
        (rc = smul_add(cv, s.z, SYS[G_V], s.c.V)) ||
        (rc = smul_add(cx1, s.z, SYS[G_X1], tu)))
        goto out;

    crypto_core_ristretto255_scalar_negate(s.nz, s.z);
    crypto_core_ristretto255_scalar_mul(s.z0, s.nz, s.c.t);
    crypto_core_ristretto255_scalar_mul(s.z1, s.nz, s.a1);
    I = sp->I[N_ATTR - 2];
    smul(Z, s.z, I);

    /* the ciphertexts: E_A1 = a1*M1, E_A2 = a2*E_A1 + M2 */
    smul(ea[0], s.a1, s.c.aci_m1);
    smul(ea[2], s.a1, s.c.pni_m1);
    if ((rc = smul_add(ea[1], s.a2, ea[0], s.c.aci_m2)) ||
        (rc = smul_add(ea[3], s.a2, ea[2], s.c.pni_m2)))
        goto out;
    if (crypto_core_ristretto255_sub(nea1, identity, ea[0]) ||
        crypto_core_ristretto255_sub(nea3, identity, ea[2]) ||
        crypto_core_ristretto255_sub(cye2, cy[2], ea[1]) ||
        crypto_core_ristretto255_sub(cye4, cy[4], ea[3])) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }

    sa[0] = (sc_poksho_arg){"z", s.z};
    sa[1] = (sc_poksho_arg){"t", s.c.t};
    sa[2] = (sc_poksho_arg){"z0", s.z0};
    sa[3] = (sc_poksho_arg){"a1_" UID_KEY, s.a1};
    sa[4] = (sc_poksho_arg){"a2_" UID_KEY, s.a2};
    sa[5] = (sc_poksho_arg){"z1_" UID_KEY, s.z1};
    pa[np++] = (sc_poksho_arg){"I", I};
    pa[np++] = (sc_poksho_arg){"C_x0", cx0};
    pa[np++] = (sc_poksho_arg){"C_x1", cx1};
    pa[np++] = (sc_poksho_arg){"G_x0", SYS[G_X0]};
    pa[np++] = (sc_poksho_arg){"G_x1", SYS[G_X1]};
    pa[np++] = (sc_poksho_arg){"0", identity};
    pa[np++] = (sc_poksho_arg){"G_a1_" UID_KEY, sc_zk_uid_g_a1};
    pa[np++] = (sc_poksho_arg){"G_a2_" UID_KEY, sc_zk_uid_g_a2};
    pa[np++] = (sc_poksho_arg){"sum(A)", s.A};
    for (int i = 0; i < N_ATTR; i++)
        pa[np++] = (sc_poksho_arg){gy[i], SYS[G_Y0 + i]};
    pa[np++] = (sc_poksho_arg){"C_y0", cy[0]};
    pa[np++] = (sc_poksho_arg){"Z", Z};
    pa[np++] = (sc_poksho_arg){"C_y1", cy[1]};
    pa[np++] = (sc_poksho_arg){"E_A1", ea[0]};
    pa[np++] = (sc_poksho_arg){"-E_A1", nea1};
    pa[np++] = (sc_poksho_arg){"C_y2-E_A2", cye2};
    pa[np++] = (sc_poksho_arg){"C_y3", cy[3]};
    pa[np++] = (sc_poksho_arg){"E_A3", ea[2]};
    pa[np++] = (sc_poksho_arg){"-E_A3", nea3};
    pa[np++] = (sc_poksho_arg){"C_y4-E_A4", cye4};

    if ((rc = sc_sho_squeeze(&sho, s.prnd, 32)) ||
        (rc = presentation_statement(&st)) ||
        (rc = sc_poksho_prove(&proof, &proof_len, st, sa, 6, pa, np, NULL, 0,
                              s.prnd)))
        goto out;
    if (proof_len != 224) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    if (!(p = malloc(PRESENTATION_LEN))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    p[0] = VERSION_PRES;
    memcpy(p + 1, cx0, 32);
    memcpy(p + 33, cx1, 32);
    memcpy(p + 65, cv, 32);
    ut_le64_put(p + 97, N_ATTR);
    memcpy(p + 105, cy, sizeof(cy));
    ut_le64_put(p + 265, proof_len);
    memcpy(p + 273, proof, proof_len);
    memcpy(p + 497, ea, sizeof(ea)); /* aci ciphertext, pni ciphertext */
    ut_le64_put(p + 625, s.c.time);
out:
    sc_poksho_free(st);
    free(proof);
    sc_sho_clear(&sho);
    ut_wipe(&s, sizeof(s));
    ut_wipe(tu, sizeof(tu));
    if (rc == 0) {
        *pres = p;
        *pres_len = PRESENTATION_LEN;
    }
    return rc;
}
