/*
 * sn_gate.h - a bound on connection attempts in progress at once.
 *
 * Every account has its own chat socket; when they all drop together (the
 * server restarts, the network blinks) they all reconnect together. Jitter
 * (sn_backoff) spreads the attempts in time; the gate caps how many are in
 * their TCP + TLS + websocket handshake at the same moment, so a thousand
 * accounts never make a thousand TLS handshakes at once on one event loop
 * (each costs an ECDHE and a certificate chain check on both sides).
 *
 * A counting semaphore with a FIFO queue, shared by every connection of
 * one event loop: chat and provisioning websockets (sn_sock_config.gate)
 * and HTTPS pool connections (sn_pool_set_gate). Pure bookkeeping: no
 * I/O, no clock, no allocation. A freed slot goes to the first waiter,
 * whose `wake` hook sn_gate_pass calls: a hook only schedules (sn_sock and
 * sn_h2 activate a zero-timeout event), so nothing runs inside the
 * releasing connection's own callback. The waiter record lives in the
 * caller's storage. One thread (the loop's).
 */
#ifndef SN_GATE_H
#define SN_GATE_H

#include <stddef.h>

typedef struct sn_gate sn_gate;

enum { SN_GATE_IDLE = 0, SN_GATE_QUEUED = 1, SN_GATE_HELD = 2 };

/* One claimant's record (caller storage; zero it, or sn_gate_wait_init). */
typedef struct sn_gate_wait {
    struct sn_gate_wait *next, *prev; /* the queue; private */
    int state;                        /* SN_GATE_*; read only */
    void (*wake)(struct sn_gate_wait *w); /* it now holds a slot (sn_gate_pass) */
    void *ud;                         /* the caller's; the gate never reads it */
} sn_gate_wait;

/* The default bound when a configuration says nothing: enough to keep a
 * 2-core machine busy, small enough that one loop never juggles hundreds
 * of half-open TLS sessions. */
#define SN_GATE_DEFAULT 16u

/* max: attempts at once, >= 1. UT_ERR_INVAL, UT_ERR_NOMEM. */
int sn_gate_new(sn_gate **out, unsigned max);
/* NULL ok. Waiters still queued are simply forgotten (their state stays
 * QUEUED): free the gate only after every claimant. */
void sn_gate_free(sn_gate *g);

void sn_gate_wait_init(sn_gate_wait *w, void (*wake)(sn_gate_wait *w), void *ud);

/* Ask for a slot. 1: held now, go ahead; 0: queued (FIFO), the caller
 * learns from a later sn_gate_release's return value that it holds one.
 * Asking again while QUEUED or HELD changes nothing and says which. */
int sn_gate_acquire(sn_gate *g, sn_gate_wait *w);
/* Give the slot back (HELD) or leave the queue (QUEUED); IDLE: nothing.
 * When a slot frees and someone is queued, that waiter now HOLDS it and is
 * returned: the caller must wake it. Otherwise NULL. */
sn_gate_wait *sn_gate_release(sn_gate *g, sn_gate_wait *w);
/* sn_gate_release, then the new holder's wake hook (if any). NULL g ok. */
void sn_gate_pass(sn_gate *g, sn_gate_wait *w);

unsigned sn_gate_held(const sn_gate *g);   /* slots in use now */
size_t sn_gate_queued(const sn_gate *g);   /* claimants waiting now */
unsigned sn_gate_peak(const sn_gate *g);   /* most slots ever in use */
unsigned sn_gate_max(const sn_gate *g);

#endif /* SN_GATE_H */
