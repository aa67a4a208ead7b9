/*
 * sn_hdr.h - header lists for HTTP/2 requests and WebSocketMessages.
 *
 * An sn_hdrs owns copies of its names and values. Names are stored
 * lower-case (HTTP/2 requires it; the mock lower-cases websocket request
 * header names too). Lists from the network have a byte cap.
 * Thread: no shared state; one list per thread at a time.
 */
#ifndef SN_HDR_H
#define SN_HDR_H

#include <stddef.h>

/* One header. In input arrays the strings are borrowed; in an sn_hdrs the
 * list owns them. */
typedef struct sn_hdr {
    const char *name;
    const char *value;
} sn_hdr;

typedef struct sn_hdrs {
    sn_hdr *v;
    size_t n;
    size_t cap;
    size_t bytes;      /* sum of name + value lengths */
    size_t max_bytes;  /* adds beyond this fail with SN_ERR_TOO_BIG */
} sn_hdrs;

/* Cannot fail. max_bytes 0 means 64 KiB. */
void sn_hdrs_init(sn_hdrs *h, size_t max_bytes);
/* Copy a header in (name lower-cased). Embedded NUL bytes, CR or LF in either
 * part, or an empty name -> SN_ERR_HEADER. Over the cap -> SN_ERR_TOO_BIG.
 * UT_ERR_NOMEM. The list is unchanged on error. */
int sn_hdrs_add(sn_hdrs *h, const char *name, size_t name_len,
                const char *value, size_t value_len);
/* First value for `name` (compared case-insensitively), or NULL. The pointer
 * is valid until the list changes. */
const char *sn_hdrs_get(const sn_hdrs *h, const char *name);
/* Free all entries; the list is empty and reusable (same cap). NULL ok. */
void sn_hdrs_free(sn_hdrs *h);

/* Parse one Signal-style header string "Name:value" (split on the first ':',
 * blanks around name and value trimmed) and add it to `h`. No ':' or an empty
 * name -> SN_ERR_HEADER; else as sn_hdrs_add. */
int sn_hdr_parse_line(sn_hdrs *h, const char *line, size_t len);

#endif /* SN_HDR_H */
