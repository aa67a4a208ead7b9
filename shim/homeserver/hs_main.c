/*
 * hs_main.c - the mxhs program.
 *
 *   mxhs --config homeserver.yaml
 *       serve; prints "mxhs: listening on http://ADDR:PORT" once ready
 *       (port 0 in the config picks a free port). SIGINT/SIGTERM stop it.
 *   mxhs register-user --config homeserver.yaml [--admin] USER [PASSWORD]
 *       create a local user (PASSWORD read from stdin when omitted).
 *   mxhs check-config --config homeserver.yaml
 *
 * Exit status: 0 ok, 1 bad config or startup failure, 2 usage.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sodium.h>

#include "hs.h"
#include "hs_http.h"

void hs_logf(hs *s, int level, const char *fmt, ...)
{
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    char buf[1024];
    va_list ap;
    struct timespec ts;
    struct tm tm;

    if (level > s->cfg.log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, names[level < 0 ? 0 : level > 4 ? 4 : level], buf);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: mxhs --config FILE\n"
            "       mxhs register-user --config FILE [--admin] USER [PASSWORD]\n"
            "       mxhs check-config --config FILE\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    hs *s = arg;

    (void)what;
    hs_logf(s, UT_LOG_INFO, "signal %d: shutting down", (int)sig);
    event_base_loopexit(s->base, NULL);
}

static void mkdirs(const char *path)
{
    char tmp[1024];
    char *p;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    mkdir(tmp, 0700);
}

static void parent_dir(const char *file)
{
    char tmp[1024], *slash;

    snprintf(tmp, sizeof(tmp), "%s", file);
    slash = strrchr(tmp, '/');
    if (slash && slash != tmp) {
        *slash = '\0';
        mkdirs(tmp);
    }
}

static int register_user(hs *s, int admin, const char *user, const char *pw)
{
    char line[512], uid[300];
    int rc;

    if (!pw) {
        if (!fgets(line, sizeof(line), stdin)) {
            fprintf(stderr, "mxhs: no password given\n");
            return 1;
        }
        line[strcspn(line, "\r\n")] = '\0';
        pw = line;
    }
    if (!*pw) {
        fprintf(stderr, "mxhs: empty password\n");
        return 1;
    }
    if (user[0] == '@') {
        char lp[256];
        if (hs_localpart(s, user, lp, sizeof(lp))) {
            fprintf(stderr, "mxhs: %s is not a user of %s\n", user, s->cfg.server_name);
            return 1;
        }
        rc = hs_user_create(s, lp, pw, admin, uid, sizeof(uid));
    } else {
        rc = hs_user_create(s, user, pw, admin, uid, sizeof(uid));
    }
    ut_wipe(line, sizeof(line));
    if (rc) {
        fprintf(stderr, "mxhs: cannot create %s: %s\n", user,
                rc == HS_ERR_BADARG ? "invalid user name (a-z 0-9 . _ = - / +)" : hs_strerror(rc));
        return 1;
    }
    printf("created %s%s\n", uid, admin ? " (admin)" : "");
    return 0;
}

int main(int argc, char **argv)
{
    hs *s;
    const char *config = NULL, *cmd = "serve";
    const char *pos[2] = {NULL, NULL};
    int admin = 0, npos = 0, i, rc = 1;
    char err[1024];

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) {
            if (++i >= argc) {
                usage();
                return 2;
            }
            config = argv[i];
        } else if (!strcmp(argv[i], "--admin")) {
            admin = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else if (i == 1 && (!strcmp(argv[i], "register-user") || !strcmp(argv[i], "check-config"))) {
            cmd = argv[i];
        } else if (npos < 2 && argv[i][0] != '-') {
            pos[npos++] = argv[i];
        } else {
            usage();
            return 2;
        }
    }
    if (!config || (!strcmp(cmd, "register-user") && !pos[0])) {
        usage();
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "mxhs: libsodium failed to initialise\n");
        return 1;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return 1;
    if (hs_config_load(&s->cfg, config, err, sizeof(err))) {
        fprintf(stderr, "mxhs: %s\n", err);
        free(s);
        return 1;
    }
    if (!strcmp(cmd, "check-config")) {
        printf("%s: ok (server_name %s, %zu module(s))\n", config, s->cfg.server_name, s->cfg.nmodules);
        rc = 0;
        goto out;
    }
    parent_dir(s->cfg.db_path);
    mkdirs(s->cfg.media_path);
    mkdirs(s->cfg.data_dir);
    if (hs_db_open(s, err, sizeof(err))) {
        fprintf(stderr, "mxhs: %s\n", err);
        goto out;
    }
    evthread_use_pthreads();
    s->base = event_base_new();
    if (!s->base) {
        fprintf(stderr, "mxhs: cannot create the event loop\n");
        goto out;
    }
    /* The module host is needed for namespace checks even when registering. */
    /* A user inside a module's exclusive namespace would be the module's to
     * act as (its bot, its ghosts), so the namespace is checked for the
     * localpart however the user is named; a module that cannot be loaded
     * cannot be checked, and serving would fail on it too, so that refuses. */
    if (!strcmp(cmd, "register-user")) {
        host_matrix_ops none = {0};
        host_module *owner = NULL;
        char lp[256];
        int loaded = host_new(&s->host, s->base, s->cfg.server_name, s->cfg.data_dir, &none,
                              NULL, NULL, err, sizeof(err)) == 0;

        for (i = 0; loaded && (size_t)i < s->cfg.nmodules; i++)
            if (host_load(s->host, s->cfg.modules[i].module, s->cfg.modules[i].config_json,
                          NULL, err, sizeof(err)))
                loaded = 0;
        if (pos[0][0] == '@' ? hs_localpart(s, pos[0], lp, sizeof(lp)) != 0
                             : snprintf(lp, sizeof(lp), "%s", pos[0]) >= (int)sizeof(lp))
            lp[0] = '\0';
        if (loaded && lp[0])
            owner = host_user_owner(s->host, lp);
        if (!loaded) {
            fprintf(stderr, "mxhs: cannot check the modules' user namespaces: %s\n"
                            "mxhs: not creating %s; fix the module (or MXM_MODULE_PATH) first\n",
                    err, pos[0]);
            rc = 1;
        } else if (owner) {
            fprintf(stderr, "mxhs: %s is reserved: it lies in the exclusive user namespace of "
                            "module %s (users it acts as); choose another name\n",
                    pos[0], host_module_name(owner));
            rc = 1;
        } else {
            rc = register_user(s, admin, pos[0], pos[1]);
        }
        host_free(s->host);
        s->host = NULL;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    if (hs_http_start(s, err, sizeof(err))) {
        fprintf(stderr, "mxhs: %s\n", err);
        goto out;
    }
    if (hs_as_load(s, err, sizeof(err))) {
        fprintf(stderr, "mxhs: %s\n", err);
        hs_as_stop(s);
        goto out;
    }
    if (hs_modules_load(s, err, sizeof(err))) {
        fprintf(stderr, "mxhs: %s\n", err);
        hs_modules_stop(s);
        goto out;
    }
    s->sig_ev[0] = evsignal_new(s->base, SIGINT, on_signal, s);
    s->sig_ev[1] = evsignal_new(s->base, SIGTERM, on_signal, s);
    if (s->sig_ev[0])
        event_add(s->sig_ev[0], NULL);
    if (s->sig_ev[1])
        event_add(s->sig_ev[1], NULL);
    printf("mxhs: listening on http://%s:%d (server_name %s)\n", s->cfg.listen_addr,
           s->port, s->cfg.server_name);
    fflush(stdout);
    event_base_dispatch(s->base);
    hs_sync_shutdown(s);
    hs_modules_stop(s);
    hs_as_stop(s);
    hs_typing_shutdown(s);
    hs_seen_shutdown(s);
    rc = 0;
out:
    hs_http_stop(s);
    for (i = 0; i < 2; i++)
        if (s->sig_ev[i])
            event_free(s->sig_ev[i]);
    hs_db_close(s);
    if (s->base)
        event_base_free(s->base);
    hs_config_free(&s->cfg);
    free(s);
    return rc;
}
