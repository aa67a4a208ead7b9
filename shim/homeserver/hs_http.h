/*
 * hs_http.h - mxhs HTTP listener (libevent evhttp) on the loop thread.
 *
 * hs_http_start binds cfg.listen_addr:cfg.port (port 0 = any free port; the
 * bound port is stored in s->port) and serves every request through
 * hs_route(). Paths under /_mxm/ go to module routes via libmxmhost.
 * Errors: -1 with a message in err.
 */
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include "hs.h"

int hs_http_start(hs *s, char *err, size_t errlen);
void hs_http_stop(hs *s);
/* Answer a module-routed request (host_matrix_ops.http_respond). Returns 0,
 * or MXM_ERR_NOTFOUND when `reply_id` was answered already or its client
 * has disconnected (nothing is sent). */
int hs_http_respond(hs *s, uint64_t reply_id, int status,
                    const char *content_type, const void *body, size_t len);
/* A header of a module-routed request not answered yet, or NULL
 * (host_matrix_ops.http_header). */
const char *hs_http_header(hs *s, uint64_t reply_id, const char *name);

#endif
