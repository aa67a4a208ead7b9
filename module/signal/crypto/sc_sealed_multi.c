/* sc_sealed_multi.c - sealed sender v2 multi-recipient encryption: the
 * "SentMessage" a client PUTs to /v1/messages/multi_recipient, which the
 * server splits into one v2 ReceivedMessage (0x22 || C_i || AT_i || E ||
 * ciphertext) per device. Follows libsignal rust/protocol/src/
 * sealed_sender.rs, sealed_sender_multi_recipient_encrypt_impl and
 * module sealed_sender_v2 (labels, key order, wire layout). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_prim.h"
#include "sc_sealed.h"
#include "sc_sealed_int.h"

#define MR_VERSION 0x23        /* SEALED_SENDER_V2_SERVICE_ID_FULL_VERSION */
#define MR_MAX_DEVICE 127      /* libsignal DeviceId: 1..=127 */
#define MR_REGID_MASK 0x3fffu  /* VALID_REGISTRATION_ID_MASK */

static const char label_r[] = "Sealed Sender v2: r (2023-08)";
static const char label_k[] = "Sealed Sender v2: K";
static const char label_dh[] = "Sealed Sender v2: DH";
static const char label_dh_s[] = "Sealed Sender v2: DH-sender";

static size_t varint_len(size_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t put_varint(uint8_t *p, size_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int check_recipients(const sc_mr_recipient *r, size_t n, size_t *size)
{
    size_t i, j, total = 0;

    if (n == 0 || n > SC_MR_MAX_RECIPIENTS)
        return UT_ERR_INVAL;
    for (i = 0; i < n; i++) {
        if (r[i].service_id == NULL || r[i].service_id[0] > 1 ||
            (r[i].n_devices > 0 && r[i].identity_pub == NULL) ||
            r[i].n_devices > MR_MAX_DEVICE)
            return UT_ERR_INVAL;
        for (j = 0; j < r[i].n_devices; j++)
            if (r[i].devices[j] == 0 || r[i].devices[j] > MR_MAX_DEVICE ||
                (r[i].registration_ids[j] & ~MR_REGID_MASK) != 0)
                return UT_ERR_INVAL;
        total += SC_MR_SERVICE_ID_LEN + (r[i].n_devices ? 3 * r[i].n_devices + 32 + 16 : 1);
    }
    *size = total;
    return 0;
}

/* C_i || AT_i for one recipient identity R (sealed_sender_v2::
 * apply_agreement_xor and compute_authentication_tag, Direction::Sending). */
static int recipient_keys(uint8_t out[48], const uint8_t m[32], const uint8_t e_priv[32],
                          const uint8_t e_pub[32], const uint8_t our_pub[32],
                          const uint8_t our_priv[32], const uint8_t their[32])
{
    uint8_t ikm[32 + 33 + 32 + 33 + 33], agree[32];
    int rc, i;

    /* C = HKDF(DH(E, R) || E || R, "DH") xor M */
    if ((rc = sc_x25519(agree, e_priv, their)) != 0)
        goto out;
    memcpy(ikm, agree, 32);
    sc_key_to_wire(ikm + 32, e_pub);
    sc_key_to_wire(ikm + 65, their);
    if ((rc = sc_hkdf_sha256(out, 32, NULL, 0, ikm, 98, label_dh, sizeof(label_dh) - 1)) != 0)
        goto out;
    for (i = 0; i < 32; i++)
        out[i] ^= m[i];
    /* AT = HKDF(DH(S, R) || E || C || S || R, "DH-sender", 16) */
    if ((rc = sc_x25519_pair(agree, our_priv, our_pub, their)) != 0)
        goto out;
    memcpy(ikm, agree, 32);
    sc_key_to_wire(ikm + 32, e_pub);
    memcpy(ikm + 65, out, 32);
    sc_key_to_wire(ikm + 97, our_pub);
    sc_key_to_wire(ikm + 130, their);
    rc = sc_hkdf_sha256(out + 32, 16, NULL, 0, ikm, sizeof(ikm), label_dh_s,
                        sizeof(label_dh_s) - 1);
out:
    ut_wipe(ikm, sizeof(ikm));
    ut_wipe(agree, sizeof(agree));
    return rc;
}

int sc_sealed_encrypt_multi(uint8_t **out, size_t *out_len, const sc_usmc *usmc,
                            const uint8_t our_pub[32], const uint8_t our_priv[32],
                            const sc_mr_recipient *rcpt, size_t n)
{
    static const uint8_t zero_nonce[12];
    uint8_t m[32], e_priv[32], e_pub[32], k[32], *buf = NULL, *p;
    const uint8_t *body;
    size_t body_len, rsize = 0, total, i, j;
    int rc, pass;

    *out = NULL;
    *out_len = 0;
    if (usmc == NULL)
        return UT_ERR_INVAL;
    if ((rc = check_recipients(rcpt, n, &rsize)) != 0)
        return rc;
    body = sc_usmc_bytes(usmc, &body_len);
    total = 1 + varint_len(n) + rsize + 32 + body_len + 16;
    if (!(buf = malloc(total)))
        return UT_ERR_NOMEM;
    /* M random; r = HKDF(M, "r"), E = r·B; K = HKDF(M, "K")
     * (sealed_sender_v2::DerivedKeys) */
    if ((rc = ut_random(m, sizeof(m))) != 0 ||
        (rc = sc_hkdf_sha256(e_priv, 32, NULL, 0, m, 32, label_r, sizeof(label_r) - 1)) != 0 ||
        (rc = sc_x25519_public(e_pub, e_priv)) != 0 ||
        (rc = sc_hkdf_sha256(k, 32, NULL, 0, m, 32, label_k, sizeof(label_k) - 1)) != 0)
        goto out;
    p = buf;
    *p++ = MR_VERSION;
    p += put_varint(p, n);
    /* recipients with devices first, then the excluded ones (a service id
     * and a 0 device), in libsignal's order */
    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < n; i++) {
            const sc_mr_recipient *r = &rcpt[i];
            if ((pass == 0) != (r->n_devices > 0))
                continue;
            memcpy(p, r->service_id, SC_MR_SERVICE_ID_LEN);
            p += SC_MR_SERVICE_ID_LEN;
            if (r->n_devices == 0) {
                *p++ = 0;
                continue;
            }
            for (j = 0; j < r->n_devices; j++) {
                /* the high bit of the registration id says "more follow" */
                uint16_t reg = (uint16_t)(r->registration_ids[j] |
                                          (j + 1 < r->n_devices ? 0x8000u : 0));
                *p++ = (uint8_t)r->devices[j];
                *p++ = (uint8_t)(reg >> 8);
                *p++ = (uint8_t)reg;
            }
            if ((rc = recipient_keys(p, m, e_priv, e_pub, our_pub, our_priv,
                                     r->identity_pub)) != 0)
                goto out;
            p += 48;
        }
    memcpy(p, e_pub, 32);
    p += 32;
    /* one AES-256-GCM-SIV ciphertext for all, key used once, no nonce */
    if ((rc = sc_aes256_gcm_siv_encrypt(p, k, zero_nonce, NULL, 0, body, body_len)) != 0)
        goto out;
    *out = buf;
    *out_len = total;
    buf = NULL;
out:
    ut_wipe(m, sizeof(m));
    ut_wipe(e_priv, sizeof(e_priv));
    ut_wipe(k, sizeof(k));
    free(buf);
    return rc;
}
