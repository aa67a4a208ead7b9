/* sig_groups.c - groups v2 (sig_groups.h, signal-service.md §9): group auth
 * credentials (GET /v1/certificate/auth/group, zkgroup-verified, cached
 * per day in the store) and the group state from the groups server (GET
 * <storage>/v2/groups with a credential presentation). Sending to a group
 * is in sig_gsend.c. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Groups.pb-c.h"
#include "SignalService.pb-c.h"
#include "sc_group.h"
#include "sc_prim.h"
#include "sc_zk.h"
#include "sig_err.h"
#include "sig_groups.h"
#include "sig_gse.h"
#include "sig_gstate.h"
#include "sig_int.h"

/* Signal production's zkgroup ServerPublicParams (673 bytes, the current
 * format: libsignal 0.100's ServerPublicParams accepts it): Signal-Android's
 * ZKGROUP_SERVER_PUBLIC_PARAMS (app/build.gradle.kts, prod flavour), the
 * same value as Signal-Desktop's config/production.json
 * "serverPublicParams". Older copies carry shorter values whose prefix
 * this is (keys added since). */
static const char prod_server_params[] =
    "AMhf5ywVwITZMsff/eCyudZx9JDmkkkbV6PInzG4p8x3VqVJSFiMvnvlEKWuRob/1eaIetR31IYeAbm0NdOuHH8Qi+"
    "Rexi1wLlpzIo1gstHWBfZzy1+qHRV5A4TqPp15YzBPm0WSggW6PbSn+F4lf57VCnHF7p8SvzAA2ZZJPYJURt8X7bbg"
    "+H3i+PEjH9DXItNEqs2sNcug37xZQDLm7X36nOoGPs54XsEGzPdEV+itQNGUFEjY6X9Uv+Acuks7NpyGvCoKxGwgKg"
    "E5XyJ+nNKlyHHOLb6N1NuHyBrZrgtY/JYJHRooo5CEqYKBqdFnmbTVGEkCvJKxLnjwKWf+fEPoWeQFj5ObDjcKMZf2"
    "Jm2Ae69x+ikU5gBXsRmoF94GXTLfN0/vLt98KDPnxwAQL9j5V1jGOY8jQl6MLxEs56cwXN0dqCnImzVH3TZT1cJ8SW"
    "1BRX6qIVxEzjsSGx3yxF3suAilPMqGRp4ffyopjMD1JXiKR2RwLKzizUe5e8XyGOy9fplzhw3jVzTRyUZTRSZKkMLW"
    "cQ/gv0E4aONNqs4P+NameAZYOD12qRkxosQQP5uux6B2nRyZ7sAV54DgFyLiRcq1FvwKw2EPQdk4HDoePrO/RNUbyN"
    "ddnM/mMgj4FW65xCoT1LmjrIjsv/Ggdlx46ueczhMgtBunx1/w8k8V+l8LVZ8gAT6wkU5J+DPQalQguMg12Jzug3q4"
    "TbdHiGCmD9EunCwOmsLuLJkz6EcSYXtrlDEnAM+hicw7iergYLLlMXpfTdGxJCWJmP4zqUFeTTmsmhsjGBt7NiEB/9"
    "pFFEB3pSbf4iiUukw63Eo8Aqnf4iwob6X1QviCWuc8t0LUlT9vALgh/f2DPVOOmR0RW6bgRvc7DSF20V/omg+YBw==";

#define DAY 86400u
#define CRED_DAYS 7u
#define GROUP_MAX (4u << 20)
#define FETCH_MAX 4 /* group state requests at once (streams of one connection) */

typedef struct gfetch gfetch;
struct gfetch {
    gfetch *next;
    sig_client *c;
    uint8_t gid[32];
    uint8_t mk[32];
    int running;                  /* its request is out (sig_https) */
    sc_zk_group zg;
    uint8_t pub[SC_ZK_GROUP_PUBLIC_LEN];
    int cancelled;
};

struct sig_groups {
    sc_zk_server *sp;
    char fp[17];             /* params fingerprint: prefix of cached creds */
    int sp_err;              /* parse result once tried (0 = not yet) */
    int cred_pending;        /* GET /v1/certificate/auth/group in flight */
    gfetch *fetches;         /* waiting for credentials or in flight */
};

static void hexify(char *out, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int gid_key(char **key, const uint8_t gid[32])
{
    return sig_b64_encode(gid, 32, key);
}

static sig_groups *groups(sig_client *c)
{
    if (!c->groups)
        c->groups = calloc(1, sizeof(*c->groups));
    return c->groups;
}

/* The server params, parsed once (SIG_ERR_ZK_PARAMS when unusable). */
static int server_params(sig_client *c, sc_zk_server **out)
{
    sig_groups *gs = groups(c);
    uint8_t *raw = NULL;
    size_t n = 0;
    int rc;

    if (!gs)
        return UT_ERR_NOMEM;
    if (gs->sp_err)
        return gs->sp_err;
    if (!gs->sp) {
        uint8_t h[32];

        rc = sig_b64_decode(c->zk_params ? c->zk_params : prod_server_params, &raw, &n);
        if (rc == 0 && sc_zk_server_parse(&gs->sp, raw, n) != 0)
            rc = SIG_ERR_ZK_PARAMS;
        /* credentials are cached per params: others never verify */
        if (rc == 0 && (rc = sc_sha256(h, raw, n)) == 0)
            hexify(gs->fp, h, 8);
        free(raw);
        if (rc != 0 && gs->sp) {
            sc_zk_server_free(gs->sp);
            gs->sp = NULL;
        }
        if (rc != 0) {
            gs->sp_err = rc == UT_ERR_NOMEM ? 0 : SIG_ERR_ZK_PARAMS;
            sig_logf(c, UT_LOG_ERROR,
                     "signal: the zkgroup server public params are not valid "
                     "(server_public_params): groups cannot be read");
            return rc == UT_ERR_NOMEM ? rc : SIG_ERR_ZK_PARAMS;
        }
    }
    *out = gs->sp;
    return 0;
}

/* ---- stored group data ------------------------------------------------------- */

int sig_group_master_key(sig_client *c, const uint8_t gid[32], uint8_t mk[32])
{
    char *key = NULL;
    ut_buf b;
    int rc;

    if ((rc = gid_key(&key, gid)) != 0)
        return rc;
    ut_buf_init(&b, 64);
    rc = sig_rec_get(c, "group", key, &b);
    if (rc == 0 && b.len == 32)
        memcpy(mk, b.data, 32);
    else if (rc == 0 || rc == ST_ERR_NOTFOUND)
        rc = SIG_ERR_STATE;
    ut_buf_free_secret(&b);
    free(key);
    return rc;
}

int sig_group_info_get(sig_client *c, const uint8_t group_id[32], sig_group_info **out)
{
    char *key = NULL;
    ut_buf b;
    int rc;

    *out = NULL;
    if ((rc = gid_key(&key, group_id)) != 0)
        return rc;
    ut_buf_init(&b, 1u << 24);
    rc = sig_rec_get(c, "group_state", key, &b);
    if (rc == ST_ERR_NOTFOUND)
        rc = SIG_ERR_STATE;
    if (rc == 0)
        rc = sig_gstate_load((const char *)b.data, b.len, out);
    if (rc == 0)
        memcpy((*out)->group_id, group_id, 32);
    ut_buf_free(&b);
    free(key);
    return rc;
}

int sig_group_is_member(sig_client *c, const uint8_t group_id[32], const char *aci)
{
    sig_group_info *g = NULL;
    size_t i;
    int yes = 0;

    if (!aci || sig_group_info_get(c, group_id, &g) != 0)
        return 0;
    for (i = 0; i < g->n_members && !yes; i++)
        yes = strcmp(g->members[i].aci, aci) == 0;
    sig_group_info_free(g);
    return yes;
}

typedef struct id_list {
    uint8_t *ids;
    size_t n, cap;
    int err;
} id_list;

static int collect_id(void *arg, const char *key, const void *v, size_t len)
{
    id_list *l = arg;
    uint8_t *raw = NULL;
    size_t n = 0;

    (void)v;
    (void)len;
    if (sig_b64_decode(key, &raw, &n) != 0 || n != 32) {
        free(raw);
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        uint8_t *p = realloc(l->ids, cap * 32);
        if (!p) {
            free(raw);
            l->err = UT_ERR_NOMEM;
            return 1;
        }
        l->ids = p;
        l->cap = cap;
    }
    memcpy(l->ids + 32 * l->n++, raw, 32);
    free(raw);
    return 0;
}

int sig_group_list(sig_client *c, uint8_t **ids, size_t *n)
{
    id_list l = {NULL, 0, 0, 0};
    int rc = st_record_each(c->db, c->cfg.account, "group", collect_id, &l);

    if (rc >= 0 && l.err)
        rc = l.err;
    if (rc < 0 || (rc > 0 && l.err)) {
        free(l.ids);
        *ids = NULL;
        *n = 0;
        return rc < 0 ? rc : l.err;
    }
    *ids = l.n ? l.ids : NULL;
    if (!l.n)
        free(l.ids);
    *n = l.n;
    return 0;
}

/* ---- fetching the state ------------------------------------------------------ */

static void fetch_unlink(sig_client *c, gfetch *f)
{
    gfetch **pp;

    if (!c->groups)
        return;
    for (pp = &c->groups->fetches; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            return;
        }
}

static void fetch_free(gfetch *f)
{
    ut_wipe(f, sizeof(*f));
    free(f);
}

/* End a fetch: store-and-emit already done by the caller on success. */
static void fetch_finish(gfetch *f, int err, const sig_group_info *g)
{
    sig_client *c = f->c;
    uint8_t gid[32];
    sig_event ev;

    memcpy(gid, f->gid, 32);
    fetch_unlink(c, f);
    fetch_free(f);
    if (err)
        sig_logf(c, UT_LOG_WARN, "signal: group state fetch failed: %s", sig_strerror(err));
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_GROUP_UPDATED;
    ev.err = err;
    ev.group_id = gid;
    ev.group_info = err ? NULL : g;
    sig_emit(c, &ev);
    if (!sig_dead(c))
        sig_gchange_fetched(c, gid, err); /* changes that waited for it */
}

static int zk_uid(void *arg, uint8_t uuid[16], int *kind, const uint8_t *ct, size_t n)
{
    return sc_zk_uid_decrypt(uuid, kind, arg, ct, n);
}

static int zk_pkey(void *arg, uint8_t key[32], const uint8_t *ct, size_t n,
                   const uint8_t aci[16])
{
    return sc_zk_profile_key_decrypt(key, arg, ct, n, aci);
}

int sig_group_state_put(sig_client *c, const sig_group_info *g)
{
    char *key = NULL, *js = NULL;
    int rc;

    if ((rc = gid_key(&key, g->group_id)) == 0 && (rc = sig_gstate_dump(g, &js)) == 0)
        rc = sig_rec_put(c, "group_state", key, js, strlen(js));
    free(key);
    free(js);
    return rc;
}

static void cred_clear(sig_client *c);
static void pump(sig_client *c, int err);

/* The groups server says we are not a member (removed, or left from the
 * phone): drop ourselves from the stored member list. */
static void forget_self(sig_client *c, const uint8_t gid[32])
{
    sig_group_info *g = NULL;
    size_t i, k = 0;

    if (sig_group_info_get(c, gid, &g) != 0)
        return;
    for (i = 0; i < g->n_members; i++)
        if (strcmp(g->members[i].aci, c->aci) != 0)
            g->members[k++] = g->members[i];
    if (k != g->n_members) {
        g->n_members = k;
        if (sig_group_state_put(c, g) != 0)
            sig_logf(c, UT_LOG_WARN, "signal: could not store that we left a group");
    }
    sig_group_info_free(g);
}

static void state_done(int rc, const sn_http_resp *r, void *ud)
{
    gfetch *f = ud;
    sig_client *c = f->c;
    sig_group_info *g = NULL, *old = NULL;
    uint8_t blob_key[32] = {0}, *pkeys = NULL, gid[32];
    sig_gstate_dec d;
    size_t i, skipped = 0;
    int new_avatar = 0, arc;

    if (f->cancelled || sig_dead(c)) {
        if (!f->cancelled)
            fetch_unlink(c, f);
        fetch_free(f);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status == 401)
        cred_clear(c); /* the credential was refused: fetch new ones next time */
    if (rc == 0 && r->status == 403) {
        rc = SIG_ERR_NOT_MEMBER;
        forget_self(c, f->gid); /* so sends are refused, not fanned out */
    } else if (rc == 0 && r->status != 200)
        rc = SIG_ERR_HTTP;
    if (rc == 0)
        rc = sc_group_derive(gid, blob_key, f->mk);
    if (rc == 0) {
        memset(&d, 0, sizeof(d));
        d.uid = zk_uid;
        d.pkey = zk_pkey;
        d.arg = &f->zg;
        d.blob_key = blob_key;
        rc = r->body ? sig_gstate_parse(r->body, r->body_len, &d, f->pub, &g, &pkeys, &skipped)
                     : SIG_ERR_ENVELOPE;
    }
    if (rc == 0) {
        memcpy(g->group_id, f->gid, 32);
        if (skipped)
            sig_logf(c, UT_LOG_WARN, "signal: %zu group member ids did not decrypt", skipped);
        /* the avatar is fetched when its key changed, as Desktop's
         * applyNewAvatar does (ts/groups.ts: "has it changed?"), or was
         * never read (a state stored before avatars were) */
        (void)sig_group_info_get(c, f->gid, &old);
        new_avatar = !old || !old->avatar || strcmp(old->avatar, g->avatar) != 0;
        sig_group_info_free(old);
        rc = sig_group_state_put(c, g);
    }
    if (rc == 0) {
        /* the state's send endorsements, for group sends by token (Desktop
         * ts/groups.ts: decodeGroupSendEndorsementsResponse on every
         * GroupResponse, kept with the group) */
        uint8_t *gse = NULL;
        size_t gse_len = 0;
        sc_zk_server *sp = NULL;

        if (server_params(c, &sp) == 0 &&
            sig_gstate_endorsements(r->body, r->body_len, &gse, &gse_len) == 0)
            sig_gse_store(c, sp, &f->zg, g, gse, gse_len);
        free(gse);
    }
    for (i = 0; rc == 0 && i < g->n_members; i++)
        if (g->members[i].has_profile_key && strcmp(g->members[i].aci, c->aci) != 0)
            (void)sig_profile_key_seen(c, g->members[i].aci, pkeys + 32 * i, 32);
    if (pkeys)
        ut_free_secret(pkeys, 32 * (g && g->n_members ? g->n_members : 1));
    memcpy(gid, f->gid, 32);
    if (!sig_dead(c))
        fetch_finish(f, rc, g);
    /* after the state's event, so that the bridge knows the group first */
    if (rc == 0 && new_avatar && !sig_dead(c) &&
        (arc = sig_group_avatar_fetch(c, gid, g->avatar, blob_key)) != 0)
        sig_logf(c, UT_LOG_INFO, "signal: a group avatar could not be fetched: %s",
                 sig_strerror(arc));
    ut_wipe(blob_key, sizeof(blob_key));
    sig_group_info_free(g);
    pump(c, 0); /* the next queued fetch */
    sig_leave(c);
}

/* "<params fingerprint>:<redemption time>" */
static int cred_key(sig_client *c, char out[40], uint64_t t)
{
    if (!c->groups || !c->groups->fp[0])
        return SIG_ERR_STATE;
    return snprintf(out, 40, "%s:%020" PRIu64, c->groups->fp, t) == 37 ? 0 : UT_ERR_RANGE;
}

static int collect_key(void *arg, const char *key, const void *v, size_t len)
{
    json_t *a = arg;

    (void)v;
    (void)len;
    return json_array_append_new(a, json_string(key)) != 0;
}

/* Forget every cached credential (new ones replace them all). */
static void cred_clear(sig_client *c)
{
    json_t *a = json_array(), *v;
    size_t i;

    if (a && st_record_each(c->db, c->cfg.account, "group_auth", collect_key, a) == 0)
        json_array_foreach(a, i, v)(void) sig_rec_del(c, "group_auth", json_string_value(v));
    json_decref(a);
}

static uint64_t today(void)
{
    uint64_t s = (uint64_t)ut_now_ms() / 1000;

    return s - s % DAY;
}

/* Today's cached credential: 0 and *b filled, ST_ERR_NOTFOUND, ST_ERR_*. */
static int cred_get(sig_client *c, ut_buf *b)
{
    char k[40];
    int rc;

    if ((rc = cred_key(c, k, today())) != 0)
        return rc;
    return sig_rec_get(c, "group_auth", k, b);
}

int sig_group_auth(sig_client *c, const sc_zk_group *zg, const uint8_t *pub, char **auth)
{
    sc_zk_server *sp;
    uint8_t *pres = NULL;
    size_t pres_len = 0, ulen;
    char *user = NULL, *b64 = NULL;
    ut_buf cred;
    int rc;

    *auth = NULL;
    ut_buf_init(&cred, 4096);
    if ((rc = server_params(c, &sp)) != 0 || (rc = cred_get(c, &cred)) != 0)
        goto out;
    if (sc_zk_auth_present(&pres, &pres_len, sp, zg, cred.data, cred.len, NULL) != 0) {
        rc = SIG_ERR_ZK_PARAMS;
        goto out;
    }
    ulen = 2 * SC_ZK_GROUP_PUBLIC_LEN + 1 + 2 * pres_len;
    if (!(user = malloc(ulen + 1))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    hexify(user, pub, SC_ZK_GROUP_PUBLIC_LEN);
    user[2 * SC_ZK_GROUP_PUBLIC_LEN] = ':';
    hexify(user + 2 * SC_ZK_GROUP_PUBLIC_LEN + 1, pres, pres_len);
    if ((rc = sig_b64_encode((const uint8_t *)user, ulen, &b64)) != 0)
        goto out;
    if (!(*auth = malloc(strlen(b64) + 7))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    sprintf(*auth, "Basic %s", b64);
out:
    ut_buf_free_secret(&cred);
    free(pres);
    free(user);
    free(b64);
    return rc;
}

/* Present today's credential and send GET /v2/groups. */
static int fetch_start(gfetch *f)
{
    sig_client *c = f->c;
    char *auth = NULL, path[320];
    sn_hdr h;
    sn_http_req req;
    int rc;

    if ((rc = sig_group_auth(c, &f->zg, f->pub, &auth)) != 0)
        goto out;
    if ((rc = sig_ep_path(path, sizeof(path), &c->ep[SIG_EP_STORAGE], "/v2/groups")) != 0)
        goto out;
    h.name = "authorization";
    h.value = auth;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    req.headers = &h;
    req.n_headers = 1;
    req.max_response = GROUP_MAX;
    rc = sig_https(c, c->ep[SIG_EP_STORAGE].host, c->ep[SIG_EP_STORAGE].port, &req,
                   state_done, f);
    f->running = rc == 0;
out:
    free(auth);
    return rc;
}

/* ---- credentials --------------------------------------------------------------- */

static int cred_store(sig_client *c, sc_zk_server *sp, json_t *j)
{
    uint8_t aci[16], pni[16];
    json_t *a = json_object_get(j, "credentials"), *v;
    size_t i, stored = 0;
    int rc = 0;

    if (!json_is_array(a))
        return SIG_ERR_JSON;
    if (sig_uuid_parse(aci, c->aci) != 0 || !c->pni[0] || sig_uuid_parse(pni, c->pni) != 0)
        return SIG_ERR_STATE;
    cred_clear(c);
    json_array_foreach(a, i, v) {
        const char *b64 = NULL;
        json_int_t t = 0;
        uint8_t *resp = NULL, *cred = NULL;
        size_t rn = 0, cn = 0;
        char k[40];

        if (json_unpack(v, "{s:s,s:I}", "credential", &b64, "redemptionTime", &t) != 0 || t < 0 ||
            sig_b64_decode(b64, &resp, &rn) != 0) {
            rc = SIG_ERR_JSON;
            break;
        }
        if (sc_zk_auth_receive(&cred, &cn, sp, aci, pni, (uint64_t)t, resp, rn) != 0) {
            free(resp);
            rc = SIG_ERR_ZK_PARAMS; /* issued under other params than ours */
            break;
        }
        free(resp);
        if ((rc = cred_key(c, k, (uint64_t)t)) == 0)
            rc = sig_rec_put(c, "group_auth", k, cred, cn);
        ut_free_secret(cred, cn);
        if (rc != 0)
            break;
        stored++;
    }
    if (rc == 0 && stored == 0)
        rc = SIG_ERR_JSON;
    if (rc == 0)
        sig_logf(c, UT_LOG_INFO, "signal: group credentials received for %zu days", stored);
    return rc;
}

/* Queued fetches (no connection yet) start while fewer than FETCH_MAX
 * run; with err, every queued one ends with it instead. Loop side only:
 * ending a fetch emits. The scan restarts after each end, since the
 * callback may change the list. */
static void pump(sig_client *c, int err)
{
    gfetch *f;

    while (!sig_dead(c) && c->groups) {
        size_t n = 0;
        int rc;

        for (f = c->groups->fetches; f; f = f->next)
            n += f->running;
        for (f = c->groups->fetches; f && f->running; f = f->next)
            ;
        if (!f || (!err && n >= FETCH_MAX))
            return;
        if ((rc = err) == 0 && (rc = fetch_start(f)) == 0)
            continue;
        fetch_finish(f, rc, NULL);
    }
}

static void cred_done(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;
    sig_groups *gs = c->groups;
    sc_zk_server *sp = NULL;
    json_t *j = NULL;
    ut_buf b;

    if (gs)
        gs->cred_pending = 0;
    if (sig_dead(c) || !gs)
        return;
    sig_enter(c);
    if (rc == 0 && r->status != 200)
        rc = r->status == 401 || r->status == 403 ? SIG_ERR_UNLINKED : SIG_ERR_HTTP;
    if (rc == 0 && (!r->body || !(j = json_loadb((const char *)r->body, r->body_len, 0, NULL))))
        rc = SIG_ERR_JSON;
    if (rc == 0)
        rc = server_params(c, &sp);
    if (rc == 0)
        rc = cred_store(c, sp, j);
    json_decref(j);
    ut_buf_init(&b, 4096);
    if (rc == 0 && cred_get(c, &b) != 0)
        rc = SIG_ERR_HTTP; /* the server gave none for today */
    ut_buf_free_secret(&b);
    if (rc != 0)
        sig_logf(c, UT_LOG_WARN, "signal: group credentials: %s", sig_strerror(rc));
    pump(c, rc);
    sig_leave(c);
}

static int cred_request(sig_client *c)
{
    char path[160];
    uint64_t t0 = today();
    int rc;

    if (c->groups->cred_pending)
        return 0;
    snprintf(path, sizeof(path),
             "/v1/certificate/auth/group?redemptionStartSeconds=%" PRIu64
             "&redemptionEndSeconds=%" PRIu64,
             t0, t0 + CRED_DAYS * DAY);
    rc = sn_sock_request(c->chat, "GET", path, NULL, 0, NULL, 0, 30000, cred_done, c);
    if (rc == 0)
        c->groups->cred_pending = 1;
    return rc;
}

int sig_group_fetch(sig_client *c, const uint8_t group_id[32])
{
    sig_groups *gs;
    sc_zk_server *sp;
    gfetch *f, *g;
    ut_buf b;
    size_t running = 0;
    int rc, have;

    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    if (!(gs = groups(c)))
        return UT_ERR_NOMEM;
    for (f = gs->fetches; f; f = f->next)
        if (memcmp(f->gid, group_id, 32) == 0)
            return 0;
    if ((rc = server_params(c, &sp)) != 0)
        return rc;
    if (!(f = calloc(1, sizeof(*f))))
        return UT_ERR_NOMEM;
    f->c = c;
    memcpy(f->gid, group_id, 32);
    if ((rc = sig_group_master_key(c, group_id, f->mk)) != 0 ||
        (rc = sc_zk_group_derive(&f->zg, f->mk)) != 0) {
        fetch_free(f);
        return rc;
    }
    sc_zk_group_public(f->pub, &f->zg);
    ut_buf_init(&b, 4096);
    have = cred_get(c, &b) == 0;
    ut_buf_free_secret(&b);
    for (g = gs->fetches; g; g = g->next)
        running += g->running;
    /* queued (not running) until credentials arrive or a running one ends */
    rc = !have ? cred_request(c) : running < FETCH_MAX ? fetch_start(f) : 0;
    if (rc != 0) { /* no request callback is pending */
        fetch_free(f);
        return rc;
    }
    f->next = gs->fetches;
    gs->fetches = f;
    return 0;
}

void sig_groups_seen(sig_client *c, const uint8_t master_key[32], int64_t revision)
{
    sig_group_info *g = NULL;
    uint8_t gid[32];
    char *key = NULL;
    int fetch = 1, rc;

    if (sc_group_derive(gid, NULL, master_key) != 0 || gid_key(&key, gid) != 0)
        return;
    (void)sig_rec_put(c, "group", key, master_key, 32);
    free(key);
    if (revision >= 0 && sig_group_info_get(c, gid, &g) == 0)
        fetch = (int64_t)g->revision < revision;
    sig_group_info_free(g);
    if (fetch && (rc = sig_group_fetch(c, gid)) != 0)
        sig_logf(c, UT_LOG_INFO, "signal: group state not fetched: %s", sig_strerror(rc));
}

void sig_groups_online(sig_client *c)
{
    uint8_t *ids = NULL;
    size_t n = 0, i, started = 0;

    if (sig_group_list(c, &ids, &n) != 0)
        return;
    for (i = 0; i < n && started < 64; i++) {
        sig_group_info *g = NULL;
        int rc = sig_group_info_get(c, ids + 32 * i, &g);

        sig_group_info_free(g);
        if (rc != SIG_ERR_STATE)
            continue;
        if ((rc = sig_group_fetch(c, ids + 32 * i)) != 0) {
            sig_logf(c, UT_LOG_INFO, "signal: group state not fetched: %s", sig_strerror(rc));
            break;
        }
        started++;
    }
    free(ids);
}

void sig_groups_cancel_all(sig_client *c)
{
    gfetch *f;

    sig_gchange_cancel_all(c);

    if (!c->groups)
        return;
    /* sig_pool_close went first (logout, free): the running fetches'
     * cancelled callbacks freed them. A running one still here has its
     * callback pending: close the pool, which runs it (it frees itself). */
    while ((f = c->groups->fetches) != NULL) {
        c->groups->fetches = f->next;
        if (f->running) {
            f->cancelled = 1;
            sig_pool_close(c);
        } else {
            fetch_free(f);
        }
    }
}

void sig_groups_free(sig_client *c)
{
    if (!c->groups)
        return;
    sig_groups_cancel_all(c);
    sc_zk_server_free(c->groups->sp);
    free(c->groups);
    c->groups = NULL;
}
