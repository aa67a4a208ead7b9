/*
 * br_txn.c - Matrix transaction ids, unique per portal and message
 * (contract in br_txn.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_txn.h"
#include "sc_prim.h"
#include "ut.h"

int br_txn(char *out, size_t n, const char *prefix, const char *owner,
           const char *chat_id, const char *sender, int64_t ts)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t h[32];
    char portal[25], *joined = NULL;
    size_t i;
    int k;

    if (!out || !prefix || !owner || !chat_id || !sender)
        return UT_ERR_INVAL;
    /* '\n' cannot occur in a Matrix user id or a chat id: no ambiguity */
    if (asprintf(&joined, "%s\n%s", owner, chat_id) < 0)
        return UT_ERR_NOMEM;
    k = sc_sha256(h, joined, strlen(joined));
    free(joined);
    if (k != 0)
        return k;
    for (i = 0; i < 12; i++) {
        portal[2 * i] = hex[h[i] >> 4];
        portal[2 * i + 1] = hex[h[i] & 15];
    }
    portal[24] = '\0';
    k = snprintf(out, n, "%s-%s-%s-%lld", prefix, portal, sender, (long long)ts);
    return k < 0 || (size_t)k >= n ? UT_ERR_RANGE : 0;
}
