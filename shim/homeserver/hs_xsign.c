/*
 * hs_xsign.c - cross-signing: POST keys/device_signing/upload (with
 * user-interactive auth) and POST keys/signatures/upload, and the
 * cross-signing parts of keys/query.
 *
 * Spec: matrix-org/matrix-spec data/api/client-server/cross_signing.yaml
 * and keys.yaml (query: user_signing_keys only for the requester's own
 * user). UIA: the first upload, when the user has no master key yet, needs
 * none (MSC3967, matrix-org/matrix-spec-proposals
 * proposals/3967-device-signing-upload-uia.md, as Synapse does in
 * synapse/rest/client/keys.py SigningKeyUploadServlet); re-sending the keys
 * already stored succeeds without it; anything else needs m.login.password.
 * Self-signing and user-signing keys must carry a valid signature by the
 * master key, and uploaded signatures are verified against the signer's
 * key before they are stored (Synapse e2e_keys.py _check_cross_signing_key,
 * upload_signatures_for_device_keys). Signatures by other users are shown
 * only to the user who made them (Synapse e2e_keys.py query_devices).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs_e2ee.h"

static const char *const usages[] = {"master", "self_signing", "user_signing"};
static const char *const fields[] = {"master_key", "self_signing_key", "user_signing_key"};

/* Stored key of a usage: json text and public key (NULL json if none). */
static int load_key(hs *s, const char *user, const char *usage, char **json, char pub[64])
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT pub, json FROM e2e_xsign WHERE user_id=? AND usage=?");

    *json = NULL;
    pub[0] = '\0';
    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, usage);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(pub, 64, "%s", hs_col_text(st, 0));
        *json = strdup(hs_col_text(st, 1));
    }
    sqlite3_reset(st);
    return 0;
}

void hs_xsign_merge_sigs(hs *s, const char *viewer, const char *user,
                         const char *key, json_t *obj)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT signer_user, key_id, sig FROM e2e_sigs WHERE "
                                     "target_user=?1 AND target_key=?2 AND "
                                     "(signer_user=?1 OR signer_user=?3)");
    json_t *sigs;

    if (!st)
        return;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, key);
    hs_bind_text(st, 3, viewer);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *by;
        if (!json_is_object(sigs = json_object_get(obj, "signatures")))
            json_object_set_new(obj, "signatures", sigs = json_object());
        if (!json_is_object(by = json_object_get(sigs, hs_col_text(st, 0))))
            json_object_set_new(sigs, hs_col_text(st, 0), by = json_object());
        json_object_set_new(by, hs_col_text(st, 1), json_string(hs_col_text(st, 2)));
    }
    sqlite3_reset(st);
}

void hs_xsign_query(hs *s, const char *viewer, const char *user, json_t *resp)
{
    static const char *const out[] = {"master_keys", "self_signing_keys", "user_signing_keys"};
    size_t i;

    for (i = 0; i < 3; i++) {
        char *js, pub[64];
        json_t *k;
        if (i == 2 && strcmp(user, viewer))
            break; /* a user-signing key is private to its owner */
        if (load_key(s, user, usages[i], &js, pub) || !js)
            continue;
        k = json_loads(js, 0, NULL);
        free(js);
        if (!k)
            continue;
        hs_xsign_merge_sigs(s, viewer, user, pub, k);
        json_object_set_new(json_object_get(resp, out[i]), user, k);
    }
}

/* ---- user-interactive auth ------------------------------------------------ */

/* Failed password attempts in UIA per user and minute before 429, as
 * Synapse limits failed UIA attempts per user (handlers/auth.py
 * _failed_uia_attempts_ratelimiter, rc_login.failed_attempts: a burst of
 * 3). */
#define UIA_FAILS_PER_MINUTE 5
/* How long a UIA session lives (Synapse: 48 h, SESSION_EXPIRE_MS; these
 * are in memory, so short). */
#define UIA_SESSION_MS (15 * 60 * 1000)

static void uia_op(hs_req *r, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "%s", r->method);
    int i;

    for (i = 0; i < r->nseg && o < n; i++)
        o += (size_t)snprintf(out + o, n - o, "/%s", r->segs[i]);
}

/* The session `id`, or NULL when unknown or expired. */
static hs_uia_session *uia_find(hs *s, const char *id)
{
    int64_t now = (int64_t)ut_now_mono_ms();
    size_t i;

    for (i = 0; i < sizeof(s->uia) / sizeof(s->uia[0]); i++)
        if (s->uia[i].id[0] && !strcmp(s->uia[i].id, id) &&
            now - s->uia[i].created_ms < UIA_SESSION_MS)
            return &s->uia[i];
    return NULL;
}

/* A new session for this user and operation (the oldest slot is reused). */
static int uia_open(hs_req *r, char *id, size_t n)
{
    hs *s = r->s;
    hs_uia_session *slot = &s->uia[0];
    unsigned char raw[12];
    size_t i;

    if (ut_random(raw, sizeof(raw)))
        return -1;
    sodium_bin2base64(id, n, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    for (i = 0; i < sizeof(s->uia) / sizeof(s->uia[0]); i++) {
        if (!s->uia[i].id[0]) {
            slot = &s->uia[i];
            break;
        }
        if (s->uia[i].created_ms < slot->created_ms)
            slot = &s->uia[i];
    }
    snprintf(slot->id, sizeof(slot->id), "%s", id);
    snprintf(slot->user_id, sizeof(slot->user_id), "%s", r->user_id);
    uia_op(r, slot->op, sizeof(slot->op));
    slot->created_ms = (int64_t)ut_now_mono_ms();
    return 0;
}

/* 401 with the flows and the session (`session`, or a new one). */
static int uia_challenge(hs_req *r, const char *session, const char *errcode, const char *error)
{
    char id[32];
    json_t *o;

    if (session)
        snprintf(id, sizeof(id), "%s", session);
    else if (uia_open(r, id, sizeof(id)))
        return hs_err(r, 500, "M_UNKNOWN", "no randomness");
    o = json_pack("{s:[{s:[s]}],s:{},s:s}", "flows", "stages", "m.login.password",
                  "params", "session", id);
    if (errcode) {
        json_object_set_new(o, "errcode", json_string(errcode));
        json_object_set_new(o, "error", json_string(error));
    }
    json_decref(r->resp);
    r->status = 401;
    r->resp = o;
    return HS_DONE;
}

int hs_e2ee_uia_password(hs_req *r)
{
    json_t *auth = json_object_get(r->json, "auth");
    const char *type = json_string_value(json_object_get(auth, "type"));
    const char *who = json_string_value(json_object_get(json_object_get(auth, "identifier"), "user"));
    const char *pw = json_string_value(json_object_get(auth, "password"));
    const char *sid = json_string_value(json_object_get(auth, "session"));
    hs_uia_session *sess = NULL;
    sqlite3_stmt *st;
    char uid[300], key[300], op[200];
    int64_t wait;
    int ok = 0;

    if (!json_is_object(auth) || !type)
        return uia_challenge(r, NULL, NULL, NULL), -1;
    /* A session is one operation of one user (Synapse handlers/auth.py
     * check_ui_auth: an unknown session is 400, another URI or method 403) */
    if (sid) {
        if (!(sess = uia_find(r->s, sid)))
            return hs_err(r, 400, "M_UNKNOWN", "Unknown session ID: %.40s", sid), -1;
        uia_op(r, op, sizeof(op));
        if (strcmp(sess->user_id, r->user_id) || strcmp(sess->op, op))
            return hs_err(r, 403, "M_FORBIDDEN",
                          "Requested operation has changed during the UI authentication session."), -1;
    }
    snprintf(key, sizeof(key), "uiafail:%s", r->user_id);
    if ((wait = hs_rate_wait(r->s, key, UIA_FAILS_PER_MINUTE)) > 0) {
        hs_err(r, 429, "M_LIMIT_EXCEEDED", "Too many failed attempts; try again later");
        json_object_set_new(r->resp, "retry_after_ms", json_integer(wait));
        return -1;
    }
    if (strcmp(type, "m.login.password"))
        return uia_challenge(r, sid, "M_UNRECOGNIZED", "only m.login.password is offered"), -1;
    if (!who) /* the legacy top-level `user` */
        who = json_string_value(json_object_get(auth, "user"));
    if (who && who[0] != '@')
        snprintf(uid, sizeof(uid), "@%s:%s", who, r->s->cfg.server_name);
    else
        snprintf(uid, sizeof(uid), "%s", who ? who : "");
    if (pw && !strcmp(uid, r->user_id)) {
        st = hs_db_stmt(r->s, "SELECT password_hash FROM users WHERE user_id=? /*uia*/");
        if (!st)
            return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
        hs_bind_text(st, 1, r->user_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            ok = crypto_pwhash_str_verify(hs_col_text(st, 0), pw, strlen(pw)) == 0;
        sqlite3_reset(st);
    }
    if (!ok) {
        hs_rate_hit(r->s, key);
        return uia_challenge(r, sid, "M_FORBIDDEN", "Invalid username or password"), -1;
    }
    if (sess) /* done: the session cannot be used again */
        memset(sess, 0, sizeof(*sess));
    return 0;
}

/* ---- device_signing/upload ------------------------------------------------ */

int hs_h_device_signing_upload(hs_req *r)
{
    hs *s = r->s;
    json_t *k[3];
    char pubs[3][64], why[256], old_master[64];
    char *old_js = NULL;
    const char *master_pub;
    int i, any = 0, same = 1;

    for (i = 0; i < 3; i++) {
        k[i] = json_object_get(r->json, fields[i]);
        if (json_is_null(k[i]))
            k[i] = NULL;
        pubs[i][0] = '\0';
        if (!k[i])
            continue;
        any = 1;
        if (hs_e2ee_check_xsign_key(k[i], r->user_id, usages[i], pubs[i], why, sizeof(why)))
            return hs_err(r, 400, "M_INVALID_PARAM", "%s", why);
    }
    if (load_key(s, r->user_id, "master", &old_js, old_master))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    /* Identical to what is stored? Then a retry: no auth needed. */
    for (i = 0; i < 3; i++) {
        char *js, pub[64], *txt;
        if (!k[i])
            continue;
        if (load_key(s, r->user_id, usages[i], &js, pub) || !js) {
            same = 0;
            continue;
        }
        txt = hs_canonical_json(k[i]);
        if (!txt || strcmp(txt, js))
            same = 0;
        free(txt);
        free(js);
    }
    if (old_js && !(any && same) && hs_e2ee_uia_password(r)) {
        free(old_js);
        return HS_DONE;
    }
    free(old_js);
    if (!any)
        return hs_ok(r, NULL);
    master_pub = k[0] ? pubs[0] : old_master;
    if (!master_pub[0])
        return hs_err(r, 400, "M_MISSING_PARAM", "Must provide master cross-signing key");
    for (i = 1; i < 3; i++) {
        char kid[80];
        snprintf(kid, sizeof(kid), "ed25519:%s", master_pub);
        if (k[i] && hs_e2ee_verify(k[i], r->user_id, kid, master_pub))
            return hs_err(r, 400, "M_INVALID_SIGNATURE", "%s key is not signed by the master key",
                          usages[i]);
    }
    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    for (i = 0; i < 3; i++) {
        sqlite3_stmt *st;
        char *txt;
        if (!k[i])
            continue;
        txt = hs_canonical_json(k[i]);
        st = hs_db_stmt(s, "INSERT OR REPLACE INTO e2e_xsign(user_id, usage, pub, json) VALUES(?,?,?,?)");
        if (!st || !txt) {
            free(txt);
            hs_db_rollback(s);
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        }
        hs_bind_text(st, 1, r->user_id);
        hs_bind_text(st, 2, usages[i]);
        hs_bind_text(st, 3, pubs[i]);
        hs_bind_text(st, 4, txt);
        free(txt);
        if (hs_db_step_done(s, st)) {
            hs_db_rollback(s);
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        }
    }
    if (hs_e2ee_mark_changed(s, r->user_id) || hs_db_commit(s)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    return hs_ok(r, NULL);
}

/* ---- signatures/upload ---------------------------------------------------- */

/* Is `obj` (minus signatures and unsigned) the stored object `stored_js`? */
static int same_object(const json_t *obj, const char *stored_js)
{
    json_t *a = json_deep_copy(obj), *b = json_loads(stored_js, 0, NULL);
    int eq;

    if (a) {
        json_object_del(a, "signatures");
        json_object_del(a, "unsigned");
    }
    if (b) {
        json_object_del(b, "signatures");
        json_object_del(b, "unsigned");
    }
    eq = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return eq;
}

/* Device's ed25519 key of (user, device) into pub. */
static int device_ed25519(hs *s, const char *user, const char *dev, char pub[64], char **js)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT json FROM e2e_device_keys WHERE user_id=? AND device_id=? /*x*/");
    json_t *k;
    char kid[200];

    pub[0] = '\0';
    *js = NULL;
    if (!st)
        return -1;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, dev);
    if (sqlite3_step(st) == SQLITE_ROW)
        *js = strdup(hs_col_text(st, 0));
    sqlite3_reset(st);
    if (!*js)
        return -1;
    k = json_loads(*js, 0, NULL);
    snprintf(kid, sizeof(kid), "ed25519:%s", dev);
    snprintf(pub, 64, "%s", json_string_value(json_object_get(json_object_get(k, "keys"), kid))
                                ? json_string_value(json_object_get(json_object_get(k, "keys"), kid))
                                : "");
    json_decref(k);
    return 0;
}

static json_t *failure(const char *errcode, const char *error)
{
    return json_pack("{s:i,s:s,s:s}", "status", 400, "errcode", errcode, "error", error);
}

/* Check and store the caller's signatures on one target; NULL on success or
 * the failure object. */
static json_t *sign_one(hs_req *r, const char *user, const char *key, json_t *obj)
{
    hs *s = r->s;
    char pub[64], *js = NULL, signer_pub[64], want_kid[200] = "";
    json_t *mine = json_object_get(json_object_get(obj, "signatures"), r->user_id), *v;
    const char *kid;
    int stored = 0;

    if (!json_is_object(obj) || !json_is_object(mine) || !json_object_size(mine))
        return failure("M_INVALID_SIGNATURE", "no signature by the uploading user");
    signer_pub[0] = '\0';
    if (!strcmp(user, r->user_id)) {
        char mpub[64], *mjs = NULL;
        if (load_key(s, user, "master", &mjs, mpub))
            return failure("M_UNKNOWN", "database error");
        if (mjs && !strcmp(key, mpub)) {
            /* our master key, signed by one of our devices */
            js = mjs;
            json_object_foreach(mine, kid, v) {
                char *djs = NULL;
                if (!strncmp(kid, "ed25519:", 8) &&
                    !device_ed25519(s, user, kid + 8, signer_pub, &djs)) {
                    free(djs);
                    snprintf(want_kid, sizeof(want_kid), "%s", kid);
                    break;
                }
                free(djs);
            }
        } else {
            /* one of our devices, signed by our self-signing key */
            free(mjs);
            if (device_ed25519(s, user, key, pub, &js)) {
                free(js);
                return failure("M_NOT_FOUND", "unknown device or key");
            }
            if (load_key(s, user, "self_signing", &mjs, signer_pub) || !mjs) {
                free(js);
                return failure("M_MISSING_PARAM", "no self-signing key uploaded");
            }
            free(mjs);
            snprintf(want_kid, sizeof(want_kid), "ed25519:%s", signer_pub);
        }
    } else {
        /* another user's master key, signed by our user-signing key */
        char *ujs = NULL;
        if (load_key(s, user, "master", &js, pub) || !js || strcmp(key, pub)) {
            free(js);
            return failure("M_NOT_FOUND", "only another user's master key can be signed");
        }
        if (load_key(s, r->user_id, "user_signing", &ujs, signer_pub) || !ujs) {
            free(js);
            return failure("M_MISSING_PARAM", "no user-signing key uploaded");
        }
        free(ujs);
        snprintf(want_kid, sizeof(want_kid), "ed25519:%s", signer_pub);
    }
    if (!signer_pub[0] || !same_object(obj, js)) {
        free(js);
        return failure("M_INVALID_SIGNATURE", "signed object does not match the stored key");
    }
    free(js);
    if (hs_e2ee_verify(obj, r->user_id, want_kid, signer_pub))
        return failure("M_INVALID_SIGNATURE", "signature does not verify");
    {
        sqlite3_stmt *st = hs_db_stmt(s, "INSERT OR REPLACE INTO e2e_sigs(target_user, target_key, "
                                         "signer_user, key_id, sig) VALUES(?,?,?,?,?)");
        if (!st)
            return failure("M_UNKNOWN", "database error");
        hs_bind_text(st, 1, user);
        hs_bind_text(st, 2, key);
        hs_bind_text(st, 3, r->user_id);
        hs_bind_text(st, 4, want_kid);
        hs_bind_text(st, 5, json_string_value(json_object_get(mine, want_kid)));
        if (hs_db_step_done(s, st))
            return failure("M_UNKNOWN", "database error");
        stored = 1;
    }
    if (stored && hs_e2ee_mark_changed(s, user))
        return failure("M_UNKNOWN", "database error");
    return NULL;
}

int hs_h_signatures_upload(hs_req *r)
{
    hs *s = r->s;
    json_t *fail = json_object(), *keys, *obj;
    const char *user, *key;

    json_object_foreach(r->json, user, keys) {
        if (!json_is_object(keys)) {
            json_decref(fail);
            return hs_err(r, 400, "M_BAD_JSON", "%.64s must map key IDs to signed objects", user);
        }
    }
    if (hs_db_begin(s)) {
        json_decref(fail);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    json_object_foreach(r->json, user, keys) {
        json_object_foreach(keys, key, obj) {
            json_t *f = sign_one(r, user, key, obj);
            json_t *fu;
            if (!f)
                continue;
            if (!(fu = json_object_get(fail, user)))
                json_object_set_new(fail, user, fu = json_object());
            json_object_set_new(fu, key, f);
        }
    }
    if (hs_db_commit(s)) {
        json_decref(fail);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    return hs_ok(r, json_pack("{s:o}", "failures", fail));
}
