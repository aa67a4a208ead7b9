/*
 * sc_backup.h - the keys and the envelope of a message-backup archive, as
 * the phone uploads it for a newly linked device ("link and sync").
 *
 * Keys, exactly as libsignal (rust/account-keys/src/backup.rs
 * BackupKey::derive_backup_id; rust/message-backup/src/key.rs
 * MessageBackupKey::derive, without a forward-secrecy token):
 *   backup_id = HKDF-SHA256(salt none, ikm backup_key,
 *                           info "20241024_SIGNAL_BACKUP_ID:" ‖ aci16)[0..16]
 *   hmac_key ‖ aes_key = HKDF-SHA256(salt none, ikm backup_key,
 *       info "20241007_SIGNAL_BACKUP_ENCRYPT_MESSAGE_BACKUP:" ‖ backup_id)[0..64]
 * (mautrix-signal pkg/signalmeow/backup.go deriveTransferKeys does the
 * same through libsignal with the ephemeral backup key and our ACI.)
 *
 * Envelope (rust/message-backup/src/frame.rs FramesReader, legacy layout):
 *   iv16 ‖ AES-256-CBC(aes_key, iv, gzip(frames), PKCS#7) ‖ HMAC-SHA256(hmac_key, iv ‖ ct)
 * The newer layout starting with "SBACKUP\x01" carries forward-secrecy
 * metadata that needs a token from SVR-B, which a link never gives: it is
 * refused with SC_ERR_VERSION.
 *
 * No I/O; keys are the caller's to wipe.
 */
#ifndef SC_BACKUP_H
#define SC_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_BACKUP_ID_LEN 16

int sc_backup_id(uint8_t out[SC_BACKUP_ID_LEN], const uint8_t backup_key[32],
                 const uint8_t aci[16]);

int sc_message_backup_key(uint8_t hmac_key[32], uint8_t aes_key[32],
                          const uint8_t backup_key[32],
                          const uint8_t backup_id[SC_BACKUP_ID_LEN]);

/* Check the MAC (constant time) and decrypt the envelope into *out
 * (malloc'd, the gzip stream plus whatever padding the sender put in it).
 * SC_ERR_FORMAT when too short to hold iv, one block and a MAC;
 * SC_ERR_VERSION for the forward-secrecy layout; SC_ERR_DECRYPT when the
 * MAC or the padding is wrong; UT_ERR_NOMEM. */
int sc_backup_decrypt(uint8_t **out, size_t *out_len, const uint8_t hmac_key[32],
                      const uint8_t aes_key[32], const uint8_t *in, size_t n);

/* The inverse, for tests and tools: iv given. *out malloc'd. */
int sc_backup_encrypt(uint8_t **out, size_t *out_len, const uint8_t hmac_key[32],
                      const uint8_t aes_key[32], const uint8_t iv[16],
                      const uint8_t *in, size_t n);

#endif
