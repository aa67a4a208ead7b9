/*
 * br_bridge.c - the bridge object: lifecycle, routing of Matrix events and
 * Signal-side events, the database. The shared helpers the handlers use
 * live below them: br_login.c (logins in memory), br_room.c (whose room,
 * notices).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_dedupe.h"
#include "br_group.h"
#include "br_cmd.h"
#include "br_expire.h"
#include "br_internal.h"
#include "br_poll.h"
#include "br_prov.h"
#include "br_relate.h"
#include "br_retry.h"
#include "br_store.h"
#include "st_fault.h"

static void log_to_host(void *ctx, int level, const char *msg)
{
    br_bridge *b = ctx;

    b->host->log(b->host->host, level, msg);
}

int br_bridge_new(br_bridge **out, const mxm_host_api *host, br_config *cfg,
                  char *err, size_t errlen)
{
    br_bridge *b = calloc(1, sizeof(*b));

    *out = NULL;
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return UT_ERR_NOMEM;
    }
    b->host = host;
    b->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    b->log.fn = log_to_host;
    b->log.ctx = b;
    b->log.level = UT_LOG_DEBUG;
    if (mx_conn_new(&b->mx, host, &b->log) != 0 ||
        mx_user_id(b->mx, b->cfg.bot_localpart, b->bot, sizeof(b->bot)) != 0) {
        snprintf(err, errlen, "cannot set up the Matrix connection");
        br_bridge_free(b);
        return UT_ERR_INVAL;
    }
    *out = b;
    return 0;
}

const char *br_bridge_bot_localpart(const br_bridge *b)
{
    return b->cfg.bot_localpart;
}

int br_bridge_query_user(br_bridge *b, const char *user_id)
{
    const char *local, *server;
    size_t ll, sl;
    char lp[256], aci[64];

    if (mx_mxid_split(user_id, &local, &ll, &server, &sl) != 0 ||
        strcmp(server, mx_server_name(b->mx)) != 0 || ll >= sizeof(lp))
        return 0;
    memcpy(lp, local, ll);
    lp[ll] = '\0';
    return strcmp(lp, b->cfg.bot_localpart) == 0 ||
           br_config_puppet_aci(&b->cfg, lp, aci, sizeof(aci)) != NULL;
}

/* The owner of a management room, or NULL. */
static int mgmt_owner(br_bridge *b, const char *room_id, char *owner, size_t n)
{
    return br_store_mgmt_room_owner(b->db, room_id, owner, n) == 1;
}

/* ---- events ------------------------------------------------------------- */

static int on_event(br_bridge *b, const mx_event *ev);

int br_bridge_on_event(br_bridge *b, const char *json, size_t len, int may_defer)
{
    mx_event ev;
    int record;

    if (b->stopping || mx_event_parse(&ev, json, len) != 0)
        return 0;
    if (ev.event_id && br_dedupe_seen(b, ev.event_id)) {
        mx_event_free(&ev); /* delivered again after a crash: handled */
        return 0;
    }
    b->may_defer = may_defer;
    b->deferred = 0;
    record = on_event(b, &ev);
    b->may_defer = 0;
    if (b->deferred) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: cannot store event %s now (%s); the homeserver hands it again",
                ev.event_id ? ev.event_id : "?", st_errmsg(b->db));
    } else if (record && ev.event_id) { /* after the handler: br_dedupe.c says why */
        br_dedupe_done(b, ev.event_id);
    }
    mx_event_free(&ev);
    return b->deferred;
}

/* Hand a Matrix event to its handler: 1 when it is to be recorded as
 * handled (br_dedupe.c), 0 for our own echoes. */
static int on_event(br_bridge *b, const mx_event *evp)
{
    const mx_event ev = *evp; /* the caller's (and frees it) */
    char owner[320], chat[256];

    if (strcmp(ev.type, "m.room.member") == 0 && ev.state_key &&
        strcmp(ev.state_key, b->bot) == 0 && ev.membership &&
        strcmp(ev.membership, "invite") == 0) {
        /* A ghost inviting the bot is a portal being set up (the bridge
         * joins it itself), not a person opening a room with the bot. */
        if (!br_bridge_query_user(b, ev.sender))
            br_bot_on_invite(b, &ev);
    } else if (strcmp(ev.sender, b->bot) == 0 ||
               br_bridge_query_user(b, ev.sender)) {
        /* our own echoes: nothing to do, nothing to record */
        return 0;
    } else if (br_room_owner(b, ev.room_id, owner, sizeof(owner), chat, sizeof(chat)) &&
               !br_access_ok(b, owner)) {
        /* a portal of a user without access: messages, files, edits,
         * reactions and redactions stay in Matrix (br_access.c) */
    } else if (br_relout_on_event(b, &ev)) {
        /* reactions, redactions, edits (br_relate.c) */
    } else if (br_poll_is_matrix_poll(ev.type)) {
        if (!mgmt_owner(b, ev.room_id, owner, sizeof(owner)) &&
            br_room_owner(b, ev.room_id, owner, sizeof(owner), chat, sizeof(chat)) &&
            strcmp(ev.sender, owner) == 0)
            br_poll_from_matrix(b, &ev, owner, chat); /* issue #17 item 6 */
    } else if (strcmp(ev.type, "m.sticker") == 0) {
        if (!mgmt_owner(b, ev.room_id, owner, sizeof(owner)) &&
            br_room_owner(b, ev.room_id, owner, sizeof(owner), chat, sizeof(chat)))
            br_outbox_on_message(b, &ev, owner, chat); /* a sticker (issue #17) */
    } else if (ev.state_key &&
               (strcmp(ev.type, "m.room.name") == 0 || strcmp(ev.type, "m.room.topic") == 0)) {
        /* the owner renames a group portal or sets its topic (br_group.h) */
        if (br_room_owner(b, ev.room_id, owner, sizeof(owner), chat, sizeof(chat)) &&
            strcmp(ev.sender, owner) == 0)
            br_group_from_matrix(b, &ev, owner, chat);
    } else if (strcmp(ev.type, "m.room.message") == 0) {
        if (mgmt_owner(b, ev.room_id, owner, sizeof(owner))) {
            if (strcmp(owner, ev.sender) == 0)
                br_bot_on_message(b, &ev, owner);
        } else if (br_room_owner(b, ev.room_id, owner, sizeof(owner), chat,
                                 sizeof(chat))) {
            br_outbox_on_message(b, &ev, owner, chat);
        }
    }
    return 1;
}

void br_bridge_on_ephemeral(br_bridge *b, const char *json, size_t len)
{
    br_ephem_on_matrix(b, json, len); /* typing and receipts: br_ephem.c */
}

/* Hand a Signal-side event to its handler; handlers borrow ev. */
static void net_dispatch(br_bridge *b, const br_net_event *ev)
{
    if (b->stopping || !ev->owner)
        return;
    if (ev->kind == BR_NET_CONNECTION && ev->code == 1) {
        br_media_online(b, ev->owner); /* files that waited for Signal */
        br_outbox_online(b, ev->owner); /* and texts */
    }
    if (!br_access_net_event(b, ev) || /* the owner has no access */
        br_guard_drop(b, ev)) /* a chat the user blocked on the phone */
        return;
    switch (ev->kind) {
    case BR_NET_IDENTITY:
        br_guard_identity(b, ev);
        break;
    case BR_NET_RESOLVED:
        if (br_prov_net_event(b, ev)) /* a lookup of the provisioning API */
            break;
        br_bot_net_event(b, ev);
        break;
    case BR_NET_LINK_URL:
    case BR_NET_LINKED:
    case BR_NET_LINK_FAILED:
        br_bot_net_event(b, ev); /* first: it stores the login */
        br_prov_net_event(b, ev);
        break;
    case BR_NET_UNLINKED:
    case BR_NET_CONNECTION:
    case BR_NET_CONN_TROUBLE:
        br_bot_net_event(b, ev);
        break;
    case BR_NET_DOWNLOADED:
        br_media_downloaded(b, ev);
        break;
    case BR_NET_SEND_RESULT:
        if (!br_media_sent(b, ev)) /* 1: a file waiting for the connection */
            br_portal_net_event(b, ev);
        break;
    case BR_NET_RELATION:
    case BR_NET_RELATE_RESULT:
        br_relate_net_event(b, ev);
        break;
    case BR_NET_RECEIPT:
    case BR_NET_TYPING:
        br_ephem_net_event(b, ev);
        break;
    case BR_NET_HISTORY:
        br_history_net_event(b, ev);
        break;
    default:
        br_portal_net_event(b, ev);
        break;
    }
}

/* The one owner of every Signal-side event: it is freed here, once, after
 * its handler returned (br_net_event.c). */
void br_bridge_net_event(br_bridge *b, br_net_event *ev)
{
    if (!ev)
        return;
    net_dispatch(b, ev);
    br_net_event_free(ev);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void on_bot_ready(void *arg, int status, json_t *body)
{
    br_bridge *b = arg;

    (void)body;
    if (status != 200) {
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot create the bot user (HTTP %d)", status);
        return;
    }
    mx_set_displayname(b->mx, b->bot, b->cfg.bot_displayname, NULL, NULL);
    if (b->cfg.bot_avatar && *b->cfg.bot_avatar)
        mx_set_avatar(b->mx, b->bot, b->cfg.bot_avatar, NULL, NULL);
}

int br_bridge_start(br_bridge *b, const br_net_ops *net, char *err,
                    size_t errlen)
{
    char path[4096];
    int rc;

    if (b->cfg.database[0] == '/')
        snprintf(path, sizeof(path), "%s", b->cfg.database);
    else
        snprintf(path, sizeof(path), "%s/%s", b->host->data_dir(b->host->host),
                 b->cfg.database);
    if ((rc = st_db_open(&b->db, path, &b->log, err, errlen)) != 0)
        return rc;
    /* This connection runs on the homeserver's loop: a write lock held
     * elsewhere (the Signal thread, another process) must not freeze it.
     * A write that meets one fails soon and is retried: Matrix events by
     * the host (br_defer), queued rows from the timers. */
    st_db_set_busy_ms(b->db, BR_DB_BUSY_MS);
    /* tests only: writes made to fail on demand (docs/store-faults.md) */
    if (b->cfg.debug_store_faults &&
        (rc = st_fault_enable(b->db, b->cfg.debug_store_faults, &b->log, err, errlen)) != 0)
        return rc;
    if (net) {
        b->net = *net;
        b->have_net = 1;
    }
    br_login_load(b);
    br_access_start(b);
    br_dedupe_prune(b);
    if (b->cfg.low_limit_warning)
        ut_logf(&b->log, UT_LOG_WARN,
                "bridge: max_signal_users is %ld: under 5, bridging will stop for most users soon",
                b->cfg.max_signal_users);
    if (mx_ensure_user(b->mx, b->cfg.bot_localpart, on_bot_ready, b) != 0) {
        snprintf(err, errlen, "cannot create the bot user %s", b->bot);
        return UT_ERR_INVAL;
    }
    br_media_start(b);
    br_portal_resume(b);
    br_relate_start(b);
    br_prov_start(b);
    br_expire_start(b); /* what expired while stopped goes now (br_expire.h) */
    ut_logf(&b->log, UT_LOG_INFO, "bridge: ready as %s", b->bot);
    /* what the admin needs when Signal cannot be reached or trusted */
    ut_logf(&b->log, UT_LOG_INFO, "bridge: Signal server %s, TLS trust: %s%s", b->cfg.signal_server,
            b->cfg.signal_ca_file ? "the CAs in signal.ca_file " : "Signal's own root certificate (built in, pinned)",
            b->cfg.signal_ca_file ? b->cfg.signal_ca_file : "");
    return 0;
}

void br_bridge_free(br_bridge *b)
{
    br_failcount *f;

    if (!b)
        return;
    b->stopping = 1;
    if (b->have_net && b->net.shutdown)
        b->net.shutdown(b->net.ctx);
    if (b->fail_timer)
        b->host->timer_cancel(b->host->host, b->fail_timer);
    br_prov_stop(b);
    br_relate_stop(b);
    br_expire_stop(b);
    br_outbox_stop(b);
    br_retry_stop(b);
    br_portal_stop(b);
    br_group_stop(b);
    br_ephem_free(b);
    br_login_free_all(b);
    while ((f = b->fails)) {
        b->fails = f->next;
        free(f->owner);
        free(f->chat_id);
        free(f);
    }
    br_media_free(b);
    st_db_close(b->db);
    mx_conn_free(b->mx);
    br_config_free(&b->cfg);
    free(b);
}
