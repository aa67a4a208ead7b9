/*
 * hs_roomread.c - reading rooms: ClientEvent formatting (redacted content,
 * unsigned.transaction_id for the sending device, redacted_because), state,
 * members, /event, /messages, /relations, /context, /joined_rooms.
 * A user only reads rooms they are in (or were in, up to their leave).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"
#include "hs_vis.h"

static json_t *load_event_row(hs *s, const char *event_id, const char *viewer,
                              const char *viewer_device, int depth, const hs_vis *vis);

/* ---- read rules (hs_vis.c) ------------------------------------------------ */

static int add_step(hs_vis_step **steps, size_t *n, int64_t stream, int value)
{
    hs_vis_step *ns = realloc(*steps, sizeof(**steps) * (*n + 1));

    if (!ns)
        return -1;
    *steps = ns;
    ns[*n].stream = stream;
    ns[*n].value = value;
    (*n)++;
    return 0;
}

static void vis_free(hs_vis *v)
{
    if (!v)
        return;
    free(v->mem);
    free(v->hv);
    free(v);
}

/* The read rules of `user` in `room`: their membership changes and the
 * room's history_visibility changes, from the events themselves (a
 * redaction keeps both keys). NULL only when out of memory. */
/* content[key] of a stored PDU as a string in buf (32 bytes), or NULL. */
static const char *content_str(const char *pdu_json, const char *key, char buf[32])
{
    json_t *pdu = json_loads(pdu_json, 0, NULL);
    const char *v = json_string_value(json_object_get(json_object_get(pdu, "content"), key));
    const char *r = NULL;

    if (v && strlen(v) < 32) {
        memcpy(buf, v, strlen(v) + 1);
        r = buf;
    }
    json_decref(pdu);
    return r;
}

static hs_vis *vis_load(hs *s, const char *room, const char *user)
{
    sqlite3_stmt *st;
    hs_vis *v = calloc(1, sizeof(*v));
    char buf[32];
    int bad = 0;

    if (!v)
        return NULL;
    st = hs_db_stmt(s, "SELECT stream, json FROM events WHERE room_id=? AND "
                       "type='m.room.member' AND state_key=? ORDER BY stream /*vis*/");
    if (st) {
        hs_bind_text(st, 1, room);
        hs_bind_text(st, 2, user);
        while (!bad && sqlite3_step(st) == SQLITE_ROW)
            bad = add_step(&v->mem, &v->nmem, sqlite3_column_int64(st, 0),
                           hs_vis_membership(content_str(hs_col_text(st, 1), "membership", buf)));
        sqlite3_reset(st);
    }
    st = hs_db_stmt(s, "SELECT stream, json FROM events WHERE room_id=? AND "
                       "type='m.room.history_visibility' AND state_key='' ORDER BY stream /*vis*/");
    if (st) {
        hs_bind_text(st, 1, room);
        while (!bad && sqlite3_step(st) == SQLITE_ROW)
            bad = add_step(&v->hv, &v->nhv, sqlite3_column_int64(st, 0),
                           hs_vis_value(content_str(hs_col_text(st, 1), "history_visibility", buf)));
        sqlite3_reset(st);
    }
    if (bad) {
        vis_free(v);
        return NULL;
    }
    hs_vis_finish(v);
    return v;
}

/* ClientEvent of a stored PDU; `vis` (NULL: no reader, e.g. modules) picks
 * the bundled edit the reader may see. */
static json_t *client_event(hs *s, const char *pdu_json, const char *redacted_by,
                            const char *txn_id, const char *txn_device,
                            const char *txn_user, const char *viewer,
                            const char *viewer_device, const hs_vis *vis);

json_t *hs_client_event(hs *s, const char *pdu_json, const char *redacted_by,
                        const char *txn_id, const char *txn_device,
                        const char *txn_user, const char *viewer,
                        const char *viewer_device, int64_t stream)
{
    hs_vis *vis = NULL;
    json_t *ev;

    (void)stream;
    if (viewer) {
        json_t *pdu = json_loads(pdu_json, 0, NULL);
        const char *room = json_string_value(json_object_get(pdu, "room_id"));
        vis = room ? vis_load(s, room, viewer) : NULL;
        json_decref(pdu);
        if (!vis)
            return NULL;
    }
    ev = client_event(s, pdu_json, redacted_by, txn_id, txn_device, txn_user, viewer,
                      viewer_device, vis);
    vis_free(vis);
    return ev;
}

static json_t *client_event(hs *s, const char *pdu_json, const char *redacted_by,
                            const char *txn_id, const char *txn_device,
                            const char *txn_user, const char *viewer,
                            const char *viewer_device, const hs_vis *vis)
{
    json_t *pdu = json_loads(pdu_json, 0, NULL), *ev, *uns;
    static const char *const keys[] = {"content", "event_id", "origin_server_ts",
                                       "room_id", "sender", "type", "state_key",
                                       "redacts", NULL};
    size_t i;

    if (!pdu)
        return NULL;
    if (redacted_by && *redacted_by) {
        char ver[8] = "10";
        sqlite3_stmt *vs = hs_db_stmt(s, "SELECT version FROM rooms WHERE room_id=? /*red*/");
        json_t *red;
        if (vs) { /* v10 and v11 keep different keys */
            hs_bind_text(vs, 1, json_string_value(json_object_get(pdu, "room_id")));
            if (sqlite3_step(vs) == SQLITE_ROW)
                snprintf(ver, sizeof(ver), "%s", hs_col_text(vs, 0));
            sqlite3_reset(vs);
        }
        red = hs_event_redact(pdu, ver);
        if (red) {
            json_object_set(pdu, "content", json_object_get(red, "content"));
            json_decref(red);
        }
    }
    ev = json_object();
    for (i = 0; keys[i]; i++) {
        json_t *v = json_object_get(pdu, keys[i]);
        if (v)
            json_object_set(ev, keys[i], v);
    }
    uns = json_object();
    json_object_set_new(uns, "age", json_integer(ut_now_ms() -
                        json_integer_value(json_object_get(pdu, "origin_server_ts"))));
    if (json_object_get(json_object_get(pdu, "unsigned"), "prev_content")) {
        json_t *pu = json_object_get(pdu, "unsigned");
        json_object_set(uns, "prev_content", json_object_get(pu, "prev_content"));
        if (json_object_get(pu, "replaces_state"))
            json_object_set(uns, "replaces_state", json_object_get(pu, "replaces_state"));
    }
    if (txn_id && *txn_id && viewer && viewer_device && txn_user &&
        !strcmp(viewer, txn_user) && txn_device && !strcmp(txn_device, viewer_device))
        json_object_set_new(uns, "transaction_id", json_string(txn_id));
    if (redacted_by && *redacted_by) {
        json_t *because = load_event_row(s, redacted_by, NULL, NULL, 1, NULL);
        if (because)
            json_object_set_new(uns, "redacted_because", because);
    } else if (!json_object_get(json_object_get(pdu, "content"), "m.relates_to")) {
        /* the latest edit by the same sender (spec: m.relations.m.replace)
         * that the reader may see: not one made after they left */
        sqlite3_stmt *st = hs_db_stmt(s, "SELECT event_id, stream FROM events WHERE relates_to=? AND "
                                         "rel_type='m.replace' AND sender=? AND redacted_by IS NULL "
                                         "ORDER BY stream DESC LIMIT 50");
        char edit[80] = "";
        if (st) {
            hs_bind_text(st, 1, json_string_value(json_object_get(pdu, "event_id")));
            hs_bind_text(st, 2, json_string_value(json_object_get(pdu, "sender")));
            while (!edit[0] && sqlite3_step(st) == SQLITE_ROW)
                if (!vis || hs_vis_event(vis, sqlite3_column_int64(st, 1)))
                    snprintf(edit, sizeof(edit), "%s", hs_col_text(st, 0));
            sqlite3_reset(st);
        }
        if (edit[0]) {
            json_t *e = load_event_row(s, edit, NULL, NULL, 1, NULL);
            if (e)
                json_object_set_new(uns, "m.relations", json_pack("{s:o}", "m.replace", e));
        }
    }
    json_object_set_new(ev, "unsigned", uns);
    json_decref(pdu);
    return ev;
}

#define EV_COLS "json, redacted_by, txn_id, txn_device, sender, stream, room_id"

/* Separate statements per depth: redacted_because loads while the outer
 * row is still being read. */
static json_t *load_event_row(hs *s, const char *event_id, const char *viewer,
                              const char *viewer_device, int depth, const hs_vis *vis)
{
    sqlite3_stmt *st = hs_db_stmt(s, depth ? "SELECT " EV_COLS " FROM events WHERE event_id=? /*1*/"
                                           : "SELECT " EV_COLS " FROM events WHERE event_id=?");
    json_t *ev = NULL;
    char *copy[7] = {0};
    int64_t stream = 0;
    int i, found = 0;

    if (!st)
        return NULL;
    hs_bind_text(st, 1, event_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        for (i = 0; i < 7; i++)
            if (sqlite3_column_type(st, i) != SQLITE_NULL)
                copy[i] = strdup(hs_col_text(st, i));
        stream = sqlite3_column_int64(st, 5);
    }
    sqlite3_reset(st);
    if (found && !depth)
        ev = client_event(s, copy[0], copy[1], copy[2], copy[3], copy[4],
                          viewer, viewer_device, vis);
    else if (found) /* the redaction event itself: no further nesting */
        ev = client_event(s, copy[0], NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    (void)stream;
    for (i = 0; i < 7; i++)
        free(copy[i]);
    return ev;
}

/* Current state is for current members only (a user who left reads
 * history up to the leave, by the rules of hs_vis.c). */
static int is_joined(hs *s, const char *room, const char *user)
{
    char buf[16];
    const char *m = hs_membership(s, room, user, buf);

    return m && !strcmp(m, "join");
}

static int not_member(hs_req *r)
{
    return hs_err(r, 403, "M_FORBIDDEN", "You are not in this room");
}

/* The event `event_id` as `viewer` (NULL: anyone) may see it, with its
 * room and stream position; NULL when unknown or not visible. `vis` is the
 * viewer's rules in that room when the caller has them (else loaded). */
static json_t *event_by_id(hs *s, const char *event_id, const char *viewer,
                           const char *viewer_device, char room_out[256],
                           const hs_vis *vis, int64_t *stream_out)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT room_id, stream FROM events WHERE event_id=?");
    int64_t stream = -1;
    hs_vis *own = NULL;
    json_t *ev = NULL;

    if (!st)
        return NULL;
    hs_bind_text(st, 1, event_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(room_out, 256, "%s", hs_col_text(st, 0));
        stream = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (stream < 0)
        return NULL;
    if (viewer && !vis && !(vis = own = vis_load(s, room_out, viewer)))
        return NULL;
    if (!viewer || hs_vis_event(vis, stream))
        ev = load_event_row(s, event_id, viewer, viewer_device, 0, vis);
    vis_free(own);
    if (stream_out)
        *stream_out = stream;
    return ev;
}

json_t *hs_event_by_id(hs *s, const char *event_id, const char *viewer,
                       const char *viewer_device, char room_out[256])
{
    return event_by_id(s, event_id, viewer, viewer_device, room_out, NULL, NULL);
}

/* The reader's rules in the request's room, or NULL with the error set:
 * 403 for a reader with no access at all (hs_vis.c). */
static hs_vis *reader(hs_req *r, const char *room)
{
    hs_vis *v = vis_load(r->s, room, r->user_id);

    if (!v) {
        hs_err(r, 500, "M_UNKNOWN", "out of memory");
        return NULL;
    }
    if (v->upto < 0) {
        vis_free(v);
        not_member(r);
        return NULL;
    }
    return v;
}

int hs_h_event(hs_req *r)
{
    char room[256] = "";
    hs_vis *v = reader(r, r->segs[1]);
    json_t *ev;

    if (!v)
        return HS_DONE;
    ev = event_by_id(r->s, r->segs[3], r->user_id, r->device_id, room, NULL, NULL);
    vis_free(v);
    /* 404 also when it exists but is hidden from this reader (spec) */
    if (!ev || strcmp(room, r->segs[1])) {
        json_decref(ev);
        return hs_err(r, 404, "M_NOT_FOUND", "Event not found");
    }
    return hs_ok(r, ev);
}

static json_t *state_at(hs *s, const char *room, int64_t at, const char *viewer,
                        const char *viewer_device, const hs_vis *vis);

/* A reader who left the room (membership "leave" now, as the spec's
 * "weren't previously a member" 403 implies) reads its state as it was
 * when they left: the stream of their leave event, or -1. GET
 * /rooms/{roomId}/state/{eventType}/{stateKey} in the Client-Server API:
 * "If the user has left the room then the state is taken from the state
 * of the room when they left"; Synapse does the same for /state and
 * /members (handlers/message.py get_state_events, api/auth/base.py
 * check_user_in_room with allow_departed_users: LEAVE only, not BAN). */
static int64_t left_at(hs *s, const char *room, const char *user)
{
    char buf[16];
    const char *m = hs_membership(s, room, user, buf);
    sqlite3_stmt *st;
    int64_t at = -1;

    if (!m || strcmp(m, "leave"))
        return -1;
    st = hs_db_stmt(s, "SELECT e.stream FROM state s JOIN events e ON e.event_id=s.event_id "
                       "WHERE s.room_id=? AND s.type='m.room.member' AND s.state_key=?");
    if (!st)
        return -1;
    hs_bind_text(st, 1, room);
    hs_bind_text(st, 2, user);
    if (sqlite3_step(st) == SQLITE_ROW)
        at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return at;
}

/* The state a former member reads (see left_at), or NULL with the 403 set. */
static json_t *departed_state(hs_req *r, const char *room)
{
    int64_t at = left_at(r->s, room, r->user_id);
    hs_vis *v;
    json_t *arr;

    if (at < 0) {
        not_member(r);
        return NULL;
    }
    if (!(v = vis_load(r->s, room, r->user_id))) {
        hs_err(r, 500, "M_UNKNOWN", "out of memory");
        return NULL;
    }
    arr = state_at(r->s, room, at, r->user_id, r->device_id, v);
    vis_free(v);
    return arr;
}

int hs_h_state_get(hs_req *r)
{
    const char *room = r->segs[1], *type = r->segs[3], *sk = r->nseg > 4 ? r->segs[4] : "";
    sqlite3_stmt *st;
    json_t *ev = NULL, *c;
    char eid[80] = "";

    if (!is_joined(r->s, room, r->user_id)) {
        json_t *all = departed_state(r, room), *e;
        size_t i;
        if (!all)
            return HS_DONE;
        json_array_foreach(all, i, e) {
            const char *t = json_string_value(json_object_get(e, "type"));
            const char *k = json_string_value(json_object_get(e, "state_key"));
            if (t && k && !strcmp(t, type) && !strcmp(k, sk)) {
                c = json_incref(json_object_get(e, "content"));
                json_decref(all);
                return hs_ok(r, c);
            }
        }
        json_decref(all);
        return hs_err(r, 404, "M_NOT_FOUND", "Event not found");
    }
    st = hs_db_stmt(r->s, "SELECT event_id FROM state WHERE room_id=? AND type=? AND state_key=?");
    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_bind_text(st, 1, room);
    hs_bind_text(st, 2, type);
    hs_bind_text(st, 3, sk);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(eid, sizeof(eid), "%s", hs_col_text(st, 0));
    sqlite3_reset(st);
    if (eid[0])
        ev = load_event_row(r->s, eid, NULL, NULL, 0, NULL);
    if (!ev)
        return hs_err(r, 404, "M_NOT_FOUND", "Event not found");
    c = json_incref(json_object_get(ev, "content"));
    json_decref(ev);
    return hs_ok(r, c);
}

/* Current state of a room as a list of ClientEvents (membership filter:
 * NULL for all state, else only member events with that membership). */
static json_t *state_list(hs *s, const char *room, const char *only_type,
                          const char *viewer, const char *viewer_device)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT e.json, e.redacted_by, e.txn_id, e.txn_device, e.sender, e.stream "
                                     "FROM state s JOIN events e ON e.event_id=s.event_id "
                                     "WHERE s.room_id=? ORDER BY e.stream");
    json_t *arr = json_array(), *ev;
    char **rows = NULL;
    size_t n = 0, cap = 0, i;
    hs_vis *vis = NULL;

    if (!st || (viewer && !(vis = vis_load(s, room, viewer))))
        return arr;
    hs_bind_text(st, 1, room);
    /* Copy out first: formatting may run other statements. */
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n + 2 > cap) {
            char **nr = realloc(rows, sizeof(char *) * (cap = cap ? cap * 2 : 32));
            if (!nr)
                break;
            rows = nr;
        }
        rows[n++] = strdup(hs_col_text(st, 0));
        rows[n++] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL : strdup(hs_col_text(st, 1));
    }
    sqlite3_reset(st);
    for (i = 0; i + 1 < n + 1 && i < n; i += 2) {
        if (!rows[i])
            continue;
        ev = client_event(s, rows[i], rows[i + 1], NULL, NULL, NULL, viewer, viewer_device, vis);
        if (ev && (!only_type || !strcmp(json_string_value(json_object_get(ev, "type")), only_type)))
            json_array_append_new(arr, ev);
        else
            json_decref(ev);
    }
    for (i = 0; i < n; i++)
        free(rows[i]);
    free(rows);
    vis_free(vis);
    return arr;
}

json_t *hs_room_state_events(hs *s, const char *room, const char *viewer,
                             const char *viewer_device)
{
    return state_list(s, room, NULL, viewer, viewer_device);
}

int hs_h_state_all(hs_req *r)
{
    json_t *all;

    if (!is_joined(r->s, r->segs[1], r->user_id))
        return (all = departed_state(r, r->segs[1])) ? hs_ok(r, all) : HS_DONE;
    return hs_ok(r, state_list(r->s, r->segs[1], NULL, r->user_id, r->device_id));
}

int hs_h_members(hs_req *r)
{
    const char *want = hs_query(r, "membership"), *not_ = hs_query(r, "not_membership");
    json_t *all, *chunk, *ev;
    size_t i;

    if (is_joined(r->s, r->segs[1], r->user_id))
        all = state_list(r->s, r->segs[1], "m.room.member", r->user_id, r->device_id);
    else if (!(all = departed_state(r, r->segs[1])))
        return HS_DONE;
    chunk = json_array();
    json_array_foreach(all, i, ev) {
        const char *m = json_string_value(json_object_get(json_object_get(ev, "content"), "membership"));
        if (strcmp(json_string_value(json_object_get(ev, "type")) ? json_string_value(json_object_get(ev, "type")) : "",
                   "m.room.member"))
            continue;
        if ((want && (!m || strcmp(m, want))) || (not_ && m && !strcmp(m, not_)))
            continue;
        json_array_append(chunk, ev);
    }
    json_decref(all);
    return hs_ok(r, json_pack("{s:o}", "chunk", chunk));
}

int hs_h_joined_members(hs_req *r)
{
    json_t *all, *joined, *ev;
    size_t i;

    if (!is_joined(r->s, r->segs[1], r->user_id))
        return not_member(r);
    joined = json_object();
    all = state_list(r->s, r->segs[1], "m.room.member", NULL, NULL);
    json_array_foreach(all, i, ev) {
        json_t *c = json_object_get(ev, "content");
        const char *m = json_string_value(json_object_get(c, "membership"));
        json_t *dn = json_object_get(c, "displayname"), *av = json_object_get(c, "avatar_url");
        if (!m || strcmp(m, "join"))
            continue;
        /* nio requires display_name on every member, null allowed */
        json_object_set_new(joined, json_string_value(json_object_get(ev, "state_key")),
                            json_pack("{s:O,s:O}", "display_name", dn ? dn : json_null(),
                                      "avatar_url", av ? av : json_null()));
    }
    json_decref(all);
    return hs_ok(r, json_pack("{s:o}", "joined", joined));
}

int hs_h_joined_rooms(hs_req *r)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT room_id FROM members WHERE user_id=? AND membership='join'");
    json_t *arr;

    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    arr = json_array();
    hs_bind_text(st, 1, r->user_id);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arr, json_string(hs_col_text(st, 0)));
    sqlite3_reset(st);
    return hs_ok(r, json_pack("{s:o}", "joined_rooms", arr));
}

/* Parse "s<pos>" (also bare digits); -1 when malformed. */
int64_t hs_token_parse(const char *t)
{
    char *end;
    long long v;

    if (!t || !*t)
        return -1;
    if (*t == 's' || *t == 't')
        t++;
    v = strtoll(t, &end, 10);
    if (end == t || *end || v < 0)
        return -1;
    return v;
}

/* Events of a room with stream in (lo, hi], newest first when desc; at
 * most limit rows are read, and of those only the ones the reader may see
 * (vis; NULL: all) are returned as ClientEvents. *first and *last get the
 * stream of the first and last row read (0 if none), so pagination goes on
 * past hidden events; *more says whether more rows exist beyond the limit. */
static json_t *room_events(hs *s, const char *room, int64_t lo, int64_t hi,
                           int limit, int desc, const char *viewer,
                           const char *viewer_device, const hs_vis *vis,
                           int64_t *first, int64_t *last, int *more)
{
    sqlite3_stmt *st = hs_db_stmt(s, desc
        ? "SELECT " EV_COLS " FROM events WHERE room_id=? AND stream>? AND stream<=? ORDER BY stream DESC LIMIT ?"
        : "SELECT " EV_COLS " FROM events WHERE room_id=? AND stream>? AND stream<=? ORDER BY stream ASC LIMIT ?");
    json_t *arr = json_array();
    struct row { char *c[5]; int64_t stream; } *rows;
    int n = 0, i, k;

    *first = *last = 0;
    *more = 0;
    if (!st || limit <= 0)
        return arr;
    rows = calloc((size_t)limit + 1, sizeof(*rows));
    if (!rows)
        return arr;
    hs_bind_text(st, 1, room);
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    sqlite3_bind_int(st, 4, limit + 1);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        for (k = 0; k < 5; k++)
            rows[n].c[k] = sqlite3_column_type(st, k) == SQLITE_NULL ? NULL : strdup(hs_col_text(st, k));
        rows[n].stream = sqlite3_column_int64(st, 5);
        n++;
    }
    sqlite3_reset(st);
    for (i = 0; i < n; i++) {
        json_t *ev = rows[i].c[0] && (!vis || hs_vis_event(vis, rows[i].stream))
                         ? client_event(s, rows[i].c[0], rows[i].c[1], rows[i].c[2],
                                        rows[i].c[3], rows[i].c[4], viewer, viewer_device, vis)
                         : NULL;
        if (ev)
            json_array_append_new(arr, ev);
        if (i == 0)
            *first = rows[i].stream;
        *last = rows[i].stream;
        for (k = 0; k < 5; k++)
            free(rows[i].c[k]);
    }
    free(rows);
    return arr;
}

json_t *hs_room_events(hs *s, const char *room, int64_t lo, int64_t hi,
                       int limit, int desc, const char *viewer,
                       const char *viewer_device, int64_t *first,
                       int64_t *last, int *more)
{
    hs_vis *vis = viewer ? vis_load(s, room, viewer) : NULL;
    json_t *arr;

    if (viewer && !vis) {
        *first = *last = 0;
        *more = 0;
        return json_array();
    }
    arr = room_events(s, room, lo, hi, limit, desc, viewer, viewer_device, vis, first, last, more);
    vis_free(vis);
    return arr;
}

int hs_h_messages(hs_req *r)
{
    const char *room = r->segs[1], *dir = hs_query(r, "dir"), *from = hs_query(r, "from");
    const char *lim = hs_query(r, "limit");
    int64_t upto, pos, first, last;
    int limit = lim ? atoi(lim) : 10, more, back = !dir || strcmp(dir, "f");
    json_t *chunk, *resp;
    hs_vis *v;
    char tok[32];

    if (dir && strcmp(dir, "b") && strcmp(dir, "f"))
        return hs_err(r, 400, "M_INVALID_PARAM", "dir must be b or f");
    if (limit <= 0 || limit > 1000)
        limit = limit <= 0 ? 10 : 1000;
    pos = from ? hs_token_parse(from) : (back ? r->s->stream : 0);
    if (pos < 0)
        return hs_err(r, 400, "M_INVALID_PARAM", "bad from token");
    if (!(v = reader(r, room)))
        return HS_DONE;
    upto = v->upto;
    if (back)
        chunk = room_events(r->s, room, 0, pos < upto ? pos : upto, limit, 1,
                            r->user_id, r->device_id, v, &first, &last, &more);
    else
        chunk = room_events(r->s, room, pos, upto < r->s->stream ? upto : r->s->stream,
                            limit, 0, r->user_id, r->device_id, v, &first, &last, &more);
    vis_free(v);
    snprintf(tok, sizeof(tok), "s%lld", (long long)pos);
    resp = json_pack("{s:o,s:s,s:[]}", "chunk", chunk, "start", tok, "state");
    /* rows were read (maybe all hidden): the client pages on from there */
    if (last) {
        snprintf(tok, sizeof(tok), "s%lld", (long long)(back ? last - 1 : last));
        if (more || !back)
            json_object_set_new(resp, "end", json_string(tok));
    }
    return hs_ok(r, resp);
}

/* Related events the reader may see; the parent itself must be visible
 * (Synapse synapse/handlers/relations.py get_relations). */
int hs_h_relations(hs_req *r)
{
    const char *room = r->segs[1], *target = r->segs[3];
    const char *rel = r->nseg > 4 ? r->segs[4] : NULL, *etype = r->nseg > 5 ? r->segs[5] : NULL;
    sqlite3_stmt *st;
    json_t *chunk, *parent;
    char **ids = NULL, proom[256] = "";
    size_t n = 0, i;
    hs_vis *v = reader(r, room);

    if (!v)
        return HS_DONE;
    parent = event_by_id(r->s, target, r->user_id, r->device_id, proom, v, NULL);
    json_decref(parent);
    if (!parent || strcmp(proom, room)) {
        vis_free(v);
        return hs_err(r, 404, "M_NOT_FOUND", "Event not found");
    }
    st = hs_db_stmt(r->s, "SELECT event_id, rel_type, type, stream FROM events WHERE room_id=? AND relates_to=? ORDER BY stream DESC LIMIT 200");
    if (!st) {
        vis_free(v);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    chunk = json_array();
    hs_bind_text(st, 1, room);
    hs_bind_text(st, 2, target);
    ids = calloc(201, sizeof(char *));
    while (ids && sqlite3_step(st) == SQLITE_ROW) {
        if ((rel && strcmp(rel, hs_col_text(st, 1))) || (etype && strcmp(etype, hs_col_text(st, 2))))
            continue;
        if (!hs_vis_event(v, sqlite3_column_int64(st, 3)))
            continue;
        ids[n++] = strdup(hs_col_text(st, 0));
    }
    sqlite3_reset(st);
    for (i = 0; i < n; i++) {
        json_t *ev = ids[i] ? load_event_row(r->s, ids[i], r->user_id, r->device_id, 0, v) : NULL;
        if (ev)
            json_array_append_new(chunk, ev);
        free(ids[i]);
    }
    free(ids);
    vis_free(v);
    return hs_ok(r, json_pack("{s:o}", "chunk", chunk));
}

/* The room state after the event at `at` (the graph is linear: the last
 * event of each type and state key up to there), as ClientEvents. */
static json_t *state_at(hs *s, const char *room, int64_t at, const char *viewer,
                        const char *viewer_device, const hs_vis *vis)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT e.json, e.redacted_by FROM events e JOIN "
                                     "(SELECT MAX(stream) AS ms FROM events WHERE room_id=? AND "
                                     "state_key IS NOT NULL AND stream<=? GROUP BY type, state_key) m "
                                     "ON e.stream=m.ms ORDER BY e.stream");
    json_t *arr = json_array();
    char **rows = NULL;
    size_t n = 0, i;

    if (!st)
        return arr;
    hs_bind_text(st, 1, room);
    sqlite3_bind_int64(st, 2, at);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **nr = realloc(rows, sizeof(char *) * (n + 2));
        if (!nr)
            break;
        rows = nr;
        rows[n++] = strdup(hs_col_text(st, 0));
        rows[n++] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL : strdup(hs_col_text(st, 1));
    }
    sqlite3_reset(st);
    for (i = 0; i + 1 < n; i += 2) {
        json_t *ev = rows[i] ? client_event(s, rows[i], rows[i + 1], NULL, NULL, NULL, viewer,
                                            viewer_device, vis)
                             : NULL;
        if (ev)
            json_array_append_new(arr, ev);
    }
    for (i = 0; i < n; i++)
        free(rows[i]);
    free(rows);
    return arr;
}

/* Events around one the reader may see, only those they may see, and the
 * state at the last event returned, as Synapse answers
 * (synapse/handlers/room.py get_event_context): for a reader who left,
 * nothing after the leave and the state as it was then. */
int hs_h_context(hs_req *r)
{
    char room[256] = "", tok[32];
    const char *lim = hs_query(r, "limit");
    int limit = lim ? atoi(lim) : 10, more;
    int64_t stream = -1, f, l, at;
    json_t *ev, *before, *after;
    hs_vis *v = reader(r, r->segs[1]);

    if (!v)
        return HS_DONE;
    ev = event_by_id(r->s, r->segs[3], r->user_id, r->device_id, room, v, &stream);
    if (!ev || strcmp(room, r->segs[1])) {
        json_decref(ev);
        vis_free(v);
        return hs_err(r, 404, "M_NOT_FOUND", "Event not found");
    }
    if (limit < 0 || limit > 100)
        limit = 10;
    before = room_events(r->s, room, 0, stream - 1, limit / 2 + 1, 1, r->user_id, r->device_id,
                         v, &f, &l, &more);
    after = room_events(r->s, room, stream, v->upto < r->s->stream ? v->upto : r->s->stream,
                        limit / 2 + 1, 0, r->user_id, r->device_id, v, &f, &l, &more);
    at = stream;
    if (json_array_size(after)) { /* the last visible event after it */
        sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT stream FROM events WHERE event_id=? /*ctx*/");
        const char *id = json_string_value(json_object_get(json_array_get(after, json_array_size(after) - 1),
                                                           "event_id"));
        if (st && id) {
            hs_bind_text(st, 1, id);
            if (sqlite3_step(st) == SQLITE_ROW)
                at = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
        }
    }
    snprintf(tok, sizeof(tok), "s%lld", (long long)(stream - 1));
    {
        json_t *state = state_at(r->s, room, at, r->user_id, r->device_id, v);
        vis_free(v);
        return hs_ok(r, json_pack("{s:o,s:o,s:o,s:s,s:s,s:o}", "event", ev, "events_before", before,
                                  "events_after", after, "start", tok, "end", tok, "state", state));
    }
}
