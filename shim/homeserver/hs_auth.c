/*
 * hs_auth.c - users, devices and access tokens; /login, /register, /whoami,
 * /logout. Passwords are argon2id (libsodium crypto_pwhash_str). Tokens are
 * 256-bit random values; only their SHA-256 is stored, looked up by hash and
 * then compared in constant time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs.h"

int hs_valid_localpart(const char *lp)
{
    size_t i;

    if (!lp || !*lp || strlen(lp) > 200)
        return 0;
    for (i = 0; lp[i]; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._=-/+", lp[i]))
            return 0;
    return 1;
}

int hs_localpart(hs *s, const char *user_id, char *buf, size_t n)
{
    const char *colon;
    size_t len;

    if (!user_id || user_id[0] != '@')
        return -1;
    colon = strchr(user_id, ':');
    if (!colon || strcmp(colon + 1, s->cfg.server_name))
        return -1;
    len = (size_t)(colon - user_id - 1);
    if (len == 0 || len >= n)
        return -1;
    memcpy(buf, user_id + 1, len);
    buf[len] = '\0';
    return 0;
}

int hs_user_is_local(hs *s, const char *user_id)
{
    char lp[256];

    return hs_localpart(s, user_id, lp, sizeof(lp)) == 0;
}

int hs_user_exists(hs *s, const char *user_id)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT 1 FROM users WHERE user_id=?");
    int rc;

    if (!st)
        return 0;
    hs_bind_text(st, 1, user_id);
    rc = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return rc;
}

int hs_user_create(hs *s, const char *localpart, const char *password,
                   int admin, char *uid_out, size_t uid_len)
{
    char uid[300], hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *st;
    int rc;

    if (!hs_valid_localpart(localpart))
        return HS_ERR_BADARG;
    snprintf(uid, sizeof(uid), "@%s:%s", localpart, s->cfg.server_name);
    if (hs_user_exists(s, uid))
        return HS_ERR_EXISTS;
    if (password &&
        crypto_pwhash_str(hash, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return HS_ERR_CRYPTO;
    /* the localpart is the first display name, as Synapse gives it
     * (handlers/register.py, default_display_name), so that clients show a
     * name rather than the whole MXID (nheko did) */
    st = hs_db_stmt(s, "INSERT INTO users(user_id,password_hash,admin,created_ts,displayname)"
                       " VALUES(?,?,?,?,?)");
    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, uid);
    hs_bind_text(st, 2, password ? hash : NULL);
    sqlite3_bind_int(st, 3, admin);
    sqlite3_bind_int64(st, 4, ut_now_ms());
    hs_bind_text(st, 5, localpart);
    rc = hs_db_step_done(s, st);
    ut_wipe(hash, sizeof(hash));
    if (rc == 0 && uid_out)
        snprintf(uid_out, uid_len, "%s", uid);
    return rc;
}

static void token_hash(const char *tok, unsigned char out[32])
{
    crypto_hash_sha256(out, (const unsigned char *)tok, strlen(tok));
}

/* Create a device (if new) and a token for it. */
static int token_new(hs *s, const char *user_id, const char *device_id,
                     const char *display, char tok_out[80])
{
    unsigned char raw[32], h[32];
    char b64[64];
    sqlite3_stmt *st;
    int rc;

    if (ut_random(raw, sizeof(raw)))
        return HS_ERR_CRYPTO;
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ut_wipe(raw, sizeof(raw));
    snprintf(tok_out, 80, "mxhs_%s", b64);
    ut_wipe(b64, sizeof(b64));
    token_hash(tok_out, h);
    st = hs_db_stmt(s, "INSERT OR IGNORE INTO devices(user_id,device_id,display_name) VALUES(?,?,?)");
    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, user_id);
    hs_bind_text(st, 2, device_id);
    hs_bind_text(st, 3, display);
    if ((rc = hs_db_step_done(s, st)))
        return rc;
    st = hs_db_stmt(s, "INSERT INTO tokens(token_hash,user_id,device_id,created_ts) VALUES(?,?,?,?)");
    if (!st)
        return HS_ERR_DB;
    sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_TRANSIENT);
    hs_bind_text(st, 2, user_id);
    hs_bind_text(st, 3, device_id);
    sqlite3_bind_int64(st, 4, ut_now_ms());
    return hs_db_step_done(s, st);
}

int hs_auth_request(hs_req *r)
{
    const char *tok = NULL;
    unsigned char h[32];
    sqlite3_stmt *st;
    int ok = 0;

    if (r->authorization && !strncmp(r->authorization, "Bearer ", 7))
        tok = r->authorization + 7;
    if (!tok)
        tok = hs_query(r, "access_token");
    if (!tok || !*tok) {
        hs_err(r, 401, "M_MISSING_TOKEN", "Missing access token");
        return -1;
    }
    {   /* an application service's as_token: authenticated or refused */
        int as = hs_as_auth(r, tok);
        if (as <= 0)
            return as;
    }
    token_hash(tok, h);
    st = hs_db_stmt(r->s, "SELECT t.token_hash, t.user_id, t.device_id, u.admin FROM tokens t "
                          "JOIN users u ON u.user_id=t.user_id WHERE t.token_hash=?");
    if (!st) {
        hs_err(r, 500, "M_UNKNOWN", "database error");
        return -1;
    }
    sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
        ut_ct_eq(sqlite3_column_blob(st, 0), h, 32)) {
        snprintf(r->user_id, sizeof(r->user_id), "%s", hs_col_text(st, 1));
        snprintf(r->device_id, sizeof(r->device_id), "%s", hs_col_text(st, 2));
        r->is_admin = sqlite3_column_int(st, 3);
        r->authed = 1;
        ok = 1;
    }
    sqlite3_reset(st);
    if (ok)
        hs_seen_touch(r->s, r->user_id, r->device_id, r->remote);
    if (!ok) {
        hs_err(r, 401, "M_UNKNOWN_TOKEN", "Unknown or expired access token");
        return -1;
    }
    return 0;
}

/* The slot of `key` in a fixed one-minute window (the oldest slot is
 * reused for a new key). */
static hs_rate *rate_slot(hs *s, const char *key, int64_t now)
{
    hs_rate *slot = NULL, *oldest = &s->rates[0];
    size_t i;

    for (i = 0; i < sizeof(s->rates) / sizeof(s->rates[0]); i++) {
        hs_rate *x = &s->rates[i];
        if (!strcmp(x->key, key)) {
            slot = x;
            break;
        }
        if (x->window_start < oldest->window_start)
            oldest = x;
    }
    if (!slot) {
        slot = oldest;
        snprintf(slot->key, sizeof(slot->key), "%s", key);
        slot->window_start = now;
        slot->count = 0;
    }
    if (now - slot->window_start >= 60000) {
        slot->window_start = now;
        slot->count = 0;
    }
    return slot;
}

/* A fixed window per key; returns ms to wait, or 0 when allowed. */
static int64_t rate_check(hs *s, const char *key)
{
    int64_t now = (int64_t)ut_now_mono_ms();
    hs_rate *slot = rate_slot(s, key, now);

    if (++slot->count > s->cfg.login_per_minute)
        return 60000 - (now - slot->window_start);
    return 0;
}

int64_t hs_rate_wait(hs *s, const char *key, int limit)
{
    int64_t now = (int64_t)ut_now_mono_ms();
    hs_rate *slot = rate_slot(s, key, now);

    return slot->count >= limit ? 60000 - (now - slot->window_start) : 0;
}

void hs_rate_hit(hs *s, const char *key)
{
    rate_slot(s, key, (int64_t)ut_now_mono_ms())->count++;
}

static void random_id(char *out, size_t n, const char *alphabet)
{
    unsigned char b[32];
    size_t i, al = strlen(alphabet);

    if (ut_random(b, sizeof(b)))
        memset(b, 7, sizeof(b));
    for (i = 0; i + 1 < n && i < sizeof(b); i++)
        out[i] = alphabet[b[i] % al];
    out[i] = '\0';
}

/* Build the login response for user/device. */
static int login_reply(hs_req *r, const char *uid, const char *device_in,
                       const char *display)
{
    char dev[128], tok[80];
    json_t *resp;

    if (device_in && *device_in && strlen(device_in) < sizeof(dev))
        snprintf(dev, sizeof(dev), "%s", device_in);
    else
        random_id(dev, 11, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    if (token_new(r->s, uid, dev, display, tok))
        return hs_err(r, 500, "M_UNKNOWN", "cannot create access token");
    resp = json_pack("{s:s,s:s,s:s,s:s}", "user_id", uid, "access_token", tok,
                     "device_id", dev, "home_server", r->s->cfg.server_name);
    ut_wipe(tok, sizeof(tok));
    return hs_ok(r, resp);
}

int hs_h_login_get(hs_req *r)
{
    return hs_ok(r, json_pack("{s:[{s:s}]}", "flows", "type", "m.login.password"));
}

int hs_h_login(hs_req *r)
{
    const char *type = json_string_value(json_object_get(r->json, "type"));
    json_t *ident = json_object_get(r->json, "identifier");
    const char *user = NULL, *pw, *hash;
    char lp[256], uid[300], key[80];
    sqlite3_stmt *st;
    int64_t wait;
    int ok = 0;

    snprintf(key, sizeof(key), "login:%s", r->remote);
    if ((wait = rate_check(r->s, key)) > 0) {
        hs_err(r, 429, "M_LIMIT_EXCEEDED", "Too many login attempts");
        json_object_set_new(r->resp, "retry_after_ms", json_integer(wait));
        return HS_DONE;
    }
    if (!type || strcmp(type, "m.login.password"))
        return hs_err(r, 400, "M_UNKNOWN", "Unknown login type");
    if (json_is_object(ident)) {
        const char *it = json_string_value(json_object_get(ident, "type"));
        if (!it || strcmp(it, "m.id.user"))
            return hs_err(r, 400, "M_UNKNOWN", "Only m.id.user identifiers are supported");
        user = json_string_value(json_object_get(ident, "user"));
    }
    if (!user)
        user = json_string_value(json_object_get(r->json, "user"));
    pw = json_string_value(json_object_get(r->json, "password"));
    if (!user || !pw)
        return hs_err(r, 400, "M_BAD_JSON", "user and password are required");
    if (user[0] == '@') {
        if (hs_localpart(r->s, user, lp, sizeof(lp)))
            return hs_err(r, 403, "M_FORBIDDEN", "Invalid username or password");
    } else {
        snprintf(lp, sizeof(lp), "%s", user);
    }
    if (hs_namespace_owned(r->s, lp))
        return hs_err(r, 400, "M_EXCLUSIVE", "This user ID is reserved by a module");
    snprintf(uid, sizeof(uid), "@%s:%s", lp, r->s->cfg.server_name);
    st = hs_db_stmt(r->s, "SELECT password_hash FROM users WHERE user_id=?");
    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, uid);
    if (sqlite3_step(st) == SQLITE_ROW && (hash = (const char *)sqlite3_column_text(st, 0))) {
        ok = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
    } else {
        /* Same work for unknown users, so timing does not tell which
         * user IDs exist. The dummy hash is made once. */
        static const char dummy_pw[] = "mxhs-no-such-user";
        if (!r->s->dummy_hash[0] &&
            crypto_pwhash_str(r->s->dummy_hash, dummy_pw, sizeof(dummy_pw) - 1,
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            r->s->dummy_hash[0] = '\0';
        if (r->s->dummy_hash[0] &&
            crypto_pwhash_str_verify(r->s->dummy_hash, pw, strlen(pw)) == 0)
            ok = 0; /* matching the dummy password logs nobody in */
    }
    sqlite3_reset(st);
    if (!ok)
        return hs_err(r, 403, "M_FORBIDDEN", "Invalid username or password");
    return login_reply(r, uid, json_string_value(json_object_get(r->json, "device_id")),
                       json_string_value(json_object_get(r->json, "initial_device_display_name")));
}

static int uia_401(hs_req *r)
{
    json_t *flows = json_array();
    char session[25];

    random_id(session, sizeof(session), "abcdefghijklmnopqrstuvwxyz");
    if (r->s->cfg.registration_enabled)
        json_array_append_new(flows, json_pack("{s:[s]}", "stages", "m.login.dummy"));
    if (r->s->cfg.registration_secret)
        json_array_append_new(flows, json_pack("{s:[s]}", "stages", "m.login.registration_token"));
    r->status = 401;
    json_decref(r->resp);
    r->resp = json_pack("{s:o,s:{},s:s}", "flows", flows, "params", "session", session);
    return HS_DONE;
}

int hs_h_register(hs_req *r)
{
    hs *s = r->s;
    json_t *auth = json_object_get(r->json, "auth");
    const char *kind = hs_query(r, "kind"), *atype, *user, *pw;
    char lp[256], uid[300];
    int rc;

    atype = json_string_value(json_object_get(r->json, "type"));
    if (atype && !strcmp(atype, "m.login.application_service"))
        return hs_as_register(r);
    if (kind && strcmp(kind, "user"))
        return hs_err(r, 403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
    if (!s->cfg.registration_enabled && !s->cfg.registration_secret)
        return hs_err(r, 403, "M_FORBIDDEN", "Registration is disabled; ask the admin (mxhs register-user)");
    user = json_string_value(json_object_get(r->json, "username"));
    pw = json_string_value(json_object_get(r->json, "password"));
    if (user && (!hs_valid_localpart(user)))
        return hs_err(r, 400, "M_INVALID_USERNAME", "User ID may only contain a-z, 0-9, ._=-/+");
    if (user && hs_namespace_owned(s, user))
        return hs_err(r, 400, "M_EXCLUSIVE", "This user ID is reserved by a module");
    if (!json_is_object(auth))
        return uia_401(r);
    atype = json_string_value(json_object_get(auth, "type"));
    if (atype && !strcmp(atype, "m.login.dummy") && s->cfg.registration_enabled) {
        /* ok, with or without a session (nio sends none) */
    } else if (atype && s->cfg.registration_secret &&
               !strcmp(atype, "m.login.registration_token")) {
        const char *t = json_string_value(json_object_get(auth, "token"));
        size_t n = strlen(s->cfg.registration_secret);
        char key[96];
        int64_t wait;

        /* Guessing tokens is limited per address like logins (Synapse
         * limits token checks too: rc_registration_token_validity). */
        snprintf(key, sizeof(key), "regtoken:%s", r->remote);
        if ((wait = rate_check(s, key)) > 0) {
            hs_err(r, 429, "M_LIMIT_EXCEEDED", "Too many registration attempts");
            json_object_set_new(r->resp, "retry_after_ms", json_integer(wait));
            return HS_DONE;
        }
        if (!t || strlen(t) != n || !ut_ct_eq(t, s->cfg.registration_secret, n))
            return hs_err(r, 401, "M_FORBIDDEN", "Invalid registration token");
    } else {
        return uia_401(r);
    }
    if (!pw || !*pw)
        return hs_err(r, 400, "M_MISSING_PARAM", "password is required");
    if (user)
        snprintf(lp, sizeof(lp), "%s", user);
    else
        random_id(lp, 13, "abcdefghijklmnopqrstuvwxyz0123456789");
    rc = hs_user_create(s, lp, pw, 0, uid, sizeof(uid));
    if (rc == HS_ERR_EXISTS)
        return hs_err(r, 400, "M_USER_IN_USE", "User ID already taken");
    if (rc)
        return hs_err(r, 500, "M_UNKNOWN", "cannot create user: %s", hs_strerror(rc));
    hs_logf(s, UT_LOG_INFO, "registered %s", uid);
    if (json_is_true(json_object_get(r->json, "inhibit_login")))
        return hs_ok(r, json_pack("{s:s}", "user_id", uid));
    return login_reply(r, uid, json_string_value(json_object_get(r->json, "device_id")),
                       json_string_value(json_object_get(r->json, "initial_device_display_name")));
}

int hs_h_register_available(hs_req *r)
{
    const char *u = hs_query(r, "username");
    char uid[300];

    if (!u || !hs_valid_localpart(u))
        return hs_err(r, 400, "M_INVALID_USERNAME", "invalid username");
    if (hs_namespace_owned(r->s, u))
        return hs_err(r, 400, "M_EXCLUSIVE", "This user ID is reserved by a module");
    snprintf(uid, sizeof(uid), "@%s:%s", u, r->s->cfg.server_name);
    if (hs_user_exists(r->s, uid))
        return hs_err(r, 400, "M_USER_IN_USE", "User ID already taken");
    return hs_ok(r, json_pack("{s:b}", "available", 1));
}

int hs_h_whoami(hs_req *r)
{
    json_t *o = json_pack("{s:s,s:b}", "user_id", r->user_id, "is_guest", 0);

    if (r->device_id[0])
        json_object_set_new(o, "device_id", json_string(r->device_id));
    return hs_ok(r, o);
}

int hs_h_logout(hs_req *r)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "DELETE FROM tokens WHERE user_id=? AND device_id=?");

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, r->user_id);
    hs_bind_text(st, 2, r->device_id);
    hs_db_step_done(r->s, st);
    return hs_ok(r, NULL);
}

int hs_h_logout_all(hs_req *r)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "DELETE FROM tokens WHERE user_id=?");

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, r->user_id);
    hs_db_step_done(r->s, st);
    return hs_ok(r, NULL);
}

/* ---- devices ------------------------------------------------------------- */

int hs_h_devices(hs_req *r)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT device_id, display_name FROM devices WHERE user_id=?");
    json_t *arr, *one = NULL;
    const char *want = r->nseg > 1 ? r->segs[1] : NULL;

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    arr = json_array();
    hs_bind_text(st, 1, r->user_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *d = json_pack("{s:s}", "device_id", hs_col_text(st, 0));
        int64_t ts;
        char ip[64];
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            json_object_set_new(d, "display_name", json_string(hs_col_text(st, 1)));
        if (hs_seen_get(r->s, r->user_id, hs_col_text(st, 0), &ts, ip)) {
            json_object_set_new(d, "last_seen_ts", json_integer(ts));
            json_object_set_new(d, "last_seen_ip", json_string(ip));
        }
        if (want && !strcmp(want, hs_col_text(st, 0)))
            one = json_incref(d);
        json_array_append_new(arr, d);
    }
    sqlite3_reset(st);
    if (!want)
        return hs_ok(r, json_pack("{s:o}", "devices", arr));
    json_decref(arr);
    if (!one)
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown device");
    return hs_ok(r, one);
}

int hs_h_device_put(hs_req *r)
{
    json_t *dn = json_object_get(r->json, "display_name");
    sqlite3_stmt *st;

    if (dn && !json_is_string(dn))
        return hs_err(r, 400, "M_BAD_JSON", "display_name must be a string");
    st = hs_db_stmt(r->s, "UPDATE devices SET display_name=? WHERE user_id=? AND device_id=?");
    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, json_string_value(dn));
    hs_bind_text(st, 2, r->user_id);
    hs_bind_text(st, 3, r->segs[1]);
    if (hs_db_step_done(r->s, st))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    if (sqlite3_changes(r->s->db) == 0)
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown device");
    return hs_ok(r, NULL);
}
