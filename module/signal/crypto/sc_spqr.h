/*
 * sc_spqr.h - the sparse post-quantum ratchet (SPQR V1) as libsignal 0.100
 * runs it (spqr v1.5.3 src/lib.rs send/recv, src/chain.rs): the SCKA
 * (sc_scka.h) runs one ML-KEM-768 exchange per epoch inside the messages,
 * and every epoch secret it yields starts a new epoch of the key chain
 * (next_root ← HKDF(salt = next_root, secret, "...Chain Add Epoch")). Every
 * message key of the double ratchet is salted with the key this chain
 * yields for the message's epoch and index (signal-crypto.md §3).
 *
 * Epoch 0 of the chain is keyed by PQXDH's pqr_key. Chain epochs are kept
 * from the one before the current send epoch on (chain.rs
 * EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH), at most SC_SPQR_MAX_LINKS.
 *
 * Also the small index→key list used for skipped keys (DR seeds and SPQR
 * history). Not thread-safe per object; secrets are wiped on free.
 */
#ifndef SC_SPQR_H
#define SC_SPQR_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"
#include "sc_scka.h"

/* ---- index → 32-byte key list, oldest first ------------------------------ */

typedef struct sc_idxkey {
    uint32_t index;
    uint8_t key[32];
} sc_idxkey;

typedef struct sc_keylist {
    sc_idxkey *v;
    size_t n, cap;
} sc_keylist;

/* Make room for `extra` more entries (UT_ERR_NOMEM). */
int sc_keylist_reserve(sc_keylist *l, size_t extra);
/* Position of `index`, or -1. */
long sc_keylist_find(const sc_keylist *l, uint32_t index);
void sc_keylist_remove(sc_keylist *l, size_t pos);
/* Append (room must be reserved); drops the oldest entries beyond `max`. */
void sc_keylist_push(sc_keylist *l, uint32_t index, const uint8_t key[32],
                     size_t max);
void sc_keylist_free(sc_keylist *l); /* wipes */

/* ---- SPQR ------------------------------------------------------------------ */

enum { SC_SPQR_A2B = 0, SC_SPQR_B2A = 1 };
#define SC_SPQR_MAX_OOO 2000
#define SC_SPQR_MAX_JUMP 25000
#define SC_SPQR_WIRE_MAX 64
#define SC_SPQR_MAX_LINKS 6

typedef struct sc_spqr_dir {
    uint32_t ctr;
    uint8_t next[32];
} sc_spqr_dir;

/* One chain epoch. */
typedef struct sc_spqr_link {
    uint64_t epoch;
    uint8_t send_live;     /* 0: send chain cleared (epoch before the send epoch) */
    sc_spqr_dir send, recv;
    sc_keylist history;    /* received-out-of-order keys of the recv chain */
} sc_spqr_link;

typedef struct sc_spqr {
    uint8_t direction;     /* SC_SPQR_A2B: we sent the PreKey message */
    uint8_t unlimited;     /* self-session: no jump limit */
    uint8_t auth_key[32];  /* pqr_key from PQXDH */
    uint8_t next_root[32];
    uint64_t current_epoch, send_epoch;
    sc_spqr_link links[SC_SPQR_MAX_LINKS]; /* oldest first; last = current */
    size_t nlinks;
    sc_scka *scka;         /* heap: ~8 KB, wiped on free */
} sc_spqr;

int sc_spqr_init(sc_spqr *s, int direction, const uint8_t pqr_key[32],
                 int unlimited);
void sc_spqr_free(sc_spqr *s);

/* Debug accessor: the SCKA's epoch and state and the newest chain epoch. */
void sc_spqr_info(const sc_spqr *s, uint64_t *scka_epoch, unsigned *scka_state,
                  uint64_t *chain_epoch);

/* Sending in two steps, so a message that fails to encrypt changes
 * nothing: prepare yields the wire part and the salt; commit keeps the
 * new state and cannot fail. Always call _send_plan_wipe. */
typedef struct sc_spqr_send_plan {
    uint8_t wire[SC_SPQR_WIRE_MAX];
    size_t wire_len;
    uint8_t key[32];
    sc_scka *scka;         /* the SCKA after this message */
    int add;               /* a new chain epoch (new_link, new_root) */
    sc_spqr_link new_link;
    uint8_t new_root[32];
    uint64_t epoch;        /* chain epoch the key is from */
    sc_spqr_dir dir;       /* its send chain after this message */
} sc_spqr_send_plan;

int sc_spqr_send_prepare(sc_spqr *s, sc_spqr_send_plan *p);
void sc_spqr_send_commit(sc_spqr *s, sc_spqr_send_plan *p);
void sc_spqr_send_plan_wipe(sc_spqr_send_plan *p);

/* Receive in two steps so nothing changes unless the message authenticates:
 * prepare computes the key (has_key 0: no salt) and reserves memory; commit
 * applies it and cannot fail. Errors: SC_ERR_SPQR (empty, malformed, wrong
 * epoch, an SCKA MAC), SC_ERR_DUPLICATE (index already used or trimmed),
 * SC_ERR_TOO_FAR, UT_ERR_NOMEM. Always call _plan_wipe. */
typedef struct sc_spqr_plan {
    int has_key;
    uint8_t key[32];
    int kind;              /* 0 no key, 1 from history, 2 forward */
    long link;             /* index into links, or -1: new_link */
    size_t pos;
    sc_spqr_dir dir;       /* new recv position (kind 2) */
    sc_idxkey *skipped;    /* keys to remember (kind 2), at most MAX_OOO */
    size_t nskipped;
    sc_scka *scka;         /* NULL: SCKA untouched (unknown version) */
    int add;
    sc_spqr_link new_link;
    uint8_t new_root[32];
} sc_spqr_plan;

int sc_spqr_recv_prepare(sc_spqr *s, const uint8_t *wire, size_t n,
                         sc_spqr_plan *p);
void sc_spqr_recv_commit(sc_spqr *s, sc_spqr_plan *p);
void sc_spqr_plan_wipe(sc_spqr_plan *p);

#endif
