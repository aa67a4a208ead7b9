/* sig_gchange.c - changing a group on the groups server (sig_groups.h
 * sig_group_modify): title, description and disappearing timer, the way
 * Signal-Desktop does it (ts/groups.ts buildTitleChange,
 * buildDescriptionChange, buildDisappearingMessagesTimerChange: one
 * GroupChange.Actions of version = revision + 1 with the new value as a
 * GroupAttributeBlob encrypted with the group's secret params;
 * modifyGroupV2 / uploadGroupChange -> ts/textsecure/WebAPI.ts
 * modifyGroup: PATCH /v2/groups, body the Actions, the group auth of GET
 * /v2/groups, answer a GroupChangeResponse{groupChange} signed by the
 * server). A 409 means the group has a newer revision than ours
 * (Signal-Server storage-service GroupsController: "version" must be the
 * current + 1): like Desktop's modifyGroupV2 loop we fetch the state
 * again and rebuild, a bounded number of times. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "Groups.pb-c.h"
#include "sc_group.h"
#include "sc_zk.h"
#include "sig_err.h"
#include "sig_groups.h"
#include "sig_int.h"

#define CHANGE_MAX (1u << 20)

typedef struct sig_gchange gch;
struct sig_gchange {
    gch *next;
    sig_client *c;
    uint8_t gid[32];
    int what;
    char *text;
    uint32_t timer;
    void *ud;
    int tries;         /* PATCHes sent */
    int waiting;       /* for a fetch of the group (credentials, 409) */
    int running;       /* the PATCH is out */
    int cancelled;
};

static void unlink_change(sig_client *c, gch *g)
{
    gch **pp;

    for (pp = &c->gchanges; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            return;
        }
}

static void change_free(gch *g)
{
    free(g->text);
    free(g);
}

/* The end of a change: SIG_EV_GROUP_CHANGED. */
static void finish(gch *g, int err)
{
    sig_client *c = g->c;
    uint8_t gid[32];
    void *ud = g->ud;
    sig_event ev;

    memcpy(gid, g->gid, 32);
    unlink_change(c, g);
    change_free(g);
    if (err)
        sig_logf(c, UT_LOG_WARN, "signal: a group change failed: %s", sig_strerror(err));
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_GROUP_CHANGED;
    ev.err = err;
    ev.group_id = gid;
    ev.send_ud = ud;
    sig_emit(c, &ev);
}

/* Our role in the stored state may change the group's attributes? The
 * groups server checks AccessControl.attributes for title, description
 * and timer and answers 403 otherwise (signalapp/storage-service
 * groups/GroupChangeApplicator.java applyModifyTitle /
 * applyModifyDescription: GroupAuth.isModifyAttributesAllowed, else
 * ForbiddenException; the mock's server/group.js verifyAccess likewise);
 * Signal-Desktop hides the edit for non-admins when it is ADMINISTRATOR
 * (ts/state/selectors/conversations.ts canEditGroupInfo). */
static int may_change(const sig_client *c, const sig_group_info *gi)
{
    size_t i;
    int role = -1;

    for (i = 0; i < gi->n_members; i++)
        if (!strcmp(gi->members[i].aci, c->aci))
            role = gi->members[i].role;
    if (role < 0)
        return SIG_ERR_NOT_MEMBER;
    if (gi->attributes_access == SIG_GROUP_ACCESS_UNSATISFIABLE ||
        (gi->attributes_access == SIG_GROUP_ACCESS_ADMIN && role != SIG_GROUP_ROLE_ADMIN))
        return SIG_ERR_GROUP_ACCESS;
    return 0;
}

/* The encrypted GroupAttributeBlob of the new value. */
static int new_blob(const gch *g, const uint8_t blob_key[32], uint8_t **out, size_t *n)
{
    Signalservice__GroupAttributeBlob b = SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__INIT;
    uint8_t *pt;
    size_t len;
    int rc;

    if (g->what == SIG_GCHANGE_TITLE) {
        b.content_case = SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_TITLE;
        b.title = g->text;
    } else if (g->what == SIG_GCHANGE_DESCRIPTION) {
        b.content_case = SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_DESCRIPTION_TEXT;
        b.descriptiontext = g->text;
    } else {
        b.content_case = SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_DISAPPEARING_MESSAGES_DURATION;
        b.disappearingmessagesduration = g->timer;
    }
    len = signalservice__group_attribute_blob__get_packed_size(&b);
    if (!(pt = malloc(len ? len : 1)))
        return UT_ERR_NOMEM;
    signalservice__group_attribute_blob__pack(&b, pt);
    /* no padding: libsignal's encrypt_blob_with_padding(.., 0), as Desktop
     * ts/groups.ts encryptGroupBlob calls it */
    rc = sc_group_blob_encrypt(out, n, blob_key, NULL, pt, len, 0);
    free(pt);
    return rc;
}

static void patch_done(int rc, const sn_http_resp *r, void *ud);

/* Build and send the change against the stored state. 1: waiting for a
 * fetch (no credential for today yet); 0: the PATCH is out; < 0 error. */
static int attempt(gch *g)
{
    Signalservice__GroupChange__Actions a = SIGNALSERVICE__GROUP_CHANGE__ACTIONS__INIT;
    Signalservice__GroupChange__Actions__ModifyTitleAction mt =
        SIGNALSERVICE__GROUP_CHANGE__ACTIONS__MODIFY_TITLE_ACTION__INIT;
    Signalservice__GroupChange__Actions__ModifyDescriptionAction md =
        SIGNALSERVICE__GROUP_CHANGE__ACTIONS__MODIFY_DESCRIPTION_ACTION__INIT;
    Signalservice__GroupChange__Actions__ModifyDisappearingMessageTimerAction mx =
        SIGNALSERVICE__GROUP_CHANGE__ACTIONS__MODIFY_DISAPPEARING_MESSAGE_TIMER_ACTION__INIT;
    sig_client *c = g->c;
    sig_group_info *gi = NULL;
    sc_zk_group zg;
    uint8_t mk[32], bk[32], pub[SC_ZK_GROUP_PUBLIC_LEN], *blob = NULL, *body = NULL;
    size_t blen = 0, n = 0;
    char *auth = NULL, path[320];
    sn_hdr h[2];
    sn_http_req req;
    int rc;

    memset(&zg, 0, sizeof(zg));
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED) {
        rc = SIG_ERR_STATE;
        goto out;
    }
    if ((rc = sig_group_info_get(c, g->gid, &gi)) != 0 || (rc = may_change(c, gi)) != 0 ||
        (rc = sig_group_master_key(c, g->gid, mk)) != 0 ||
        (rc = sc_group_derive(NULL, bk, mk)) != 0 || (rc = sc_zk_group_derive(&zg, mk)) != 0)
        goto out;
    sc_zk_group_public(pub, &zg);
    if ((rc = sig_group_auth(c, &zg, pub, &auth)) == ST_ERR_NOTFOUND) {
        /* no credential for today: a fetch requests them, then we go on */
        if ((rc = sig_group_fetch(c, g->gid)) == 0) {
            g->waiting = 1;
            rc = 1;
        }
        goto out;
    }
    if (rc != 0 || (rc = new_blob(g, bk, &blob, &blen)) != 0)
        goto out;
    a.has_version = 1;
    a.version = gi->revision + 1;
    if (g->what == SIG_GCHANGE_TITLE) {
        mt.has_title = 1;
        mt.title.data = blob;
        mt.title.len = blen;
        a.modifytitle = &mt;
    } else if (g->what == SIG_GCHANGE_DESCRIPTION) {
        md.has_description = 1;
        md.description.data = blob;
        md.description.len = blen;
        a.modifydescription = &md;
    } else {
        mx.has_timer = 1;
        mx.timer.data = blob;
        mx.timer.len = blen;
        a.modifydisappearingmessagetimer = &mx;
    }
    n = protobuf_c_message_get_packed_size(&a.base);
    if (!(body = malloc(n ? n : 1))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    protobuf_c_message_pack(&a.base, body);
    if ((rc = sig_ep_path(path, sizeof(path), &c->ep[SIG_EP_STORAGE], "/v2/groups")) != 0)
        goto out;
    h[0].name = "authorization";
    h[0].value = auth;
    h[1].name = "content-type";
    h[1].value = "application/x-protobuf";
    memset(&req, 0, sizeof(req));
    req.method = "PATCH";
    req.path = path;
    req.headers = h;
    req.n_headers = 2;
    req.body = body;
    req.body_len = n;
    req.max_response = CHANGE_MAX;
    rc = sig_https(c, c->ep[SIG_EP_STORAGE].host, c->ep[SIG_EP_STORAGE].port, &req, patch_done, g);
    if (rc == 0) {
        g->running = 1;
        g->tries++;
    }
out:
    ut_wipe(mk, sizeof(mk));
    ut_wipe(bk, sizeof(bk));
    ut_wipe(&zg, sizeof(zg));
    free(auth);
    free(blob);
    free(body);
    sig_group_info_free(gi);
    return rc;
}

/* The server took the change: apply it to the stored state (the value we
 * sent, at the revision the server signed), tell the caller as a fetch
 * would, and send the update to the members. */
static int applied(gch *g, const Signalservice__GroupChange *gc)
{
    Signalservice__GroupChange__Actions *a = NULL;
    sig_client *c = g->c;
    sig_group_info *gi = NULL;
    uint8_t *packed = NULL;
    size_t n;
    char *s = NULL;
    sig_event ev;
    int rc;

    if (!gc->has_actions ||
        !(a = (Signalservice__GroupChange__Actions *)protobuf_c_message_unpack(
              &signalservice__group_change__actions__descriptor, NULL, gc->actions.len,
              gc->actions.data)) ||
        !a->has_version)
        rc = SIG_ERR_ENVELOPE;
    else
        rc = sig_group_info_get(c, g->gid, &gi);
    if (rc == 0 && g->what != SIG_GCHANGE_TIMER && !(s = strdup(g->text)))
        rc = UT_ERR_NOMEM;
    if (rc == 0) {
        gi->revision = a->version;
        if (g->what == SIG_GCHANGE_TITLE) {
            free(gi->title);
            gi->title = s;
        } else if (g->what == SIG_GCHANGE_DESCRIPTION) {
            free(gi->description);
            gi->description = s;
        } else {
            gi->timer = g->timer;
        }
        s = NULL;
        rc = sig_group_state_put(c, gi);
    }
    if (rc == 0) {
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_GROUP_UPDATED;
        ev.group_id = g->gid;
        ev.group_info = gi;
        sig_emit(c, &ev);
    }
    n = signalservice__group_change__get_packed_size(gc);
    if (rc == 0 && !sig_dead(c) && (packed = malloc(n ? n : 1))) {
        int src;

        signalservice__group_change__pack(gc, packed);
        /* the change is made; a member who misses the update still sees
         * it at their next fetch, so a failed send is only logged */
        if ((src = sig_group_send_change(c, g->gid, packed, n, NULL)) != 0)
            sig_logf(c, UT_LOG_WARN, "signal: the group update was not sent: %s",
                     sig_strerror(src));
    }
    free(packed);
    free(s);
    sig_group_info_free(gi);
    if (a)
        protobuf_c_message_free_unpacked(&a->base, NULL);
    return rc;
}

static void patch_done(int rc, const sn_http_resp *r, void *ud)
{
    gch *g = ud;
    sig_client *c = g->c;
    Signalservice__GroupChangeResponse *resp = NULL;

    if (g->cancelled || sig_dead(c)) {
        if (!g->cancelled)
            unlink_change(c, g);
        change_free(g);
        return;
    }
    sig_enter(c);
    g->running = 0;
    if (rc == 0 && r->status == 409 && g->tries < SIG_GCHANGE_TRIES) {
        /* a newer revision: fetch it, then rebuild (sig_gchange_fetched) */
        if ((rc = sig_group_fetch(c, g->gid)) == 0) {
            g->waiting = 1;
            sig_leave(c);
            return;
        }
    } else if (rc == 0 && r->status == 409) {
        rc = SIG_ERR_GROUP_CONFLICT;
    } else if (rc == 0 && r->status == 403) {
        rc = SIG_ERR_GROUP_ACCESS; /* GroupsController: FORBIDDEN */
    } else if (rc == 0 && r->status != 200) {
        rc = SIG_ERR_HTTP;
    }
    if (rc == 0 && (!r->body || !(resp = signalservice__group_change_response__unpack(
                                      NULL, r->body_len, r->body)) || !resp->groupchange))
        rc = SIG_ERR_ENVELOPE;
    if (rc == 0)
        rc = applied(g, resp->groupchange);
    if (resp)
        signalservice__group_change_response__free_unpacked(resp, NULL);
    if (!sig_dead(c))
        finish(g, rc);
    sig_leave(c);
}

void sig_gchange_fetched(sig_client *c, const uint8_t gid[32], int err)
{
    gch *g;
    int again = 1;

    /* each end may emit and change the list: rescan from the start */
    while (again && !sig_dead(c)) {
        again = 0;
        for (g = c->gchanges; g; g = g->next) {
            int rc;

            if (!g->waiting || memcmp(g->gid, gid, 32) != 0)
                continue;
            g->waiting = 0;
            rc = err ? err : attempt(g);
            if (rc == 1)
                continue; /* waits again */
            if (rc != 0) {
                finish(g, rc);
                again = 1;
                break;
            }
        }
    }
}

int sig_group_modify(sig_client *c, const uint8_t group_id[32], int what, const char *text,
                     uint32_t timer, void *send_ud)
{
    gch *g;
    int rc;

    if (!group_id || (what != SIG_GCHANGE_TIMER && !text) || what < SIG_GCHANGE_TITLE ||
        what > SIG_GCHANGE_TIMER)
        return UT_ERR_INVAL;
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!(g = calloc(1, sizeof(*g))))
        return UT_ERR_NOMEM;
    g->c = c;
    memcpy(g->gid, group_id, 32);
    g->what = what;
    g->timer = timer;
    g->ud = send_ud;
    if (text && !(g->text = strdup(text))) {
        change_free(g);
        return UT_ERR_NOMEM;
    }
    if ((rc = attempt(g)) < 0) {
        change_free(g);
        return rc;
    }
    g->next = c->gchanges;
    c->gchanges = g;
    return 0;
}

void sig_gchange_cancel_all(sig_client *c)
{
    gch *g;

    /* as sig_groups_cancel_all: a running one's callback is pending */
    while ((g = c->gchanges) != NULL) {
        c->gchanges = g->next;
        if (g->running) {
            g->cancelled = 1;
            sig_pool_close(c);
        } else {
            change_free(g);
        }
    }
}
