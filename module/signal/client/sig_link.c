/* sig_link.c - linking this device to a phone (signal-service.md §2):
 * provisioning socket -> URL -> ProvisionEnvelope -> PUT /v1/devices/link
 * on an unauthenticated socket -> chat socket -> one-time keys for ACI and
 * PNI -> SIG_EV_LINKED. One timer bounds the whole flow. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "Provisioning.pb-c.h"
#include "sc_prim.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sn_err.h"

static void free_socks(sig_client *c)
{
    sn_sock_free(c->prov);
    c->prov = NULL;
    sn_sock_free(c->unauth);
    c->unauth = NULL;
}

void sig_link_stop(sig_client *c)
{
    free_socks(c);
    if (c->link_timer) {
        event_free(c->link_timer);
        c->link_timer = NULL;
    }
    if (c->pd) {
        sig_provision_wipe(c->pd);
        free(c->pd);
        c->pd = NULL;
    }
    if (c->link_body) {
        json_decref(c->link_body);
        c->link_body = NULL;
    }
    ut_wipe(c->eph_priv, sizeof(c->eph_priv));
    c->prov_had_address = 0;
    c->prov_rotations = 0;
    c->linking = 0;
    c->link_done_pending = 0;
    c->keys_pending = 0;
}

static void link_fail(sig_client *c, int err)
{
    sig_event ev;

    sig_logf(c, UT_LOG_WARN, "signal: link failed: %s", sig_strerror(err));
    sig_link_stop(c);
    if (c->chat && !c->linked) {
        sn_sock_free(c->chat);
        c->chat = NULL;
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_LINK_FAILED;
    ev.err = err;
    sig_emit(c, &ev);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    sig_enter(c);
    if (!sig_dead(c) && c->linking)
        link_fail(c, SIG_ERR_LINK_TIMEOUT);
    sig_leave(c);
}

/* ---- after the envelope: build the /v1/devices/link body ---------------- */

static int build_link_body(sig_client *c)
{
    json_t *aspk = NULL, *akyb = NULL, *pspk = NULL, *pkyb = NULL, *attrs;
    char *name = NULL;
    int rc;

    if ((rc = sig_random_password(c->password)) != 0 ||
        (rc = sig_random_regid(&c->regid[0])) != 0 ||
        (rc = sig_random_regid(&c->regid[1])) != 0)
        return rc;
    c->identity[0] = c->pd->aci_identity;
    c->identity[1] = c->pd->pni_identity;
    c->has_pni = c->pd->has_pni && c->pd->pni[0];
    memcpy(c->aci, c->pd->aci, sizeof(c->aci));
    memcpy(c->pni, c->pd->pni, sizeof(c->pni));
    memcpy(c->number, c->pd->number, sizeof(c->number));
    c->has_profile_key = c->pd->has_profile_key;
    memcpy(c->profile_key, c->pd->profile_key, 32);
    c->has_master_key = c->pd->has_master_key;
    memcpy(c->master_key, c->pd->master_key, 32);
    c->has_ephemeral_backup_key =
        c->cfg.history_transfer && c->pd->has_ephemeral_backup_key;
    if (c->has_ephemeral_backup_key)
        memcpy(c->ephemeral_backup_key, c->pd->ephemeral_backup_key, 32);
    c->backup_delivered = 0;
    /* relinking replaces everything the account had */
    if ((rc = st_record_delete_account(c->db, c->cfg.account)) != 0)
        return rc;
    if ((rc = sig_keys_signed(c, SIG_ID_ACI, &aspk, &akyb)) != 0 ||
        (c->has_pni && (rc = sig_keys_signed(c, SIG_ID_PNI, &pspk, &pkyb)) != 0) ||
        (rc = sig_device_name_encrypt(&name, c->device_name, c->identity[0].pub)) != 0)
        goto out;
    /* capabilities: production answers 409 without them (sig_caps.c) */
    attrs = json_pack("{s:b,s:I,s:s,s:o}", "fetchesMessages", 1, "registrationId",
                      (json_int_t)c->regid[0], "name", name, "capabilities",
                      sig_caps_json(c));
    if (attrs && c->has_pni)
        json_object_set_new(attrs, "pniRegistrationId", json_integer(c->regid[1]));
    c->link_body = json_pack("{s:s,s:o,s:O,s:O}", "verificationCode", c->pd->code,
                             "accountAttributes", attrs, "aciSignedPreKey", aspk,
                             "aciPqLastResortPreKey", akyb);
    if (c->link_body && c->has_pni) {
        json_object_set(c->link_body, "pniSignedPreKey", pspk);
        json_object_set(c->link_body, "pniPqLastResortPreKey", pkyb);
    }
    if (!c->link_body)
        rc = UT_ERR_NOMEM;
out:
    json_decref(aspk);
    json_decref(akyb);
    json_decref(pspk);
    json_decref(pkyb);
    free(name);
    return rc;
}

/* Statuses of PUT /v1/devices/link (Signal-Server DeviceController.linkDevice;
 * mautrix-signal pkg/connector/login.go wrapProvisioningError maps the same). */
static int link_status_err(unsigned status)
{
    switch (status) {
    case 403: return SIG_ERR_LINK_CODE;       /* wrong or used verification code */
    case 409: return SIG_ERR_LINK_CAPABILITY; /* isCapabilityDowngrade */
    case 411: return SIG_ERR_DEVICE_LIMIT;    /* DeviceLimitExceededException */
    case 429: return SIG_ERR_RATE_LIMIT;
    case 499: return SIG_ERR_OUTDATED;        /* RemoteDeprecationFilter */
    default: return SIG_ERR_HTTP;
    }
}

static void link_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;
    json_t *j = NULL;
    json_int_t dev = 0;
    const char *pni = NULL;

    if (sig_dead(c) || !c->linking)
        return;
    sig_enter(c);
    if (rc != 0)
        goto fail;
    if (r->status != 200) {
        sig_logf(c, UT_LOG_WARN, "signal: /v1/devices/link answered %u",
                 (unsigned)r->status);
        rc = link_status_err(r->status);
        goto fail;
    }
    j = r->body ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
    if (!j || json_unpack(j, "{s:I,s?s}", "deviceId", &dev, "pni", &pni) != 0 ||
        dev < 1 || dev > 0xFFFF) {
        rc = SIG_ERR_JSON;
        goto fail;
    }
    c->device_id = (uint32_t)dev;
    if (pni && strlen(pni) == SIG_UUID_STR_LEN && !c->pni[0])
        memcpy(c->pni, pni, SIG_UUID_STR_LEN + 1);
    if ((rc = sig_acct_save(c)) != 0)
        goto fail;
    c->linked = 1;
    c->link_done_pending = 1;
    json_decref(j);
    sn_sock_free(c->unauth);
    c->unauth = NULL;
    if ((rc = sig_chat_open(c)) != 0)
        link_fail(c, rc);
    sig_leave(c);
    return;
fail:
    json_decref(j);
    link_fail(c, rc);
    sig_leave(c);
}

static void unauth_state(sn_sock *s, sn_sock_state st, int err, int code, void *ud)
{
    sig_client *c = ud;
    char auth[256];
    char *body = NULL;
    sn_hdr h[2];
    int rc;

    (void)code;
    if (sig_dead(c) || !c->linking)
        return;
    sig_enter(c);
    if (st == SN_SOCK_CONNECTED && c->link_body) {
        body = json_dumps(c->link_body, JSON_COMPACT);
        rc = body ? sig_basic_auth(c, c->aci, auth, sizeof(auth)) : UT_ERR_NOMEM;
        h[0].name = "authorization";
        h[0].value = auth;
        h[1].name = "content-type";
        h[1].value = "application/json";
        if (rc == 0)
            rc = sn_sock_request(s, "PUT", "/v1/devices/link", h, 2,
                                 (const uint8_t *)body, strlen(body), 30000,
                                 link_resp, c);
        ut_wipe(auth, sizeof(auth));
        free(body);
        json_decref(c->link_body);
        c->link_body = NULL;
        if (rc != 0)
            link_fail(c, rc);
    } else if (st == SN_SOCK_DISCONNECTED || st == SN_SOCK_UNAUTHORIZED ||
               st == SN_SOCK_REPLACED) {
        link_fail(c, err ? err : SN_ERR_CLOSED);
    }
    sig_leave(c);
}

static int open_sock(sig_client *c, sn_sock **out, const char *path,
                     const char *keepalive_path, const sn_sock_callbacks *cbs)
{
    sn_sock_config sc;
    int rc;

    memset(&sc, 0, sizeof(sc));
    sc.host = c->host;
    sc.port = c->cfg.port;
    sc.path = path;
    sc.keepalive_path = keepalive_path;
    sc.tls = c->tls;
    sc.dns = c->cfg.dns;
    sc.transport = c->cfg.transport;
    sc.no_reconnect = 1;
    sc.gate = c->cfg.gate;
    sc.log = c->cfg.log;
    rc = sn_sock_new(out, c->base, &sc, cbs, c);
    if (rc == 0)
        rc = sn_sock_start(*out);
    return rc;
}

/* ---- the provisioning socket ------------------------------------------------ */

static void got_address(sig_client *c, const sn_rpc_incoming *in)
{
    Signalservice__ProvisioningAddress *a;
    sig_event ev;
    char *url = NULL;
    int rc;

    a = in->body ? signalservice__provisioning_address__unpack(NULL, in->body_len,
                                                               in->body)
                 : NULL;
    if (!a || !a->address) {
        rc = SIG_ERR_PROVISION;
    } else {
        rc = sig_prov_url(&url, a->address, c->eph_pub, c->cfg.history_transfer);
    }
    if (a)
        signalservice__provisioning_address__free_unpacked(a, NULL);
    if (rc != 0) {
        link_fail(c, rc);
        return;
    }
    c->prov_had_address = 1;
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_LINK_URL;
    ev.link_url = url;
    sig_emit(c, &ev);
    free(url);
}

static void got_envelope(sig_client *c, const sn_rpc_incoming *in)
{
    sn_sock_callbacks cbs = {unauth_state, NULL};
    int rc;

    c->pd = calloc(1, sizeof(*c->pd));
    if (!c->pd) {
        link_fail(c, UT_ERR_NOMEM);
        return;
    }
    rc = in->body ? sig_prov_decrypt(c->pd, in->body, in->body_len, c->eph_priv)
                  : SIG_ERR_PROVISION;
    ut_wipe(c->eph_priv, sizeof(c->eph_priv));
    if (rc == 0)
        rc = build_link_body(c);
    if (rc == 0)
        rc = open_sock(c, &c->unauth, "/v1/websocket/", NULL, &cbs);
    if (rc != 0)
        link_fail(c, rc);
}

static void prov_request(sn_sock *s, sn_rpc_srvreq *req,
                         const sn_rpc_incoming *in, void *ud)
{
    sig_client *c = ud;
    int is_addr, is_msg;

    if (sig_dead(c) || !c->linking) {
        sn_sock_release(s, req);
        return;
    }
    sig_enter(c);
    is_addr = !strcmp(in->verb, "PUT") && !strcmp(in->path, "/v1/address");
    is_msg = !strcmp(in->verb, "PUT") && !strcmp(in->path, "/v1/message");
    /* handle before answering: `in` is valid until the answer */
    if (is_addr)
        got_address(c, in);
    else if (is_msg)
        got_envelope(c, in);
    if (!sig_dead(c) && c->prov == s) {
        /* The server leaves closing to us; we close it with the rest of the
         * link state (sig_link_stop), not now: closing right after the
         * answer can lose the answer (the mock then logs an error). */
        (void)sn_sock_respond(s, req, is_addr || is_msg ? 200 : 404);
    }
    /* else the socket was freed (link failed): its requests went with it */
    sig_leave(c);
}

/* Provisioning sockets opened after the first; link_timeout bounds the
 * whole link anyway, this only stops a server that closes every socket
 * right after its address from making us spin. */
#define MAX_ROTATIONS 16

static int open_prov(sig_client *c);

/* The server ends a provisioning socket after 90 s (Signal-Server
 * ProvisioningConnectListener: close(1000, "Timeout")), and the QR code of
 * its address dies with it. As Signal-Desktop does on rotation
 * (Provisioner.preload.ts #connect: a new ProvisioningCipher, a new
 * socket, a new URL), open a new socket with a new key pair: its URL goes
 * out as another SIG_EV_LINK_URL, until link_timeout. A socket that never
 * gave an address failed to connect: that ends the link at once. */
static void prov_state(sn_sock *s, sn_sock_state st, int err, int code, void *ud)
{
    sig_client *c = ud;
    int rc;

    if (sig_dead(c) || !c->linking || c->pd || s != c->prov)
        return;
    if (st != SN_SOCK_DISCONNECTED && st != SN_SOCK_UNAUTHORIZED && st != SN_SOCK_REPLACED)
        return;
    sig_enter(c);
    if (st == SN_SOCK_DISCONNECTED && c->prov_had_address && c->prov_rotations < MAX_ROTATIONS) {
        sig_logf(c, UT_LOG_INFO, "signal: the provisioning socket closed (code %d); "
                 "a new one for a new link URL", code);
        c->prov_rotations++;
        sn_sock_free(s); /* released when this callback returns */
        c->prov = NULL;
        if ((rc = open_prov(c)) != 0)
            link_fail(c, rc);
    } else {
        link_fail(c, err ? err : SN_ERR_CLOSED);
    }
    sig_leave(c);
}

/* A provisioning socket with a fresh ephemeral key pair (the URL carries
 * its public half). Paths as Signal-Desktop's SocketManager.ts and
 * libsignal-net's env.rs (CHAT_PROVISIONING_PATH); Signal-Server registers
 * the KeepAliveController with its provisioning endpoint too. */
static int open_prov(sig_client *c)
{
    sn_sock_callbacks cbs = {prov_state, prov_request};
    int rc;

    c->prov_had_address = 0;
    if ((rc = sc_x25519_keypair(c->eph_pub, c->eph_priv)) != 0)
        return rc;
    return open_sock(c, &c->prov, "/v1/websocket/provisioning/",
                     "/v1/keepalive/provisioning", &cbs);
}

int sig_link_start(sig_client *c)
{
    struct timeval tv;
    int rc;

    c->link_timer = evtimer_new(c->base, on_timeout, c);
    if (!c->link_timer)
        return UT_ERR_NOMEM;
    tv.tv_sec = c->cfg.link_timeout_ms / 1000;
    tv.tv_usec = (c->cfg.link_timeout_ms % 1000) * 1000;
    evtimer_add(c->link_timer, &tv);
    c->linking = 1;
    c->prov_rotations = 0;
    rc = open_prov(c);
    if (rc != 0)
        sig_link_stop(c);
    return rc;
}

/* ---- last step: one-time keys on the authenticated socket -------------- */

static void keys_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;
    sig_event ev;

    if (sig_dead(c) || !c->link_done_pending)
        return;
    sig_enter(c);
    if (rc == 0 && r->status != 200)
        rc = SIG_ERR_HTTP;
    if (rc != 0) {
        link_fail(c, rc);
        sig_leave(c);
        return;
    }
    if (--c->keys_pending == 0) {
        sig_logf(c, UT_LOG_INFO, "signal: linked as device %u", (unsigned)c->device_id);
        sig_link_stop(c);
        sig_cert_refresh(c);
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_LINKED;
        ev.number = c->number;
        ev.aci = c->aci;
        ev.device_id = c->device_id;
        sig_emit(c, &ev);
        /* then the history the phone may be uploading for us */
        if (!sig_dead(c))
            sig_backup_resume(c);
    }
    sig_leave(c);
}

static int upload(sig_client *c, int which)
{
    json_t *body = NULL;
    char *s = NULL;
    sn_hdr h = {"content-type", "application/json"};
    int rc = sig_keys_onetime(c, which, c->cfg.prekey_batch, &body);

    if (rc == 0) {
        s = json_dumps(body, JSON_COMPACT);
        rc = s ? sn_sock_request(c->chat, "PUT",
                                 which == SIG_ID_PNI ? "/v2/keys?identity=pni"
                                                     : "/v2/keys?identity=aci",
                                 &h, 1, (const uint8_t *)s, strlen(s), 30000,
                                 keys_resp, c)
               : UT_ERR_NOMEM;
    }
    if (rc == 0)
        c->keys_pending++;
    free(s);
    json_decref(body);
    return rc;
}

/* ---- refill: top up one-time keys when the server runs low ---------- */

typedef struct count_op {
    sig_client *c;
    int which;
} count_op;

static void refill_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;

    if (sig_dead(c))
        return;
    if (rc != 0 || r->status != 200)
        sig_logf(c, UT_LOG_WARN, "signal: pre-key refill failed (%d)",
                 rc ? rc : (int)r->status);
    else
        sig_logf(c, UT_LOG_INFO, "signal: one-time pre-keys refilled");
}

static void count_resp(int rc, const sn_rpc_response *r, void *ud)
{
    count_op *op = ud;
    sig_client *c = op->c;
    json_t *j = NULL, *body = NULL;
    json_int_t n = 0, pq = 0;
    char *s = NULL;
    sn_hdr h = {"content-type", "application/json"};
    uint32_t low = c->cfg.prekey_batch / 2;

    if (sig_dead(c) || rc != 0 || r->status != 200 || !r->body)
        goto out;
    sig_enter(c);
    j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    if (j && json_unpack(j, "{s:I,s?I}", "count", &n, "pqCount", &pq) == 0 &&
        (n < (json_int_t)low || pq < (json_int_t)low) && c->chat &&
        sig_keys_onetime(c, op->which, c->cfg.prekey_batch, &body) == 0 &&
        (s = json_dumps(body, JSON_COMPACT)) != NULL) {
        sig_logf(c, UT_LOG_INFO, "signal: %s pre-keys low (%d EC, %d Kyber): refilling",
                 op->which == SIG_ID_PNI ? "PNI" : "ACI", (int)n, (int)pq);
        (void)sn_sock_request(c->chat, "PUT",
                              op->which == SIG_ID_PNI ? "/v2/keys?identity=pni"
                                                      : "/v2/keys?identity=aci",
                              &h, 1, (const uint8_t *)s, strlen(s), 30000,
                              refill_resp, c);
    }
    free(s);
    json_decref(body);
    json_decref(j);
    sig_leave(c);
out:
    free(op);
}

static void check_counts(sig_client *c, int which)
{
    count_op *op = calloc(1, sizeof(*op));

    if (!op)
        return;
    op->c = c;
    op->which = which;
    if (sn_sock_request(c->chat, "GET",
                        which == SIG_ID_PNI ? "/v2/keys?identity=pni" : "/v2/keys?identity=aci",
                        NULL, 0, NULL, 0, 30000, count_resp, op) != 0)
        free(op);
}

void sig_link_chat_connected(sig_client *c)
{
    int rc;

    /* on every connection, as signalmeow's RegisterCapabilities and
     * Signal-Desktop's registerCapabilities do: a link made by an older
     * release gets what this one declares */
    sig_caps_declare(c);
    sig_profiles_refresh_start(c);
    if (!c->link_done_pending) {
        /* an ordinary (re)connection: keep the server's stock up */
        sig_cert_refresh(c);
        sig_groups_online(c);
        check_counts(c, SIG_ID_ACI);
        if (c->has_pni)
            check_counts(c, SIG_ID_PNI);
        sig_backup_resume(c); /* a transfer a restart interrupted */
        return;
    }
    if (c->keys_pending > 0)
        return;
    rc = upload(c, SIG_ID_ACI);
    if (rc == 0 && c->has_pni)
        rc = upload(c, SIG_ID_PNI);
    if (rc != 0)
        link_fail(c, rc);
}
