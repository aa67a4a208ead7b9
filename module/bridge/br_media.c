/*
 * br_media.c - attachments: the shared helpers, Signal -> Matrix, and the
 * lifecycle (contract in br_media.h; Matrix -> Signal is br_media_out.c).
 *
 * Each file moves through states stored in its row, so a restart resumes
 * where it stopped: a temp file is only trusted once its row says it was
 * written completely. Rows in flight are remembered in memory (busy list)
 * so that a second flush of the same chat does not start a second
 * download of the same file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "br_conv.h"
#include "br_expire.h"
#include "br_media_int.h"
#include "br_retry.h"
#include "br_store.h"
#include "br_txn.h"

/* ---- small helpers ------------------------------------------------------ */

int br_media_busy_test(br_bridge *b, int dir, int64_t id)
{
    busy *x;

    for (x = b->media ? b->media->busy : NULL; x; x = x->next)
        if (x->dir == dir && x->id == id)
            return 1;
    return 0;
}

int br_media_busy_set(br_bridge *b, int dir, int64_t id)
{
    busy *x;

    if (!b->media || br_media_busy_test(b, dir, id) || !(x = calloc(1, sizeof(*x))))
        return 0;
    x->dir = dir;
    x->id = id;
    x->next = b->media->busy;
    b->media->busy = x;
    return 1;
}

void br_media_busy_clear(br_bridge *b, int dir, int64_t id)
{
    busy **pp, *x;

    for (pp = b->media ? &b->media->busy : NULL; pp && *pp; pp = &(*pp)->next)
        if ((*pp)->dir == dir && (*pp)->id == id) {
            x = *pp;
            *pp = x->next;
            free(x);
            return;
        }
}

job *br_media_job(br_bridge *b, int64_t id)
{
    job *j = calloc(1, sizeof(*j));

    if (j) {
        j->b = b;
        j->id = id;
    }
    return j;
}

void br_media_in_path(br_bridge *b, int64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/in-%" PRId64, b->media->dir, id);
}

void br_media_out_dir(br_bridge *b, int64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/out-%" PRId64, b->media->dir, id);
}

/* Whole file into memory, at most max bytes. */
int br_media_read_all(const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d = NULL;
    long sz;
    int rc = UT_ERR_IO;

    *out = NULL;
    *len = 0;
    if (!f)
        return UT_ERR_IO;
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    if ((size_t)sz > max) {
        rc = UT_ERR_RANGE;
        goto out;
    }
    if (!(d = malloc((size_t)sz + 1))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (sz && fread(d, 1, (size_t)sz, f) != (size_t)sz)
        goto out;
    *out = d;
    *len = (size_t)sz;
    d = NULL;
    rc = 0;
out:
    free(d);
    fclose(f);
    return rc;
}

int br_media_write_all(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const uint8_t *p = data;
    size_t off = 0;

    if (fd < 0)
        return UT_ERR_IO;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(path);
            return UT_ERR_IO;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return UT_ERR_IO;
    }
    return 0;
}

/* ---- Signal -> Matrix --------------------------------------------------- */

typedef br_store_media_in in_row;

static int in_load(br_bridge *b, int64_t id, in_row *r)
{
    return br_store_media_in_get(b->db, id, r) == 1;
}

static void in_row_clean(in_row *r)
{
    if (r->pointer)
        ut_free_secret(r->pointer, r->pointer_len);
    r->pointer = NULL;
}

/* A row's final state, written now or retried (br_retry.h). */
typedef struct settle_ctx {
    int64_t id, ts;
    int state, queued;
    char *event_id, *error, *owner, *chat_id;
} settle_ctx;

static void settle_free(void *arg)
{
    settle_ctx *x = arg;

    free(x->event_id);
    free(x->error);
    free(x->owner);
    free(x->chat_id);
    free(x);
}

static int settle_run(br_bridge *b, void *arg)
{
    settle_ctx *x = arg;

    return br_store_media_in_settle(b->db, x->id, x->state, x->event_id, x->error);
}

/* Stored late: what waited behind the row (its caption, the chat's later
 * messages) found it unfinished, and goes now. */
static void settle_then(br_bridge *b, void *arg)
{
    settle_ctx *x = arg;

    if (x->queued) {
        br_media_busy_clear(b, DIR_IN, x->id);
        br_portal_flush_from(b, x->owner, x->chat_id, x->ts);
    }
}

/* Settle one row: 3 bridged (with its event) or 4 failed (with a reason).
 * The pointer holds the file's key: it is not needed any more. The write
 * is made where nobody would make it again (the host's answer to the
 * send): left unwritten, the chat's later messages would wait behind the
 * row until the next start, so a failure that can pass is retried. */
static void in_settle(br_bridge *b, const in_row *r, int state, const char *event_id,
                      const char *error)
{
    char path[4200];
    settle_ctx *x = calloc(1, sizeof(*x));

    if (x && (x->owner = strdup(r->owner)) && (x->chat_id = strdup(r->chat_id)) &&
        (!event_id || (x->event_id = strdup(event_id))) && (!error || (x->error = strdup(error)))) {
        x->id = r->id;
        x->ts = r->ts;
        x->state = state;
        /* queued: the row stays busy, so that nothing sends it again
         * meanwhile (settle_then frees it) */
        if (br_retry_write(b, "an attachment's final state", settle_run, settle_then, x,
                           settle_free) == 1) {
            x->queued = 1;
            (void)br_media_busy_set(b, DIR_IN, r->id);
        }
    } else {
        if (x)
            settle_free(x);
        (void)br_store_media_in_settle(b->db, r->id, state, event_id, error);
    }
    br_media_in_path(b, r->id, path, sizeof(path));
    unlink(path);
}

static void in_set_state(br_bridge *b, int64_t id, int state, const char *mxc)
{
    br_store_media_in_set_state(b->db, id, state, mxc);
}

/* A row finished (either way): bridge what waits behind it. */
static void in_next(br_bridge *b, const in_row *r)
{
    br_portal_flush_from(b, r->owner, r->chat_id, r->ts);
}

static void in_fail(br_bridge *b, in_row *r, const char *reason)
{
    char room[256], name[256];

    br_media_safe_name(r->has_name ? r->file_name : NULL,
                       r->has_type ? r->content_type : NULL, name, sizeof(name));
    ut_logf(&b->log, UT_LOG_WARN, "bridge: attachment %" PRId64 " not bridged: %s", r->id, reason);
    br_media_busy_clear(b, DIR_IN, r->id);
    in_settle(b, r, IN_FAILED, NULL, reason);
    /* a preview's image: its preview shows without it (as mautrix-signal
     * pkg/msgconv/urlpreview.go, which only logs the failure) */
    if (!(r->flags & (BR_NET_ATT_PREVIEW | BR_NET_ATT_QUOTE_THUMB)) &&
        (br_portal_room(b, r->owner, r->chat_id, room, sizeof(room)) == 1 ||
         br_mgmt_room(b, r->owner, room, sizeof(room))))
        br_notice(b, room, "An attachment sent from Signal (%s) could not be bridged: %s.", name,
                  reason);
    in_next(b, r);
}

static void in_step(br_bridge *b, int64_t id);
static void in_send_event(br_bridge *b, in_row *r, int as_bot);
static int in_poster(br_bridge *b, const in_row *r, int as_bot, char *room, size_t rn,
                     char *as, size_t an);
static int is_long_text(const in_row *r);

/* A long text too large for one Matrix event goes as a text file (see
 * in_long_text): shown as text/plain with a name, not as Signal's type. */
static void long_text_as_file(in_row *r)
{
    if (!is_long_text(r))
        return;
    snprintf(r->content_type, sizeof(r->content_type), "text/plain; charset=utf-8");
    snprintf(r->file_name, sizeof(r->file_name), "long-message.txt");
    r->has_type = r->has_name = 1;
}

static void on_in_uploaded(void *arg, int status, json_t *body)
{
    job *j = arg;
    br_bridge *b = j->b;
    const char *mxc = json_string_value(json_object_get(body, "content_uri"));
    in_row r;

    if (in_load(b, j->id, &r)) {
        if (status == 200 && mxc) {
            in_set_state(b, j->id, IN_UPLOADED, mxc);
            br_media_busy_clear(b, DIR_IN, j->id);
            in_step(b, j->id);
        } else {
            char why[128];
            snprintf(why, sizeof(why), "the homeserver did not accept the file (HTTP %d)", status);
            in_fail(b, &r, why);
        }
        in_row_clean(&r);
    }
    free(j);
}

static void on_in_sent(void *arg, int status, json_t *body)
{
    job *j = arg;
    br_bridge *b = j->b;
    const char *eid = json_string_value(json_object_get(body, "event_id"));
    in_row r;

    if (in_load(b, j->id, &r)) {
        if (status == 200 && eid) {
            char room[256], as[320];
            br_media_busy_clear(b, DIR_IN, j->id);
            in_settle(b, &r, IN_BRIDGED, eid, NULL);
            /* a message with a timer (or view-once) disappears in Matrix:
             * the file's event is the one to redact (br_expire.h) */
            if (in_poster(b, &r, j->as_bot, room, sizeof(room), as, sizeof(as)) == 0 &&
                br_expire_bridged(b, r.owner, r.sender, r.ts, room, eid, as) != 0)
                ut_logf(&b->log, UT_LOG_WARN, "bridge: the expiry of an attachment's event could "
                        "not be stored: %s; it will not disappear in Matrix", st_errmsg(b->db));
            in_next(b, &r);
        } else if (status == 403 && r.from_me && !j->as_bot && b->cfg.double_puppet) {
            /* the host does not let us act as the user: the bot posts it */
            in_send_event(b, &r, 1);
        } else {
            /* Settle it: later messages of the chat wait behind it. */
            char why[128];
            snprintf(why, sizeof(why), "the homeserver refused to post it (HTTP %d)", status);
            in_fail(b, &r, why);
        }
        in_row_clean(&r);
    }
    free(j);
}

/* The room of r's chat and who posts r there; 0, or -1 when not known
 * yet (no portal room, no ghost). */
static int in_poster(br_bridge *b, const in_row *r, int as_bot, char *room, size_t rn,
                     char *as, size_t an)
{
    if (br_portal_room(b, r->owner, r->chat_id, room, rn) != 1)
        return -1;
    if (r->from_me)
        snprintf(as, an, "%s", b->cfg.double_puppet && !as_bot ? r->owner : b->bot);
    else if (br_puppet_mxid(b, r->sender, as, an) != 0)
        return -1;
    return 0;
}

static void in_send_event(br_bridge *b, in_row *r, int as_bot)
{
    char room[256], as[320], base[200], txn[220];
    br_media_desc d;
    json_t *c;
    job *j;

    if (r->flags & (BR_NET_ATT_PREVIEW | BR_NET_ATT_QUOTE_THUMB)) {
        /* uploaded: its mxc goes into the message's com.beeper.linkpreviews
         * or its quote (br_fmt.c), not into an event of its own */
        br_media_busy_clear(b, DIR_IN, r->id);
        in_settle(b, r, IN_BRIDGED, NULL, NULL);
        in_next(b, r);
        return;
    }

    if (in_poster(b, r, as_bot, room, sizeof(room), as, sizeof(as)) != 0)
        goto later; /* flushed again when the portal is ready */
    long_text_as_file(r);
    memset(&d, 0, sizeof(d));
    d.content_type = r->has_type ? r->content_type : NULL;
    d.file_name = r->has_name ? r->file_name : NULL;
    d.size = r->size;
    d.width = r->width;
    d.height = r->height;
    d.voice = (r->flags & BR_NET_ATT_VOICE) != 0;
    d.gif = (r->flags & BR_NET_ATT_GIF) != 0;
    d.sticker = (r->flags & BR_NET_ATT_STICKER) != 0;
    d.view_once = (r->flags & BR_NET_ATT_VIEW_ONCE) != 0;
    c = br_media_event_content(&d, r->mxc);
    /* Deterministic: a replay after a restart cannot duplicate it. */
    if (br_txn(base, sizeof(base), as_bot ? "sigme" : "sig", r->owner, r->chat_id, r->sender,
               r->ts) != 0) {
        json_decref(c);
        goto later;
    }
    snprintf(txn, sizeof(txn), "%s-a%d", base, r->idx);
    if (c && (j = br_media_job(b, r->id))) {
        j->as_bot = as_bot;
        if (mx_send(b->mx, as, room, d.sticker ? "m.sticker" : "m.room.message", txn, c, r->ts,
                    on_in_sent, j) == 0) {
            json_decref(c);
            return;
        }
        free(j);
    }
    json_decref(c);
later:
    br_media_busy_clear(b, DIR_IN, r->id);
}

static void in_upload(br_bridge *b, in_row *r)
{
    char path[4200], name[256];
    const char *ct;
    uint8_t *data = NULL;
    size_t len = 0;
    job *j;
    int rc;

    long_text_as_file(r);
    ct = r->has_type && *r->content_type ? r->content_type : "application/octet-stream";
    br_media_in_path(b, r->id, path, sizeof(path));
    rc = br_media_read_all(path, BR_MEDIA_MAX, &data, &len);
    if (rc == UT_ERR_IO) {
        /* the temp file is gone (cleaned by hand?): fetch it again */
        in_set_state(b, r->id, IN_STORED, NULL);
        br_media_busy_clear(b, DIR_IN, r->id);
        in_step(b, r->id);
        return;
    }
    if (rc != 0) {
        in_fail(b, r, rc == UT_ERR_RANGE ? "it is larger than this bridge's limit"
                                         : "the bridge ran out of memory");
        return;
    }
    /* the event says what was uploaded (a contact card's photo is added
     * on download, br_sigcontact.h); a failed write keeps the announced */
    if (len != r->size)
        (void)br_store_media_in_set_size(b->db, r->id, len);
    br_media_safe_name(r->has_name ? r->file_name : NULL, ct, name, sizeof(name));
    if (!(j = br_media_job(b, r->id)) ||
        mx_upload(b->mx, b->bot, ct, name, data, len, on_in_uploaded, j) != 0) {
        free(j);
        in_fail(b, r, "the homeserver's media repository is not available");
    }
    free(data);
}

/* Signal's long-text attachment (Signal-Desktop ts/types/MIME.ts
 * LONG_MESSAGE): the whole text of a message whose body was cut to 2 KiB.
 * As mautrix-signal pkg/msgconv/from-signal.go (downloadSignalLongText)
 * it replaces the body and is not shown as a file; the message's text
 * (next in br_media_hold) then carries all of it. */
#define LONG_TEXT_TYPE "text/x-signal-plain"
#define LONG_TEXT_MAX (256u << 10) /* Desktop sends at most 64 KiB */
/* A longer text stays a file: as text and HTML it would not fit in one
 * Matrix event (65,536 bytes, Matrix spec "Size limits"). mautrix-signal's
 * bound, pkg/msgconv/from-signal.go matrixTextMaxLength = 30000 ("to
 * avoid hitting 64 KiB PDU size limit with HTML duplication"). */
#define LONG_TEXT_INLINE_MAX 30000u

static int is_long_text(const in_row *r)
{
    return r->has_type && strcmp(r->content_type, LONG_TEXT_TYPE) == 0;
}

static void in_long_text(br_bridge *b, in_row *r)
{
    char path[4200];
    uint8_t *data = NULL;
    size_t len = 0, i = 0, o = 0;
    char *text;
    int rc;

    br_media_in_path(b, r->id, path, sizeof(path));
    rc = br_media_read_all(path, LONG_TEXT_MAX, &data, &len);
    if (rc == UT_ERR_RANGE || (rc == 0 && len > LONG_TEXT_INLINE_MAX)) {
        free(data);
        in_upload(b, r); /* the cut body follows as its caption */
        return;
    }
    if (rc != 0) {
        in_fail(b, r, "its long text could not be read");
        return;
    }
    /* valid UTF-8 for the event: a bad byte becomes U+FFFD, NUL is dropped */
    if (!(text = malloc(len * 3 + 1))) {
        free(data);
        in_fail(b, r, "the bridge ran out of memory");
        return;
    }
    while (i < len) {
        size_t used = 1;
        uint32_t cp = br_conv_utf8_next(data + i, len - i, &used);
        if (cp == 0xFFFD && used == 1 && data[i] >= 0x80) {
            memcpy(text + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else if (cp != 0) {
            memcpy(text + o, data + i, used);
            o += used;
        }
        i += used;
    }
    text[o] = '\0';
    free(data);
    if (br_store_inbox_set_body(b->db, r->owner, r->sender, r->ts, text) != 0) {
        free(text);
        br_media_busy_clear(b, DIR_IN, r->id); /* stays downloaded: tried again */
        return;
    }
    free(text);
    br_media_busy_clear(b, DIR_IN, r->id);
    in_settle(b, r, IN_BRIDGED, NULL, NULL);
    in_next(b, r);
}

static void in_step(br_bridge *b, int64_t id)
{
    char path[4200];
    in_row r;
    int rc;

    if (!b->media || br_media_busy_test(b, DIR_IN, id) || !in_load(b, id, &r))
        return;
    if (r.state >= IN_BRIDGED || !br_media_busy_set(b, DIR_IN, id))
        goto out;
    switch (r.state) {
    case IN_STORED:
        if (!b->have_net || !b->net.download) {
            br_media_busy_clear(b, DIR_IN, id); /* stays stored for a later start */
            break;
        }
        br_media_in_path(b, id, path, sizeof(path));
        rc = b->net.download(b->net.ctx, r.owner, r.pointer, r.pointer_len, path, (uint64_t)id);
        if (rc != 0)
            in_fail(b, &r, "the Signal side could not start the download");
        break;
    case IN_DOWNLOADED:
        if (is_long_text(&r))
            in_long_text(b, &r);
        else
            in_upload(b, &r);
        break;
    default:
        in_send_event(b, &r, 0);
        break;
    }
out:
    in_row_clean(&r);
}

int br_media_store(br_bridge *b, const br_net_event *ev)
{
    size_t i;
    int rc = 0;

    if (!ev->n_atts)
        return 0;
    if ((rc = st_db_begin(b->db)) != 0)
        return rc;
    for (i = 0; i < ev->n_atts && rc == 0; i++) {
        const br_net_attachment *a = &ev->atts[i];

        rc = br_store_media_in_put(b->db, ev->owner, ev->chat_id, ev->sender, ev->ts, (int)i,
                                   ev->from_me, a->pointer, a->pointer_len, a->content_type,
                                   a->file_name, a->size, a->width, a->height, a->flags);
    }
    if (rc == 0)
        rc = st_db_commit(b->db);
    else
        st_db_rollback(b->db);
    return rc;
}

int br_media_hold(br_bridge *b, const char *owner, const char *chat_id,
                  const char *sender, int64_t ts, const char *body)
{
    int64_t id = 0;

    if (br_store_media_in_next(b->db, owner, sender, ts, &id) == 1 && id) {
        in_step(b, id);
        return 1;
    }
    /* Keep the chat in order: an earlier message's attachments are still
     * on their way; bridging them flushes this row after them. */
    if (br_store_media_in_earlier(b->db, owner, chat_id, ts) == 1)
        return 1;
    if (body && *body)
        return 0; /* the caption, after its attachments */
    /* Nothing to say in text: the message is its attachments. Its row
     * maps to the first bridged one (for replies and reactions). */
    br_store_inbox_map_to_media(b->db, owner, sender, ts);
    return 1;
}

static const char *net_reason(const br_net_event *ev)
{
    switch (ev->code) {
    case BR_NET_ERR_DIGEST: return "it failed Signal's integrity check (digest or MAC mismatch)";
    case BR_NET_ERR_TOO_BIG: return "it is larger than this bridge's limit";
    case BR_NET_ERR_HTTP: return "Signal's attachment server answered with an error";
    case BR_NET_ERR_NETWORK: return "Signal's attachment server could not be reached";
    default: return ev->text ? ev->text : "an internal error";
    }
}

void br_media_downloaded(br_bridge *b, const br_net_event *ev)
{
    int64_t id = (int64_t)ev->outbox_id;
    in_row r;

    if (!b->media || !in_load(b, id, &r))
        return;
    if (r.state == IN_STORED) {
        if (ev->code == 0) {
            in_set_state(b, id, IN_DOWNLOADED, NULL);
            br_media_busy_clear(b, DIR_IN, id);
            in_step(b, id);
        } else {
            in_fail(b, &r, net_reason(ev));
        }
    }
    in_row_clean(&r);
}

/* ---- lifecycle ---------------------------------------------------------- */

void br_media_start(br_bridge *b)
{
    if (!b->media && !(b->media = calloc(1, sizeof(*b->media))))
        return;
    snprintf(b->media->dir, sizeof(b->media->dir), "%s/media",
             b->host->data_dir(b->host->host));
    if (mkdir(b->media->dir, 0700) != 0 && errno != EEXIST)
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot create the media folder: %s", strerror(errno));
    br_media_out_resume(b);
}

void br_media_free(br_bridge *b)
{
    busy *x;

    if (!b->media)
        return;
    while ((x = b->media->busy)) {
        b->media->busy = x->next;
        free(x);
    }
    free(b->media);
    b->media = NULL;
}
