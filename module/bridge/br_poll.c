/* br_poll.c - polls between Signal and MSC3381 events, both ways
 * (br_poll.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_conv.h"
#include "br_group.h"
#include "br_internal.h"
#include "br_poll.h"
#include "br_store.h"

/* MSC3381's unstable names: what Element and matrix-js-sdk read today
 * (matrix-js-sdk src/@types/polls.ts M_POLL_START etc.; mautrix-go
 * event.EventUnstablePollStart / Response / End used by mautrix-signal). */
#define POLL_START "org.matrix.msc3381.poll.start"
#define POLL_RESPONSE "org.matrix.msc3381.poll.response"
#define POLL_END "org.matrix.msc3381.poll.end"
#define POLL_DISCLOSED "org.matrix.msc3381.poll.disclosed"
#define MSC1767_TEXT "org.matrix.msc1767.text"

static const char *poll_start(json_t *p, json_t *c)
{
    json_t *opts = json_object_get(p, "o"), *answers = json_array();
    const char *q = json_string_value(json_object_get(p, "q"));
    const char *body = json_string_value(json_object_get(c, "body"));
    size_t i, n = json_array_size(opts);
    char id[24], *qh, *html = NULL;
    size_t hl = 0;
    FILE *f;

    if (!q || !n || !answers || !body) {
        json_decref(answers);
        return "m.room.message";
    }
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%zu", i); /* the option's index: what a vote names */
        json_array_append_new(answers, json_pack("{s:s,s:s}", "id", id, MSC1767_TEXT,
                                                 json_string_value(json_array_get(opts, i))
                                                     ? json_string_value(json_array_get(opts, i))
                                                     : ""));
    }
    /* Signal's allowMultiple lets a voter pick every option */
    json_object_set_new(c, POLL_START,
                        json_pack("{s:s,s:I,s:{s:s},s:o}", "kind", POLL_DISCLOSED, "max_selections",
                                  (json_int_t)(json_is_true(json_object_get(p, "m")) ? n : 1),
                                  "question", MSC1767_TEXT, q, "answers", answers));
    json_object_set_new(c, MSC1767_TEXT, json_string(body));
    /* the HTML fallback, as mautrix-signal's: the question and a list */
    if ((qh = br_conv_html_escape(q)) && (f = open_memstream(&html, &hl))) {
        fprintf(f, "<p>%s</p><ol>", qh);
        for (i = 0; i < n; i++) {
            char *oh = br_conv_html_escape(json_string_value(json_array_get(opts, i))
                                               ? json_string_value(json_array_get(opts, i))
                                               : "");
            fprintf(f, "<li>%s</li>", oh ? oh : "");
            free(oh);
        }
        fputs("</ol>", f);
        if (fclose(f) == 0 && html) {
            json_object_set_new(c, "format", json_string("org.matrix.custom.html"));
            json_object_set_new(c, "formatted_body", json_string(html));
            json_object_set_new(c, "org.matrix.msc1767.message",
                                json_pack("[{s:s,s:s},{s:s,s:s}]", "mimetype", "text/html", "body",
                                          html, "mimetype", "text/plain", "body", body));
        }
        free(html);
    }
    free(qh);
    return POLL_START;
}

/* How many options the poll (author, ts) has: a Signal poll's from its
 * stored start (BR_NET_FMT "poll"), 0 when unknown. */
static size_t signal_poll_options(br_bridge *b, const char *owner, const char *author,
                                  int64_t ts)
{
    char *json = NULL;
    json_t *o;
    size_t n = 0;

    if (br_store_infmt_get(b->db, owner, author, ts, &json) < 0 || !json)
        goto out;
    if ((o = json_loads(json, 0, NULL))) {
        n = json_array_size(json_object_get(json_object_get(o, "poll"), "o"));
        json_decref(o);
    }
out:
    free(json);
    return n;
}

/* A vote Signal sent that cannot be shown as one: a notice instead. */
static const char *vote_notice(json_t *c, const char *why)
{
    json_object_set_new(c, "msgtype", json_string("m.notice"));
    json_object_set_new(c, "body", json_string(why));
    return "m.room.message";
}

const char *br_poll_apply_in(br_bridge *b, const char *owner, const char *chat_id,
                             const char *sender, int64_t msg_ts, json_t *p, json_t *c)
{
    const char *k = json_string_value(json_object_get(p, "k"));
    const char *author = json_string_value(json_object_get(p, "author"));
    json_int_t ts = json_integer_value(json_object_get(p, "ts"));
    json_t *idx = json_object_get(p, "o"), *answers, *known = NULL;
    char eid[256], id[24], *ids = NULL;
    size_t i;

    if (!k)
        return "m.room.message";
    if (strcmp(k, "start") == 0)
        return poll_start(p, c);
    if (!author || br_store_msgmap_by_author_at(b->db, owner, chat_id, author, ts, eid,
                                                sizeof(eid)) != 1 || !*eid) {
        /* its poll was never bridged: say what happened (mautrix-signal
         * drops it; a notice tells more) */
        json_object_set_new(c, "msgtype", json_string("m.notice"));
        return "m.room.message";
    }
    if (strcmp(k, "end") != 0) {
        /* a vote: its option indexes must name options of the poll, and its
         * voteCount must grow, or it is an older vote arriving late, which
         * mautrix-signal drops (pkg/msgconv/from-signal.go
         * convertPollVoteToMatrix: "vote.GetVoteCount() <= prevCount") */
        size_t n_opts;
        int seen;
        if (br_store_poll_answers(b->db, owner, eid, &ids) == 1)
            known = json_loads(ids, 0, NULL);
        free(ids);
        ids = NULL;
        n_opts = known ? json_array_size(known) : signal_poll_options(b, owner, author, ts);
        for (i = 0; i < json_array_size(idx); i++) {
            json_int_t v = json_integer_value(json_array_get(idx, i));
            if (!json_is_integer(json_array_get(idx, i)) || v < 0 ||
                (n_opts && (size_t)v >= n_opts)) {
                json_decref(known);
                return vote_notice(c, "Voted in a poll for an option the poll does not have"
                                      " (not shown as a vote). Open Signal on your phone to see"
                                      " it.");
            }
        }
        seen = br_store_poll_seen(b->db, owner, eid, sender ? sender : "",
                                  (uint32_t)json_integer_value(json_object_get(p, "n")), msg_ts);
        if (seen == 0) {
            json_decref(known);
            return NULL; /* an older vote than one already shown */
        }
    }
    json_object_del(c, "msgtype");
    json_object_set_new(c, MSC1767_TEXT, json_object_get(c, "body") ? json_incref(json_object_get(c, "body"))
                                                                   : json_string(""));
    json_object_del(c, "body");
    json_object_set_new(c, "m.relates_to", json_pack("{s:s,s:s}", "rel_type", "m.reference",
                                                     "event_id", eid));
    if (strcmp(k, "end") == 0) {
        json_object_set_new(c, POLL_END, json_object());
        return POLL_END;
    }
    if (!(answers = json_array())) {
        json_decref(known);
        return POLL_RESPONSE;
    }
    /* a poll started in Matrix: its own answer ids, in Signal's order
     * (mautrix-signal convertPollVoteToMatrix, MatrixPollOptionIDs) */
    for (i = 0; i < json_array_size(idx); i++) {
        json_int_t v = json_integer_value(json_array_get(idx, i));
        if (known && v >= 0 && (size_t)v < json_array_size(known) &&
            json_is_string(json_array_get(known, (size_t)v))) {
            json_array_append(answers, json_array_get(known, (size_t)v));
            continue;
        }
        snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, v);
        json_array_append_new(answers, json_string(id));
    }
    json_decref(known);
    /* Signal's vote with no options takes the vote back; in MSC3381
     * (proposals/3381-polls.md) a response with an empty selection list
     * "unvotes" */
    json_object_set_new(c, POLL_RESPONSE, json_pack("{s:o}", "answers", answers));
    return POLL_RESPONSE;
}

int br_poll_is_matrix_poll(const char *type)
{
    static const char *const types[] = { POLL_START, POLL_RESPONSE, POLL_END, "m.poll.start",
                                         "m.poll.response", "m.poll.end" };
    size_t i;

    for (i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

/* MSC3381's text block: the unstable "org.matrix.msc1767.text" string, or
 * the stable "m.text" (a string, or MSC1767's [{"body": ...}] list). */
static const char *mtext(json_t *o)
{
    json_t *t = json_object_get(o, MSC1767_TEXT);

    if (json_is_string(t))
        return json_string_value(t);
    t = json_object_get(o, "m.text");
    if (json_is_string(t))
        return json_string_value(t);
    return json_string_value(json_object_get(json_array_get(t, 0), "body"));
}

static json_t *poll_block(const mx_event *ev, const char *unstable, const char *stable)
{
    json_t *p = json_object_get(ev->content, unstable);

    return json_is_object(p) ? p : json_object_get(ev->content, stable);
}

/* MSC3381 start -> DataMessage.pollCreate, as mautrix-signal
 * pkg/connector/handlematrix.go HandleMatrixPollStart: the question, the
 * answers' texts in order, allowMultiple when max_selections != 1; the
 * answers' ids are kept (br_poll) for the votes coming back. */
static void start_out(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id)
{
    json_t *p = poll_block(ev, POLL_START, "m.poll.start"), *answers = json_object_get(p, "answers");
    json_t *texts = json_array(), *ids = json_array(), *fmt = NULL;
    const char *q = mtext(json_object_get(p, "question"));
    json_int_t maxsel = json_is_integer(json_object_get(p, "max_selections"))
                            ? json_integer_value(json_object_get(p, "max_selections")) : 1;
    char *js = NULL, *idjs = NULL;
    size_t i, n = json_array_size(answers);
    int rc = -1;

    for (i = 0; texts && ids && i < n; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(answers, i), "id"));
        const char *t = mtext(json_array_get(answers, i));
        if (!id || !t)
            break;
        json_array_append_new(texts, json_string(t));
        json_array_append_new(ids, json_string(id));
    }
    if (!q || !n || i != n) {
        br_notice(b, ev->room_id, "Not sent to Signal: this poll has no question or answers.");
        goto out;
    }
    fmt = json_pack("{s:{s:s,s:s,s:O,s:b}}", "poll", "k", "start", "q", q, "o", texts, "m",
                    maxsel != 1);
    if (fmt && (js = json_dumps(fmt, JSON_COMPACT)) && (idjs = json_dumps(ids, JSON_COMPACT)) &&
        (rc = br_store_poll_put(b->db, owner, ev->event_id, idjs)) == 0)
        rc = br_outbox_timer(b, ev, owner, chat_id, js); /* a row with no body, its fmt */
    if (rc < 0 && br_defer(b, rc))
        goto out; /* the host hands it again */
    if (rc < 0)
        br_notice(b, ev->room_id, "Not sent to Signal: the bridge could not store the poll (%s).",
                  st_errmsg(b->db));
out:
    free(js);
    free(idjs);
    json_decref(fmt);
    json_decref(texts);
    json_decref(ids);
}

/* MSC3381 response -> DataMessage.pollVote on the poll's Signal message
 * (author, timestamp), options by index, voteCount one more than the
 * user's last vote on it, as HandleMatrixPollVote does. */
static void vote_out(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id)
{
    json_t *p = poll_block(ev, POLL_RESPONSE, "m.poll.response");
    json_t *ans = json_object_get(p, "answers"), *idx = json_array(), *known = NULL, *fmt = NULL;
    const char *poll = json_string_value(json_object_get(json_object_get(ev->content, "m.relates_to"),
                                                         "event_id"));
    char chat[256], author[64], *ids = NULL, *js = NULL, *end;
    int64_t ts = 0;
    uint32_t count = 0;
    size_t i, j;
    int rc = -1;

    if (!poll || br_store_msgmap_find_by_event(b->db, owner, poll, chat, sizeof(chat), author,
                                               sizeof(author), &ts) != 1 ||
        strcmp(chat, chat_id) != 0 || !*author) {
        br_notice(b, ev->room_id, "Not sent to Signal: this vote is on a poll Signal does not know.");
        goto out;
    }
    if (br_store_poll_answers(b->db, owner, poll, &ids) == 1)
        known = json_loads(ids, 0, NULL); /* a poll started in Matrix */
    for (i = 0; idx && i < json_array_size(ans); i++) {
        const char *a = json_string_value(json_array_get(ans, i));
        long v = -1;
        for (j = 0; a && known && j < json_array_size(known); j++)
            if (json_string_value(json_array_get(known, j)) &&
                strcmp(a, json_string_value(json_array_get(known, j))) == 0)
                v = (long)j;
        if (a && !known && *a) { /* a Signal poll: ids are option indexes */
            v = strtol(a, &end, 10);
            if (*end || v < 0 || v > 1000)
                v = -1;
        }
        if (v < 0) {
            br_notice(b, ev->room_id, "Not sent to Signal: this vote names an answer the poll "
                                      "does not have.");
            goto out;
        }
        json_array_append_new(idx, json_integer(v));
    }
    if ((rc = br_store_poll_vote_next(b->db, owner, poll, &count)) == 0 &&
        (fmt = json_pack("{s:{s:s,s:s,s:I,s:O,s:I}}", "poll", "k", "vote", "author", author, "ts",
                         (json_int_t)ts, "o", idx, "n", (json_int_t)count)) &&
        (js = json_dumps(fmt, JSON_COMPACT)))
        rc = br_outbox_timer(b, ev, owner, chat_id, js);
    if (rc < 0 && br_defer(b, rc))
        goto out;
    if (rc < 0)
        br_notice(b, ev->room_id, "Not sent to Signal: the bridge could not store the vote (%s).",
                  st_errmsg(b->db));
out:
    free(ids);
    free(js);
    json_decref(known);
    json_decref(idx);
    json_decref(fmt);
}

void br_poll_from_matrix(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id)
{
    br_login *l = br_login_get(b, owner, 0);

    if (!ev->event_id)
        return;
    if (strstr(ev->type, "end")) {
        /* mautrix-signal does not send poll ends either
         * (pkg/connector/capabilities.go PollEnd: CapLevelUnsupported) */
        br_notice(b, ev->room_id, "Not sent to Signal: ending a poll cannot be sent from Matrix "
                                  "yet. End it in Signal on your phone.");
        return;
    }
    if (!l || !l->aci) {
        br_notice(b, ev->room_id, "Not sent: this bridge is not linked to your Signal account. "
                                  "Send `link` to the bridge bot.");
        return;
    }
    if (br_group_refuse_relation(b, ev->room_id, chat_id, "poll"))
        return;
    if (strstr(ev->type, "start"))
        start_out(b, ev, owner, chat_id);
    else
        vote_out(b, ev, owner, chat_id);
}
