/* sig_cert.c - our sealed-sender certificate: fetched with GET
 * /v1/certificate/delivery when missing or within a day of expiry,
 * validated against the trust root, cached in the store. Group sends with
 * our sender key carry it (sig_gsk.c); 1:1 sends are not sealed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_cert.h"
#include "sig_err.h"
#include "sig_int.h"

#define DAY_MS (24LL * 3600 * 1000)

/* 0 and the cached certificate (*out malloc'd) if present and valid for at
 * least another day; SIG_ERR_STATE when a fetch is needed. */
int sig_client_sender_certificate(sig_client *c, uint8_t **out, size_t *len,
                                  uint64_t *expires)
{
    sc_sender_cert *cert = NULL;
    ut_buf b;
    int rc;

    *out = NULL;
    ut_buf_init(&b, 64 * 1024);
    rc = sig_rec_get(c, "account", "sender_cert", &b);
    if (rc == ST_ERR_NOTFOUND)
        rc = SIG_ERR_STATE;
    if (rc == 0)
        rc = sc_sender_cert_parse(&cert, b.data, b.len);
    if (rc == 0 && sc_sender_cert_validate(cert, c->trust, ut_now_ms() + DAY_MS) != 0)
        rc = SIG_ERR_STATE;
    if (rc == 0) {
        if (expires)
            *expires = sc_sender_cert_expires(cert);
        *out = ut_buf_take(&b, len);
    }
    sc_sender_cert_free(cert);
    ut_buf_free(&b);
    return rc;
}

static void cert_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;
    json_t *j = NULL;
    const char *b64;
    uint8_t *raw = NULL;
    size_t n = 0;
    sc_sender_cert *cert = NULL;

    if (sig_dead(c))
        return;
    if (rc == 0 && r->status != 200)
        rc = SIG_ERR_HTTP;
    if (rc == 0 && (!r->body || !(j = json_loadb((const char *)r->body, r->body_len, 0, NULL)) ||
                    !(b64 = json_string_value(json_object_get(j, "certificate"))) ||
                    sig_b64_decode(b64, &raw, &n) != 0))
        rc = SIG_ERR_JSON;
    if (rc == 0)
        rc = sc_sender_cert_parse(&cert, raw, n);
    if (rc == 0)
        rc = sc_sender_cert_validate(cert, c->trust, ut_now_ms());
    if (rc == 0 && (strcmp(sc_sender_cert_uuid(cert), c->aci) != 0 ||
                    sc_sender_cert_device(cert) != c->device_id))
        rc = SIG_ERR_ENVELOPE; /* someone else's certificate */
    if (rc == 0)
        rc = sig_rec_put(c, "account", "sender_cert", raw, n);
    if (rc != 0)
        sig_logf(c, UT_LOG_WARN, "signal: sender certificate: %s", sig_strerror(rc));
    sc_sender_cert_free(cert);
    free(raw);
    json_decref(j);
}

void sig_cert_refresh(sig_client *c)
{
    uint8_t *cur = NULL;
    size_t len = 0;

    if (sig_client_sender_certificate(c, &cur, &len, NULL) == 0) {
        free(cur);
        return;
    }
    if (c->chat)
        (void)sn_sock_request(c->chat, "GET", "/v1/certificate/delivery", NULL, 0,
                              NULL, 0, 30000, cert_resp, c);
}
