/*
 * sn_h1ws.h - the HTTP/1.1 websocket handshake (RFC 6455 §4) used against
 * production servers that do not offer RFC 8441: build the Upgrade request,
 * parse and check the 101 response. Pure; no I/O; any thread.
 */
#ifndef SN_H1WS_H
#define SN_H1WS_H

#include <stddef.h>
#include <stdint.h>

#include "sn_hdr.h"
#include "ut.h"

/* Longest response head accepted (status line + headers + blank line). */
#define SN_H1WS_MAX_HEAD 16384

/* Append the GET Upgrade request to `out`. `authority` is "host[:port]",
 * `path` the request target, `extra` headers are added as "name: value".
 * A random Sec-WebSocket-Key is made and copied to key_out (NUL-terminated)
 * for sn_h1ws_parse_response. Strings with CR/LF -> SN_ERR_HEADER;
 * UT_ERR_INVAL, UT_ERR_RANGE (out's cap), UT_ERR_NOMEM, UT_ERR_IO (RNG). */
int sn_h1ws_request(ut_buf *out, const char *authority, const char *path,
                    const sn_hdr *extra, size_t n_extra, char key_out[32]);

/* Accept value for a key: base64(SHA-1(key || GUID)). out gets 28 chars + NUL. */
int sn_h1ws_accept(const char *key, char out[32]);

/* Parse a response head from the first n received bytes.
 * Returns the head length (> 0: the websocket bytes start there) once the
 * blank line is in; 0 if more bytes are needed. *status gets the HTTP status
 * and `hdrs` (initialised by the caller, may be NULL) the headers.
 * Errors: SN_ERR_TOO_BIG (no end within SN_H1WS_MAX_HEAD), SN_ERR_UPGRADE
 * (not HTTP/1.x, bad line, missing/incorrect Upgrade, Connection or
 * Sec-WebSocket-Accept), SN_ERR_HTTP_STATUS (complete head, status != 101;
 * *status is set), UT_ERR_NOMEM. */
int sn_h1ws_parse_response(const uint8_t *p, size_t n, const char *key,
                           int *status, sn_hdrs *hdrs);

#endif /* SN_H1WS_H */
