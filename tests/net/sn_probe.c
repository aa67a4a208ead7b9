/*
 * sn_probe.c - a tiny client on the signal/net stack for the node end-to-end
 * tests (tests/net/net-*.js). Prints one JSON object per line on stdout.
 *
 *   sn_probe HOST PORT CA ws PATH [options]   a websocket via sn_sock
 *       --transport auto|h2|h1  --auth VALUE  --keepalive MS  --ka-timeout MS
 *       --no-reconnect  --no-ack  --backoff MS
 *       --count N   N sockets with the same settings on the one event loop
 *     stdin commands: "req VERB PATH" (prints the response), "quit".
 *   sn_probe HOST PORT CA http METHOD PATH    one HTTP/2 request
 *   sn_probe HOST PORT CA grpc PATH HEX       one unary gRPC call
 *   sn_probe HOST PORT CA pool [IDLE_MS]      requests through an sn_pool
 *     (IDLE_MS: sn_pool_set_idle)
 *     stdin commands: "get PATH" (prints the response), "size" (prints
 *     the pool's size), "ping" (an HTTP/2 PING on the pooled connection),
 *     "quit".
 *
 * SN_PROBE_EVDNS=1 resolves host names with libevent's asynchronous evdns.
 * Not installed; test helper only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "sn_err.h"
#include "sn_grpc.h"
#include "sn_h2.h"
#include "sn_pool.h"
#include "sn_sock.h"

#define MAX_SOCKS 64

typedef struct probe probe;
typedef struct slot {
    probe *p;
    int i;
} slot;

struct probe {
    struct event_base *base;
    sn_sock *sock;            /* socks[0] */
    sn_sock *socks[MAX_SOCKS];
    slot slots[MAX_SOCKS];
    int count;
    sn_h2 *h2;
    sn_pool *pool;
    const char *host;
    uint16_t port;
    int ack;
    int rc;
    char line[4096];
    size_t line_len;
};

static void print_hex(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void print_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *state_name(sn_sock_state st)
{
    switch (st) {
    case SN_SOCK_CONNECTING: return "connecting";
    case SN_SOCK_CONNECTED: return "connected";
    case SN_SOCK_DISCONNECTED: return "disconnected";
    case SN_SOCK_UNAUTHORIZED: return "unauthorized";
    case SN_SOCK_REPLACED: return "replaced";
    case SN_SOCK_STOPPED: return "stopped";
    }
    return "?";
}

static void on_state(sn_sock *s, sn_sock_state st, int err, int code, void *ud)
{
    int t = sn_sock_transport(s);
    slot *sl = ud;

    printf("{\"ev\":\"state\",\"i\":%d,\"state\":\"%s\",\"err\":%d,\"errtext\":", sl->i,
           state_name(st), err);
    print_str(sn_strerror(err));
    printf(",\"close\":%d,\"transport\":\"%s\",\"n\":%u}\n", code,
           t == SN_PROTO_H2 ? "h2" : t == SN_PROTO_H1 ? "http/1.1" : "", sn_sock_connections(s));
    fflush(stdout);
}

static void on_request(sn_sock *s, sn_rpc_srvreq *req, const sn_rpc_incoming *in, void *ud)
{
    slot *sl = ud;
    probe *p = sl->p;
    int rc;

    printf("{\"ev\":\"request\",\"i\":%d,\"verb\":", sl->i);
    print_str(in->verb);
    printf(",\"path\":");
    print_str(in->path);
    printf(",\"id\":%llu,\"body\":\"", (unsigned long long)in->id);
    print_hex(in->body, in->body_len);
    printf("\"}\n");
    fflush(stdout);
    if (!p->ack) {
        sn_sock_release(s, req);
        return;
    }
    rc = sn_sock_respond(s, req, 200);
    printf("{\"ev\":\"acked\",\"i\":%d,\"id\":%llu,\"rc\":%d}\n", sl->i,
           (unsigned long long)in->id, rc);
    fflush(stdout);
}

static void on_response(int rc, const sn_rpc_response *r, void *ud)
{
    (void)ud;
    printf("{\"ev\":\"response\",\"rc\":%d,\"status\":%u,\"body\":", rc, r ? r->status : 0);
    if (r && r->body) {
        char *b = strndup((const char *)r->body, r->body_len);
        print_str(b);
        free(b);
    } else {
        print_str("");
    }
    printf("}\n");
    fflush(stdout);
}

static void http_done(int rc, const sn_http_resp *r, void *ud);
static void ping_done(sn_h2 *h2, int rc, void *ud);

static void stdin_cb(evutil_socket_t fd, short what, void *arg)
{
    probe *p = arg;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));
    ssize_t i;

    (void)what;
    if (n <= 0) {
        event_base_loopexit(p->base, NULL);
        return;
    }
    for (i = 0; i < n; i++) {
        char verb[16], path[1024];
        if (buf[i] != '\n') {
            if (p->line_len < sizeof(p->line) - 1)
                p->line[p->line_len++] = buf[i];
            continue;
        }
        p->line[p->line_len] = '\0';
        p->line_len = 0;
        if (strcmp(p->line, "quit") == 0) {
            int k;
            for (k = 0; k < p->count; k++)
                sn_sock_stop(p->socks[k]);
            event_base_loopexit(p->base, NULL);
        } else if (p->pool && strcmp(p->line, "size") == 0) {
            printf("{\"ev\":\"size\",\"pool\":%u}\n", sn_pool_size(p->pool));
            fflush(stdout);
        } else if (p->pool && strcmp(p->line, "ping") == 0) {
            sn_h2 *h2;
            int rc = sn_pool_get(p->pool, p->host, p->port, &h2);
            if (rc == 0)
                rc = sn_h2_ping(h2, 5000, ping_done, p);
            if (rc)
                ping_done(NULL, rc, p);
        } else if (p->pool && sscanf(p->line, "get %1023s", path) == 1) {
            sn_http_req req;
            int rc;
            memset(&req, 0, sizeof(req));
            req.method = "GET";
            req.path = path;
            req.timeout_ms = 5000;
            rc = sn_pool_request(p->pool, p->host, p->port, &req, http_done, p);
            if (rc)
                http_done(rc, NULL, p);
        } else if (sscanf(p->line, "req %15s %1023s", verb, path) == 2) {
            int rc = sn_sock_request(p->sock, verb, path, NULL, 0, NULL, 0, 5000,
                                     on_response, p);
            if (rc)
                on_response(rc, NULL, p);
        }
    }
}

static void http_done(int rc, const sn_http_resp *r, void *ud)
{
    probe *p = ud;
    size_t i;

    printf("{\"ev\":\"http\",\"rc\":%d,\"errtext\":", rc);
    print_str(sn_strerror(rc));
    if (r) {
        char *b = strndup((const char *)(r->body ? r->body : (const uint8_t *)""), r->body_len);
        printf(",\"status\":%d,\"headers\":{", r->status);
        for (i = 0; i < r->headers->n; i++) {
            printf(i ? "," : "");
            print_str(r->headers->v[i].name);
            putchar(':');
            print_str(r->headers->v[i].value);
        }
        printf("},\"body\":");
        print_str(b);
        free(b);
    }
    if (p->pool)
        printf(",\"pool\":%u", sn_pool_size(p->pool));
    printf("}\n");
    fflush(stdout);
    if (p->pool)
        return; /* stays up for the next command */
    p->rc = rc;
    sn_h2_free(p->h2); /* from inside its own callback: deferred */
    p->h2 = NULL;
    event_base_loopexit(p->base, NULL);
}

static void ping_done(sn_h2 *h2, int rc, void *ud)
{
    (void)h2;
    (void)ud;
    printf("{\"ev\":\"ping\",\"rc\":%d}\n", rc);
    fflush(stdout);
}

static void grpc_done(int rc, int status, const char *msg, const uint8_t *m, size_t n, void *ud)
{
    probe *p = ud;

    printf("{\"ev\":\"grpc\",\"rc\":%d,\"grpc_status\":%d,\"grpc_message\":", rc, status);
    print_str(msg);
    printf(",\"msg\":\"");
    print_hex(m, n);
    printf("\"}\n");
    fflush(stdout);
    p->rc = rc;
    event_base_loopexit(p->base, NULL);
}

static void h2_closed(sn_h2 *h2, int err, void *ud)
{
    (void)h2;
    (void)ud;
    printf("{\"ev\":\"h2closed\",\"err\":%d,\"errtext\":", err);
    print_str(sn_strerror(err));
    printf("}\n");
    fflush(stdout);
}

static int unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = strlen(s) / 2, i;

    if (n > max)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    probe p;
    sn_tls *tls = NULL;
    struct evdns_base *dns = NULL;
    struct event *ev_in = NULL;
    int rc, i;

    memset(&p, 0, sizeof(p));
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT CA ws|http|grpc ...\n", argv[0]);
        return 2;
    }
    p.base = event_base_new();
    if (getenv("SN_PROBE_EVDNS"))
        dns = evdns_base_new(p.base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    rc = sn_tls_new(&tls, strcmp(argv[3], "-") ? argv[3] : NULL);
    if (rc) {
        printf("{\"ev\":\"error\",\"rc\":%d}\n", rc);
        return 1;
    }
    if (strcmp(argv[4], "ws") == 0 && argc >= 6) {
        sn_sock_config cfg;
        sn_sock_callbacks cbs = {on_state, on_request};
        sn_hdr auth = {"authorization", NULL};

        memset(&cfg, 0, sizeof(cfg));
        cfg.host = argv[1];
        cfg.port = (uint16_t)strtoul(argv[2], NULL, 10);
        cfg.path = argv[5];
        cfg.tls = tls;
        cfg.dns = dns;
        cfg.connect_timeout_ms = 10000;
        p.ack = 1;
        for (i = 6; i < argc; i++) {
            const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
            if (strcmp(a, "--transport") == 0) {
                cfg.transport = !strcmp(v, "h2") ? SN_WS_H2 : !strcmp(v, "h1") ? SN_WS_H1 : SN_WS_AUTO;
                i++;
            } else if (strcmp(a, "--auth") == 0) {
                auth.value = v;
                cfg.headers = &auth;
                cfg.n_headers = 1;
                i++;
            } else if (strcmp(a, "--keepalive") == 0) {
                cfg.keepalive_ms = (uint32_t)strtoul(v, NULL, 10);
                i++;
            } else if (strcmp(a, "--ka-timeout") == 0) {
                cfg.keepalive_timeout_ms = (uint32_t)strtoul(v, NULL, 10);
                i++;
            } else if (strcmp(a, "--backoff") == 0) {
                cfg.backoff_base_ms = (uint32_t)strtoul(v, NULL, 10);
                cfg.backoff_max_ms = cfg.backoff_base_ms * 4;
                i++;
            } else if (strcmp(a, "--no-reconnect") == 0) {
                cfg.no_reconnect = 1;
            } else if (strcmp(a, "--no-ack") == 0) {
                p.ack = 0;
            } else if (strcmp(a, "--count") == 0) {
                p.count = (int)strtol(v, NULL, 10);
                i++;
            }
        }
        if (p.count < 1 || p.count > MAX_SOCKS)
            p.count = 1;
        rc = 0;
        for (i = 0; i < p.count && rc == 0; i++) {
            p.slots[i].p = &p;
            p.slots[i].i = i;
            rc = sn_sock_new(&p.socks[i], p.base, &cfg, &cbs, &p.slots[i]);
            if (rc == 0)
                rc = sn_sock_start(p.socks[i]);
        }
        p.sock = p.socks[0];
        ev_in = event_new(p.base, 0, EV_READ | EV_PERSIST, stdin_cb, &p);
        event_add(ev_in, NULL);
    } else if (strcmp(argv[4], "pool") == 0) {
        p.host = argv[1];
        p.port = (uint16_t)strtoul(argv[2], NULL, 10);
        rc = sn_pool_new(&p.pool, p.base, tls, dns, 10000);
        if (rc == 0 && argc >= 6)
            rc = sn_pool_set_idle(p.pool, (uint32_t)strtoul(argv[5], NULL, 10));
        ev_in = event_new(p.base, 0, EV_READ | EV_PERSIST, stdin_cb, &p);
        event_add(ev_in, NULL);
    } else if (strcmp(argv[4], "http") == 0 || strcmp(argv[4], "grpc") == 0) {
        sn_h2_callbacks hc = {NULL, h2_closed};

        rc = argc < 6 ? UT_ERR_INVAL : sn_h2_connect(&p.h2, p.base, tls, dns, argv[1],
                           (uint16_t)strtoul(argv[2], NULL, 10), 10000, &hc, &p);
        if (rc == 0 && argv[4][0] == 'h' && argc >= 7) {
            sn_http_req req;
            memset(&req, 0, sizeof(req));
            req.method = argv[5];
            req.path = argv[6];
            req.timeout_ms = 5000;
            rc = sn_h2_request(p.h2, &req, http_done, &p);
        } else if (rc == 0 && argc >= 7) {
            uint8_t msg[1024];
            int n = unhex(argv[6], msg, sizeof(msg));
            rc = n < 0 ? UT_ERR_INVAL
                       : sn_grpc_unary(p.h2, argv[5], NULL, 0, msg, (size_t)n, 0, 5000,
                                       grpc_done, &p);
        } else if (rc == 0) {
            rc = UT_ERR_INVAL;
        }
    } else {
        rc = UT_ERR_INVAL;
    }
    if (rc) {
        printf("{\"ev\":\"error\",\"rc\":%d,\"errtext\":", rc);
        print_str(sn_strerror(rc));
        printf("}\n");
    } else {
        event_base_dispatch(p.base);
    }
    for (i = 0; i < p.count; i++)
        sn_sock_free(p.socks[i]);
    sn_h2_free(p.h2);
    sn_pool_free(p.pool);
    if (ev_in)
        event_free(ev_in);
    event_base_loop(p.base, EVLOOP_NONBLOCK); /* run deferred reaping */
    sn_tls_free(tls);
    if (dns)
        evdns_base_free(dns, 0);
    event_base_free(p.base);
    return rc || p.rc ? 1 : 0;
}
