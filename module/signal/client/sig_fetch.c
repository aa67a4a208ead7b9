/* sig_fetch.c - what the client fetches besides messages: the contacts
 * blob from the CDN after a SyncMessage.Contacts (HTTPS through the
 * client's pool, sig_https), profiles (GET /v1/profile on the chat socket) when a
 * profile key arrives, profile and group avatars from CDN 0, and the
 * contact records these produce. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "Groups.pb-c.h"
#include "SignalService.pb-c.h"
#include "sc_group.h"
#include "sc_profile.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sig_sync.h"
#include "sig_util.h"

/* Profile refreshes in flight at once, per client. */
#define SIG_PROFILE_REFRESH_RUNNING 4

struct sig_download {
    sig_download *next;
    sig_client *c;
    uint8_t key[64];
    uint8_t digest[32];
    int has_digest;
    size_t size;
    int avatar;           /* a profile avatar of `aci` at `path`, under the
                             profile key in key[0..31]; or with `group`, the
                             avatar of the group `gid` under its blob key */
    int group;
    uint8_t gid[32];
    char aci[SIG_UUID_STR_LEN + 1];
    char path[128];
};

static void dl_free(sig_download *d)
{
    sig_download **pp;

    for (pp = &d->c->downloads; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    ut_wipe(d->key, sizeof(d->key));
    free(d);
}

void sig_fetch_cancel_all(sig_client *c)
{
    /* sig_pool_close ran first: its cancelled callbacks freed the
     * downloads in flight; nothing else should be left */
    while (c->downloads)
        dl_free(c->downloads);
}

/* Merge into the "contact" record of `aci` and emit SIG_EV_CONTACT. */
int sig_contact_update(sig_client *c, const char *aci, const char *number,
                          const char *name, int has_profile_key)
{
    return sig_contact_update_flags(c, aci, number, name, has_profile_key, 0, 0);
}

int sig_contact_update_flags(sig_client *c, const char *aci, const char *number,
                             const char *name, int has_profile_key,
                             int whitelisted, int blocked)
{
    json_t *j = NULL;
    ut_buf b;
    char *s = NULL;
    sig_contact ct;
    sig_event ev;
    int rc;

    ut_buf_init(&b, 64 * 1024);
    if (sig_rec_get(c, "contact", aci, &b) == 0)
        j = json_loadb((const char *)b.data, b.len, 0, NULL);
    ut_buf_free(&b);
    if (!j)
        j = json_object();
    if (!j)
        return UT_ERR_NOMEM;
    json_object_set_new(j, "aci", json_string(aci));
    if (number && *number)
        json_object_set_new(j, "number", json_string(number));
    if (name && *name)
        json_object_set_new(j, "name", json_string(name));
    if (has_profile_key)
        json_object_set_new(j, "has_profile_key", json_true());
    s = json_dumps(j, JSON_COMPACT);
    rc = s ? sig_rec_put(c, "contact", aci, s, strlen(s)) : UT_ERR_NOMEM;
    if (rc == 0 && number && *number)
        rc = sig_rec_put(c, "contact_number", number, aci, strlen(aci));
    free(s);
    if (rc == 0) {
        memset(&ct, 0, sizeof(ct));
        ct.aci = aci;
        ct.number = json_string_value(json_object_get(j, "number"));
        ct.name = json_string_value(json_object_get(j, "name"));
        ct.has_profile_key = json_is_true(json_object_get(j, "has_profile_key"));
        ct.whitelisted = whitelisted;
        ct.blocked = blocked;
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_CONTACT;
        ev.contact = &ct;
        sig_emit(c, &ev);
    }
    json_decref(j);
    return rc;
}

static void contacts_parse(sig_client *c, const uint8_t *p, size_t n)
{
    sig_contact_rec r;
    size_t off = 0;
    int rc, count = 0;

    while (!sig_dead(c) && (rc = sig_contacts_next(p, n, &off, &r)) == 1) {
        if (!r.aci[0])
            continue; /* number-only contacts cannot be addressed here */
        if (sig_contact_update(c, r.aci, r.number, r.name, 0) == 0)
            count++;
    }
    if (rc < 0)
        sig_logf(c, UT_LOG_WARN, "signal: contacts stream: %s", sig_strerror(rc));
    sig_logf(c, UT_LOG_INFO, "signal: %d contacts from the phone", count);
}

static void dl_done(int rc, const sn_http_resp *r, void *ud);

/* ---- profile avatars ---------------------------------------------------------- */

/* An avatar is at most ProfileHelper.MAX_PROFILE_AVATAR_SIZE_BYTES (10 MiB,
 * Signal-Server grpc/ProfileHelper.java, the upload policy's limit) plus
 * the box (iv 12 + tag 16). */
#define SIG_AVATAR_MAX (10u * 1024u * 1024u + SC_GCMBOX_OVERHEAD)

/* A group avatar blob: at most what sc_group_blob_decrypt accepts. */
#define SIG_GROUP_AVATAR_MAX (2u * SC_GROUP_BLOB_MAX + SC_GROUP_BLOB_OVERHEAD)

static void avatar_emit(sig_client *c, const char *aci, const uint8_t *gid, const char *path,
                        const uint8_t *data, size_t len)
{
    sig_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_AVATAR;
    ev.peer = aci;
    ev.group_id = gid;
    ev.path = path;
    ev.data = data;
    ev.data_len = len;
    sig_emit(c, &ev);
}

/* A group's avatar is a GroupAttributeBlob{avatar} encrypted with the
 * group's blob key like its title (sc_group.h): Signal-Desktop ts/groups.ts
 * applyNewAvatar (decryptGroupBlob, blob.content 'avatar'), signalmeow
 * groups.go decryptGroupAvatar. *pt malloc'd. */
static int group_avatar_open(uint8_t **pt, size_t *pt_len, const uint8_t key[32],
                             const uint8_t *blob, size_t n)
{
    Signalservice__GroupAttributeBlob *ab;
    uint8_t *raw = NULL;
    size_t rn = 0;
    int rc = SIG_ERR_ENVELOPE;

    *pt = NULL;
    *pt_len = 0;
    if (!blob || n > SIG_GROUP_AVATAR_MAX || sc_group_blob_decrypt(&raw, &rn, key, blob, n) != 0)
        return SIG_ERR_DIGEST;
    ab = signalservice__group_attribute_blob__unpack(NULL, rn, raw);
    if (ab && ab->content_case == SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_AVATAR &&
        ab->avatar.len > 0) {
        rc = (*pt = malloc(ab->avatar.len)) ? 0 : UT_ERR_NOMEM;
        if (rc == 0) {
            memcpy(*pt, ab->avatar.data, ab->avatar.len);
            *pt_len = ab->avatar.len;
        }
    }
    if (ab)
        signalservice__group_attribute_blob__free_unpacked(ab, NULL);
    free(raw);
    return rc;
}

/* A profile's avatar is the profile key's AES-256-GCM box (iv 12 || ct ||
 * tag 16), as for the other profile fields: signalmeow profile.go
 * DownloadUserAvatar (decryptBytes), Signal-Desktop Crypto.ts
 * decryptProfile. */
static void avatar_done(int rc, const sn_http_resp *r, sig_download *d)
{
    sig_client *c = d->c;
    char aci[sizeof(d->aci)], path[sizeof(d->path)];
    uint8_t *pt = NULL, gid[32];
    size_t pt_len = 0;
    int group = d->group;

    sig_enter(c);
    if (rc == 0 && r->status != 200)
        rc = SIG_ERR_HTTP;
    if (rc == 0 && group)
        rc = group_avatar_open(&pt, &pt_len, d->key, r->body, r->body_len);
    if (rc == 0 && !group && (r->body_len <= SC_GCMBOX_OVERHEAD || r->body_len > SIG_AVATAR_MAX))
        rc = SIG_ERR_ENVELOPE;
    if (rc == 0 && !group && !(pt = malloc(r->body_len - SC_GCMBOX_OVERHEAD)))
        rc = UT_ERR_NOMEM;
    if (rc == 0 && !group && sc_gcmbox_open(pt, &pt_len, d->key, r->body, r->body_len) != 0)
        rc = SIG_ERR_DIGEST;
    memcpy(aci, d->aci, sizeof(aci));
    memcpy(path, d->path, sizeof(path));
    memcpy(gid, d->gid, sizeof(gid));
    dl_free(d); /* before the event: its handler may close the client */
    if (rc == 0)
        avatar_emit(c, group ? NULL : aci, group ? gid : NULL, path, pt, pt_len);
    else
        sig_logf(c, UT_LOG_INFO, "signal: a %s avatar could not be read: %s",
                 group ? "group" : "profile", sig_strerror(rc));
    free(pt);
    sig_leave(c);
}

/* GET <CDN 0>/<path>: the avatar path of a profile ("profiles/" and 16
 * random bytes in base64url, Signal-Server ProfileHelper
 * generateAvatarObjectName) on cdn.signal.org, as signalmeow
 * DownloadUserAvatar and Desktop's getProfileAvatar (WebAPI.ts, cdn '0')
 * fetch it; or a group's ("groups/..."), fetched from the same CDN by
 * signalmeow groups.go DownloadGroupAvatar (cdn.signal.org) and Desktop's
 * getGroupAvatar. */
static int start_avatar_download(sig_client *c, const char *aci, const uint8_t *gid,
                                 const char *avatar, const uint8_t key[32])
{
    const sig_endpoint *ep = sig_cdn(c, 0);
    const char *rest;
    sn_http_req req;
    char path[512];
    sig_download *d;
    int rc;

    /* an object name below the CDN's root, nothing that leaves it */
    rest = gid ? (strncmp(avatar, "groups/", 7) ? NULL : avatar + 7)
               : (strncmp(avatar, "profiles/", 9) ? NULL : avatar + 9);
    if (!rest || !*rest || strlen(avatar) >= sizeof(d->path) || strpbrk(rest, "?#%\\") ||
        strstr(avatar, "..") || strstr(avatar, "//") || (!gid && strchr(rest, '/')))
        return SIG_ERR_ENVELOPE;
    if ((rc = sig_ep_path(path, sizeof(path), ep, "/")) != 0)
        return rc;
    if (strlen(path) + strlen(avatar) >= sizeof(path))
        return UT_ERR_RANGE;
    strcat(path, avatar);
    d = calloc(1, sizeof(*d));
    if (!d)
        return UT_ERR_NOMEM;
    d->c = c;
    d->avatar = 1;
    d->group = gid != NULL;
    memcpy(d->key, key, 32);
    if (gid)
        memcpy(d->gid, gid, 32);
    else
        snprintf(d->aci, sizeof(d->aci), "%s", aci);
    memcpy(d->path, avatar, strlen(avatar) + 1); /* shorter: checked above */
    d->next = c->downloads;
    c->downloads = d;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    req.max_response = (gid ? SIG_GROUP_AVATAR_MAX : SIG_AVATAR_MAX) + 4096;
    rc = sig_https(c, ep->host, ep->port, &req, dl_done, d);
    if (rc != 0)
        dl_free(d);
    return rc;
}

int sig_group_avatar_fetch(sig_client *c, const uint8_t group_id[32], const char *key,
                           const uint8_t blob_key[32])
{
    if (!*key) { /* removed */
        avatar_emit(c, NULL, group_id, "", NULL, 0);
        return 0;
    }
    return start_avatar_download(c, NULL, group_id, key, blob_key);
}

static void dl_done(int rc, const sn_http_resp *r, void *ud)
{
    sig_download *d = ud;
    sig_client *c = d->c;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    sig_event ev;

    if (sig_dead(c)) {
        dl_free(d); /* cancelled by sig_pool_close */
        return;
    }
    if (d->avatar) {
        avatar_done(rc, r, d);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 200)
        rc = SIG_ERR_HTTP;
    if (rc == 0)
        rc = sig_attachment_decrypt(&pt, &pt_len, r->body, r->body_len, d->key,
                                    d->has_digest ? d->digest : NULL, d->size);
    if (rc == 0)
        contacts_parse(c, pt, pt_len);
    else
        sig_logf(c, UT_LOG_WARN, "signal: contacts download failed: %s",
                 sig_strerror(rc));
    if (pt)
        ut_free_secret(pt, pt_len);
    dl_free(d);
    if (!sig_dead(c)) {
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_SYNC_DONE;
        ev.err = rc;
        sig_emit(c, &ev);
    }
    sig_leave(c);
}

static int start_contacts_download(sig_client *c, const Signalservice__AttachmentPointer *p)
{
    sn_http_req req;
    char path[512];
    const sig_endpoint *ep;
    sig_download *d;
    int rc;

    if (!p->cdnkey || !p->has_key || p->key.len != 64 || !p->has_size ||
        p->size > SIG_CONTACTS_MAX || strpbrk(p->cdnkey, "/?#%"))
        return SIG_ERR_ENVELOPE;
    d = calloc(1, sizeof(*d));
    if (!d)
        return UT_ERR_NOMEM;
    d->c = c;
    memcpy(d->key, p->key.data, 64);
    if (p->has_digest && p->digest.len == 32) {
        memcpy(d->digest, p->digest.data, 32);
        d->has_digest = 1;
    }
    d->size = p->size;
    ep = sig_cdn(c, p->has_cdnnumber ? p->cdnnumber : 0);
    rc = sig_ep_path(path, sizeof(path), ep, "/attachments/");
    if (rc == 0 && strlen(path) + strlen(p->cdnkey) >= sizeof(path))
        rc = UT_ERR_RANGE;
    if (rc == 0)
        strcat(path, p->cdnkey);
    if (rc != 0) {
        free(d);
        return rc;
    }
    d->next = c->downloads;
    c->downloads = d;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    req.max_response = (size_t)p->size + 16 + 16 + 32 + 4096;
    rc = sig_https(c, ep->host, ep->port, &req, dl_done, d);
    if (rc != 0)
        dl_free(d); /* not submitted: no callback */
    return rc;
}

/* A SyncMessage that is ours to handle (not a transcript). Returns 1 when
 * handled, 0 when it is for the caller. */
int sig_sync_handle(sig_client *c, const Signalservice__SyncMessage *sm)
{
    int rc;

    if (sm->sent || sm->n_read > 0)
        return 0;
    if (sm->contacts && sm->contacts->blob) {
        rc = start_contacts_download(c, sm->contacts->blob);
        if (rc != 0)
            sig_logf(c, UT_LOG_WARN, "signal: contacts sync: %s", sig_strerror(rc));
        return 1;
    }
    if (sm->keys && sm->keys->has_master && sm->keys->master.len == 32) {
        memcpy(c->master_key, sm->keys->master.data, 32);
        c->has_master_key = 1;
        (void)sig_rec_put(c, "account", "master_key", c->master_key, 32);
        return 1;
    }
    if (sm->fetchlatest && sm->fetchlatest->type == 2 && c->has_master_key) {
        rc = sig_client_storage_sync(c);
        if (rc != 0 && rc != SIG_ERR_STATE)
            sig_logf(c, UT_LOG_WARN, "signal: storage sync: %s", sig_strerror(rc));
        return 1;
    }
    return sm->blocked || sm->configuration || sm->fetchlatest || sm->request;
}

/* ---- profiles ---------------------------------------------------------------- */

typedef struct prof_op {
    sig_client *c;
    char aci[SIG_UUID_STR_LEN + 1];
    uint8_t key[32];
    int refresh;          /* counted in c->profile_refreshing */
} prof_op;

static void profile_resp(int rc, const sn_rpc_response *r, void *ud)
{
    prof_op *op = ud;
    sig_client *c = op->c;
    json_t *j = NULL;
    const char *enc, *avatar;
    char name[256];
    int arc;

    if (sig_dead(c))
        goto out;
    sig_enter(c);
    if (op->refresh && c->profile_refreshing > 0)
        c->profile_refreshing--;
    if (rc == 0 && r->status == 200 && r->body)
        j = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    if (j && (enc = json_string_value(json_object_get(j, "name"))) &&
        sig_profile_name_decrypt(name, sizeof(name), enc, op->key) == 0)
        (void)sig_contact_update(c, op->aci, NULL, name, 1);
    else
        sig_logf(c, UT_LOG_INFO, "signal: profile not available (%d)",
                 rc ? rc : r ? (int)r->status : 0);
    /* The versioned profile's "avatar" (Signal-Server ProfileController
     * getVersionedProfile: VersionedProfileResponse.avatar), absent or null
     * when there is none (signalmeow then records the path "clear"). */
    if (j && !sig_dead(c)) {
        avatar = json_string_value(json_object_get(j, "avatar"));
        if (!avatar || !*avatar)
            avatar_emit(c, op->aci, NULL, "", NULL, 0);
        else if ((arc = start_avatar_download(c, op->aci, NULL, avatar, op->key)) != 0)
            sig_logf(c, UT_LOG_INFO, "signal: a profile avatar could not be fetched: %s",
                     sig_strerror(arc));
    }
    json_decref(j);
    sig_leave(c);
out:
    ut_wipe(op->key, sizeof(op->key));
    free(op);
}

/* GET the versioned profile of `aci` under `key`; its time is recorded
 * ("profile_fetched", ms) for the refresh. */
static int profile_fetch(sig_client *c, const char *aci, const uint8_t key[32], int refresh)
{
    prof_op *op;
    char path[192], version[SC_PROFILE_KEY_VERSION_HEX + 1], now[24];
    uint8_t uuid[16];
    int rc;

    op = calloc(1, sizeof(*op));
    if (!op)
        return UT_ERR_NOMEM;
    op->c = c;
    op->refresh = refresh;
    snprintf(op->aci, sizeof(op->aci), "%s", aci);
    memcpy(op->key, key, 32);
    snprintf(now, sizeof(now), "%lld", (long long)ut_now_ms());
    (void)sig_rec_put(c, "profile_fetched", aci, now, strlen(now));
    /* The versioned profile: production's unversioned one carries no name
     * (Signal-Server ProfileController getUnversionedProfile); Desktop and
     * signalmeow ask for /v1/profile/<aci>/<version> (WebAPI getProfileUrl,
     * signalmeow profile.go). */
    rc = sig_uuid_parse(uuid, aci) == 0 ? sc_profile_key_version(version, key, uuid)
                                        : SIG_ERR_ENVELOPE;
    if (rc == 0)
        snprintf(path, sizeof(path), "/v1/profile/%s/%s", aci, version);
    if (rc == 0)
        rc = sn_sock_request(c->chat, "GET", path, NULL, 0, NULL, 0, 30000,
                             profile_resp, op);
    if (rc != 0) {
        ut_wipe(op->key, sizeof(op->key));
        free(op);
    } else if (refresh) {
        c->profile_refreshing++;
    }
    return rc;
}

int sig_profile_key_seen(sig_client *c, const char *aci, const uint8_t *key,
                         size_t len)
{
    uint8_t old[32];
    ut_buf b;
    int known, rc;

    if (len != 32 || !c->chat)
        return 0;
    ut_buf_init(&b, 64);
    known = sig_rec_get(c, "profile_key", aci, &b) == 0 && b.len == 32;
    if (known)
        memcpy(old, b.data, 32);
    ut_buf_free_secret(&b);
    if (known && ut_ct_eq(old, key, 32))
        return 0;
    ut_wipe(old, sizeof(old));
    if ((rc = sig_rec_put(c, "profile_key", aci, key, 32)) != 0)
        return rc;
    return profile_fetch(c, aci, key, 0);
}

/* ---- refreshing profiles ------------------------------------------------------ */

static int collect_aci(void *arg, const char *key, const void *v, size_t len)
{
    (void)v;
    return len != 32 ? 0 : json_array_append_new(arg, json_string(key)) != 0;
}

/* Fetch again the profiles fetched longest ago, older than the refresh
 * age, while fewer than SIG_PROFILE_REFRESH_RUNNING refreshes run. */
static void refresh_some(sig_client *c)
{
    int64_t now = ut_now_ms(), due = now - (int64_t)c->cfg.profile_refresh_s * 1000;
    json_t *acis = json_array(), *v;
    size_t i;

    if (!acis || !c->linked || !c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED ||
        st_record_each(c->db, c->cfg.account, "profile_key", collect_aci, acis) < 0) {
        json_decref(acis);
        return;
    }
    json_array_foreach(acis, i, v) {
        const char *aci = json_string_value(v);
        long long t = 0;
        ut_buf b;
        int rc;

        if (c->profile_refreshing >= SIG_PROFILE_REFRESH_RUNNING || sig_dead(c))
            break;
        if (!aci || !strcmp(aci, c->aci))
            continue;
        ut_buf_init(&b, 32);
        if (sig_rec_get(c, "profile_fetched", aci, &b) == 0 && b.len < 24) {
            char s[24];

            memcpy(s, b.data, b.len);
            s[b.len] = '\0';
            t = atoll(s);
        }
        ut_buf_free(&b);
        if (t > due)
            continue;
        ut_buf_init(&b, 64);
        rc = sig_rec_get(c, "profile_key", aci, &b) == 0 && b.len == 32
                 ? profile_fetch(c, aci, b.data, 1) : 0;
        ut_buf_free_secret(&b);
        if (rc != 0) {
            sig_logf(c, UT_LOG_INFO, "signal: a profile refresh could not start: %s",
                     sig_strerror(rc));
            break;
        }
    }
    json_decref(acis);
}

/* The walk runs 60 times per refresh age (at most once a second, at least
 * once a minute), jittered by +-25% so that many clients spread out. */
static void refresh_arm(sig_client *c)
{
    uint32_t ms = c->cfg.profile_refresh_s * 1000u / 60u, r = 0;
    struct timeval tv;

    if (ms < 1000)
        ms = 1000;
    if (ms > 60000)
        ms = 60000;
    if (ut_random(&r, sizeof(r)) == 0)
        ms = ms * 3 / 4 + r % (ms / 2 + 1);
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    evtimer_add(c->profile_timer, &tv);
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    sig_client *c = arg;

    (void)fd;
    (void)what;
    sig_enter(c);
    if (!sig_dead(c)) {
        refresh_some(c);
        if (!sig_dead(c))
            refresh_arm(c);
    }
    sig_leave(c);
}

void sig_profiles_refresh_start(sig_client *c)
{
    if (!c->cfg.profile_refresh_s || (c->profile_timer && evtimer_pending(c->profile_timer, NULL)))
        return;
    if (!c->profile_timer && !(c->profile_timer = evtimer_new(c->base, on_refresh, c)))
        return;
    refresh_arm(c);
}

void sig_profiles_refresh_stop(sig_client *c)
{
    if (c->profile_timer)
        event_free(c->profile_timer);
    c->profile_timer = NULL;
}
