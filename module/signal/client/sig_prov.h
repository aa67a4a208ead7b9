/*
 * sig_prov.h - the pure parts of linking a device (signal-service.md §2):
 * the sgnl://linkdevice URL, decrypting the ProvisionEnvelope into the
 * account's secrets, and the encrypted DeviceName for /v1/devices/link.
 *
 * The ciphers are crypto's (sc_provision, sc_devname); this adds the
 * ProvisionMessage parsing, the base64 and the client's error codes.
 *
 * Thread-safe, no I/O, nothing logged. Errors: SIG_ERR_PROVISION for
 * anything malformed or failing authentication, SC_ERR_*, UT_ERR_*.
 */
#ifndef SIG_PROV_H
#define SIG_PROV_H

#include <stddef.h>
#include <stdint.h>

#include "sc_keys.h"
#include "sig_util.h"

#define SIG_PROV_MAX_ENVELOPE (64u * 1024u)

/* What the primary device hands over. Secret: wipe with sig_provision_wipe. */
typedef struct sig_provision {
    sc_ec_keypair aci_identity;
    sc_ec_keypair pni_identity;
    int has_pni;
    char aci[SIG_UUID_STR_LEN + 1];
    char pni[SIG_UUID_STR_LEN + 1];      /* untagged uuid; "" if absent */
    char number[32];                     /* E.164 */
    char code[128];                      /* provisioningCode */
    uint8_t profile_key[32];
    int has_profile_key;
    uint8_t master_key[32];
    int has_master_key;
    /* ProvisionMessage.ephemeralBackupKey (14): the key of the history
     * archive the phone uploads for this link ("link and sync"); sent
     * only when the URL declared backup5 */
    uint8_t ephemeral_backup_key[32];
    int has_ephemeral_backup_key;
    int read_receipts;
} sig_provision;

void sig_provision_wipe(sig_provision *p);

/* sgnl://linkdevice?uuid=<address>&pub_key=<percent-encoded base64(0x05‖pub)>
 * [&capabilities=backup5 when backup is set: we accept a history transfer]
 * *out malloc'd. UT_ERR_INVAL if address has characters outside
 * [0-9A-Za-z-]. */
int sig_prov_url(char **out, const char *address, const uint8_t pub[32],
                 int backup);

/* Decrypt a serialized ProvisionEnvelope with our ephemeral private key and
 * parse the ProvisionMessage. Requires ACI identity key pair, number,
 * provisioning code and ACI; SIG_ERR_PROVISION otherwise (and on a MAC or
 * padding failure, a wrong version byte or an identity private key that
 * does not match its public key). */
int sig_prov_decrypt(sig_provision *out, const uint8_t *env, size_t n,
                     const uint8_t our_priv[32]);

/* Parse a decrypted ProvisionMessage (the second half of
 * sig_prov_decrypt; exposed for fuzzing). Same requirements and errors. */
int sig_prov_parse_message(sig_provision *out, const uint8_t *pt, size_t n);

/* Encrypt the device name to the ACI identity key (DeviceName protobuf,
 * base64 in *out, malloc'd). */
int sig_device_name_encrypt(char **out, const char *name,
                            const uint8_t aci_identity_pub[32]);

/* Decrypt what sig_device_name_encrypt made, with the identity private key
 * (tests; a future "list devices"). *out malloc'd, NUL-terminated. */
int sig_device_name_decrypt(char **out, const char *b64,
                            const uint8_t aci_identity_priv[32]);

#endif
