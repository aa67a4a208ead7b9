/*
 * hs_sync.c - /sync (initial, incremental, long-poll) and filters.
 *
 * Tokens are "s<stream>": everything up to that stream position has been
 * delivered. A long-poll parks the request as an hs_waiter; any write calls
 * hs_sync_notify(), which (from a deferred event, so the write's transaction
 * is complete) rebuilds each waiter's response and answers those that now
 * have something, or answers empty at their timeout.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "hs.h"
#include "hs_e2ee.h"

#define SYNC_MAX_TIMEOUT_MS 60000
#define SYNC_DEFAULT_LIMIT 20

typedef struct mrow {
    char *room;
    char *membership;
    int64_t stream;
} mrow;

static json_t *strip(json_t *ev)
{
    static const char *const keys[] = {"type", "state_key", "sender", "content", NULL};
    json_t *o = json_object();
    size_t i;

    for (i = 0; keys[i]; i++)
        if (json_object_get(ev, keys[i]))
            json_object_set(o, keys[i], json_object_get(ev, keys[i]));
    return o;
}

static json_t *invite_state(hs *s, const char *room, const char *user)
{
    json_t *all = hs_room_state_events(s, room, NULL, NULL), *out = json_array(), *ev;
    size_t i;

    json_array_foreach(all, i, ev) {
        const char *t = json_string_value(json_object_get(ev, "type"));
        const char *sk = json_string_value(json_object_get(ev, "state_key"));
        if (!t)
            continue;
        if (!strcmp(t, "m.room.create") || !strcmp(t, "m.room.join_rules") ||
            !strcmp(t, "m.room.name") || !strcmp(t, "m.room.avatar") ||
            !strcmp(t, "m.room.encryption") || !strcmp(t, "m.room.canonical_alias") ||
            !strcmp(t, "m.room.topic") ||
            (!strcmp(t, "m.room.member") && sk && !strcmp(sk, user)))
            json_array_append_new(out, strip(ev));
    }
    /* the inviter's member event too, for its display name */
    json_array_foreach(all, i, ev) {
        const char *t = json_string_value(json_object_get(ev, "type"));
        const char *sk = json_string_value(json_object_get(ev, "state_key"));
        json_t *mine = NULL;
        size_t j;
        json_t *x;
        json_array_foreach(all, j, x)
            if (!strcmp(json_string_value(json_object_get(x, "type")), "m.room.member") &&
                json_string_value(json_object_get(x, "state_key")) &&
                !strcmp(json_string_value(json_object_get(x, "state_key")), user))
                mine = x;
        if (t && !strcmp(t, "m.room.member") && sk && mine &&
            !strcmp(sk, json_string_value(json_object_get(mine, "sender"))) && strcmp(sk, user))
            json_array_append_new(out, strip(ev));
    }
    json_decref(all);
    return out;
}

static json_t *receipts(hs *s, const char *room, int64_t since, const char *viewer)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT user_id, type, event_id, ts, thread_id FROM receipts "
                                     "WHERE room_id=? AND stream>?");
    json_t *content = json_object();

    if (!st)
        return content;
    hs_bind_text(st, 1, room);
    sqlite3_bind_int64(st, 2, since < 0 ? 0 : since);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *u = hs_col_text(st, 0), *t = hs_col_text(st, 1), *e = hs_col_text(st, 2);
        json_t *byev, *bytype, *rec;
        if (!strcmp(t, "m.read.private") && strcmp(u, viewer))
            continue;
        if (!(byev = json_object_get(content, e)))
            json_object_set_new(content, e, byev = json_object());
        if (!(bytype = json_object_get(byev, t)))
            json_object_set_new(byev, t, bytype = json_object());
        rec = json_pack("{s:I}", "ts", (json_int_t)sqlite3_column_int64(st, 3));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            json_object_set_new(rec, "thread_id", json_string(hs_col_text(st, 4)));
        json_object_set_new(bytype, u, rec);
    }
    sqlite3_reset(st);
    return content;
}

static json_t *account_data(hs *s, const char *user, const char *room, int64_t since)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT type, content FROM account_data WHERE user_id=? AND room_id=? AND stream>?");
    json_t *arr = json_array();

    if (!st)
        return arr;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, room);
    sqlite3_bind_int64(st, 3, since < 0 ? 0 : since);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *c = json_loads(hs_col_text(st, 1), 0, NULL);
        if (c)
            json_array_append_new(arr, json_pack("{s:s,s:o}", "type", hs_col_text(st, 0), "content", c));
    }
    sqlite3_reset(st);
    return arr;
}

static void counts(hs *s, const char *room, json_int_t *joined, json_int_t *invited, json_t *heroes,
                   const char *viewer)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT user_id, membership FROM members WHERE room_id=?");

    *joined = *invited = 0;
    if (!st)
        return;
    hs_bind_text(st, 1, room);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *m = hs_col_text(st, 1);
        if (!strcmp(m, "join"))
            (*joined)++;
        else if (!strcmp(m, "invite"))
            (*invited)++;
        else
            continue;
        if (strcmp(hs_col_text(st, 0), viewer) && json_array_size(heroes) < 5)
            json_array_append_new(heroes, json_string(hs_col_text(st, 0)));
    }
    sqlite3_reset(st);
}

/* Build the joined-room object; NULL when nothing changed. */
static json_t *joined_room(hs_req *r, const char *room, int64_t since,
                           int64_t mstream, int limit, int full_state, int64_t now)
{
    hs *s = r->s;
    int initial = since < 0 || mstream > since || full_state, more = 0;
    int64_t first, last;
    json_t *tl, *state, *eph, *rad, *rec, *o, *heroes, *ev;
    json_int_t nj, ni;
    size_t i;
    char tok[32];

    tl = hs_room_events(s, room, initial && mstream > since ? 0 : (since < 0 ? 0 : since),
                        now, limit, 1, r->user_id, r->device_id, &first, &last, &more);
    /* newest first from the query: reverse into timeline order */
    {
        json_t *asc = json_array();
        for (i = json_array_size(tl); i > 0; i--)
            json_array_append(asc, json_array_get(tl, i - 1));
        json_decref(tl);
        tl = asc;
    }
    eph = json_array();
    if (since < 0 || hs_typing_stream(s, room) > since)
        json_array_append_new(eph, json_pack("{s:s,s:{s:o}}", "type", "m.typing", "content",
                                             "user_ids", hs_typing_users(s, room)));
    rec = receipts(s, room, initial && since < 0 ? -1 : since, r->user_id);
    if (json_object_size(rec))
        json_array_append_new(eph, json_pack("{s:s,s:o}", "type", "m.receipt", "content", rec));
    else
        json_decref(rec);
    rad = account_data(s, r->user_id, room, since < 0 ? -1 : since);
    if (!initial && !json_array_size(tl) && !json_array_size(eph) && !json_array_size(rad)) {
        json_decref(tl);
        json_decref(eph);
        json_decref(rad);
        return NULL;
    }
    state = json_array();
    if (initial || more) {
        json_t *all = hs_room_state_events(s, room, r->user_id, r->device_id), *x;
        json_array_foreach(all, i, ev) {
            const char *id = json_string_value(json_object_get(ev, "event_id"));
            size_t j;
            int in_tl = 0;
            json_array_foreach(tl, j, x)
                if (!strcmp(json_string_value(json_object_get(x, "event_id")), id))
                    in_tl = 1;
            if (!in_tl)
                json_array_append(state, ev);
        }
        json_decref(all);
    }
    /* the last event before the timeline: clients page back from there */
    snprintf(tok, sizeof(tok), "s%lld", (long long)(json_array_size(tl) ? (last > 0 ? last - 1 : 0) : now));
    heroes = json_array();
    counts(s, room, &nj, &ni, heroes, r->user_id);
    o = json_pack("{s:{s:o,s:b,s:s},s:{s:o},s:{s:o},s:{s:o},s:{s:o,s:I,s:I},s:{s:i,s:i}}",
                  "timeline", "events", tl, "limited", more, "prev_batch", tok,
                  "state", "events", state, "ephemeral", "events", eph,
                  "account_data", "events", rad, "summary", "m.heroes", heroes,
                  "m.joined_member_count", nj, "m.invited_member_count", ni,
                  "unread_notifications", "notification_count", 0, "highlight_count", 0);
    return o;
}

static json_t *leave_room(hs *s, const char *room, const char *user)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT e.event_id FROM state st JOIN events e ON e.event_id=st.event_id "
                                     "WHERE st.room_id=? AND st.type='m.room.member' AND st.state_key=?");
    char eid[80] = "", room_out[256];
    json_t *tl = json_array(), *ev;

    if (st) {
        hs_bind_text(st, 1, room);
        hs_bind_text(st, 2, user);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(eid, sizeof(eid), "%s", hs_col_text(st, 0));
        sqlite3_reset(st);
    }
    if (eid[0] && (ev = hs_event_by_id(s, eid, NULL, NULL, room_out)))
        json_array_append_new(tl, ev);
    return json_pack("{s:{s:o,s:b},s:{s:[]}}", "timeline", "events", tl, "limited", 0,
                     "state", "events");
}

/* Build a sync response from `since` (-1 = initial). *has_data set when
 * anything is new for this user. */
static json_t *build(hs_req *r, int64_t since, int limit, int full_state, int *has_data)
{
    hs *s = r->s;
    int64_t now = s->stream;
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT room_id, membership, stream FROM members WHERE user_id=?");
    json_t *join = json_object(), *invite = json_object(), *leave = json_object(), *gad, *resp;
    mrow *rows = NULL;
    size_t n = 0, cap = 0, i;
    char tok[32];

    if (st) {
        hs_bind_text(st, 1, r->user_id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == cap) {
                mrow *nr = realloc(rows, sizeof(*rows) * (cap = cap ? cap * 2 : 16));
                if (!nr)
                    break;
                rows = nr;
            }
            rows[n].room = strdup(hs_col_text(st, 0));
            rows[n].membership = strdup(hs_col_text(st, 1));
            rows[n].stream = sqlite3_column_int64(st, 2);
            n++;
        }
        sqlite3_reset(st);
    }
    for (i = 0; i < n; i++) {
        const char *m = rows[i].membership;
        if (!rows[i].room || !m)
            continue;
        if (!strcmp(m, "join")) {
            json_t *o = joined_room(r, rows[i].room, since, rows[i].stream, limit, full_state, now);
            if (o)
                json_object_set_new(join, rows[i].room, o);
        } else if (!strcmp(m, "invite")) {
            if (since < 0 || rows[i].stream > since || full_state)
                json_object_set_new(invite, rows[i].room,
                                    json_pack("{s:{s:o}}", "invite_state", "events",
                                              invite_state(s, rows[i].room, r->user_id)));
        } else if (since >= 0 && rows[i].stream > since) {
            json_object_set_new(leave, rows[i].room, leave_room(s, rows[i].room, r->user_id));
        }
        free(rows[i].room);
        free(rows[i].membership);
    }
    free(rows);
    gad = account_data(s, r->user_id, "", since);
    *has_data = json_object_size(join) || json_object_size(invite) ||
                json_object_size(leave) || json_array_size(gad);
    snprintf(tok, sizeof(tok), "s%lld", (long long)now);
    resp = json_pack("{s:s,s:{s:o,s:o,s:o},s:{s:o},s:{s:[]}}",
                     "next_batch", tok, "rooms", "join", join, "invite", invite, "leave", leave,
                     "account_data", "events", gad, "presence", "events");
    if (hs_e2ee_sync(r, since, now, resp)) /* to_device, device_lists, key counts */
        *has_data = 1;
    return resp;
}

static int filter_limit(hs_req *r, const char *f)
{
    json_t *j = NULL, *lim;
    int limit = SYNC_DEFAULT_LIMIT;

    if (!f)
        return limit;
    if (f[0] == '{') {
        if (!hs_json_depth_ok((const unsigned char *)f, strlen(f), HS_JSON_MAX_DEPTH))
            j = json_loads(f, 0, NULL);
        if (!json_is_object(j)) {
            json_decref(j);
            return -1; /* a broken inline filter is the client's error */
        }
    } else {
        sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT json FROM filters WHERE filter_id=? AND user_id=?");
        if (st) {
            sqlite3_bind_int64(st, 1, atoll(f));
            hs_bind_text(st, 2, r->user_id);
            if (sqlite3_step(st) == SQLITE_ROW)
                j = json_loads(hs_col_text(st, 0), 0, NULL);
            sqlite3_reset(st);
        }
    }
    lim = json_object_get(json_object_get(json_object_get(j, "room"), "timeline"), "limit");
    if (json_is_integer(lim) && json_integer_value(lim) > 0)
        limit = json_integer_value(lim) > 500 ? 500 : (int)json_integer_value(lim);
    json_decref(j);
    return limit;
}

static void waiter_remove(hs *s, hs_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    if (w->timer)
        event_free(w->timer);
    free(w);
}

static void waiter_answer(hs *s, hs_waiter *w, int force)
{
    hs_req *r = w->r;
    int has = 0;
    json_t *resp;

    if (!r->transport) { /* client gone */
        waiter_remove(s, w);
        hs_req_done(r);
        return;
    }
    resp = build(r, w->since, w->limit, 0, &has);
    if (!has && !force) {
        json_decref(resp);
        return;
    }
    waiter_remove(s, w);
    hs_ok(r, resp);
    hs_req_done(r);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    hs_waiter *w = arg;

    (void)fd;
    (void)what;
    waiter_answer(w->r->s, w, 1);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    hs *s = arg;
    hs_waiter *w, *next;

    (void)fd;
    (void)what;
    for (w = s->waiters; w; w = next) {
        next = w->next;
        waiter_answer(s, w, 0);
    }
}

void hs_sync_notify(hs *s)
{
    if (!s->notify_ev)
        s->notify_ev = event_new(s->base, -1, 0, on_notify, s);
    if (s->notify_ev && !event_pending(s->notify_ev, EV_TIMEOUT, NULL))
        event_active(s->notify_ev, EV_TIMEOUT, 0);
}

void hs_sync_shutdown(hs *s)
{
    while (s->waiters) {
        hs_waiter *w = s->waiters;
        hs_req *r = w->r;
        waiter_remove(s, w);
        hs_err(r, 503, "M_UNKNOWN", "server shutting down");
        hs_req_done(r);
    }
    if (s->notify_ev)
        event_free(s->notify_ev);
    s->notify_ev = NULL;
}

/*
 * At most SYNC_MAX_PARKED long-polls wait per user. A new one answers the
 * user's oldest early, as an empty sync (its next_batch is valid: nothing
 * changed for the user), rather than refusing the new one with 429: the
 * oldest is the likeliest to belong to a client that went away without
 * closing (a phone changing networks), and a live client just polls again,
 * while refusing would lock out the live client until the stale polls time
 * out. Memory stays bounded per user either way.
 */
#define SYNC_MAX_PARKED 8

static void park_room(hs *s, const char *user)
{
    hs_waiter *w, *oldest = NULL;
    int n = 0;

    for (w = s->waiters; w; w = w->next) /* newest first */
        if (!strcmp(w->r->user_id, user)) {
            n++;
            oldest = w;
        }
    if (n >= SYNC_MAX_PARKED && oldest)
        waiter_answer(s, oldest, 1);
}

int hs_h_sync(hs_req *r)
{
    const char *since_s = hs_query(r, "since"), *to = hs_query(r, "timeout");
    const char *fs = hs_query(r, "full_state");
    int64_t since = -1;
    long timeout = to ? atol(to) : 0;
    int limit = filter_limit(r, hs_query(r, "filter")), has = 0;
    int full = fs && !strcmp(fs, "true");
    json_t *resp;
    hs_waiter *w;
    struct timeval tv;

    if (limit < 0)
        return hs_err(r, 400, "M_BAD_JSON", "the inline filter is not a JSON object");
    if (since_s) {
        since = hs_token_parse(since_s);
        if (since < 0)
            return hs_err(r, 400, "M_INVALID_PARAM", "bad since token");
        if (since > r->s->stream)
            since = r->s->stream;
    }
    if (timeout < 0)
        timeout = 0;
    if (timeout > SYNC_MAX_TIMEOUT_MS)
        timeout = SYNC_MAX_TIMEOUT_MS;
    resp = build(r, since, limit, full, &has);
    if (has || since < 0 || timeout == 0 || r->from_module)
        return hs_ok(r, resp);
    json_decref(resp);
    park_room(r->s, r->user_id);
    w = calloc(1, sizeof(*w));
    if (!w)
        return hs_err(r, 500, "M_UNKNOWN", "out of memory");
    w->r = r;
    w->since = since;
    w->limit = limit;
    w->timer = evtimer_new(r->s->base, on_timeout, w);
    if (!w->timer) {
        free(w);
        return hs_err(r, 500, "M_UNKNOWN", "out of memory");
    }
    tv.tv_sec = timeout / 1000;
    tv.tv_usec = (timeout % 1000) * 1000;
    evtimer_add(w->timer, &tv);
    w->next = r->s->waiters;
    if (w->next)
        w->next->prev = w;
    r->s->waiters = w;
    return HS_PENDING;
}

int hs_h_filter_post(hs_req *r)
{
    sqlite3_stmt *st;
    char *txt, id[32];

    if (strcmp(r->segs[1], r->user_id))
        return hs_err(r, 403, "M_FORBIDDEN", "Cannot create filters for other users");
    txt = json_dumps(r->json, JSON_COMPACT);
    st = hs_db_stmt(r->s, "INSERT INTO filters(user_id, json) VALUES(?,?)");
    if (!st || !txt) {
        free(txt);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    hs_bind_text(st, 1, r->user_id);
    hs_bind_text(st, 2, txt);
    free(txt);
    if (hs_db_step_done(r->s, st))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    snprintf(id, sizeof(id), "%lld", (long long)sqlite3_last_insert_rowid(r->s->db));
    return hs_ok(r, json_pack("{s:s}", "filter_id", id));
}

int hs_h_filter_get(hs_req *r)
{
    sqlite3_stmt *st = hs_db_stmt(r->s, "SELECT json FROM filters WHERE filter_id=? AND user_id=? /*get*/");
    json_t *j = NULL;

    if (strcmp(r->segs[1], r->user_id))
        return hs_err(r, 403, "M_FORBIDDEN", "Cannot read filters of other users");
    if (!st)
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    sqlite3_bind_int64(st, 1, atoll(r->segs[3]));
    hs_bind_text(st, 2, r->user_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        j = json_loads(hs_col_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    if (!j)
        return hs_err(r, 404, "M_NOT_FOUND", "No such filter");
    return hs_ok(r, j);
}
