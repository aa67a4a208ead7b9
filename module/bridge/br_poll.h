/*
 * br_poll.h - polls between Signal and MSC3381 events (issue #17 item 6),
 * the bridge core's part. Signal -> Matrix: the connector hands a poll, a
 * vote or a poll's end over as a MESSAGE whose BR_NET_FMT has a "poll"
 * member (br_sigkind.h);
 * this turns the Matrix content into org.matrix.msc3381.poll.start /
 * .response / .end, as mautrix-signal does with extev_polls on
 * (pkg/msgconv/from-signal.go convertPollCreateToMatrix,
 * convertPollVoteToMatrix, convertPollTerminateToMatrix). Host loop only.
 */
#ifndef BR_POLL_H
#define BR_POLL_H

#include <jansson.h>

#include "mx_event.h"

struct br_bridge;

/* Rewrite content c (an m.room.message holding the poll's plain text as
 * body) for poll p, sent by sender in the message at msg_ts; returns the
 * event type to send, static. A vote or end whose poll was never bridged,
 * or a vote for options the poll does not have, is an m.notice; NULL: a
 * vote older than one already shown (its voteCount did not grow), which
 * is not sent at all. */
const char *br_poll_apply_in(struct br_bridge *b, const char *owner, const char *chat_id,
                             const char *sender, int64_t msg_ts, json_t *p, json_t *c);

/* Is this a Matrix poll event type (MSC3381 start, response or end,
 * stable or unstable)? */
int br_poll_is_matrix_poll(const char *type);

/* A poll event the user sent in a portal (chat_id): a poll start or a
 * vote is queued in the outbox as a row whose BR_NET_FMT has "poll"
 * (br_sigkind.h's shape), sent as DataMessage.pollCreate / pollVote; a
 * poll's end, or what cannot be sent, gets a notice instead. */
void br_poll_from_matrix(struct br_bridge *b, const mx_event *ev, const char *owner,
                         const char *chat_id);

#endif
