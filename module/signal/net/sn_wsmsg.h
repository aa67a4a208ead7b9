/*
 * sn_wsmsg.h - codec for signalservice.WebSocketMessage, the request/response
 * envelope carried in each binary websocket message (signal-service.md §2.2).
 *
 * Pure: bytes in, bytes out, no I/O. Any thread. Decoding network input is
 * bounded by the caller's message cap (sn_ws) and validated here.
 */
#ifndef SN_WSMSG_H
#define SN_WSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "sn_hdr.h"
#include "ut.h"

enum { SN_WSMSG_REQUEST = 1, SN_WSMSG_RESPONSE = 2 };

/* A decoded message. All pointers are views into storage owned by the
 * struct; valid until sn_wsmsg_clear. */
typedef struct sn_wsmsg {
    int type;                 /* SN_WSMSG_REQUEST or SN_WSMSG_RESPONSE */
    uint64_t id;
    /* request */
    const char *verb;         /* never NULL for a request */
    const char *path;         /* never NULL for a request */
    /* response */
    uint32_t status;
    const char *message;      /* NULL when absent */
    /* both */
    const uint8_t *body;      /* NULL when absent */
    size_t body_len;
    int has_body;
    sn_hdrs headers;          /* parsed "name:value" lines, names lower-case */
    void *pb_;                /* private: the protobuf-c message */
} sn_wsmsg;

/* Decode one WebSocketMessage. Rejected with SN_ERR_DECODE: not protobuf;
 * type other than REQUEST/RESPONSE; REQUEST without request, verb, path or id;
 * RESPONSE without response, id or status; a header line without ':'.
 * UT_ERR_NOMEM; SN_ERR_TOO_BIG if headers exceed 64 KiB. On error `out` is
 * left cleared (sn_wsmsg_clear is still safe). */
int sn_wsmsg_decode(const uint8_t *buf, size_t len, sn_wsmsg *out);
/* Release what decode allocated. Safe on a zeroed or cleared struct. */
void sn_wsmsg_clear(sn_wsmsg *m);

/* Append an encoded REQUEST to `out` (which keeps its cap: UT_ERR_RANGE if
 * the encoding is bigger). Headers are written as "name:value". body may be
 * NULL (absent). verb/path NULL -> UT_ERR_INVAL. */
int sn_wsmsg_encode_request(ut_buf *out, const char *verb, const char *path,
                            uint64_t id, const sn_hdr *headers, size_t n_headers,
                            const uint8_t *body, size_t body_len);
/* Append an encoded RESPONSE. message may be NULL (absent). */
int sn_wsmsg_encode_response(ut_buf *out, uint64_t id, uint32_t status,
                             const char *message, const sn_hdr *headers,
                             size_t n_headers, const uint8_t *body,
                             size_t body_len);

#endif /* SN_WSMSG_H */
