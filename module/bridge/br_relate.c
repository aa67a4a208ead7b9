/*
 * br_relate.c - reactions, deletes and edits from Signal (br_relout.c has
 * the Matrix -> Signal half); see br_relate.h for the flow. Tables:
 * br_relin, br_relout, br_reaction and the view br_msgmap (migration 006).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_group.h"
#include "br_internal.h"
#include "br_fmt.h"
#include "br_relate.h"
#include "br_store.h"
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

/* Signal (author, ts) -> Matrix event id. */
static int event_of(br_bridge *b, const char *owner, const char *author,
                    int64_t ts, char *event, size_t n)
{
    return br_store_msgmap_event_of(b->db, owner, author, ts, event, n) == 1;
}

/* Could the target still be bridged (stored, event id not known yet)? */
static int target_coming(br_bridge *b, const char *owner, const char *author,
                         int64_t ts)
{
    return br_store_relation_target_coming(b->db, owner, author, ts) == 1;
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
    br_store_relin_set_state(b->db, r->owner, r->sender, r->ts, state);
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

static void on_retry(void *arg);

/* Apply the pending relations again after RETRY_MS. */
static void retry_soon(br_bridge *b)
{
    if (!b->relate_timer && !b->stopping)
        b->relate_timer = b->host->timer_add(b->host->host, RETRY_MS, on_retry, b);
}

static void on_relin_done(void *arg, int status, json_t *body)
{
    relin_ctx *x = arg;
    br_bridge *b = x->b;
    relin *r = x->r;
    const char *eid = json_string_value(json_object_get(body, "event_id"));
    int rc = 0;

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
    if (r->kind == BR_REL_REACTION && !x->redaction && eid)
        rc = br_store_reaction_set_event(b->db, r->owner, r->target_author, r->target_ts, r->sender,
                                         r->text, eid);
    if (rc >= 0 && x->redaction && x->event_id)
        rc = br_store_reaction_delete_event(b->db, r->owner, x->event_id);
    if (rc < 0) {
        /* Without its event a reaction could never be taken back (nor a
         * taken-back one forgotten): the row stays pending and is applied
         * again soon, with the same txn id, which the homeserver answers
         * with the same event. */
        ut_logf(&b->log, UT_LOG_WARN, "bridge: a bridged Signal %s could not be recorded: %s; will retry",
                br_relate_kind_name(r->kind), st_errmsg(b->db));
        retry_soon(b);
        relin_ctx_free(x);
        return;
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
    br_store_reaction *old;
    json_t *c;
    char rtxn[256];
    size_t k, nold;
    int i = 0, matched = 0, rc;

    /* the whole list first: the redactions write to the store meanwhile */
    if ((rc = br_store_reaction_others(b->db, r->owner, r->target_author, r->target_ts, r->sender,
                                       r->remove, r->text, &old, &nold)) != 0)
        return rc;
    for (k = 0; k < nold; k++) {
        relin *copy;
        const char *eid = old[k].event_id;

        if (r->remove && strcmp(old[k].emoji, r->text) != 0)
            continue;
        matched = 1;
        /* one redaction per old reaction, each with its own stable txn */
        snprintf(rtxn, sizeof(rtxn), "%.200s-%d", txn, i++);
        copy = calloc(1, sizeof(*copy));
        if (!copy || !(copy->owner = strdup(r->owner)) || !(copy->chat_id = strdup(r->chat_id)) ||
            !(copy->sender = strdup(r->sender)) || !(copy->target_author = strdup(r->target_author)) ||
            !(copy->text = strdup(old[k].emoji))) {
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
    br_store_reactions_free(old, nold);
    if (r->remove) {
        if (!matched)
            relin_state(b, r, RELIN_DONE); /* nothing to take back */
        relin_free(r);
        return 0;
    }
    if ((rc = br_store_reaction_put(b->db, r->owner, r->target_author, r->target_ts, r->sender,
                                    r->text, room)) < 0) {
        /* sent without its row, it could not be taken back later */
        ut_logf(&b->log, UT_LOG_WARN, "bridge: a Signal reaction could not be stored: %s; will retry",
                st_errmsg(b->db));
        retry_soon(b);
        relin_free(r);
        return rc;
    }
    c = json_pack("{s:{s:s,s:s,s:s},s:s}", "m.relates_to", "rel_type", "m.annotation",
                  "event_id", target, "key", r->text, BR_ORIGIN_KEY, "signal");
    return relin_send(b, r, as, room, "m.reaction", txn, c);
}

static int apply_edit(br_bridge *b, relin *r, const char *room, const char *target,
                      const char *as, const char *txn)
{
    char *fallback = NULL, *hfallback = NULL;
    const char *html;
    json_t *c, *nc;

    /* the new text with its formatting and mentions, as a new message's
     * (br_fmt.c); an edit keeps the original's reply, so no relation */
    nc = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", r->text ? r->text : "");
    if (nc) {
        br_fmt_apply_in(b, r->owner, r->chat_id, r->sender, r->ts, nc);
        json_object_del(nc, "m.relates_to");
    }
    if (!nc || asprintf(&fallback, "* %s", json_string_value(json_object_get(nc, "body"))) < 0) {
        json_decref(nc);
        relin_free(r);
        return UT_ERR_NOMEM;
    }
    c = json_pack("{s:s,s:s,s:O,s:{s:s,s:s},s:s}", "msgtype", "m.text", "body", fallback,
                  "m.new_content", nc, "m.relates_to", "rel_type", "m.replace", "event_id", target,
                  BR_ORIGIN_KEY, "signal");
    html = json_string_value(json_object_get(nc, "formatted_body"));
    if (c && html && asprintf(&hfallback, "* %s", html) > 0) {
        json_object_set_new(c, "format", json_string("org.matrix.custom.html"));
        json_object_set_new(c, "formatted_body", json_string(hfallback));
    }
    if (c && json_object_get(nc, "m.mentions")) /* mentions go on the edit itself */
        json_object_set(c, "m.mentions", json_object_get(nc, "m.mentions"));
    free(fallback);
    free(hfallback);
    json_decref(nc);
    if (c && br_fmt_fit(c)) /* one Matrix event holds at most 64 KiB, as a message */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: a Signal edit was shortened to fit in one Matrix event");
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

static void on_relation(br_bridge *b, const br_net_event *ev)
{
    br_store_relin row;
    relin *r;
    int fresh;

    if (!ev->chat_id || !ev->sender || !ev->target_author || ev->rel < BR_REL_REACTION ||
        ev->rel > BR_REL_EDIT)
        return;
    row = (br_store_relin){ .owner = ev->owner, .chat_id = ev->chat_id, .sender = ev->sender,
                            .target_author = ev->target_author, .text = ev->text, .ts = ev->ts,
                            .target_ts = ev->target_ts, .received_ms = ut_now_ms(),
                            .from_me = ev->from_me, .kind = ev->rel, .remove = ev->remove };
    /* an edit's formatting, as durable as the edit (br_fmt.h) */
    if (ev->rel == BR_REL_EDIT && br_fmt_store_in(b, ev) != 0) {
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot store a Signal edit's formatting: %s",
                st_errmsg(b->db));
        return;
    }
    if ((fresh = br_store_relin_put(b->db, &row)) < 0) {
        /* not durable: no confirm, Signal hands it over again */
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot store a Signal %s: %s",
                br_relate_kind_name(ev->rel), st_errmsg(b->db));
        return;
    }
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

void br_relate_net_event(br_bridge *b, const br_net_event *ev)
{
    if (b->db) {
        if (ev->kind == BR_NET_RELATION)
            on_relation(b, ev);
        else if (ev->kind == BR_NET_RELATE_RESULT)
            br_relout_result(b, ev);
    }
}

/* ---- resume ---------------------------------------------------------------- */

typedef struct relin_list {
    relin **v;
    size_t n, cap;
} relin_list;

/* A copy of a pending row; nonzero (stop) when out of memory. */
static int collect_relin(void *ctx, const br_store_relin *s)
{
    relin_list *l = ctx;
    relin *r;

    if (l->n == l->cap) {
        relin **t = realloc(l->v, (l->cap ? l->cap * 2 : 16) * sizeof(*l->v));
        if (!t)
            return 1;
        l->v = t;
        l->cap = l->cap ? l->cap * 2 : 16;
    }
    r = calloc(1, sizeof(*r));
    if (!r || !(r->owner = strdup(s->owner)) || !(r->chat_id = strdup(s->chat_id)) ||
        !(r->sender = strdup(s->sender)) || !(r->target_author = strdup(s->target_author)) ||
        (s->text && !(r->text = strdup(s->text)))) {
        relin_free(r);
        return 1;
    }
    r->ts = s->ts;
    r->from_me = s->from_me;
    r->kind = s->kind;
    r->target_ts = s->target_ts;
    r->remove = s->remove;
    r->received_ms = s->received_ms;
    l->v[l->n++] = r;
    return 0;
}

void br_relate_resume(br_bridge *b)
{
    relin_list l = { NULL, 0, 0 };
    size_t i;

    b->relate_timer = 0;
    if (!b->db || b->stopping)
        return;
    /* Collect first: applying may write to br_relin. */
    br_store_relin_each_pending(b->db, collect_relin, &l);
    for (i = 0; i < l.n; i++)
        relin_run(b, l.v[i]);
    free(l.v);
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
    br_relout_stop(b);
    if (b->relate_timer)
        b->host->timer_cancel(b->host->host, b->relate_timer);
    b->relate_timer = 0;
}
