/*
 * br_txn.h - the Matrix transaction ids of what the bridge posts for Signal
 * messages. One Signal message is posted once per portal (owner + chat), and
 * ghosts are shared by every owner who knows that contact; a homeserver
 * remembers a transaction id per (user, device) (Matrix CS API, "Transaction
 * identifiers"; mxhs: hs_rooms.c), so the id must name the portal, or the
 * second owner's portal gets the first owner's event and never shows the
 * message. The same inputs always give the same id: a replay after a crash
 * is answered with the event already made. Pure.
 */
#ifndef BR_TXN_H
#define BR_TXN_H

#include <stddef.h>
#include <stdint.h>

/* "<prefix>-<portal>-<sender>-<ts>", portal = 24 hex digits of
 * SHA-256(owner "\n" chat_id). UT_ERR_RANGE if it does not fit in out[n],
 * UT_ERR_INVAL on a NULL argument. */
int br_txn(char *out, size_t n, const char *prefix, const char *owner,
           const char *chat_id, const char *sender, int64_t ts);

#endif
