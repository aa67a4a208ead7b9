/*
 * br_poll.h - Signal polls as MSC3381 events (issue #17 item 6), the
 * bridge core's part: the connector hands a poll, a vote or a poll's end
 * over as a MESSAGE whose BR_NET_FMT has a "poll" member (br_sigkind.h);
 * this turns the Matrix content into org.matrix.msc3381.poll.start /
 * .response / .end, as mautrix-signal does with extev_polls on
 * (pkg/msgconv/from-signal.go convertPollCreateToMatrix,
 * convertPollVoteToMatrix, convertPollTerminateToMatrix). Host loop only.
 */
#ifndef BR_POLL_H
#define BR_POLL_H

#include <jansson.h>

struct br_bridge;

/* Rewrite content c (an m.room.message holding the poll's plain text as
 * body) for poll p; returns the event type to send, static. A vote or end
 * whose poll was never bridged stays an m.notice with that text. */
const char *br_poll_apply_in(struct br_bridge *b, const char *owner, const char *chat_id,
                             json_t *p, json_t *c);

#endif
