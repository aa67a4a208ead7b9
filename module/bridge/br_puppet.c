/*
 * br_puppet.c - puppets (ghosts): the Matrix user that stands for a Signal
 * user, its MXID and the display name it shows (br_puppet rows through
 * the store). Moved out of br_portal.c, whose name did not say it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_avatar.h"
#include "br_phone.h"
#include "br_internal.h"
#include "br_store.h"

int br_puppet_mxid(br_bridge *b, const char *aci, char *out, size_t n)
{
    char lp[128];

    if (br_config_puppet_localpart(&b->cfg, aci, lp, sizeof(lp)) != 0)
        return UT_ERR_RANGE;
    return mx_user_id(b->mx, lp, out, n);
}

typedef struct puppet_ctx {
    br_bridge *b;
    char *mxid;
    char *name;
} puppet_ctx;

static void on_puppet_ready(void *arg, int status, json_t *body)
{
    puppet_ctx *p = arg;

    (void)body;
    if (status == 200 && p->name)
        mx_set_displayname(p->b->mx, p->mxid, p->name, NULL, NULL);
    free(p->mxid);
    free(p->name);
    free(p);
}

void br_puppet_update(br_bridge *b, const char *aci, const char *phone,
                          const char *name)
{
    char old_phone[64] = "", old_name[256] = "", shown[512] = "", lp[128], human[64] = "";
    char *want;
    int exists;

    if ((exists = br_store_puppet_get(b->db, aci, old_phone, sizeof(old_phone), old_name,
                                      sizeof(old_name), shown, sizeof(shown))) < 0)
        return;
    if (!phone || !*phone)
        phone = *old_phone ? old_phone : NULL;
    if (!name || !*name)
        name = *old_name ? old_name : NULL;
    if (phone)
        br_phone_format(phone, human, sizeof(human));
    want = br_config_displayname(&b->cfg, name, *human ? human : NULL, aci);
    if (!want)
        return;
    if (!exists || strcmp(want, shown) != 0) {
        puppet_ctx *p = calloc(1, sizeof(*p));
        char mxid[320];

        br_store_puppet_put(b->db, aci, phone, name, want);
        if (exists)
            br_portal_rename_dm(b, aci);
        if (p && br_puppet_mxid(b, aci, mxid, sizeof(mxid)) == 0 &&
            br_config_puppet_localpart(&b->cfg, aci, lp, sizeof(lp)) == 0) {
            p->b = b;
            p->mxid = strdup(mxid);
            p->name = strdup(want);
            if (mx_ensure_user(b->mx, lp, on_puppet_ready, p) == 0)
                p = NULL;
        }
        if (p) {
            free(p->mxid);
            free(p->name);
            free(p);
        }
    }
    free(want);
}

void br_puppet_ensure(br_bridge *b, const char *aci)
{
    br_puppet_update(b, aci, NULL, NULL);
}

/* ---- avatars ------------------------------------------------------------ */

typedef struct avatar_ctx {
    br_bridge *b;
    char *aci, *path, *mxc, *mxid;
} avatar_ctx;

static void avatar_ctx_free(avatar_ctx *a)
{
    free(a->aci);
    free(a->path);
    free(a->mxc);
    free(a->mxid);
    free(a);
}

/* The ghost exists: its avatar_url becomes the upload (mautrix/go bridgev2
 * ghost.go UpdateAvatar sets the ghost's avatar from the network's). */
static void on_avatar_user(void *arg, int status, json_t *body)
{
    avatar_ctx *a = arg;

    (void)body;
    if (status == 200)
        mx_set_avatar(a->b->mx, a->mxid, a->mxc, NULL, NULL);
    avatar_ctx_free(a);
}

/* Record the avatar, then set it on the ghost and its DM portals. */
static void avatar_apply(avatar_ctx *a)
{
    br_bridge *b = a->b;
    char lp[128];

    if (br_store_puppet_avatar_put(b->db, a->aci, a->path, a->mxc) != 0) {
        avatar_ctx_free(a);
        return;
    }
    br_portal_avatar_dm(b, a->aci, a->mxc);
    if (br_puppet_mxid(b, a->aci, lp, sizeof(lp)) == 0 && (a->mxid = strdup(lp)) &&
        br_config_puppet_localpart(&b->cfg, a->aci, lp, sizeof(lp)) == 0 &&
        mx_ensure_user(b->mx, lp, on_avatar_user, a) == 0)
        return;
    avatar_ctx_free(a);
}

static void on_avatar_uploaded(void *arg, const char *mxc)
{
    avatar_ctx *a = arg;

    if (!mxc || !(a->mxc = strdup(mxc))) {
        avatar_ctx_free(a);
        return;
    }
    avatar_apply(a);
}

void br_puppet_avatar(br_bridge *b, const char *aci, const char *path,
                      const uint8_t *data, size_t len)
{
    char old_path[256] = "", old_mxc[512] = "";
    int known;
    avatar_ctx *a;

    if ((known = br_store_puppet_avatar_get(b->db, aci, old_path, sizeof(old_path), old_mxc,
                                            sizeof(old_mxc))) < 0)
        return;
    /* The same path is the same image: Signal-Server gives every new
     * avatar a new random object name (ProfileHelper
     * generateAvatarObjectName), so nothing is uploaded again. */
    if (known && !strcmp(old_path, path))
        return;
    if (*path && (!data || !len))
        return;
    if (!(a = calloc(1, sizeof(*a))) || !(a->aci = strdup(aci)) || !(a->path = strdup(path))) {
        if (a)
            avatar_ctx_free(a);
        return;
    }
    a->b = b;
    if (!*path) { /* removed on Signal: removed here too, if it was set */
        if (!known || !*old_mxc || !(a->mxc = strdup(""))) {
            if (!known)
                br_store_puppet_avatar_put(b->db, aci, "", NULL);
            avatar_ctx_free(a);
            return;
        }
        avatar_apply(a);
        return;
    }
    if (br_avatar_upload(b, "a contact's", data, len, on_avatar_uploaded, a) != 0)
        avatar_ctx_free(a);
}
