/* br_fmt.c - formatting, mentions and replies of bridged text (br_fmt.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "br_conv.h"
#include "br_expire.h"
#include "br_fmt.h"
#include "br_internal.h"
#include "br_media.h"
#include "br_poll.h"
#include "br_store.h"

/* ---- BR_NET_FMT JSON <-> br_range ----------------------------------------- */

typedef struct fmt {
    br_range *r;
    size_t n;
    int64_t quote_ts;
    char quote_author[37];
    char *quote_text;
    char *quote_att;     /* the quoted attachment's content type, or NULL */
    char *quote_name;    /* its file name, or NULL */
    int quote_thumb;     /* its thumbnail's index among the message's
                            attachments (br_media_in idx), or -1 */
    int notice;      /* a notice of what cannot be bridged (issue #17 item 7) */
    json_t *lp;      /* link previews: [[url, title, description(, image)], ...] */
} fmt;

static void fmt_free(fmt *f)
{
    free(f->r);
    free(f->quote_text);
    free(f->quote_att);
    free(f->quote_name);
    json_decref(f->lp);
    memset(f, 0, sizeof(*f));
}

static int fmt_parse(const char *json, fmt *f)
{
    json_t *o = json ? json_loads(json, 0, NULL) : NULL, *r, *q;
    size_t i, n;

    memset(f, 0, sizeof(*f));
    f->quote_thumb = -1;
    if (!o)
        return UT_ERR_INVAL;
    r = json_object_get(o, "r");
    n = json_is_array(r) ? json_array_size(r) : 0;
    if (n && !(f->r = calloc(n, sizeof(*f->r)))) {
        json_decref(o);
        return UT_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        json_int_t s, l;
        int st;
        const char *aci;
        if (json_unpack(json_array_get(r, i), "[I,I,i,s]", &s, &l, &st, &aci) != 0 || s < 0 ||
            l < 0 || s > UINT32_MAX || l > UINT32_MAX)
            continue;
        f->r[f->n].start = (uint32_t)s;
        f->r[f->n].len = (uint32_t)l;
        f->r[f->n].style = st;
        snprintf(f->r[f->n].aci, sizeof(f->r[0].aci), "%s", aci);
        f->n++;
    }
    f->notice = json_is_true(json_object_get(o, "notice")) ||
                json_integer_value(json_object_get(o, "notice")) == 1;
    if (json_is_array(json_object_get(o, "lp")))
        f->lp = json_incref(json_object_get(o, "lp"));
    q = json_object_get(o, "q");
    if (json_is_object(q)) {
        json_int_t ts = 0;
        const char *a = NULL, *t = NULL, *at = NULL, *an = NULL;
        json_int_t thumb = -1;
        if (json_unpack(q, "{s:I,s:s,s?s,s?s,s?s,s?I}", "ts", &ts, "author", &a, "text", &t, "a",
                        &at, "n", &an, "i", &thumb) == 0) {
            f->quote_thumb = thumb >= 0 && thumb < INT32_MAX ? (int)thumb : -1;
            f->quote_ts = ts;
            snprintf(f->quote_author, sizeof(f->quote_author), "%s", a);
            f->quote_text = t ? strdup(t) : NULL;
            f->quote_att = at && *at ? strdup(at) : NULL;
            f->quote_name = an && *an ? strdup(an) : NULL;
        }
    }
    json_decref(o);
    return 0;
}

/* ---- Signal -> Matrix ---------------------------------------------------- */

int br_fmt_store_in(br_bridge *b, const br_net_event *ev)
{
    if (!ev->fmt)
        return 0;
    return br_store_infmt_put(b->db, ev->owner, ev->sender, ev->ts, ev->fmt);
}

typedef struct who {
    br_bridge *b;
    const char *owner;
    const char *my_aci;
} who;

/* A mentioned ACI: the linked user (their own mention highlights them)
 * or the contact's ghost, shown by the name the ghost has. */
static int mention_lookup(void *ud, const char *aci, char **mxid, char **name)
{
    who *w = ud;
    char m[320], shown[256];

    if (w->my_aci && strcmp(aci, w->my_aci) == 0) {
        const char *colon = strchr(w->owner, ':');
        *mxid = strdup(w->owner);
        *name = colon ? strndup(w->owner + 1, (size_t)(colon - w->owner - 1)) : strdup(w->owner);
        return *mxid && *name ? 0 : UT_ERR_NOMEM;
    }
    if (br_puppet_mxid(w->b, aci, m, sizeof(m)) != 0)
        return -1;
    *mxid = strdup(m);
    *name = NULL;
    if (br_store_puppet_mention_name(w->b->db, aci, shown, sizeof(shown)) == 1 && *shown)
        *name = strdup(shown);
    return *mxid ? 0 : UT_ERR_NOMEM;
}

/* The Matrix event of the quoted message, if it was bridged. */
static char *quoted_event(br_bridge *b, const char *owner, const char *chat_id, const fmt *f)
{
    char eid[256];

    if (br_store_msgmap_by_author_at(b->db, owner, chat_id, f->quote_author, f->quote_ts, eid,
                                     sizeof(eid)) != 1 || !*eid)
        return NULL;
    return strdup(eid);
}

static char *html_escape(const char *s)
{
    return br_conv_html_escape(s);
}

/* What a quote of a message the bridge never saw shows: its text, and
 * the kind (and file name) of its attachment, which Signal carries as
 * Quote.attachments[0] (contentType, fileName; Signal-Desktop
 * ts/util/makeQuote.preload.ts). mautrix-signal shows neither: it only
 * replies to a message it has (pkg/msgconv/from-signal.go ToMatrix sets
 * ReplyTo from Quote.id and authorAci), and does nothing with the quote's
 * text, attachments or thumbnail. The thumbnail goes into the HTML
 * (quote_thumb_html). NULL when there is nothing to show. */
static char *quoted_line(const fmt *f)
{
    const char *t = f->quote_att, *kind;
    char *out = NULL;
    int has_text = f->quote_text && *f->quote_text;

    if (!t)
        return has_text ? strdup(f->quote_text) : NULL;
    kind = !strncmp(t, "image/gif", 9) ? "GIF" : !strncmp(t, "image/", 6) ? "Photo"
         : !strncmp(t, "video/", 6) ? "Video" : !strncmp(t, "audio/", 6) ? "Audio" : "File";
    if (asprintf(&out, "[%s%s%s]%s%s", kind, f->quote_name && !strcmp(kind, "File") ? ": " : "",
                 f->quote_name && !strcmp(kind, "File") ? f->quote_name : "",
                 has_text ? " " : "", has_text ? f->quote_text : "") < 0)
        out = NULL;
    return out;
}

/* The quoted attachment's thumbnail as an <img> for the quote's HTML
 * (the Matrix spec's HTML subset: img with an mxc src, width, height,
 * alt), or "" when there is none (not carried, or not uploaded);
 * malloc'd. The issue asks for it (#17 item 3); mautrix-signal shows no
 * quote thumbnail. */
static char *quote_thumb_html(br_bridge *b, const char *owner, const char *sender, int64_t ts,
                              const fmt *f)
{
    br_store_media_in r;
    char *out = NULL;
    uint32_t w, h;

    if (f->quote_thumb < 0 ||
        br_store_media_in_at(b->db, owner, sender, ts, f->quote_thumb, &r) != 1 ||
        r.state != 3 /* bridged */ || strncmp(r.mxc, "mxc://", 6) != 0 || strpbrk(r.mxc, "\"<>&"))
        return strdup("");
    /* a thumbnail shows small: at most 150 pixels high */
    w = r.width;
    h = r.height;
    if (w && h && h > 150) {
        w = (uint32_t)((uint64_t)w * 150 / h);
        h = 150;
    }
    if (w && h) {
        if (asprintf(&out, "<img src=\"%s\" alt=\"thumbnail\" width=\"%u\" height=\"%u\"><br>",
                     r.mxc, w ? w : 1, h) < 0)
            out = NULL;
    } else if (asprintf(&out, "<img src=\"%s\" alt=\"thumbnail\" height=\"150\"><br>", r.mxc) < 0) {
        out = NULL;
    }
    return out ? out : strdup("");
}

/* A notice (br_sigkind.h) as m.notice, after the sender's name. */
static void notice_in(who *w, const char *sender, const char *text, json_t *c)
{
    char *mxid = NULL, *name = NULL, *body = NULL;
    int me = w->my_aci && strcmp(sender, w->my_aci) == 0;

    if (!me && mention_lookup(w, sender, &mxid, &name) != 0)
        name = NULL;
    if (asprintf(&body, "%s%s%s", me ? "You" : name ? name : "Your contact",
                 text[0] == '\'' ? "" : " ", text) > 0) {
        json_object_set_new(c, "msgtype", json_string("m.notice"));
        json_object_set_new(c, "body", json_string(body));
    }
    free(body);
    free(mxid);
    free(name);
}

int br_fmt_quote_in(br_bridge *b, const char *owner, const char *sender, int64_t ts,
                    char author[37], int64_t *quote_ts)
{
    char *json = NULL;
    int found = 0;
    fmt f;

    if (br_store_infmt_get(b->db, owner, sender, ts, &json) < 0 || !json)
        return 0;
    if (fmt_parse(json, &f) == 0) {
        if (f.quote_ts && f.quote_author[0]) {
            memcpy(author, f.quote_author, sizeof(f.quote_author));
            *quote_ts = f.quote_ts;
            found = 1;
        }
        fmt_free(&f);
    }
    free(json);
    return found;
}

/* Signal's link previews as com.beeper.linkpreviews (MSC4095), as
 * mautrix-signal pkg/msgconv/urlpreview.go convertURLPreviewToBeeper
 * writes them (mautrix-go event/beeper.go BeeperLinkPreview: matched_url,
 * og:url, og:title, og:description, and the reuploaded image as og:image
 * with og:image:type, matrix:image:size, og:image:width/height). The
 * image is attachment `idx` of the message (br_media.c uploaded it). */
static void link_previews(br_bridge *b, const char *owner, const char *sender, int64_t ts,
                          json_t *lp, json_t *c)
{
    json_t *out = json_array(), *p;
    br_store_media_in r;
    size_t i;

    for (i = 0; out && i < json_array_size(lp); i++) {
        const char *url, *title, *desc;
        json_int_t img = -1;
        if (json_unpack(json_array_get(lp, i), "[s,s,s!]", &url, &title, &desc) != 0 &&
            json_unpack(json_array_get(lp, i), "[s,s,s,I]", &url, &title, &desc, &img) != 0)
            continue;
        if (!(p = json_pack("{s:s,s:s}", "matched_url", url, "og:url", url)))
            continue;
        if (*title)
            json_object_set_new(p, "og:title", json_string(title));
        if (*desc)
            json_object_set_new(p, "og:description", json_string(desc));
        if (img >= 0 && img < INT32_MAX &&
            br_store_media_in_at(b->db, owner, sender, ts, (int)img, &r) == 1 &&
            r.state == 3 /* bridged */ && r.mxc[0]) {
            json_object_set_new(p, "og:image", json_string(r.mxc));
            if (r.has_type && r.content_type[0])
                json_object_set_new(p, "og:image:type", json_string(r.content_type));
            if (r.size)
                json_object_set_new(p, "matrix:image:size", json_integer((json_int_t)r.size));
            if (r.width && r.height) {
                json_object_set_new(p, "og:image:width", json_integer(r.width));
                json_object_set_new(p, "og:image:height", json_integer(r.height));
            }
        }
        json_array_append_new(out, p);
    }
    if (json_array_size(out))
        json_object_set_new(c, "com.beeper.linkpreviews", out);
    else
        json_decref(out);
}

/* A poll, vote or poll's end (BR_NET_FMT "poll"): 1 with its MSC3381
 * event type in *type (NULL: a vote not to send), 0 when json holds none. */
static int poll_in(br_bridge *b, const char *owner, const char *chat_id, const char *sender,
                   int64_t ts, const char *json, json_t *c, const char **type)
{
    json_t *o = json_loads(json, 0, NULL), *p = json_object_get(o, "poll");
    int is_poll = json_is_object(p);

    if (is_poll)
        *type = br_poll_apply_in(b, owner, chat_id, sender, ts, p, c);
    json_decref(o);
    return is_poll;
}

const char *br_fmt_apply_in(br_bridge *b, const char *owner, const char *chat_id,
                            const char *sender, int64_t ts, json_t *c)
{
    const char *type;
    const char *body = json_string_value(json_object_get(c, "body"));
    br_login *l = br_login_get(b, owner, 0);
    who w = { b, owner, l ? l->aci : NULL };
    br_from_signal o;
    char *json = NULL, *eid = NULL, *quoted = NULL;
    fmt f;

    if (!body || br_store_infmt_get(b->db, owner, sender, ts, &json) < 0)
        return "m.room.message";
    if (json && poll_in(b, owner, chat_id, sender, ts, json, c, &type)) {
        free(json);
        return type;
    }
    if (!json || fmt_parse(json, &f) != 0) {
        free(json);
        return "m.room.message";
    }
    free(json);
    if (f.notice) { /* "<name> called you ...": the sender's name first */
        notice_in(&w, sender, body, c);
        fmt_free(&f);
        return "m.room.message";
    }
    if (br_conv_from_signal(body, f.r, f.n, mention_lookup, &w, &o) == 0) {
        char *html = o.html ? strdup(o.html) : html_escape(o.body);
        size_t i;
        json_object_set_new(c, "body", json_string(o.body));
        if (f.quote_ts && (eid = quoted_event(b, owner, chat_id, &f))) {
            json_object_set_new(c, "m.relates_to",
                                json_pack("{s:{s:s}}", "m.in_reply_to", "event_id", eid));
        } else if (f.quote_ts && (quoted = quoted_line(&f))) {
            /* never bridged (before the link, or lost): show what it said */
            char *qh = html_escape(quoted), *img;
            size_t n = strlen(quoted) + strlen(o.body) + 8;
            char *nb = malloc(n), *nh = NULL;
            if (nb) {
                snprintf(nb, n, "> %s\n\n%s", quoted, o.body);
                json_object_set_new(c, "body", json_string(nb));
            }
            img = quote_thumb_html(b, owner, sender, ts, &f);
            if (qh && html && img && (nh = malloc(strlen(qh) + strlen(html) + strlen(img) + 32))) {
                sprintf(nh, "<blockquote>%s%s</blockquote>%s", img, qh, html);
                free(html);
                html = nh;
            }
            free(img);
            free(nb);
            free(qh);
        }
        if (html && (o.html || quoted)) {
            json_object_set_new(c, "format", json_string("org.matrix.custom.html"));
            json_object_set_new(c, "formatted_body", json_string(html));
        }
        if (o.n_mentions) {
            json_t *ids = json_array();
            for (i = 0; ids && i < o.n_mentions; i++)
                json_array_append_new(ids, json_string(o.mentions[i]));
            json_object_set_new(c, "m.mentions", json_pack("{s:o}", "user_ids", ids));
        }
        free(html);
        br_from_signal_free(&o);
    }
    link_previews(b, owner, sender, ts, f.lp, c);
    free(quoted);
    free(eid);
    fmt_free(&f);
    return "m.room.message";
}

/* The Matrix spec's "Size limits": a whole event (its PDU, with room,
 * sender, hashes and signatures) must not exceed 65,536 bytes of
 * canonical JSON. The content keeps what is left after a generous
 * allowance for the rest of the PDU. */
#define EVENT_MAX 65536u
#define PDU_ALLOWANCE 4096u

static size_t content_size(json_t *c)
{
    char *js = json_dumps(c, JSON_COMPACT);
    size_t n = js ? strlen(js) : 0;

    free(js);
    return n;
}

static void drop_html(json_t *o)
{
    json_object_del(o, "formatted_body");
    json_object_del(o, "format");
    json_object_del(o, "org.matrix.msc1767.message");
}

/* Set the text: the body of a message; for an edit, m.new_content's body
 * and the "* " fallback, which repeats it (br_relate.c apply_edit). */
static int set_text(json_t *c, json_t *nc, const char *text)
{
    char *fb = NULL;

    if (!nc)
        return json_object_set_new(c, "body", json_string(text));
    if (asprintf(&fb, "* %s", text) < 0)
        return -1;
    json_object_set_new(nc, "body", json_string(text));
    json_object_set_new(c, "body", json_string(fb));
    free(fb);
    return 0;
}

int br_fmt_fit(json_t *c)
{
    json_t *nc = json_object_get(c, "m.new_content"), *tc;
    const char *body;
    size_t n = content_size(c), keep, used, i;
    char *cut;
    int changed = 0;

    if (!json_is_object(nc))
        nc = NULL;
    tc = nc ? nc : c; /* where the text is */
    if (n <= EVENT_MAX - PDU_ALLOWANCE)
        return 0;
    /* the HTML repeats the text: the plain body alone still says it all
     * (an edit's fallback HTML too) */
    if (json_object_get(c, "formatted_body") || (nc && json_object_get(nc, "formatted_body"))) {
        drop_html(c);
        if (nc)
            drop_html(nc);
        changed = 1;
        n = content_size(c);
    }
    body = json_string_value(json_object_get(tc, "body"));
    if (n <= EVENT_MAX - PDU_ALLOWANCE || !body)
        return changed;
    /* still too large (a huge body sent as is): cut it at a code point, and
     * say so; JSON escapes may make a byte count up to six, hence the loop.
     * An edit holds its text twice: each copy gives up half the excess. */
    while (n > EVENT_MAX - PDU_ALLOWANCE && (body = json_string_value(json_object_get(tc, "body")))) {
        size_t over = n - (EVENT_MAX - PDU_ALLOWANCE) + 128, len = strlen(body);
        if (nc)
            over = over / 2 + 64;
        keep = len > over ? len - over : 0;
        for (i = 0; i < keep; i += used) { /* the last whole code point */
            br_conv_utf8_next((const unsigned char *)body + i, len - i, &used);
            if (i + used > keep)
                break;
        }
        keep = i;
        if (asprintf(&cut, "%.*s\n\n(cut here: the rest of this Signal message is longer than"
                           " one Matrix event can hold; see it in Signal on your phone)",
                     (int)keep, body) < 0)
            return changed;
        if (set_text(c, nc, cut) != 0) {
            free(cut);
            return changed;
        }
        free(cut);
        n = content_size(c);
        changed = 1;
        if (keep == 0)
            break;
    }
    return changed;
}

/* ---- Matrix -> Signal ---------------------------------------------------- */

/* A pill's MXID: the linked user, or one of our ghosts (same server). */
static int pill_lookup(void *ud, const char *mxid, char aci[37])
{
    who *w = ud;
    char lp[256], check[320];
    const char *colon = strchr(mxid, ':');

    if (strcmp(mxid, w->owner) == 0 && w->my_aci) {
        snprintf(aci, 37, "%s", w->my_aci);
        return 0;
    }
    if (!colon || mxid[0] != '@' || (size_t)(colon - mxid) >= sizeof(lp))
        return -1;
    memcpy(lp, mxid + 1, (size_t)(colon - mxid - 1));
    lp[colon - mxid - 1] = '\0';
    if (!br_config_puppet_aci(&w->b->cfg, lp, aci, 37) ||
        br_puppet_mxid(w->b, aci, check, sizeof(check)) != 0 || strcmp(check, mxid) != 0)
        return -1;
    return 0;
}

/* The reply's target as a quote: author, timestamp and its text. */
static void reply_quote(br_bridge *b, const char *owner, const char *event_id, json_t *q)
{
    char chat[256], author[64], *text = NULL, type[128], name[256];
    int64_t ts = 0;

    /* a message, or one attachment of a Signal message with a caption
     * (its own event, which br_msgmap does not list) */
    if ((br_store_msgmap_find_by_event(b->db, owner, event_id, chat, sizeof(chat), author,
                                       sizeof(author), &ts) != 1 || !*author) &&
        (br_store_media_in_by_event(b->db, owner, event_id, chat, sizeof(chat), author,
                                    sizeof(author), &ts) != 1 || !*author))
        return;
    (void)br_store_message_body(b->db, owner, author, ts, &text);
    json_object_set_new(q, "ts", json_integer(ts));
    json_object_set_new(q, "author", json_string(author));
    if (text)
        json_object_set_new(q, "text", json_string(text));
    free(text);
    /* a reply to a file quotes its attachment as Signal-Desktop does
     * (ts/util/makeQuote.preload.ts getQuoteAttachment: contentType and
     * fileName of the first; the thumbnail is optional) */
    if (br_store_media_by_event(b->db, owner, event_id, type, sizeof(type), name,
                                sizeof(name)) == 1) {
        json_object_set_new(q, "a", json_string(*type ? type : "application/octet-stream"));
        if (*name)
            json_object_set_new(q, "n", json_string(name));
    }
}

/* Does the URL appear in the text as a link of its own (not inside a
 * longer one)? */
static int url_in_text(const char *text, const char *url)
{
    size_t n = strlen(url);
    const char *p;

    for (p = strstr(text, url); n && p; p = strstr(p + 1, url)) {
        unsigned char after = (unsigned char)p[n];
        if ((p == text || !strchr("/:.%-_~?#&=+", p[-1])) &&
            (!after || after == ' ' || after == '\n' || after == '\t' || strchr(",;)!>\"'", after) ||
             ((after == '.' || after == '?') && (!p[n + 1] || p[n + 1] == ' ' || p[n + 1] == '\n'))))
            return 1;
    }
    return 0;
}

/* A host Signal-Desktop never previews (ts/types/LinkPreview.std.ts
 * EXCLUDED_DOMAINS, isDomainExcluded: the domain or any subdomain of it),
 * or one without two labels (isLinkSneaky). */
static int host_excluded(const char *url)
{
    static const char *const excluded[] = { "debuglogs.org", "example", "example.com",
                                            "example.net", "example.org", "invalid",
                                            "localhost", "onion", "test" };
    const char *h = url + 8, *end = h + strcspn(h, "/?#:");
    size_t n = (size_t)(end - h), i;

    if (!n || !memchr(h, '.', n) || memchr(h, '@', n))
        return 1;
    for (i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++) {
        size_t k = strlen(excluded[i]);
        if (n >= k && strncasecmp(end - k, excluded[i], k) == 0 && (n == k || end[-(long)k - 1] == '.'))
            return 1;
    }
    return 0;
}

/* The Matrix message's com.beeper.linkpreviews (MSC4095) as Signal
 * previews to send (BR_NET_FMT "lp", objects), as mautrix-signal
 * pkg/msgconv/urlpreview.go convertURLPreviewToSignal makes them: url
 * (matched_url), title, description, and og:image fetched and uploaded to
 * Signal. Only https links that appear in the text Signal gets: Signal-
 * Desktop drops any other preview it receives (ts/types/LinkPreview.std.ts
 * isValidLinkPreview: shouldPreviewHref needs https and a host it does not
 * exclude, and the url must be among findLinks(body)). NULL when none. */
static json_t *previews_out(json_t *content, const char *text)
{
    json_t *in = json_object_get(content, "com.beeper.linkpreviews"), *out = json_array(), *p;
    size_t i;

    for (i = 0; out && i < json_array_size(in) && json_array_size(out) < 4; i++) {
        json_t *e = json_array_get(in, i);
        const char *url = json_string_value(json_object_get(e, "matched_url"));
        const char *mxc = json_string_value(json_object_get(e, "og:image"));
        json_t *w = json_object_get(e, "og:image:width"), *h = json_object_get(e, "og:image:height");
        if (!url)
            url = json_string_value(json_object_get(e, "og:url"));
        if (!url || strncmp(url, "https://", 8) != 0 || strlen(url) > 4096 ||
            host_excluded(url) || !url_in_text(text, url) ||
            !(p = json_pack("{s:s,s:s,s:s}", "u", url, "t",
                            json_string_value(json_object_get(e, "og:title"))
                                ? json_string_value(json_object_get(e, "og:title")) : "",
                            "d", json_string_value(json_object_get(e, "og:description"))
                                     ? json_string_value(json_object_get(e, "og:description")) : "")))
            continue;
        /* an encrypted image (beeper:image:encryption) cannot be read here */
        if (mxc && !strncmp(mxc, "mxc://", 6)) {
            const char *ct = json_string_value(json_object_get(e, "og:image:type"));
            json_object_set_new(p, "m", json_string(mxc));
            json_object_set_new(p, "ct", json_string(ct && *ct ? ct : "image/jpeg"));
            if (json_integer_value(w) > 0 && json_integer_value(h) > 0 &&
                json_integer_value(w) <= 100000 && json_integer_value(h) <= 100000) {
                json_object_set_new(p, "w", json_integer(json_integer_value(w)));
                json_object_set_new(p, "h", json_integer(json_integer_value(h)));
            }
        }
        json_array_append_new(out, p);
    }
    if (!json_array_size(out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int br_fmt_store_out(br_bridge *b, int64_t outbox_id, const char *owner,
                     const char *chat_id, const mx_event *ev)
{
    const char *format = json_string_value(json_object_get(ev->content, "format"));
    const char *html = json_string_value(json_object_get(ev->content, "formatted_body"));
    br_login *l = br_login_get(b, owner, 0);
    who w = { b, owner, l ? l->aci : NULL };
    br_to_signal t;
    json_t *o, *r, *q, *lp;
    char *json = NULL;
    size_t i;
    int rc;

    (void)chat_id;
    if (!ev->body || (ev->msgtype && strcmp(ev->msgtype, "m.emote") == 0))
        return 0;
    if (!format || strcmp(format, "org.matrix.custom.html") != 0)
        html = NULL; /* a plain body is sent as is, asterisks and all */
    if ((rc = br_conv_to_signal(ev->body, html, ev->reply_to != NULL, pill_lookup, &w, &t)) != 0)
        return rc;
    o = json_object();
    r = json_array();
    q = json_object();
    for (i = 0; o && r && i < t.n_ranges; i++)
        json_array_append_new(r, json_pack("[I,I,i,s]", (json_int_t)t.ranges[i].start,
                                           (json_int_t)t.ranges[i].len, t.ranges[i].style,
                                           t.ranges[i].aci));
    if (ev->reply_to && q)
        reply_quote(b, owner, ev->reply_to, q);
    if (o && r && json_array_size(r))
        json_object_set(o, "r", r);
    if (o && q && json_object_size(q))
        json_object_set(o, "q", q);
    if (o && (lp = previews_out(ev->content, t.text)))
        json_object_set_new(o, "lp", lp);
    json_decref(r);
    json_decref(q);
    rc = 0;
    /* store only what differs from the plain body */
    if (o && (json_object_size(o) || strcmp(t.text, ev->body) != 0) &&
        (json = json_dumps(o, JSON_COMPACT)))
        rc = br_store_outfmt_put(b->db, outbox_id, t.text, json);
    free(json);
    json_decref(o);
    br_to_signal_free(&t);
    return rc;
}

/* Add the chat's disappearing timer "x" (br_net.h BR_NET_FMT) unless the
 * row has its own (a timer change); signalmeow puts the portal's timer on
 * every message (mautrix-signal pkg/msgconv/from-matrix.go). */
static char *with_timer(char *json, uint32_t x)
{
    json_t *o = json_loads(json, 0, NULL);
    char *out = NULL;

    if (json_is_object(o) && !json_object_get(o, "x") &&
        json_object_set_new(o, "x", json_integer(x)) == 0)
        out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!out)
        return json;
    free(json);
    return out;
}

/* A link preview with an image (BR_NET_FMT "lp" member "m", an mxc):
 * the image is fetched first (br_media_preview_image), then its local
 * file goes to the Signal side as "f". 1 to send *json now, 0 while the
 * image is on its way (the row comes back through br_outbox_repump). */
static int preview_image(br_bridge *b, const char *owner, const char *chat_id,
                         int64_t outbox_id, char **json)
{
    json_t *o = json_loads(*json, 0, NULL), *lp = json_object_get(o, "lp"), *e;
    char path[4200];
    size_t i;
    int rc = 1;

    for (i = 0; i < json_array_size(lp); i++) {
        const char *mxc = json_string_value(json_object_get((e = json_array_get(lp, i)), "m"));
        if (!mxc)
            continue;
        rc = br_media_preview_image(b, outbox_id, mxc, owner, chat_id, path, sizeof(path));
        if (rc == 0)
            break;
        if (rc == 1)
            json_object_set_new(e, "f", json_string(path));
        rc = 1;
        break; /* one image per message: the first preview's */
    }
    if (rc == 1 && json_array_size(lp)) {
        char *s = json_dumps(o, JSON_COMPACT);
        if (s) {
            free(*json);
            *json = s;
        }
    }
    json_decref(o);
    return rc;
}

int br_fmt_send(br_bridge *b, const char *owner, const char *chat_id, const char *body,
                int64_t ts, int64_t outbox_id)
{
    char *text = NULL, *json = NULL;
    int rc;

    if (!b->have_net)
        return UT_ERR_INVAL;
    if (b->net.send_fmt) {
        uint32_t x = br_expire_chat_timer(b, owner, chat_id);
        (void)br_store_outfmt_get(b->db, outbox_id, &text, &json);
        if (x && !text && !json) { /* plain text with the chat's timer */
            text = strdup(body);
            json = strdup("{}");
        }
        if (x && text && json)
            json = with_timer(json, x);
    }
    if (text && json && (rc = preview_image(b, owner, chat_id, outbox_id, &json)) <= 0) {
        free(text);
        free(json);
        return 0; /* its preview's image first: the row is sent again then */
    }
    if (text && json)
        rc = b->net.send_fmt(b->net.ctx, owner, chat_id, text, json, ts, (uint64_t)outbox_id);
    else
        rc = b->net.send_text(b->net.ctx, owner, chat_id, body, ts, (uint64_t)outbox_id);
    free(text);
    free(json);
    return rc;
}

int br_fmt_edit_out(br_bridge *b, const char *owner, json_t *nc, char **text, char **fmt_out)
{
    const char *body = json_string_value(json_object_get(nc, "body"));
    const char *format = json_string_value(json_object_get(nc, "format"));
    const char *html = json_string_value(json_object_get(nc, "formatted_body"));
    br_login *l = br_login_get(b, owner, 0);
    who w = { b, owner, l ? l->aci : NULL };
    br_to_signal t;
    json_t *r;
    size_t i;
    int rc;

    *text = *fmt_out = NULL;
    if (!body)
        return UT_ERR_INVAL;
    if (!format || strcmp(format, "org.matrix.custom.html") != 0)
        html = NULL;
    if ((rc = br_conv_to_signal(body, html, 0, pill_lookup, &w, &t)) != 0)
        return rc;
    r = json_array();
    for (i = 0; r && i < t.n_ranges; i++)
        json_array_append_new(r, json_pack("[I,I,i,s]", (json_int_t)t.ranges[i].start,
                                           (json_int_t)t.ranges[i].len, t.ranges[i].style,
                                           t.ranges[i].aci));
    if (r && json_array_size(r)) {
        json_t *o = json_pack("{s:O}", "r", r);
        *fmt_out = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
    json_decref(r);
    *text = t.text;
    t.text = NULL;
    br_to_signal_free(&t);
    return 0;
}
