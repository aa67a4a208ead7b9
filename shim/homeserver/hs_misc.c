/*
 * hs_misc.c - the smaller endpoints: versions, well-known, capabilities,
 * push rules, profile (propagated into member events), account data,
 * typing (in memory, expiring), receipts, read markers and presence.
 * End-to-end encryption lives in hs_keys.c and its siblings (hs_e2ee.h).
 */
#include "config.h"

#include <ctype.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "hs.h"

int hs_h_versions(hs_req *r)
{
    return hs_ok(r, json_pack("{s:[s,s,s,s,s,s,s,s,s,s,s],s:{}}", "versions",
                              "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5",
                              "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
                              "unstable_features"));
}

static int host_ok(const char *h)
{
    size_t i;

    if (!h || !*h || strlen(h) > 255)
        return 0;
    for (i = 0; h[i]; i++)
        if (!isalnum((unsigned char)h[i]) && !strchr(".-:[]", h[i]))
            return 0;
    return 1;
}

/* GET /.well-known/matrix/client (spec: Server Discovery), so that a client
 * given only the server name finds the homeserver. */
int hs_h_well_known(hs_req *r)
{
    char url[300];

    /* the router matched .well-known/matrix/client and made "client"
     * segment 0 (it read segment 2 here, so this always answered 404) */
    if (r->nseg < 1 || strcmp(r->segs[0], "client"))
        return hs_err(r, 404, "M_UNRECOGNIZED", "Unrecognized request");
    /* The address the client reached us by (its Host header) is the one
     * that works for it; the listen address may be 0.0.0.0. Only a plain
     * host[:port] is echoed back. */
    if (host_ok(r->host))
        snprintf(url, sizeof(url), "http://%s", r->host);
    else
        snprintf(url, sizeof(url), "http://%s:%d", r->s->cfg.listen_addr, r->s->port);
    return hs_ok(r, json_pack("{s:{s:s}}", "m.homeserver", "base_url", url));
}

int hs_h_capabilities(hs_req *r)
{
    return hs_ok(r, json_pack("{s:{s:{s:s,s:{s:s,s:s}},s:{s:b},s:{s:b},s:{s:b}}}",
                              "capabilities", "m.room_versions", "default", "10",
                              "available", "10", "stable", "11", "stable",
                              "m.change_password", "enabled", 0,
                              "m.set_displayname", "enabled", 1,
                              "m.set_avatar_url", "enabled", 1));
}

int hs_h_pushrules(hs_req *r)
{
    json_t *g = json_pack("{s:[],s:[],s:[],s:[],s:[]}", "override", "content",
                          "room", "sender", "underride");

    if (r->nseg >= 2 && r->segs[1][0] && !strcmp(r->segs[1], "global"))
        return hs_ok(r, g);
    return hs_ok(r, json_pack("{s:o}", "global", g));
}

int hs_h_pushrules_put(hs_req *r)
{
    /* Push notifications are not implemented; accept rule edits so
     * clients do not error, and say so in the docs. */
    return hs_ok(r, NULL);
}

/* ---- profile ------------------------------------------------------------- */

int hs_h_profile_get(hs_req *r)
{
    const char *user = r->segs[1], *field = r->nseg > 2 ? r->segs[2] : NULL;
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT displayname, avatar_url FROM users WHERE user_id=? /*p*/");
    json_t *o = NULL;

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, user);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int hd = sqlite3_column_type(st, 0) != SQLITE_NULL, ha = sqlite3_column_type(st, 1) != SQLITE_NULL;
        if (!field) {
            o = json_object();
            if (hd)
                json_object_set_new(o, "displayname", json_string(hs_col_text(st, 0)));
            if (ha)
                json_object_set_new(o, "avatar_url", json_string(hs_col_text(st, 1)));
        } else if (!strcmp(field, "displayname")) {
            o = json_pack("{s:o}", "displayname", hd ? json_string(hs_col_text(st, 0)) : json_null());
        } else if (!strcmp(field, "avatar_url")) {
            o = json_pack("{s:o}", "avatar_url", ha ? json_string(hs_col_text(st, 1)) : json_null());
        }
    }
    sqlite3_reset(st);
    if (!o)
        return hs_err(r, 404, "M_NOT_FOUND", "Profile not found");
    return hs_ok(r, o);
}

int hs_h_profile_put(hs_req *r)
{
    const char *user = r->segs[1], *field = r->segs[2];
    json_t *v = json_object_get(r->json, field);
    sqlite3_stmt *st;
    char **rooms = NULL;
    size_t n = 0, i;

    if (strcmp(user, r->user_id))
        return hs_err(r, 403, "M_FORBIDDEN", "Cannot set another user's profile");
    if (strcmp(field, "displayname") && strcmp(field, "avatar_url"))
        return hs_err(r, 400, "M_UNRECOGNIZED", "Unknown profile field");
    if (v && !json_is_string(v) && !json_is_null(v))
        return hs_err(r, 400, "M_BAD_JSON", "%s must be a string", field);
    st = hs_db_stmt(r->s, !strcmp(field, "displayname") ? "UPDATE users SET displayname=? WHERE user_id=?"
                                                      : "UPDATE users SET avatar_url=? WHERE user_id=?");
    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, json_string_value(v));
    hs_bind_text(st, 2, r->user_id);
    hs_db_step_done(r->s, st);
    /* propagate into a new join event in every joined room */
    st = hs_db_stmt(r->s, "SELECT room_id FROM members WHERE user_id=? AND membership='join' /*p*/");
    if (st) {
        hs_bind_text(st, 1, r->user_id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char **nr = realloc(rooms, sizeof(char *) * (n + 1));
            if (!nr)
                break;
            rooms = nr;
            rooms[n++] = strdup(hs_col_text(st, 0));
        }
        sqlite3_reset(st);
    }
    for (i = 0; i < n; i++) {
        json_t *state = rooms[i] ? hs_room_state(r->s, rooms[i]) : NULL;
        char k[400], eid[64];
        json_t *c;
        snprintf(k, sizeof(k), "m.room.member\x1f%s", r->user_id);
        c = json_deep_copy(json_object_get(json_object_get(state, k), "content"));
        if (c) {
            if (json_is_string(v))
                json_object_set(c, field, v);
            else
                json_object_del(c, field);
            json_object_set_new(c, "membership", json_string("join"));
            hs_room_send(r->s, NULL, rooms[i], r->user_id, "m.room.member", r->user_id, c,
                         NULL, NULL, eid);
        }
        json_decref(c);
        json_decref(state);
        free(rooms[i]);
    }
    free(rooms);
    return hs_ok(r, NULL);
}

/* ---- account data -------------------------------------------------------- */

int hs_account_data_set(hs *s, const char *user, const char *room,
                        const char *type, json_t *content)
{
    sqlite3_stmt *st = hs_db_stmt(s, "INSERT OR REPLACE INTO account_data(user_id,room_id,type,content,stream) VALUES(?,?,?,?,?)");
    char *txt = json_dumps(content, JSON_COMPACT);
    int rc;

    if (!st || !txt) {
        free(txt);
        return HS_ERR_DB;
    }
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, room);
    hs_bind_text(st, 3, type);
    hs_bind_text(st, 4, txt);
    sqlite3_bind_int64(st, 5, hs_stream_next(s));
    rc = hs_db_step_done(s, st);
    free(txt);
    hs_sync_notify(s);
    return rc;
}

int hs_h_account_data_put(hs_req *r)
{
    int room = r->nseg > 4;
    const char *type = r->segs[room ? 5 : 3];
    char buf[16];

    if (strcmp(r->segs[1], r->user_id))
        return hs_err(r, 403, "M_FORBIDDEN", "Cannot set another user's account data");
    if (room && !hs_membership(r->s, r->segs[3], r->user_id, buf))
        return hs_err(r, 403, "M_FORBIDDEN", "You are not in this room");
    if (!strcmp(type, "m.fully_read") || !strcmp(type, "m.push_rules"))
        return hs_err(r, 405, "M_BAD_JSON", "Cannot set %s through this API", type);
    if (hs_account_data_set(r->s, r->user_id, room ? r->segs[3] : "", type, r->json))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    return hs_ok(r, NULL);
}

int hs_h_account_data_get(hs_req *r)
{
    int room = r->nseg > 4;
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT content FROM account_data WHERE user_id=? AND room_id=? AND type=?");
    json_t *c = NULL;

    if (strcmp(r->segs[1], r->user_id))
        return hs_err(r, 403, "M_FORBIDDEN", "Cannot read another user's account data");
    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, r->user_id);
    hs_bind_text(st, 2, room ? r->segs[3] : "");
    hs_bind_text(st, 3, r->segs[room ? 5 : 3]);
    if (sqlite3_step(st) == SQLITE_ROW)
        c = json_loads(hs_col_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    if (!c)
        return hs_err(r, 404, "M_NOT_FOUND", "Account data not found");
    return hs_ok(r, c);
}

/* ---- typing --------------------------------------------------------------- */

json_t *hs_typing_users(hs *s, const char *room_id)
{
    json_t *arr = json_array();
    hs_typing *t;

    for (t = s->typing; t; t = t->next)
        if (!strcmp(t->room_id, room_id))
            json_array_append_new(arr, json_string(t->user_id));
    return arr;
}

int64_t hs_typing_stream(hs *s, const char *room_id)
{
    return s->typing_pos ? json_integer_value(json_object_get(s->typing_pos, room_id)) : 0;
}

static void typing_changed(hs *s, const char *room)
{
    json_t *ev;

    if (!s->typing_pos)
        s->typing_pos = json_object();
    json_object_set_new(s->typing_pos, room, json_integer(hs_stream_next(s)));
    ev = json_pack("{s:s,s:s,s:{s:o}}", "type", "m.typing", "room_id", room, "content",
                   "user_ids", hs_typing_users(s, room));
    hs_modules_ephemeral(s, room, ev);
    json_decref(ev);
    hs_sync_notify(s);
}

static void typing_remove(hs *s, hs_typing **pp)
{
    hs_typing *t = *pp;

    *pp = t->next;
    free(t->room_id);
    free(t->user_id);
    free(t);
}

static void on_typing_timer(evutil_socket_t fd, short what, void *arg)
{
    hs *s = arg;
    hs_typing **pp = &s->typing;
    uint64_t now = ut_now_mono_ms();

    (void)fd;
    (void)what;
    while (*pp) {
        if ((*pp)->expires_mono <= now) {
            char *room = strdup((*pp)->room_id);
            typing_remove(s, pp);
            if (room)
                typing_changed(s, room);
            free(room);
        } else {
            pp = &(*pp)->next;
        }
    }
}

int hs_h_typing(hs_req *r)
{
    hs *s = r->s;
    const char *room = r->segs[1];
    int typing = json_is_true(json_object_get(r->json, "typing"));
    json_t *to = json_object_get(r->json, "timeout");
    int64_t timeout = json_is_integer(to) ? json_integer_value(to) : 30000;
    hs_typing **pp, *t;
    char buf[16];
    const char *m = hs_membership(s, room, r->user_id, buf);

    if (strcmp(r->segs[3], r->user_id))
        return hs_err(r, 403, "M_FORBIDDEN", "Cannot set another user's typing state");
    if (!m || strcmp(m, "join"))
        return hs_err(r, 403, "M_FORBIDDEN", "You are not in this room");
    if (timeout < 0 || timeout > 120000)
        timeout = 120000;
    for (pp = &s->typing; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->room_id, room) && !strcmp((*pp)->user_id, r->user_id))
            break;
    if (typing) {
        if (!*pp) {
            t = calloc(1, sizeof(*t));
            if (!t || !(t->room_id = strdup(room)) || !(t->user_id = strdup(r->user_id))) {
                if (t) {
                    free(t->room_id);
                    free(t);
                }
                return hs_err(r, 500, "M_UNKNOWN", "out of memory");
            }
            t->next = s->typing;
            s->typing = t;
            pp = &s->typing;
        }
        (*pp)->expires_mono = ut_now_mono_ms() + (uint64_t)timeout;
        if (!s->typing_timer) {
            struct timeval tv = {1, 0};
            s->typing_timer = event_new(s->base, -1, EV_PERSIST, on_typing_timer, s);
            if (s->typing_timer)
                event_add(s->typing_timer, &tv);
        }
        typing_changed(s, room);
    } else if (*pp) {
        typing_remove(s, pp);
        typing_changed(s, room);
    }
    return hs_ok(r, NULL);
}

void hs_typing_shutdown(hs *s)
{
    while (s->typing)
        typing_remove(s, &s->typing);
    if (s->typing_timer)
        event_free(s->typing_timer);
    s->typing_timer = NULL;
    json_decref(s->typing_pos);
    s->typing_pos = NULL;
}

/* ---- receipts and read markers ------------------------------------------ */

static int store_receipt(hs *s, const char *room, const char *user, const char *type,
                         const char *event_id, const char *thread)
{
    sqlite3_stmt *st = hs_db_stmt(s, "INSERT OR REPLACE INTO receipts(room_id,user_id,type,event_id,ts,thread_id,stream) VALUES(?,?,?,?,?,?,?)");
    int64_t ts = ut_now_ms();
    json_t *ev;

    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, room);
    hs_bind_text(st, 2, user);
    hs_bind_text(st, 3, type);
    hs_bind_text(st, 4, event_id);
    sqlite3_bind_int64(st, 5, ts);
    hs_bind_text(st, 6, thread);
    sqlite3_bind_int64(st, 7, hs_stream_next(s));
    if (hs_db_step_done(s, st))
        return HS_ERR_DB;
    if (strcmp(type, "m.read.private")) {
        ev = json_pack("{s:s,s:s,s:{s:{s:{s:{s:I}}}}}", "type", "m.receipt", "room_id", room,
                       "content", event_id, type, user, "ts", (json_int_t)ts);
        hs_modules_ephemeral(s, room, ev);
        json_decref(ev);
    }
    hs_sync_notify(s);
    return 0;
}

int hs_h_receipt(hs_req *r)
{
    const char *room = r->segs[1], *type = r->segs[3], *eid = r->segs[4];
    char buf[16];
    const char *m = hs_membership(r->s, room, r->user_id, buf);

    if (!m || strcmp(m, "join"))
        return hs_err(r, 403, "M_FORBIDDEN", "You are not in this room");
    if (!strcmp(type, "m.fully_read")) {
        json_t *c = json_pack("{s:s}", "event_id", eid);
        hs_account_data_set(r->s, r->user_id, room, "m.fully_read", c);
        json_decref(c);
        return hs_ok(r, NULL);
    }
    if (strcmp(type, "m.read") && strcmp(type, "m.read.private"))
        return hs_err(r, 400, "M_INVALID_PARAM", "Unknown receipt type %s", type);
    if (store_receipt(r->s, room, r->user_id, type, eid,
                      json_string_value(json_object_get(r->json, "thread_id"))))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    return hs_ok(r, NULL);
}

int hs_h_read_markers(hs_req *r)
{
    const char *room = r->segs[1];
    const char *fr = json_string_value(json_object_get(r->json, "m.fully_read"));
    const char *rd = json_string_value(json_object_get(r->json, "m.read"));
    const char *rp = json_string_value(json_object_get(r->json, "m.read.private"));
    char buf[16];
    const char *m = hs_membership(r->s, room, r->user_id, buf);

    if (!m || strcmp(m, "join"))
        return hs_err(r, 403, "M_FORBIDDEN", "You are not in this room");
    if (fr) {
        json_t *c = json_pack("{s:s}", "event_id", fr);
        hs_account_data_set(r->s, r->user_id, room, "m.fully_read", c);
        json_decref(c);
    }
    if (rd)
        store_receipt(r->s, room, r->user_id, "m.read", rd, NULL);
    if (rp)
        store_receipt(r->s, room, r->user_id, "m.read.private", rp, NULL);
    return hs_ok(r, NULL);
}

int hs_h_presence(hs_req *r)
{
    if (!strcmp(r->method, "GET"))
        return hs_ok(r, json_pack("{s:s}", "presence", "online"));
    return hs_ok(r, NULL);
}

int hs_h_empty_ok(hs_req *r)
{
    return hs_ok(r, NULL);
}

int hs_h_not_found(hs_req *r)
{
    return hs_err(r, 404, "M_NOT_FOUND", "Not supported by mxhs");
}

/* No TURN server is configured: Synapse answers 200 {} then
 * (element-hq/synapse synapse/rest/client/voip.py VoipRestServlet), which
 * clients take as "no TURN" rather than as an error. */
int hs_h_turn_server(hs_req *r)
{
    return hs_ok(r, NULL);
}
