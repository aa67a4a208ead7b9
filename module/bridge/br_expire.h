/*
 * br_expire.h - disappearing messages both ways (issue #14 item 3).
 *
 * Signal -> Matrix: a timer change (DataMessage.expireTimer with the flag
 * EXPIRATION_TIMER_UPDATE) sets the room's com.beeper.disappearing_timer
 * state event ({"type": "after_read", "timer": ms}, or {} when off: the
 * content mautrix-go's event.BeeperDisappearingTimer marshals, as
 * mautrix-signal sends it) and posts a notice; a message carrying a timer
 * gets a br_expire row and is redacted in Matrix when it expires.
 * Matrix -> Signal: `!signal disappearing 1d` / `off` in a portal sends a
 * timer change to Signal and every later text and file carries expireTimer.
 * 1:1 timers carry expireTimerVersion (stored per chat, raised by each
 * change from Matrix, sent with every message; an older version's change
 * is ignored), and a message whose expireTimer differs from the chat's
 * changes it (Signal-Android messages/DataMessageProcessor.kt). A group's
 * timer comes from the groups server's state (br_expire_group); setting it
 * from Matrix needs a group change the client cannot write yet.
 *
 * When the countdown starts, as mautrix-signal (pkg/connector/
 * handlesignal.go ConvertMessage: DisappearAt = timestamp + timer for our
 * own messages) and mautrix-go bridgev2 (portal.go: DisappearLoop.
 * StartAllBefore on the user's Matrix read receipt and on the phone's read
 * sync) do: the user's own messages at their Signal timestamp, others'
 * when the user reads them (in Matrix or on the phone).
 */
#ifndef BR_EXPIRE_H
#define BR_EXPIRE_H

#include <stddef.h>
#include <stdint.h>

#include "br_net.h"
#include "mx_event.h"

struct br_bridge;

/* A Signal MESSAGE: a timer change is stored, confirmed and shown (1:
 * handled, nothing else to do); a message with a timer gets its expiry row
 * (0, or ST_ERR_* when it could not be stored: do not confirm). */
int br_expire_on_signal(struct br_bridge *b, const br_net_event *ev, int *handled);
/* A group's state from the groups server (GROUP_INFO): its timer
 * (Group.disappearingMessagesTimer) becomes the room's when it changed. */
void br_expire_group(struct br_bridge *b, const br_net_event *ev);
/* The message (owner, sender, ts) is in Matrix as event_id in room_id,
 * posted as `as` (who redacts it); called once per event the message
 * became (each attachment, then the text: br_media.c, br_portal.c), and
 * every one is redacted. 0, or ST_ERR_* when its expiry row could not be
 * given the event (the caller retries: br_portal.c). */
int br_expire_bridged(struct br_bridge *b, const char *owner, const char *sender, int64_t ts,
                      const char *room_id, const char *event_id, const char *as);
/* The user read the portal up to event_id (Matrix m.read). */
void br_expire_read_matrix(struct br_bridge *b, const char *owner, const char *chat_id,
                           const char *event_id);
/* The user read `author`'s messages up to ts on the phone (read sync). */
void br_expire_read_phone(struct br_bridge *b, const br_net_event *ev);
/* `!signal disappearing <duration|off>` in a portal (in a group's portal
 * a change on the groups server, br_group_change): 0 not this command,
 * 1 handled (sent, or the user was told why not). */
int br_expire_command(struct br_bridge *b, const mx_event *ev, const char *owner,
                      const char *chat_id);
/* A text from Matrix in room_id reached Signal with timestamp ts: with
 * the chat's timer on, it disappears in Matrix from then on. */
void br_expire_sent(struct br_bridge *b, const char *owner, const char *chat_id,
                    const char *room_id, int64_t ts);
/* The timer to put on texts sent to the chat (0 = none). */
uint32_t br_expire_chat_timer(struct br_bridge *b, const char *owner, const char *chat_id);
/* The same, and the timer's version (expireTimerVersion; 0 = none). */
uint32_t br_expire_chat_timer_v(struct br_bridge *b, const char *owner, const char *chat_id,
                                uint32_t *version);
/* The chat's timer as BR_NET_FMT JSON ({"x": s, "xv": version}) for a
 * file sent to it, malloc'd; NULL when the chat has none. */
char *br_expire_fmt(struct br_bridge *b, const char *owner, const char *chat_id);
/* Parse "1d", "8h", "30m", "45s", "2w", "90" (seconds), "off": 0 and
 * *secs, or -1. Pure (unit tested). */
int br_expire_parse(const char *s, uint32_t *secs);
/* "1 day", "30 seconds", ...: for notices. Pure. */
void br_expire_words(uint32_t secs, char *out, size_t n);
/* Start: redact what expired while stopped, post pending timer states;
 * stop: cancel the sweep. */
void br_expire_start(struct br_bridge *b);
void br_expire_stop(struct br_bridge *b);

#endif
