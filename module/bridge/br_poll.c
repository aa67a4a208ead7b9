/* br_poll.c - Signal polls as MSC3381 events (br_poll.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "br_conv.h"
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

const char *br_poll_apply_in(br_bridge *b, const char *owner, const char *chat_id, json_t *p,
                             json_t *c)
{
    const char *k = json_string_value(json_object_get(p, "k"));
    const char *author = json_string_value(json_object_get(p, "author"));
    json_int_t ts = json_integer_value(json_object_get(p, "ts"));
    json_t *idx = json_object_get(p, "o"), *answers;
    char eid[256], id[24];
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
    if (!(answers = json_array()))
        return POLL_RESPONSE;
    for (i = 0; i < json_array_size(idx); i++) {
        snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, json_integer_value(json_array_get(idx, i)));
        json_array_append_new(answers, json_string(id));
    }
    /* Signal's vote with no options takes the vote back; in MSC3381
     * (proposals/3381-polls.md) an empty answers list spoils the vote */
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

void br_poll_from_matrix(br_bridge *b, const mx_event *ev)
{
    const char *t = ev->type;
    const char *what = strstr(t, "start") ? "polls" : strstr(t, "response") ? "poll votes"
                                                                            : "ended polls";

    br_notice(b, ev->room_id, "Not sent to Signal: %s cannot be sent from Matrix yet. Use Signal "
                              "on your phone for this poll.", what);
}
