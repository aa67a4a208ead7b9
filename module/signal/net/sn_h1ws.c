/* sn_h1ws.c - HTTP/1.1 websocket upgrade request and response check. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "sn_agent.h"
#include "sn_err.h"
#include "sn_h1ws.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

int sn_h1ws_accept(const char *key, char out[32])
{
    unsigned char md[20];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c;
    int ok;

    if (!key || !out)
        return UT_ERR_INVAL;
    c = EVP_MD_CTX_new();
    if (!c)
        return UT_ERR_NOMEM;
    ok = EVP_DigestInit_ex(c, EVP_sha1(), NULL) &&
         EVP_DigestUpdate(c, key, strlen(key)) &&
         EVP_DigestUpdate(c, ws_guid, sizeof(ws_guid) - 1) &&
         EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    if (!ok || mdlen != 20)
        return UT_ERR_IO;
    EVP_EncodeBlock((unsigned char *)out, md, 20);
    return 0;
}

int sn_h1ws_request(ut_buf *out, const char *authority, const char *path,
                    const sn_hdr *extra, size_t n_extra, char key_out[32])
{
    unsigned char nonce[16];
    size_t i;
    int rc, has_ua = 0, has_sa = 0;

    if (!out || !authority || !path || !key_out || (!extra && n_extra))
        return UT_ERR_INVAL;
    if (has_crlf(authority) || has_crlf(path) || path[0] != '/')
        return SN_ERR_HEADER;
    for (i = 0; i < n_extra; i++)
        if (!extra[i].name || !extra[i].value || !extra[i].name[0] ||
            has_crlf(extra[i].name) || has_crlf(extra[i].value) ||
            strchr(extra[i].name, ':'))
            return SN_ERR_HEADER;
    if (ut_random(nonce, sizeof(nonce)) != 0)
        return UT_ERR_IO;
    EVP_EncodeBlock((unsigned char *)key_out, nonce, sizeof(nonce));
    rc = ut_buf_printf(out,
                       "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                       "Sec-WebSocket-Version: 13\r\n",
                       path, authority, key_out);
    for (i = 0; rc == 0 && i < n_extra; i++) {
        rc = ut_buf_printf(out, "%s: %s\r\n", extra[i].name, extra[i].value);
        has_ua |= !strcasecmp(extra[i].name, "user-agent");
        has_sa |= !strcasecmp(extra[i].name, "x-signal-agent");
    }
    /* the client names itself, as production clients do (sn_agent.h) */
    if (rc == 0 && !has_ua)
        rc = ut_buf_printf(out, "User-Agent: %s\r\n", SN_USER_AGENT);
    if (rc == 0 && !has_sa)
        rc = ut_buf_printf(out, "X-Signal-Agent: %s\r\n", SN_SIGNAL_AGENT);
    if (rc == 0)
        rc = ut_buf_append(out, "\r\n", 2);
    return rc;
}

/* Does a comma-separated header value contain `token` (case-insensitive)? */
static int has_token(const char *v, const char *token)
{
    size_t tl = strlen(token);

    if (!v)
        return 0;
    while (*v) {
        const char *e;
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        e = v;
        while (*e && *e != ',')
            e++;
        {
            const char *t = e;
            while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            if ((size_t)(t - v) == tl && strncasecmp(v, token, tl) == 0)
                return 1;
        }
        v = e;
    }
    return 0;
}

static const uint8_t *find_end(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 3; i < n; i++)
        if (p[i - 3] == '\r' && p[i - 2] == '\n' && p[i - 1] == '\r' && p[i] == '\n')
            return p + i + 1;
    return NULL;
}

int sn_h1ws_parse_response(const uint8_t *p, size_t n, const char *key,
                           int *status, sn_hdrs *hdrs)
{
    const uint8_t *end, *line, *eol;
    sn_hdrs local = {0};
    sn_hdrs *h = hdrs ? hdrs : &local;
    char want[32];
    const char *v;
    int st = 0, rc = 0;
    size_t i;

    if ((!p && n) || !key || !status)
        return UT_ERR_INVAL;
    end = find_end(p, n > SN_H1WS_MAX_HEAD ? SN_H1WS_MAX_HEAD : n);
    if (!end)
        return n >= SN_H1WS_MAX_HEAD ? SN_ERR_TOO_BIG : 0;
    if (!hdrs)
        sn_hdrs_init(&local, 0);
    /* status line: HTTP/1.x SP 3DIGIT SP reason */
    eol = memchr(p, '\r', (size_t)(end - p));
    if (!eol || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') {
        rc = SN_ERR_UPGRADE;
        goto out;
    }
    for (i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') {
            rc = SN_ERR_UPGRADE;
            goto out;
        }
        st = st * 10 + (p[i] - '0');
    }
    *status = st;
    for (line = eol + 2; line < end - 2; line = eol + 2) {
        eol = memchr(line, '\r', (size_t)(end - line));
        if (!eol || eol[1] != '\n') {
            rc = SN_ERR_UPGRADE;
            goto out;
        }
        if (memchr(line, '\n', (size_t)(eol - line))) {
            rc = SN_ERR_UPGRADE;
            goto out;
        }
        rc = sn_hdr_parse_line(h, (const char *)line, (size_t)(eol - line));
        if (rc == SN_ERR_HEADER)
            rc = SN_ERR_UPGRADE;
        if (rc)
            goto out;
    }
    if (st != 101) {
        rc = SN_ERR_HTTP_STATUS;
        goto out;
    }
    if (!has_token(sn_hdrs_get(h, "upgrade"), "websocket") ||
        !has_token(sn_hdrs_get(h, "connection"), "upgrade")) {
        rc = SN_ERR_UPGRADE;
        goto out;
    }
    v = sn_hdrs_get(h, "sec-websocket-accept");
    if ((rc = sn_h1ws_accept(key, want)) != 0)
        goto out;
    if (!v || strcmp(v, want) != 0) {
        rc = SN_ERR_UPGRADE;
        goto out;
    }
out:
    if (!hdrs)
        sn_hdrs_free(&local);
    return rc ? rc : (int)(end - p);
}
