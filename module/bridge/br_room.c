/*
 * br_room.c - the bridge's rooms seen from the handlers: whose room it is
 * (the user's bot room, a portal's owner and chat) and the notices the bot
 * posts in them. Below every handler: it calls nothing of the bridge but
 * the store and the Matrix side.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_cmd.h"
#include "br_internal.h"
#include "br_retry.h"
#include "br_store.h"

static void notice_send(br_bridge *b, const char *room_id, const char *text,
                        const char *html, mx_done_fn cb, void *arg);

void br_notice_html(br_bridge *b, const char *room_id, const char *text,
                    const char *html)
{
    notice_send(b, room_id, text, html, NULL, NULL);
}

void br_notice_cb(br_bridge *b, const char *room_id, mx_done_fn cb, void *arg,
                  const char *fmt, ...)
{
    char text[2048], *html;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    html = br_cmd_html(text);
    notice_send(b, room_id, text, html, cb, arg);
    free(html);
}

static void notice_send(br_bridge *b, const char *room_id, const char *text,
                        const char *html, mx_done_fn cb, void *arg)
{
    char txn[64];
    json_t *c;

    if (!room_id || !text) {
        if (cb)
            cb(arg, 400, NULL);
        return;
    }
    /* HTML so that clients show `commands` as code and tables as columns;
     * the plain body stays for clients without HTML (spec: m.room.message
     * msgtypes, org.matrix.custom.html) */
    c = html ? json_pack("{s:s,s:s,s:s,s:s}", "msgtype", "m.notice", "body", text, "format",
                         "org.matrix.custom.html", "formatted_body", html)
             : json_pack("{s:s,s:s}", "msgtype", "m.notice", "body", text);
    /* Notices are not replayed after a crash, so a fresh txn id is fine. */
    snprintf(txn, sizeof(txn), "notice-%lld-%llu", (long long)ut_now_ms(),
             (unsigned long long)++b->next_request);
    if (!c || mx_send(b->mx, b->bot, room_id, "m.room.message", txn, c, 0, cb, arg) != 0) {
        if (cb)
            cb(arg, 500, NULL);
    }
    json_decref(c);
}

void br_notice(br_bridge *b, const char *room_id, const char *fmt, ...)
{
    char text[2048], *html;
    va_list ap;

    if (!room_id)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    html = br_cmd_html(text);
    br_notice_html(b, room_id, text, html);
    free(html);
}

int br_mgmt_room(br_bridge *b, const char *owner, char *room, size_t n)
{
    return br_store_mgmt_room_get(b->db, owner, room, n) == 1;
}

int br_room_owner(br_bridge *b, const char *room_id, char *owner, size_t on,
                  char *chat_id, size_t cn)
{
    return br_store_portal_by_room(b->db, room_id, owner, on, chat_id, cn) == 1;
}

/* ---- a new portal's row: its room, or its removal ------------------------ */

typedef struct portal_write {
    char *owner, *chat_id, *room_id; /* room_id NULL: remove the row */
    br_room_ready_fn ready;
    int queued; /* not stored at once: `ready` runs when it is */
} portal_write;

static void portal_write_free(void *arg)
{
    portal_write *w = arg;

    free(w->owner);
    free(w->chat_id);
    free(w->room_id);
    free(w);
}

/* Nobody else would make these writes: the room exists in Matrix now (or
 * could not be made), and a row left "being made" would keep the chat out
 * of Matrix for good. A failure that can pass (a lock held by the Signal
 * thread's linking writes or another process, a full disk) is retried on
 * the loop (br_retry.h), so the write waits only the loop's short time
 * for a lock (b79c0d1 let it wait 5 s, which froze the loop for as long
 * and still lost the row when the lock outlasted it). */
static int portal_write_run(br_bridge *b, void *arg)
{
    portal_write *w = arg;

    return w->room_id ? br_store_portal_set_room(b->db, w->owner, w->chat_id, w->room_id)
                      : br_store_portal_delete(b->db, w->owner, w->chat_id);
}

static void portal_write_then(br_bridge *b, void *arg)
{
    portal_write *w = arg;

    if (w->queued && w->ready)
        w->ready(b, w->owner, w->chat_id);
}

static int portal_write_queue(br_bridge *b, const char *owner, const char *chat_id,
                              const char *room_id, br_room_ready_fn ready)
{
    portal_write *w = calloc(1, sizeof(*w));
    int rc;

    if (!w || !(w->owner = strdup(owner)) || !(w->chat_id = strdup(chat_id)) ||
        (room_id && !(w->room_id = strdup(room_id)))) {
        if (w)
            portal_write_free(w);
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: out of memory storing a new portal's row");
        return UT_ERR_NOMEM;
    }
    w->ready = ready;
    rc = br_retry_write(b, room_id ? "the room of a new portal" : "the removal of a portal not made",
                        portal_write_run, portal_write_then, w, portal_write_free);
    if (rc == 1) /* queued: w lives on in the queue */
        w->queued = 1;
    return rc;
}

int br_room_save_portal(br_bridge *b, const char *owner, const char *chat_id,
                        const char *room_id, br_room_ready_fn ready)
{
    return portal_write_queue(b, owner, chat_id, room_id, ready);
}

int br_room_drop_portal(br_bridge *b, const char *owner, const char *chat_id)
{
    return portal_write_queue(b, owner, chat_id, NULL, NULL);
}
