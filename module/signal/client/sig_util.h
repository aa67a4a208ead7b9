/*
 * sig_util.h - small pure helpers of the Signal client: base64 (standard,
 * padded), UUID text <-> 16 bytes, service ids (ACI "uuid", PNI
 * "PNI:uuid") and Content padding.
 *
 * Thread-safe, no I/O. Errors: UT_ERR_INVAL (bad input), UT_ERR_NOMEM.
 */
#ifndef SIG_UTIL_H
#define SIG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define SIG_UUID_STR_LEN 36

/* *out malloc'd, NUL-terminated. */
int sig_b64_encode(const uint8_t *p, size_t n, char **out);
/* Standard or URL-safe alphabet, padding optional. *out malloc'd (caller
 * frees; wipe if secret). UT_ERR_INVAL on bad characters. */
int sig_b64_decode(const char *s, uint8_t **out, size_t *out_len);

/* 16 bytes -> lower-case "8-4-4-4-12" text (37 bytes with NUL). */
void sig_uuid_format(char out[SIG_UUID_STR_LEN + 1], const uint8_t u[16]);
/* Text (any case) -> 16 bytes. UT_ERR_INVAL. */
int sig_uuid_parse(uint8_t u[16], const char *s);

/* A service id in binary (16 bytes ACI, or 0x01 ‖ 16 PNI) to text
 * ("uuid" or "PNI:uuid"). UT_ERR_INVAL for other lengths. */
int sig_service_id_format(char out[SIG_UUID_STR_LEN + 5], const uint8_t *b,
                          size_t n);

/* Signal's Content padding: content ‖ 0x80 ‖ 0x00… to a multiple of 160
 * minus 1 (as Desktop does). *out malloc'd. */
int sig_pad_content(const uint8_t *p, size_t n, uint8_t **out, size_t *out_len);
/* Strip trailing zeros and one 0x80: the unpadded length, or
 * UT_ERR_INVAL when there is no 0x80 terminator. */
int sig_unpad_len(const uint8_t *p, size_t n, size_t *out_len);

/* A service endpoint (CDN, storage) from "https://host[:port][/prefix]"
 * or "host[:port][/prefix]"; an IPv6 address in brackets ("[::1]:8443").
 * port defaults to 443; prefix has no trailing '/' ("" when none) and is
 * put before every request path. UT_ERR_INVAL for anything else (another
 * scheme, empty host, port 0 or over 65535, a query, over-long parts). */
typedef struct sig_endpoint {
    char host[256];
    uint16_t port;
    char prefix[256];
} sig_endpoint;
int sig_endpoint_parse(sig_endpoint *ep, const char *url);

/* A random password as Desktop makes it: base64 of 16 random bytes without
 * the trailing "==" (22 chars + NUL). UT_ERR_IO. */
int sig_random_password(char out[23]);
/* A random registration id in 1..16383. UT_ERR_IO. */
int sig_random_regid(uint32_t *out);

/* A retry request: libsignal's DecryptionErrorMessage (the bytes of
 * Content.decryptionErrorMessage in a PlaintextContent, plain or sealed),
 * parsed as libsignal does (rust/protocol/src/protocol.rs,
 * DecryptionErrorMessage::try_from): the timestamp is required, the device
 * id is 0 when absent, the ratchet key is optional and when present a
 * 33-byte type-5 public key. has_ratchet_key 0: the failed message was not
 * a 1:1 session message (sender key), no session is to be archived.
 * UT_ERR_INVAL for anything else. */
typedef struct sig_dem {
    uint64_t timestamp;     /* of the message that could not be decrypted */
    uint32_t device_id;     /* which of our devices sent it (the one to answer) */
    int has_ratchet_key;
    uint8_t ratchet_key[33];
} sig_dem;
int sig_dem_parse(sig_dem *out, const uint8_t *p, size_t n);

#endif
