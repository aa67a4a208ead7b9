/*
 * sig_gstate.h - the groups server's group state as data (internal to
 * signal/client; the unit tests and the fuzz target use it too):
 *  - parse a GroupResponse{Group} (GET /v2/groups) into a sig_group_info,
 *    decrypting the attribute blobs with the blob key (sc_group) and the
 *    member ids / profile keys through caller-given functions (zkgroup in
 *    the client: sc_zk_uid_decrypt / sc_zk_profile_key_decrypt);
 *  - the stored form of a sig_group_info (compact JSON, no secrets).
 * Pure: no I/O, any thread. Errors: SIG_ERR_ENVELOPE (not a GroupResponse
 * with a group, a blob that does not decrypt or parse, too many members),
 * SIG_ERR_JSON (stored form unreadable), UT_ERR_NOMEM.
 */
#ifndef SIG_GSTATE_H
#define SIG_GSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "sig_groups.h"

#define SIG_GSTATE_MAX_MEMBERS 5000

typedef struct sig_gstate_dec {
    /* UuidCiphertext -> 16-byte uuid and kind (SC_ZK_ACI / SC_ZK_PNI); 0 or
     * an error (the member is then skipped). */
    int (*uid)(void *arg, uint8_t uuid[16], int *kind, const uint8_t *ct, size_t n);
    /* ProfileKeyCiphertext of the member `aci` -> key; may be NULL. */
    int (*pkey)(void *arg, uint8_t key[32], const uint8_t *ct, size_t n,
                const uint8_t aci[16]);
    void *arg;
    const uint8_t *blob_key;  /* 32 bytes */
} sig_gstate_dec;

/* `expect_public` (97 bytes or NULL): the state's publicKey must equal it.
 * *pkeys (may be NULL to skip): malloc'd n_members * 32 bytes, the member
 * profile keys in member order (has_profile_key says which are set);
 * secret: ut_free_secret(*pkeys, 32 * n_members). Members whose id does
 * not decrypt are left out; *skipped (may be NULL) counts them. */
int sig_gstate_parse(const uint8_t *p, size_t n, const sig_gstate_dec *d,
                     const uint8_t *expect_public, sig_group_info **out,
                     uint8_t **pkeys, size_t *skipped);

/* GroupResponse.groupSendEndorsementsResponse of the same bytes: *out
 * malloc'd (NULL and *len 0 when the response has none). */
int sig_gstate_endorsements(const uint8_t *p, size_t n, uint8_t **out, size_t *len);

/* Stored form: *out malloc'd NUL-terminated JSON. */
int sig_gstate_dump(const sig_group_info *g, char **out);
/* From the stored form; group_id is set by the caller. */
int sig_gstate_load(const char *s, size_t n, sig_group_info **out);

#endif
