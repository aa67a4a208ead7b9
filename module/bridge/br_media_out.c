/*
 * br_media_out.c - Matrix -> Signal files (contract in br_media.h): the
 * event is queued (br_outbox state 3 + br_media_out), the mxc fetched
 * through the host into <data_dir>/media/out-<id>/<file name>, handed to
 * the Signal side, and the temp copy removed once Signal answered.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "br_conv.h"
#include "br_expire.h"
#include "br_media_int.h"
#include "br_store.h"

/* ---- Matrix -> Signal --------------------------------------------------- */

typedef br_store_media_out out_row;

static int out_load(br_bridge *b, int64_t id, out_row *r)
{
    return br_store_media_out_get(b->db, id, r) == 1;
}

static void out_set(br_bridge *b, int64_t id, int state, const char *content_type)
{
    br_store_media_out_set(b->db, id, state, content_type);
}

static void out_cleanup(br_bridge *b, int64_t id, const char *name)
{
    char dir[4200], path[4500];

    br_media_out_dir(b, id, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    rmdir(dir);
}

/* Report a failure before Signal got the file through the portal's usual
 * send-failure path (which names the reason in the room). */
static void out_fail(br_bridge *b, int64_t id, const char *owner, const char *reason)
{
    br_net_event *ev = calloc(1, sizeof(*ev));

    ut_logf(&b->log, UT_LOG_WARN, "bridge: file %" PRId64 " not sent to Signal: %s", id, reason);
    if (!ev || !(ev->owner = strdup(owner)) || !(ev->text = strdup(reason))) {
        br_net_event_free(ev);
        br_media_busy_clear(b, DIR_OUT, id);
        return;
    }
    ev->kind = BR_NET_SEND_RESULT;
    ev->outbox_id = (uint64_t)id;
    ev->code = BR_NET_ERR_INTERNAL;
    br_media_sent(b, ev);
    br_portal_net_event(b, ev); /* borrows ev */
    br_net_event_free(ev);
}

static void out_step(br_bridge *b, int64_t id);

static void on_out_fetched(void *arg, int status, const char *content_type,
                           const void *data, size_t len)
{
    job *j = arg;
    br_bridge *b = j->b;
    char dir[4200], path[4500], why[160];
    out_row r;

    if (!b->media || !out_load(b, j->id, &r)) {
        free(j);
        return;
    }
    if (status != 200) {
        snprintf(why, sizeof(why), "the file could not be fetched from the homeserver (HTTP %d)", status);
        out_fail(b, j->id, r.owner, why);
    } else if (len > BR_MEDIA_MAX) {
        out_fail(b, j->id, r.owner, "the file is larger than this bridge's limit");
    } else {
        br_media_out_dir(b, j->id, dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, r.name);
        if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || br_media_write_all(path, data, len) != 0) {
            out_fail(b, j->id, r.owner, "the bridge could not store the file");
        } else {
            out_set(b, j->id, OUT_DOWNLOADED,
                    content_type && *content_type ? content_type : NULL);
            br_media_busy_clear(b, DIR_OUT, j->id);
            out_step(b, j->id);
        }
    }
    free(r.caption);
    free(j);
}

static void out_step(br_bridge *b, int64_t id)
{
    char dir[4200], path[4500];
    struct stat sb;
    out_row r;
    job *j;
    char *fmt;
    int rc;

    if (!b->media || br_media_busy_test(b, DIR_OUT, id) || !out_load(b, id, &r))
        return;
    if (r.state >= OUT_FINISHED || !br_media_busy_set(b, DIR_OUT, id))
        goto out;
    br_media_out_dir(b, id, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, r.name);
    if (r.state != OUT_STORED && stat(path, &sb) != 0)
        r.state = OUT_STORED; /* the temp file is gone: fetch it again */
    if (r.state == OUT_STORED) {
        if (!(j = br_media_job(b, id)) || mx_download(b->mx, r.mxc, on_out_fetched, j) != 0) {
            free(j);
            out_fail(b, id, r.owner, "the homeserver's media repository is not available");
        }
        goto out;
    }
    if (br_media_out_waiting(b, r.owner, r.chat_id, id)) {
        /* its turn comes when what was written before it is answered
         * (settle_then / br_outbox_release pump the chat) */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: file %lld waits for the chat's earlier messages",
                (long long)id);
        br_media_busy_clear(b, DIR_OUT, id);
        goto out;
    }
    if (!b->have_net || !b->net.send_file) {
        out_fail(b, id, r.owner, "the Signal side of the bridge is not running");
        goto out;
    }
    /* a file carries the chat's disappearing timer as a text does
     * (br_expire.h; Signal-Desktop ts/textsecure/SendMessage.ts puts
     * expireTimer on every DataMessage, attachments or not) */
    fmt = br_expire_fmt(b, r.owner, r.chat_id);
    rc = b->net.send_file(b->net.ctx, r.owner, r.chat_id, path,
                          *r.content_type ? r.content_type : "application/octet-stream",
                          r.caption, r.flags, fmt, r.signal_ts, (uint64_t)id);
    free(fmt);
    if (rc != 0)
        out_fail(b, id, r.owner, "the Signal side could not take the file");
    else
        out_set(b, id, OUT_HANDED, NULL); /* busy until SEND_RESULT */
out:
    free(r.caption);
}

int br_media_sent(br_bridge *b, const br_net_event *ev)
{
    out_row r;
    int64_t id = (int64_t)ev->outbox_id;

    if (!b->media || !out_load(b, id, &r))
        return 0; /* a text message */
    br_media_busy_clear(b, DIR_OUT, id);
    if (ev->code == BR_NET_ERR_OFFLINE && r.state == OUT_HANDED) {
        /* not sent: the file stays and goes out on reconnection */
        out_set(b, id, OUT_DOWNLOADED, NULL);
        free(r.caption);
        return 1;
    }
    out_set(b, id, OUT_FINISHED, NULL);
    out_cleanup(b, id, r.name);
    if (r.state != OUT_FINISHED) /* once: later texts may be in flight */
        br_outbox_release(b, r.owner, r.chat_id, id);
    free(r.caption);
    return 0;
}

int br_media_out_waiting(br_bridge *b, const char *owner, const char *chat_id,
                         int64_t id)
{
    return b->media && !br_outbox_turn(b, owner, chat_id, id);
}

int br_media_out_expire(br_bridge *b, int64_t id, const char *why)
{
    out_row r;

    if (!b->media || br_media_busy_test(b, DIR_OUT, id) || !out_load(b, id, &r))
        return 0;
    if (r.state < OUT_FINISHED)
        out_fail(b, id, r.owner, why); /* marks it finished and releases the chat */
    free(r.caption);
    return 1;
}

void br_media_out_kick(br_bridge *b, int64_t id)
{
    out_step(b, id);
}

void br_media_online(br_bridge *b, const char *owner)
{
    int64_t ids[256];
    size_t n = 0, i;

    /* collect first: out_step uses the store */
    if (!b->media || br_store_media_out_uploaded_ids(b->db, owner, ids, 256, &n) != 0)
        return;
    for (i = 0; i < n; i++)
        out_step(b, ids[i]);
}

void br_media_from_matrix(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *chat_id)
{
    br_media_request rq;
    int64_t id = 0;
    int rc;

    int sticker = ev->type && strcmp(ev->type, "m.sticker") == 0;

    if (br_media_parse_request(ev->content, &rq) != 0) {
        br_notice(b, ev->room_id, "Not sent to Signal: this file has no plain mxc:// URL "
                                  "(files in encrypted rooms cannot be bridged yet).");
        return;
    }
    if (rq.size > BR_MEDIA_MAX) {
        br_notice(b, ev->room_id, "Not sent to Signal: %s is larger than this bridge's limit of %u MiB.",
                  rq.name, BR_MEDIA_MAX >> 20);
        return;
    }
    if (sticker) {
        /* a Signal sticker with the image (mautrix-signal from-matrix.go:
         * the body as its emoji when it is one character) */
        size_t used = 0;
        rq.flags = BR_NET_ATT_STICKER;
        rq.caption = NULL;
        if (ev->body && *ev->body &&
            (br_conv_utf8_next((const unsigned char *)ev->body, strlen(ev->body), &used), 1) &&
            ev->body[used] == '\0')
            rq.caption = ev->body;
    }
    if (!b->media)
        return;
    if ((rc = st_db_begin(b->db)) != 0) {
        if (br_defer(b, rc)) /* the host hands the event again */
            return;
        goto fail;
    }
    /* the timestamp is chosen once, before the first try: a resend (also
     * after a crash) is the same message to the receivers */
    rc = br_store_outbox_put_media(b->db, owner, ev->room_id, chat_id, ev->event_id,
                                   rq.caption ? rq.caption : "", br_signal_ts_next(b), ut_now_ms(), &id);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        st_db_rollback(b->db); /* a replay of an event already queued */
        return;
    }
    if ((rc = br_store_media_out_put(b->db, id, rq.mxc, rq.content_type, rq.name, rq.caption,
                                     rq.flags)) != 0)
        goto fail;
    if ((rc = st_db_commit(b->db)) != 0) { /* rolled back */
        if (br_defer(b, ST_ERR_BUSY)) /* a failed COMMIT: I/O, busy, full */
            return;
        goto failed;
    }
    out_step(b, id);
    return;
fail:
    st_db_rollback(b->db);
    if (br_defer(b, rc))
        return;
failed:
    ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot queue a file for Signal: %s", st_errmsg(b->db));
    br_notice(b, ev->room_id, "Not sent to Signal: the bridge could not store the file's details.");
}

void br_media_out_resume(br_bridge *b)
{
    int64_t ids[256];
    size_t n = 0, i;

    /* Matrix -> Signal files not finished before the last stop; collected
     * first: out_step uses the store */
    if (br_store_media_out_unfinished_ids(b->db, ids, 256, &n) != 0)
        return;
    for (i = 0; i < n; i++)
        out_step(b, ids[i]);
}

/* ---- a link preview's image, Matrix -> Signal ----------------------------- */

typedef struct lp_job {
    br_bridge *b;
    int64_t id;
    char *owner, *chat_id;
} lp_job;

static void lp_path(br_bridge *b, int64_t id, char *out, size_t n)
{
    snprintf(out, n, "%s/lp-%" PRId64, b->media->dir, id);
}

static void on_lp_fetched(void *arg, int status, const char *content_type, const void *data,
                          size_t len)
{
    lp_job *j = arg;
    br_bridge *b = j->b;
    char path[4200];

    (void)content_type;
    if (b->media) {
        lp_path(b, j->id, path, sizeof(path));
        /* an empty file says "no image": the text goes with the preview's
         * words alone, as mautrix-signal's convertURLPreviewToSignal
         * (pkg/msgconv/urlpreview.go) skips an image it cannot fetch */
        if (status != 200 || !len || len > BR_MEDIA_MAX ||
            br_media_write_all(path, data, len) != 0) {
            ut_logf(&b->log, UT_LOG_WARN, "bridge: a link preview's image was not fetched (HTTP %d);"
                    " sent without it", status);
            (void)br_media_write_all(path, "", 0);
        }
        br_media_busy_clear(b, DIR_LP, j->id);
        br_outbox_repump(b, j->id, j->owner, j->chat_id);
    }
    free(j->owner);
    free(j->chat_id);
    free(j);
}

int br_media_preview_image(br_bridge *b, int64_t id, const char *mxc, const char *owner,
                           const char *chat_id, char *path, size_t n)
{
    struct stat sb;
    lp_job *j;

    if (!b->media)
        return -1;
    lp_path(b, id, path, n);
    if (stat(path, &sb) == 0)
        return sb.st_size > 0 ? 1 : -1;
    if (!br_media_busy_set(b, DIR_LP, id))
        return 0; /* on its way */
    if (!(j = calloc(1, sizeof(*j))) || !(j->owner = strdup(owner)) ||
        !(j->chat_id = strdup(chat_id)) || mx_download(b->mx, mxc, on_lp_fetched, j) != 0) {
        if (j) {
            free(j->owner);
            free(j->chat_id);
        }
        free(j);
        br_media_busy_clear(b, DIR_LP, id);
        return -1;
    }
    j->b = b;
    j->id = id;
    return 0;
}

void br_media_preview_forget(br_bridge *b, int64_t id)
{
    char path[4200];

    if (!b->media)
        return;
    lp_path(b, id, path, sizeof(path));
    unlink(path);
}
