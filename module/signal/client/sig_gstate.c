/* sig_gstate.c - parsing the groups server's Group (Groups.proto) and the
 * stored form of a group's state (sig_gstate.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "Groups.pb-c.h"
#include "sc_group.h"
#include "sc_zk.h"
#include "sig_err.h"
#include "sig_gstate.h"
#include "sig_util.h"
#include "ut.h"

void sig_group_info_free(sig_group_info *g)
{
    if (!g)
        return;
    free(g->title);
    free(g->description);
    free(g->avatar);
    free(g->members);
    free(g->pending);
    free(g);
}

static sig_group_info *info_new(size_t n_members, size_t n_pending)
{
    sig_group_info *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    g->members = calloc(n_members ? n_members : 1, sizeof(*g->members));
    g->pending = calloc(n_pending ? n_pending : 1, sizeof(*g->pending));
    if (!g->members || !g->pending) {
        sig_group_info_free(g);
        return NULL;
    }
    return g;
}

/* A GroupAttributeBlob field: absent or empty -> "" / 0. */
static int open_blob(const ProtobufCBinaryData *b, int has, const uint8_t key[32],
                     char **text, uint32_t *num)
{
    Signalservice__GroupAttributeBlob *ab;
    uint8_t *pt = NULL;
    size_t n = 0;
    int rc = 0;

    if (text)
        *text = NULL;
    if (has && b->len > 0) {
        if (sc_group_blob_decrypt(&pt, &n, key, b->data, b->len) != 0)
            return SIG_ERR_ENVELOPE;
        ab = signalservice__group_attribute_blob__unpack(NULL, n, pt);
        if (!ab) {
            rc = SIG_ERR_ENVELOPE;
        } else {
            if (text && ab->content_case == SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_TITLE)
                *text = strdup(ab->title ? ab->title : "");
            else if (text && ab->content_case ==
                                 SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_DESCRIPTION_TEXT)
                *text = strdup(ab->descriptiontext ? ab->descriptiontext : "");
            else if (num && ab->content_case ==
                                SIGNALSERVICE__GROUP_ATTRIBUTE_BLOB__CONTENT_DISAPPEARING_MESSAGES_DURATION)
                *num = ab->disappearingmessagesduration;
            signalservice__group_attribute_blob__free_unpacked(ab, NULL);
        }
        ut_free_secret(pt, n);
    }
    if (rc == 0 && text && !*text && !(*text = strdup("")))
        rc = UT_ERR_NOMEM;
    return rc;
}

static int member_id(const sig_gstate_dec *d, const ProtobufCBinaryData *ct, int has,
                     uint8_t uuid[16], int *kind)
{
    if (!has || !ct->len || !d->uid)
        return SIG_ERR_ENVELOPE;
    return d->uid(d->arg, uuid, kind, ct->data, ct->len);
}

int sig_gstate_endorsements(const uint8_t *p, size_t n, uint8_t **out, size_t *len)
{
    Signalservice__GroupResponse *resp = signalservice__group_response__unpack(NULL, n, p);
    int rc = 0;

    *out = NULL;
    *len = 0;
    if (!resp)
        return SIG_ERR_ENVELOPE;
    if (resp->has_groupsendendorsementsresponse && resp->groupsendendorsementsresponse.len) {
        if (!(*out = malloc(resp->groupsendendorsementsresponse.len)))
            rc = UT_ERR_NOMEM;
        else {
            memcpy(*out, resp->groupsendendorsementsresponse.data,
                   resp->groupsendendorsementsresponse.len);
            *len = resp->groupsendendorsementsresponse.len;
        }
    }
    signalservice__group_response__free_unpacked(resp, NULL);
    return rc;
}

int sig_gstate_parse(const uint8_t *p, size_t n, const sig_gstate_dec *d,
                     const uint8_t *expect_public, sig_group_info **out,
                     uint8_t **pkeys, size_t *skipped)
{
    Signalservice__GroupResponse *resp;
    const Signalservice__Group *gr;
    sig_group_info *g = NULL;
    uint8_t *keys = NULL;
    size_t i, nm, np, skip = 0;
    int rc = 0;

    *out = NULL;
    if (pkeys)
        *pkeys = NULL;
    resp = signalservice__group_response__unpack(NULL, n, p);
    if (!resp || !(gr = resp->group)) {
        rc = SIG_ERR_ENVELOPE;
        goto out;
    }
    nm = gr->n_members;
    np = gr->n_memberspendingprofilekey;
    if (nm > SIG_GSTATE_MAX_MEMBERS || np > SIG_GSTATE_MAX_MEMBERS) {
        rc = SIG_ERR_ENVELOPE;
        goto out;
    }
    if (expect_public && (!gr->has_publickey || gr->publickey.len != SC_ZK_GROUP_PUBLIC_LEN ||
                          memcmp(gr->publickey.data, expect_public,
                                 SC_ZK_GROUP_PUBLIC_LEN) != 0)) {
        rc = SIG_ERR_ENVELOPE; /* the server answered for another group */
        goto out;
    }
    if (!(g = info_new(nm, np)) || (pkeys && !(keys = calloc(nm ? nm : 1, 32)))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    g->revision = gr->has_version ? gr->version : 0;
    /* not encrypted: the CDN key of the encrypted avatar blob (signalmeow
     * groups.go decryptGroup "These aren't encrypted") */
    if (!(g->avatar = strdup(gr->avatarurl ? gr->avatarurl : ""))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    g->announcements_only = gr->has_announcementsonly && gr->announcementsonly;
    if (gr->accesscontrol && gr->accesscontrol->has_attributes)
        g->attributes_access = (int)gr->accesscontrol->attributes;
    if ((rc = open_blob(&gr->title, gr->has_title, d->blob_key, &g->title, NULL)) != 0 ||
        (rc = open_blob(&gr->description, gr->has_description, d->blob_key,
                        &g->description, NULL)) != 0 ||
        (rc = open_blob(&gr->disappearingmessagestimer, gr->has_disappearingmessagestimer,
                        d->blob_key, NULL, &g->timer)) != 0)
        goto out;
    for (i = 0; i < nm; i++) {
        const Signalservice__Member *m = gr->members[i];
        sig_group_member *gm = &g->members[g->n_members];
        uint8_t uuid[16], pk[32];
        int kind = -1;

        if (member_id(d, &m->userid, m->has_userid, uuid, &kind) != 0 || kind != SC_ZK_ACI) {
            skip++;
            continue;
        }
        sig_uuid_format(gm->aci, uuid);
        gm->role = m->has_role ? (int)m->role : SIG_GROUP_ROLE_UNKNOWN;
        gm->joined_at_revision = m->has_joinedatversion ? m->joinedatversion : 0;
        if (keys && d->pkey && m->has_profilekey && m->profilekey.len &&
            d->pkey(d->arg, pk, m->profilekey.data, m->profilekey.len, uuid) == 0) {
            memcpy(keys + 32 * g->n_members, pk, 32);
            gm->has_profile_key = 1;
        }
        ut_wipe(pk, sizeof(pk));
        g->n_members++;
    }
    for (i = 0; i < np; i++) {
        const Signalservice__Member *m = gr->memberspendingprofilekey[i]->member;
        sig_group_member *gm = &g->pending[g->n_pending];
        uint8_t uuid[16];
        int kind = -1;

        /* invitations by PNI (phone number) have no ACI to show yet */
        if (!m || member_id(d, &m->userid, m->has_userid, uuid, &kind) != 0 ||
            kind != SC_ZK_ACI)
            continue;
        sig_uuid_format(gm->aci, uuid);
        gm->role = m->has_role ? (int)m->role : SIG_GROUP_ROLE_UNKNOWN;
        g->n_pending++;
    }
out:
    if (resp)
        signalservice__group_response__free_unpacked(resp, NULL);
    if (rc != 0) {
        sig_group_info_free(g);
        if (keys)
            ut_free_secret(keys, 32 * (nm ? nm : 1));
        return rc;
    }
    *out = g;
    if (pkeys)
        *pkeys = keys;
    if (skipped)
        *skipped = skip;
    return 0;
}

/* ---- stored form ------------------------------------------------------------ */

static json_t *members_json(const sig_group_member *m, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_pack("[s,i,I,b]", m[i].aci, m[i].role,
                                               (json_int_t)m[i].joined_at_revision,
                                               m[i].has_profile_key)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int sig_gstate_dump(const sig_group_info *g, char **out)
{
    json_t *o;

    *out = NULL;
    o = json_pack("{s:I,s:s,s:s,s:I,s:b,s:o?,s:o?}", "rev", (json_int_t)g->revision,
                  "title", g->title ? g->title : "", "desc",
                  g->description ? g->description : "", "timer", (json_int_t)g->timer,
                  "ann", g->announcements_only, "members",
                  members_json(g->members, g->n_members), "pending",
                  members_json(g->pending, g->n_pending));
    if (o && g->avatar && json_object_set_new(o, "avatar", json_string(g->avatar)) != 0) {
        json_decref(o);
        o = NULL;
    }
    if (o && g->attributes_access &&
        json_object_set_new(o, "attr", json_integer(g->attributes_access)) != 0) {
        json_decref(o);
        o = NULL;
    }
    if (o && json_object_get(o, "members") && json_object_get(o, "pending"))
        *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return *out ? 0 : UT_ERR_NOMEM;
}

static int members_load(json_t *a, sig_group_member *m, size_t *n)
{
    size_t i;
    json_t *v;

    *n = 0;
    json_array_foreach(a, i, v) {
        const char *aci = NULL;
        int role = 0, pk = 0;
        json_int_t joined = 0;
        uint8_t u[16];

        if (json_unpack(v, "[s,i,I,b]", &aci, &role, &joined, &pk) != 0 ||
            sig_uuid_parse(u, aci) != 0 || joined < 0 || joined > UINT32_MAX)
            return SIG_ERR_JSON;
        sig_uuid_format(m[*n].aci, u);
        m[*n].role = role;
        m[*n].joined_at_revision = (uint32_t)joined;
        m[*n].has_profile_key = pk;
        (*n)++;
    }
    return 0;
}

int sig_gstate_load(const char *s, size_t n, sig_group_info **out)
{
    json_t *o = json_loadb(s, n, 0, NULL), *m = NULL, *p = NULL;
    const char *title = NULL, *desc = NULL, *avatar = NULL;
    json_int_t rev = 0, timer = 0;
    int ann = 0, attr = 0, rc = SIG_ERR_JSON;
    sig_group_info *g = NULL;

    *out = NULL;
    /* "avatar" is absent from states stored before avatars were read,
     * "attr" (AccessControl.attributes) before access was */
    if (!o || json_unpack(o, "{s:I,s:s,s:s,s?s,s:I,s:b,s?i,s:o,s:o}", "rev", &rev, "title", &title,
                          "desc", &desc, "avatar", &avatar, "timer", &timer, "ann", &ann,
                          "attr", &attr, "members", &m, "pending", &p) != 0 ||
        !json_is_array(m) || !json_is_array(p) || rev < 0 || rev > UINT32_MAX || timer < 0 ||
        timer > UINT32_MAX)
        goto out;
    rc = UT_ERR_NOMEM;
    if (!(g = info_new(json_array_size(m), json_array_size(p))) ||
        !(g->title = strdup(title)) || !(g->description = strdup(desc)) ||
        (avatar && !(g->avatar = strdup(avatar))))
        goto out;
    g->revision = (uint32_t)rev;
    g->timer = (uint32_t)timer;
    g->announcements_only = ann;
    g->attributes_access = attr;
    if ((rc = members_load(m, g->members, &g->n_members)) != 0 ||
        (rc = members_load(p, g->pending, &g->n_pending)) != 0)
        goto out;
    *out = g;
    g = NULL;
out:
    sig_group_info_free(g);
    json_decref(o);
    return rc;
}
