/* sig_unauth.c - the unauthenticated chat websocket, for sealed-sender
 * requests the server must not tie to our account: the multi-recipient
 * PUT of a group send goes there, as signalmeow sends it
 * (pkg/signalmeow/senderkey.go: cli.UnauthedWS.SendRequest) and as
 * libsignal's unauthenticated chat connection does for Signal's apps
 * (signal_unauthenticated_chat_connection_send_multi_recipient_message).
 * The Unidentified-Access-Key header is the authorization there. Opened
 * on first use, closed after SIG_UNAUTH_IDLE_MS with nothing queued or in
 * flight, so an idle account holds no second connection (issue #15 item
 * 1); requests made while it connects wait in a queue. */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "sig_int.h"
#include "sn_err.h"

#define SIG_UNAUTH_IDLE_MS 30000
#define MAX_HDRS 4

typedef struct uq {
    struct uq *next;
    sig_client *c;
    char verb[8];
    char *path;
    sn_hdr h[MAX_HDRS];
    size_t nh;
    uint8_t *body;
    size_t len;
    sn_rpc_response_cb cb;
    void *ud;
} uq;

static void uq_free(uq *q)
{
    size_t i;

    for (i = 0; i < q->nh; i++) {
        free((char *)q->h[i].name);
        free((char *)q->h[i].value);
    }
    free(q->path);
    free(q->body);
    free(q);
}

static void arm_idle(sig_client *c)
{
    struct timeval tv = {SIG_UNAUTH_IDLE_MS / 1000, 0};

    if (c->unauth_busy == 0 && !c->unauth_q && c->unauth_idle)
        evtimer_add(c->unauth_idle, &tv);
}

/* In-flight requests report here first, to keep the count. */
static void done(int rc, const sn_rpc_response *r, void *ud)
{
    uq *q = ud;
    sig_client *c = q->c;

    c->unauth_busy--;
    q->cb(rc, r, q->ud);
    uq_free(q);
    if (!sig_dead(c))
        arm_idle(c);
}

static void fail_queue(sig_client *c, int err)
{
    uq *q;

    while ((q = c->unauth_q)) {
        c->unauth_q = q->next;
        q->cb(err, NULL, q->ud);
        uq_free(q);
    }
}

static int send_one(sig_client *c, uq *q)
{
    int rc;

    c->unauth_busy++;
    rc = sn_sock_request(c->unauth_sock, q->verb, q->path, q->h, q->nh, q->body, q->len,
                         30000, done, q);
    if (rc != 0)
        c->unauth_busy--;
    return rc;
}

static void on_state(sn_sock *s, sn_sock_state st, int err, int code, void *ud)
{
    sig_client *c = ud;
    uq *q;

    (void)s;
    (void)code;
    if (sig_dead(c))
        return;
    sig_enter(c);
    if (st == SN_SOCK_CONNECTED) {
        while ((q = c->unauth_q)) {
            int rc;
            c->unauth_q = q->next;
            if ((rc = send_one(c, q)) != 0) {
                q->cb(rc, NULL, q->ud);
                uq_free(q);
            }
        }
        arm_idle(c);
    } else if (st != SN_SOCK_CONNECTING) {
        /* lost or refused: what waits fails (the send is retried later);
         * the next request opens a new one */
        fail_queue(c, err ? err : SN_ERR_CLOSED);
        sn_sock_free(c->unauth_sock); /* allowed inside its callback */
        c->unauth_sock = NULL;
    }
    sig_leave(c);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    if (sig_dead(c))
        return;
    sig_enter(c);
    if (c->unauth_busy == 0 && !c->unauth_q && c->unauth_sock) {
        sn_sock_free(c->unauth_sock);
        c->unauth_sock = NULL;
    }
    sig_leave(c);
}

static int open_unauth(sig_client *c)
{
    sn_sock_callbacks cbs = {on_state, NULL};
    sn_sock_config sc;
    int rc;

    if (!c->unauth_idle && !(c->unauth_idle = evtimer_new(c->base, on_idle, c)))
        return UT_ERR_NOMEM;
    memset(&sc, 0, sizeof(sc));
    sc.host = c->host;
    sc.port = c->cfg.port;
    sc.path = "/v1/websocket/";
    sc.tls = c->tls;
    sc.dns = c->cfg.dns;
    sc.transport = c->cfg.transport;
    sc.keepalive_ms = c->cfg.keepalive_ms;
    sc.no_reconnect = 1;
    sc.log = c->cfg.log;
    if ((rc = sn_sock_new(&c->unauth_sock, c->base, &sc, &cbs, c)) != 0)
        return rc;
    if ((rc = sn_sock_start(c->unauth_sock)) != 0) {
        sn_sock_free(c->unauth_sock);
        c->unauth_sock = NULL;
    }
    return rc;
}

int sig_unauth_request(sig_client *c, const char *verb, const char *path, const sn_hdr *h,
                       size_t nh, const uint8_t *body, size_t len, sn_rpc_response_cb cb,
                       void *ud)
{
    uq *q, **tail;
    size_t i;
    int rc;

    if (nh > MAX_HDRS || strlen(verb) >= sizeof(q->verb))
        return UT_ERR_INVAL;
    if (!(q = calloc(1, sizeof(*q))) || !(q->path = strdup(path)) ||
        !(q->body = malloc(len ? len : 1))) {
        if (q)
            free(q->path);
        free(q);
        return UT_ERR_NOMEM;
    }
    q->c = c;
    strcpy(q->verb, verb);
    if (len)
        memcpy(q->body, body, len);
    q->len = len;
    q->cb = cb;
    q->ud = ud;
    for (i = 0; i < nh; i++, q->nh++)
        if (!(q->h[i].name = strdup(h[i].name)) || !(q->h[i].value = strdup(h[i].value))) {
            free((char *)q->h[i].name);
            uq_free(q);
            return UT_ERR_NOMEM;
        }
    if (c->unauth_idle)
        evtimer_del(c->unauth_idle);
    if (c->unauth_sock && sn_sock_get_state(c->unauth_sock) == SN_SOCK_CONNECTED) {
        if ((rc = send_one(c, q)) != 0)
            uq_free(q);
        return rc;
    }
    if (!c->unauth_sock && (rc = open_unauth(c)) != 0) {
        uq_free(q);
        return rc;
    }
    for (tail = &c->unauth_q; *tail; tail = &(*tail)->next)
        ;
    *tail = q;
    return 0;
}

void sig_unauth_close(sig_client *c)
{
    /* in-flight requests complete (cancelled) as the socket goes */
    sn_sock_free(c->unauth_sock);
    c->unauth_sock = NULL;
    fail_queue(c, SN_ERR_CANCELLED);
    if (c->unauth_idle)
        event_free(c->unauth_idle);
    c->unauth_idle = NULL;
}
