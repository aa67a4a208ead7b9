/*
 * hs_backup.c - server-side key backup: room_keys/version[/{version}]
 * (POST create, GET, PUT auth_data, DELETE) and
 * room_keys/keys[/{roomId}[/{sessionId}]] (GET, PUT, DELETE) with etag and
 * count.
 *
 * Spec: matrix-org/matrix-spec data/api/client-server/key_backup.yaml.
 * The server stores only what clients encrypted (session_data); it keeps
 * the better of two copies of a session by the spec's order
 * (hs_e2ee_backup_better). Storing keys in a version that is not the
 * current one answers 403 M_WRONG_ROOM_KEYS_VERSION with current_version,
 * anything on an unknown version 404 M_NOT_FOUND (Synapse
 * synapse/handlers/e2e_room_keys.py). Every change bumps the etag.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_e2ee.h"

/* Current (newest, not deleted) version of user, 0 if none. */
static int64_t current_version(hs *s, const char *user)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT MAX(version) FROM e2e_backup_versions WHERE user_id=? AND deleted=0");
    int64_t v = 0;

    if (!st)
        return -1;
    hs_bind_text(st, 1, user);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

static int parse_version(const char *txt, int64_t *v)
{
    char *end;
    long long x;

    if (!txt || !*txt)
        return -1;
    x = strtoll(txt, &end, 10);
    if (*end || x <= 0)
        return -1;
    *v = x;
    return 0;
}

static int64_t key_count(hs *s, const char *user, int64_t v)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT COUNT(*) FROM e2e_backup_keys WHERE user_id=? AND version=?");
    int64_t n = 0;

    if (!st)
        return 0;
    hs_bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, v);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

static int64_t version_etag(hs *s, const char *user, int64_t v)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT etag FROM e2e_backup_versions WHERE user_id=? AND version=?");
    int64_t e = 0;

    if (!st)
        return 0;
    hs_bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, v);
    if (sqlite3_step(st) == SQLITE_ROW)
        e = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return e;
}

static int bump_etag(hs *s, const char *user, int64_t v)
{
    sqlite3_stmt *st = hs_db_stmt(s, "UPDATE e2e_backup_versions SET etag=etag+1 WHERE user_id=? AND version=?");

    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, v);
    return hs_db_step_done(s, st);
}

static int version_info(hs_req *r, int64_t v)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT algorithm, auth_data, etag FROM e2e_backup_versions "
                                        "WHERE user_id=? AND version=? AND deleted=0");
    json_t *o = NULL, *ad;
    char vs[32], es[32];

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, r->user_id);
    sqlite3_bind_int64(st, 2, v);
    if (sqlite3_step(st) == SQLITE_ROW) {
        ad = json_loads(hs_col_text(st, 1), 0, NULL);
        snprintf(vs, sizeof(vs), "%lld", (long long)v);
        snprintf(es, sizeof(es), "%lld", (long long)sqlite3_column_int64(st, 2));
        o = json_pack("{s:s,s:o,s:s,s:s}", "algorithm", hs_col_text(st, 0), "auth_data",
                      ad ? ad : json_object(), "version", vs, "etag", es);
    }
    sqlite3_reset(st);
    if (!o)
        return hs_err(r, 404, "M_NOT_FOUND", v ? "Unknown backup version" : "No current backup version");
    json_object_set_new(o, "count", json_integer(key_count(r->s, r->user_id, v)));
    return hs_ok(r, o);
}

int hs_h_room_keys_version(hs_req *r)
{
    hs *s = r->s;
    const char *m = r->method;
    int64_t v = 0;
    sqlite3_stmt *st;

    if (r->nseg > 2 && parse_version(r->segs[2], &v))
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown backup version");
    if (!strcmp(m, "GET"))
        return version_info(r, r->nseg > 2 ? v : current_version(s, r->user_id));
    if (!strcmp(m, "POST")) {
        const char *alg = json_string_value(json_object_get(r->json, "algorithm"));
        json_t *ad = json_object_get(r->json, "auth_data");
        char *txt, vs[32];
        if (!alg || !json_is_object(ad))
            return hs_err(r, 400, "M_BAD_JSON", "algorithm (string) and auth_data (object) are required");
        st = hs_db_stmt(s, "INSERT INTO e2e_backup_versions(user_id, version, algorithm, auth_data) "
                           "VALUES(?1, (SELECT COALESCE(MAX(version),0)+1 FROM e2e_backup_versions "
                           "WHERE user_id=?1), ?2, ?3)");
        txt = json_dumps(ad, JSON_COMPACT);
        if (!st || !txt) {
            free(txt);
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        }
        hs_bind_text(st, 1, r->user_id);
        hs_bind_text(st, 2, alg);
        hs_bind_text(st, 3, txt);
        free(txt);
        if (hs_db_step_done(s, st))
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        snprintf(vs, sizeof(vs), "%lld", (long long)current_version(s, r->user_id));
        return hs_ok(r, json_pack("{s:s}", "version", vs));
    }
    if (r->nseg <= 2)
        return hs_err(r, 405, "M_UNRECOGNIZED", "Method %s not allowed here", m);
    if (!strcmp(m, "PUT")) {
        const char *alg = json_string_value(json_object_get(r->json, "algorithm"));
        const char *bv = json_string_value(json_object_get(r->json, "version"));
        json_t *ad = json_object_get(r->json, "auth_data");
        char *txt;
        if (!alg || !json_is_object(ad))
            return hs_err(r, 400, "M_BAD_JSON", "algorithm (string) and auth_data (object) are required");
        if (bv && strcmp(bv, r->segs[2]))
            return hs_err(r, 400, "M_INVALID_PARAM", "version in body does not match the path");
        st = hs_db_stmt(s, "SELECT algorithm FROM e2e_backup_versions WHERE user_id=? AND version=? "
                           "AND deleted=0 /*put*/");
        if (!st)
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        hs_bind_text(st, 1, r->user_id);
        sqlite3_bind_int64(st, 2, v);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_reset(st);
            return hs_err(r, 404, "M_NOT_FOUND", "Unknown backup version");
        }
        if (strcmp(hs_col_text(st, 0), alg)) {
            sqlite3_reset(st);
            return hs_err(r, 400, "M_INVALID_PARAM", "Algorithm does not match");
        }
        sqlite3_reset(st);
        st = hs_db_stmt(s, "UPDATE e2e_backup_versions SET auth_data=? WHERE user_id=? AND version=?");
        txt = json_dumps(ad, JSON_COMPACT);
        if (!st || !txt) {
            free(txt);
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        }
        hs_bind_text(st, 1, txt);
        hs_bind_text(st, 2, r->user_id);
        sqlite3_bind_int64(st, 3, v);
        free(txt);
        if (hs_db_step_done(s, st))
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        return hs_ok(r, NULL);
    }
    /* DELETE: the version and its keys; deleting it again succeeds (the
     * spec: "If the backup was previously deleted, the call should
     * succeed") */
    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    st = hs_db_stmt(s, "UPDATE e2e_backup_versions SET deleted=1 WHERE user_id=? AND version=?");
    if (st) {
        hs_bind_text(st, 1, r->user_id);
        sqlite3_bind_int64(st, 2, v);
    }
    if (!st || hs_db_step_done(s, st)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    if (!sqlite3_changes(s->db)) {
        hs_db_rollback(s);
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown backup version");
    }
    st = hs_db_stmt(s, "DELETE FROM e2e_backup_keys WHERE user_id=? AND version=? /*v*/");
    if (st) {
        hs_bind_text(st, 1, r->user_id);
        sqlite3_bind_int64(st, 2, v);
    }
    if (!st || hs_db_step_done(s, st) || hs_db_commit(s)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    return hs_ok(r, NULL);
}

/* ---- keys ----------------------------------------------------------------- */

/* Store one session if better than what is there; *changed set. */
static int put_session(hs *s, const char *user, int64_t v, const char *room,
                       const char *sid, json_t *data, int *changed)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT json FROM e2e_backup_keys WHERE user_id=? AND version=? "
                                     "AND room_id=? AND session_id=?");
    json_t *cur = NULL;
    char *txt;
    int better;

    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, v);
    hs_bind_text(st, 3, room);
    hs_bind_text(st, 4, sid);
    if (sqlite3_step(st) == SQLITE_ROW)
        cur = json_loads(hs_col_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    better = hs_e2ee_backup_better(data, cur);
    json_decref(cur);
    if (!better)
        return 0;
    st = hs_db_stmt(s, "INSERT OR REPLACE INTO e2e_backup_keys(user_id, version, room_id, session_id, json) "
                       "VALUES(?,?,?,?,?)");
    txt = json_dumps(data, JSON_COMPACT);
    if (!st || !txt) {
        free(txt);
        return HS_ERR_DB;
    }
    hs_bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, v);
    hs_bind_text(st, 3, room);
    hs_bind_text(st, 4, sid);
    hs_bind_text(st, 5, txt);
    free(txt);
    *changed = 1;
    return hs_db_step_done(s, st);
}

static int check_sessions(hs_req *r, json_t *sessions)
{
    const char *sid;
    json_t *d;
    char why[200];

    if (!json_is_object(sessions))
        return hs_err(r, 400, "M_BAD_JSON", "sessions must be an object"), -1;
    json_object_foreach(sessions, sid, d)
        if (hs_e2ee_check_backup_key(d, why, sizeof(why)))
            return hs_err(r, 400, "M_BAD_JSON", "session %.64s: %s", sid, why), -1;
    return 0;
}

static int keys_put(hs_req *r, int64_t v)
{
    hs *s = r->s;
    json_t *rooms, *room_o, *d;
    const char *room, *sid;
    int changed = 0, rc = 0;
    char es[32];

    /* normalise the three shapes to {rooms: {room: {sessions: {sid: data}}}} */
    if (r->nseg == 2) {
        rooms = json_incref(json_object_get(r->json, "rooms"));
    } else if (r->nseg == 3) {
        rooms = json_pack("{s:O}", r->segs[2], r->json);
    } else {
        rooms = json_pack("{s:{s:{s:O}}}", r->segs[2], "sessions", r->segs[3], r->json);
    }
    if (!json_is_object(rooms)) {
        json_decref(rooms);
        return hs_err(r, 400, "M_BAD_JSON", "rooms must be an object");
    }
    json_object_foreach(rooms, room, room_o)
        if (check_sessions(r, json_object_get(room_o, "sessions"))) {
            json_decref(rooms);
            return HS_DONE;
        }
    if (hs_db_begin(s)) {
        json_decref(rooms);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    json_object_foreach(rooms, room, room_o)
        json_object_foreach(json_object_get(room_o, "sessions"), sid, d)
            if (!rc)
                rc = put_session(s, r->user_id, v, room, sid, d, &changed);
    json_decref(rooms);
    if (rc || (changed && bump_etag(s, r->user_id, v)) || hs_db_commit(s)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    snprintf(es, sizeof(es), "%lld", (long long)version_etag(s, r->user_id, v));
    return hs_ok(r, json_pack("{s:s,s:I}", "etag", es, "count",
                              (json_int_t)key_count(s, r->user_id, v)));
}

static int keys_get(hs_req *r, int64_t v)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT room_id, session_id, json FROM e2e_backup_keys WHERE "
                                        "user_id=?1 AND version=?2 AND (?3 IS NULL OR room_id=?3) "
                                        "AND (?4 IS NULL OR session_id=?4)");
    json_t *rooms = json_object();

    if (!st) {
        json_decref(rooms);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    hs_bind_text(st, 1, r->user_id);
    sqlite3_bind_int64(st, 2, v);
    hs_bind_text(st, 3, r->nseg > 2 ? r->segs[2] : NULL);
    hs_bind_text(st, 4, r->nseg > 3 ? r->segs[3] : NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *room, *d = json_loads(hs_col_text(st, 2), 0, NULL);
        if (!d)
            continue;
        if (!(room = json_object_get(rooms, hs_col_text(st, 0))))
            json_object_set_new(rooms, hs_col_text(st, 0),
                                room = json_pack("{s:{}}", "sessions"));
        json_object_set_new(json_object_get(room, "sessions"), hs_col_text(st, 1), d);
    }
    sqlite3_reset(st);
    if (r->nseg == 2)
        return hs_ok(r, json_pack("{s:o}", "rooms", rooms));
    if (r->nseg == 3) {
        json_t *room = json_incref(json_object_get(rooms, r->segs[2]));
        json_decref(rooms);
        return hs_ok(r, room ? room : json_pack("{s:{}}", "sessions"));
    }
    {
        json_t *d = json_incref(json_object_get(json_object_get(json_object_get(rooms, r->segs[2]),
                                                                "sessions"), r->segs[3]));
        json_decref(rooms);
        if (!d)
            return hs_err(r, 404, "M_NOT_FOUND", "No room_keys found");
        return hs_ok(r, d);
    }
}

static int keys_delete(hs_req *r, int64_t v)
{
    hs *s = r->s;
    sqlite3_stmt *st = hs_db_stmt(s, "DELETE FROM e2e_backup_keys WHERE user_id=?1 AND version=?2 AND "
                                     "(?3 IS NULL OR room_id=?3) AND (?4 IS NULL OR session_id=?4)");
    char es[32];

    if (!st || hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, r->user_id);
    sqlite3_bind_int64(st, 2, v);
    hs_bind_text(st, 3, r->nseg > 2 ? r->segs[2] : NULL);
    hs_bind_text(st, 4, r->nseg > 3 ? r->segs[3] : NULL);
    if (hs_db_step_done(s, st) || (sqlite3_changes(s->db) && bump_etag(s, r->user_id, v)) ||
        hs_db_commit(s)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    snprintf(es, sizeof(es), "%lld", (long long)version_etag(s, r->user_id, v));
    return hs_ok(r, json_pack("{s:s,s:I}", "etag", es, "count",
                              (json_int_t)key_count(s, r->user_id, v)));
}

int hs_h_room_keys(hs_req *r)
{
    int64_t v, cur = current_version(r->s, r->user_id);
    sqlite3_stmt *st;
    int exists = 0;

    if (parse_version(hs_query(r, "version"), &v))
        return hs_err(r, 400, "M_MISSING_PARAM", "the version query parameter is required");
    /* only writes must go to the current version (403 with it) */
    if (!strcmp(r->method, "PUT") && v != cur) {
        json_t *o;
        char cs[32];
        hs_err(r, 403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version");
        snprintf(cs, sizeof(cs), "%lld", (long long)cur);
        o = r->resp;
        if (cur > 0)
            json_object_set_new(o, "current_version", json_string(cs));
        else
            return hs_err(r, 404, "M_NOT_FOUND", "No current backup version");
        return HS_DONE;
    }
    st = hs_db_stmt(r->s, "SELECT 1 FROM e2e_backup_versions WHERE user_id=? AND version=? AND deleted=0 /*k*/");
    if (st) {
        hs_bind_text(st, 1, r->user_id);
        sqlite3_bind_int64(st, 2, v);
        exists = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    if (!exists)
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown backup version");
    if (!strcmp(r->method, "GET"))
        return keys_get(r, v);
    if (!strcmp(r->method, "PUT"))
        return keys_put(r, v);
    return keys_delete(r, v);
}
