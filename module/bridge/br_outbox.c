/*
 * br_outbox.c - Matrix -> Signal: the outbox. A message event is written to br_outbox (unique by event
 * id) with the Signal timestamp it will carry, then handed to the Signal
 * side; the result updates the row.
 *
 * The outbox waits for Signal; it does not give up. Per chat, one row is in
 * flight at a time and rows go in id order (as Signal-Desktop's
 * conversationJobQueue sends one job per conversation at a time:
 * ts/jobs/conversationJobQueue.ts). Nothing is sent while the account is
 * not connected; the CONNECTION event (br_outbox_online) sends what waited.
 * A transient failure (offline, network, 5xx, 413/428/429) is retried with
 * Signal-Desktop's backoff (ts/util/exponentialBackoff.ts: 100 ms * 1.9^n,
 * at most 15 min); only a permanent refusal (unregistered, not a member,
 * too big) or the age limit (outbox_max_age; default a day, as
 * MAX_RETRY_TIME = durations.DAY in conversationJobQueue.ts) fails a row,
 * with a notice
 * naming the reason. A resend, also after a crash, carries the stored
 * timestamp, so receivers drop a copy they already have. Within a chat,
 * whatever follows a file waits until Signal answered for that file
 * (br_media_out.c), so Signal sees the order the user wrote.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_group.h"
#include "br_expire.h"
#include "br_conv.h"
#include "br_fmt.h"
#include "br_internal.h"
#include "br_media.h"
#include "br_relate.h"
#include "br_retry.h"
#include "br_store.h"

/* ---- Matrix -> Signal: state ------------------------------------------- */

#define OBX_BACKOFF_FIRST_MS 100
#define OBX_BACKOFF_MAX_MS (15 * 60 * 1000)
#define OBX_INFLIGHT_MAX_MS (5 * 60 * 1000) /* a lost answer: send again */
#define OBX_TIMER_MAX_MS 60000

typedef struct obx_chat {      /* a chat with a text in flight */
    char *owner, *chat_id;
    int64_t id, since_ms;
    struct obx_chat *next;
} obx_chat;

typedef struct obx_pending {   /* an event whose INSERT failed: retried */
    char *owner, *room_id, *chat_id, *event_id, *body;
    int tries;
    struct obx_pending *next;
} obx_pending;

struct br_obx {
    obx_chat *chats;
    obx_pending *pending;
    uint64_t timer;
    int64_t timer_due;
    int64_t last_ts;           /* the last Signal timestamp handed out */
};

static struct br_obx *obx(br_bridge *b)
{
    if (!b->obx)
        b->obx = calloc(1, sizeof(*b->obx));
    return b->obx;
}

int64_t br_outbox_backoff_ms(int attempts)
{
    double d = OBX_BACKOFF_FIRST_MS;
    int i;

    for (i = 1; i < attempts && d < OBX_BACKOFF_MAX_MS; i++)
        d *= 1.9;
    return d > OBX_BACKOFF_MAX_MS ? OBX_BACKOFF_MAX_MS : (int64_t)d;
}

/* Strictly increasing over texts and relations (br_relout.c) alike: two
 * messages of one sender with the same timestamp are one message to the
 * receivers, who would drop the second. Starts above what is stored. */
int64_t br_signal_ts_next(br_bridge *b)
{
    struct br_obx *o = obx(b);
    int64_t now = ut_now_ms();

    if (!o)
        return now;
    if (!o->last_ts)
        (void)br_store_outbox_max_ts(b->db, &o->last_ts);
    o->last_ts = now > o->last_ts ? now : o->last_ts + 1;
    return o->last_ts;
}

static obx_chat *chat_find(br_bridge *b, const char *owner, const char *chat_id)
{
    obx_chat *c;

    for (c = b->obx ? b->obx->chats : NULL; c; c = c->next)
        if (!strcmp(c->owner, owner) && !strcmp(c->chat_id, chat_id))
            return c;
    return NULL;
}

static void chat_clear(br_bridge *b, int64_t id)
{
    obx_chat **pp, *c;

    for (pp = b->obx ? &b->obx->chats : NULL; pp && (c = *pp); pp = &c->next)
        if (c->id == id) {
            *pp = c->next;
            free(c->owner);
            free(c->chat_id);
            free(c);
            return;
        }
}

static int chat_mark(br_bridge *b, const char *owner, const char *chat_id, int64_t id)
{
    struct br_obx *o = obx(b);
    obx_chat *c = calloc(1, sizeof(*c));

    if (!o || !c || !(c->owner = strdup(owner)) || !(c->chat_id = strdup(chat_id))) {
        if (c)
            free(c->owner);
        free(c);
        return UT_ERR_NOMEM;
    }
    c->id = id;
    c->since_ms = ut_now_ms();
    c->next = o->chats;
    o->chats = c;
    return 0;
}

static int is_connected(br_bridge *b, const char *owner)
{
    br_login *l = br_login_get(b, owner, 0);

    return b->have_net && l && l->connected;
}

static void on_timer(void *arg);

/* Wake up in `delay_ms` (or earlier, if already due earlier). */
static void arm(br_bridge *b, int64_t delay_ms)
{
    struct br_obx *o = obx(b);
    int64_t due;

    if (!o || b->stopping)
        return;
    if (delay_ms < 10)
        delay_ms = 10;
    if (delay_ms > OBX_TIMER_MAX_MS)
        delay_ms = OBX_TIMER_MAX_MS;
    due = ut_now_ms() + delay_ms;
    if (o->timer && o->timer_due <= due)
        return;
    if (o->timer)
        b->host->timer_cancel(b->host->host, o->timer);
    o->timer = b->host->timer_add(b->host->host, (uint64_t)delay_ms, on_timer, b);
    o->timer_due = due;
}

/* ---- Matrix -> Signal: rows --------------------------------------------- */

typedef br_store_outbox_row obx_row;

static void fail_row(br_bridge *b, const obx_row *r, const char *why)
{
    (void)br_store_outbox_set_failed(b->db, r->id, why);
    br_media_preview_forget(b, r->id); /* a link preview's image, if any */
    ut_logf(&b->log, UT_LOG_WARN, "bridge: message %lld not delivered to Signal: %s", (long long)r->id, why);
    if (*r->room)
        br_notice(b, r->room, "Your message was not delivered to Signal: %s.", why);
}

static void age_words(const br_bridge *b, char *out, size_t n)
{
    br_config_age_words(&b->cfg, out, n); /* also for relations, br_relout.c */
}

static int expired(br_bridge *b, const obx_row *r)
{
    return r->created_ms > 0 && ut_now_ms() - r->created_ms > b->cfg.outbox_max_age_s * 1000;
}

/* The first row of a chat still to send (a text queued, or a file not
 * finished): 1 found, 0 none. r->body malloc'd for a text. */
static int first_row(br_bridge *b, const char *owner, const char *chat_id, obx_row *r)
{
    return br_store_outbox_next(b->db, owner, chat_id, r) == 1;
}

static int set_ts(br_bridge *b, int64_t id, int64_t ts)
{
    return br_store_outbox_set_ts(b->db, id, ts);
}

/* Send what the chat has next, if it may go now. */
static void pump(br_bridge *b, const char *owner_in, const char *chat_in)
{
    char owner[320], chat_id[128];
    obx_row r;
    int guard;

    /* copies: the caller's strings may live in rows we are about to change */
    snprintf(owner, sizeof(owner), "%s", owner_in);
    snprintf(chat_id, sizeof(chat_id), "%s", chat_in);
    for (guard = 0; guard < 1000; guard++) {
        if (chat_find(b, owner, chat_id) || !first_row(b, owner, chat_id, &r))
            return;
        if (r.file) { /* the file goes first; its answer releases the rest */
            if (expired(b, &r)) {
                char why[160], age[48];
                age_words(b, age, sizeof(age));
                snprintf(why, sizeof(why), "Signal could not be reached within %s", age);
                /* a file being fetched or sent finishes that step first */
                if (br_media_out_expire(b, r.id, why))
                    continue; /* failed, noticed and released */
                arm(b, 1000); /* look again once its step has ended */
            } else if (!is_connected(b, owner)) {
                /* br_outbox_online sends it; the timer enforces the age limit */
                arm(b, r.created_ms + b->cfg.outbox_max_age_s * 1000 - ut_now_ms() + 1);
                return;
            }
            br_media_out_kick(b, r.id);
            return;
        }
        if (expired(b, &r)) {
            char why[160], age[48];
            age_words(b, age, sizeof(age));
            snprintf(why, sizeof(why), "Signal could not be reached within %s%s", age,
                     r.attempts ? "" : " (the bridge was not connected to Signal)");
            fail_row(b, &r, why);
            free(r.body);
            continue;
        }
        if (br_group_refuse_send(b, r.id, chat_id)) { /* marks it failed */
            free(r.body);
            continue;
        }
        if (!is_connected(b, owner)) {
            /* br_outbox_online sends it; the timer enforces the age limit */
            arm(b, r.created_ms + b->cfg.outbox_max_age_s * 1000 - ut_now_ms() + 1);
            free(r.body);
            return;
        }
        if (r.next_try_ms > ut_now_ms()) {
            arm(b, r.next_try_ms - ut_now_ms());
            free(r.body);
            return;
        }
        /* the timestamp is durable before the first attempt */
        if (!r.signal_ts && set_ts(b, r.id, (r.signal_ts = br_signal_ts_next(b))) != 0) {
            arm(b, 1000);
            free(r.body);
            return;
        }
        if (chat_mark(b, owner, chat_id, r.id) != 0) {
            arm(b, 1000);
            free(r.body);
            return;
        }
        if (br_fmt_send(b, owner, chat_id, r.body, r.signal_ts, r.id) != 0) { /* br_fmt.h */
            chat_clear(b, r.id);
            ut_logf(&b->log, UT_LOG_WARN, "bridge: Signal side busy; message %lld stays queued", (long long)r.id);
            arm(b, 1000);
        }
        free(r.body);
        return;
    }
}

/* Every chat with something queued (after a restart, a reconnection, or
 * when a timer fires). */
static void pump_all(br_bridge *b, const char *only_owner)
{
    br_store_chat *v;
    size_t n, i;

    /* the whole list first: pump writes while walking it */
    if (br_store_outbox_queued_chats(b->db, only_owner, &v, &n) != 0)
        return;
    for (i = 0; i < n; i++)
        pump(b, v[i].owner, v[i].chat_id);
    br_store_chats_free(v, n);
}

static void retry_pending(br_bridge *b);

static void on_timer(void *arg)
{
    br_bridge *b = arg;
    struct br_obx *o = b->obx;
    obx_chat *c, *next;
    int64_t now = ut_now_ms();

    if (!o)
        return;
    o->timer = 0;
    if (b->stopping)
        return;
    /* an answer that never came (the Signal side lost the op): the row is
     * sent again with its timestamp, which receivers deduplicate */
    for (c = o->chats; c; c = next) {
        next = c->next;
        if (now - c->since_ms > OBX_INFLIGHT_MAX_MS)
            chat_clear(b, c->id);
    }
    retry_pending(b);
    pump_all(b, NULL);
    if (o->chats)
        arm(b, OBX_INFLIGHT_MAX_MS);
}

int br_outbox_turn(br_bridge *b, const char *owner, const char *chat_id, int64_t id)
{
    obx_row r;
    int first;

    if (chat_find(b, owner, chat_id))
        return 0;
    if (!first_row(b, owner, chat_id, &r))
        return 0; /* nothing queued, or the store failed: not now */
    first = r.id == id;
    free(r.body);
    return first;
}

void br_outbox_release(br_bridge *b, const char *owner, const char *chat_id,
                       int64_t after)
{
    (void)after; /* everything before `after` is done: the chat's first row */
    pump(b, owner, chat_id);
}

void br_outbox_repump(br_bridge *b, int64_t id, const char *owner, const char *chat_id)
{
    chat_clear(b, id);
    pump(b, owner, chat_id);
}

void br_outbox_online(br_bridge *b, const char *owner)
{
    br_login *l = br_login_get(b, owner, 0);

    if (l)
        l->connected = 1;
    /* the connection is new: what waited for it goes now */
    (void)br_store_outbox_wake(b->db, owner);
    pump_all(b, owner);
    br_relout_online(b, owner); /* reactions, deletes, edits that waited */
}

/* ---- Matrix -> Signal: new events --------------------------------------- */

/* 0 with *fresh 1 when queued now (*id its row), 0 when it was already;
 * or ST_ERR_*. */
static int insert_row(br_bridge *b, const char *owner, const char *room_id,
                      const char *chat_id, const char *event_id, const char *body,
                      int *fresh, int64_t *id)
{
    int rc = br_store_outbox_put(b->db, owner, room_id, chat_id, event_id, body,
                                 br_signal_ts_next(b), ut_now_ms(), id);

    *fresh = rc == 1;
    return rc < 0 ? rc : 0;
}

#define OBX_INSERT_TRIES 12 /* with the backoff: about 4 minutes */

static void pending_free(obx_pending *p)
{
    free(p->owner);
    free(p->room_id);
    free(p->chat_id);
    free(p->event_id);
    free(p->body);
    free(p);
}

/* Only for a host that calls on_event, which cannot refuse an event (ABI
 * 1.0; with on_event_try the host keeps and retries it, br_defer): a
 * message we could not store is kept in memory and stored again with
 * backoff; if that keeps failing the user is told. */
static void keep_pending(br_bridge *b, const mx_event *ev, const char *body, const char *owner,
                         const char *chat_id)
{
    struct br_obx *o = obx(b);
    obx_pending *p = calloc(1, sizeof(*p));

    if (!o || !p || !(p->owner = strdup(owner)) || !(p->room_id = strdup(ev->room_id)) ||
        !(p->chat_id = strdup(chat_id)) || !(p->event_id = strdup(ev->event_id)) ||
        !(p->body = strdup(body))) {
        if (p)
            pending_free(p);
        br_notice(b, ev->room_id, "Your message was not sent to Signal: the bridge could not store it (%s). "
                                  "Please send it again.", st_errmsg(b->db));
        return;
    }
    p->tries = 1;
    p->next = o->pending;
    o->pending = p;
    arm(b, br_outbox_backoff_ms(2));
}

static void retry_pending(br_bridge *b)
{
    struct br_obx *o = b->obx;
    obx_pending *list = o ? o->pending : NULL, *p;
    int64_t id;
    int fresh;

    if (o)
        o->pending = NULL;
    while ((p = list)) {
        list = p->next;
        if (insert_row(b, p->owner, p->room_id, p->chat_id, p->event_id, p->body, &fresh, &id) == 0) {
            ut_logf(&b->log, UT_LOG_INFO, "bridge: message %s stored after %d tries", p->event_id, p->tries + 1);
            pump(b, p->owner, p->chat_id);
            pending_free(p);
        } else if (++p->tries >= OBX_INSERT_TRIES) {
            ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot store message %s for Signal: %s",
                    p->event_id, st_errmsg(b->db));
            br_notice(b, p->room_id, "Your message was not sent to Signal: the bridge could not store it (%s). "
                                     "Please send it again.", st_errmsg(b->db));
            pending_free(p);
        } else {
            p->next = o->pending;
            o->pending = p;
            arm(b, br_outbox_backoff_ms(p->tries + 1));
        }
    }
}

void br_outbox_on_message(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *chat_id)
{
    br_login *l = br_login_get(b, owner, 0);
    const char *body = ev->body;
    char geo_url[128];
    int64_t id = 0;
    int fresh, rc, is_file = 0;

    if (strcmp(ev->sender, owner) != 0) {
        /* only the user who linked the account acts through it */
        br_notice(b, ev->room_id, "Only %s can send to Signal from this room; your message was not bridged.", owner);
        return;
    }
    if (ev->event_id && ev->type && strcmp(ev->type, "m.sticker") == 0)
        is_file = 1; /* an m.sticker event: a Signal sticker (br_media_out.c) */
    else if (!ev->event_id || !ev->body || !ev->msgtype)
        return;
    else if (br_media_is_file_msgtype(ev->msgtype))
        is_file = 1;
    else if (strcmp(ev->msgtype, "m.location") == 0) {
        /* a map link, as mautrix-signal from-matrix.go sends it */
        const char *geo = json_string_value(json_object_get(ev->content, "geo_uri"));
        if (br_conv_geo_url(geo, geo_url, sizeof(geo_url)) != 0) {
            br_notice(b, ev->room_id, "Not sent to Signal: this location has no valid geo: URI.");
            return;
        }
        body = geo_url;
    } else if (strcmp(ev->msgtype, "m.text") && strcmp(ev->msgtype, "m.notice") &&
               strcmp(ev->msgtype, "m.emote") && !br_media_is_file_msgtype(ev->msgtype)) {
        /* never dropped silently (issue #17 item 7) */
        br_notice(b, ev->room_id, "Not sent to Signal: messages of this kind (%.64s) cannot be "
                                  "bridged.", ev->msgtype);
        return;
    }
    if (!l || !l->number || !l->aci) {
        br_notice(b, ev->room_id, "Not sent: this bridge is not linked to your Signal account. "
                                  "Send `link` to the bridge bot.");
        return;
    }
    if ((rc = br_usage_admit(b, l->aci)) < 0 && br_defer(b, rc))
        return; /* the host hands it again (br_bridge.h) */
    if (rc == 0) { /* (a store failure that cannot wait: let it through) */
        br_notice(b, ev->room_id,
                  "Not sent: this bridge has reached its limit of %ld Signal users this month. "
                  "The administrator can raise max_signal_users.", b->cfg.max_signal_users);
        return;
    }
    if (is_file) {
        if (br_group_refuse_relation(b, ev->room_id, chat_id, "file"))
            return;
        l->last_activity_ms = ut_now_ms();
        br_media_from_matrix(b, ev, owner, chat_id);
        /* its age limit, should it still wait then (pump) */
        arm(b, b->cfg.outbox_max_age_s * 1000 + 1);
        return;
    }
    /* `!signal disappearing 1d` in a portal (br_expire.h) */
    if (br_expire_command(b, ev, owner, chat_id))
        return;
    if ((rc = insert_row(b, owner, ev->room_id, chat_id, ev->event_id, body, &fresh, &id)) != 0) {
        if (br_defer(b, rc))
            return; /* not stored: the host hands it again (durable there) */
        ut_logf(&b->log, UT_LOG_WARN, "bridge: cannot store message %s for Signal (%s); retrying",
                ev->event_id, st_errmsg(b->db));
        keep_pending(b, ev, body, owner, chat_id);
        return;
    }
    if (!fresh)
        return; /* a replay of an event we already queued */
    /* formatting, mentions, reply: stored beside the row (br_fmt.h) */
    if (body == ev->body) /* a location's link is not the body's text */
        br_fmt_store_out(b, id, owner, chat_id, ev);
    l->last_activity_ms = ut_now_ms();
    pump(b, owner, chat_id);
}

int br_outbox_timer(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id,
                    const char *fmt)
{
    int64_t id = 0;
    int fresh = 0, rc;

    /* an empty body: the row stands for the timer change, sent as its
     * BR_NET_FMT (br_fmt_send) */
    if ((rc = st_db_begin(b->db)) != 0)
        return rc;
    /* the row and its fmt together: a row alone would send an empty text */
    if ((rc = insert_row(b, owner, ev->room_id, chat_id, ev->event_id, "", &fresh, &id)) == 0 &&
        fresh)
        rc = br_store_outfmt_put(b->db, id, "", fmt);
    if (rc == 0)
        rc = st_db_commit(b->db);
    if (rc != 0) {
        st_db_rollback(b->db);
        return rc;
    }
    if (!fresh)
        return 0;
    pump(b, owner, chat_id);
    return 1;
}

static const char *reason(const br_net_event *ev)
{
    switch (ev->code) {
    case BR_NET_ERR_UNREGISTERED: return "this person is no longer registered on Signal";
    case BR_NET_ERR_NOT_MEMBER: return "you are not a member of this Signal group";
    case BR_NET_ERR_TOO_BIG: return "it is larger than Signal allows";
    case BR_NET_ERR_RATE_LIMIT: return "Signal is rate-limiting this account";
    case BR_NET_ERR_NETWORK: return "the Signal server could not be reached";
    case BR_NET_ERR_OFFLINE: return "the bridge is not connected to Signal";
    default: return ev->text ? ev->text : "an internal error";
    }
}

/* The final answer for a row, written where nobody would write it again
 * (the Signal side's send result). A failure that can pass is retried on
 * the loop (br_retry.h) while the chat stays marked in flight, so that no
 * pump sends the row again meanwhile (it would reach Signal a second time,
 * with its timestamp, as a copy recipients drop); once stored, what
 * follows the answer runs (settle_then). */
typedef struct settle_ctx {
    int64_t id, ts, signal_ts;
    int code, queued;
    char *text, owner[320], chat[128], room[256];
} settle_ctx;

static void settle_free(void *arg)
{
    settle_ctx *x = arg;

    free(x->text);
    free(x);
}

static int settle_run(br_bridge *b, void *arg)
{
    settle_ctx *x = arg;

    return br_store_outbox_settle(b->db, x->id, x->code == 0 ? 1 : 2, x->ts, x->text);
}

static void settle_then(br_bridge *b, void *arg)
{
    settle_ctx *x = arg;
    br_net_event ev = { .code = x->code, .text = x->text };

    if (x->queued)
        chat_clear(b, x->id);
    if (x->code == 0) /* it carried the chat's timer (br_expire.h) */
        br_expire_sent(b, x->owner, x->chat, x->room, x->signal_ts ? x->signal_ts : x->ts);
    if (x->code != 0 && *x->room)
        br_notice(b, x->room, "Your message was not delivered to Signal: %s.", reason(&ev));
    if (*x->owner)
        pump(b, x->owner, x->chat);
}

static void settle(br_bridge *b, const obx_row *r, const char *owner, const char *chat,
                   const br_net_event *ev)
{
    settle_ctx *x = calloc(1, sizeof(*x));
    int rc;

    if (!x || (ev->text && !(x->text = strdup(ev->text)))) {
        free(x);
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: out of memory settling message %lld", (long long)r->id);
        if (*owner)
            pump(b, owner, chat);
        return;
    }
    x->id = r->id;
    x->ts = ev->ts;
    x->signal_ts = r->signal_ts;
    x->code = ev->code;
    snprintf(x->owner, sizeof(x->owner), "%s", owner);
    snprintf(x->chat, sizeof(x->chat), "%s", chat);
    snprintf(x->room, sizeof(x->room), "%s", r->room);
    rc = br_retry_write(b, "a message's send result", settle_run, settle_then, x, settle_free);
    if (rc == 1) {
        x->queued = 1;
        if (*owner && chat_mark(b, owner, chat, r->id) != 0)
            ut_logf(&b->log, UT_LOG_WARN, "bridge: message %lld may be sent again before its result is stored",
                    (long long)r->id);
    } else if (rc < 0 && *owner) {
        pump(b, owner, chat); /* given up (logged): the chat goes on */
    }
}

void br_outbox_result(br_bridge *b, const br_net_event *ev)
{
    char owner[320] = "", chat[128] = "";
    obx_row r;
    int found;

    found = br_store_outbox_get(b->db, (int64_t)ev->outbox_id, &r, owner, sizeof(owner), chat,
                                sizeof(chat)) == 1;
    chat_clear(b, r.id);
    if (!found || r.state == 1 || r.state == 2)
        return; /* an answer for a row already settled */
    br_media_preview_forget(b, r.id); /* a link preview's image, if any */
    if (ev->code != 0 && r.state == 0 && BR_NET_ERR_TRANSIENT(ev->code) && !expired(b, &r)) {
        /* not sent, but it may be later: stays queued, in its place */
        int64_t delay = br_outbox_backoff_ms(r.attempts + 1);
        (void)br_store_outbox_set_retry(b->db, r.id, r.attempts + 1, ut_now_ms() + delay, ev->text);
        ut_logf(&b->log, UT_LOG_INFO, "bridge: message %lld not sent yet (%s); retry in %lld ms",
                (long long)r.id, reason(ev), (long long)delay);
        /* A rate limit (429, or 428 until a challenge is solved on the
         * phone) can last long: say so once per message, not per retry.
         * Going offline is told by the connection notices instead. */
        if (ev->code == BR_NET_ERR_RATE_LIMIT && r.attempts == 0 && *r.room) {
            char age[48];
            age_words(b, age, sizeof(age));
            br_notice(b, r.room, "Signal is limiting how fast your account may send right now, so "
                                 "this message is waiting; the bridge keeps retrying and sends it as "
                                 "soon as Signal accepts it (within %s, or it fails with a notice).",
                      age);
        }
        arm(b, delay);
        return;
    }
    if (ev->code == 0 || r.state == 3) {
        /* a text delivered, or a file's final answer (br_media_out.c) */
        settle(b, &r, owner, chat, ev);
        return; /* settle_then goes on with the chat */
    } else if (BR_NET_ERR_TRANSIENT(ev->code)) {
        char why[256], age[48];
        age_words(b, age, sizeof(age));
        snprintf(why, sizeof(why), "Signal could not be reached within %s (last: %s)", age, reason(ev));
        fail_row(b, &r, why);
    } else {
        fail_row(b, &r, reason(ev));
    }
    if (*owner)
        pump(b, owner, chat);
}

void br_outbox_resume(br_bridge *b)
{
    /* rows from before created_ms existed: their age counts from now */
    (void)br_store_outbox_date_undated(b->db, ut_now_ms());
    /* nothing is connected yet: this only arms the age limit; the
     * CONNECTION events send (br_outbox_online) */
    pump_all(b, NULL);
}

void br_outbox_stop(br_bridge *b)
{
    struct br_obx *o = b->obx;
    obx_chat *c;
    obx_pending *p;

    if (!o)
        return;
    if (o->timer)
        b->host->timer_cancel(b->host->host, o->timer);
    while ((c = o->chats)) {
        o->chats = c->next;
        free(c->owner);
        free(c->chat_id);
        free(c);
    }
    while ((p = o->pending)) {
        o->pending = p->next;
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: message %s was not stored before the stop", p->event_id);
        pending_free(p);
    }
    free(o);
    b->obx = NULL;
}
