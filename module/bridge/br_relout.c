/*
 * br_relout.c - Matrix -> Signal relations: the user's m.reaction,
 * redactions (of their reactions: remove; of their messages: delete for
 * everyone) and m.replace edits on bridged events, queued in br_relout
 * with the Signal timestamp they will carry, then sent. See br_relate.h.
 *
 * A relation waits for the connection as texts do, within the same age
 * limit (outbox_max_age, br_outbox.c): older, it fails with a notice. Its
 * age is that of its Signal timestamp, which is the clock at queueing
 * (br_signal_ts_next: now, or 1 ms above the last one handed out).
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

/* Matrix event id -> Signal (chat, author, ts). */
static int target_of(br_bridge *b, const char *owner, const char *event_id,
                     char *chat, size_t cn, char *author, size_t an, int64_t *ts)
{
    br_login *l;

    if (!event_id)
        return 0;
    if (br_store_msgmap_find_by_event(b->db, owner, event_id, chat, cn, author, an, ts) == 1)
        return 1;
    /* A message of the user's still in the outbox already has its Signal
     * timestamp (stored before the first send, br_outbox.c), so a
     * reaction, edit or deletion can target it now; the outbox sends it
     * first, and Signal clients also hold a relation that arrives before
     * its target. */
    l = br_login_get(b, owner, 0);
    if (!l || !l->aci || br_store_outbox_queued_ts(b->db, owner, event_id, chat, cn, ts) != 1)
        return 0;
    snprintf(author, an, "%s", l->aci);
    return 1;
}

static int rel_expired(const br_bridge *b, int64_t signal_ts)
{
    return signal_ts > 0 && ut_now_ms() - signal_ts > b->cfg.outbox_max_age_s * 1000;
}

/* Past the age limit: failed for good, with a notice naming the limit. */
static void rel_fail_old(br_bridge *b, int64_t id)
{
    char room[256] = "", age[48], why[128];
    int kind = 0;

    if (br_store_relout_get(b->db, id, room, sizeof(room), &kind) != 1)
        return;
    br_config_age_words(&b->cfg, age, sizeof(age));
    snprintf(why, sizeof(why), "Signal could not be reached within %s", age);
    if (br_store_relout_set_state(b->db, id, 2, why) != 0)
        return; /* the next look fails it */
    ut_logf(&b->log, UT_LOG_WARN, "bridge: %s %lld not delivered to Signal: %s",
            br_relate_kind_name(kind), (long long)id, why);
    if (*room)
        br_notice(b, room, "Your %s was not delivered to Signal: %s.", br_relate_kind_name(kind), why);
}

static void on_age_timer(void *arg);

/* Fail the queued relations past the age limit; wake up when the next
 * one reaches it. */
static void rel_age_check(br_bridge *b)
{
    br_store_relout *q;
    size_t i, n;
    int64_t next = 0, now = ut_now_ms(), due;

    if (b->stopping || br_store_relout_pending(b->db, NULL, &q, &n) != 0)
        return;
    for (i = 0; i < n; i++) {
        if (rel_expired(b, q[i].signal_ts))
            rel_fail_old(b, q[i].id);
        else if (q[i].signal_ts > 0 && (!next || q[i].signal_ts < next))
            next = q[i].signal_ts;
    }
    br_store_relouts_free(q, n);
    if (b->relout_timer) {
        b->host->timer_cancel(b->host->host, b->relout_timer);
        b->relout_timer = 0;
    }
    if (next) {
        due = next + b->cfg.outbox_max_age_s * 1000 + 1 - now;
        b->relout_timer = b->host->timer_add(b->host->host, (uint64_t)(due > 10 ? due : 10), on_age_timer, b);
    }
}

static void on_age_timer(void *arg)
{
    br_bridge *b = arg;

    b->relout_timer = 0;
    rel_age_check(b);
}

void br_relout_stop(br_bridge *b)
{
    if (b->relout_timer)
        b->host->timer_cancel(b->host->host, b->relout_timer);
    b->relout_timer = 0;
}

static void resend(br_bridge *b, const char *owner, int64_t only_id);

static void send_relout(br_bridge *b, int64_t id, const char *owner, const char *chat_id,
                        const br_net_relation *rel)
{
    if (!b->have_net || !b->net.relate ||
        b->net.relate(b->net.ctx, owner, chat_id, rel, (uint64_t)id) != 0)
        ut_logf(&b->log, UT_LOG_WARN, "bridge: Signal side not available; %s %lld stays queued",
                br_relate_kind_name(rel->kind), (long long)id);
}

/* 0 queued (or a replay of an event already queued), < 0 the store
 * failed. Sent after the caller's COMMIT (*queued: the new row's id), so
 * that nothing goes to Signal for a row a failed COMMIT took back. */
static int queue_relout(br_bridge *b, const mx_event *ev, const char *owner,
                        const char *chat_id, br_net_relation *rel, int64_t *queued)
{
    br_login *l = br_login_get(b, owner, 0);
    int64_t id = 0;
    int rc;

    rel->ts = br_signal_ts_next(b); /* never one already used */
    if ((rc = st_db_begin(b->db)) != 0)
        return rc;
    rc = br_store_relout_put(b->db, owner, ev->room_id, chat_id, ev->event_id, rel->kind,
                             rel->target_author, rel->target_ts, rel->text, rel->remove,
                             rel->ts, &id);
    if (rc == 1 && rel->fmt && (rc = br_store_relout_set_fmt(b->db, id, rel->fmt)) == 0)
        rc = 1; /* an edit's formatting, in the same transaction */
    if (rc != 1) {
        st_db_rollback(b->db);
        return rc < 0 ? rc : 0; /* 0: a replay of an event already queued */
    }
    if ((rc = st_db_commit(b->db)) != 0)
        return rc; /* rolled back */
    if (l)
        l->last_activity_ms = ut_now_ms();
    *queued = id;
    return 0;
}

/* The user_* handlers: 0 done or nothing to do, < 0 a store failure. */
static int user_reaction(br_bridge *b, const mx_event *ev, const char *owner,
                         const char *pchat, br_login *l, int64_t *queued)
{
    char chat[256], author[64];
    br_net_relation rel;
    int rc;

    memset(&rel, 0, sizeof(rel));
    if (ev->rel != MX_REL_ANNOTATION || !ev->rel_key || !*ev->rel_key || !ev->event_id ||
        !target_of(b, owner, ev->rel_event_id, chat, sizeof(chat), author, sizeof(author),
                   &rel.target_ts))
        return 0;
    if ((rc = br_store_reaction_put_mine(b->db, owner, author, rel.target_ts, l->aci, ev->rel_key,
                                         ev->room_id, ev->event_id)) != 0)
        return rc;
    rel.kind = BR_REL_REACTION;
    rel.target_author = author;
    rel.text = ev->rel_key;
    rel.remove = 0;
    (void)pchat;
    return queue_relout(b, ev, owner, chat, &rel, queued);
}

static int user_redaction(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *pchat, br_login *l, int64_t *queued)
{
    char chat[256], author[64] = "", emoji[128] = "";
    br_net_relation rel;
    int found, rc;

    if (!ev->redacts || !ev->event_id)
        return 0;
    memset(&rel, 0, sizeof(rel));
    found = br_store_reaction_find_mine(b->db, owner, ev->redacts, l->aci, author, sizeof(author),
                                        &rel.target_ts, emoji, sizeof(emoji));
    if (found < 0)
        return found;
    if (found) {
        /* the user took a reaction back */
        if ((rc = br_store_reaction_delete_event(b->db, owner, ev->redacts)) < 0)
            return rc;
        rel.kind = BR_REL_REACTION;
        rel.target_author = author;
        rel.text = emoji;
        rel.remove = 1;
        return queue_relout(b, ev, owner, pchat, &rel, queued);
    }
    /* a message of the user's own: delete it for everyone on Signal */
    if (!target_of(b, owner, ev->redacts, chat, sizeof(chat), author, sizeof(author),
                   &rel.target_ts) || strcmp(author, l->aci) != 0)
        return 0;
    rel.kind = BR_REL_DELETE;
    rel.target_author = author;
    return queue_relout(b, ev, owner, chat, &rel, queued);
}

static int user_edit(br_bridge *b, const mx_event *ev, const char *owner,
                     const char *pchat, br_login *l, int64_t *queued)
{
    char chat[256], author[64];
    br_net_relation rel;
    const char *body = br_relate_edit_body(ev->content);
    char *text = NULL, *fmt = NULL;
    int rc;

    memset(&rel, 0, sizeof(rel));
    if (!body || !ev->event_id ||
        !target_of(b, owner, ev->rel_event_id, chat, sizeof(chat), author, sizeof(author),
                   &rel.target_ts) || strcmp(author, l->aci) != 0)
        return 0;
    (void)pchat;
    rel.kind = BR_REL_EDIT;
    rel.target_author = author;
    rel.text = body;
    /* the new text's formatting and mentions, as for a new message */
    if (br_fmt_edit_out(b, owner, json_object_get(ev->content, "m.new_content"), &text, &fmt) == 0) {
        rel.text = text;
        rel.fmt = fmt;
    }
    rc = queue_relout(b, ev, owner, chat, &rel, queued);
    free(text);
    free(fmt);
    return rc;
}

/* A message of the user's still waiting to go out to Signal? */
static int still_queued(br_bridge *b, const char *event_id)
{
    return event_id && br_store_outbox_event_queued(b->db, event_id) == 1;
}

int br_relout_on_event(br_bridge *b, const mx_event *ev)
{
    char owner[320], chat[256];
    int is_msg = strcmp(ev->type, "m.room.message") == 0, rc;
    int64_t queued = 0;
    const char *kind;
    br_login *l;

    if (!b->db || !br_room_owner(b, ev->room_id, owner, sizeof(owner), chat, sizeof(chat)))
        return 0;
    /* What we did as the user for their Signal devices (messages too):
     * sending it back would double it on Signal. */
    if (json_object_get(ev->content, BR_ORIGIN_KEY) ||
        (strcmp(ev->type, "m.room.redaction") == 0 &&
         json_string_value(json_object_get(ev->content, "reason")) &&
         (strcmp(json_string_value(json_object_get(ev->content, "reason")), BR_REDACT_REASON) == 0 ||
          strcmp(json_string_value(json_object_get(ev->content, "reason")), BR_EXPIRE_REASON) == 0)))
        return 1;
    if (!(strcmp(ev->type, "m.reaction") == 0 || strcmp(ev->type, "m.room.redaction") == 0 ||
          (is_msg && ev->rel == MX_REL_REPLACE)))
        return 0;
    if (strcmp(ev->sender, owner) != 0)
        return is_msg ? 0 : 1; /* the portal's message path says who may send */
    l = br_login_get(b, owner, 0);
    if (!l || !l->aci)
        return is_msg ? 0 : 1;
    if (br_group_refuse_relation(b, ev->room_id, chat,
                                 is_msg ? "edit" : strcmp(ev->type, "m.reaction") == 0 ? "reaction"
                                                                                      : "deletion"))
        return 1;
    if (still_queued(b, is_msg || strcmp(ev->type, "m.reaction") == 0 ? ev->rel_event_id
                                                                     : ev->redacts)) {
        /* a file whose Signal timestamp is not known yet: nothing to target */
        br_notice(b, ev->room_id, "Your %s was not sent to Signal: the message it refers to has not "
                                  "reached Signal yet. Try again in a moment.",
                  is_msg ? "edit" : strcmp(ev->type, "m.reaction") == 0 ? "reaction" : "deletion");
        return 1;
    }
    /* one transaction: the reaction row and the queued relation together,
     * so that a retry of the event finds neither or both */
    kind = is_msg ? "edit" : strcmp(ev->type, "m.reaction") == 0 ? "reaction" : "deletion";
    if ((rc = st_db_begin(b->db)) == 0) {
        rc = strcmp(ev->type, "m.reaction") == 0 ? user_reaction(b, ev, owner, chat, l, &queued)
           : !is_msg ? user_redaction(b, ev, owner, chat, l, &queued)
                     : user_edit(b, ev, owner, chat, l, &queued);
        if (rc != 0)
            st_db_rollback(b->db);
        else if (st_db_commit(b->db) != 0)
            rc = ST_ERR_BUSY; /* rolled back; a failed COMMIT is I/O, busy, full */
        else if (queued)
            resend(b, owner, queued); /* durable now: send it */
    }
    if (rc != 0 && !br_defer(b, rc)) { /* else the host hands it again */
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot queue a %s for Signal: %s", kind, st_errmsg(b->db));
        br_notice(b, ev->room_id, "Your %s was not sent to Signal: the bridge could not store it.", kind);
    }
    return 1;
}

void br_relout_result(br_bridge *b, const br_net_event *ev)
{
    char room[256] = "";
    int kind = 0;

    if (br_store_relout_get(b->db, (int64_t)ev->outbox_id, room, sizeof(room), &kind) < 0)
        return;
    if (ev->code != 0 && BR_NET_ERR_TRANSIENT(ev->code)) {
        /* not sent, but it may be: stays queued for the next connection
         * (br_relout_online), with its stored timestamp, within the age
         * limit (checked now, and when the oldest reaches it) */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: %s %llu not sent yet (%s); waits for the connection",
                br_relate_kind_name(kind), (unsigned long long)ev->outbox_id, ev->text ? ev->text : "offline");
        rel_age_check(b);
        return;
    }
    br_store_relout_set_state(b->db, (int64_t)ev->outbox_id, ev->code == 0 ? 1 : 2, ev->text);
    if (ev->code != 0 && *room)
        br_notice(b, room, "Your %s was not delivered to Signal: %s.", br_relate_kind_name(kind),
                  ev->code == BR_NET_ERR_RATE_LIMIT ? "Signal is rate-limiting this account"
                  : ev->code == BR_NET_ERR_UNREGISTERED ? "this person is no longer registered on Signal"
                  : ev->code == BR_NET_ERR_NETWORK ? "the Signal server could not be reached"
                  : ev->text ? ev->text : "an internal error");
}

/* Queued Matrix -> Signal relations (of one owner, or all when NULL; only
 * row `only_id` when nonzero) go out when queued, at start, and again
 * whenever the account connects. */
static void resend(br_bridge *b, const char *owner, int64_t only_id)
{
    br_store_relout *q;
    size_t i, n;

    /* the whole queue first: sending may use the store */
    if (br_store_relout_pending(b->db, owner, &q, &n) != 0)
        return;
    for (i = 0; i < n; i++) {
        br_net_relation rel;
        memset(&rel, 0, sizeof(rel));
        if (only_id && q[i].id != only_id)
            continue;
        if (rel_expired(b, q[i].signal_ts)) { /* waited too long: a notice */
            rel_fail_old(b, q[i].id);
            continue;
        }
        rel.kind = q[i].kind;
        rel.target_author = q[i].target_author;
        rel.target_ts = q[i].target_ts;
        rel.text = q[i].text;
        rel.remove = q[i].remove;
        rel.ts = q[i].signal_ts;
        rel.fmt = q[i].fmt;
        send_relout(b, q[i].id, q[i].owner, q[i].chat_id, &rel);
    }
    br_store_relouts_free(q, n);
}

void br_relout_resume(br_bridge *b)
{
    resend(b, NULL, 0);
}

void br_relout_online(br_bridge *b, const char *owner)
{
    resend(b, owner, 0);
}
