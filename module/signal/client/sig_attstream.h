/*
 * sig_attstream.h - the attachment cipher (signal-service.md §7, the same
 * bytes as sc_attachment) as streams, so attachments pass between a file
 * and the network in fixed-size pieces instead of whole copies in memory:
 *   blob   = iv(16) ‖ AES-256-CBC-PKCS7(plaintext ‖ zero padding) ‖
 *            HMAC-SHA256(mac key, iv ‖ ciphertext)
 *   digest = SHA-256(blob); key = AES key(32) ‖ MAC key(32).
 *
 * Each stream holds at most SIG_ATT_CHUNK bytes of data plus constant
 * state, whatever the attachment's size.
 *
 * Threads: one stream per thread at a time; no globals. Plaintext and keys
 * are wiped when freed. Errors: SIG_ERR_DIGEST (digest, MAC or padding
 * wrong), SIG_ERR_ENVELOPE (blob malformed or shorter than `size`),
 * UT_ERR_IO (file read/write), UT_ERR_NOMEM, UT_ERR_INVAL, SC_ERR_CRYPTO.
 */
#ifndef SIG_ATTSTREAM_H
#define SIG_ATTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define SIG_ATT_CHUNK (64u * 1024u)

/* ---- encryption: a plaintext file -> blob bytes on demand ---------------- */

typedef struct sig_att_enc sig_att_enc;

/* Read `size` plaintext bytes from `fd` (borrowed; positioned at the start;
 * the caller closes it after sig_att_enc_free). pad: zero-pad as Signal
 * clients do (sc_attachment_padded_size). iv NULL = random. */
int sig_att_enc_new(sig_att_enc **out, int fd, uint64_t size, const uint8_t key[64],
                    const uint8_t *iv, int pad);
/* Total blob bytes the stream will produce (known up front). */
uint64_t sig_att_enc_blob_len(const sig_att_enc *e);
/* Next blob bytes into buf (at most len): the count, with *eof = 1 after
 * the last ones; negative on error (UT_ERR_IO also when the file is
 * shorter than `size`). Fits sn_http_req.body_read. */
long sig_att_enc_read(sig_att_enc *e, uint8_t *buf, size_t len, int *eof);
/* After *eof: the blob's SHA-256; UT_ERR_INVAL before. */
int sig_att_enc_digest(const sig_att_enc *e, uint8_t digest[32]);
void sig_att_enc_free(sig_att_enc *e);

/* ---- decryption: blob bytes as they arrive -> the plaintext file --------- */

typedef struct sig_att_dec sig_att_dec;

/* Write the first `size` plaintext bytes to `fd` (borrowed) as blob bytes
 * arrive; the padding after them is checked but not written. digest NULL =
 * check only the MAC. */
int sig_att_dec_new(sig_att_dec **out, int fd, uint64_t size, const uint8_t key[64],
                    const uint8_t *digest);
/* Feed blob bytes in order, any split. What was written so far is NOT yet
 * authenticated: keep it out of reach until sig_att_dec_final says 0. */
int sig_att_dec_update(sig_att_dec *d, const uint8_t *p, size_t n);
/* The blob ended: digest, then MAC, then padding, then length checks. */
int sig_att_dec_final(sig_att_dec *d);
void sig_att_dec_free(sig_att_dec *d);

#endif
