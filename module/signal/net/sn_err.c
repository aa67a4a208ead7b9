/* sn_err.c - text for SN_ERR_* codes. */
#include "config.h"

#include "sn_err.h"

#include "ut.h"

const char *sn_strerror(int code)
{
    switch (code) {
    case SN_ERR_TLS: return "TLS handshake failed";
    case SN_ERR_TLS_VERIFY: return "server certificate or host name not trusted";
    case SN_ERR_CONNECT: return "could not connect";
    case SN_ERR_CLOSED: return "connection closed";
    case SN_ERR_H2: return "HTTP/2 protocol error";
    case SN_ERR_NO_CONNECT_PROTO: return "server does not allow websockets over HTTP/2";
    case SN_ERR_HTTP_STATUS: return "unexpected HTTP status in websocket handshake";
    case SN_ERR_UPGRADE: return "malformed websocket upgrade response";
    case SN_ERR_WS_PROTO: return "websocket protocol error";
    case SN_ERR_TOO_BIG: return "message over size limit";
    case SN_ERR_TIMEOUT: return "timed out";
    case SN_ERR_DECODE: return "malformed websocket message";
    case SN_ERR_GRPC_FRAME: return "malformed gRPC message framing";
    case SN_ERR_STALE: return "request belongs to a closed connection";
    case SN_ERR_UNAUTHORIZED: return "unauthorized (device unlinked or bad credentials)";
    case SN_ERR_REPLACED: return "connection replaced by another one";
    case SN_ERR_KEEPALIVE: return "keepalive timed out";
    case SN_ERR_STATE: return "not allowed in the current state";
    case SN_ERR_CANCELLED: return "cancelled";
    case SN_ERR_HEADER: return "malformed header";
    case SN_ERR_WS_CLOSED: return "websocket closed by peer";
    case SN_ERR_ALPN: return "no usable ALPN protocol";
    case SN_ERR_DEPRECATED: return "the service refuses this client (HTTP 499)";
    case SN_ERR_DNS: return "host name not found (DNS)";
    default: return ut_strerror(code);
    }
}
