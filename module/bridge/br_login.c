/*
 * br_login.c - the linked logins in memory (br_login, br_internal.h):
 * found or made by owner, loaded from the store at start, freed at stop.
 * Below every handler: it calls nothing of the bridge but the store.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_internal.h"
#include "br_store.h"

br_login *br_login_get(br_bridge *b, const char *owner, int create)
{
    br_login *l;

    for (l = b->logins; l; l = l->next)
        if (strcmp(l->owner, owner) == 0)
            return l;
    if (!create || !(l = calloc(1, sizeof(*l))) || !(l->owner = strdup(owner))) {
        free(l);
        return NULL;
    }
    l->next = b->logins;
    b->logins = l;
    return l;
}

static int load_login(void *ctx, const char *owner, const char *aci, const char *number)
{
    br_login *l = br_login_get(ctx, owner, 1);

    if (!l)
        return 1;
    free(l->aci);
    free(l->number);
    l->aci = strdup(aci);
    l->number = strdup(number);
    return 0;
}

void br_login_load(br_bridge *b)
{
    br_store_login_each(b->db, load_login, b);
}

void br_login_free_all(br_bridge *b)
{
    br_login *l;

    while ((l = b->logins)) {
        b->logins = l->next;
        free(l->owner);
        free(l->number);
        free(l->aci);
        free(l->qr_room);
        free(l->qr_ev[0]);
        free(l->qr_ev[1]);
        free(l);
    }
}
