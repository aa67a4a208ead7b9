/*
 * host_load.c - find, check, initialise, start and stop modules; the
 * namespace registry.
 *
 * The descriptor is checked before any module function is called: a module
 * built for another ABI must be refused with a message a person can act on,
 * never crash the host by calling through a table of the wrong shape.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "host_internal.h"

#ifndef MXM_MODULEDIR
#define MXM_MODULEDIR "/usr/local/lib/signalbridge"
#endif

/* Smallest module table we accept: ABI 1.0 ends after query_user. */
#define MODULE_API_V1_0_SIZE                                                 \
    (offsetof(mxm_module_api, query_user) + sizeof(((mxm_module_api *)0)->query_user))

static char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }

/* ---- namespaces --------------------------------------------------------- */

int host_ns_compile(host_ns *ns, const char *const *patterns, char *err,
                    size_t errlen)
{
    size_t n = 0, i;

    ns->re = NULL;
    ns->n = 0;
    while (patterns && patterns[n])
        n++;
    if (!n)
        return 0;
    ns->re = calloc(n, sizeof(regex_t));
    if (!ns->re) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        /* Anchor the pattern: a namespace is the whole localpart. */
        size_t len = strlen(patterns[i]) + 5;
        char *anchored = malloc(len);
        int rc;

        if (!anchored) {
            snprintf(err, errlen, "out of memory");
            ns->n = i;
            host_ns_free(ns);
            return -1;
        }
        snprintf(anchored, len, "^(%s)$", patterns[i]);
        rc = regcomp(&ns->re[i], anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &ns->re[i], msg, sizeof(msg));
            snprintf(err, errlen, "namespace regex '%s' does not compile: %s",
                     patterns[i], msg);
            ns->n = i;
            host_ns_free(ns);
            return -1;
        }
    }
    ns->n = n;
    return 0;
}

void host_ns_free(host_ns *ns)
{
    size_t i;

    for (i = 0; i < ns->n; i++)
        regfree(&ns->re[i]);
    free(ns->re);
    ns->re = NULL;
    ns->n = 0;
}

int host_ns_match(const host_ns *ns, const char *s)
{
    size_t i;

    for (i = 0; i < ns->n; i++)
        if (regexec(&ns->re[i], s, 0, NULL, 0) == 0)
            return 1;
    return 0;
}

host_module *host_user_owner(const host *h, const char *localpart)
{
    size_t i;

    for (i = 0; i < h->nmods; i++)
        if (host_ns_match(&h->mods[i]->users, localpart))
            return h->mods[i];
    return NULL;
}

host_module *host_alias_owner(const host *h, const char *alias_localpart)
{
    size_t i;

    for (i = 0; i < h->nmods; i++)
        if (host_ns_match(&h->mods[i]->aliases, alias_localpart))
            return h->mods[i];
    return NULL;
}

/* ---- host --------------------------------------------------------------- */

int host_new(host **out, struct event_base *base, const char *server_name,
             const char *data_dir, const host_matrix_ops *ops,
             host_log_fn log, void *log_ctx, char *err, size_t errlen)
{
    host *h;

    *out = NULL;
    if (!base || !server_name || !*server_name || !data_dir) {
        snprintf(err, errlen, "host_new: base, server_name and data_dir are required");
        return MXM_ERR_INVAL;
    }
    h = calloc(1, sizeof(*h));
    if (!h || !(h->server_name = strdup(server_name)) ||
        !(h->data_dir = strdup(data_dir))) {
        if (h) {
            free(h->server_name);
            free(h);
        }
        snprintf(err, errlen, "out of memory");
        return MXM_ERR_NOMEM;
    }
    h->base = base;
    if (ops)
        h->ops = *ops;
    h->log = log;
    h->log_ctx = log_ctx;
    *out = h;
    return 0;
}

static void module_free(host_module *m)
{
    host_api_release(m);
    host_ns_free(&m->users);
    host_ns_free(&m->aliases);
    free(m->path);
    free(m->name);
    free(m->version);
    free(m->data_dir);
    /* The shared object stays mapped: modules are never unloaded while the
     * process runs (threads or atexit handlers of it may still exist). */
    free(m);
}

void host_free(host *h)
{
    size_t i;

    if (!h)
        return;
    host_stop(h);
    for (i = 0; i < h->nmods; i++)
        module_free(h->mods[i]);
    free(h->mods);
    free(h->server_name);
    free(h->data_dir);
    free(h);
}

size_t host_module_count(const host *h) { return h->nmods; }
host_module *host_module_at(const host *h, size_t i)
{
    return i < h->nmods ? h->mods[i] : NULL;
}
const char *host_module_name(const host_module *m) { return m->name; }
const char *host_module_version(const host_module *m) { return m->version; }
const char *host_module_path(const host_module *m) { return m->path; }
const mxm_module_api *host_module_api(const host_module *m) { return m->mod; }

/* ---- finding the file --------------------------------------------------- */

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *find_module(const char *name, char *err, size_t errlen)
{
    const char *env = getenv("MXM_MODULE_PATH");
    char cand[4096];

    if (strchr(name, '/')) {
        if (is_file(name))
            return realpath(name, NULL);
        snprintf(err, errlen, "module file '%s' not found", name);
        return NULL;
    }
    if (!*name || strstr(name, "..")) {
        snprintf(err, errlen, "bad module name '%s'", name);
        return NULL;
    }
    if (env) {
        const char *p = env;
        while (*p) {
            size_t n = strcspn(p, ":");
            if (n && n < sizeof(cand) - strlen(name) - 5) {
                snprintf(cand, sizeof(cand), "%.*s/%s.so", (int)n, p, name);
                if (is_file(cand))
                    return realpath(cand, NULL);
            }
            p += n;
            if (*p == ':')
                p++;
        }
    }
    snprintf(cand, sizeof(cand), "%s/%s.so", MXM_MODULEDIR, name);
    if (is_file(cand))
        return realpath(cand, NULL);
    snprintf(err, errlen,
             "module '%s' not found (searched $MXM_MODULE_PATH and %s)", name,
             MXM_MODULEDIR);
    return NULL;
}

static int make_data_dir(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- load --------------------------------------------------------------- */

/* Check the descriptor. Pure data: no module code runs here. */
static int check_descriptor(const mxm_module_desc *d, const char *path,
                            char *err, size_t errlen)
{
    if (d->magic != MXM_MAGIC) {
        snprintf(err, errlen,
                 "%s: bad descriptor magic 0x%08x (expected 0x%08x): not an mxm module",
                 path, (unsigned)d->magic, (unsigned)MXM_MAGIC);
        return -1;
    }
    if (d->ptr_size != sizeof(void *)) {
        snprintf(err, errlen,
                 "%s: built for %u-bit pointers, this host has %u-bit pointers",
                 path, (unsigned)d->ptr_size * 8, (unsigned)sizeof(void *) * 8);
        return -1;
    }
    if (d->abi_major != MXM_ABI_MAJOR) {
        snprintf(err, errlen,
                 "%s: module ABI %u.%u is incompatible with this host's ABI %u.%u (major versions must match)",
                 path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                 (unsigned)MXM_ABI_MAJOR, (unsigned)MXM_ABI_MINOR);
        return -1;
    }
    if (d->abi_minor > MXM_ABI_MINOR) {
        snprintf(err, errlen,
                 "%s: module needs ABI %u.%u, newer than this host's ABI %u.%u; upgrade the homeserver",
                 path, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                 (unsigned)MXM_ABI_MAJOR, (unsigned)MXM_ABI_MINOR);
        return -1;
    }
    if (d->desc_size < sizeof(mxm_module_desc) || !d->name || !*d->name ||
        !d->version) {
        snprintf(err, errlen, "%s: malformed descriptor (size %u, name %s)",
                 path, (unsigned)d->desc_size, d->name ? d->name : "(null)");
        return -1;
    }
    return 0;
}

int host_load(host *h, const char *name_or_path, const char *config_json,
              host_module **out, char *err, size_t errlen)
{
    host_module *m = NULL, **mods;
    const mxm_module_desc *desc;
    mxm_module_init_fn init;
    char *path = NULL, ierr[512];
    void *dl = NULL;
    size_t i, dlen;
    int rc = -1, inited = 0;

    if (out)
        *out = NULL;
    if (!name_or_path) {
        snprintf(err, errlen, "no module name given");
        return MXM_ERR_INVAL;
    }
    if (!(path = find_module(name_or_path, err, errlen)))
        return -1;

    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(err, errlen, "%s: cannot load: %s", path, dlerror());
        goto out;
    }
    desc = dlsym(dl, MXM_DESCRIPTOR_SYMBOL);
    if (!desc) {
        snprintf(err, errlen,
                 "%s: no '%s' descriptor: not an mxm module", path,
                 MXM_DESCRIPTOR_SYMBOL);
        goto out;
    }
    if (check_descriptor(desc, path, err, errlen) != 0)
        goto out;
    *(void **)&init = dlsym(dl, MXM_INIT_SYMBOL);
    if (!init) {
        snprintf(err, errlen, "%s: module '%s' has no entry point '%s'", path,
                 desc->name, MXM_INIT_SYMBOL);
        goto out;
    }
    for (i = 0; i < h->nmods; i++)
        if (strcmp(h->mods[i]->name, desc->name) == 0) {
            snprintf(err, errlen, "%s: a module named '%s' is already loaded (%s)",
                     path, desc->name, h->mods[i]->path);
            goto out;
        }

    m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    m->h = h;
    m->wake_fd[0] = m->wake_fd[1] = -1;
    m->path = path;
    path = NULL;
    m->name = xstrdup(desc->name);
    m->version = xstrdup(desc->version);
    dlen = strlen(h->data_dir) + strlen(desc->name) + 2;
    m->data_dir = malloc(dlen);
    if (!m->name || !m->version || !m->data_dir) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(m->data_dir, dlen, "%s/%s", h->data_dir, desc->name);
    if (make_data_dir(m->data_dir, err, errlen) != 0)
        goto out;
    if (host_api_init(m, err, errlen) != 0)
        goto out;

    ierr[0] = '\0';
    if (init(&m->api, &m->mod, config_json ? config_json : "{}", ierr,
             sizeof(ierr)) != 0) {
        ierr[sizeof(ierr) - 1] = '\0';
        snprintf(err, errlen, "%s: module '%s' failed to initialise: %s",
                 m->path, m->name, ierr[0] ? ierr : "(no reason given)");
        goto out;
    }
    inited = 1;
    if (!m->mod || m->mod->struct_size < MODULE_API_V1_0_SIZE ||
        !m->mod->start || !m->mod->stop) {
        snprintf(err, errlen,
                 "%s: module '%s' returned an incomplete function table",
                 m->path, m->name);
        goto out;
    }
    if (host_ns_compile(&m->users, m->mod->user_namespaces, ierr,
                        sizeof(ierr)) != 0 ||
        host_ns_compile(&m->aliases, m->mod->alias_namespaces, ierr,
                        sizeof(ierr)) != 0) {
        snprintf(err, errlen, "%s: module '%s': %s", m->path, m->name, ierr);
        goto out;
    }

    mods = realloc(h->mods, (h->nmods + 1) * sizeof(*mods));
    if (!mods) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    h->mods = mods;
    h->mods[h->nmods++] = m;
    m->dl = dl;
    host_logf(h, NULL, MXM_LOG_INFO, "loaded module %s %s (ABI %u.%u) from %s",
              m->name, m->version, (unsigned)desc->abi_major,
              (unsigned)desc->abi_minor, m->path);
    if (out)
        *out = m;
    return 0;

out:
    if (m) {
        /* init succeeded but we refuse the module: let it release itself. */
        if (inited && m->mod && m->mod->stop) {
            m->stopping = 1;
            m->mod->stop(m->mod->module);
            host_api_shutdown(m);
        }
        module_free(m);
    }
    /* Unmap only what never ran past init; otherwise keep it mapped. */
    if (dl && !inited)
        dlclose(dl);
    free(path);
    return rc;
}

/* ---- start / stop ------------------------------------------------------- */

/* Every initialised module gets exactly one stop(), started or not: it is
 * the module's only chance to release what init made. */
static void stop_module(host_module *m)
{
    if (m->stopping)
        return;
    m->stopping = 1;
    m->mod->stop(m->mod->module);
    host_api_shutdown(m);
    m->started = 0;
    host_logf(m->h, NULL, MXM_LOG_INFO, "stopped module %s", m->name);
}

int host_start(host *h, char *err, size_t errlen)
{
    size_t i;
    char ierr[512];

    for (i = 0; i < h->nmods; i++) {
        host_module *m = h->mods[i];
        if (m->started || m->stopping)
            continue;
        ierr[0] = '\0';
        if (m->mod->start(m->mod->module, ierr, sizeof(ierr)) != 0) {
            ierr[sizeof(ierr) - 1] = '\0';
            snprintf(err, errlen, "module '%s' failed to start: %s", m->name,
                     ierr[0] ? ierr : "(no reason given)");
            /* start() failed: stop() still releases what init made. */
            stop_module(m);
            while (i-- > 0)
                stop_module(h->mods[i]);
            return -1;
        }
        m->started = 1;
        host_logf(h, NULL, MXM_LOG_INFO, "started module %s", m->name);
    }
    return 0;
}

void host_stop(host *h)
{
    size_t i = h->nmods;

    while (i-- > 0)
        stop_module(h->mods[i]);
}

/* ---- delivery ----------------------------------------------------------- */

int host_module_on_event(host_module *m, const char *json, size_t len)
{
    if (!m->started || m->stopping)
        return MXM_OK;
    if (MXM_HAS(m->mod, on_event_try)) /* 1.1: the module may refuse for now */
        return m->mod->on_event_try(m->mod->module, json, len) == MXM_ERR_AGAIN ? MXM_ERR_AGAIN : MXM_OK;
    if (m->mod->on_event)
        m->mod->on_event(m->mod->module, json, len);
    return MXM_OK;
}

void host_module_on_ephemeral(host_module *m, const char *json, size_t len)
{
    if (m->started && !m->stopping && m->mod->on_ephemeral)
        m->mod->on_ephemeral(m->mod->module, json, len);
}

int host_module_query_user(host_module *m, const char *user_id)
{
    if (m->started && !m->stopping && m->mod->query_user)
        return m->mod->query_user(m->mod->module, user_id);
    return 0;
}
