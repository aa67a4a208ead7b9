/*
 * br_signal.c - the Signal side of the bridge. Until module/signal/client
 * is part of the build this reports that there is no Signal side, and the
 * bot tells users so (it never pretends to link).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "br_signal.h"

struct br_signal {
    const mxm_host_api *host;
};

int br_signal_new(br_signal **out, const mxm_host_api *host,
                  const br_config *cfg, char *err, size_t errlen)
{
    br_signal *s = calloc(1, sizeof(*s));

    (void)cfg;
    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return UT_ERR_NOMEM;
    }
    s->host = host;
    *out = s;
    return 0;
}

int br_signal_ops(br_signal *s, struct br_bridge *bridge, br_net_ops *ops)
{
    (void)s;
    (void)bridge;
    (void)ops;
    return UT_ERR_INVAL;
}

void br_signal_free(br_signal *s) { free(s); }
