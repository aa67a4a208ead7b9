/* sn_grpc.c - gRPC length-prefixed framing and unary calls on sn_h2. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sn_err.h"
#include "sn_grpc.h"

int sn_grpc_frame(ut_buf *out, const uint8_t *msg, size_t len)
{
    uint8_t p[5];
    int rc;

    if (!out || (!msg && len))
        return UT_ERR_INVAL;
    if (len > 0xffffffffu)
        return UT_ERR_RANGE;
    p[0] = 0;
    p[1] = (uint8_t)(len >> 24);
    p[2] = (uint8_t)(len >> 16);
    p[3] = (uint8_t)(len >> 8);
    p[4] = (uint8_t)len;
    if ((rc = ut_buf_append(out, p, 5)) != 0)
        return rc;
    return ut_buf_append(out, msg, len);
}

int sn_grpc_unframe(const uint8_t *body, size_t len, const uint8_t **msg,
                    size_t *msg_len)
{
    uint32_t n;

    if ((!body && len) || !msg || !msg_len)
        return UT_ERR_INVAL;
    *msg = NULL;
    *msg_len = 0;
    if (len == 0)
        return 0;
    if (len < 5 || body[0] != 0)
        return SN_ERR_GRPC_FRAME;
    n = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 8 | body[4];
    if ((size_t)n != len - 5)
        return SN_ERR_GRPC_FRAME;
    *msg = body + 5;
    *msg_len = n;
    return 0;
}

typedef struct call {
    sn_grpc_cb cb;
    void *ud;
} call;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* grpc-message is percent-encoded; decode in place. */
static void pct_decode(char *s)
{
    char *o = s;

    for (; *s; s++) {
        if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static void done_cb(int rc, const sn_http_resp *r, void *ud)
{
    call *c = ud;
    const char *st, *m;
    const uint8_t *msg = NULL;
    size_t len = 0;
    char *text = NULL;
    int status = -1;

    if (rc)
        goto out;
    if (r->status != 200) {
        rc = SN_ERR_HTTP_STATUS;
        goto out;
    }
    st = sn_hdrs_get(r->trailers, "grpc-status");
    m = sn_hdrs_get(r->trailers, "grpc-message");
    if (!st) { /* trailers-only response: status in the headers */
        st = sn_hdrs_get(r->headers, "grpc-status");
        m = sn_hdrs_get(r->headers, "grpc-message");
    }
    if (!st || st[0] < '0' || st[0] > '9' || strlen(st) > 2) {
        rc = SN_ERR_GRPC_FRAME;
        goto out;
    }
    status = atoi(st);
    if ((rc = sn_grpc_unframe(r->body, r->body_len, &msg, &len)) != 0)
        goto out;
    if (m && (text = strdup(m)) != NULL)
        pct_decode(text);
out:
    if (rc)
        c->cb(rc, -1, NULL, NULL, 0, c->ud);
    else
        c->cb(0, status, text, msg, len, c->ud);
    free(text);
    free(c);
}

int sn_grpc_unary(sn_h2 *h2, const char *path, const sn_hdr *headers,
                  size_t n_headers, const uint8_t *msg, size_t len,
                  size_t max_response, uint32_t timeout_ms, sn_grpc_cb cb,
                  void *ud)
{
    sn_hdr *hv = NULL;
    sn_http_req req;
    ut_buf body;
    call *c = NULL;
    int rc;

    if (!h2 || !path || !cb || (!headers && n_headers) || (!msg && len))
        return UT_ERR_INVAL;
    ut_buf_init(&body, (size_t)len + 5);
    if ((rc = sn_grpc_frame(&body, msg, len)) != 0)
        goto out;
    hv = calloc(n_headers + 2, sizeof(*hv));
    c = calloc(1, sizeof(*c));
    if (!hv || !c) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    hv[0].name = "content-type";
    hv[0].value = "application/grpc";
    hv[1].name = "te";
    hv[1].value = "trailers";
    if (n_headers)
        memcpy(hv + 2, headers, n_headers * sizeof(*hv));
    c->cb = cb;
    c->ud = ud;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = path;
    req.headers = hv;
    req.n_headers = n_headers + 2;
    req.body = body.data;
    req.body_len = body.len;
    req.max_response = max_response ? max_response + 5 : 0;
    req.timeout_ms = timeout_ms;
    rc = sn_h2_request(h2, &req, done_cb, c);
    if (rc == 0)
        c = NULL; /* owned by the request now */
out:
    free(c);
    free(hv);
    ut_buf_free(&body);
    return rc;
}
