/* sn_tls.c - OpenSSL contexts and verified TLS bufferevents. */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sn_err.h"
#include "sn_roots.h"
#include "sn_tls.h"
#include "ut.h"

struct sn_tls {
    SSL_CTX *ctx;
};

/* Add Signal's built-in roots (sn_roots.h) to an empty store: 0 or
 * SN_ERR_TLS unless every one of them loaded. */
static int add_signal_roots(X509_STORE *store)
{
    const char *pem = sn_signal_roots_pem();
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x;
    int n = 0;

    if (!bio)
        return UT_ERR_NOMEM;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, x) == 1)
            n++;
        X509_free(x);
    }
    BIO_free(bio);
    return n == SN_SIGNAL_ROOTS ? 0 : SN_ERR_TLS;
}

int sn_tls_new(sn_tls **out, const char *ca_file)
{
    sn_tls *t;
    int rc = 0;

    if (!out)
        return UT_ERR_INVAL;
    *out = NULL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return UT_ERR_NOMEM;
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    /* h2 forbids renegotiation and compression (RFC 7540 §9.2) */
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* An idle linked account keeps two TLS connections open; without this
     * each holds a ~16.7 KiB read and a ~16.7 KiB write record buffer while
     * nothing moves. OpenSSL frees a buffer once it is empty and allocates
     * it again for the next record (openssl doc/man3/SSL_CTX_set_mode.pod,
     * SSL_MODE_RELEASE_BUFFERS). Measured by bench/accounts_bench.js. */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
    /* The store of a new SSL_CTX is empty; only what is added here is
     * trusted. Never SSL_CTX_set_default_verify_paths: the system's store
     * (and SSL_CERT_FILE/SSL_CERT_DIR) must not vouch for a Signal host. */
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1)
            rc = SN_ERR_TLS;
    } else {
        rc = add_signal_roots(SSL_CTX_get_cert_store(t->ctx));
    }
    if (rc)
        goto out;
out:
    ERR_clear_error();
    if (rc) {
        sn_tls_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void sn_tls_free(sn_tls *tls)
{
    if (!tls)
        return;
    SSL_CTX_free(tls->ctx);
    free(tls);
}

int sn_tls_block_sigpipe(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : UT_ERR_IO;
}

static int is_ip(const char *host)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int sn_tls_connect(sn_tls *tls, struct event_base *base, struct evdns_base *dns,
                   const char *host, uint16_t port, int alpn,
                   struct bufferevent **out)
{
    static const unsigned char both[] = "\x02h2\x08http/1.1";
    static const unsigned char h2[] = "\x02h2";
    static const unsigned char h1[] = "\x08http/1.1";
    const unsigned char *ap;
    unsigned int al;
    struct bufferevent *bev = NULL;
    X509_VERIFY_PARAM *param;
    SSL *ssl = NULL;
    int rc = 0;

    if (!tls || !base || !host || !*host || !port || !out)
        return UT_ERR_INVAL;
    *out = NULL;
    if (sn_tls_block_sigpipe() != 0)
        return SN_ERR_CONNECT;
    switch (alpn) {
    case SN_ALPN_H2: ap = h2; al = sizeof(h2) - 1; break;
    case SN_ALPN_H1: ap = h1; al = sizeof(h1) - 1; break;
    case SN_ALPN_H2_H1: ap = both; al = sizeof(both) - 1; break;
    default: return UT_ERR_INVAL;
    }
    ssl = SSL_new(tls->ctx);
    if (!ssl)
        return UT_ERR_NOMEM;
    param = SSL_get0_param(ssl);
    if (is_ip(host)) {
        if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1) {
            rc = SN_ERR_TLS;
            goto out;
        }
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1 ||
            SSL_set_tlsext_host_name(ssl, host) != 1) {
            rc = SN_ERR_TLS;
            goto out;
        }
    }
    if (SSL_set_alpn_protos(ssl, ap, al) != 0) {
        rc = SN_ERR_TLS;
        goto out;
    }
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                         BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    ssl = NULL; /* owned by bev now */
    /* report a failed TLS shutdown as EOF, not as an error */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    if (bufferevent_socket_connect_hostname(bev, dns, AF_UNSPEC, host, port) != 0) {
        rc = SN_ERR_CONNECT;
        goto out;
    }
    /* Without evdns the lookup ran synchronously; its failure event went
     * nowhere (the caller sets callbacks after we return), so the caller
     * would only see its connect timeout. Report it now. */
    if (bufferevent_socket_get_dns_error(bev) != 0) {
        rc = SN_ERR_DNS;
        goto out;
    }
out:
    ERR_clear_error();
    if (rc) {
        if (bev)
            bufferevent_free(bev);
        SSL_free(ssl);
        return rc;
    }
    *out = bev;
    return 0;
}

int sn_tls_protocol(struct bufferevent *bev)
{
    const unsigned char *p = NULL;
    unsigned int n = 0;
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

    if (!ssl)
        return SN_PROTO_NONE;
    SSL_get0_alpn_selected(ssl, &p, &n);
    if (n == 2 && memcmp(p, "h2", 2) == 0)
        return SN_PROTO_H2;
    if (n == 8 && memcmp(p, "http/1.1", 8) == 0)
        return SN_PROTO_H1;
    return SN_PROTO_NONE;
}

int sn_tls_error(struct bufferevent *bev, short events)
{
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    unsigned long e = 0, last = 0;
    int rc;

    while (bev && (e = bufferevent_get_openssl_error(bev)) != 0)
        last = e;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;

    if (ssl && SSL_get_verify_result(ssl) != X509_V_OK)
        rc = SN_ERR_TLS_VERIFY;
    else if (bev && bufferevent_socket_get_dns_error(bev))
        rc = SN_ERR_DNS; /* told apart so an admin knows to check DNS */
    else if (fd < 0 || getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
        rc = SN_ERR_CONNECT; /* TCP never got up: refused, unreachable */
    else if (last)
        rc = (ERR_GET_REASON(last) == SSL_R_CERTIFICATE_VERIFY_FAILED)
                 ? SN_ERR_TLS_VERIFY : SN_ERR_TLS;
    else if ((events & BEV_EVENT_ERROR) && !(events & BEV_EVENT_READING) &&
             !(events & BEV_EVENT_WRITING))
        rc = SN_ERR_CONNECT;
    else
        rc = SN_ERR_CLOSED;
    ERR_clear_error();
    return rc;
}
