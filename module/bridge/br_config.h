/*
 * br_config.h - the bridge's configuration: the `config:` block of the
 * module in homeserver.yaml, handed over as JSON. Every option has a default
 * that works out of the box; unknown keys and wrong types are refused with a
 * message naming the key ("config.signal.ca_file: ..."), so a typo never
 * silently falls back to a default.
 *
 *   enabled: true
 *   permissions: {"<server_name>": "user"}  # "*" | domain | @user:hs -> user|admin|none
 *   bot: {localpart: signalbot, displayname: "Signal bridge", avatar: ""}
 *   username_template: "signal_{aci}"       # must contain {aci}
 *   displayname_template: "{name} (Signal)" # {name}, {phone}; phone is the fallback
 *   max_signal_users: 100                   # Signal users active per calendar month
 *   link_timeout: 60                        # seconds linking stays open (10..600)
 *   outbox_max_age: 86400                   # seconds a Matrix message may wait
 *                                           # for Signal before it fails
 *   double_puppet: true                     # send as the real user where the host allows
 *   history: {enabled: true, max_messages: 50, max_age_days: 30}
 *                                           # the phone's message history at
 *                                           # link ("link and sync"): per chat
 *                                           # at most max_messages, none older
 *   database: "signalbridge.db"             # relative to the module's data dir
 *   signal: {server, cdn0, cdn2, cdn3, storage, ca_file, trust_root,
 *            server_public_params, device_name: "signalbridge",
 *            connect_concurrency: 16,  # connection attempts at once (0..1024,
 *                                      # 0 = no bound; docs/signal-production.md)
 *            profile_refresh: 3600,  # seconds before a contact's profile
 *                                     # (name, avatar) is fetched again; 0 = never
 *            sender_keys: true}       # false: group messages 1:1 to each member
 *   provisioning: {shared_secret: null}      # >= 16 characters enables the
 *                                           # HTTP provisioning API (br_prov.h)
 *   debug: {store_faults: "<file>"}         # tests only (absent: off): rules
 *                                           # that make chosen database writes
 *                                           # fail (st_fault.h,
 *                                           # docs/store-faults.md)
 *   (server_public_params: the service's zkgroup public params, base64, for
 *   group titles and members; default Signal production's. ca_file: a PEM
 *   file of the roots to trust instead of Signal's own, which are built in
 *   and pinned for every Signal host; the system store is never used.
 *   sender_keys: false sends group messages 1:1 to each member instead of
 *   with a sender key and one multi-recipient request, for comparison)
 */
#ifndef BR_CONFIG_H
#define BR_CONFIG_H

#include <stddef.h>

#include "ut.h"

enum {
    BR_PERM_NONE = 0,
    BR_PERM_USER = 1,
    BR_PERM_ADMIN = 2
};

typedef struct br_perm_rule {
    char *who; /* "*", a domain, or a full user ID */
    int level;
} br_perm_rule;

typedef struct br_config {
    int enabled;
    br_perm_rule *perms;
    size_t nperms;
    char *bot_localpart;
    char *bot_displayname;
    char *bot_avatar;
    char *username_prefix; /* username_template split around {aci} */
    char *username_suffix;
    char *displayname_template;
    long max_signal_users;
    int low_limit_warning;  /* max_signal_users < 5: warn at start */
    long link_timeout_s;
    long outbox_max_age_s;  /* a queued Matrix -> Signal message older than
                               this fails with a notice */
    int double_puppet;
    int history_enabled;       /* accept the phone's history transfer */
    long history_max_messages; /* per chat, the newest (1..10000) */
    long history_max_age_days; /* older messages are not imported */
    char *database;
    char *signal_server;
    char *signal_cdn0, *signal_cdn2, *signal_cdn3;
    char *signal_storage;
    char *signal_ca_file;   /* NULL: Signal's pinned roots (sn_roots.h),
                               never the system's trust store */
    char *signal_trust_root; /* base64 33-byte sealed-sender trust root */
    long signal_profile_refresh_s; /* fetch contacts' profiles again after
                                      this long; 0 = never */
    char *signal_zk_params;  /* base64 zkgroup ServerPublicParams; NULL:
                                the Signal client's production default */
    int signal_no_sender_keys; /* signal.sender_keys: false */
    char *device_name;
    long signal_connect_concurrency; /* Signal connection attempts in their
                                        handshakes at once, all accounts
                                        together (sn_gate.h); 0 = no bound */
    char *prov_secret;       /* provisioning.shared_secret; NULL: the
                                provisioning API is disabled (br_prov.c) */
    char *debug_store_faults; /* debug.store_faults; NULL (the default): no
                                 fault injection */
} br_config;

/* Parse and validate. `server_name` supplies the default permissions.
 * On failure returns UT_ERR_INVAL with a reason in err; *cfg is then empty. */
int br_config_parse(br_config *cfg, const char *json, const char *server_name,
                    char *err, size_t errlen);
void br_config_free(br_config *cfg);

/* Permission level of a Matrix user: the most specific rule wins (full user
 * ID, then its domain, then "*"); no rule means BR_PERM_NONE. */
int br_config_permission(const br_config *cfg, const char *user_id);
/* The one answer to "may this Matrix user be bridged now": the bridge is
 * enabled and the user has at least BR_PERM_USER. Every Matrix entry point,
 * every Signal->Matrix delivery and the start of each Signal connection ask
 * it (br_access.c, br_signal.c). Pure: reads only the config. */
int br_config_may_bridge(const br_config *cfg, const char *user_id);

/* "signal_<aci>" for a puppet's localpart; 0 or UT_ERR_RANGE. */
int br_config_puppet_localpart(const br_config *cfg, const char *aci,
                               char *out, size_t n);
/* The ACI inside a puppet localpart, or NULL if it is not one of ours. */
const char *br_config_puppet_aci(const br_config *cfg, const char *localpart,
                                 char *aci, size_t n);
/* POSIX ERE for the puppets' namespace (for mxm_module_api). Caller frees. */
char *br_config_puppet_regex(const br_config *cfg);
/* Display name from the template: {name} and {phone}; name NULL/empty
 * falls back to the phone number, or when both are unknown to "Signal user"
 * and the first 4 characters of the ACI (aci may be NULL). Caller frees. */
char *br_config_displayname(const br_config *cfg, const char *name,
                            const char *phone, const char *aci);

/* outbox_max_age in words for notices: "24 hours", "90 minutes", "2 seconds". */
void br_config_age_words(const br_config *cfg, char *out, size_t n);

#endif
