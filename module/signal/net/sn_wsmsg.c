/* sn_wsmsg.c - WebSocketMessage codec on the protobuf-c generated code. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/signal/proto/WebSocketResources.pb-c.h"
#include "sn_err.h"
#include "sn_wsmsg.h"

typedef Signalservice__WebSocketMessage pb_msg;

void sn_wsmsg_clear(sn_wsmsg *m)
{
    if (!m)
        return;
    if (m->pb_)
        signalservice__web_socket_message__free_unpacked(m->pb_, NULL);
    sn_hdrs_free(&m->headers);
    memset(m, 0, sizeof(*m));
}

static int parse_headers(sn_hdrs *h, char **lines, size_t n)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        rc = sn_hdr_parse_line(h, lines[i], strlen(lines[i]));
        if (rc == SN_ERR_HEADER)
            return SN_ERR_DECODE;
        if (rc)
            return rc;
    }
    return 0;
}

int sn_wsmsg_decode(const uint8_t *buf, size_t len, sn_wsmsg *out)
{
    pb_msg *pb;
    int rc = 0;

    if (!out || (!buf && len))
        return UT_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    sn_hdrs_init(&out->headers, 0);
    pb = signalservice__web_socket_message__unpack(NULL, len, buf);
    if (!pb)
        return SN_ERR_DECODE;
    out->pb_ = pb;
    if (pb->has_type && pb->type == SIGNALSERVICE__WEB_SOCKET_MESSAGE__TYPE__REQUEST) {
        Signalservice__WebSocketRequestMessage *r = pb->request;
        if (!r || !r->verb || !r->path || !r->has_id) {
            rc = SN_ERR_DECODE;
            goto out;
        }
        out->type = SN_WSMSG_REQUEST;
        out->id = r->id;
        out->verb = r->verb;
        out->path = r->path;
        out->has_body = r->has_body;
        out->body = r->has_body ? r->body.data : NULL;
        out->body_len = r->has_body ? r->body.len : 0;
        rc = parse_headers(&out->headers, r->headers, r->n_headers);
    } else if (pb->has_type && pb->type == SIGNALSERVICE__WEB_SOCKET_MESSAGE__TYPE__RESPONSE) {
        Signalservice__WebSocketResponseMessage *r = pb->response;
        if (!r || !r->has_id || !r->has_status) {
            rc = SN_ERR_DECODE;
            goto out;
        }
        out->type = SN_WSMSG_RESPONSE;
        out->id = r->id;
        out->status = r->status;
        out->message = r->message;
        out->has_body = r->has_body;
        out->body = r->has_body ? r->body.data : NULL;
        out->body_len = r->has_body ? r->body.len : 0;
        rc = parse_headers(&out->headers, r->headers, r->n_headers);
    } else {
        rc = SN_ERR_DECODE;
    }
out:
    if (rc)
        sn_wsmsg_clear(out);
    return rc;
}

/* "name:value" strings for the repeated headers field; caller frees. */
static int join_headers(const sn_hdr *h, size_t n, char ***out)
{
    char **v;
    size_t i;

    *out = NULL;
    if (n == 0)
        return 0;
    v = calloc(n, sizeof(*v));
    if (!v)
        return UT_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        size_t a, b;
        if (!h[i].name || !h[i].value) {
            while (i--)
                free(v[i]);
            free(v);
            return UT_ERR_INVAL;
        }
        a = strlen(h[i].name);
        b = strlen(h[i].value);
        v[i] = malloc(a + b + 2);
        if (!v[i]) {
            while (i--)
                free(v[i]);
            free(v);
            return UT_ERR_NOMEM;
        }
        memcpy(v[i], h[i].name, a);
        v[i][a] = ':';
        memcpy(v[i] + a + 1, h[i].value, b + 1);
    }
    *out = v;
    return 0;
}

static void free_headers(char **v, size_t n)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int pack_into(ut_buf *out, const pb_msg *m)
{
    size_t n = signalservice__web_socket_message__get_packed_size(m);
    uint8_t *tmp;
    int rc;

    if (n > out->max || out->len > out->max - n)
        return UT_ERR_RANGE;
    tmp = malloc(n ? n : 1);
    if (!tmp)
        return UT_ERR_NOMEM;
    signalservice__web_socket_message__pack(m, tmp);
    rc = ut_buf_append(out, tmp, n);
    free(tmp);
    return rc;
}

int sn_wsmsg_encode_request(ut_buf *out, const char *verb, const char *path,
                            uint64_t id, const sn_hdr *headers, size_t n_headers,
                            const uint8_t *body, size_t body_len)
{
    pb_msg m = SIGNALSERVICE__WEB_SOCKET_MESSAGE__INIT;
    Signalservice__WebSocketRequestMessage r = SIGNALSERVICE__WEB_SOCKET_REQUEST_MESSAGE__INIT;
    char **hv = NULL;
    int rc;

    if (!out || !verb || !path || (!body && body_len))
        return UT_ERR_INVAL;
    rc = join_headers(headers, n_headers, &hv);
    if (rc)
        return rc;
    m.has_type = 1;
    m.type = SIGNALSERVICE__WEB_SOCKET_MESSAGE__TYPE__REQUEST;
    m.request = &r;
    r.verb = (char *)verb;
    r.path = (char *)path;
    r.has_id = 1;
    r.id = id;
    if (body) {
        r.has_body = 1;
        r.body.data = (uint8_t *)body;
        r.body.len = body_len;
    }
    r.n_headers = hv ? n_headers : 0;
    r.headers = hv;
    rc = pack_into(out, &m);
    free_headers(hv, n_headers);
    return rc;
}

int sn_wsmsg_encode_response(ut_buf *out, uint64_t id, uint32_t status,
                             const char *message, const sn_hdr *headers,
                             size_t n_headers, const uint8_t *body,
                             size_t body_len)
{
    pb_msg m = SIGNALSERVICE__WEB_SOCKET_MESSAGE__INIT;
    Signalservice__WebSocketResponseMessage r = SIGNALSERVICE__WEB_SOCKET_RESPONSE_MESSAGE__INIT;
    char **hv = NULL;
    int rc;

    if (!out || (!body && body_len))
        return UT_ERR_INVAL;
    rc = join_headers(headers, n_headers, &hv);
    if (rc)
        return rc;
    m.has_type = 1;
    m.type = SIGNALSERVICE__WEB_SOCKET_MESSAGE__TYPE__RESPONSE;
    m.response = &r;
    r.has_id = 1;
    r.id = id;
    r.has_status = 1;
    r.status = status;
    r.message = (char *)message;
    if (body) {
        r.has_body = 1;
        r.body.data = (uint8_t *)body;
        r.body.len = body_len;
    }
    r.n_headers = hv ? n_headers : 0;
    r.headers = hv;
    rc = pack_into(out, &m);
    free_headers(hv, n_headers);
    return rc;
}
