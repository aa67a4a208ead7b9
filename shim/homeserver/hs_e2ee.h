/*
 * hs_e2ee.h - the server side of end-to-end encryption in mxhs: device and
 * one-time keys (hs_keys.c), cross-signing (hs_xsign.c), to-device messages
 * (hs_todevice.c), server-side key backup (hs_backup.c), device deletion
 * with its keys (hs_devdel.c) and the pure JSON
 * checks they share (hs_e2ee_json.c, unit-tested and fuzzed).
 *
 * The server never sees private keys: everything stored here is public
 * keys, signatures, or ciphertext (to-device payloads, backup session_data)
 * that only the clients can read.
 *
 * Shapes follow the Client-Server spec, matrix-org/matrix-spec
 * data/api/client-server/{keys,cross_signing,to_device,key_backup}.yaml,
 * and Synapse where the spec leaves a choice (element-hq/synapse
 * synapse/handlers/e2e_keys.py, synapse/rest/client/keys.py,
 * synapse/handlers/e2e_room_keys.py).
 */
#ifndef HS_E2EE_H
#define HS_E2EE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hs.h"

/* ---- hs_e2ee_json.c: pure checks (no database) --------------------------- */
/* Does `dk` (a DeviceKeys object from keys/upload) have the shape of the
 * spec and name `user`/`device`? 0, or -1 with a reason in why. */
int hs_e2ee_check_device_keys(const json_t *dk, const char *user,
                              const char *device, char *why, size_t whylen);
/* A one-time or fallback key map {"alg:id": string|object}: 0 or -1. */
int hs_e2ee_check_key_map(const json_t *keys, char *why, size_t whylen);
/* A cross-signing key of `usage` ("master", "self_signing",
 * "user_signing") for `user`, with exactly one ed25519 key. On success the
 * unpadded base64 public key is copied into pub (64 bytes). */
int hs_e2ee_check_xsign_key(const json_t *k, const char *user,
                            const char *usage, char pub[64], char *why,
                            size_t whylen);
/* Verify the ed25519 signature by `signer`/"ed25519:<key_id_suffix>" on
 * `obj` (signatures and unsigned removed, canonical JSON). pub is the
 * unpadded base64 public key. 0 valid, -1 missing or invalid. */
int hs_e2ee_verify(const json_t *obj, const char *signer, const char *key_id,
                   const char *pub);
/* A KeyBackupData object ({first_message_index, forwarded_count,
 * is_verified, session_data}): 0 or -1. */
int hs_e2ee_check_backup_key(const json_t *k, char *why, size_t whylen);
/* Should `cand` replace `cur` in a backup (the spec's order: verified,
 * then lower first_message_index, then lower forwarded_count)? */
int hs_e2ee_backup_better(const json_t *cand, const json_t *cur);

/* ---- hs_keys.c ----------------------------------------------------------- */
/* Create the E2EE tables and move s->stream past their positions. Called
 * by hs_db_open after the main schema. */
int hs_e2ee_db_init(hs *s);
/* `user`'s keys changed: a new stream position for device_lists. */
int hs_e2ee_mark_changed(hs *s, const char *user);
/* Fill the E2EE parts of a /sync response for r's device:
 * device_one_time_keys_count, device_unused_fallback_key_types,
 * device_lists and to_device. Returns 1 when there is something new for the
 * client (to-device messages, device list changes). */
int hs_e2ee_sync(hs_req *r, int64_t since, int64_t now, json_t *resp);
int hs_h_keys_upload(hs_req *r);
int hs_h_keys_query(hs_req *r);
int hs_h_keys_claim(hs_req *r);
int hs_h_keys_changes(hs_req *r);
/* Cross-signing keys of `user` visible to `viewer`, into the query
 * response (hs_xsign.c). */
void hs_xsign_query(hs *s, const char *viewer, const char *user, json_t *resp);
/* Merge the stored signatures on (user, key) visible to viewer into obj. */
void hs_xsign_merge_sigs(hs *s, const char *viewer, const char *user,
                         const char *key, json_t *obj);

/* ---- hs_xsign.c ---------------------------------------------------------- */
/* User-interactive auth with the caller's password (m.login.password):
 * 0 when r->json.auth proves it; otherwise sets the 401 answer (flows,
 * session, and errcode after a wrong password) and returns -1. */
int hs_e2ee_uia_password(hs_req *r);
int hs_h_device_signing_upload(hs_req *r);
int hs_h_signatures_upload(hs_req *r);

/* ---- hs_todevice.c ------------------------------------------------------- */
int hs_h_send_to_device(hs_req *r);
/* Deliver pending to-device messages (and forget acknowledged ones). */
json_t *hs_todevice_take(hs *s, const char *user, const char *device,
                         int64_t since, int64_t now);

/* ---- hs_devdel.c: DELETE devices/{id}, POST delete_devices (UIA) -------- */
int hs_h_device_delete(hs_req *r);
int hs_h_delete_devices(hs_req *r);

/* ---- hs_backup.c --------------------------------------------------------- */
int hs_h_room_keys_version(hs_req *r); /* room_keys/version[/{v}] */
int hs_h_room_keys(hs_req *r);         /* room_keys/keys[/{room}[/{sid}]] */

#endif
