/*
 * hs_config.h - mxhs configuration: a Synapse-style YAML file read with
 * libyaml into a plain struct.
 *
 * Keys (all optional except server_name):
 *   server_name: example.org
 *   listen: {address: 127.0.0.1, port: 8008}     (or "bind_address"/"port")
 *   database: {path: ./data/homeserver.db}        (or a plain string)
 *   media_path: ./data/media
 *   data_dir: ./data          (module data; default: directory of database)
 *   registration: {enabled: false, shared_secret: "..."}
 *   unauthenticated_media: true   (legacy r0/v3 download without a token)
 *   max_upload_size: 52428800
 *   login_rate_limit: {per_minute: 30}
 *   log_level: info            (error, warn, info, debug, trace)
 *   modules:
 *     - module: echo           (name searched in MXM_MODULE_PATH, or a path)
 *       double_puppet: false   (may act for local users)
 *       config: {...}          (handed to the module as JSON)
 *   app_service_config_files: [/path/registration.yaml]  (as Synapse)
 *
 * Relative paths are taken relative to the current directory.
 * Thread: any; no global state.
 */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct hs_module_conf {
    char *module;      /* name or path */
    char *config_json; /* "{}" when absent */
    int double_puppet; /* 1: may act as local users */
} hs_module_conf;

typedef struct hs_config {
    char *server_name;
    char *listen_addr;
    int port;
    char *db_path;
    char *media_path;
    char *data_dir;
    int registration_enabled;
    char *registration_secret; /* NULL: none */
    int unauth_media;          /* legacy unauthenticated download allowed */
    size_t max_upload;
    int login_per_minute;
    int log_level; /* UT_LOG_* */
    hs_module_conf *modules;
    size_t nmodules;
    char **as_files; /* app_service_config_files (hs_appservice.c) */
    size_t nas_files;
} hs_config;

/*
 * Parse the YAML file at `path` into *out (caller frees with
 * hs_config_free). On failure returns -1 with a message naming the file,
 * key and line in err, e.g. "homeserver.yaml:7: listen.port: expected an
 * integer from 1 to 65535". Unknown keys are errors too (typos are caught).
 */
int hs_config_load(hs_config *out, const char *path, char *err,
                   size_t errlen);

/* The same from a buffer of `len` bytes; `name` stands for the file name
 * in messages. */
int hs_config_parse(hs_config *out, const char *name, const unsigned char *buf,
                    size_t len, char *err, size_t errlen);

/* Release everything; the struct is zeroed. NULL ok. */
void hs_config_free(hs_config *c);

#endif
