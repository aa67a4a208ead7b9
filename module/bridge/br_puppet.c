/*
 * br_puppet.c - puppets (ghosts): the Matrix user that stands for a Signal
 * user, its MXID and the display name it shows (br_puppet rows through
 * the store). Moved out of br_portal.c, whose name did not say it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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
    want = br_config_displayname(&b->cfg, name, *human ? human : NULL);
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
