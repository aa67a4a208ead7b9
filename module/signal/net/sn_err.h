/*
 * sn_err.h - error codes of module/signal/net (SN_ERR_*, -1200..-1299).
 *
 * Every sn_ function returns 0 on success or a negative code: one of these,
 * or a UT_ERR_* from ut.h (UT_ERR_NOMEM, UT_ERR_INVAL, UT_ERR_RANGE).
 * Codes are never renumbered; a retired one stays as SN_ERR_OBSOLETE_<n>.
 * Thread: pure functions, any thread.
 */
#ifndef SN_ERR_H
#define SN_ERR_H

enum {
    SN_ERR_TLS = -1200,            /* TLS setup or handshake failed */
    SN_ERR_TLS_VERIFY = -1201,     /* peer certificate or host name not trusted */
    SN_ERR_CONNECT = -1202,        /* TCP connect failed (or DNS, where not told apart) */
    SN_ERR_CLOSED = -1203,         /* the connection closed or was reset */
    SN_ERR_H2 = -1204,             /* HTTP/2 protocol error (nghttp2) */
    SN_ERR_NO_CONNECT_PROTO = -1205, /* server did not enable RFC 8441 CONNECT */
    SN_ERR_HTTP_STATUS = -1206,    /* websocket handshake got an unexpected status */
    SN_ERR_UPGRADE = -1207,        /* malformed HTTP/1.1 upgrade response */
    SN_ERR_WS_PROTO = -1208,       /* websocket protocol violation by the peer */
    SN_ERR_TOO_BIG = -1209,        /* a message or body is over its cap */
    SN_ERR_TIMEOUT = -1210,        /* connect, request or keepalive timed out */
    SN_ERR_DECODE = -1211,         /* malformed WebSocketMessage */
    SN_ERR_GRPC_FRAME = -1212,     /* malformed gRPC length-prefixed message */
    SN_ERR_STALE = -1213,          /* answer for a request of a dead connection */
    SN_ERR_UNAUTHORIZED = -1214,   /* server closed with 3000 (bad credentials / unlinked) */
    SN_ERR_REPLACED = -1215,       /* server closed with 4409 (another socket took over) */
    SN_ERR_KEEPALIVE = -1216,      /* keepalive got no answer in time */
    SN_ERR_STATE = -1217,          /* call not allowed in the object's current state */
    SN_ERR_CANCELLED = -1218,      /* the owner was freed or stopped first */
    SN_ERR_HEADER = -1219,         /* malformed header line */
    SN_ERR_WS_CLOSED = -1220,      /* peer closed the websocket with another code */
    SN_ERR_ALPN = -1221,           /* ALPN gave no protocol this operation can use */
    SN_ERR_DNS = -1222,            /* the host name did not resolve */
    SN_ERR_DEPRECATED = -1240      /* HTTP 499 at the handshake: the service refuses
                                      this client (version or missing capability) */
};

/* Static text for any SN_ERR_* or UT_ERR_* code. Never NULL. */
const char *sn_strerror(int code);

#endif /* SN_ERR_H */
