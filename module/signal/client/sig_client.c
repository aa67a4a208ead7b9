/* sig_client.c - the account object: creation, events, the deferred flush,
 * the chat socket and its states (see sig_client.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "SignalService.pb-c.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sn_backoff.h"
#include "sn_gate.h"
#include "sn_err.h"

/* Signal's production sealed-sender trust root (public, from libsignal's
 * and Signal-Desktop's configuration). */
static const char prod_trust_root[] = "BXu6QIKVz5MA8gstzfOgRQGqyLqOwNKHL6INkv3IHWMF";

void sig_logf(sig_client *c, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_vlogf(c->cfg.log, level, fmt, ap);
    va_end(ap);
}

static void real_free(sig_client *c);

void sig_enter(sig_client *c)
{
    c->depth++;
}

int sig_leave(sig_client *c)
{
    if (--c->depth == 0 && c->freeing) {
        real_free(c);
        return 1;
    }
    return 0;
}

int sig_dead(const sig_client *c)
{
    return c->tearing || c->freeing;
}

void sig_emit(sig_client *c, const sig_event *ev)
{
    if (sig_dead(c) || !c->cb)
        return;
    c->cb(c, ev, c->ud);
}

static void emit_simple(sig_client *c, sig_event_type t, int err)
{
    sig_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    ev.err = err;
    sig_emit(c, &ev);
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    sig_enter(c);
    if (c->link_err != 0 && !sig_dead(c)) {
        int err = c->link_err;
        c->link_err = 0;
        emit_simple(c, SIG_EV_LINK_FAILED, err);
    }
    if (c->unlinked_pending && !sig_dead(c)) {
        c->unlinked_pending = 0;
        emit_simple(c, SIG_EV_UNLINKED, SIG_ERR_UNLINKED);
    }
    if (c->redeliver_pending && !sig_dead(c)) {
        c->redeliver_pending = 0;
        (void)sig_recv_redeliver(c);
    }
    if (c->farewell_done) {
        /* not from inside the socket's own callback */
        c->farewell_done = 0;
        sn_sock_free(c->farewell);
        c->farewell = NULL;
    }
    sig_leave(c);
}

static void on_batch(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    sig_enter(c);
    if (!sig_dead(c))
        sig_recv_batch_run(c);
    sig_leave(c);
}

static void on_redeliver(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    sig_enter(c);
    if (!sig_dead(c))
        sig_recv_redeliver_run(c);
    sig_leave(c);
}

void sig_kick(sig_client *c)
{
    if (c->defer)
        event_active(c->defer, 0, 0);
}

static int endpoints(sig_client *c, const sig_config *cfg)
{
    const char *url[SIG_EP_COUNT] = {cfg->cdn0_url, cfg->cdn2_url, cfg->cdn3_url,
                                     cfg->storage_url};
    /* where the mock server (and Desktop's mock config) puts them */
    static const char *const mock_prefix[SIG_EP_COUNT] = {"", "", "/cdn3",
                                                          "/storageService"};
    int i;

    for (i = 0; i < SIG_EP_COUNT; i++) {
        sig_endpoint *ep = &c->ep[i];
        if (url[i]) {
            if (sig_endpoint_parse(ep, url[i]) != 0)
                return UT_ERR_INVAL;
            continue;
        }
        if (strlen(cfg->host) >= sizeof(ep->host))
            return UT_ERR_INVAL;
        snprintf(ep->host, sizeof(ep->host), "%s", cfg->host);
        ep->port = cfg->port;
        snprintf(ep->prefix, sizeof(ep->prefix), "%s", mock_prefix[i]);
    }
    /* the copies above are ours; do not keep the caller's pointers */
    c->cfg.cdn0_url = c->cfg.cdn2_url = c->cfg.cdn3_url = c->cfg.storage_url = NULL;
    return 0;
}

const sig_endpoint *sig_cdn(const sig_client *c, uint32_t cdn_number)
{
    return &c->ep[cdn_number == 3 ? SIG_EP_CDN3 : cdn_number == 2 ? SIG_EP_CDN2
                                                                  : SIG_EP_CDN0];
}

int sig_ep_path(char *out, size_t cap, const sig_endpoint *ep, const char *path)
{
    int n = snprintf(out, cap, "%s%s", ep->prefix, path);

    return n < 0 || (size_t)n >= cap ? UT_ERR_RANGE : 0;
}

int sig_client_new(sig_client **out, struct event_base *base, st_db *db,
                   const sig_config *cfg, sig_event_cb cb, void *ud)
{
    sig_client *c;
    uint8_t *root = NULL;
    size_t root_len = 0;
    int rc;

    *out = NULL;
    if (!base || !db || !cfg || !cfg->host || !cfg->port || cfg->account <= 0)
        return UT_ERR_INVAL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return UT_ERR_NOMEM;
    c->base = base;
    c->db = db;
    c->cfg = *cfg;
    c->cb = cb;
    c->ud = ud;
    c->host = strdup(cfg->host);
    c->device_name = strdup(cfg->device_name ? cfg->device_name : "signalbridge");
    c->cfg.host = c->host;
    c->cfg.device_name = c->device_name;
    c->cfg.ca_file = NULL;
    c->cfg.trust_root = NULL;
    c->zk_params = cfg->server_public_params ? strdup(cfg->server_public_params) : NULL;
    c->cfg.server_public_params = NULL;
    if (!c->cfg.link_timeout_ms)
        c->cfg.link_timeout_ms = 60000;
    if (!c->cfg.max_attachment)
        c->cfg.max_attachment = 100u << 20;
    if (!c->cfg.prekey_batch)
        c->cfg.prekey_batch = 100;
    if (!c->cfg.pool_idle_ms)
        c->cfg.pool_idle_ms = SIG_POOL_IDLE_MS;
    if ((rc = endpoints(c, cfg)) != 0)
        goto fail;
    c->defer = event_new(base, -1, 0, on_defer, c);
    c->batch_ev = event_new(base, -1, 0, on_batch, c);
    c->redeliver_ev = evtimer_new(base, on_redeliver, c);
    if (!c->host || !c->device_name || !c->defer || !c->batch_ev || !c->redeliver_ev ||
        (cfg->server_public_params && !c->zk_params)) {
        rc = UT_ERR_NOMEM;
        goto fail;
    }
    if (cfg->tls) {
        c->tls = cfg->tls;
    } else {
        if ((rc = sn_tls_new(&c->tls, cfg->ca_file)) != 0)
            goto fail;
        c->own_tls = 1;
    }
    if ((rc = sc_trust_new(&c->trust)) != 0)
        goto fail;
    rc = sig_b64_decode(cfg->trust_root ? cfg->trust_root : prod_trust_root,
                        &root, &root_len);
    if (rc == 0)
        rc = sc_trust_add_root(c->trust, root, root_len);
    free(root);
    if (rc != 0)
        goto fail;
    rc = sig_acct_load(c);
    if (rc != 0 && rc != SIG_ERR_NOT_LINKED)
        goto fail;
    *out = c;
    return 0;
fail:
    real_free(c);
    return rc;
}

static void real_free(sig_client *c)
{
    c->tearing = 1;
    sig_link_stop(c);
    sig_backup_stop(c);
    sig_recv_batch_free(c); /* commit and ack before the socket goes */
    /* pending requests complete (cancelled) and free their sends */
    sn_sock_free(c->chat);
    c->chat = NULL;
    sn_sock_free(c->farewell);
    c->farewell = NULL;
    sig_unauth_close(c);
    sig_pool_close(c);
    sig_send_cancel_all(c, SIG_ERR_CANCELLED);
    sig_fetch_cancel_all(c);
    sig_profiles_refresh_stop(c);
    sig_storage_cancel_all(c);
    sig_attach_cancel_all(c);
    sig_groups_free(c);
    sig_pool_close(c); /* nothing above may have asked for a new one */
    free(c->zk_params);
    if (c->defer)
        event_free(c->defer);
    if (c->batch_ev)
        event_free(c->batch_ev);
    if (c->redeliver_ev)
        event_free(c->redeliver_ev);
    sc_trust_free(c->trust);
    if (c->own_tls)
        sn_tls_free(c->tls);
    free(c->host);
    free(c->device_name);
    ut_wipe(c, sizeof(*c));
    free(c);
}

int sig_https(sig_client *c, const char *host, uint16_t port, const sn_http_req *req,
              sn_http_cb cb, void *ud)
{
    int rc;

    if (!c->pool) {
        if ((rc = sn_pool_new(&c->pool, c->base, c->tls, c->cfg.dns, 0)) != 0)
            return rc;
        /* Servers drop idle connections on their own, often silently;
         * closing ours first saves a failed request and a socket per idle
         * account. */
        if ((rc = sn_pool_set_idle(c->pool, c->cfg.pool_idle_ms)) != 0) {
            sn_pool_free(c->pool);
            c->pool = NULL;
            return rc;
        }
        sn_pool_set_gate(c->pool, c->cfg.gate); /* one bound with the websockets */
    }
    return sn_pool_request(c->pool, host, port, req, cb, ud);
}

uint32_t sig_retry_after(const sn_hdrs *h)
{
    uint32_t ms = 0;

    if (!h || sn_retry_after_ms(sn_hdrs_get(h, "retry-after"), SIG_RETRY_AFTER_MAX_MS, &ms) != 0)
        return 0;
    return ms;
}

void sig_pool_close(sig_client *c)
{
    sn_pool *p = c->pool;

    c->pool = NULL; /* a callback that asks again gets a new pool */
    sn_pool_free(p);
}

void sig_client_free(sig_client *c)
{
    if (!c)
        return;
    if (c->depth > 0) {
        c->freeing = 1;
        return;
    }
    real_free(c);
}

int sig_client_is_linked(const sig_client *c)
{
    return c->linked;
}

const char *sig_client_aci(const sig_client *c)
{
    return c->linked ? c->aci : NULL;
}

const char *sig_client_number(const sig_client *c)
{
    return c->linked ? c->number : NULL;
}

uint32_t sig_client_device_id(const sig_client *c)
{
    return c->linked ? c->device_id : 0;
}

int sig_basic_auth(sig_client *c, const char *user, char *out, size_t cap)
{
    char cred[256];
    char *b64 = NULL;
    int n, rc;

    n = snprintf(cred, sizeof(cred), "%s:%s", user, c->password);
    if (n < 0 || (size_t)n >= sizeof(cred))
        return UT_ERR_RANGE;
    rc = sig_b64_encode((const uint8_t *)cred, (size_t)n, &b64);
    ut_wipe(cred, sizeof(cred));
    if (rc != 0)
        return rc;
    n = snprintf(out, cap, "Basic %s", b64);
    ut_free_secret(b64, strlen(b64));
    return n < 0 || (size_t)n >= cap ? UT_ERR_RANGE : 0;
}

/* ---- the chat socket ------------------------------------------------------ */

static void set_conn(sig_client *c, int conn, int err)
{
    sig_event ev;

    if (c->conn == conn && err == 0)
        return;
    c->conn = conn;
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_CONN;
    ev.conn = conn;
    ev.err = err;
    sig_emit(c, &ev);
}

static void chat_state(sn_sock *s, sn_sock_state st, int err, int code, void *ud)
{
    sig_client *c = ud;

    (void)s;
    if (sig_dead(c))
        return;
    sig_enter(c);
    switch (st) {
    case SN_SOCK_CONNECTING:
        set_conn(c, SIG_CONN_CONNECTING, 0);
        break;
    case SN_SOCK_CONNECTED:
        sig_logf(c, UT_LOG_INFO, "signal: chat socket connected (device %u)",
                 (unsigned)c->device_id);
        set_conn(c, SIG_CONN_ONLINE, 0);
        if (!sig_dead(c))
            sig_link_chat_connected(c);
        break;
    case SN_SOCK_DISCONNECTED:
        sig_logf(c, UT_LOG_WARN, "signal: chat socket lost: %s", sig_strerror(err));
        set_conn(c, SIG_CONN_CONNECTING, err);
        break;
    case SN_SOCK_UNAUTHORIZED: {
        /* 499: the service shuts this client out (a device without spqr);
         * otherwise the credentials were refused: the device is unlinked */
        int why = err == SN_ERR_DEPRECATED ? SIG_ERR_OUTDATED : SIG_ERR_UNLINKED;

        sig_logf(c, UT_LOG_WARN, "signal: chat socket refused (close %d): %s",
                 code, sig_strerror(why));
        set_conn(c, SIG_CONN_OFFLINE, why);
        if (c->link_done_pending) {
            c->link_done_pending = 0;
            c->linking = 0;
            emit_simple(c, SIG_EV_LINK_FAILED, why);
        } else {
            emit_simple(c, SIG_EV_UNLINKED, why);
        }
        break;
    }
    case SN_SOCK_REPLACED:
        set_conn(c, SIG_CONN_OFFLINE, err);
        break;
    case SN_SOCK_STOPPED:
        set_conn(c, SIG_CONN_OFFLINE, 0);
        break;
    }
    sig_leave(c);
}

static void chat_request(sn_sock *s, sn_rpc_srvreq *req,
                         const sn_rpc_incoming *in, void *ud)
{
    sig_client *c = ud;

    if (sig_dead(c)) {
        sn_sock_release(s, req);
        return;
    }
    sig_enter(c);
    sig_recv_request(c, req, in);
    sig_leave(c);
}

/* An authenticated websocket to /v1/websocket/ (started). */
static int open_sock(sig_client *c, sn_sock **out, const sn_sock_callbacks *cbs,
                     int no_reconnect)
{
    sn_sock_config sc;
    char user[64], auth[256];
    sn_hdr h;
    int rc;

    snprintf(user, sizeof(user), "%s.%u", c->aci, (unsigned)c->device_id);
    if ((rc = sig_basic_auth(c, user, auth, sizeof(auth))) != 0)
        return rc;
    h.name = "authorization";
    h.value = auth;
    memset(&sc, 0, sizeof(sc));
    sc.host = c->host;
    sc.port = c->cfg.port;
    sc.path = "/v1/websocket/";
    sc.headers = &h;
    sc.n_headers = 1;
    sc.tls = c->tls;
    sc.dns = c->cfg.dns;
    sc.transport = c->cfg.transport;
    sc.keepalive_ms = c->cfg.keepalive_ms;
    sc.no_reconnect = no_reconnect;
    sc.gate = c->cfg.gate;
    sc.log = c->cfg.log;
    rc = sn_sock_new(out, c->base, &sc, cbs, c);
    ut_wipe(auth, sizeof(auth));
    if (rc == 0 && (rc = sn_sock_start(*out)) != 0) {
        sn_sock_free(*out);
        *out = NULL;
    }
    return rc;
}

int sig_chat_open(sig_client *c)
{
    sn_sock_callbacks cbs = {chat_state, chat_request};

    if (c->chat)
        return sn_sock_get_state(c->chat) == SN_SOCK_STOPPED ||
                       sn_sock_get_state(c->chat) == SN_SOCK_UNAUTHORIZED
                   ? sn_sock_start(c->chat)
                   : 0;
    return open_sock(c, &c->chat, &cbs, 0);
}

int sig_client_link(sig_client *c)
{
    if (c->linked || c->linking)
        return SIG_ERR_STATE;
    return sig_link_start(c);
}

int sig_client_start(sig_client *c)
{
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    c->redeliver_pending = 1;
    sig_kick(c);
    return sig_chat_open(c);
}

void sig_client_stop(sig_client *c)
{
    if (c->linking) {
        sig_link_stop(c);
        c->link_err = SIG_ERR_CANCELLED;
        sig_kick(c);
    }
    /* acks go out before the socket closes; messages not yet handed over
     * are stored and re-emitted by the next sig_client_start */
    sig_recv_batch_free(c);
    if (c->chat)
        sn_sock_stop(c->chat);
}

static void farewell_end(sig_client *c)
{
    c->farewell_done = 1; /* freed at the next loop turn */
    sig_kick(c);
}

static void farewell_answered(int rc, const sn_rpc_response *resp, void *ud)
{
    sig_client *c = ud;

    if (sig_dead(c))
        return;
    ut_logf(c->cfg.log, UT_LOG_INFO, "signal: the server %s the removal of this device (%s %u)",
            rc == 0 && resp->status / 100 == 2 ? "confirmed" : "did not confirm",
            rc == 0 ? "HTTP" : "error", rc == 0 ? (unsigned)resp->status : (unsigned)-rc);
    farewell_end(c);
}

static void farewell_state(sn_sock *s, sn_sock_state st, int err, int code, void *ud)
{
    sig_client *c = ud;
    char path[48];

    (void)err;
    (void)code;
    if (sig_dead(c) || c->farewell_done || s != c->farewell)
        return;
    if (st == SN_SOCK_CONNECTED) {
        snprintf(path, sizeof(path), "/v1/devices/%u", (unsigned)c->farewell_device);
        if (sn_sock_request(s, "DELETE", path, NULL, 0, NULL, 0, 10000, farewell_answered, c) != 0)
            farewell_end(c);
    } else if (st != SN_SOCK_CONNECTING) {
        farewell_end(c); /* no_reconnect: it will not come back */
    }
}

/* Ask the service to drop this linked device, as a linked device may for
 * itself (DELETE /v1/devices/<id> on an authenticated socket), so the
 * phone's list of linked devices no longer shows it. Best effort, on a
 * socket of its own: the chat socket's pending requests are cancelled by
 * the logout, and the local logout does not wait for the answer. */
static void say_farewell(sig_client *c)
{
    sn_sock_callbacks cbs = {farewell_state, NULL};

    if (c->farewell || !c->linked || c->device_id <= 1 || !c->chat ||
        sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return; /* credentials the server took a moment ago, or nothing */
    c->farewell_done = 0;
    c->farewell_device = c->device_id;
    if (open_sock(c, &c->farewell, &cbs, 1) != 0)
        c->farewell = NULL;
}

int sig_client_logout(sig_client *c)
{
    static const char sql[] = "DELETE FROM sig_inbox WHERE account = ?1";
    struct sqlite3_stmt *st;
    int rc;

    sig_link_stop(c);
    sig_recv_batch_free(c);
    say_farewell(c);
    c->tearing = 1; /* cancelled callbacks below must not emit */
    sn_sock_free(c->chat);
    c->chat = NULL;
    sig_pool_close(c);
    sig_send_cancel_all(c, SIG_ERR_CANCELLED);
    sig_fetch_cancel_all(c);
    sig_storage_cancel_all(c);
    sig_attach_cancel_all(c);
    sig_groups_cancel_all(c);
    c->tearing = 0;
    c->conn = SIG_CONN_OFFLINE;
    if ((rc = st_db_begin(c->db)) != 0)
        return rc;
    rc = st_record_delete_account(c->db, c->cfg.account);
    if (rc == 0 && !(st = st_db_stmt(c->db, sql)))
        rc = ST_ERR_SQL;
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, c->cfg.account);
        rc = st_db_step_done(c->db, st);
    }
    if (rc == 0)
        rc = st_db_commit(c->db);
    else
        st_db_rollback(c->db);
    if (rc != 0)
        return rc;
    ut_wipe(c->identity, sizeof(c->identity));
    ut_wipe(c->password, sizeof(c->password));
    ut_wipe(c->profile_key, sizeof(c->profile_key));
    ut_wipe(c->master_key, sizeof(c->master_key));
    ut_wipe(c->ephemeral_backup_key, sizeof(c->ephemeral_backup_key));
    sig_backup_stop(c);
    c->backup_delivered = 0;
    c->linked = c->has_pni = c->has_profile_key = c->has_master_key = 0;
    c->has_ephemeral_backup_key = 0;
    c->aci[0] = c->pni[0] = c->number[0] = '\0';
    c->device_id = 0;
    return 0;
}

int sig_client_send_text(sig_client *c, const char *to, const char *text,
                         void *send_ud, uint64_t *timestamp_out)
{
    return sig_client_send_text_at(c, to, text, 0, send_ud, timestamp_out);
}

int sig_client_send_text_at(sig_client *c, const char *to, const char *text,
                            uint64_t ts, void *send_ud, uint64_t *timestamp_out)
{
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    return sig_send_text(c, to, text, ts, send_ud, timestamp_out);
}

int sig_client_request_sync(sig_client *c)
{
    static const uint32_t types[] = {1, 3, 4, 5}; /* contacts, blocked,
                                                     configuration, keys */
    size_t i;
    int rc = 0;

    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    for (i = 0; i < sizeof(types) / sizeof(types[0]) && rc == 0; i++) {
        Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
        Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
        Signalservice__SyncMessage__Request rq =
            SIGNALSERVICE__SYNC_MESSAGE__REQUEST__INIT;
        uint8_t buf[32];

        rq.has_type = 1;
        rq.type = types[i];
        sm.request = &rq;
        ct.syncmessage = &sm;
        if (signalservice__content__get_packed_size(&ct) > sizeof(buf))
            return UT_ERR_RANGE;
        rc = sig_send_content_to_self(c, buf, signalservice__content__pack(&ct, buf),
                                      (uint64_t)ut_now_ms() + i);
    }
    return rc;
}

const char *sig_event_name(sig_event_type t)
{
    switch (t) {
    case SIG_EV_LINK_URL: return "link_url";
    case SIG_EV_LINKED: return "linked";
    case SIG_EV_LINK_FAILED: return "link_failed";
    case SIG_EV_CONN: return "conn";
    case SIG_EV_MESSAGE: return "message";
    case SIG_EV_QUEUE_EMPTY: return "queue_empty";
    case SIG_EV_RECEIPT: return "receipt";
    case SIG_EV_TYPING: return "typing";
    case SIG_EV_DECRYPT_FAILED: return "decrypt_failed";
    case SIG_EV_UNLINKED: return "unlinked";
    case SIG_EV_SEND_DONE: return "send_done";
    case SIG_EV_CONTACT: return "contact";
    case SIG_EV_SYNC_DONE: return "sync_done";
    case SIG_EV_GROUP: return "group";
    case SIG_EV_DOWNLOAD_DONE: return "download_done";
    case SIG_EV_IDENTITY_CHANGED: return "identity_changed";
    case SIG_EV_GROUP_UPDATED: return "group_updated";
    case SIG_EV_HISTORY: return "history";
    case SIG_EV_AVATAR: return "avatar";
    case SIG_EV_GROUP_CHANGED: return "group_changed";
    }
    return "?";
}
