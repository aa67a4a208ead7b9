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

#include "br_cmd.h"
#include "br_internal.h"
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

int br_room_save_portal(br_bridge *b, const char *owner, const char *chat_id,
                        const char *room_id)
{
    int rc;

    /* Nobody retries this write: the room exists in Matrix now, and a row
     * left "being made" would keep the chat out of it for good. So it waits
     * for a lock held elsewhere (the Signal thread's linking writes, another
     * process) as long as st_db's default, not the loop's short wait. */
    st_db_set_busy_ms(b->db, ST_DB_BUSY_MS);
    rc = br_store_portal_set_room(b->db, owner, chat_id, room_id);
    st_db_set_busy_ms(b->db, BR_DB_BUSY_MS);
    if (rc != 0)
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: the room %s of a new portal could not be stored (%s)",
                room_id, st_errmsg(b->db));
    return rc;
}
