/*
 * br_relate.c - reactions, deletes and edits from Signal (br_relout.c has
 * the Matrix -> Signal half); see br_relate.h for the flow. Tables:
 * br_relin, br_relout, br_reaction and the view br_msgmap (migration 006).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "br_group.h"
#include "br_internal.h"
#include "br_relate.h"
#include "br_txn.h"

#define RETRY_MS 2000
/* how long a relation may wait for its target to be bridged */
#define PENDING_MAX_MS (10 * 60 * 1000)

enum { RELIN_PENDING = 0, RELIN_DONE = 1, RELIN_DROPPED = 2 };

/* ---- pure helpers --------------------------------------------------------- */

const char *br_relate_edit_body(json_t *content)
{
    json_t *nc = json_object_get(content, "m.new_content");
    const char *body = json_string_value(json_object_get(nc, "body"));

    if (body)
        return body;
    body = json_string_value(json_object_get(content, "body"));
    if (body && strncmp(body, "* ", 2) == 0)
        body += 2;
    return body;
}

const char *br_relate_kind_name(int kind)
{
    return kind == BR_REL_REACTION ? "reaction" : kind == BR_REL_DELETE ? "deletion" : "edit";
}

/* ---- lookups -------------------------------------------------------------- */

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Signal (author, ts) -> Matrix event id. */
static int event_of(br_bridge *b, const char *owner, const char *author,
                    int64_t ts, char *event, size_t n)
{
    static const char sql[] = "SELECT event_id FROM br_msgmap WHERE owner_mxid = ?1"
                              " AND author = ?2 AND ts = ?3 LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    int found = 0;

    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(event, n, "%s", col(st, 0));
        found = 1;
    }
    sqlite3_reset(st);
    return found;
}

/* Could the target still be bridged (stored, event id not known yet)? */
static int target_coming(br_bridge *b, const char *owner, const char *author,
                         int64_t ts)
{
    static const char sql[] =
        "SELECT 1 FROM br_inbox WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3 AND event_id IS NULL"
        " UNION ALL SELECT 1 FROM br_outbox WHERE owner_mxid = ?1 AND state = 0"
        " AND ?2 = (SELECT aci FROM br_login WHERE owner_mxid = ?1) LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    int r = 0;

    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    r = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return r;
}

/* ---- Signal -> Matrix ------------------------------------------------------ */

typedef struct relin {
    char *owner, *chat_id, *sender, *target_author, *text;
    int64_t ts, target_ts, received_ms;
    int from_me, kind, remove;
} relin;

static void relin_free(relin *r)
{
    if (!r)
        return;
    free(r->owner);
    free(r->chat_id);
    free(r->sender);
    free(r->target_author);
    free(r->text);
    free(r);
}

static void relin_state(br_bridge *b, const relin *r, int state)
{
    static const char sql[] =
        "UPDATE br_relin SET state = ?4 WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);

    if (!st)
        return;
    sqlite3_bind_text(st, 1, r->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->ts);
    sqlite3_bind_int(st, 4, state);
    st_db_step_done(b->db, st);
}

typedef struct relin_ctx {
    br_bridge *b;
    relin *r;
    int redaction;     /* of a reaction taken back: forget its row */
    char *event_id;    /* that reaction's event */
} relin_ctx;

static void relin_ctx_free(relin_ctx *x)
{
    relin_free(x->r);
    free(x->event_id);
    free(x);
}

static void on_relin_done(void *arg, int status, json_t *body)
{
    relin_ctx *x = arg;
    br_bridge *b = x->b;
    relin *r = x->r;
    const char *eid = json_string_value(json_object_get(body, "event_id"));
    sqlite3_stmt *st;

    if (status != 200) {
        /* a refusal (e.g. the event is gone, a duplicate reaction) is
         * final; anything else stays pending and the next start (or retry)
         * sends it again, with the same transaction id */
        int final = status >= 400 && status < 500 && status != 429;
        ut_logf(&b->log, UT_LOG_WARN, "bridge: a Signal %s was not bridged (HTTP %d)%s",
                br_relate_kind_name(r->kind), status, final ? "; dropped" : "");
        if (final)
            relin_state(b, r, RELIN_DROPPED);
        relin_ctx_free(x);
        return;
    }
    if (r->kind == BR_REL_REACTION && !x->redaction && eid) {
        st = st_db_stmt(b->db, "UPDATE br_reaction SET event_id = ?6 WHERE owner_mxid = ?1"
                               " AND target_author = ?2 AND target_ts = ?3 AND reactor = ?4 AND emoji = ?5");
        if (st) {
            sqlite3_bind_text(st, 1, r->owner, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, r->target_author, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, r->target_ts);
            sqlite3_bind_text(st, 4, r->sender, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, r->text, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 6, eid, -1, SQLITE_STATIC);
            st_db_step_done(b->db, st);
        }
    }
    if (x->redaction && x->event_id) {
        st = st_db_stmt(b->db, "DELETE FROM br_reaction WHERE owner_mxid = ?1 AND event_id = ?2");
        if (st) {
            sqlite3_bind_text(st, 1, r->owner, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, x->event_id, -1, SQLITE_STATIC);
            st_db_step_done(b->db, st);
        }
    }
    relin_state(b, r, RELIN_DONE);
    relin_ctx_free(x);
}

/* PUT /rooms/{room}/redact/{event}/{txn}, marked as ours: homeservers
 * may keep only `reason` of a redaction's content, so it is the mark too. */
static int redact(br_bridge *b, const char *as, const char *room, const char *event_id,
                  const char *txn, mx_done_fn cb, void *arg)
{
    char path[2048], er[512], ee[512], et[512];
    json_t *body = json_pack("{s:s,s:s}", BR_ORIGIN_KEY, "signal", "reason", BR_REDACT_REASON);
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    rc = mx_path_escape(er, sizeof(er), room) || mx_path_escape(ee, sizeof(ee), event_id) ||
         mx_path_escape(et, sizeof(et), txn) ? UT_ERR_RANGE : 0;
    if (rc == 0)
        snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/redact/%s/%s", er, ee, et);
    if (rc == 0)
        rc = mx_request(b->mx, as, "PUT", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

/* Who acts in Matrix for the Signal user `aci` in this chat. */
static int acting(br_bridge *b, const relin *r, const char *aci, char *as, size_t n)
{
    br_login *l = br_login_get(b, r->owner, 0);
    int mine = r->from_me || (l && l->aci && strcmp(aci, l->aci) == 0);

    if (!mine)
        return br_puppet_mxid(b, aci, as, n);
    if (b->cfg.double_puppet) {
        snprintf(as, n, "%s", r->owner);
        return 0;
    }
    snprintf(as, n, "%s", b->bot);
    return 0;
}

/* Who may redact the user's own message: the user (double puppeting), else
 * the DM's puppet, which created the room (power level 100). */
static int redactor(br_bridge *b, const relin *r, char *as, size_t n)
{
    br_login *l = br_login_get(b, r->owner, 0);
    int mine = r->from_me || (l && l->aci && strcmp(r->target_author, l->aci) == 0);

    if (!mine)
        return br_puppet_mxid(b, r->target_author, as, n);
    if (b->cfg.double_puppet) {
        snprintf(as, n, "%s", r->owner);
        return 0;
    }
    if (strncmp(r->chat_id, "dm:", 3) == 0)
        return br_puppet_mxid(b, r->chat_id + 3, as, n);
    /* a group portal is the bot's room, and the bot posted the message */
    snprintf(as, n, "%s", b->bot);
    return 0;
}

static relin_ctx *ctx_new(br_bridge *b, relin *r)
{
    relin_ctx *x = calloc(1, sizeof(*x));

    if (x) {
        x->b = b;
        x->r = r;
    }
    return x;
}

/* The end of every request that applies a relation: on_relin_done owns
 * x (and its r) once the request is made; when it could not be made
 * (rc != 0) nothing will call it, so x, or r when there is no x, goes. */
static int relin_made(relin_ctx *x, relin *r, int rc)
{
    if (rc != 0 && x)
        relin_ctx_free(x);
    else if (rc != 0)
        relin_free(r);
    return rc;
}

/* Send `c` (NULL when it could not be made; released) as `as`. */
static int relin_send(br_bridge *b, relin *r, const char *as, const char *room,
                      const char *type, const char *txn, json_t *c)
{
    relin_ctx *x = c ? ctx_new(b, r) : NULL;
    int rc = x ? mx_send(b->mx, as, room, type, txn, c, r->ts, on_relin_done, x) : UT_ERR_NOMEM;

    json_decref(c);
    return relin_made(x, r, rc);
}

/* Redact `event_id` as `as`; `reaction` (else NULL): the event is that
 * reaction, whose row goes once redacted. */
static int relin_redact(br_bridge *b, relin *r, const char *as, const char *room,
                        const char *event_id, const char *txn, const char *reaction)
{
    relin_ctx *x = ctx_new(b, r);

    if (x && reaction && !(x->event_id = strdup(reaction)))
        return relin_made(x, r, UT_ERR_NOMEM);
    if (x)
        x->redaction = reaction != NULL;
    return relin_made(x, r, x ? redact(b, as, room, event_id, txn, on_relin_done, x) : UT_ERR_NOMEM);
}

/* A reaction: drop the reactor's other emoji on that message (Signal
 * keeps one per person), then annotate. */
static int apply_reaction(br_bridge *b, relin *r, const char *room, const char *target,
                          const char *as, const char *txn)
{
    static const char others[] =
        "SELECT event_id, emoji FROM br_reaction WHERE owner_mxid = ?1 AND target_author = ?2"
        " AND target_ts = ?3 AND reactor = ?4 AND event_id IS NOT NULL AND (?5 OR emoji <> ?6)";
    static const char ins[] =
        "INSERT INTO br_reaction(owner_mxid, target_author, target_ts, reactor, emoji, room_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = NULL;
    json_t *c;
    char rtxn[256];
    int i = 0, matched = 0;

    /* not the statement cache: other cached statements run meanwhile */
    if (sqlite3_prepare_v2(st_db_handle(b->db), others, -1, &st, NULL) != SQLITE_OK)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, r->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->target_ts);
    sqlite3_bind_text(st, 4, r->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, r->remove);
    sqlite3_bind_text(st, 6, r->text, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        relin *copy;
        const char *eid = col(st, 0);

        if (r->remove && strcmp(col(st, 1), r->text) != 0)
            continue;
        matched = 1;
        /* one redaction per old reaction, each with its own stable txn */
        snprintf(rtxn, sizeof(rtxn), "%.200s-%d", txn, i++);
        copy = calloc(1, sizeof(*copy));
        if (!copy || !(copy->owner = strdup(r->owner)) || !(copy->chat_id = strdup(r->chat_id)) ||
            !(copy->sender = strdup(r->sender)) || !(copy->target_author = strdup(r->target_author)) ||
            !(copy->text = strdup(col(st, 1)))) {
            relin_free(copy);
            continue;
        }
        copy->ts = r->ts;
        copy->target_ts = r->target_ts;
        copy->kind = r->kind;
        copy->from_me = r->from_me;
        /* the row of a removal is marked done by this redaction */
        relin_redact(b, copy, as, room, eid, rtxn, eid);
    }
    sqlite3_finalize(st);
    if (r->remove) {
        if (!matched)
            relin_state(b, r, RELIN_DONE); /* nothing to take back */
        relin_free(r);
        return 0;
    }
    st = st_db_stmt(b->db, ins);
    if (st) {
        sqlite3_bind_text(st, 1, r->owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->target_author, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, r->target_ts);
        sqlite3_bind_text(st, 4, r->sender, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, room, -1, SQLITE_STATIC);
        st_db_step_done(b->db, st);
    }
    c = json_pack("{s:{s:s,s:s,s:s},s:s}", "m.relates_to", "rel_type", "m.annotation",
                  "event_id", target, "key", r->text, BR_ORIGIN_KEY, "signal");
    return relin_send(b, r, as, room, "m.reaction", txn, c);
}

static int apply_edit(br_bridge *b, relin *r, const char *room, const char *target,
                      const char *as, const char *txn)
{
    char *fallback = NULL;
    json_t *c;

    if (asprintf(&fallback, "* %s", r->text ? r->text : "") < 0) {
        relin_free(r);
        return UT_ERR_NOMEM;
    }
    c = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:s}", "msgtype", "m.text", "body", fallback,
                  "m.new_content", "msgtype", "m.text", "body", r->text ? r->text : "",
                  "m.relates_to", "rel_type", "m.replace", "event_id", target,
                  BR_ORIGIN_KEY, "signal");
    free(fallback);
    return relin_send(b, r, as, room, "m.room.message", txn, c);
}

static void on_retry(void *arg)
{
    br_relate_resume(arg);
}

/* In a group portal a member's ghost joins when it first acts (reacting
 * before ever writing, say): 1 when whoever acts for r is in the room. */
static int group_actor_ready(br_bridge *b, const relin *r, const char *room)
{
    br_login *l = br_login_get(b, r->owner, 0);

    if (strncmp(r->chat_id, "group:", 6) != 0 || r->from_me ||
        (l && l->aci && strcmp(r->sender, l->aci) == 0))
        return 1;
    return br_group_sender_ready(b, r->owner, r->chat_id, room, r->sender);
}

/* Apply one stored relation; takes ownership of r. */
static void relin_run(br_bridge *b, relin *r)
{
    char room[256], target[256], as[320], txn[256];

    if (br_portal_room(b, r->owner, r->chat_id, room, sizeof(room)) != 1 ||
        !event_of(b, r->owner, r->target_author, r->target_ts, target, sizeof(target))) {
        if ((ut_now_ms() - r->received_ms) < PENDING_MAX_MS &&
            target_coming(b, r->owner, r->target_author, r->target_ts)) {
            if (!b->relate_timer && !b->stopping)
                b->relate_timer = b->host->timer_add(b->host->host, RETRY_MS, on_retry, b);
        } else {
            /* e.g. a reaction to a message from before the link */
            ut_logf(&b->log, UT_LOG_INFO, "bridge: a Signal %s targets a message that was not bridged; dropped",
                    br_relate_kind_name(r->kind));
            relin_state(b, r, RELIN_DROPPED);
        }
        relin_free(r);
        return;
    }
    if (br_txn(txn, sizeof(txn),
               r->kind == BR_REL_REACTION ? "sigr" : r->kind == BR_REL_DELETE ? "sigd" : "sige",
               r->owner, r->chat_id, r->sender, r->ts) != 0) {
        relin_state(b, r, RELIN_DROPPED);
        relin_free(r);
        return;
    }
    if (!group_actor_ready(b, r, room)) {
        /* the ghost is being brought in; the retry applies it */
        if ((ut_now_ms() - r->received_ms) >= PENDING_MAX_MS)
            relin_state(b, r, RELIN_DROPPED);
        else if (!b->relate_timer && !b->stopping)
            b->relate_timer = b->host->timer_add(b->host->host, RETRY_MS, on_retry, b);
        relin_free(r);
        return;
    }
    switch (r->kind) {
    case BR_REL_REACTION:
        if (acting(b, r, r->sender, as, sizeof(as)) != 0)
            break;
        apply_reaction(b, r, room, target, as, txn);
        return;
    case BR_REL_DELETE:
        if (redactor(b, r, as, sizeof(as)) != 0)
            break;
        relin_redact(b, r, as, room, target, txn, NULL);
        return;
    case BR_REL_EDIT:
        if (acting(b, r, r->sender, as, sizeof(as)) != 0)
            break;
        apply_edit(b, r, room, target, as, txn);
        return;
    default:
        break;
    }
    relin_state(b, r, RELIN_DROPPED);
    relin_free(r);
}

static void on_relation(br_bridge *b, br_net_event *ev)
{
    static const char sql[] =
        "INSERT INTO br_relin(owner_mxid, chat_id, sender, ts, from_me, kind, target_author,"
        " target_ts, text, remove, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    relin *r;
    int fresh;

    if (!st || !ev->chat_id || !ev->sender || !ev->target_author || ev->rel < BR_REL_REACTION ||
        ev->rel > BR_REL_EDIT)
        return;
    sqlite3_bind_text(st, 1, ev->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ev->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ev->ts);
    sqlite3_bind_int(st, 5, ev->from_me);
    sqlite3_bind_int(st, 6, ev->rel);
    sqlite3_bind_text(st, 7, ev->target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, ev->target_ts);
    sqlite3_bind_text(st, 9, ev->text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, ev->remove);
    sqlite3_bind_int64(st, 11, ut_now_ms());
    if (st_db_step_done(b->db, st) != 0) {
        /* not durable: no confirm, Signal hands it over again */
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot store a Signal %s: %s",
                br_relate_kind_name(ev->rel), st_errmsg(b->db));
        return;
    }
    fresh = sqlite3_changes(st_db_handle(b->db)) > 0;
    ut_logf(&b->log, UT_LOG_DEBUG, "bridge: a Signal %s%s (%s)", br_relate_kind_name(ev->rel),
            ev->from_me ? " from the user's phone" : "", fresh ? "new" : "replayed");
    if (b->net.confirm && ev->durable_id)
        b->net.confirm(b->net.ctx, ev->owner, ev->durable_id);
    if (!fresh)
        return; /* a replay: the stored row is (being) applied */
    r = calloc(1, sizeof(*r));
    if (!r || !(r->owner = strdup(ev->owner)) || !(r->chat_id = strdup(ev->chat_id)) ||
        !(r->sender = strdup(ev->sender)) || !(r->target_author = strdup(ev->target_author)) ||
        (ev->text && !(r->text = strdup(ev->text)))) {
        relin_free(r);
        return;
    }
    r->ts = ev->ts;
    r->target_ts = ev->target_ts;
    r->from_me = ev->from_me;
    r->kind = ev->rel;
    r->remove = ev->remove;
    r->received_ms = ut_now_ms();
    if (r->kind == BR_REL_REACTION && !r->text) {
        relin_state(b, r, RELIN_DROPPED);
        relin_free(r);
        return;
    }
    relin_run(b, r);
}

void br_relate_net_event(br_bridge *b, br_net_event *ev)
{
    if (b->db) {
        if (ev->kind == BR_NET_RELATION)
            on_relation(b, ev);
        else if (ev->kind == BR_NET_RELATE_RESULT)
            br_relout_result(b, ev);
    }
    br_net_event_free(ev);
}

/* ---- resume ---------------------------------------------------------------- */

void br_relate_resume(br_bridge *b)
{
    sqlite3_stmt *st = NULL;
    relin **list = NULL, *r;
    size_t n = 0, cap = 0, i;

    b->relate_timer = 0;
    if (!b->db || b->stopping)
        return;
    /* Collect first: applying may write to br_relin. */
    if (sqlite3_prepare_v2(st_db_handle(b->db),
                           "SELECT owner_mxid, chat_id, sender, ts, from_me, kind, target_author,"
                           " target_ts, text, remove, received_ms FROM br_relin WHERE state = 0 ORDER BY ts",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == cap) {
                relin **t = realloc(list, (cap ? cap * 2 : 16) * sizeof(*list));
                if (!t)
                    break;
                list = t;
                cap = cap ? cap * 2 : 16;
            }
            r = calloc(1, sizeof(*r));
            if (!r || !(r->owner = strdup(col(st, 0))) || !(r->chat_id = strdup(col(st, 1))) ||
                !(r->sender = strdup(col(st, 2))) || !(r->target_author = strdup(col(st, 6))) ||
                (sqlite3_column_type(st, 8) != SQLITE_NULL && !(r->text = strdup(col(st, 8))))) {
                relin_free(r);
                break;
            }
            r->ts = sqlite3_column_int64(st, 3);
            r->from_me = sqlite3_column_int(st, 4);
            r->kind = sqlite3_column_int(st, 5);
            r->target_ts = sqlite3_column_int64(st, 7);
            r->remove = sqlite3_column_int(st, 9);
            r->received_ms = sqlite3_column_int64(st, 10);
            list[n++] = r;
        }
        sqlite3_finalize(st);
    }
    for (i = 0; i < n; i++)
        relin_run(b, list[i]);
    free(list);
}

void br_relate_start(br_bridge *b)
{
    if (!b->db)
        return;
    br_relout_resume(b);
    br_relate_resume(b);
}

void br_relate_stop(br_bridge *b)
{
    if (b->relate_timer)
        b->host->timer_cancel(b->host->host, b->relate_timer);
    b->relate_timer = 0;
}
