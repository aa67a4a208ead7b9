/*
 * hs_rooms.c - writing to rooms: building, authorising and persisting events
 * (hs_room_send), createRoom, join/invite/leave/kick/ban, send, state PUT
 * and redact. Every event goes through hs_event_auth against the current
 * state, gets a reference-hash ID, prev_events/auth_events/depth, a stream
 * position, and is announced to sync waiters and modules.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

static void state_key_join(char *k, size_t n, const char *type, const char *sk)
{
    snprintf(k, n, "%s\x1f%s", type, sk ? sk : "");
}

json_t *hs_room_state(hs *s, const char *room_id)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT s.type, s.state_key, e.json FROM state s "
                                     "JOIN events e ON e.event_id=s.event_id WHERE s.room_id=?");
    json_t *o = json_object();

    if (!st || !o)
        return o;
    hs_bind_text(st, 1, room_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char k[512];
        json_t *ev = json_loads(hs_col_text(st, 2), 0, NULL);
        state_key_join(k, sizeof(k), hs_col_text(st, 0), hs_col_text(st, 1));
        if (ev)
            json_object_set_new(o, k, ev);
    }
    sqlite3_reset(st);
    return o;
}

const char *hs_membership(hs *s, const char *room_id, const char *user_id,
                          char buf[16])
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT membership FROM members WHERE room_id=? AND user_id=?");
    const char *res = NULL;

    if (!st)
        return NULL;
    hs_bind_text(st, 1, room_id);
    hs_bind_text(st, 2, user_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, 16, "%s", hs_col_text(st, 0));
        res = buf;
    }
    sqlite3_reset(st);
    return res;
}

static int room_info(hs *s, const char *room_id, char ver[8], int64_t *depth,
                     char last[80])
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT version, depth, last_event FROM rooms WHERE room_id=?");
    int rc = HS_ERR_NOTFOUND;

    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, room_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(ver, 8, "%s", hs_col_text(st, 0));
        *depth = sqlite3_column_int64(st, 1);
        snprintf(last, 80, "%s", hs_col_text(st, 2));
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

/*
 * Transaction IDs are scoped as Synapse scopes them
 * (element-hq/synapse synapse/rest/client/transactions.py,
 * HttpTransactionCache._get_transaction_key): the key is the request path
 * (which holds the room, the event type or redacted event, and the txnId)
 * plus the requester's user and device. Synapse keys appservice requests by
 * (path, appservice ID); a module's request keeps its user in the key, which
 * is stricter: two users of one module never share a transaction. Here the
 * path is the decoded segments after the API prefix, so /r0 and /v3
 * spellings of one request are the same transaction. Keys are stored, not
 * cached for 30 minutes as in Synapse, so a retry after a restart is
 * idempotent too.
 */
static char *txn_key(const hs_req *r)
{
    size_t n = 1, i;
    char *k, *p;

    for (i = 0; i < (size_t)r->nseg; i++)
        n += strlen(r->segs[i]) + 1;
    if (!(k = malloc(n)))
        return NULL;
    for (i = 0, p = k; i < (size_t)r->nseg; i++) {
        size_t l = strlen(r->segs[i]);
        if (i)
            *p++ = '/';
        memcpy(p, r->segs[i], l);
        p += l;
    }
    *p = '\0';
    return k;
}

static int txn_lookup(hs *s, const char *user, const char *dev,
                      const char *key, char out[64])
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT event_id FROM txn_paths WHERE user_id=? AND device_id=? AND path=?");
    int found = 0;

    if (!st)
        return 0;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, dev);
    hs_bind_text(st, 3, key);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, 64, "%s", hs_col_text(st, 0));
        found = 1;
    }
    sqlite3_reset(st);
    return found;
}

int hs_txn_seen(hs_req *r, char out[64])
{
    char *k = txn_key(r);
    int found = k && txn_lookup(r->s, r->user_id, r->device_id, k, out);

    free(k);
    return found;
}

static void add_auth(json_t *arr, const json_t *state, const char *type,
                     const char *sk)
{
    char k[512];
    const char *id;

    state_key_join(k, sizeof(k), type, sk);
    id = json_string_value(json_object_get(json_object_get(state, k), "event_id"));
    if (id) {
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
            if (!strcmp(json_string_value(v), id))
                return;
        json_array_append_new(arr, json_string(id));
    }
}

static int persist(hs *s, json_t *pdu, const char *event_id, int64_t stream,
                   const char *txn_id, const char *txn_dev, const char *txn_user,
                   const char *txn_path)
{
    const char *room = json_string_value(json_object_get(pdu, "room_id"));
    const char *type = json_string_value(json_object_get(pdu, "type"));
    const char *sk = json_string_value(json_object_get(pdu, "state_key"));
    const char *redacts = json_string_value(json_object_get(pdu, "redacts"));
    json_t *rel = json_object_get(json_object_get(pdu, "content"), "m.relates_to");
    char *txt = json_dumps(pdu, JSON_COMPACT);
    sqlite3_stmt *st;
    int rc = HS_ERR_DB;

    if (!txt)
        return UT_ERR_NOMEM;
    st = hs_db_stmt(s, "INSERT INTO events(stream,event_id,room_id,type,state_key,sender,json,"
                       "txn_id,txn_device,relates_to,rel_type) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, stream);
    hs_bind_text(st, 2, event_id);
    hs_bind_text(st, 3, room);
    hs_bind_text(st, 4, type);
    hs_bind_text(st, 5, sk);
    hs_bind_text(st, 6, json_string_value(json_object_get(pdu, "sender")));
    hs_bind_text(st, 7, txt);
    hs_bind_text(st, 8, txn_id);
    hs_bind_text(st, 9, txn_id ? txn_dev : NULL);
    hs_bind_text(st, 10, json_string_value(json_object_get(rel, "event_id")));
    hs_bind_text(st, 11, json_string_value(json_object_get(rel, "rel_type")));
    if (hs_db_step_done(s, st))
        goto out;
    if (sk) {
        st = hs_db_stmt(s, "INSERT OR REPLACE INTO state(room_id,type,state_key,event_id,stream) VALUES(?,?,?,?,?)");
        if (!st)
            goto out;
        hs_bind_text(st, 1, room);
        hs_bind_text(st, 2, type);
        hs_bind_text(st, 3, sk);
        hs_bind_text(st, 4, event_id);
        sqlite3_bind_int64(st, 5, stream);
        if (hs_db_step_done(s, st))
            goto out;
    }
    if (sk && !strcmp(type, "m.room.member")) {
        st = hs_db_stmt(s, "INSERT OR REPLACE INTO members(room_id,user_id,membership,stream) VALUES(?,?,?,?)");
        if (!st)
            goto out;
        hs_bind_text(st, 1, room);
        hs_bind_text(st, 2, sk);
        hs_bind_text(st, 3, json_string_value(json_object_get(json_object_get(pdu, "content"), "membership")));
        sqlite3_bind_int64(st, 4, stream);
        if (hs_db_step_done(s, st))
            goto out;
    }
    if (redacts) {
        st = hs_db_stmt(s, "UPDATE events SET redacted_by=? WHERE event_id=? AND room_id=? AND redacted_by IS NULL");
        if (!st)
            goto out;
        hs_bind_text(st, 1, event_id);
        hs_bind_text(st, 2, redacts);
        hs_bind_text(st, 3, room);
        if (hs_db_step_done(s, st))
            goto out;
    }
    st = hs_db_stmt(s, "UPDATE rooms SET depth=?, last_event=? WHERE room_id=?");
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(pdu, "depth")));
    hs_bind_text(st, 2, event_id);
    hs_bind_text(st, 3, room);
    if (hs_db_step_done(s, st))
        goto out;
    if (txn_path) {
        st = hs_db_stmt(s, "INSERT OR IGNORE INTO txn_paths(user_id,device_id,path,event_id) VALUES(?,?,?,?)");
        if (!st)
            goto out;
        hs_bind_text(st, 1, txn_user);
        hs_bind_text(st, 2, txn_dev);
        hs_bind_text(st, 3, txn_path);
        hs_bind_text(st, 4, event_id);
        if (hs_db_step_done(s, st))
            goto out;
    }
    rc = 0;
out:
    free(txt);
    return rc;
}

/* The event a redaction names, if it is in the same room (else NULL). */
static json_t *load_original(hs *s, const char *room_id, const char *event_id)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT json FROM events WHERE event_id=? AND room_id=? /*orig*/");
    json_t *ev = NULL;

    if (!st || !event_id)
        return NULL;
    hs_bind_text(st, 1, event_id);
    hs_bind_text(st, 2, room_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        ev = json_loads(hs_col_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    return ev;
}

int hs_room_send(hs *s, hs_req *r, const char *room_id, const char *sender,
                 const char *type, const char *state_key, json_t *content,
                 const char *redacts, const char *txn_id, char out[64])
{
    char ver[8], last[80], why[256], eid[64];
    const char *dev = r ? r->device_id : "";
    int64_t depth, stream;
    json_t *state = NULL, *pdu = NULL, *auth, *original = NULL;
    char *tkey = txn_id && r ? txn_key(r) : NULL;
    int rc;

    if (txn_id && r && !tkey) {
        hs_err(r, 500, "M_UNKNOWN", "out of memory");
        return UT_ERR_NOMEM;
    }
    if (tkey && txn_lookup(s, sender, dev, tkey, out)) {
        free(tkey);
        return 0; /* a retry: same event, nothing new */
    }
    rc = room_info(s, room_id, ver, &depth, last);
    if (rc) {
        if (r)
            hs_err(r, 404, "M_NOT_FOUND", "Unknown room");
        free(tkey);
        return rc;
    }
    state = hs_room_state(s, room_id);
    pdu = json_pack("{s:s,s:s,s:s,s:O,s:I,s:I,s:[],s:[]}", "room_id", room_id,
                    "sender", sender, "type", type, "content", content,
                    "origin_server_ts", (json_int_t)(r && r->ts_override ? r->ts_override : ut_now_ms()),
                    "depth", (json_int_t)(depth + 1), "prev_events", "auth_events");
    if (!state || !pdu) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (last[0])
        json_array_append_new(json_object_get(pdu, "prev_events"), json_string(last));
    if (state_key)
        json_object_set_new(pdu, "state_key", json_string(state_key));
    if (redacts) {
        /* `redacts` may point into content (a /send redaction): set the
         * content's copy last, it frees the old string */
        json_object_set_new(pdu, "redacts", json_string(redacts));
        redacts = json_string_value(json_object_get(pdu, "redacts"));
        json_object_set_new(json_object_get(pdu, "content"), "redacts", json_string(redacts));
    }
    auth = json_object_get(pdu, "auth_events");
    if (strcmp(type, "m.room.create")) {
        add_auth(auth, state, "m.room.create", "");
        add_auth(auth, state, "m.room.power_levels", "");
        add_auth(auth, state, "m.room.member", sender);
        if (!strcmp(type, "m.room.member") && state_key) {
            add_auth(auth, state, "m.room.member", state_key);
            add_auth(auth, state, "m.room.join_rules", "");
        }
    }
    if (state_key) { /* unsigned is outside the hashes: clients read it */
        char k[512];
        json_t *prev;
        state_key_join(k, sizeof(k), type, state_key);
        prev = json_object_get(json_object_get(state, k), "content");
        if (prev)
            json_object_set_new(pdu, "unsigned", json_pack("{s:O,s:O}", "prev_content", prev,
                                "replaces_state", json_object_get(json_object_get(state, k), "event_id")));
    }
    if (!strcmp(type, "m.room.redaction"))
        original = load_original(s, room_id, redacts);
    if (hs_event_auth_with(state, pdu, original, why, sizeof(why))) {
        if (r)
            hs_err(r, 403, "M_FORBIDDEN", "%s", why);
        rc = HS_ERR_FORBIDDEN;
        goto out;
    }
    if ((rc = hs_event_hash(pdu)) || (rc = hs_event_id(pdu, ver, eid)))
        goto out;
    json_object_set_new(pdu, "event_id", json_string(eid));
    if ((rc = hs_db_begin(s)))
        goto out;
    stream = hs_stream_next(s);
    rc = persist(s, pdu, eid, stream, txn_id, dev, sender, tkey);
    if (!rc) /* queued for modules in the same transaction as the event */
        rc = hs_modules_event(s, room_id, stream,
                              !strcmp(type, "m.room.member") ? state_key : NULL);
    if (rc) {
        hs_db_rollback(s);
        if (r)
            hs_err(r, 500, "M_UNKNOWN", "cannot store the event");
        goto out;
    }
    if ((rc = hs_db_commit(s)))
        goto out;
    snprintf(out, 64, "%s", eid);
    hs_sync_notify(s);
out:
    if (rc && r && !r->resp)
        hs_err(r, 500, "M_UNKNOWN", "%s", hs_strerror(rc));
    json_decref(state);
    json_decref(pdu);
    json_decref(original);
    free(tkey);
    return rc;
}

/* ---- handlers ------------------------------------------------------------ */

static json_t *profile_content(hs *s, const char *user, const char *membership)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT displayname, avatar_url FROM users WHERE user_id=?");
    json_t *c = json_pack("{s:s}", "membership", membership);

    if (!st)
        return c;
    hs_bind_text(st, 1, user);
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            json_object_set_new(c, "displayname", json_string(hs_col_text(st, 0)));
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            json_object_set_new(c, "avatar_url", json_string(hs_col_text(st, 1)));
    }
    sqlite3_reset(st);
    return c;
}

/* Make sure an invited local user exists; module namespace users are
 * created on demand after asking the module (as the AS /users query). */
static int target_ok(hs *s, const char *user)
{
    char lp[256];

    if (hs_user_exists(s, user))
        return 1;
    if (hs_localpart(s, user, lp, sizeof(lp)))
        return 0; /* remote users: no federation */
    if (s->host) {
        host_module *m = host_user_owner(s->host, lp);
        if (m && host_module_query_user(m, user))
            return hs_user_create(s, lp, NULL, 0, NULL, 0) == 0;
    }
    return 0;
}

static void merge(json_t *dst, json_t *src)
{
    if (json_is_object(src))
        json_object_update(dst, src);
}

/* 1 when createRoom's initial_state sets the state event (type, ""). */
static int initial_has(json_t *init, const char *type)
{
    json_t *v;
    size_t i;

    json_array_foreach(init, i, v) {
        const char *t = json_string_value(json_object_get(v, "type"));
        const char *k = json_string_value(json_object_get(v, "state_key"));
        if (t && !strcmp(t, type) && (!k || !*k))
            return 1;
    }
    return 0;
}

int hs_h_create_room(hs_req *r)
{
    hs *s = r->s;
    json_t *b = r->json, *v, *c = NULL, *pl = NULL;
    const char *preset = json_string_value(json_object_get(b, "preset"));
    const char *vis = json_string_value(json_object_get(b, "visibility"));
    const char *ver = json_string_value(json_object_get(b, "room_version"));
    const char *name = json_string_value(json_object_get(b, "name"));
    const char *topic = json_string_value(json_object_get(b, "topic"));
    json_t *invite = json_object_get(b, "invite"), *init = json_object_get(b, "initial_state");
    int is_direct = json_is_true(json_object_get(b, "is_direct"));
    char room_id[300], rnd[19], eid[64];
    unsigned char raw[18];
    sqlite3_stmt *st;
    size_t i;
    int rc = -1;

    if (!ver)
        ver = "10";
    if (strcmp(ver, "10") && strcmp(ver, "11"))
        return hs_err(r, 400, "M_UNSUPPORTED_ROOM_VERSION", "Room version %s is not supported (10, 11)", ver);
    if (!preset)
        preset = vis && !strcmp(vis, "public") ? "public_chat" : "private_chat";
    if (strcmp(preset, "public_chat") && strcmp(preset, "private_chat") &&
        strcmp(preset, "trusted_private_chat"))
        return hs_err(r, 400, "M_INVALID_PARAM", "unknown preset");
    if (invite && !json_is_array(invite))
        return hs_err(r, 400, "M_BAD_JSON", "invite must be a list");
    json_array_foreach(invite, i, v)
        if (!json_is_string(v) || !target_ok(s, json_string_value(v)))
            return hs_err(r, 404, "M_NOT_FOUND", "Unknown user %s", json_is_string(v) ? json_string_value(v) : "?");
    if (ut_random(raw, sizeof(raw)))
        return hs_err(r, 500, "M_UNKNOWN", "no randomness");
    for (i = 0; i < sizeof(raw); i++)
        rnd[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[raw[i] % 52];
    rnd[sizeof(raw)] = '\0';
    snprintf(room_id, sizeof(room_id), "!%s:%s", rnd, s->cfg.server_name);

    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    st = hs_db_stmt(s, "INSERT INTO rooms(room_id,version,creator) VALUES(?,?,?)");
    if (!st)
        goto out;
    hs_bind_text(st, 1, room_id);
    hs_bind_text(st, 2, ver);
    hs_bind_text(st, 3, r->user_id);
    if (hs_db_step_done(s, st))
        goto out;

    c = json_object();
    merge(c, json_object_get(b, "creation_content"));
    json_object_set_new(c, "room_version", json_string(ver));
    json_object_set_new(c, "creator", json_string(r->user_id)); /* nio needs it */
    if (hs_room_send(s, r, room_id, r->user_id, "m.room.create", "", c, NULL, NULL, eid))
        goto out;
    json_decref(c);
    c = profile_content(s, r->user_id, "join");
    if (hs_room_send(s, r, room_id, r->user_id, "m.room.member", r->user_id, c, NULL, NULL, eid))
        goto out;
    json_decref(c);
    pl = json_pack("{s:{s:i},s:i,s:{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i},s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
                   "users", r->user_id, 100, "users_default", 0, "events",
                   "m.room.name", 50, "m.room.power_levels", 100, "m.room.history_visibility", 100,
                   "m.room.canonical_alias", 50, "m.room.avatar", 50, "m.room.tombstone", 100,
                   "m.room.server_acl", 100, "m.room.encryption", 100, "events_default", 0,
                   "state_default", 50, "ban", 50, "kick", 50, "redact", 50,
                   "invite", strcmp(preset, "public_chat") ? 0 : 50, "historical", 100);
    if (!strcmp(preset, "trusted_private_chat"))
        json_array_foreach(invite, i, v)
            json_object_set_new(json_object_get(pl, "users"), json_string_value(v), json_integer(100));
    merge(pl, json_object_get(b, "power_level_content_override"));
    if (hs_room_send(s, r, room_id, r->user_id, "m.room.power_levels", "", pl, NULL, NULL, eid))
        goto out;
    /* initial_state takes precedence over the preset's events: the preset's
     * are not sent when initial_state has the same type (Synapse
     * handlers/room.py _send_events_for_new_room does the same), so a room
     * has one join rule event, not two. */
    if (!initial_has(init, "m.room.join_rules")) {
        c = json_pack("{s:s}", "join_rule", strcmp(preset, "public_chat") ? "invite" : "public");
        if (hs_room_send(s, r, room_id, r->user_id, "m.room.join_rules", "", c, NULL, NULL, eid))
            goto out;
        json_decref(c);
    }
    if (!initial_has(init, "m.room.history_visibility")) {
        c = json_pack("{s:s}", "history_visibility", "shared");
        if (hs_room_send(s, r, room_id, r->user_id, "m.room.history_visibility", "", c, NULL, NULL, eid))
            goto out;
        json_decref(c);
    }
    /* No m.room.guest_access from a preset: mxhs has no guest accounts
     * (hs_h_register refuses kind=guest), and an absent event means
     * "forbidden" (spec, m.room.guest_access), which is the truth here.
     * The private_chat presets' "can_join" only made clients say "made the
     * room open to guests" in every room (issue #13). Synapse, too, sends
     * none for public_chat, whose value would be "forbidden". A client may
     * still set one in initial_state or later. */
    c = NULL;
    json_array_foreach(init, i, v) {
        const char *t = json_string_value(json_object_get(v, "type"));
        const char *k = json_string_value(json_object_get(v, "state_key"));
        json_t *ct = json_object_get(v, "content");
        if (!t || !json_is_object(ct)) {
            hs_err(r, 400, "M_BAD_JSON", "initial_state entries need type and content");
            goto out;
        }
        if (hs_room_send(s, r, room_id, r->user_id, t, k ? k : "", ct, NULL, NULL, eid))
            goto out;
    }
    if (name) {
        c = json_pack("{s:s}", "name", name);
        if (hs_room_send(s, r, room_id, r->user_id, "m.room.name", "", c, NULL, NULL, eid))
            goto out;
        json_decref(c);
        c = NULL;
    }
    if (topic) {
        c = json_pack("{s:s}", "topic", topic);
        if (hs_room_send(s, r, room_id, r->user_id, "m.room.topic", "", c, NULL, NULL, eid))
            goto out;
        json_decref(c);
        c = NULL;
    }
    json_array_foreach(invite, i, v) {
        c = profile_content(s, json_string_value(v), "invite");
        if (is_direct)
            json_object_set_new(c, "is_direct", json_true());
        if (hs_room_send(s, r, room_id, r->user_id, "m.room.member", json_string_value(v), c, NULL, NULL, eid))
            goto out;
        json_decref(c);
        c = NULL;
    }
    rc = 0;
out:
    json_decref(c);
    json_decref(pl);
    if (rc) {
        hs_db_rollback(s);
        if (!r->resp || r->status == 200)
            hs_err(r, 500, "M_UNKNOWN", "cannot create the room");
        return HS_DONE;
    }
    if (hs_db_commit(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_logf(s, UT_LOG_INFO, "room %s created", room_id);
    return hs_ok(r, json_pack("{s:s}", "room_id", room_id));
}

int hs_h_join(hs_req *r)
{
    const char *room = r->segs[0][0] == 'r' && !strcmp(r->segs[0], "rooms") ? r->segs[1] : r->segs[1];
    char buf[16], eid[64];
    const char *m;
    json_t *c;
    int rc;

    if (room[0] == '#')
        return hs_err(r, 404, "M_NOT_FOUND", "Room aliases are not supported");
    m = hs_membership(r->s, room, r->user_id, buf);
    if (m && !strcmp(m, "join"))
        return hs_ok(r, json_pack("{s:s}", "room_id", room));
    c = profile_content(r->s, r->user_id, "join");
    if (json_is_string(json_object_get(r->json, "reason")))
        json_object_set(c, "reason", json_object_get(r->json, "reason"));
    rc = hs_room_send(r->s, r, room, r->user_id, "m.room.member", r->user_id, c, NULL, NULL, eid);
    json_decref(c);
    if (rc)
        return HS_DONE;
    return hs_ok(r, json_pack("{s:s}", "room_id", room));
}

int hs_h_membership(hs_req *r)
{
    const char *room = r->segs[1], *op = r->segs[2];
    const char *target = json_string_value(json_object_get(r->json, "user_id"));
    const char *mem;
    char buf[16], eid[64];
    json_t *c;
    int rc;

    if (!strcmp(op, "forget"))
        return hs_ok(r, NULL);
    if (!strcmp(op, "leave")) {
        target = r->user_id;
        mem = "leave";
    } else if (!target) {
        return hs_err(r, 400, "M_MISSING_PARAM", "user_id is required");
    } else if (!strcmp(op, "invite")) {
        mem = "invite";
        if (!target_ok(r->s, target))
            return hs_err(r, 404, "M_NOT_FOUND", "Unknown user %s", target);
    } else if (!strcmp(op, "kick")) {
        mem = "leave";
        if (!hs_membership(r->s, room, target, buf) || !strcmp(buf, "leave") || !strcmp(buf, "ban"))
            return hs_err(r, 403, "M_FORBIDDEN", "%s is not in the room", target);
    } else if (!strcmp(op, "ban")) {
        mem = "ban";
    } else { /* unban */
        mem = "leave";
        if (!hs_membership(r->s, room, target, buf) || strcmp(buf, "ban"))
            return hs_err(r, 403, "M_FORBIDDEN", "%s is not banned", target);
    }
    c = !strcmp(mem, "invite") ? profile_content(r->s, target, mem)
                               : json_pack("{s:s}", "membership", mem);
    if (json_is_string(json_object_get(r->json, "reason")))
        json_object_set(c, "reason", json_object_get(r->json, "reason"));
    rc = hs_room_send(r->s, r, room, r->user_id, "m.room.member", target, c, NULL, NULL, eid);
    json_decref(c);
    return rc ? HS_DONE : hs_ok(r, NULL);
}

/* A second identical annotation (sender, target, key) is refused, as the
 * spec recommends; redacted ones do not count. */
static int duplicate_annotation(hs *s, const char *room, const char *sender,
                                json_t *content)
{
    json_t *rel = json_object_get(content, "m.relates_to");
    const char *target = json_string_value(json_object_get(rel, "event_id"));
    const char *key = json_string_value(json_object_get(rel, "key"));
    const char *rt = json_string_value(json_object_get(rel, "rel_type"));
    sqlite3_stmt *st;
    int dup = 0;

    if (!target || !key || !rt || strcmp(rt, "m.annotation"))
        return 0;
    st = hs_db_stmt(s, "SELECT json FROM events WHERE relates_to=? AND room_id=? AND sender=? "
                       "AND rel_type='m.annotation' AND redacted_by IS NULL");
    if (!st)
        return 0;
    hs_bind_text(st, 1, target);
    hs_bind_text(st, 2, room);
    hs_bind_text(st, 3, sender);
    while (!dup && sqlite3_step(st) == SQLITE_ROW) {
        json_t *ev = json_loads(hs_col_text(st, 0), 0, NULL);
        const char *k = json_string_value(json_object_get(
            json_object_get(json_object_get(ev, "content"), "m.relates_to"), "key"));
        dup = k && !strcmp(k, key);
        json_decref(ev);
    }
    sqlite3_reset(st);
    return dup;
}

int hs_h_send(hs_req *r)
{
    char eid[64], prior[64];
    const char *redacts = NULL;

    if (!strcmp(r->segs[3], "m.reaction") &&
        !hs_txn_seen(r, prior) &&
        duplicate_annotation(r->s, r->segs[1], r->user_id, r->json))
        return hs_err(r, 400, "M_DUPLICATE_ANNOTATION", "You already reacted with this key");

    /* A redaction sent as an event names its target in content.redacts
     * (the v11 form; Synapse's MSC4169 accepts it in v10 rooms too,
     * synapse/handlers/message.py). It gets the same auth as /redact. */
    if (!strcmp(r->segs[3], "m.room.redaction")) {
        redacts = json_string_value(json_object_get(r->json, "redacts"));
        if (!redacts)
            return hs_err(r, 400, "M_BAD_JSON", "m.room.redaction needs content.redacts");
    }
    if (hs_room_send(r->s, r, r->segs[1], r->user_id, r->segs[3], NULL, r->json,
                     redacts, r->segs[4], eid))
        return HS_DONE;
    return hs_ok(r, json_pack("{s:s}", "event_id", eid));
}

int hs_h_state_put(hs_req *r)
{
    char eid[64];
    const char *sk = r->nseg > 4 ? r->segs[4] : "";

    if (hs_room_send(r->s, r, r->segs[1], r->user_id, r->segs[3], sk, r->json,
                     NULL, NULL, eid))
        return HS_DONE;
    return hs_ok(r, json_pack("{s:s}", "event_id", eid));
}

int hs_h_redact(hs_req *r)
{
    const char *room = r->segs[1], *target = r->segs[3];
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT sender FROM events WHERE event_id=? AND room_id=?");
    char sender[256] = "", eid[64];
    json_t *c;
    int rc;

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, target);
    hs_bind_text(st, 2, room);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(sender, sizeof(sender), "%s", hs_col_text(st, 0));
    sqlite3_reset(st);
    if (!sender[0])
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown event");
    /* who may redact what: hs_event_auth_with, for every endpoint */
    c = json_object();
    if (json_is_string(json_object_get(r->json, "reason")))
        json_object_set(c, "reason", json_object_get(r->json, "reason"));
    rc = hs_room_send(r->s, r, room, r->user_id, "m.room.redaction", NULL, c, target, r->segs[4], eid);
    json_decref(c);
    return rc ? HS_DONE : hs_ok(r, json_pack("{s:s}", "event_id", eid));
}
