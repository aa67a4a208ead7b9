/*
 * as_main.c - mxm-appservice: host one mxm module outside the homeserver,
 * over the Application Service API.
 *
 *   mxm-appservice generate-registration --config appservice.yaml
 *       loads the module (init only) to read its namespaces and writes the
 *       registration file named by appservice.registration (mode 0600).
 *       Tokens of an existing file are kept, so regenerating after a
 *       change of namespaces does not break the homeserver's copy.
 *   mxm-appservice --config appservice.yaml
 *       runs: module started first, then the listener (so no transaction
 *       is acknowledged before the module can take its events).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "as.h"
#include "ut.h"

typedef struct app {
    as_config cfg;
    as_reg reg;
    struct event_base *base;
    as_client *client, *puppet;
    char sender_id[320];
    as_ops_ctx ops;
    host *h;
    as_txn *txn;
    as_server *srv;
    struct event *sig[2];
} app;

static void usage(void)
{
    fprintf(stderr, "usage: mxm-appservice [run] --config FILE\n"
                    "       mxm-appservice generate-registration --config FILE\n");
}

static void log_line(void *ctx, int level, const char *module, const char *msg)
{
    app *a = ctx;
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};

    if (a && level > a->cfg.log_level)
        return;
    fprintf(stderr, "mxm-appservice %s [%s] %s\n", names[level < 0 ? 0 : level > 4 ? 4 : level],
            module ? module : "as", msg);
}

static void mkdirs(const char *path)
{
    char buf[4096], *p;

    snprintf(buf, sizeof(buf), "%s", path);
    for (p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0700);
            *p = '/';
        }
    mkdir(buf, 0700);
}

static int generate(app *a)
{
    char err[1024], ast[65], hst[65];
    host_matrix_ops none = {0};
    host_module *m = NULL;
    const mxm_module_api *api;
    as_reg old;
    char *text;
    int rc = 1;

    mkdirs(a->cfg.data_dir);
    if (host_new(&a->h, a->base, a->cfg.server_name, a->cfg.data_dir, &none, log_line, a, err,
                 sizeof(err)) ||
        host_load(a->h, a->cfg.module, a->cfg.module_config, &m, err, sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        return 1;
    }
    api = host_module_api(m);
    if (access(a->cfg.registration, F_OK) == 0) {
        if (as_reg_load(&old, a->cfg.registration, err, sizeof(err))) {
            fprintf(stderr, "mxm-appservice: %s (delete it to start over)\n", err);
            return 1;
        }
        snprintf(ast, sizeof(ast), "%s", old.as_token);
        snprintf(hst, sizeof(hst), "%s", old.hs_token);
        as_reg_free(&old);
    } else if (as_token_new(ast) || as_token_new(hst)) {
        fprintf(stderr, "mxm-appservice: no randomness\n");
        return 1;
    }
    text = as_reg_render(&a->cfg, api->user_namespaces, api->alias_namespaces, ast, hst);
    ut_wipe(ast, sizeof(ast));
    ut_wipe(hst, sizeof(hst));
    if (!text) {
        fprintf(stderr, "mxm-appservice: cannot render the registration (namespace too long?)\n");
        return 1;
    }
    if (as_reg_write(a->cfg.registration, text, err, sizeof(err)))
        fprintf(stderr, "mxm-appservice: %s\n", err);
    else {
        printf("wrote %s (module %s %s); add it to the homeserver's app_service_config_files\n",
               a->cfg.registration, host_module_name(m), host_module_version(m));
        rc = 0;
    }
    ut_wipe(text, strlen(text));
    free(text);
    return rc;
}

static void on_sender(void *arg, int status, const char *ctype, const unsigned char *body,
                      size_t len)
{
    app *a = arg;
    char msg[400];

    (void)ctype;
    if (status == 200 || (len && strstr((const char *)body, "M_USER_IN_USE")))
        snprintf(msg, sizeof(msg), "homeserver reached; sender @%s:%s registered",
                 a->reg.sender_localpart, a->cfg.server_name);
    else
        snprintf(msg, sizeof(msg), "registering the sender failed: %d %.200s", status,
                 (const char *)body);
    log_line(a, status == 200 || strstr(msg, "reached") ? UT_LOG_INFO : UT_LOG_ERROR, NULL, msg);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopexit(arg, NULL);
}

static int run(app *a)
{
    char err[1024], body[400];
    host_matrix_ops ops;
    int i;

    if (as_reg_load(&a->reg, a->cfg.registration, err, sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        return 1;
    }
    if (strcmp(a->reg.id, a->cfg.id))
        fprintf(stderr, "mxm-appservice: warning: registration id %s differs from appservice.id %s\n",
                a->reg.id, a->cfg.id);
    mkdirs(a->cfg.data_dir);
    {   /* the database's folder too (it need not be under data_dir) */
        char dir[4096], *slash;
        snprintf(dir, sizeof(dir), "%s", a->cfg.db_path);
        if ((slash = strrchr(dir, '/')) && slash != dir) {
            *slash = '\0';
            mkdirs(dir);
        }
    }
    if (as_txn_open(&a->txn, a->cfg.db_path, err, sizeof(err)) ||
        as_client_new(&a->client, a->base, a->cfg.hs_url, a->reg.as_token, a->cfg.hs_ca_file, err,
                      sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        return 1;
    }
    as_client_set_log(a->client, log_line, a);
    if (a->cfg.double_puppet) {
        as_reg dp;
        if (as_reg_load(&dp, a->cfg.dp_registration, err, sizeof(err)) ||
            as_client_new(&a->puppet, a->base, a->cfg.hs_url, dp.as_token, a->cfg.hs_ca_file, err,
                          sizeof(err))) {
            fprintf(stderr, "mxm-appservice: double puppeting: %s\n", err);
            as_reg_free(&dp);
            return 1;
        }
        as_reg_free(&dp);
        as_client_set_log(a->puppet, log_line, a);
    }
    snprintf(a->sender_id, sizeof(a->sender_id), "@%s:%s", a->reg.sender_localpart,
             a->cfg.server_name);
    a->ops.client = a->client;
    a->ops.puppet = a->puppet;
    a->ops.sender_id = a->sender_id;
    a->ops.known = json_object();
    a->ops.server_name = a->cfg.server_name;
    a->ops.respond = as_server_respond;
    a->ops.header = as_server_header;
    ops = as_ops_make(&a->ops);
    if (host_new(&a->h, a->base, a->cfg.server_name, a->cfg.data_dir, &ops, log_line, a, err,
                 sizeof(err)) ||
        host_load(a->h, a->cfg.module, a->cfg.module_config, NULL, err, sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        return 1;
    }
    a->ops.h = a->h;
    /* the sender first: the homeserver may refuse the as_token's own user
     * until it exists (mautrix/go appservice/intent.go EnsureRegistered) */
    snprintf(body, sizeof(body),
             "{\"type\":\"m.login.application_service\",\"username\":\"%s\",\"inhibit_login\":true}",
             a->reg.sender_localpart);
    if (as_client_call(a->client, "POST", "/_matrix/client/v3/register", "application/json", body,
                       strlen(body), on_sender, a, NULL) ||
        host_start(a->h, err, sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        return 1;
    }
    if (as_server_start(&a->srv, a->base, &a->cfg, &a->reg, a->txn, a->h, err, sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        return 1;
    }
    a->ops.respond_ctx = a->srv;
    a->sig[0] = evsignal_new(a->base, SIGINT, on_signal, a->base);
    a->sig[1] = evsignal_new(a->base, SIGTERM, on_signal, a->base);
    for (i = 0; i < 2; i++)
        if (a->sig[i])
            event_add(a->sig[i], NULL);
    printf("mxm-appservice: listening on http://%s:%d (module %s, homeserver %s)\n",
           a->cfg.listen_addr, as_server_port(a->srv), host_module_name(host_module_at(a->h, 0)),
           a->cfg.hs_url);
    fflush(stdout);
    event_base_dispatch(a->base);
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int gen = 0, i, rc;
    char err[1024];
    app *a;

    for (i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) && i + 1 < argc)
            config = argv[++i];
        else if (i == 1 && !strcmp(argv[i], "generate-registration"))
            gen = 1;
        else if (i == 1 && !strcmp(argv[i], "run"))
            gen = 0;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (!config) {
        usage();
        return 2;
    }
    a = calloc(1, sizeof(*a));
    if (!a)
        return 1;
    if (as_config_load(&a->cfg, config, err, sizeof(err))) {
        fprintf(stderr, "mxm-appservice: %s\n", err);
        free(a);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads(); /* modules post() from their own threads */
    a->base = event_base_new();
    if (!a->base) {
        fprintf(stderr, "mxm-appservice: cannot create the event loop\n");
        rc = 1;
    } else {
        rc = gen ? generate(a) : run(a);
    }
    /* listener first (no new transactions), then the module, then the
     * calls it left pending (dropped: no completion after stop()) */
    as_server_free(a->srv);
    if (a->h)
        host_stop(a->h);
    as_client_free(a->client);
    as_client_free(a->puppet);
    json_decref(a->ops.known);
    host_free(a->h);
    as_txn_close(a->txn);
    for (i = 0; i < 2; i++)
        if (a->sig[i])
            event_free(a->sig[i]);
    if (a->base)
        event_base_free(a->base);
    as_reg_free(&a->reg);
    as_config_free(&a->cfg);
    free(a);
    return rc;
}
