/*
 * sc_zk.h - the part of libsignal's zkgroup a linked client needs for
 * groups v2 (rust/zkgroup, rust/zkcredential, rust/poksho at v0.100.0):
 *
 *  - GroupSecretParams derived from a group master key, and the
 *    GroupPublicParams that go in the groups server's Basic auth;
 *  - member ids (UuidCiphertext) and profile keys (ProfileKeyCiphertext)
 *    encrypted and decrypted under a group's params;
 *  - the group auth credential: AuthCredentialWithPniZkcResponse received
 *    from GET /v1/certificate/auth/group (issuance proof verified) and
 *    presented to /v2/groups as an AuthCredentialWithPniZkcPresentation.
 *
 * Every byte string here is libsignal's own serialization (version or
 * reserved byte first), so values can be compared with libsignal-client
 * and stored as they are. Service ids are 16-byte UUIDs plus a kind.
 * Group secret params hold private scalars: wipe them (ut_wipe).
 * Thread-safe, no I/O. Errors: SC_ERR_FORMAT (wrong length, version,
 * non-canonical point or scalar), SC_ERR_ZK_VERIFY (a proof does not
 * verify or a ciphertext does not decrypt to a valid id/key),
 * SC_ERR_CRYPTO, UT_ERR_NOMEM.
 */
#ifndef SC_ZK_H
#define SC_ZK_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_ZK_GROUP_SECRET_LEN 289 /* GroupSecretParams */
#define SC_ZK_GROUP_PUBLIC_LEN 97  /* GroupPublicParams */
#define SC_ZK_UID_CT_LEN 65        /* UuidCiphertext */
#define SC_ZK_PROFILE_KEY_CT_LEN 65 /* ProfileKeyCiphertext */

typedef struct sc_zk_group {
    uint8_t b[SC_ZK_GROUP_SECRET_LEN]; /* libsignal serialization */
} sc_zk_group;

enum { SC_ZK_ACI = 0, SC_ZK_PNI = 1 };

/* GroupSecretParams::derive_from_master_key. */
int sc_zk_group_derive(sc_zk_group *g, const uint8_t master_key[32])
    __attribute__((warn_unused_result));
/* GroupSecretParams::get_public_params, serialized. */
void sc_zk_group_public(uint8_t out[SC_ZK_GROUP_PUBLIC_LEN],
                        const sc_zk_group *g);

/* ServiceId <-> UuidCiphertext. kind: SC_ZK_ACI or SC_ZK_PNI. */
int sc_zk_uid_encrypt(uint8_t ct[SC_ZK_UID_CT_LEN], const sc_zk_group *g,
                      const uint8_t uuid[16], int kind)
    __attribute__((warn_unused_result));
int sc_zk_uid_decrypt(uint8_t uuid[16], int *kind, const sc_zk_group *g,
                      const uint8_t *ct, size_t n)
    __attribute__((warn_unused_result));

/* ProfileKey <-> ProfileKeyCiphertext of the member whose ACI is aci. */
int sc_zk_profile_key_encrypt(uint8_t ct[SC_ZK_PROFILE_KEY_CT_LEN],
                              const sc_zk_group *g,
                              const uint8_t profile_key[32],
                              const uint8_t aci[16])
    __attribute__((warn_unused_result));
int sc_zk_profile_key_decrypt(uint8_t profile_key[32], const sc_zk_group *g,
                              const uint8_t *ct, size_t n,
                              const uint8_t aci[16])
    __attribute__((warn_unused_result));

/* ServerPublicParams (the service's zkgroup public key set; production's
 * is a constant of Signal's clients, a private server publishes its own). */
typedef struct sc_zk_server sc_zk_server;
int sc_zk_server_parse(sc_zk_server **out, const uint8_t *b, size_t n)
    __attribute__((warn_unused_result));
void sc_zk_server_free(sc_zk_server *sp);

/* AuthCredentialWithPniZkcResponse::receive: verifies the issuance proof
 * for (aci, pni, redemption_time in seconds, day-aligned) and returns the
 * serialized AuthCredentialWithPniZkc in *cred (malloc'd, secret:
 * ut_free_secret). */
int sc_zk_auth_receive(uint8_t **cred, size_t *cred_len,
                       const sc_zk_server *sp, const uint8_t aci[16],
                       const uint8_t pni[16], uint64_t redemption_time,
                       const uint8_t *resp, size_t resp_len)
    __attribute__((warn_unused_result));
/* AuthCredentialWithPniZkc::present for group g; *pres malloc'd (free()).
 * randomness NULL = fresh random bytes; given = libsignal's
 * ..._with_random, for byte-equal tests. */
int sc_zk_auth_present(uint8_t **pres, size_t *pres_len,
                       const sc_zk_server *sp, const sc_zk_group *g,
                       const uint8_t *cred, size_t cred_len,
                       const uint8_t randomness[32])
    __attribute__((warn_unused_result));

/* Group send endorsements (zkgroup api/groups/group_send_endorsement.rs
 * over zkcredential endorsements.rs, v0.100.0): the groups server sends a
 * GroupSendEndorsementsResponse with every group state; a client verifies
 * it for the full member list, keeps one endorsement per member, and for a
 * multi-recipient send combines those of the recipients into a
 * GroupSendFullToken (Group-Send-Token header, Signal-Server
 * MessageController sendMultiRecipientMessage). An endorsement here is its
 * compressed Ristretto point (libsignal's GroupSendEndorsement without the
 * reserved byte); not secret (a token is a bearer credential once made). */
#define SC_ZK_GSE_LEN 32        /* one endorsement */
#define SC_ZK_GSE_TOKEN_LEN 33  /* GroupSendFullToken */

/* GroupSendEndorsementsResponse::receive_with_service_ids: `acis` holds n
 * 16-byte ACIs, the group's full members including us, in any order;
 * `now` in seconds. The expiration must be day-aligned and between 2 hours
 * and 7 days from now (endorsement_expiration.rs validate_expiration).
 * On success endorsements[32 * i] is member i's, *expiration the
 * response's (seconds). SC_ERR_FORMAT (malformed), SC_ERR_ZK_VERIFY (the
 * proof, the member count or the expiration is wrong). */
int sc_zk_gse_receive(uint8_t *endorsements, uint64_t *expiration,
                      const sc_zk_server *sp, const sc_zk_group *g,
                      const uint8_t *acis, size_t n, uint64_t now,
                      const uint8_t *resp, size_t resp_len)
    __attribute__((warn_unused_result));
/* GroupSendEndorsement::combine of k endorsements (the identity for k=0). */
int sc_zk_gse_combine(uint8_t out[SC_ZK_GSE_LEN], const uint8_t *endorsements, size_t k)
    __attribute__((warn_unused_result));
/* GroupSendEndorsement::to_token then GroupSendToken::into_full_token:
 * the serialized GroupSendFullToken for `expiration` (seconds). */
int sc_zk_gse_full_token(uint8_t token[SC_ZK_GSE_TOKEN_LEN], const sc_zk_group *g,
                         const uint8_t endorsement[SC_ZK_GSE_LEN], uint64_t expiration)
    __attribute__((warn_unused_result));

#endif
