/* sig_storage.c - reading the storage service (signal-service.md §8.4):
 * GET /v1/storage/auth on the chat socket, then over HTTPS (the client's
 * pool, sig_https) the manifest
 * (AES-GCM under a key derived from the master key) and the records it
 * lists; contacts (profile keys, names) and groups (master keys) become
 * SIG_EV_CONTACT / SIG_EV_GROUP. Read-only: we never write storage. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "StorageService.pb-c.h"
#include "sc_gcmbox.h"
#include "sc_group.h"
#include "sc_storage.h"
#include "sig_err.h"
#include "sig_int.h"

#define STORAGE_MAX (8u << 20)

struct sig_storage_op {
    sig_client *c;
    char auth[256];
    uint8_t storage_key[32];
    uint8_t record_ikm[32];
    int has_ikm;
    uint32_t retry_after_ms;     /* a refusal's Retry-After (SYNC_DONE) */
};

/* A refused answer: 429 is the rate limit (Signal-Server
 * RateLimitExceededExceptionMapper), with the delay it asks for. */
static int refused(sig_storage_op *op, int status, const sn_hdrs *h)
{
    op->retry_after_ms = sig_retry_after(h);
    return status == 429 ? SIG_ERR_RATE_LIMIT : SIG_ERR_HTTP;
}

static void op_free(sig_storage_op *op)
{
    if (op->c->storage == op)
        op->c->storage = NULL;
    ut_wipe(op, sizeof(*op));
    free(op);
}

void sig_storage_cancel_all(sig_client *c)
{
    /* the chat socket and sig_pool_close went first: their cancelled
     * callbacks freed an op in flight (the client is dead) */
    if (c->storage)
        op_free(c->storage);
}

static void finish(sig_storage_op *op, int err)
{
    sig_client *c = op->c;
    uint32_t retry_after_ms = op->retry_after_ms;
    sig_event ev;

    if (err)
        sig_logf(c, UT_LOG_WARN, "signal: storage read failed: %s", sig_strerror(err));
    op_free(op);
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_SYNC_DONE;
    ev.err = err;
    ev.retry_after_ms = err ? retry_after_ms : 0;
    sig_emit(c, &ev);
}

/* A storage box (sc_gcmbox) under `key`; *out malloc'd. */
static int gcm_open(uint8_t **out, size_t *out_len, const uint8_t key[32],
                    const uint8_t *p, size_t n)
{
    int rc;

    *out = NULL;
    if (n < SC_GCMBOX_OVERHEAD)
        return SIG_ERR_ENVELOPE;
    *out = malloc(n - SC_GCMBOX_OVERHEAD + 1);
    if (!*out)
        return UT_ERR_NOMEM;
    if ((rc = sc_gcmbox_open(*out, out_len, key, p, n)) != 0) {
        free(*out);
        *out = NULL;
        return rc == SC_ERR_DECRYPT ? SIG_ERR_DIGEST : rc;
    }
    return 0;
}

/* libsignal's GroupSecretParams group id of a master key (sc_group). */
int sig_group_id(uint8_t out[32], const uint8_t master_key[32])
{
    return sc_group_derive(out, NULL, master_key);
}

static void handle_record(sig_client *c, const Signalservice__StorageRecord *r)
{
    if (r->contact && r->contact->has_acibinary && r->contact->acibinary.len == 16) {
        const Signalservice__ContactRecord *ct = r->contact;
        char aci[SIG_UUID_STR_LEN + 1], name[512];
        int has_pk = ct->has_profilekey && ct->profilekey.len == 32;

        sig_uuid_format(aci, ct->acibinary.data);
        snprintf(name, sizeof(name), "%s%s%s", ct->givenname ? ct->givenname : "",
                 ct->givenname && ct->familyname && *ct->familyname ? " " : "",
                 ct->familyname ? ct->familyname : "");
        /* a new key brings the profile (name, avatar), as one in a
         * message does: a contact known only from the phone's storage
         * would otherwise have none until they write */
        if (has_pk && (!c->chat || sig_profile_key_seen(c, aci, ct->profilekey.data, 32) != 0))
            (void)sig_rec_put(c, "profile_key", aci, ct->profilekey.data, 32);
        (void)sig_contact_update_flags(c, aci, ct->e164, name, has_pk,
                                       ct->has_whitelisted && ct->whitelisted,
                                       ct->has_blocked && ct->blocked);
    } else if (r->groupv2 && r->groupv2->has_masterkey && r->groupv2->masterkey.len == 32) {
        uint8_t gid[32];
        char *key = NULL;
        sig_group g;
        sig_event ev;

        if (sc_group_derive(gid, NULL, r->groupv2->masterkey.data) != 0 ||
            sig_b64_encode(gid, 32, &key) != 0)
            return;
        (void)sig_rec_put(c, "group", key, r->groupv2->masterkey.data, 32);
        free(key);
        memset(&g, 0, sizeof(g));
        g.master_key = r->groupv2->masterkey.data;
        g.group_id = gid;
        g.blocked = r->groupv2->blocked;
        g.whitelisted = r->groupv2->whitelisted;
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_GROUP;
        ev.group = &g;
        sig_emit(c, &ev);
        if (!sig_dead(c)) /* refresh its state (title, members) */
            sig_groups_seen(c, r->groupv2->masterkey.data, -1);
    }
}

static int item_key(uint8_t out[32], const sig_storage_op *op, const uint8_t *raw,
                    size_t n)
{
    if (n == 0 || n > SC_STORAGE_RAW_KEY_MAX)
        return SIG_ERR_ENVELOPE;
    return sc_storage_item_key(out, op->storage_key, op->has_ikm ? op->record_ikm : NULL,
                               raw, n);
}

static void read_done(int rc, const sn_http_resp *r, void *ud)
{
    sig_storage_op *op = ud;
    sig_client *c = op->c;
    Signalservice__StorageItems *items = NULL;
    size_t i;

    if (sig_dead(c)) {
        op_free(op);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 200)
        rc = refused(op, r->status, r->headers);
    if (rc == 0 && !(items = signalservice__storage_items__unpack(NULL, r->body_len, r->body)))
        rc = SIG_ERR_ENVELOPE;
    for (i = 0; rc == 0 && i < items->n_items && !sig_dead(c); i++) {
        Signalservice__StorageItem *it = items->items[i];
        Signalservice__StorageRecord *rec;
        uint8_t k[32], *pt = NULL;
        size_t n = 0;

        if (!it->has_key || !it->has_value || item_key(k, op, it->key.data, it->key.len) != 0 ||
            gcm_open(&pt, &n, k, it->value.data, it->value.len) != 0) {
            sig_logf(c, UT_LOG_WARN, "signal: skipping an unreadable storage record");
            continue;
        }
        rec = signalservice__storage_record__unpack(NULL, n, pt);
        if (rec) {
            handle_record(c, rec);
            signalservice__storage_record__free_unpacked(rec, NULL);
        }
        ut_free_secret(pt, n + 1);
        ut_wipe(k, sizeof(k));
    }
    if (items)
        signalservice__storage_items__free_unpacked(items, NULL);
    if (!sig_dead(c))
        finish(op, rc);
    sig_leave(c);
}

static void manifest_done(int rc, const sn_http_resp *r, void *ud)
{
    sig_storage_op *op = ud;
    sig_client *c = op->c;
    Signalservice__StorageManifest *m = NULL;
    Signalservice__ManifestRecord *mr = NULL;
    Signalservice__ReadOperation ro = SIGNALSERVICE__READ_OPERATION__INIT;
    ProtobufCBinaryData *keys = NULL;
    uint8_t mkey[32], *pt = NULL, *body = NULL;
    size_t n = 0, i, blen;
    char rpath[320];
    sn_hdr h[2];
    sn_http_req req;

    if (sig_dead(c)) {
        op_free(op);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status == 404) { /* nothing stored yet */
        finish(op, 0);
        goto out;
    }
    if (rc == 0 && r->status != 200)
        rc = refused(op, r->status, r->headers);
    if (rc == 0 && (!(m = signalservice__storage_manifest__unpack(NULL, r->body_len, r->body)) ||
                    !m->has_value))
        rc = SIG_ERR_ENVELOPE;
    if (rc == 0) {
        rc = sc_storage_manifest_key(mkey, op->storage_key, m->version);
    }
    if (rc == 0)
        rc = gcm_open(&pt, &n, mkey, m->value.data, m->value.len);
    if (rc == 0 && !(mr = signalservice__manifest_record__unpack(NULL, n, pt)))
        rc = SIG_ERR_ENVELOPE;
    if (rc != 0) {
        finish(op, rc);
        goto out;
    }
    if (mr->has_recordikm && mr->recordikm.len == 32) {
        memcpy(op->record_ikm, mr->recordikm.data, 32);
        op->has_ikm = 1;
    }
    keys = calloc(mr->n_identifiers + 1, sizeof(*keys));
    for (i = 0; keys && i < mr->n_identifiers; i++)
        if (mr->identifiers[i]->has_raw)
            keys[ro.n_readkey++] = mr->identifiers[i]->raw;
    ro.readkey = keys;
    blen = signalservice__read_operation__get_packed_size(&ro);
    body = keys ? malloc(blen + 1) : NULL;
    if (!body) {
        finish(op, UT_ERR_NOMEM);
        goto out;
    }
    signalservice__read_operation__pack(&ro, body);
    h[0].name = "authorization";
    h[0].value = op->auth;
    h[1].name = "content-type";
    h[1].value = "application/x-protobuf";
    memset(&req, 0, sizeof(req));
    req.method = "PUT";
    if ((rc = sig_ep_path(rpath, sizeof(rpath), &c->ep[SIG_EP_STORAGE],
                          "/v1/storage/read")) != 0) {
        finish(op, rc);
        goto out;
    }
    req.path = rpath;
    req.headers = h;
    req.n_headers = 2;
    req.body = body;
    req.body_len = blen;
    req.max_response = STORAGE_MAX;
    if ((rc = sig_https(c, c->ep[SIG_EP_STORAGE].host, c->ep[SIG_EP_STORAGE].port, &req,
                        read_done, op)) != 0)
        finish(op, rc);
out:
    free(body);
    free(keys);
    if (mr)
        signalservice__manifest_record__free_unpacked(mr, NULL);
    if (m)
        signalservice__storage_manifest__free_unpacked(m, NULL);
    if (pt)
        ut_free_secret(pt, n + 1);
    ut_wipe(mkey, sizeof(mkey));
    sig_leave(c);
}

static void auth_done(int rc, const sn_rpc_response *r, void *ud)
{
    sig_storage_op *op = ud;
    sig_client *c = op->c;
    json_t *j = NULL;
    const char *user = NULL, *pass = NULL;
    char cred[256], *b64 = NULL, rpath[320];
    sn_hdr h;
    sn_http_req req;

    if (sig_dead(c)) {
        op_free(op);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 200)
        rc = refused(op, r->status, r->headers);
    if (rc == 0 && (!r->body || !(j = json_loadb((const char *)r->body, r->body_len, 0, NULL)) ||
                    json_unpack(j, "{s:s,s:s}", "username", &user, "password", &pass) != 0))
        rc = SIG_ERR_JSON;
    if (rc == 0) {
        snprintf(cred, sizeof(cred), "%s:%s", user, pass);
        rc = sig_b64_encode((const uint8_t *)cred, strlen(cred), &b64);
        ut_wipe(cred, sizeof(cred));
    }
    json_decref(j);
    if (rc == 0) {
        snprintf(op->auth, sizeof(op->auth), "Basic %s", b64);
        ut_free_secret(b64, strlen(b64));
    }
    if (rc == 0) {
        h.name = "authorization";
        h.value = op->auth;
        memset(&req, 0, sizeof(req));
        req.method = "GET";
        rc = sig_ep_path(rpath, sizeof(rpath), &c->ep[SIG_EP_STORAGE],
                         "/v1/storage/manifest");
        req.path = rpath;
        req.headers = &h;
        req.n_headers = 1;
        req.max_response = STORAGE_MAX;
        if (rc == 0)
            rc = sig_https(c, c->ep[SIG_EP_STORAGE].host, c->ep[SIG_EP_STORAGE].port, &req,
                           manifest_done, op);
    }
    if (rc != 0)
        finish(op, rc);
    sig_leave(c);
}

int sig_client_storage_sync(sig_client *c)
{
    sig_storage_op *op;
    int rc;

    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->has_master_key || c->storage || !c->chat ||
        sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    op = calloc(1, sizeof(*op));
    if (!op)
        return UT_ERR_NOMEM;
    op->c = c;
    rc = sc_storage_key(op->storage_key, c->master_key);
    if (rc == 0)
        rc = sn_sock_request(c->chat, "GET", "/v1/storage/auth", NULL, 0, NULL, 0,
                             30000, auth_done, op);
    if (rc != 0) {
        ut_wipe(op, sizeof(*op));
        free(op);
        return rc;
    }
    c->storage = op;
    return 0;
}
