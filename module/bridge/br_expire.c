/*
 * br_expire.c - disappearing messages both ways (br_expire.h). Every
 * expiry is a br_expire row written before the Signal message is
 * confirmed, and a sweep on the host's timer redacts the rows that are
 * due, so an expiry survives a restart (the sweep runs again at start).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_expire.h"
#include "br_group.h"
#include "br_internal.h"
#include "br_relate.h"
#include "br_retry.h"
#include "br_store.h"
#include "br_txn.h"

#define SWEEP_MAX 32              /* redactions per sweep */
#define SWEEP_IDLE_MS 60000       /* look again at least this often */
#define SWEEP_RETRY_MS 30000      /* after a redaction failed */
#define MAX_TIMER_S (365u * 86400u) /* the bridge's own cap */

/* com.beeper.disappearing_timer: mautrix-go event/state.go
 * StateBeeperDisappearingTimer, BeeperDisappearingTimer{type, timer (ms)},
 * "{}" when off; Signal's timers are after_read (mautrix-signal
 * pkg/connector/capabilities.go signalDisappearingCap). */
#define TIMER_STATE "com.beeper.disappearing_timer"
/* br_chat_timer.changed_by of a group's timer read from the groups
 * server (the state does not say who changed it) */
#define BY_GROUP "groups-server"

/* ---- pure helpers ------------------------------------------------------- */

int br_expire_parse(const char *s, uint32_t *secs)
{
    unsigned long long n = 0, mul = 1;
    const char *p;

    *secs = 0;
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (strncmp(s, "off", 3) == 0 && (!s[3] || isspace((unsigned char)s[3])))
        return 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (p = s; isdigit((unsigned char)*p); p++) {
        n = n * 10 + (unsigned)(*p - '0');
        if (n > MAX_TIMER_S)
            return -1;
    }
    switch (tolower((unsigned char)*p)) {
    case '\0': case ' ': case 's': mul = 1; break;
    case 'm': mul = 60; break;
    case 'h': mul = 3600; break;
    case 'd': mul = 86400; break;
    case 'w': mul = 604800; break;
    default: return -1;
    }
    if (*p && *p != ' ')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    if (*p || n * mul > MAX_TIMER_S)
        return -1;
    *secs = (uint32_t)(n * mul);
    return 0;
}

void br_expire_words(uint32_t s, char *out, size_t n)
{
    static const struct { uint32_t sec; const char *name; } u[] = {
        {604800, "week"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
    size_t i;

    for (i = 0; s && i < sizeof(u) / sizeof(u[0]); i++)
        if (s % u[i].sec == 0) {
            snprintf(out, n, "%u %s%s", s / u[i].sec, u[i].name, s / u[i].sec == 1 ? "" : "s");
            return;
        }
    snprintf(out, n, "%u seconds", s);
}

/* ---- the sweep ---------------------------------------------------------- */

typedef struct redact_ctx {
    br_bridge *b;
    char *owner, *sender, *event_id;
    int64_t ts;
} redact_ctx;

static void redact_ctx_free(redact_ctx *r)
{
    if (!r)
        return;
    free(r->owner);
    free(r->sender);
    free(r->event_id);
    free(r);
}

static void sweep(void *arg);

static void arm(br_bridge *b, int64_t delay_ms)
{
    if (b->stopping)
        return;
    if (b->expire_timer)
        b->host->timer_cancel(b->host->host, b->expire_timer);
    if (delay_ms < 0)
        delay_ms = 0;
    if (delay_ms > SWEEP_IDLE_MS)
        delay_ms = SWEEP_IDLE_MS;
    b->expire_timer = b->host->timer_add(b->host->host, (uint64_t)delay_ms, sweep, b);
}

static void on_redacted(void *arg, int status, json_t *body)
{
    redact_ctx *r = arg;
    br_bridge *b = r->b;

    (void)body;
    b->expire_busy--;
    if (status == 200 || status == 404 || status == 403 || status == 400) {
        /* done, or it can never be (gone, not allowed): drop the row */
        if (status != 200)
            ut_logf(&b->log, UT_LOG_WARN, "bridge: a disappearing message could not be redacted "
                    "(HTTP %d); giving up on it", status);
        (void)br_store_expire_done(b->db, r->owner, r->sender, r->ts, r->event_id);
    } else {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: redacting a disappearing message failed (HTTP %d); "
                "will retry", status);
        b->expire_retry = 1;
    }
    if (b->expire_busy == 0)
        arm(b, b->expire_retry ? SWEEP_RETRY_MS : 0);
    redact_ctx_free(r);
}

static void post_pending_timers(br_bridge *b);

/* PUT /rooms/{room}/redact/{event}/{txn} with the reason mautrix-go
 * bridgev2 gives (disappear.go), marked as ours (br_relate.h) so that a
 * redaction made as the user is not sent to Signal as a delete. */
static int redact(br_bridge *b, const char *as, const char *room, const char *event_id,
                  const char *txn, redact_ctx *r)
{
    char path[2048], er[512], ee[512], et[512];
    json_t *body = json_pack("{s:s,s:s}", BR_ORIGIN_KEY, "signal", "reason", BR_EXPIRE_REASON);
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    rc = mx_path_escape(er, sizeof(er), room) || mx_path_escape(ee, sizeof(ee), event_id) ||
         mx_path_escape(et, sizeof(et), txn) ? UT_ERR_RANGE : 0;
    if (rc == 0)
        snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/redact/%s/%s", er, ee, et);
    if (rc == 0)
        rc = mx_request(b->mx, as, "PUT", path, body, 0, on_redacted, r);
    json_decref(body);
    return rc;
}

static void sweep(void *arg)
{
    br_bridge *b = arg;
    br_store_expire_row *v = NULL;
    size_t n = 0, i;
    int64_t now = ut_now_ms(), next = 0;

    b->expire_timer = 0;
    if (b->stopping || b->expire_busy)
        return;
    b->expire_retry = 0;
    post_pending_timers(b);
    if (br_store_expire_due(b->db, now, SWEEP_MAX, &v, &n, &next) != 0) {
        arm(b, SWEEP_RETRY_MS);
        return;
    }
    for (i = 0; i < n; i++) {
        redact_ctx *r = calloc(1, sizeof(*r));
        char txn[200];
        const char *as = v[i].redact_as && *v[i].redact_as ? v[i].redact_as : b->bot;

        /* one txn per event: a message may be several (br_store.h) */
        if (!r || !(r->owner = strdup(v[i].owner)) || !(r->sender = strdup(v[i].sender)) ||
            !(r->event_id = strdup(v[i].event_id)) ||
            br_txn(txn, sizeof(txn), "expire", v[i].owner, v[i].event_id, v[i].sender, v[i].ts) != 0) {
            redact_ctx_free(r);
            continue;
        }
        r->b = b;
        r->ts = v[i].ts;
        b->expire_busy++;
        if (redact(b, as, v[i].room_id, v[i].event_id, txn, r) != 0) {
            b->expire_busy--;
            redact_ctx_free(r);
        }
    }
    br_store_expire_rows_free(v, n);
    if (b->expire_busy == 0)
        arm(b, n == SWEEP_MAX ? 0 : next ? next - now : SWEEP_IDLE_MS);
}

/* Something changed: look again now (one sweep at a time). */
static void poke(br_bridge *b)
{
    if (!b->expire_busy)
        arm(b, 0);
}

void br_expire_start(br_bridge *b)
{
    poke(b);
}

void br_expire_stop(br_bridge *b)
{
    if (b->expire_timer)
        b->host->timer_cancel(b->host->host, b->expire_timer);
    b->expire_timer = 0;
}

/* ---- the room's timer: state event and notice --------------------------- */

typedef struct timer_ctx {
    br_bridge *b;
    char *owner, *chat_id, *room, *as, *text;
    int64_t ts;
} timer_ctx;

static void timer_ctx_free(timer_ctx *t)
{
    free(t->owner);
    free(t->chat_id);
    free(t->room);
    free(t->as);
    free(t->text);
    free(t);
}

static void on_timer_notice(void *arg, int status, json_t *body)
{
    timer_ctx *t = arg;

    (void)body;
    if (status == 200)
        (void)br_store_timer_sent(t->b->db, t->owner, t->chat_id);
    timer_ctx_free(t);
}

static void on_timer_state(void *arg, int status, json_t *body)
{
    timer_ctx *t = arg;
    br_bridge *b = t->b;
    json_t *c;
    char txn[200];

    (void)body;
    if (status != 200) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: the room's disappearing timer could not be set "
                "(HTTP %d); will retry", status);
        timer_ctx_free(t);
        return;
    }
    /* the same change always gets the same txn: a retry is not doubled */
    c = json_pack("{s:s,s:s}", "msgtype", "m.notice", "body", t->text);
    if (!c || br_txn(txn, sizeof(txn), "sigtimer", t->owner, t->chat_id, t->as, t->ts) != 0 ||
        mx_send(b->mx, t->as, t->room, "m.room.message", txn, c, t->ts, on_timer_notice, t) != 0)
        timer_ctx_free(t);
    json_decref(c);
}

/* Set the room's state and post the notice; the row is marked sent when
 * both are in (else the next sweep tries again). */
static void post_timer(br_bridge *b, const char *owner, const char *chat_id, const char *changed_by,
                       uint32_t secs, int64_t ts)
{
    br_login *l = br_login_get(b, owner, 0);
    char room[256], as[320], setter[320], words[48];
    int mine = changed_by && l && l->aci && strcmp(changed_by, l->aci) == 0;
    int from_matrix = !changed_by || !*changed_by;
    int group = changed_by && strcmp(changed_by, BY_GROUP) == 0;
    timer_ctx *t;
    json_t *state;
    char *text = NULL;

    if (br_portal_room(b, owner, chat_id, room, sizeof(room)) != 1)
        return; /* no room yet: the next sweep looks again */
    if (from_matrix || group || (mine && !b->cfg.double_puppet))
        snprintf(as, sizeof(as), "%s", b->bot);
    else if (mine)
        snprintf(as, sizeof(as), "%s", owner);
    else if (br_puppet_mxid(b, changed_by, as, sizeof(as)) != 0)
        return;
    br_expire_words(secs, words, sizeof(words));
    if (group && secs == 0)
        text = strdup("Disappearing messages are off in this group (set in Signal).");
    else if (group) {
        if (asprintf(&text, "This group's disappearing messages are set to %s (in Signal): messages "
                            "disappear %s after they are read, in Signal and in this room.",
                     words, words) < 0)
            text = NULL;
    } else if (secs == 0)
        text = strdup(from_matrix ? "Disappearing messages are off: you turned them off from Matrix."
                      : mine ? "You turned off disappearing messages (from Signal)."
                             : "Turned off disappearing messages.");
    else if (asprintf(&text, "%s disappearing messages to %s: messages in this chat disappear %s "
                             "after they are read, in Signal and in this room.",
                      from_matrix ? "You set (from Matrix)" : mine ? "You set (from Signal)" : "Set",
                      words, words) < 0)
        text = NULL;
    state = secs ? json_pack("{s:s,s:I}", "type", "after_read", "timer", (json_int_t)secs * 1000)
                 : json_object();
    t = calloc(1, sizeof(*t));
    if (!text || !state || !t || !(t->owner = strdup(owner)) || !(t->chat_id = strdup(chat_id)) ||
        !(t->room = strdup(room)) || !(t->as = strdup(as))) {
        free(text);
        json_decref(state);
        if (t)
            timer_ctx_free(t);
        return;
    }
    t->b = b;
    t->text = text;
    t->ts = ts;
    /* who may set state: a DM's ghost created its room (br_portal.c), the
     * bot has the default level there; elsewhere the bot */
    if (strncmp(chat_id, "dm:", 3) != 0 || br_puppet_mxid(b, chat_id + 3, setter, sizeof(setter)) != 0)
        snprintf(setter, sizeof(setter), "%s", b->bot);
    if (mx_state(b->mx, setter, room, TIMER_STATE, "", state, on_timer_state, t) != 0)
        timer_ctx_free(t);
    json_decref(state);
}

static void post_pending_timers(br_bridge *b)
{
    br_store_timer_row *v = NULL;
    size_t n = 0, i;

    if (br_store_timer_pending(b->db, &v, &n) != 0)
        return;
    for (i = 0; i < n; i++)
        post_timer(b, v[i].owner, v[i].chat_id, v[i].changed_by, v[i].expire_s, v[i].changed_ts);
    br_store_timer_rows_free(v, n);
}

/* ---- Signal -> Matrix --------------------------------------------------- */

/* Is a timer Signal sent with `version` older than the chat's? Then it is
 * ignored: a timer change crossing another on the way must not undo the
 * newer one (Signal-Android messages/DataMessageProcessor.kt
 * handleExpirationUpdate: "Old expireTimerVersion ... Ignoring"). A
 * message without a version (0, older clients) is never older. */
static int older_version(br_bridge *b, const br_net_event *ev)
{
    uint32_t secs = 0, have = 0;

    return ev->timer_version &&
           br_store_timer_get(b->db, ev->owner, ev->chat_id, &secs, &have) == 1 &&
           ev->timer_version < have;
}

int br_expire_on_signal(br_bridge *b, const br_net_event *ev, int *handled)
{
    int rc;

    *handled = 0;
    if (!ev->chat_id || !ev->sender)
        return 0;
    if (ev->timer_update) {
        *handled = 1;
        if (older_version(b, ev)) {
            ut_logf(&b->log, UT_LOG_INFO, "bridge: a disappearing-timer change of an older "
                    "version (%u) was ignored", ev->timer_version);
            return 0;
        }
        if ((rc = br_store_timer_set(b->db, ev->owner, ev->chat_id, ev->expire_s, ev->sender,
                                     ev->ts, 1, ev->timer_version)) != 0)
            return rc;
        poke(b); /* posts it (and again after a failure or restart) */
        return 0;
    }
    /* Implicit update: in a 1:1 chat every message carries the chat's
     * timer, and one that differs from ours changes it, as a change
     * would (Signal-Android messages/DataMessageProcessor.kt: a text or
     * media message whose expireTimerDuration differs from the thread's
     * expiresIn calls handleExpirationUpdate as a side effect). Groups
     * keep theirs on the groups server (br_expire_group). */
    if (ev->timer_known && strncmp(ev->chat_id, "dm:", 3) == 0) {
        uint32_t have = 0;
        int known = br_store_timer_get(b->db, ev->owner, ev->chat_id, &have, NULL);
        if (known < 0)
            return known;
        if (ev->chat_timer != have && !older_version(b, ev)) {
            if ((rc = br_store_timer_set(b->db, ev->owner, ev->chat_id, ev->chat_timer, ev->sender,
                                         ev->ts, 1, ev->timer_version)) != 0)
                return rc;
            poke(b);
        }
    }
    if (!ev->expire_s)
        return 0;
    /* the user's own messages count from their sending, others' from
     * their reading (br_expire.h) */
    return br_store_expire_put(b->db, ev->owner, ev->chat_id, ev->sender, ev->ts, ev->expire_s,
                               ev->from_me ? ev->ts + (int64_t)ev->expire_s * 1000 : 0);
}

void br_expire_group(br_bridge *b, const br_net_event *ev)
{
    uint32_t have = 0;
    int known;

    if (!ev->timer_known || !ev->chat_id || strncmp(ev->chat_id, "group:", 6) != 0)
        return;
    known = br_store_timer_get(b->db, ev->owner, ev->chat_id, &have, NULL);
    if (known < 0 || (known == 1 && have == ev->chat_timer) || (known == 0 && !ev->chat_timer))
        return; /* unchanged (or never on): no notice */
    if (br_store_timer_set(b->db, ev->owner, ev->chat_id, ev->chat_timer, BY_GROUP, ut_now_ms(), 1,
                           0) != 0) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: a group's disappearing timer could not be stored: %s",
                st_errmsg(b->db));
        return; /* the group's next state tries again */
    }
    poke(b);
}

int br_expire_bridged(br_bridge *b, const char *owner, const char *sender, int64_t ts,
                      const char *room_id, const char *event_id, const char *as)
{
    int rc = br_store_expire_set_event(b->db, owner, sender, ts, room_id, event_id, as);

    if (rc == 0)
        poke(b);
    return rc;
}

void br_expire_read_matrix(br_bridge *b, const char *owner, const char *chat_id,
                           const char *event_id)
{
    int64_t ts = 0;

    if (br_store_expire_ts_of(b->db, owner, event_id, &ts) == 1 &&
        br_store_expire_start(b->db, owner, chat_id, NULL, NULL, ts, ut_now_ms()) > 0)
        poke(b);
}

void br_expire_read_phone(br_bridge *b, const br_net_event *ev)
{
    if (ev->chat_id && ev->sender &&
        br_store_expire_start(b->db, ev->owner, ev->chat_id, ev->sender, NULL, ev->ts,
                              ut_now_ms()) > 0)
        poke(b);
}

/* ---- Matrix -> Signal --------------------------------------------------- */

/* The expiry row of the user's own message, written when Signal took it
 * (the send result: nobody would write it again). Lost, the message would
 * never disappear in Matrix; so a failure that can pass is retried on the
 * loop (br_retry.h). Both writes are idempotent. */
typedef struct sent_row {
    char *owner, *chat_id, *aci, *room_id, *event_id, *as;
    int64_t ts;
    uint32_t expire_s;
} sent_row;

static void sent_row_free(void *arg)
{
    sent_row *w = arg;

    free(w->owner);
    free(w->chat_id);
    free(w->aci);
    free(w->room_id);
    free(w->event_id);
    free(w->as);
    free(w);
}

static int sent_row_run(br_bridge *b, void *arg)
{
    sent_row *w = arg;
    int rc = br_store_expire_put(b->db, w->owner, w->chat_id, w->aci, w->ts, w->expire_s,
                                 w->ts + (int64_t)w->expire_s * 1000);

    return rc != 0 ? rc
                   : br_store_expire_set_event(b->db, w->owner, w->aci, w->ts, w->room_id,
                                               w->event_id, w->as);
}

static void sent_row_then(br_bridge *b, void *arg)
{
    (void)arg;
    poke(b);
}

void br_expire_sent(br_bridge *b, const char *owner, const char *chat_id, const char *room_id,
                    int64_t ts)
{
    br_login *l = br_login_get(b, owner, 0);
    uint32_t x = br_expire_chat_timer(b, owner, chat_id);
    char as[320], event_id[256];

    if (!x || !l || !l->aci || !room_id || !*room_id || ts <= 0 ||
        br_store_msgmap_by_author_at(b->db, owner, chat_id, l->aci, ts, event_id,
                                     sizeof(event_id)) != 1 || !*event_id)
        return;
    /* the user's own message: redacted as the user when the bridge may act
     * as them, else as the DM's ghost (it created the room) or the bot, as
     * br_relate.c redactor does */
    if (b->cfg.double_puppet)
        snprintf(as, sizeof(as), "%s", owner);
    else if (strncmp(chat_id, "dm:", 3) != 0 || br_puppet_mxid(b, chat_id + 3, as, sizeof(as)) != 0)
        snprintf(as, sizeof(as), "%s", b->bot);
    {
        sent_row *w = calloc(1, sizeof(*w));
        if (!w || !(w->owner = strdup(owner)) || !(w->chat_id = strdup(chat_id)) ||
            !(w->aci = strdup(l->aci)) || !(w->room_id = strdup(room_id)) ||
            !(w->event_id = strdup(event_id)) || !(w->as = strdup(as))) {
            if (w)
                sent_row_free(w);
            ut_logf(&b->log, UT_LOG_ERROR, "bridge: out of memory storing a message's expiry");
            return;
        }
        w->ts = ts;
        w->expire_s = x;
        (void)br_retry_write(b, "the expiry of a message sent with a timer", sent_row_run, sent_row_then, w,
                             sent_row_free);
    }
}

uint32_t br_expire_chat_timer(br_bridge *b, const char *owner, const char *chat_id)
{
    return br_expire_chat_timer_v(b, owner, chat_id, NULL);
}

uint32_t br_expire_chat_timer_v(br_bridge *b, const char *owner, const char *chat_id,
                                uint32_t *version)
{
    uint32_t s = 0;

    if (version)
        *version = 0;
    return br_store_timer_get(b->db, owner, chat_id, &s, version) == 1 ? s : 0;
}

char *br_expire_fmt(br_bridge *b, const char *owner, const char *chat_id)
{
    uint32_t v = 0, x = br_expire_chat_timer_v(b, owner, chat_id, &v);
    char *out = NULL;

    if ((x || v) && asprintf(&out, "{\"x\":%u,\"xv\":%u}", x, v) < 0)
        out = NULL;
    return out;
}

int br_expire_command(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id)
{
    const char *p = ev->body, *word = "disappearing";
    uint32_t secs, version = 0;
    char json[96];
    int rc;

    if (!p || strncmp(p, "!signal", 7) != 0 || !isspace((unsigned char)p[7]))
        return 0;
    for (p += 7; isspace((unsigned char)*p); p++)
        ;
    if (strncasecmp(p, word, strlen(word)) != 0 ||
        (p[strlen(word)] && !isspace((unsigned char)p[strlen(word)])))
        return 0;
    p += strlen(word);
    if (br_expire_parse(p, &secs) != 0) {
        br_notice(b, ev->room_id, "Usage: `!signal disappearing 1d` (or 30s, 10m, 8h, 1w; at most "
                                  "365 days) or `!signal disappearing off`.");
        return 1;
    }
    if (strncmp(chat_id, "group:", 6) == 0) {
        /* a group's timer is a group attribute: a change on the groups
         * server (Signal-Desktop ts/groups.ts
         * buildDisappearingMessagesTimerChange), not a DataMessage; the
         * room's state follows from the new group state (br_expire_group) */
        br_group_change(b, ev->room_id, owner, chat_id, BR_GCHANGE_TIMER, NULL, secs);
        return 1;
    }
    /* the change gets the next version (Signal-Desktop
     * ts/textsecure/SendMessage.ts sends expireTimerVersion with the
     * timer; Signal-Android util/ExpirationTimerUtil.kt increments it
     * for each change the user makes) */
    (void)br_expire_chat_timer_v(b, owner, chat_id, &version);
    version++;
    snprintf(json, sizeof(json), "{\"tu\":1,\"x\":%u,\"xv\":%u}", secs, version);
    rc = br_outbox_timer(b, ev, owner, chat_id, json);
    if (rc < 0 && br_defer(b, rc))
        return 1; /* not stored now: the host hands the command again */
    if (rc < 0) {
        br_notice(b, ev->room_id, "The timer was not changed: the bridge could not store it (%s). "
                                  "Try again.", st_errmsg(b->db));
        return 1;
    }
    if (rc == 0)
        return 1; /* a replay of a command already queued */
    (void)br_store_timer_set(b->db, owner, chat_id, secs, "", ut_now_ms(), 1, version);
    poke(b);
    return 1;
}
