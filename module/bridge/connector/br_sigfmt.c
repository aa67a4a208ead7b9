/* br_sigfmt.c - body ranges and quotes between sig_client and BR_NET_FMT
 * JSON (br_sigfmt.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "SignalService.pb-c.h"
#include "br_sigfmt.h"

/* The message's link previews as [[url, title, description, image], ...]
 * (image: the index of the preview's image among the MESSAGE's atts, where
 * br_sigevent.c puts them after the message's own, or -1), or NULL when
 * none; what mautrix-signal pkg/msgconv/urlpreview.go
 * convertURLPreviewToBeeper reads (url, title, description, image). */
static json_t *previews(const sig_message *m)
{
    Signalservice__Content *ct = signalservice__content__unpack(NULL, m->content_len, m->content);
    const Signalservice__DataMessage *dm;
    json_t *a = NULL;
    size_t i, img = m->n_attachments;

    if (!ct)
        return NULL;
    dm = ct->datamessage ? ct->datamessage
       : ct->syncmessage && ct->syncmessage->sent ? ct->syncmessage->sent->message : NULL;
    for (i = 0; dm && i < dm->n_preview; i++) {
        const Signalservice__Preview *p = dm->preview[i];
        if (!p->url || !*p->url || (!a && !(a = json_array())))
            continue;
        json_array_append_new(a, json_pack("[s,s,s,I]", p->url, p->title ? p->title : "",
                                           p->description ? p->description : "",
                                           (json_int_t)(p->image ? (int64_t)img++ : -1)));
    }
    signalservice__content__free_unpacked(ct, NULL);
    return a;
}

/* 1 when the message's quote carries its attachment's thumbnail (which
 * br_sigevent.c puts after the previews' images). */
static int quote_thumb(const sig_message *m)
{
    Signalservice__Content *ct = signalservice__content__unpack(NULL, m->content_len, m->content);
    const Signalservice__DataMessage *dm;
    int yes;

    if (!ct)
        return 0;
    dm = ct->datamessage ? ct->datamessage
       : ct->syncmessage && ct->syncmessage->sent ? ct->syncmessage->sent->message : NULL;
    yes = dm && dm->quote && dm->quote->n_attachments && dm->quote->attachments[0] &&
          dm->quote->attachments[0]->thumbnail;
    signalservice__content__free_unpacked(ct, NULL);
    return yes;
}

char *br_sigfmt_json(const sig_message *m)
{
    sig_format f;
    json_t *o, *r, *lp;
    char *out = NULL;
    size_t i;

    if (!m->content || sig_content_format(m->content, m->content_len, &f) != 0)
        return NULL;
    lp = previews(m);
    if (!f.n_ranges && !f.quote_id && !lp) {
        sig_format_clear(&f);
        return NULL;
    }
    o = json_object();
    if (o && lp)
        json_object_set(o, "lp", lp);
    json_decref(lp);
    r = json_array();
    for (i = 0; o && r && i < f.n_ranges; i++)
        json_array_append_new(r, json_pack("[I,I,i,s]", (json_int_t)f.ranges[i].start,
                                           (json_int_t)f.ranges[i].length, f.ranges[i].style,
                                           f.ranges[i].mention_aci));
    if (o && r)
        json_object_set_new(o, "r", r);
    else
        json_decref(r);
    if (o && f.quote_id) {
        /* no "text" member when the quote has none: a null would fail
         * the readers' "s?s" (a quote of a photo alone has no text) */
        json_t *q = json_pack("{s:I,s:s}", "ts", (json_int_t)f.quote_id, "author", f.quote_author);
        if (q && f.quote_text)
            json_object_set_new(q, "text", json_string(f.quote_text));
        if (q && f.quote_att_type[0]) { /* the quoted attachment's kind and name */
            json_object_set_new(q, "a", json_string(f.quote_att_type));
            if (f.quote_att_name[0])
                json_object_set_new(q, "n", json_string(f.quote_att_name));
            if (quote_thumb(m)) { /* its thumbnail's place among the atts */
                size_t k, idx = m->n_attachments;
                json_t *l = json_object_get(o, "lp");
                for (k = 0; k < json_array_size(l); k++)
                    if (json_integer_value(json_array_get(json_array_get(l, k), 3)) >= 0)
                        idx++;
                json_object_set_new(q, "i", json_integer((json_int_t)idx));
            }
        }
        json_object_set_new(o, "q", q);
    }
    if (o)
        out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    sig_format_clear(&f);
    return out;
}

/* A poll or a vote to send (BR_NET_FMT "poll", as br_sigkind.h reads it:
 * {"k": "start", "q", "o": [texts], "m"} or {"k": "vote", "author", "ts",
 * "o": [indexes], "n"}); nothing when p is NULL. */
static int poll_parse(json_t *p, sig_format *f)
{
    const char *k = json_string_value(json_object_get(p, "k"));
    json_t *o = json_object_get(p, "o");
    size_t i, n = json_array_size(o);

    if (!p)
        return 0;
    if (!k || !json_is_array(o))
        return UT_ERR_INVAL;
    if (strcmp(k, "start") == 0) {
        const char *q = json_string_value(json_object_get(p, "q"));
        if (!q || !n || !(f->poll_question = strdup(q)) ||
            !(f->poll_options = calloc(n, sizeof(char *))))
            return UT_ERR_INVAL;
        for (i = 0; i < n; i++) {
            const char *t = json_string_value(json_array_get(o, i));
            if (!(f->poll_options[i] = strdup(t ? t : "")))
                return UT_ERR_NOMEM;
            f->n_poll_options++;
        }
        f->poll_multiple = json_is_true(json_object_get(p, "m"));
        return 0;
    }
    if (strcmp(k, "vote") == 0) {
        const char *a = json_string_value(json_object_get(p, "author"));
        json_int_t ts = json_integer_value(json_object_get(p, "ts"));
        json_int_t cnt = json_integer_value(json_object_get(p, "n"));
        if (!a || strlen(a) >= sizeof(f->vote_author) || ts <= 0 || cnt < 0 || cnt > UINT32_MAX ||
            (n && !(f->vote_options = calloc(n, sizeof(uint32_t)))))
            return UT_ERR_INVAL;
        for (i = 0; i < n; i++) {
            json_int_t x = json_integer_value(json_array_get(o, i));
            if (x < 0 || x > UINT32_MAX)
                return UT_ERR_INVAL;
            f->vote_options[f->n_vote_options++] = (uint32_t)x;
        }
        snprintf(f->vote_author, sizeof(f->vote_author), "%s", a);
        f->vote_ts = (uint64_t)ts;
        f->vote_count = (uint32_t)cnt;
        return 0;
    }
    return UT_ERR_INVAL;
}

/* Link previews to send (BR_NET_FMT "lp" as br_fmt.c writes them:
 * [{"u": url, "t": title, "d": description, "f": the image's local file,
 * "ct": its type, "w", "h"}, ...]); entries of another shape are skipped. */
static int previews_parse(json_t *lp, sig_format *f)
{
    size_t i, n = json_array_size(lp);

    if (!n)
        return 0;
    if (n > SIG_MAX_PREVIEWS)
        n = SIG_MAX_PREVIEWS;
    if (!(f->previews = calloc(n, sizeof(*f->previews))))
        return UT_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(lp, i);
        const char *u = json_string_value(json_object_get(e, "u"));
        const char *t = json_string_value(json_object_get(e, "t"));
        const char *d = json_string_value(json_object_get(e, "d"));
        const char *file = json_string_value(json_object_get(e, "f"));
        const char *ct = json_string_value(json_object_get(e, "ct"));
        json_int_t w = json_integer_value(json_object_get(e, "w"));
        json_int_t h = json_integer_value(json_object_get(e, "h"));
        sig_preview *p;
        if (!u)
            continue;
        p = &f->previews[f->n_previews++];
        if (!(p->url = strdup(u)) || (t && !(p->title = strdup(t))) ||
            (d && !(p->description = strdup(d))) || (file && !(p->image_path = strdup(file))) ||
            (file && !(p->image_type = strdup(ct ? ct : "image/jpeg"))))
            return UT_ERR_NOMEM;
        if (w > 0 && h > 0 && w <= UINT32_MAX && h <= UINT32_MAX) {
            p->width = (uint32_t)w;
            p->height = (uint32_t)h;
        }
    }
    return 0;
}

int br_sigfmt_parse(const char *json, sig_format *f)
{
    json_t *o, *r, *q;
    size_t i, n;

    memset(f, 0, sizeof(*f));
    if (!json || !(o = json_loads(json, 0, NULL)))
        return UT_ERR_INVAL;
    r = json_object_get(o, "r");
    n = json_is_array(r) ? json_array_size(r) : 0;
    if (n && !(f->ranges = calloc(n, sizeof(*f->ranges)))) {
        json_decref(o);
        return UT_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        json_int_t s = 0, l = 0;
        int st = 0;
        const char *aci = "";
        if (json_unpack(json_array_get(r, i), "[I,I,i,s]", &s, &l, &st, &aci) != 0 ||
            s < 0 || l < 0 || s > UINT32_MAX || l > UINT32_MAX)
            continue;
        f->ranges[f->n_ranges].start = (uint32_t)s;
        f->ranges[f->n_ranges].length = (uint32_t)l;
        f->ranges[f->n_ranges].style = st;
        snprintf(f->ranges[f->n_ranges].mention_aci, sizeof(f->ranges[0].mention_aci), "%s", aci);
        f->n_ranges++;
    }
    /* the chat's disappearing timer, and a timer change (br_net.h) */
    if (json_is_integer(json_object_get(o, "x")) && json_integer_value(json_object_get(o, "x")) >= 0 &&
        json_integer_value(json_object_get(o, "x")) <= UINT32_MAX)
        f->expire_timer = (uint32_t)json_integer_value(json_object_get(o, "x"));
    if (json_is_integer(json_object_get(o, "xv")) && json_integer_value(json_object_get(o, "xv")) > 0 &&
        json_integer_value(json_object_get(o, "xv")) <= UINT32_MAX)
        f->expire_version = (uint32_t)json_integer_value(json_object_get(o, "xv"));
    f->timer_update = json_is_true(json_object_get(o, "tu")) ||
                      json_integer_value(json_object_get(o, "tu")) == 1;
    if (previews_parse(json_object_get(o, "lp"), f) != 0) {
        json_decref(o);
        sig_format_clear(f);
        return UT_ERR_NOMEM;
    }
    if (poll_parse(json_object_get(o, "poll"), f) != 0) {
        json_decref(o);
        sig_format_clear(f);
        return UT_ERR_INVAL;
    }
    q = json_object_get(o, "q");
    if (json_is_object(q)) {
        json_int_t ts = 0;
        const char *author = NULL, *text = NULL, *att = NULL, *name = NULL;
        if (json_unpack(q, "{s:I,s:s,s?s,s?s,s?s}", "ts", &ts, "author", &author, "text", &text,
                        "a", &att, "n", &name) == 0 &&
            ts > 0 && strlen(author) < sizeof(f->quote_author)) {
            f->quote_id = (uint64_t)ts;
            snprintf(f->quote_author, sizeof(f->quote_author), "%s", author);
            if (att && strlen(att) < sizeof(f->quote_att_type) &&
                (!name || strlen(name) < sizeof(f->quote_att_name))) {
                snprintf(f->quote_att_type, sizeof(f->quote_att_type), "%s", att);
                snprintf(f->quote_att_name, sizeof(f->quote_att_name), "%s", name ? name : "");
            }
            if (text && !(f->quote_text = strdup(text))) {
                json_decref(o);
                sig_format_clear(f);
                return UT_ERR_NOMEM;
            }
        }
    }
    json_decref(o);
    return 0;
}

/* DataMessage.expireTimer (seconds) and Flags.EXPIRATION_TIMER_UPDATE (2):
 * Signal-Desktop protos/SignalService.proto; how a client reads them:
 * mautrix-signal pkg/msgconv/from-signal.go ToMatrix (a flagged message is
 * only a timer change; any other message with expireTimer > 0 disappears). */
int br_sigfmt_expire(const sig_message *m, uint32_t *expire_s, uint32_t *version, int *known)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm = NULL;
    int update = 0;

    *expire_s = 0;
    *version = 0;
    *known = 0;
    if (!m->content || !(ct = signalservice__content__unpack(NULL, m->content_len, m->content)))
        return 0;
    if (ct->datamessage)
        dm = ct->datamessage;
    else if (ct->syncmessage && ct->syncmessage->sent)
        dm = ct->syncmessage->sent->message;
    if (dm) {
        *expire_s = dm->has_expiretimer ? dm->expiretimer : 0;
        /* DataMessage.expireTimerVersion (field 23) */
        *version = dm->has_expiretimerversion ? dm->expiretimerversion : 0;
        *known = 1;
        update = dm->has_flags &&
                 (dm->flags & SIGNALSERVICE__DATA_MESSAGE__FLAGS__EXPIRATION_TIMER_UPDATE);
    }
    signalservice__content__free_unpacked(ct, NULL);
    return update;
}
