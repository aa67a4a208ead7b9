/* br_fmt.c - formatting, mentions and replies of bridged text (br_fmt.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "br_conv.h"
#include "br_fmt.h"
#include "br_internal.h"

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

/* ---- BR_NET_FMT JSON <-> br_range ----------------------------------------- */

typedef struct fmt {
    br_range *r;
    size_t n;
    int64_t quote_ts;
    char quote_author[37];
    char *quote_text;
    int notice;      /* a notice of what cannot be bridged (issue #17 item 7) */
} fmt;

static void fmt_free(fmt *f)
{
    free(f->r);
    free(f->quote_text);
    memset(f, 0, sizeof(*f));
}

static int fmt_parse(const char *json, fmt *f)
{
    json_t *o = json ? json_loads(json, 0, NULL) : NULL, *r, *q;
    size_t i, n;

    memset(f, 0, sizeof(*f));
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
    q = json_object_get(o, "q");
    if (json_is_object(q)) {
        json_int_t ts = 0;
        const char *a = NULL, *t = NULL;
        if (json_unpack(q, "{s:I,s:s,s?s}", "ts", &ts, "author", &a, "text", &t) == 0) {
            f->quote_ts = ts;
            snprintf(f->quote_author, sizeof(f->quote_author), "%s", a);
            f->quote_text = t ? strdup(t) : NULL;
        }
    }
    json_decref(o);
    return 0;
}

/* ---- Signal -> Matrix ---------------------------------------------------- */

int br_fmt_store_in(br_bridge *b, const br_net_event *ev)
{
    static const char sql[] = "INSERT INTO br_infmt(owner_mxid, sender, ts, fmt)"
                              " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
    sqlite3_stmt *st;

    if (!ev->fmt)
        return 0;
    if (!(st = st_db_stmt(b->db, sql)))
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, ev->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ev->ts);
    sqlite3_bind_text(st, 4, ev->fmt, -1, SQLITE_STATIC);
    return st_db_step_done(b->db, st);
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
    char m[320];
    sqlite3_stmt *st;

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
    st = st_db_stmt(w->b->db, "SELECT coalesce(shown_name, name, phone) FROM br_puppet WHERE aci = ?1");
    if (st) {
        sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            *name = col_dup(st, 0);
        sqlite3_reset(st);
    }
    return *mxid ? 0 : UT_ERR_NOMEM;
}

static char *quoted_event(br_bridge *b, const char *owner, const char *chat_id, const fmt *f)
{
    static const char sql[] = "SELECT event_id FROM br_msgmap WHERE owner_mxid = ?1 AND"
                              " chat_id = ?2 AND author = ?3 AND ts = ?4 LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    char *eid = NULL;

    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->quote_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, f->quote_ts);
    if (sqlite3_step(st) == SQLITE_ROW)
        eid = col_dup(st, 0);
    sqlite3_reset(st);
    return eid;
}

static char *html_escape(const char *s)
{
    return br_conv_html_escape(s);
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

void br_fmt_apply_in(br_bridge *b, const char *owner, const char *chat_id,
                     const char *sender, int64_t ts, json_t *c)
{
    static const char sql[] = "SELECT fmt FROM br_infmt WHERE owner_mxid = ?1 AND sender = ?2"
                              " AND ts = ?3";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    const char *body = json_string_value(json_object_get(c, "body"));
    br_login *l = br_login_get(b, owner, 0);
    who w = { b, owner, l ? l->aci : NULL };
    br_from_signal o;
    char *json = NULL, *eid = NULL;
    fmt f;

    if (!st || !body)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    if (sqlite3_step(st) == SQLITE_ROW)
        json = col_dup(st, 0);
    sqlite3_reset(st);
    if (!json || fmt_parse(json, &f) != 0) {
        free(json);
        return;
    }
    free(json);
    if (f.notice) { /* "<name> called you ...": the sender's name first */
        notice_in(&w, sender, body, c);
        fmt_free(&f);
        return;
    }
    if (br_conv_from_signal(body, f.r, f.n, mention_lookup, &w, &o) == 0) {
        char *html = o.html ? strdup(o.html) : html_escape(o.body);
        size_t i;
        json_object_set_new(c, "body", json_string(o.body));
        if (f.quote_ts && (eid = quoted_event(b, owner, chat_id, &f))) {
            json_object_set_new(c, "m.relates_to",
                                json_pack("{s:{s:s}}", "m.in_reply_to", "event_id", eid));
        } else if (f.quote_ts && f.quote_text && *f.quote_text) {
            /* never bridged (before the link, or lost): show what it said */
            char *qh = html_escape(f.quote_text);
            size_t n = strlen(f.quote_text) + strlen(o.body) + 8;
            char *nb = malloc(n), *nh = NULL;
            if (nb) {
                snprintf(nb, n, "> %s\n\n%s", f.quote_text, o.body);
                json_object_set_new(c, "body", json_string(nb));
            }
            if (qh && html && (nh = malloc(strlen(qh) + strlen(html) + 32))) {
                sprintf(nh, "<blockquote>%s</blockquote>%s", qh, html);
                free(html);
                html = nh;
            }
            free(nb);
            free(qh);
        }
        if (html && (o.html || (f.quote_ts && !eid && f.quote_text && *f.quote_text))) {
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
    free(eid);
    fmt_free(&f);
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
    static const char sql[] = "SELECT author, ts FROM br_msgmap WHERE owner_mxid = ?1"
                              " AND event_id = ?2 LIMIT 1";
    static const char text_sql[] =
        "SELECT body FROM br_inbox WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3"
        " UNION ALL SELECT body FROM br_outbox WHERE owner_mxid = ?1 AND author = ?2"
        " AND signal_ts = ?3 LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    char *author = NULL, *text = NULL;
    int64_t ts = 0;

    if (!st)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        author = col_dup(st, 0);
        ts = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (!author)
        return;
    if ((st = st_db_stmt(b->db, text_sql))) {
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, ts);
        if (sqlite3_step(st) == SQLITE_ROW)
            text = col_dup(st, 0);
        sqlite3_reset(st);
    }
    json_object_set_new(q, "ts", json_integer(ts));
    json_object_set_new(q, "author", json_string(author));
    if (text)
        json_object_set_new(q, "text", json_string(text));
    free(author);
    free(text);
}

int br_fmt_store_out(br_bridge *b, int64_t outbox_id, const char *owner,
                     const char *chat_id, const mx_event *ev)
{
    static const char sql[] = "INSERT INTO br_outfmt(outbox_id, text, fmt) VALUES (?1, ?2, ?3)"
                              " ON CONFLICT DO NOTHING";
    const char *format = json_string_value(json_object_get(ev->content, "format"));
    const char *html = json_string_value(json_object_get(ev->content, "formatted_body"));
    br_login *l = br_login_get(b, owner, 0);
    who w = { b, owner, l ? l->aci : NULL };
    br_to_signal t;
    json_t *o, *r, *q;
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
    json_decref(r);
    json_decref(q);
    rc = 0;
    /* store only what differs from the plain body */
    if (o && (json_object_size(o) || strcmp(t.text, ev->body) != 0) &&
        (json = json_dumps(o, JSON_COMPACT))) {
        sqlite3_stmt *st = st_db_stmt(b->db, sql);
        if (!st)
            rc = ST_ERR_SQL;
        else {
            sqlite3_bind_int64(st, 1, outbox_id);
            sqlite3_bind_text(st, 2, t.text, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
            rc = st_db_step_done(b->db, st);
        }
    }
    free(json);
    json_decref(o);
    br_to_signal_free(&t);
    return rc;
}

int br_fmt_send(br_bridge *b, const char *owner, const char *chat_id, const char *body,
                int64_t ts, int64_t outbox_id)
{
    static const char sql[] = "SELECT text, fmt FROM br_outfmt WHERE outbox_id = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    char *text = NULL, *json = NULL;
    int rc;

    if (!b->have_net)
        return UT_ERR_INVAL;
    if (st && b->net.send_fmt) {
        sqlite3_bind_int64(st, 1, outbox_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            text = col_dup(st, 0);
            json = col_dup(st, 1);
        }
        sqlite3_reset(st);
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
