/*
 * br_signal.c - the bridge's Signal side: br_net_ops over sig_client.
 *
 * Every linked account is a sig_client on one libevent loop owned by the
 * module's own thread (br_loop), with its own SQLite connection to the
 * module database. The bridge calls the ops on the host loop; each op posts
 * a task to the Signal thread. Events go the other way through
 * host->post(), as br_net_event values the bridge frees; br_sigevent.c
 * turns the sig_client events into them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "br_loop.h"
#include "br_signal.h"
#include "br_signal_int.h"
#include "br_sigchat.h"
#include "br_sigcontact.h"
#include "br_sigfmt.h"
#include "sig_client.h"
#include "sig_groups.h"
#include "sig_err.h"
#include "sn_gate.h"
#include "sn_tls.h"
#include "st_records.h"

/* ---- events to the host loop ------------------------------------------- */

typedef struct hop {
    br_signal *s;
    br_net_event *ev;
} hop;

static void hop_run(void *arg, int cancelled)
{
    hop *h = arg;

    if (cancelled)
        br_net_event_free(h->ev);
    else
        h->s->sink.event(h->s->sink.ctx, h->ev); /* takes ownership */
    free(h);
}

char *br_sig_dup(const char *x) { return x ? strdup(x) : NULL; }

br_net_event *br_sig_ev_new(br_net_kind kind, const char *owner)
{
    br_net_event *ev = calloc(1, sizeof(*ev));

    if (ev) {
        ev->kind = kind;
        ev->owner = br_sig_dup(owner);
    }
    return ev;
}

void br_sig_emit(br_signal *s, br_net_event *ev)
{
    hop *h;

    if (!ev)
        return;
    h = malloc(sizeof(*h));
    if (!h) {
        br_net_event_free(ev);
        return;
    }
    h->s = s;
    h->ev = ev;
    if (s->host->post(s->host->host, hop_run, h) != MXM_OK) {
        br_net_event_free(ev);
        free(h);
    }
}
/* ---- accounts (Signal thread) ------------------------------------------- */

static account *find(br_signal *s, const char *owner)
{
    account *a;

    for (a = s->accounts; a; a = a->next)
        if (strcmp(a->owner, owner) == 0)
            return a;
    return NULL;
}

static account *open_account(br_signal *s, const char *owner)
{
    account *a = find(s, owner);
    sig_config cfg;

    if (a)
        return a;
    a = calloc(1, sizeof(*a));
    if (!a || !(a->owner = strdup(owner)) ||
        st_account_ensure(s->db, owner, &a->id) != 0)
        goto fail;
    a->s = s;
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = s->host_name;
    cfg.port = s->port;
    cfg.ca_file = s->ca_file;
    cfg.tls = s->tls;
    cfg.gate = s->gate;
    cfg.device_name = s->device_name;
    cfg.link_timeout_ms = s->link_timeout_ms;
    cfg.history_transfer = s->history;
    cfg.no_sender_keys = s->no_sender_keys;
    cfg.history_max_messages = s->history_max_messages;
    cfg.history_max_age_s = s->history_max_age_s;
    cfg.trust_root = s->trust_root;
    cfg.server_public_params = s->zk_params;
    cfg.profile_refresh_s = s->profile_refresh_s;
    cfg.cdn0_url = s->ep[0];
    cfg.cdn2_url = s->ep[1];
    cfg.cdn3_url = s->ep[2];
    cfg.storage_url = s->ep[3];
    cfg.account = a->id;
    cfg.log = &s->log;
    if (sig_client_new(&a->c, s->base, s->db, &cfg, br_sig_on_event, a) != 0)
        goto fail;
    a->next = s->accounts;
    s->accounts = a;
    return a;
fail:
    if (a)
        free(a->owner);
    free(a);
    return NULL;
}

static void close_account(br_signal *s, account *a)
{
    account **pp;

    for (pp = &s->accounts; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    sig_client_free(a->c);
    br_sigcontact_jobs_free(a);
    free(a->owner);
    free(a);
}

/* ---- ops: host loop -> Signal thread ------------------------------------ */

typedef struct op {
    br_signal *s;
    int what;
    char *owner, *a1, *a2;
    uint64_t n;
    char *a3, *a4;        /* send_file: content type, caption;
                             OP_RELATE: a3 the target author, a4 an
                             edit's ranges (BR_NET_FMT) */
    uint8_t *blob;        /* download: the pointer (holds a key) */
    size_t blob_len;
    br_net_relation rel;  /* OP_RELATE: strings are a2 (text), a3 */
    uint64_t *tss;        /* OP_READ: n timestamps */
    uint32_t flags;       /* OP_SEND_FILE: SIG_SEND_* */
    char *a5;             /* OP_SEND_FILE: the chat's timer (BR_NET_FMT) */
} op;

enum { OP_LINK, OP_CANCEL, OP_LOGOUT, OP_SEND, OP_RESOLVE, OP_CONFIRM, OP_RELATE,
       OP_READ, OP_TYPING, OP_GROUP_INFO, OP_GROUP_CHANGE };
enum { OP_DOWNLOAD = 100, OP_SEND_FILE };

static void op_free(op *o)
{
    free(o->owner);
    free(o->a1);
    free(o->a2);
    free(o->a3);
    free(o->a4);
    free(o->a5);
    if (o->blob)
        ut_free_secret(o->blob, o->blob_len);
    free(o->tss);
    free(o);
}

static void media_op_run(br_signal *s, op *o);

/* OP_SEND with a3: body ranges and a quote (BR_NET_FMT JSON). */
static int send_fmt(sig_client *c, const op *o)
{
    uint8_t gid[32];
    sig_format f;
    int group = br_sigchat_parse_gid(o->a1, gid) == 0, rc, image = 0;
    size_t i;
    const char *to = strcmp(o->a1, "self") ? o->a1 : sig_client_aci(c);

    if (!to)
        return SIG_ERR_NOT_LINKED;
    if ((rc = br_sigfmt_parse(o->a3, &f)) != 0)
        return rc;
    for (i = 0; i < f.n_previews && !image; i++)
        image = f.previews[i].image_path != NULL;
    /* a link preview's image is uploaded first, as a file is */
    rc = image ? sig_client_send_preview_text(c, to, group ? gid : NULL, o->a2, &f,
                                              (uint64_t)o->rel.ts, (void *)(uintptr_t)o->n, NULL)
               : sig_client_send_text_fmt(c, to, group ? gid : NULL, o->a2, &f, (uint64_t)o->rel.ts,
                                          (void *)(uintptr_t)o->n, NULL);
    sig_format_clear(&f);
    return rc;
}

/* OP_SEND of a text over Signal's body limit: the cut body plus the whole
 * text as a long-text attachment (sig_client_send_long_text), with its
 * ranges and quote when a3 has them. */
static int send_long(sig_client *c, const op *o)
{
    uint8_t gid[32];
    sig_format f;
    int group = br_sigchat_parse_gid(o->a1, gid) == 0, rc;
    const char *to = strcmp(o->a1, "self") ? o->a1 : sig_client_aci(c);

    if (!group && !to)
        return SIG_ERR_NOT_LINKED;
    memset(&f, 0, sizeof(f));
    if (o->a3 && (rc = br_sigfmt_parse(o->a3, &f)) != 0)
        return rc;
    rc = sig_client_send_long_text(c, group ? NULL : to, group ? gid : NULL, o->a2, &f,
                                   (uint64_t)o->rel.ts, (void *)(uintptr_t)o->n, NULL);
    sig_format_clear(&f);
    return rc;
}

static void op_run(void *arg, int cancelled)
{
    op *o = arg;
    br_signal *s = o->s;
    account *a;
    br_net_event *ev;
    int rc;

    if (cancelled || !s->db)
        goto out;
    switch (o->what) {
    case OP_LINK:
        if ((a = find(s, o->owner)) && a->refused) {
            /* Signal refused the old device: "send `link` again" must
             * work, so drop it as logout does and link a new one */
            int64_t id;

            close_account(s, a);
            if (st_account_find(s->db, o->owner, &id) == 0)
                st_account_delete(s->db, id);
        }
        a = open_account(s, o->owner);
        rc = a ? sig_client_link(a->c) : UT_ERR_NOMEM;
        if (rc == 0) {
            a->linking = 1;
        } else if ((ev = br_sig_ev_new(BR_NET_LINK_FAILED, o->owner))) {
            ev->code = br_sig_net_code(rc); /* INTERNAL unless a network error */
            ev->text = br_sig_dup(sig_strerror(rc));
            br_sig_emit(s, ev);
        }
        break;
    case OP_CANCEL:
        if ((a = find(s, o->owner)) && a->linking) {
            sig_client_stop(a->c);
            a->linking = 0;
        }
        break;
    case OP_LOGOUT: {
        int64_t id;
        if ((a = find(s, o->owner)))
            close_account(s, a);
        /* forget keys and sessions: the next link starts clean */
        if (st_account_find(s->db, o->owner, &id) == 0)
            st_account_delete(s->db, id);
        break;
    }
    case OP_SEND: {
        uint8_t gid[32];
        a = find(s, o->owner);
        /* "self": Note to Self, a message to our own ACI; "group:<hex>": a
         * group (fanned out to its members by the client) */
        rc = !a ? SIG_ERR_NOT_LINKED
           : strlen(o->a2) > SIG_LONG_TEXT_BODY ? send_long(a->c, o) /* issue #17 item 4 */
           : o->a3 ? send_fmt(a->c, o) /* formatted (br_sigfmt.c) */
           : br_sigchat_parse_gid(o->a1, gid) == 0
               ? sig_client_send_group_text(a->c, gid, o->a2, o->rel.ts, (void *)(uintptr_t)o->n, NULL)
           : !strcmp(o->a1, "self") && !sig_client_aci(a->c) ? SIG_ERR_NOT_LINKED
           : sig_client_send_text_at(a->c, strcmp(o->a1, "self") ? o->a1 : sig_client_aci(a->c),
                                     o->a2, (uint64_t)o->rel.ts, (void *)(uintptr_t)o->n, NULL);
        if (rc != 0 && (ev = br_sig_ev_new(BR_NET_SEND_RESULT, o->owner))) {
            ev->outbox_id = o->n;
            ev->code = br_sig_net_code(rc);
            ev->text = br_sig_dup(sig_strerror(rc));
            br_sig_emit(s, ev);
        }
        break;
    }
    case OP_GROUP_INFO: {
        uint8_t gid[32];
        sig_group_info *g = NULL;
        if ((a = find(s, o->owner)) && br_sigchat_parse_gid(o->a1, gid) == 0 &&
            sig_group_info_get(a->c, gid, &g) == 0)
            br_sig_emit(s, br_sigchat_group_info(o->owner, g, sig_client_aci(a->c)));
        sig_group_info_free(g);
        break;
    }
    case OP_GROUP_CHANGE: { /* flags: BR_GCHANGE_* (= SIG_GCHANGE_*), n: a timer */
        uint8_t gid[32];
        a = find(s, o->owner);
        rc = !a ? SIG_ERR_NOT_LINKED
           : br_sigchat_parse_gid(o->a1, gid) != 0 ? UT_ERR_INVAL
           : sig_group_modify(a->c, gid, (int)o->flags, o->a2, (uint32_t)o->n,
                                    (void *)(uintptr_t)o->flags);
        if (rc != 0 && (ev = br_sig_ev_new(BR_NET_GROUP_CHANGED, o->owner))) {
            ev->chat_id = br_sig_dup(o->a1);
            ev->rel = (int)o->flags;
            ev->code = br_sig_net_code(rc);
            ev->text = br_sig_dup(sig_strerror(rc));
            br_sig_emit(s, ev);
        }
        break;
    }
    case OP_RESOLVE: {
        contact *k;
        if ((ev = br_sig_ev_new(BR_NET_RESOLVED, o->owner))) {
            ev->outbox_id = o->n;
            ev->phone = br_sig_dup(o->a1);
            for (k = s->contacts; k; k = k->next)
                if (strcmp(k->owner, o->owner) == 0 && strcmp(k->number, o->a1) == 0)
                    ev->id = br_sig_dup(k->aci);
            if (!ev->id)
                ev->code = BR_NET_ERR_UNREGISTERED;
            br_sig_emit(s, ev);
        }
        break;
    }
    case OP_CONFIRM:
        if ((a = find(s, o->owner)) && o->n == BR_SIG_HISTORY_DURABLE)
            sig_client_history_done(a->c); /* the history is stored: forget its key */
        else if (a)
            sig_client_done(a->c, (int64_t)o->n);
        break;
    case OP_RELATE: {
        void *ud = (void *)(uintptr_t)((uintptr_t)o->n | REL_UD);
        uint64_t ts = (uint64_t)o->rel.ts, target = (uint64_t)o->rel.target_ts;
        uint8_t gid[32];
        int group = br_sigchat_parse_gid(o->a1, gid) == 0;
        sig_format f; /* an edit's ranges (br_sigfmt.c) */
        if (o->rel.kind != BR_REL_EDIT || !o->a4 || br_sigfmt_parse(o->a4, &f) != 0)
            memset(&f, 0, sizeof(f));
        a = find(s, o->owner);
        rc = !a ? SIG_ERR_NOT_LINKED
           : group && o->rel.kind == BR_REL_REACTION
               ? sig_client_send_group_reaction(a->c, gid, o->a2, o->rel.remove, o->a3, target, ts, ud)
           : group && o->rel.kind == BR_REL_DELETE ? sig_client_send_group_delete(a->c, gid, target, ts, ud)
           : group ? sig_client_send_group_edit_fmt(a->c, gid, target, o->a2 ? o->a2 : "",
                                                    f.n_ranges ? &f : NULL, ts, ud)
           : o->rel.kind == BR_REL_REACTION
               ? sig_client_send_reaction(a->c, o->a1, o->a2, o->rel.remove, o->a3, target, ts, ud)
           : o->rel.kind == BR_REL_DELETE ? sig_client_send_delete(a->c, o->a1, target, ts, ud)
           : sig_client_send_edit_fmt(a->c, o->a1, target, o->a2 ? o->a2 : "",
                                      f.n_ranges ? &f : NULL, ts, ud);
        sig_format_clear(&f);
        if (rc != 0 && (ev = br_sig_ev_new(BR_NET_RELATE_RESULT, o->owner))) {
            ev->outbox_id = o->n;
            ev->code = br_sig_net_code(rc);
            ev->text = br_sig_dup(sig_strerror(rc));
            br_sig_emit(s, ev);
        }
        break;
    }
    case OP_READ:
    case OP_TYPING: {
        uint8_t gid[32];
        /* ephemeral: when not online it is simply not sent */
        if ((a = find(s, o->owner)))
            rc = o->what == OP_READ
                     ? sig_client_send_receipt(a->c, o->a1, SIG_RECEIPT_READ, o->tss, (size_t)o->n)
                 : br_sigchat_parse_gid(o->a1, gid) == 0
                     ? sig_client_send_group_typing(a->c, gid, o->n != 0) /* to every member */
                     : sig_client_send_typing(a->c, o->a1, o->n != 0);
        if (a && o->what == OP_READ) /* and the phone stops showing them unread */
            rc = sig_client_send_read_sync(a->c, o->a1, o->tss, (size_t)o->n);
        (void)rc;
        break;
    }
    default:
        media_op_run(s, o);
        break;
    }
out:
    op_free(o);
}

static int post_op_ts(br_signal *s, int what, const char *owner, const char *a1,
                      const char *a2, int64_t ts, uint64_t n)
{
    op *o = calloc(1, sizeof(*o));

    if (!o)
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = what;
    o->n = n;
    o->rel.ts = ts; /* OP_SEND: the message's stored Signal timestamp */
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(a1);
    o->a2 = br_sig_dup(a2);
    if ((owner && !o->owner) || (a1 && !o->a1) || (a2 && !o->a2) ||
        br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}

static int post_op(br_signal *s, int what, const char *owner, const char *a1,
                   const char *a2, uint64_t n)
{
    return post_op_ts(s, what, owner, a1, a2, 0, n);
}

static int op_link(void *ctx, const char *owner, long timeout_s)
{
    (void)timeout_s; /* fixed at start from the config */
    return post_op(ctx, OP_LINK, owner, NULL, NULL, 0);
}
static int op_cancel(void *ctx, const char *owner) { return post_op(ctx, OP_CANCEL, owner, NULL, NULL, 0); }
static int op_logout(void *ctx, const char *owner) { return post_op(ctx, OP_LOGOUT, owner, NULL, NULL, 0); }
static int op_send(void *ctx, const char *owner, const char *chat_id, const char *text,
                   int64_t ts, uint64_t outbox_id)
{
    if (strcmp(chat_id, "self") == 0 || strncmp(chat_id, "group:", 6) == 0)
        return post_op_ts(ctx, OP_SEND, owner, chat_id, text, ts, outbox_id);
    if (strncmp(chat_id, "dm:", 3) != 0)
        return UT_ERR_INVAL;
    return post_op_ts(ctx, OP_SEND, owner, chat_id + 3, text, ts, outbox_id);
}
static int op_send_fmt(void *ctx, const char *owner, const char *chat_id, const char *text,
                       const char *fmt, int64_t ts, uint64_t outbox_id)
{
    br_signal *s = ctx;
    const char *to = strncmp(chat_id, "dm:", 3) == 0 ? chat_id + 3 : chat_id;
    op *o;

    if (strncmp(chat_id, "dm:", 3) && strcmp(chat_id, "self") && strncmp(chat_id, "group:", 6))
        return UT_ERR_INVAL;
    if (!fmt)
        return op_send(ctx, owner, chat_id, text, ts, outbox_id);
    if (!(o = calloc(1, sizeof(*o))))
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = OP_SEND;
    o->n = outbox_id;
    o->rel.ts = ts; /* the stored Signal timestamp, as op_send */
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(to);
    o->a2 = br_sig_dup(text);
    o->a3 = br_sig_dup(fmt);
    if (!o->owner || !o->a1 || !o->a2 || !o->a3 || br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}
static int op_group_info(void *ctx, const char *owner, const char *chat_id)
{
    if (strncmp(chat_id, "group:", 6) != 0)
        return UT_ERR_INVAL;
    return post_op(ctx, OP_GROUP_INFO, owner, chat_id, NULL, 0);
}
_Static_assert((int)BR_GCHANGE_TITLE == (int)SIG_GCHANGE_TITLE &&
                   (int)BR_GCHANGE_DESCRIPTION == (int)SIG_GCHANGE_DESCRIPTION &&
                   (int)BR_GCHANGE_TIMER == (int)SIG_GCHANGE_TIMER,
               "BR_GCHANGE_* are passed on as SIG_GCHANGE_*");
static int op_group_change(void *ctx, const char *owner, const char *chat_id, int what,
                           const char *text, uint32_t timer)
{
    br_signal *s = ctx;
    op *o;

    if (strncmp(chat_id, "group:", 6) != 0)
        return UT_ERR_INVAL;
    if (!(o = calloc(1, sizeof(*o))))
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = OP_GROUP_CHANGE;
    o->flags = (uint32_t)what;
    o->n = timer;
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(chat_id);
    o->a2 = text ? br_sig_dup(text) : NULL;
    if (!o->owner || !o->a1 || (text && !o->a2) || br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}
static int op_resolve(void *ctx, const char *owner, const char *e164, uint64_t req)
{
    return post_op(ctx, OP_RESOLVE, owner, e164, NULL, req);
}
static void op_confirm(void *ctx, const char *owner, uint64_t id)
{
    post_op(ctx, OP_CONFIRM, owner, NULL, NULL, id);
}
static int op_relate(void *ctx, const char *owner, const char *chat_id,
                     const br_net_relation *r, uint64_t relout_id)
{
    br_signal *s = ctx;
    op *o;

    int group = strncmp(chat_id, "group:", 6) == 0;

    if ((!group && strncmp(chat_id, "dm:", 3) != 0) ||
        (r->kind == BR_REL_REACTION && !r->target_author))
        return UT_ERR_INVAL;
    if (!(o = calloc(1, sizeof(*o))))
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = OP_RELATE;
    o->n = relout_id;
    o->rel = *r;
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(group ? chat_id : chat_id + 3); /* a group stays "group:<hex>" */
    o->a2 = br_sig_dup(r->text);
    o->a3 = br_sig_dup(r->target_author);
    o->a4 = br_sig_dup(r->fmt); /* an edit's ranges */
    o->rel.text = o->rel.target_author = o->rel.fmt = NULL;
    if (!o->owner || !o->a1 || (r->text && !o->a2) || (r->target_author && !o->a3) ||
        (r->fmt && !o->a4) || br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}

static int op_read(void *ctx, const char *owner, const char *chat_id,
                   const int64_t *ts, size_t n)
{
    br_signal *s = ctx;
    op *o;
    size_t i;

    if (strncmp(chat_id, "dm:", 3) != 0 || n == 0)
        return UT_ERR_INVAL;
    if (!(o = calloc(1, sizeof(*o))))
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = OP_READ;
    o->n = n;
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(chat_id + 3);
    o->tss = calloc(n, sizeof(*o->tss));
    if (!o->owner || !o->a1 || !o->tss) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    for (i = 0; i < n; i++)
        o->tss[i] = (uint64_t)ts[i];
    if (br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}
static int op_typing(void *ctx, const char *owner, const char *chat_id, int started)
{
    if (strncmp(chat_id, "group:", 6) == 0)
        return post_op(ctx, OP_TYPING, owner, chat_id, NULL, started != 0);
    if (strncmp(chat_id, "dm:", 3) != 0)
        return UT_ERR_INVAL;
    return post_op(ctx, OP_TYPING, owner, chat_id + 3, NULL, started != 0);
}

/* ---- attachments (br_media.c drives them) ------------------------------- */

static void media_op_run(br_signal *s, op *o)
{
    account *a = find(s, o->owner);
    br_net_event *ev;
    int rc;

    if (o->what == OP_DOWNLOAD) {
        /* a contact card: its vCard is written here (br_sigcontact.h) */
        if (br_sigcontact_download(s, a, o->owner, o->blob, o->blob_len, o->a1, o->n))
            return;
        rc = a ? sig_client_download(a->c, o->blob, o->blob_len, o->a1,
                                     (void *)(uintptr_t)o->n)
               : SIG_ERR_NOT_LINKED;
        if (rc != 0 && (ev = br_sig_ev_new(BR_NET_DOWNLOADED, o->owner))) {
            ev->outbox_id = o->n;
            ev->code = br_sig_media_code(rc) ? br_sig_media_code(rc) : br_sig_net_code(rc);
            ev->text = br_sig_dup(sig_strerror(rc));
            br_sig_emit(s, ev);
        }
    } else if (o->what == OP_SEND_FILE) {
        uint8_t gid[32], *card = NULL;
        size_t card_len = 0;
        int is_group = br_sigchat_parse_gid(o->a1, gid) == 0;
        /* a vCard of one card goes as a contact card (br_sigcontact.h) */
        if (a && !(o->flags & SIG_SEND_STICKER) &&
            br_sigcontact_from_file(o->a2, o->a3, &card, &card_len)) {
            rc = sig_client_send_contact(a->c, is_group ? NULL : o->a1, is_group ? gid : NULL,
                                         card, card_len, o->a4, (uint64_t)o->rel.ts,
                                         (void *)(uintptr_t)o->n, NULL);
            free(card);
        } else {
            sig_format f;
            int have_f = o->a5 && br_sigfmt_parse(o->a5, &f) == 0;
            rc = !a ? SIG_ERR_NOT_LINKED
               : is_group
                   ? sig_client_send_file_fmt(a->c, NULL, gid, o->a2, o->a3, o->a4, o->flags,
                                              have_f ? &f : NULL, (uint64_t)o->rel.ts,
                                              (void *)(uintptr_t)o->n, NULL)
                   : sig_client_send_file_fmt(a->c, o->a1, NULL, o->a2, o->a3, o->a4, o->flags,
                                              have_f ? &f : NULL, (uint64_t)o->rel.ts,
                                              (void *)(uintptr_t)o->n, NULL);
            if (have_f)
                sig_format_clear(&f);
        }
        if (rc != 0 && (ev = br_sig_ev_new(BR_NET_SEND_RESULT, o->owner))) {
            ev->outbox_id = o->n;
            ev->code = rc == SIG_ERR_STATE && a && sig_client_is_linked(a->c)
                     ? BR_NET_ERR_OFFLINE : br_sig_net_code(rc);
            ev->text = br_sig_dup(sig_strerror(rc));
            br_sig_emit(s, ev);
        }
    }
}

static int op_download(void *ctx, const char *owner, const uint8_t *pointer,
                       size_t len, const char *path, uint64_t request_id)
{
    br_signal *s = ctx;
    op *o = calloc(1, sizeof(*o));

    if (!o)
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = OP_DOWNLOAD;
    o->n = request_id;
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(path);
    if (len && (o->blob = malloc(len))) {
        memcpy(o->blob, pointer, len);
        o->blob_len = len;
    }
    if (!o->owner || !o->a1 || !o->blob || br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}

static int op_send_file(void *ctx, const char *owner, const char *chat_id,
                        const char *path, const char *content_type,
                        const char *caption, uint32_t flags, const char *fmt, int64_t ts,
                        uint64_t outbox_id)
{
    br_signal *s = ctx;
    op *o;

    int group = strncmp(chat_id, "group:", 6) == 0;

    if (!group && strncmp(chat_id, "dm:", 3) != 0)
        return UT_ERR_INVAL;
    if (!(o = calloc(1, sizeof(*o))))
        return UT_ERR_NOMEM;
    o->s = s;
    o->what = OP_SEND_FILE;
    o->n = outbox_id;
    o->rel.ts = ts; /* the stored timestamp (0: now) */
    o->owner = br_sig_dup(owner);
    o->a1 = br_sig_dup(group ? chat_id : chat_id + 3);
    o->a2 = br_sig_dup(path);
    o->a3 = br_sig_dup(content_type);
    o->a4 = br_sig_dup(caption);
    o->a5 = br_sig_dup(fmt);
    /* br_net.h BR_NET_ATT_* -> sig_client.h SIG_SEND_* */
    o->flags = ((flags & BR_NET_ATT_VOICE) ? SIG_SEND_VOICE : 0) |
               ((flags & BR_NET_ATT_GIF) ? SIG_SEND_GIF : 0) |
               ((flags & BR_NET_ATT_STICKER) ? SIG_SEND_STICKER : 0);
    if (!o->owner || !o->a1 || !o->a2 || (content_type && !o->a3) ||
        (caption && !o->a4) || (fmt && !o->a5) || br_loop_post(s->loop, op_run, o) != 0) {
        op_free(o);
        return UT_ERR_NOMEM;
    }
    return 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

typedef struct logline {
    br_signal *s;
    int level;
    char msg[];
} logline;

static void log_run(void *arg, int cancelled)
{
    logline *l = arg;

    if (!cancelled)
        l->s->host->log(l->s->host->host, l->level, l->msg);
    free(l);
}

/* Called on the Signal thread: host->log is not thread-safe, so the line
 * hops to the host loop like every other result. */
static void log_to_host(void *ctx, int level, const char *msg)
{
    br_signal *s = ctx;
    size_t n = strlen(msg) + 1;
    logline *l = malloc(sizeof(*l) + n);

    if (!l)
        return;
    l->s = s;
    l->level = level;
    memcpy(l->msg, msg, n);
    if (s->host->post(s->host->host, log_run, l) != MXM_OK)
        free(l);
}

/* On the Signal thread: open the database, start every linked account. */
static void thread_init(void *arg, struct event_base *base)
{
    br_signal *s = arg;
    char **owners = NULL;
    size_t n = 0, i;
    char err[256];
    int rc;

    s->base = base;
    /* Said in the log: without it no login connects, and nothing else
     * would tell why. */
    if (st_db_open(&s->db, s->db_path, &s->log, err, sizeof(err)) != 0) {
        ut_logf(&s->log, UT_LOG_ERROR, "signal: no login started: cannot open the database: %s", err);
        return;
    }
    if ((rc = st_account_owners(s->db, &owners, &n)) != 0) {
        ut_logf(&s->log, UT_LOG_ERROR, "signal: no login started: cannot read the accounts: %s",
                rc == ST_ERR_SQL ? st_errmsg(s->db) : ut_strerror(rc));
        return;
    }
    for (i = 0; i < n; i++) {
        account *a = open_account(s, owners[i]);
        /* a login whose owner has no access stays disconnected, its keys
         * and sessions kept (br_access.c) */
        if (!a)
            ut_logf(&s->log, UT_LOG_ERROR, "signal: the login of %s could not be started: "
                    "its account could not be opened (see above); it starts at the next restart",
                    owners[i]);
        else if (sig_client_is_linked(a->c) && s->sink.may_bridge(s->sink.ctx, a->owner))
            sig_client_start(a->c);
        else if (sig_client_is_linked(a->c))
            ut_logf(&s->log, UT_LOG_INFO, "signal: the login of %s stays disconnected: no access", a->owner);
    }
    st_account_owners_free(owners, n);
}

static void thread_fini(void *arg)
{
    br_signal *s = arg;
    contact *k;

    while (s->accounts)
        close_account(s, s->accounts);
    while ((k = s->contacts)) {
        s->contacts = k->next;
        free(k->owner);
        free(k->number);
        free(k->aci);
        free(k);
    }
    st_db_close(s->db);
    s->db = NULL;
}

static void op_shutdown(void *ctx)
{
    br_signal *s = ctx;

    br_loop_free(s->loop, thread_fini, s);
    s->loop = NULL;
}

int br_signal_new(br_signal **out, const mxm_host_api *host,
                  const br_config *cfg, char *err, size_t errlen)
{
    br_signal *s = calloc(1, sizeof(*s));
    const char *url = cfg->signal_server + strlen("https://"), *colon;
    char path[4096];

    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return UT_ERR_NOMEM;
    }
    s->host = host;
    s->log.fn = log_to_host;
    s->log.ctx = s;
    s->log.level = UT_LOG_INFO;
    colon = strchr(url, ':');
    s->host_name = colon ? strndup(url, (size_t)(colon - url)) : strdup(url);
    s->port = colon ? (uint16_t)atoi(colon + 1) : 443;
    s->ca_file = br_sig_dup(cfg->signal_ca_file);
    s->device_name = br_sig_dup(cfg->device_name);
    s->trust_root = br_sig_dup(cfg->signal_trust_root);
    s->zk_params = br_sig_dup(cfg->signal_zk_params);
    s->profile_refresh_s = (uint32_t)cfg->signal_profile_refresh_s;
    s->link_timeout_ms = (uint32_t)cfg->link_timeout_s * 1000u;
    s->history = cfg->history_enabled;
    s->no_sender_keys = cfg->signal_no_sender_keys;
    s->history_max_messages = (uint32_t)cfg->history_max_messages;
    s->history_max_age_s = (uint32_t)cfg->history_max_age_days * 24u * 3600u;
    {
        /* The defaults are Signal's own CDN/storage; a private server (the
         * sandbox) cannot use those, so there they follow the server. */
        const char *ep[4] = {cfg->signal_cdn0, cfg->signal_cdn2, cfg->signal_cdn3,
                             cfg->signal_storage};
        int prod = !strcmp(cfg->signal_server, "https://chat.signal.org");
        for (int i = 0; i < 4; i++) {
            size_t n = ep[i] ? strcspn(ep[i] + 8, ":/") : 0;
            if (ep[i] && (prod || n < 11 || strncmp(ep[i] + 8 + n - 11, ".signal.org", 11)))
                s->ep[i] = br_sig_dup(ep[i]);
        }
    }
    if (cfg->database[0] == '/')
        snprintf(path, sizeof(path), "%s", cfg->database);
    else
        snprintf(path, sizeof(path), "%s/%s", host->data_dir(host->host), cfg->database);
    s->db_path = strdup(path);
    if (!s->host_name || !s->db_path || !s->port) {
        snprintf(err, errlen, "config.signal.server: cannot use '%s'", cfg->signal_server);
        br_signal_free(s);
        return UT_ERR_INVAL;
    }
    /* One trust for all accounts, loaded now so that a ca_file that cannot
     * be used stops the start with its name, not a later `link`. */
    if (sn_tls_new(&s->tls, s->ca_file) != 0) {
        if (s->ca_file)
            snprintf(err, errlen, "config.signal.ca_file: cannot load '%s' (it must be a readable PEM "
                                  "file of CA certificates)", s->ca_file);
        else
            snprintf(err, errlen, "cannot set up TLS with Signal's built-in root certificates");
        br_signal_free(s);
        return UT_ERR_INVAL;
    }
    /* One gate for every account on the Signal thread: when all their
     * sockets drop at once, they queue for it instead of all shaking hands
     * at once (sn_gate.h). */
    if (cfg->signal_connect_concurrency > 0 &&
        sn_gate_new(&s->gate, (unsigned)cfg->signal_connect_concurrency) != 0) {
        snprintf(err, errlen, "out of memory");
        br_signal_free(s);
        return UT_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

int br_signal_ops(br_signal *s, const br_net_sink *sink, br_net_ops *ops)
{
    s->sink = *sink; /* before the thread: thread_init asks it */
    if (!s->loop && br_loop_new(&s->loop, thread_init, s) != 0)
        return UT_ERR_IO;
    memset(ops, 0, sizeof(*ops));
    ops->ctx = s;
    ops->link = op_link;
    ops->cancel_link = op_cancel;
    ops->logout = op_logout;
    ops->send_text = op_send;
    ops->send_fmt = op_send_fmt;
    ops->resolve = op_resolve;
    ops->confirm = op_confirm;
    ops->relate = op_relate;
    ops->read = op_read;
    ops->typing = op_typing;
    ops->group_info = op_group_info;
    ops->group_change = op_group_change;
    ops->shutdown = op_shutdown;
    ops->download = op_download;
    ops->send_file = op_send_file;
    return 0;
}

void br_signal_free(br_signal *s)
{
    if (!s)
        return;
    if (s->loop)
        br_loop_free(s->loop, thread_fini, s);
    sn_tls_free(s->tls); /* connections still closing hold their own ref */
    sn_gate_free(s->gate); /* after the loop: its sockets are gone */
    free(s->host_name);
    free(s->ca_file);
    free(s->device_name);
    free(s->trust_root);
    free(s->zk_params);
    for (int i = 0; i < 4; i++)
        free(s->ep[i]);
    free(s->db_path);
    free(s);
}
