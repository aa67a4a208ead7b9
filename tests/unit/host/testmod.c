/*
 * testmod.c - modules for the loader tests, one per -D variant:
 *   TM_NODESC TM_BADMAGIC TM_MAJOR2 TM_MINOR_NEWER TM_PTRSIZE TM_NOINIT
 *   TM_INITFAIL TM_SMALLTABLE TM_BADREGEX TM_STARTFAIL, or none (a good one).
 * A good module records what the host did to it and reports it on
 * GET /_mxm/<name>/state as JSON, so tests observe it through the ABI only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mxm/module.h>

#ifndef TM_NAME
#define TM_NAME "good"
#endif

#if defined(TM_NODESC)
/* no descriptor at all */
#elif defined(TM_BADMAGIC) || defined(TM_MAJOR2) || defined(TM_MINOR_NEWER) || defined(TM_PTRSIZE)
MXM_EXPORT const mxm_module_desc mxm_module_descriptor = {
#if defined(TM_BADMAGIC)
    0xDEADBEEFU, MXM_ABI_MAJOR, MXM_ABI_MINOR, sizeof(void *),
#elif defined(TM_MAJOR2)
    MXM_MAGIC, 2, 0, sizeof(void *),
#elif defined(TM_MINOR_NEWER)
    MXM_MAGIC, MXM_ABI_MAJOR, MXM_ABI_MINOR + 1, sizeof(void *),
#else
    MXM_MAGIC, MXM_ABI_MAJOR, MXM_ABI_MINOR, sizeof(void *) == 8 ? 4 : 8,
#endif
    sizeof(mxm_module_desc), TM_NAME, "0.0.1"};
#else
MXM_MODULE_DESCRIPTOR(TM_NAME, "0.0.1");
#endif

struct mxm_module {
    const mxm_host_api *host;
    mxm_module_api api;
    char config[256];
    int starts, events, ephemerals;
};

static const char *const users_ns[] = {
#ifdef TM_BADREGEX
    "([unclosed",
#else
    TM_NAME "_.*", TM_NAME "bot",
#endif
    NULL};
static const char *const alias_ns[] = {TM_NAME "_.*", NULL};

static void on_state(void *arg, uint64_t reply, const char *method,
                     const char *path, const char *query, const char *body,
                     size_t len)
{
    struct mxm_module *m = arg;
    char out[512];
    int n = snprintf(out, sizeof(out),
                     "{\"starts\":%d,\"events\":%d,\"ephemerals\":%d,"
                     "\"config\":%s,\"method\":\"%s\",\"query\":\"%s\"}",
                     m->starts, m->events, m->ephemerals, m->config, method,
                     query);
    (void)path;
    (void)body;
    (void)len;
    m->host->http_respond(m->host->host, reply, 200, "application/json", out,
                          (size_t)n);
}

static int start(struct mxm_module *m, char *err, size_t errlen)
{
    m->starts++;
#ifdef TM_STARTFAIL
    snprintf(err, errlen, "cannot reach the warp core");
    return -1;
#else
    (void)err;
    (void)errlen;
    return m->host->http_route(m->host->host, "/_mxm/" TM_NAME "/", on_state,
                               m);
#endif
}

static void stop(struct mxm_module *m) { free(m); }
static void on_event(struct mxm_module *m, const char *j, size_t n)
{
    (void)j;
    (void)n;
    m->events++;
}
/* ABI 1.1: refuses the event "again" for now, takes the others. */
static int on_event_try(struct mxm_module *m, const char *j, size_t n)
{
    if (n == 5 && memcmp(j, "again", 5) == 0)
        return MXM_ERR_AGAIN;
    m->events++;
    return MXM_OK;
}
static void on_ephemeral(struct mxm_module *m, const char *j, size_t n)
{
    (void)j;
    (void)n;
    m->ephemerals++;
}
static int query_user(struct mxm_module *m, const char *uid)
{
    (void)m;
    return strncmp(uid, "@" TM_NAME "_", sizeof(TM_NAME) + 1) == 0;
}

#ifndef TM_NOINIT
MXM_EXPORT int mxm_module_init(const mxm_host_api *host,
                               const mxm_module_api **out,
                               const char *config_json, char *err,
                               size_t errlen)
{
    struct mxm_module *m;

#ifdef TM_INITFAIL
    (void)host;
    (void)out;
    (void)config_json;
    snprintf(err, errlen, "the frobnicator setting is missing");
    return -1;
#endif
    if (strlen(config_json) >= sizeof(m->config)) {
        snprintf(err, errlen, "config too long");
        return -1;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->host = host;
    strcpy(m->config, config_json);
    m->api.struct_size = sizeof(m->api);
#ifdef TM_SMALLTABLE
    m->api.struct_size = 8;
#endif
    m->api.module = m;
    m->api.user_namespaces = users_ns;
    m->api.alias_namespaces = alias_ns;
    m->api.start = start;
    m->api.stop = stop;
    m->api.on_event = on_event;
    m->api.on_ephemeral = on_ephemeral;
    m->api.query_user = query_user;
    m->api.on_event_try = on_event_try;
    *out = &m->api;
    return 0;
}
#endif
