/*
 * br_sigkind.h - received Signal messages the bridge cannot show as text or
 * files, told as a notice instead of being dropped (issue #17 item 7):
 * calls, story replies, payments, gift badges and kinds newer than this
 * bridge; and which messages are view-once. Signal side of br_net.
 */
#ifndef BR_SIGKIND_H
#define BR_SIGKIND_H

#include "br_net.h"
#include "sig_client.h"

/* What the message's sender did, as a notice to show after their name
 * ("called you (voice call). ..."), malloc'd; NULL when the message is an
 * ordinary one (text, files, relations) or one to ignore. */
char *br_sigkind_notice(const sig_message *m, const char *me);

/* A sticker message (DataMessage.sticker) as a MESSAGE whose one
 * attachment is the sticker's image, flagged BR_NET_ATT_STICKER, its emoji
 * as the file name; NULL when m has no sticker. */
br_net_event *br_sigkind_sticker(const char *owner, const sig_message *m, const char *chat,
                                 const char *me);

/* A poll, a vote or a poll's end (DataMessage.pollCreate / pollVote /
 * pollTerminate) as a MESSAGE whose text is its plain-text form and whose
 * fmt is {"poll": {"k": "start", "q": question, "o": [options], "m": allow
 * multiple} | {"k": "vote" | "end", "author": the poll's author's ACI,
 * "ts": its timestamp, "o": [option indexes], "n": voteCount}}; a
 * malformed one (a poll without question or options, a vote without its
 * poll) is a notice (BR_SIGKIND_FMT); NULL when m has none. */
br_net_event *br_sigkind_poll(const char *owner, const sig_message *m, const char *chat,
                              const char *me);

/* 1 when m is a view-once message (DataMessage.isViewOnce). Its media are
 * bridged flagged BR_NET_ATT_VIEW_ONCE and disappear from Matrix 5
 * minutes after the user read them (or sooner with a shorter chat timer),
 * as mautrix-signal does with disappear_view_once (pkg/msgconv/
 * from-signal.go ToMatrix: ViewOnceDisappearTimer, after read). */
int br_sigkind_view_once(const sig_message *m);

/* The BR_NET_FMT member that marks a message as such a notice. */
#define BR_SIGKIND_FMT "{\"notice\":1}"

#endif
