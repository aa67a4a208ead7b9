/*
 * br_signal_int.h - shared by br_signal.c (accounts, ops, lifecycle) and
 * br_sigevent.c (sig_client events to br_net_events). Signal thread,
 * except where br_signal.c says otherwise.
 */
#ifndef BR_SIGNAL_INT_H
#define BR_SIGNAL_INT_H

#include <stdint.h>

#include <mxm/module.h>

#include "br_loop.h"
#include "br_net.h"
#include "br_signal.h"
#include "sig_client.h"
#include "st_db.h"
#include "ut.h"

typedef struct account {
    br_signal *s;
    char *owner;
    int64_t id;
    sig_client *c;
    int linking;
    struct account *next;
    int storage_read;     /* the storage service was read since start */
    int refused;          /* Signal refused this device (SIG_EV_UNLINKED):
                             the next link starts from a clean account */
    struct card_job *cards; /* contact cards waiting for their avatar
                               (br_sigcontact.c) */
} account;

/* send_ud of a relate op: its relout id with this bit set */
#define REL_UD ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1))
/* send_ud of a contact card's avatar download: its media row id with
 * this bit set (br_sigcontact.c) */
#define CARD_UD ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 2))

typedef struct contact {      /* number -> ACI, from contact syncs */
    char *owner, *number, *aci;
    struct contact *next;
} contact;

struct br_signal {
    const mxm_host_api *host;
    br_net_sink sink;     /* the bridge core (br_net.h) */
    br_loop *loop;
    ut_log log;
    char *db_path;
    char *host_name;
    uint16_t port;
    char *ca_file;
    struct sn_tls *tls;   /* the trust of every account's connections:
                             Signal's pinned roots or ca_file's (sn_tls.h) */
    struct sn_gate *gate; /* bound on connection attempts of all accounts
                             at once (config signal.connect_concurrency);
                             NULL = none */
    char *device_name;
    char *trust_root;
    uint32_t profile_refresh_s; /* sig_config.profile_refresh_s */
    char *zk_params;      /* zkgroup server public params (groups), or NULL */
    char *ep[4]; /* CDN 0, 2, 3, storage URLs; NULL = follow the server */
    uint32_t link_timeout_ms;
    int history;                   /* accept the phone's history at link */
    int no_sender_keys;            /* group sends 1:1 (sig_config) */
    uint32_t history_max_messages, history_max_age_s;
    /* Signal thread only: */
    st_db *db;
    account *accounts;
    contact *contacts;
    struct event_base *base; /* set first thing on the thread: s->loop may
                                not be assigned yet when thread_init runs */
};

/* br_signal.c: strdup that passes NULL through; a new event for `owner`;
 * hand an event to the host loop (NULL ignored; freed when it cannot go). */
char *br_sig_dup(const char *x);
br_net_event *br_sig_ev_new(br_net_kind kind, const char *owner);
void br_sig_emit(br_signal *s, br_net_event *ev);

/* br_sigevent.c: BR_NET_ERR_* of a client error (0 for 0); the media
 * error of a download/upload failure (0 when none fits); the sig_client
 * event callback (ud: the account). */
int br_sig_net_code(int err);
int br_sig_media_code(int err);
void br_sig_on_event(sig_client *c, const sig_event *e, void *ud);

/* br_sighist.c: SIG_EV_HISTORY as BR_NET_HISTORY START, a CHAT per chat,
 * its MESSAGEs and reactions (RELATION), then DONE with durable_id
 * BR_SIG_HISTORY_DURABLE; or one BR_NET_HISTORY with the error. */
#define BR_SIG_HISTORY_DURABLE UINT64_MAX
void br_sighist_event(account *a, const sig_event *e);

#endif
