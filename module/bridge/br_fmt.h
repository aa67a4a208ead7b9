/*
 * br_fmt.h - formatting, mentions and replies of bridged text (issue #17),
 * the bridge core's part: stores BR_NET_FMT beside inbox/outbox rows
 * (migration 014) and applies the converters of br_conv.h. Host loop
 * thread only.
 *
 * Signal -> Matrix: br_fmt_store_in before the message is confirmed;
 * br_fmt_apply_in rewrites the m.room.message content: formatted_body,
 * pills and m.mentions, and the quote as m.in_reply_to (br_msgmap), or
 * as a quoted line when the quoted message was never bridged.
 * Matrix -> Signal: br_fmt_store_out converts formatted_body and the
 * reply into a Signal body, ranges and quote, stored before sending;
 * br_fmt_send sends a row with them (or as plain text).
 */
#ifndef BR_FMT_H
#define BR_FMT_H

#include <stdint.h>

#include <jansson.h>

#include "br_net.h"
#include "mx_event.h"

struct br_bridge;

int br_fmt_store_in(struct br_bridge *b, const br_net_event *ev);
/* Returns the event type to send content as: m.room.message, or a
 * poll's MSC3381 type (br_poll.h); static. NULL: nothing to send (a poll
 * vote older than one already shown). */
const char *br_fmt_apply_in(struct br_bridge *b, const char *owner, const char *chat_id,
                            const char *sender, int64_t ts, json_t *content);
/* The quote of a stored Signal message (owner, sender, ts): 1 with the
 * quoted message's author and timestamp, 0 when it quotes nothing. */
int br_fmt_quote_in(struct br_bridge *b, const char *owner, const char *sender, int64_t ts,
                    char author[37], int64_t *quote_ts);
/* Make a Signal message's Matrix content fit in one Matrix event (65,536
 * bytes for the whole event): drop formatted_body first, then cut the
 * body with a note. An edit (m.new_content and its "* " fallback) the
 * same way, both copies alike. 1 when it changed anything. */
int br_fmt_fit(json_t *content);
int br_fmt_store_out(struct br_bridge *b, int64_t outbox_id, const char *owner,
                     const char *chat_id, const mx_event *ev);
/* An edit's m.new_content as Signal text (*text) and body ranges
 * (*fmt, BR_NET_FMT JSON, NULL when none), both malloc'd; 0, or an error
 * (no body). */
int br_fmt_edit_out(struct br_bridge *b, const char *owner, json_t *new_content, char **text,
                    char **fmt);
/* net.send_fmt or net.send_text; 0 when handed over. */
int br_fmt_send(struct br_bridge *b, const char *owner, const char *chat_id,
                const char *body, int64_t ts, int64_t outbox_id);

#endif
