/*
 * hs_keys.c - device keys, one-time and fallback keys, keys/query,
 * keys/claim, device list tracking (/sync device_lists, keys/changes) and
 * the E2EE fields of /sync.
 *
 * Spec: matrix-org/matrix-spec data/api/client-server/keys.yaml (upload,
 * query, claim, changes) and sync_events.yaml (device_lists,
 * device_one_time_keys_count, device_unused_fallback_key_types). Where the
 * spec leaves it open we do what Synapse does (element-hq/synapse
 * synapse/handlers/e2e_keys.py): a re-uploaded one-time key with a
 * different value is an error, the count always includes
 * signed_curve25519, and a claimed fallback key is marked used but kept.
 *
 * Device list changes are a per-user stream position (e2e_devlist); /sync
 * reports users who share a joined room with the viewer and whose position
 * or membership moved after `since`, and as `left` those who no longer
 * share any room.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_e2ee.h"

int hs_e2ee_mark_changed(hs *s, const char *user)
{
    sqlite3_stmt *st = hs_db_stmt(s, "INSERT OR REPLACE INTO e2e_devlist(user_id, stream) VALUES(?,?)");

    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, hs_stream_next(s));
    if (hs_db_step_done(s, st))
        return HS_ERR_DB;
    hs_sync_notify(s);
    return 0;
}

/* ---- keys/upload ---------------------------------------------------------- */

static json_t *otk_counts(hs *s, const char *user, const char *device)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT algorithm, COUNT(*) FROM e2e_otk "
                                     "WHERE user_id=? AND device_id=? GROUP BY algorithm");
    /* Synapse always reports signed_curve25519, even at 0 (e2e_keys.py
     * upload_keys_for_user / end_to_end_keys.py count_e2e_one_time_keys),
     * and clients upload more when they see it low. */
    json_t *o = json_pack("{s:i}", "signed_curve25519", 0);

    if (!st)
        return o;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, device);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(o, hs_col_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_reset(st);
    return o;
}

static json_t *unused_fallback(hs *s, const char *user, const char *device)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT algorithm FROM e2e_fallback "
                                     "WHERE user_id=? AND device_id=? AND used=0");
    json_t *a = json_array();

    if (!st)
        return a;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, device);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(a, json_string(hs_col_text(st, 0)));
    sqlite3_reset(st);
    return a;
}

/* Split "alg:id" into alg (NUL-terminated copy) and id. */
static const char *split_kid(const char *kid, char *alg, size_t n)
{
    const char *c = strchr(kid, ':');
    size_t len = c ? (size_t)(c - kid) : 0;

    if (!c || len >= n)
        return NULL;
    memcpy(alg, kid, len);
    alg[len] = '\0';
    return c + 1;
}

static int store_otks(hs_req *r, json_t *keys)
{
    hs *s = r->s;
    const char *kid;
    json_t *v;

    json_object_foreach(keys, kid, v) {
        char alg[128], *txt;
        const char *id = split_kid(kid, alg, sizeof(alg));
        sqlite3_stmt *st;
        int rc;
        if (!id)
            return hs_err(r, 400, "M_BAD_JSON", "bad key ID"), -1;
        txt = hs_canonical_json(v);
        if (!txt)
            return hs_err(r, 500, "M_UNKNOWN", "out of memory"), -1;
        st = hs_db_stmt(s, "SELECT json FROM e2e_otk WHERE user_id=? AND device_id=? "
                           "AND algorithm=? AND key_id=?");
        if (!st) {
            free(txt);
            return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
        }
        hs_bind_text(st, 1, r->user_id);
        hs_bind_text(st, 2, r->device_id);
        hs_bind_text(st, 3, alg);
        hs_bind_text(st, 4, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            /* same ID again: fine if the same key (a retried upload; its
             * signatures may differ), an error otherwise (Synapse
             * e2e_keys.py _one_time_keys_match: "One time key ... already
             * exists") */
            json_t *old = json_loads(hs_col_text(st, 0), JSON_DECODE_ANY, NULL);
            json_t *a = json_deep_copy(old), *b = json_deep_copy(v);
            int same;
            if (json_is_object(a) && json_is_object(b)) {
                json_object_del(a, "signatures");
                json_object_del(b, "signatures");
            }
            same = a && b && json_equal(a, b);
            json_decref(old);
            json_decref(a);
            json_decref(b);
            sqlite3_reset(st);
            free(txt);
            if (!same)
                return hs_err(r, 400, "M_INVALID_PARAM",
                              "One time key %s already exists with a different value", kid), -1;
            continue;
        }
        sqlite3_reset(st);
        st = hs_db_stmt(s, "INSERT INTO e2e_otk(user_id,device_id,algorithm,key_id,json) VALUES(?,?,?,?,?)");
        if (!st) {
            free(txt);
            return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
        }
        hs_bind_text(st, 1, r->user_id);
        hs_bind_text(st, 2, r->device_id);
        hs_bind_text(st, 3, alg);
        hs_bind_text(st, 4, id);
        hs_bind_text(st, 5, txt);
        free(txt);
        if (hs_db_step_done(s, st))
            return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
    }
    return 0;
}

static int store_fallback(hs_req *r, json_t *keys)
{
    hs *s = r->s;
    const char *kid;
    json_t *v;

    json_object_foreach(keys, kid, v) {
        char alg[128], *txt;
        const char *id = split_kid(kid, alg, sizeof(alg));
        sqlite3_stmt *st;
        if (!id)
            return hs_err(r, 400, "M_BAD_JSON", "bad key ID"), -1;
        txt = hs_canonical_json(v);
        /* One per algorithm; the same key again keeps its used flag. */
        st = hs_db_stmt(s, "INSERT INTO e2e_fallback(user_id,device_id,algorithm,key_id,json,used) "
                           "VALUES(?,?,?,?,?,0) ON CONFLICT(user_id,device_id,algorithm) DO UPDATE "
                           "SET used=CASE WHEN key_id=excluded.key_id AND json=excluded.json "
                           "THEN used ELSE 0 END, key_id=excluded.key_id, json=excluded.json");
        if (!st || !txt) {
            free(txt);
            return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
        }
        hs_bind_text(st, 1, r->user_id);
        hs_bind_text(st, 2, r->device_id);
        hs_bind_text(st, 3, alg);
        hs_bind_text(st, 4, id);
        hs_bind_text(st, 5, txt);
        free(txt);
        if (hs_db_step_done(s, st))
            return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
    }
    return 0;
}

static int store_device_keys(hs_req *r, json_t *dk)
{
    hs *s = r->s;
    sqlite3_stmt *st;
    json_t *c = json_deep_copy(dk);
    char *txt;
    int changed = 1;

    if (!c)
        return hs_err(r, 500, "M_UNKNOWN", "out of memory"), -1;
    json_object_del(c, "unsigned"); /* the server adds its own */
    txt = hs_canonical_json(c);
    json_decref(c);
    if (!txt)
        return hs_err(r, 500, "M_UNKNOWN", "out of memory"), -1;
    st = hs_db_stmt(s, "SELECT json FROM e2e_device_keys WHERE user_id=? AND device_id=?");
    if (st) {
        hs_bind_text(st, 1, r->user_id);
        hs_bind_text(st, 2, r->device_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            changed = strcmp(hs_col_text(st, 0), txt) != 0;
        sqlite3_reset(st);
    }
    if (!changed) {
        free(txt);
        return 0;
    }
    st = hs_db_stmt(s, "INSERT OR REPLACE INTO e2e_device_keys(user_id,device_id,json) VALUES(?,?,?)");
    if (!st) {
        free(txt);
        return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
    }
    hs_bind_text(st, 1, r->user_id);
    hs_bind_text(st, 2, r->device_id);
    hs_bind_text(st, 3, txt);
    free(txt);
    if (hs_db_step_done(s, st) || hs_e2ee_mark_changed(s, r->user_id))
        return hs_err(r, 500, "M_UNKNOWN", "database error"), -1;
    return 0;
}

int hs_h_keys_upload(hs_req *r)
{
    hs *s = r->s;
    json_t *dk = json_object_get(r->json, "device_keys");
    json_t *otk = json_object_get(r->json, "one_time_keys");
    json_t *fb = json_object_get(r->json, "fallback_keys");
    char why[256];

    if (!r->device_id[0])
        return hs_err(r, 400, "M_UNKNOWN", "this access token has no device");
    if (!fb) /* the unstable name of MSC2732, still sent by older clients */
        fb = json_object_get(r->json, "org.matrix.msc2732.fallback_keys");
    if (dk && !json_is_null(dk) &&
        hs_e2ee_check_device_keys(dk, r->user_id, r->device_id, why, sizeof(why)))
        return hs_err(r, 400, "M_INVALID_PARAM", "%s", why);
    if (otk && !json_is_null(otk) && hs_e2ee_check_key_map(otk, why, sizeof(why)))
        return hs_err(r, 400, "M_BAD_JSON", "one_time_keys: %s", why);
    if (fb && !json_is_null(fb) && hs_e2ee_check_key_map(fb, why, sizeof(why)))
        return hs_err(r, 400, "M_BAD_JSON", "fallback_keys: %s", why);
    /* all or nothing */
    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    if ((json_is_object(dk) && store_device_keys(r, dk)) ||
        (json_is_object(otk) && store_otks(r, otk)) ||
        (json_is_object(fb) && store_fallback(r, fb))) {
        hs_db_rollback(s);
        return HS_DONE; /* error set */
    }
    if (hs_db_commit(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    return hs_ok(r, json_pack("{s:o}", "one_time_key_counts", otk_counts(s, r->user_id, r->device_id)));
}

/* ---- keys/query ----------------------------------------------------------- */

static void add_device(hs *s, const char *viewer, const char *user, const char *dev,
                       const char *keys_json, json_t *out)
{
    json_t *k = json_loads(keys_json, 0, NULL);
    sqlite3_stmt *st;

    if (!json_is_object(k)) {
        json_decref(k);
        return;
    }
    hs_xsign_merge_sigs(s, viewer, user, dev, k);
    st = hs_db_stmt(s, "SELECT display_name FROM devices WHERE user_id=? AND device_id=? /*k*/");
    if (st) {
        hs_bind_text(st, 1, user);
        hs_bind_text(st, 2, dev);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            json_object_set_new(k, "unsigned", json_pack("{s:s}", "device_display_name",
                                                         hs_col_text(st, 0)));
        sqlite3_reset(st);
    }
    json_object_set_new(out, dev, k);
}

int hs_h_keys_query(hs_req *r)
{
    hs *s = r->s;
    json_t *want = json_object_get(r->json, "device_keys"), *devs, *resp, *dk, *v;
    const char *user;
    size_t i;

    if (!json_is_object(want))
        return hs_err(r, 400, "M_BAD_JSON", "device_keys must be an object");
    json_object_foreach(want, user, devs)
        if (!json_is_array(devs))
            return hs_err(r, 400, "M_BAD_JSON", "device_keys.%.64s must be a list", user);
    resp = json_pack("{s:{},s:{},s:{},s:{},s:{}}", "device_keys", "failures", "master_keys",
                     "self_signing_keys", "user_signing_keys");
    dk = json_object_get(resp, "device_keys");
    json_object_foreach(want, user, devs) {
        json_t *mine = json_object();
        if (!hs_user_is_local(s, user)) { /* no federation: unreachable */
            json_decref(mine);
            continue;
        }
        if (!json_array_size(devs)) {
            sqlite3_stmt *st = hs_db_stmt(s, "SELECT device_id, json FROM e2e_device_keys WHERE user_id=?");
            char **ids = NULL, **js = NULL;
            size_t n = 0, j;
            if (st) {
                hs_bind_text(st, 1, user);
                while (sqlite3_step(st) == SQLITE_ROW) {
                    char **a = realloc(ids, sizeof(char *) * (n + 1)), **b;
                    if (!a)
                        break;
                    ids = a;
                    if (!(b = realloc(js, sizeof(char *) * (n + 1))))
                        break;
                    js = b;
                    ids[n] = strdup(hs_col_text(st, 0));
                    js[n] = strdup(hs_col_text(st, 1));
                    n++;
                }
                sqlite3_reset(st);
            }
            /* statements are reused inside add_device: rows copied first */
            for (j = 0; j < n; j++) {
                if (ids[j] && js[j])
                    add_device(s, r->user_id, user, ids[j], js[j], mine);
                free(ids[j]);
                free(js[j]);
            }
            free(ids);
            free(js);
        } else {
            json_array_foreach(devs, i, v) {
                sqlite3_stmt *st;
                char *js = NULL;
                if (!json_is_string(v))
                    continue;
                st = hs_db_stmt(s, "SELECT json FROM e2e_device_keys WHERE user_id=? AND device_id=?");
                if (!st)
                    continue;
                hs_bind_text(st, 1, user);
                hs_bind_text(st, 2, json_string_value(v));
                if (sqlite3_step(st) == SQLITE_ROW)
                    js = strdup(hs_col_text(st, 0));
                sqlite3_reset(st);
                if (js)
                    add_device(s, r->user_id, user, json_string_value(v), js, mine);
                free(js);
            }
        }
        json_object_set_new(dk, user, mine);
        hs_xsign_query(s, r->user_id, user, resp);
    }
    return hs_ok(r, resp);
}

/* ---- keys/claim ----------------------------------------------------------- */

/* Claim one key of `alg` for (user, device) into out; in the caller's
 * transaction, so a key is handed out once. */
static int claim_one(hs *s, const char *user, const char *dev, const char *alg, json_t *out)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT key_id, json FROM e2e_otk WHERE user_id=? AND "
                                     "device_id=? AND algorithm=? ORDER BY key_id LIMIT 1");
    char kid[300], id[256], *js = NULL;
    json_t *k;

    if (!st)
        return HS_ERR_DB;
    if (strchr(alg, ':')) /* stored algorithms never hold one (split_kid) */
        return HS_ERR_NOTFOUND;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, dev);
    hs_bind_text(st, 3, alg);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(kid, sizeof(kid), "%s:%s", alg, hs_col_text(st, 0));
        snprintf(id, sizeof(id), "%s", hs_col_text(st, 0));
        js = strdup(hs_col_text(st, 1));
        sqlite3_reset(st);
        st = hs_db_stmt(s, "DELETE FROM e2e_otk WHERE user_id=? AND device_id=? AND algorithm=? AND key_id=?");
        if (!st || !js) {
            free(js);
            return HS_ERR_DB;
        }
        hs_bind_text(st, 1, user);
        hs_bind_text(st, 2, dev);
        hs_bind_text(st, 3, alg);
        hs_bind_text(st, 4, id);
        if (hs_db_step_done(s, st) || sqlite3_changes(s->db) != 1) {
            free(js);
            return HS_ERR_DB; /* never hand out a key that stays claimable */
        }
    } else {
        /* No one-time key left: the fallback key, marked used (keys.yaml,
         * POST keys/claim; Synapse end_to_end_keys.py claim_e2e_fallback_keys). */
        sqlite3_reset(st);
        st = hs_db_stmt(s, "SELECT key_id, json FROM e2e_fallback WHERE user_id=? AND device_id=? AND algorithm=?");
        if (!st)
            return HS_ERR_DB;
        hs_bind_text(st, 1, user);
        hs_bind_text(st, 2, dev);
        hs_bind_text(st, 3, alg);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_reset(st);
            return HS_ERR_NOTFOUND;
        }
        snprintf(kid, sizeof(kid), "%s:%s", alg, hs_col_text(st, 0));
        js = strdup(hs_col_text(st, 1));
        sqlite3_reset(st);
        st = hs_db_stmt(s, "UPDATE e2e_fallback SET used=1 WHERE user_id=? AND device_id=? AND algorithm=?");
        if (!st || !js) {
            free(js);
            return HS_ERR_DB;
        }
        hs_bind_text(st, 1, user);
        hs_bind_text(st, 2, dev);
        hs_bind_text(st, 3, alg);
        if (hs_db_step_done(s, st)) {
            free(js);
            return HS_ERR_DB;
        }
    }
    k = json_loads(js, JSON_DECODE_ANY, NULL);
    free(js);
    if (k)
        json_object_set_new(out, kid, k);
    return 0;
}

int hs_h_keys_claim(hs_req *r)
{
    hs *s = r->s;
    json_t *want = json_object_get(r->json, "one_time_keys"), *devs, *v, *resp, *otks;
    const char *user, *dev;

    if (!json_is_object(want))
        return hs_err(r, 400, "M_BAD_JSON", "one_time_keys must be an object");
    json_object_foreach(want, user, devs) {
        if (!json_is_object(devs))
            return hs_err(r, 400, "M_BAD_JSON", "one_time_keys.%.64s must be an object", user);
        json_object_foreach(devs, dev, v)
            if (!json_is_string(v))
                return hs_err(r, 400, "M_BAD_JSON", "algorithm must be a string");
    }
    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    resp = json_pack("{s:{},s:{}}", "one_time_keys", "failures");
    otks = json_object_get(resp, "one_time_keys");
    json_object_foreach(want, user, devs) {
        json_t *u = json_object();
        json_object_foreach(devs, dev, v) {
            json_t *d = json_object();
            int rc = claim_one(s, user, dev, json_string_value(v), d);
            if (rc == HS_ERR_DB) {
                json_decref(d);
                json_decref(u);
                json_decref(resp);
                hs_db_rollback(s);
                return hs_err(r, 500, "M_UNKNOWN", "database error");
            }
            if (json_object_size(d))
                json_object_set_new(u, dev, d);
            else
                json_decref(d);
        }
        if (json_object_size(u))
            json_object_set_new(otks, user, u);
        else
            json_decref(u);
    }
    if (hs_db_commit(s)) {
        json_decref(resp);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    return hs_ok(r, resp);
}

/* ---- device lists --------------------------------------------------------- */

/* Users sharing a joined room with viewer. */
#define SHARES_ROOM(u)                                                            \
    "EXISTS(SELECT 1 FROM members x JOIN members y ON x.room_id=y.room_id "      \
    "WHERE x.user_id=?1 AND x.membership='join' AND y.user_id=" u                \
    " AND y.membership='join')"

static void device_lists(hs *s, const char *viewer, int64_t since, int64_t now,
                         json_t *changed, json_t *left)
{
    json_t *seen = json_object();
    sqlite3_stmt *st;

    /* keys changed, for users we share a room with (and ourselves) */
    st = hs_db_stmt(s, "SELECT d.user_id FROM e2e_devlist d WHERE d.stream>?2 AND d.stream<=?3 "
                       "AND (d.user_id=?1 OR " SHARES_ROOM("d.user_id") ")");
    if (st) {
        hs_bind_text(st, 1, viewer);
        sqlite3_bind_int64(st, 2, since);
        sqlite3_bind_int64(st, 3, now);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_object_set_new(seen, hs_col_text(st, 0), json_true());
        sqlite3_reset(st);
    }
    /* started sharing a room: either of us joined since */
    st = hs_db_stmt(s, "SELECT DISTINCT b.user_id FROM members a JOIN members b ON a.room_id=b.room_id "
                       "WHERE a.user_id=?1 AND a.membership='join' AND b.membership='join' "
                       "AND b.user_id<>?1 AND (a.stream>?2 OR b.stream>?2)");
    if (st) {
        hs_bind_text(st, 1, viewer);
        sqlite3_bind_int64(st, 2, since);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_object_set_new(seen, hs_col_text(st, 0), json_true());
        sqlite3_reset(st);
    }
    {
        const char *u;
        json_t *v;
        json_object_foreach(seen, u, v)
            json_array_append_new(changed, json_string(u));
    }
    json_object_clear(seen);
    /* stopped sharing any room: one of us left a shared room since */
    st = hs_db_stmt(s, "SELECT DISTINCT b.user_id FROM members a JOIN members b ON a.room_id=b.room_id "
                       "WHERE a.user_id=?1 AND b.user_id<>?1 AND (a.stream>?2 OR b.stream>?2) "
                       "AND a.membership IN ('join','leave','ban') AND b.membership IN ('join','leave','ban') "
                       "AND (a.membership<>'join' OR b.membership<>'join') "
                       "AND NOT " SHARES_ROOM("b.user_id"));
    if (st) {
        hs_bind_text(st, 1, viewer);
        sqlite3_bind_int64(st, 2, since);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(left, json_string(hs_col_text(st, 0)));
        sqlite3_reset(st);
    }
    json_decref(seen);
}

int hs_h_keys_changes(hs_req *r)
{
    const char *from = hs_query(r, "from"), *to = hs_query(r, "to");
    int64_t f = from ? hs_token_parse(from) : -1, t = to ? hs_token_parse(to) : -1;
    json_t *changed = json_array(), *left = json_array();

    if (f < 0 || t < 0) {
        json_decref(changed);
        json_decref(left);
        return hs_err(r, 400, "M_INVALID_PARAM", "from and to must be sync tokens");
    }
    if (t > r->s->stream)
        t = r->s->stream;
    device_lists(r->s, r->user_id, f, t, changed, left);
    return hs_ok(r, json_pack("{s:o,s:o}", "changed", changed, "left", left));
}

int hs_e2ee_sync(hs_req *r, int64_t since, int64_t now, json_t *resp)
{
    hs *s = r->s;
    json_t *changed = json_array(), *left = json_array(), *td;
    int has = 0;

    if (r->device_id[0]) {
        json_object_set_new(resp, "device_one_time_keys_count",
                            otk_counts(s, r->user_id, r->device_id));
        json_object_set_new(resp, "device_unused_fallback_key_types",
                            unused_fallback(s, r->user_id, r->device_id));
        td = hs_todevice_take(s, r->user_id, r->device_id, since, now);
        if (json_array_size(td))
            has = 1;
        json_object_set_new(resp, "to_device", json_pack("{s:o}", "events", td));
    } else {
        json_object_set_new(resp, "to_device", json_pack("{s:[]}", "events"));
    }
    if (since >= 0)
        device_lists(s, r->user_id, since, now, changed, left);
    if (json_array_size(changed) || json_array_size(left))
        has = 1;
    json_object_set_new(resp, "device_lists", json_pack("{s:o,s:o}", "changed", changed,
                                                        "left", left));
    return has;
}
