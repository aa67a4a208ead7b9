/*
 * plugin.c - signalbridge.so's entry point: the mxm ABI descriptor and
 * mxm_module_init. It validates the config, builds the bridge, and maps the
 * module table onto it. Everything else lives under module/bridge.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mxm/module.h>

#include "br_bridge.h"
#include "br_config.h"
#include "br_signal.h"

MXM_MODULE_DESCRIPTOR("signalbridge", PACKAGE_VERSION);

struct mxm_module {
    const mxm_host_api *host;
    mxm_module_api api;
    br_bridge *bridge;
    br_signal *signal;
    char *puppet_ns;
    const char *ns[3];
};

/* The connector knows the bridge only through br_net.h: these two hand its
 * events and questions to the core. */
static void sink_event(void *ctx, br_net_event *ev) { br_bridge_net_event(ctx, ev); }
static int sink_may_bridge(void *ctx, const char *owner) { return br_bridge_may_bridge(ctx, owner); }

static int start(mxm_module *m, char *err, size_t errlen)
{
    br_net_ops net;
    const br_net_ops *use = NULL;
    br_net_sink sink = {m->bridge, sink_event, sink_may_bridge};

    if (m->signal && br_signal_ops(m->signal, &sink, &net) == 0)
        use = &net;
    return br_bridge_start(m->bridge, use, err, errlen);
}

static void stop(mxm_module *m)
{
    /* the bridge shuts the Signal side down (ops->shutdown) before freeing */
    br_bridge_free(m->bridge);
    br_signal_free(m->signal);
    free(m->puppet_ns);
    free(m);
}

static void on_event(mxm_module *m, const char *json, size_t len)
{
    (void)br_bridge_on_event(m->bridge, json, len, 0);
}

/* ABI 1.1: an event the bridge could not store now is handed again. */
static int on_event_try(mxm_module *m, const char *json, size_t len)
{
    return br_bridge_on_event(m->bridge, json, len, 1) ? MXM_ERR_AGAIN : MXM_OK;
}

static void on_ephemeral(mxm_module *m, const char *json, size_t len)
{
    br_bridge_on_ephemeral(m->bridge, json, len);
}

static int query_user(mxm_module *m, const char *user_id)
{
    return br_bridge_query_user(m->bridge, user_id);
}

MXM_EXPORT int mxm_module_init(const mxm_host_api *host,
                               const mxm_module_api **out,
                               const char *config_json, char *err,
                               size_t errlen)
{
    mxm_module *m;
    br_config cfg;

    if (!host || host->abi_major != MXM_ABI_MAJOR || !MXM_HAS(host, http_respond)) {
        snprintf(err, errlen, "this homeserver's module ABI is too old for signalbridge");
        return -1;
    }
    if (br_config_parse(&cfg, config_json, host->server_name(host->host), err, errlen) != 0)
        return -1;
    m = calloc(1, sizeof(*m));
    if (!m) {
        br_config_free(&cfg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->host = host;
    m->puppet_ns = br_config_puppet_regex(&cfg);
    if (!m->puppet_ns || br_signal_new(&m->signal, host, &cfg, err, errlen) != 0 ||
        br_bridge_new(&m->bridge, host, &cfg, err, errlen) != 0) {
        if (!m->puppet_ns)
            snprintf(err, errlen, "out of memory");
        br_signal_free(m->signal);
        br_config_free(&cfg);
        free(m->puppet_ns);
        free(m);
        return -1;
    }
    m->ns[0] = br_bridge_bot_localpart(m->bridge);
    m->ns[1] = m->puppet_ns;
    m->ns[2] = NULL;
    m->api.struct_size = sizeof(m->api);
    m->api.module = m;
    m->api.user_namespaces = m->ns;
    m->api.alias_namespaces = NULL;
    m->api.start = start;
    m->api.stop = stop;
    m->api.on_event = on_event;
    m->api.on_ephemeral = on_ephemeral;
    m->api.query_user = query_user;
    m->api.on_event_try = on_event_try;
    *out = &m->api;
    return 0;
}
