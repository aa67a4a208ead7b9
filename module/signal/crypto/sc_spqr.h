/*
 * sc_spqr.h - the sparse post-quantum ratchet (SPQR V1) as far as protocol
 * v4 needs it with a peer that never advances the SCKA: the epoch-0 key
 * chain keyed by PQXDH's pqr_key (signal-crypto.md §3.3/§3.4). Every message
 * key of the double ratchet is salted with the key this chain yields.
 *
 * The state keeps what full SPQR needs later (auth key, next root, epoch,
 * direction) so ML-KEM-768 epochs can be added without a record migration.
 *
 * Also the small index→key list used for skipped keys (DR seeds and SPQR
 * history). Not thread-safe per object; secrets are wiped on free.
 */
#ifndef SC_SPQR_H
#define SC_SPQR_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

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

/* ---- SPQR epoch-0 chain ---------------------------------------------------- */

enum { SC_SPQR_A2B = 0, SC_SPQR_B2A = 1 };
#define SC_SPQR_MAX_OOO 2000
#define SC_SPQR_MAX_JUMP 25000
#define SC_SPQR_WIRE_MAX 16

typedef struct sc_spqr_dir {
    uint32_t ctr;
    uint8_t next[32];
} sc_spqr_dir;

typedef struct sc_spqr {
    uint8_t direction;     /* SC_SPQR_A2B: we sent the PreKey message */
    uint8_t unlimited;     /* self-session: no jump limit */
    uint64_t epoch;        /* chain epoch in use (0 until full SPQR) */
    uint8_t auth_key[32];  /* pqr_key from PQXDH (full SPQR's authenticator) */
    uint8_t next_root[32];
    sc_spqr_dir send, recv;
    sc_keylist history;    /* received-out-of-order keys of the recv chain */
} sc_spqr;

int sc_spqr_init(sc_spqr *s, int direction, const uint8_t pqr_key[32],
                 int unlimited);
void sc_spqr_free(sc_spqr *s);

/* Next send key and its wire part `01 01 varint(idx) 00` (advances). */
int sc_spqr_send(sc_spqr *s, uint8_t wire[SC_SPQR_WIRE_MAX], size_t *wire_len,
                 uint8_t key[32]);

/* Receive in two steps so nothing changes unless the message authenticates:
 * prepare computes the key (has_key 0: no salt, per §3.4) and reserves
 * memory; commit applies it and cannot fail. Errors: SC_ERR_SPQR (empty,
 * malformed, wrong epoch), SC_ERR_DUPLICATE (index already used or trimmed),
 * SC_ERR_TOO_FAR, UT_ERR_NOMEM. Always call _plan_wipe. */
typedef struct sc_spqr_plan {
    int has_key;
    uint8_t key[32];
    int kind;              /* 0 nothing to commit, 1 from history, 2 forward */
    size_t pos;
    sc_spqr_dir dir;       /* new recv position (kind 2) */
    sc_idxkey *skipped;    /* keys to remember (kind 2), at most MAX_OOO */
    size_t nskipped;
} sc_spqr_plan;

int sc_spqr_recv_prepare(sc_spqr *s, const uint8_t *wire, size_t n,
                         sc_spqr_plan *p);
void sc_spqr_recv_commit(sc_spqr *s, sc_spqr_plan *p);
void sc_spqr_plan_wipe(sc_spqr_plan *p);

#endif
