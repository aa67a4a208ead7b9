/*
 * sc_zk_int.h - zkgroup internals shared inside module/signal/crypto
 * (the group auth credential presentation needs the uid encryption key pair
 * and the uid attribute points). Not part of the public sc_zk.h interface.
 * These names and offsets are stable: other branches build on them.
 *
 * Points are canonical Ristretto255 encodings (libsodium's; the identity is
 * 32 zero bytes), scalars are canonical little-endian mod l.
 * Thread-safe, no I/O.
 */
#ifndef SC_ZK_INT_H
#define SC_ZK_INT_H

#include <stdint.h>

#include "sc_zk.h"

/* Layout of sc_zk_group.b (libsignal's bincode of GroupSecretParams):
 *   [0]        reserved byte, 0
 *   [1,33)     group master key
 *   [33,65)    group id
 *   [65,97)    blob key
 *   [97,129)   uid_enc_key_pair.a1      (scalar, secret)
 *   [129,161)  uid_enc_key_pair.a2      (scalar, secret)
 *   [161,193)  uid_enc_key_pair.A       (point) = a1*G_a1 + a2*G_a2
 *   [193,225)  profile_key_enc_key_pair.a1 (scalar, secret)
 *   [225,257)  profile_key_enc_key_pair.a2 (scalar, secret)
 *   [257,289)  profile_key_enc_key_pair.A  (point)
 */
#define SC_ZK_OFF_MASTER_KEY 1
#define SC_ZK_OFF_GROUP_ID 33
#define SC_ZK_OFF_BLOB_KEY 65
#define SC_ZK_OFF_UID_A1 97
#define SC_ZK_OFF_UID_A2 129
#define SC_ZK_OFF_UID_A 161
#define SC_ZK_OFF_PK_A1 193
#define SC_ZK_OFF_PK_A2 225
#define SC_ZK_OFF_PK_A 257

static inline const uint8_t *sc_zk_uid_a1(const sc_zk_group *g)
{
    return g->b + SC_ZK_OFF_UID_A1;
}
static inline const uint8_t *sc_zk_uid_a2(const sc_zk_group *g)
{
    return g->b + SC_ZK_OFF_UID_A2;
}
static inline const uint8_t *sc_zk_uid_A(const sc_zk_group *g)
{
    return g->b + SC_ZK_OFF_UID_A;
}

/* UidStruct::from_service_id: M1 = calc_M1 (Sho
 * "Signal_ZKGroup_20200424_UID_CalcM1" over the service id binary, ACI =
 * 16 bytes, PNI = 0x01 || 16 bytes, get_point), M2 = lizard_encode(uuid).
 * kind: SC_ZK_ACI or SC_ZK_PNI. Errors: UT_ERR_INVAL (kind),
 * SC_ERR_CRYPTO, UT_ERR_NOMEM. */
int sc_zk_uid_points(uint8_t m1[32], uint8_t m2[32], const uint8_t uuid[16],
                     int kind) __attribute__((warn_unused_result));

/* ProfileKeyStruct::new: M3 = calc_M3 (single Elligator of a Sho over
 * profile_key || uid), M4 = map_to_curve(profile key with bits 0, 254, 255
 * cleared). Errors: SC_ERR_CRYPTO, UT_ERR_NOMEM. */
int sc_zk_profile_key_points(uint8_t m3[32], uint8_t m4[32],
                             const uint8_t profile_key[32],
                             const uint8_t uid[16])
    __attribute__((warn_unused_result));

/* The uid encryption system generators G_a1, G_a2 (uid_encryption.rs
 * SystemParams::SYSTEM_HARDCODED), 32 bytes each. */
extern const uint8_t sc_zk_uid_g_a1[32], sc_zk_uid_g_a2[32];

/* out = s*p, with s*p = identity giving 32 zero bytes (libsodium returns -1
 * there; dalek does not). SC_ERR_FORMAT if p is not a valid encoding. */
int sc_zk_point_mul(uint8_t out[32], const uint8_t s[32], const uint8_t p[32])
    __attribute__((warn_unused_result));

/* The endorsement root public key of the server params (ServerPublicParams
 * endorsement_public_key, the last point of the serialization). */
const uint8_t *sc_zk_server_endorsement_key(const sc_zk_server *sp);

#endif
