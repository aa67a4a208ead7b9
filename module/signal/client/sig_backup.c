/* sig_backup.c - the history transfer after a link ("link and sync"):
 * wait for the phone's archive, download it, decrypt it, read it, hand it
 * over as SIG_EV_HISTORY.
 *
 * 1. GET /v1/devices/transfer_archive?timeout=S on the chat socket: the
 *    server holds it until the primary has uploaded (200 {"cdn","key"}) or
 *    given up (200 {"error": "RELINK_REQUESTED" | "CONTINUE_WITHOUT_UPLOAD"}),
 *    or answers 204 when S passed (Signal-Server DeviceController
 *    waitForTransferArchive, entities/RemoteAttachmentError.java;
 *    mautrix-signal pkg/signalmeow/backup.go WaitForTransfer and
 *    tryRequestTransferArchive, which asks with 5-minute timeouts and waits
 *    15 s before asking again when an answer came early).
 * 2. GET <cdn>/attachments/<key> (backup.go downloadTransferArchive:
 *    getAttachmentPath(0, key) on the given CDN).
 * 3. Keys from the ephemeral backup key and our ACI (sc_backup.h), MAC
 *    check, decrypt, gunzip, frames (sig_history.h).
 * The key stays in the store until the caller says the history is safe
 * (sig_client_history_done) or the archive can never be read (a failure
 * that a retry cannot mend, or the phone's error): a crash in between
 * asks the server again at the next start. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sc_backup.h"
#include "sig_err.h"
#include "sig_history.h"
#include "sig_int.h"
#include "sn_err.h"

#define POLL_S 300            /* per request, as signalmeow (5 min) */
#define EARLY_RETRY_S 15      /* signalmeow: after an answer well before it */
#define DEFAULT_MAX_MESSAGES 50
#define DEFAULT_MAX_AGE_S (30u * 24u * 3600u)
#define DEFAULT_MAX_ARCHIVE (512u * 1024u * 1024u)

static void poll_now(sig_client *c);

void sig_backup_forget_key(sig_client *c)
{
    ut_wipe(c->ephemeral_backup_key, sizeof(c->ephemeral_backup_key));
    c->has_ephemeral_backup_key = 0;
    if (c->linked)
        (void)sig_rec_del(c, "account", "ephemeral_backup_key");
}

void sig_backup_stop(sig_client *c)
{
    if (c->backup_timer) {
        event_free(c->backup_timer);
        c->backup_timer = NULL;
    }
    c->backup_busy = 0;
}

static void emit(sig_client *c, int err, const sig_history *h)
{
    sig_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_HISTORY;
    ev.err = err;
    ev.history = h;
    sig_emit(c, &ev);
}

/* An end that asking again cannot change: tell the caller, drop the key. */
static void give_up(sig_client *c, int err, const char *why)
{
    c->backup_busy = 0;
    sig_logf(c, UT_LOG_WARN, "signal: history transfer: %s", why);
    sig_backup_forget_key(c);
    emit(c, err, NULL);
}

static void got_archive(sig_client *c, const uint8_t *data, size_t n)
{
    uint8_t aci[16], id[SC_BACKUP_ID_LEN], hk[32], ak[32], *pt = NULL;
    sig_history_limits lim;
    sig_history *h = NULL;
    char err[160];
    size_t pt_len = 0;
    uint32_t max_age;
    int rc;

    if ((rc = sig_uuid_parse(aci, c->aci)) != 0 ||
        (rc = sc_backup_id(id, c->ephemeral_backup_key, aci)) != 0 ||
        (rc = sc_message_backup_key(hk, ak, c->ephemeral_backup_key, id)) != 0) {
        snprintf(err, sizeof(err), "key derivation failed (%d)", rc);
    } else if ((rc = sc_backup_decrypt(&pt, &pt_len, hk, ak, data, n)) != 0) {
        snprintf(err, sizeof(err), "%s",
                 rc == SC_ERR_VERSION ? "the archive has a layout we do not read"
                 : rc == UT_ERR_NOMEM ? "out of memory"
                                      : "the archive's MAC does not match (wrong key or damaged)");
    } else {
        lim.max_messages = c->cfg.history_max_messages ? c->cfg.history_max_messages
                                                       : DEFAULT_MAX_MESSAGES;
        max_age = c->cfg.history_max_age_s ? c->cfg.history_max_age_s : DEFAULT_MAX_AGE_S;
        lim.min_ts = (uint64_t)ut_now_ms() > (uint64_t)max_age * 1000u
                         ? (uint64_t)ut_now_ms() - (uint64_t)max_age * 1000u
                         : 0;
        rc = sig_history_read(&h, pt, pt_len, &lim, err, sizeof(err));
    }
    ut_wipe(hk, sizeof(hk));
    ut_wipe(ak, sizeof(ak));
    ut_free_secret(pt, pt_len);
    if (rc != 0) {
        give_up(c, rc == UT_ERR_NOMEM ? rc : SIG_ERR_HISTORY, err);
        return;
    }
    c->backup_busy = 0;
    c->backup_delivered = 1; /* this process does not ask again */
    /* the archive's groups become known groups (their master keys kept as
     * storage's are), so that their state can be fetched and sent to */
    for (size_t i = 0; i < h->n_chats; i++)
        if (h->chats[i].kind == SIG_HIST_GROUP)
            sig_groups_seen(c, h->chats[i].master_key, 0);
    sig_logf(c, UT_LOG_INFO, "signal: history transfer: %zu chats, %zu messages",
             h->n_chats, h->n_msgs);
    emit(c, 0, h);
    sig_history_free(h);
}

static void dl_resp(int rc, const sn_http_resp *r, void *ud)
{
    sig_client *c = ud;

    if (sig_dead(c) || !c->backup_busy)
        return;
    sig_enter(c);
    if (rc == 0 && r->status == 200)
        got_archive(c, r->body, r->body_len);
    else if (rc == SN_ERR_TOO_BIG)
        give_up(c, SIG_ERR_TOO_BIG, "the archive is larger than history_max_archive");
    else if (rc == 0 && r->status == 404)
        give_up(c, SIG_ERR_HISTORY, "the archive is gone from the CDN");
    else {
        /* the network: the next connection asks again */
        c->backup_busy = 0;
        sig_logf(c, UT_LOG_WARN, "signal: history transfer: download failed (%d)",
                 rc ? rc : (int)r->status);
    }
    sig_leave(c);
}

static int download(sig_client *c, uint32_t cdn, const char *key)
{
    const sig_endpoint *ep = sig_cdn(c, cdn);
    char path[512];
    sn_http_req req;
    int rc;

    /* the key goes into a path: the characters of a CDN key only */
    if (!*key || strpbrk(key, "/?#%\\") || strlen(key) > 256)
        return SIG_ERR_HISTORY;
    if ((rc = sig_ep_path(path, sizeof(path), ep, "/attachments/")) != 0)
        return rc;
    if (strlen(path) + strlen(key) >= sizeof(path))
        return UT_ERR_RANGE;
    strcat(path, key);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    req.max_response = c->cfg.history_max_archive ? c->cfg.history_max_archive
                                                  : DEFAULT_MAX_ARCHIVE;
    req.timeout_ms = 600000;
    return sig_https(c, ep->host, ep->port, &req, dl_resp, c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    sig_enter(c);
    if (!sig_dead(c) && c->backup_busy)
        poll_now(c);
    sig_leave(c);
}

static void poll_later(sig_client *c, unsigned s)
{
    struct timeval tv = {(time_t)s, 0};

    if (!c->backup_timer && !(c->backup_timer = evtimer_new(c->base, on_timer, c))) {
        c->backup_busy = 0;
        return;
    }
    evtimer_add(c->backup_timer, &tv);
}

static void poll_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;
    json_t *j = NULL;
    const char *error = NULL, *key = NULL;
    json_int_t cdn = -1;

    if (sig_dead(c) || !c->backup_busy)
        return;
    sig_enter(c);
    if (rc != 0 || (r->status != 200 && r->status != 204)) {
        /* the socket went, or the server refused (429...): the next
         * connection asks again (sig_backup_resume) */
        c->backup_busy = 0;
        sig_logf(c, UT_LOG_INFO, "signal: history transfer: waiting stopped (%d)",
                 rc ? rc : (int)r->status);
        goto out;
    }
    if (r->status == 204) {
        /* nothing yet: ask again, at once if the server held us the whole
         * time, after a pause if it answered early */
        if ((uint64_t)ut_now_ms() - c->backup_asked_ms + 10000u < POLL_S * 1000u)
            poll_later(c, EARLY_RETRY_S);
        else
            poll_now(c);
        goto out;
    }
    j = r->body ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
    if (!j || json_unpack(j, "{s?s,s?s,s?I}", "error", &error, "key", &key, "cdn", &cdn) != 0) {
        give_up(c, SIG_ERR_JSON, "the server's answer does not parse");
    } else if (error && !strcmp(error, "RELINK_REQUESTED")) {
        /* the phone could not upload and asks for a new link to try again */
        give_up(c, SIG_ERR_HISTORY_RELINK, "the phone asks to link again");
    } else if (error && !strcmp(error, "CONTINUE_WITHOUT_UPLOAD")) {
        /* the user chose to go on without history: this link stays */
        give_up(c, SIG_ERR_HISTORY_SKIPPED, "the phone continues without history");
    } else if (error || !key || cdn < 0 || cdn > 0xffff) {
        give_up(c, SIG_ERR_HISTORY, "the server's answer has neither archive nor known error");
    } else {
        sig_logf(c, UT_LOG_INFO, "signal: history transfer: downloading from CDN %d", (int)cdn);
        if ((rc = download(c, (uint32_t)cdn, key)) != 0)
            give_up(c, rc, "cannot request the archive");
    }
out:
    json_decref(j);
    sig_leave(c);
}

static void poll_now(sig_client *c)
{
    char path[64];

    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED) {
        c->backup_busy = 0; /* the next connection resumes */
        return;
    }
    snprintf(path, sizeof(path), "/v1/devices/transfer_archive?timeout=%d", POLL_S);
    c->backup_asked_ms = (uint64_t)ut_now_ms();
    if (sn_sock_request(c->chat, "GET", path, NULL, 0, NULL, 0, (POLL_S + 15) * 1000u,
                        poll_resp, c) != 0)
        c->backup_busy = 0;
}

void sig_backup_resume(sig_client *c)
{
    if (!c->cfg.history_transfer || !c->has_ephemeral_backup_key || c->backup_busy ||
        c->backup_delivered)
        return;
    c->backup_busy = 1;
    sig_logf(c, UT_LOG_INFO, "signal: history transfer: waiting for the phone's archive");
    poll_now(c);
}

int sig_client_history_done(sig_client *c)
{
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    sig_backup_forget_key(c);
    return 0;
}
