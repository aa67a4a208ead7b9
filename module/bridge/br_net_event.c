/*
 * br_net_event.c - the br_net_event value (br_net.h): free and deep copy.
 *
 * Ownership: the network side allocates an event and hands it to the
 * bridge's one dispatcher, br_bridge_net_event (br_bridge.c), which frees it
 * after the handler returns. Handlers borrow it; one that must keep data
 * past its return copies it (br_net_event_dup, or strdup of a field).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_net.h"
#include "ut.h"

void br_net_event_free(br_net_event *ev)
{
    if (!ev)
        return;
    free(ev->owner);
    free(ev->id);
    free(ev->text);
    free(ev->phone);
    free(ev->chat_id);
    free(ev->sender);
    for (size_t i = 0; i < ev->n_atts; i++) {
        free(ev->atts[i].content_type);
        free(ev->atts[i].file_name);
        if (ev->atts[i].pointer) /* holds the file's key */
            ut_free_secret(ev->atts[i].pointer, ev->atts[i].pointer_len);
    }
    free(ev->atts);
    free(ev->target_author);
    for (size_t i = 0; i < ev->n_members; i++)
        free(ev->members[i]);
    free(ev->members);
    free(ev->fmt);
    free(ev->data);
    free(ev->avatar);
    free(ev);
}

/* strdup that keeps NULL; sets *bad on failure */
static char *dup(const char *s, int *bad)
{
    char *d;

    if (!s)
        return NULL;
    if (!(d = strdup(s)))
        *bad = 1;
    return d;
}

br_net_event *br_net_event_dup(const br_net_event *ev)
{
    br_net_event *c = calloc(1, sizeof(*c));
    int bad = 0;

    if (!c)
        return NULL;
    *c = *ev; /* the scalars; every pointer is replaced below */
    c->owner = dup(ev->owner, &bad);
    c->id = dup(ev->id, &bad);
    c->text = dup(ev->text, &bad);
    c->phone = dup(ev->phone, &bad);
    c->chat_id = dup(ev->chat_id, &bad);
    c->sender = dup(ev->sender, &bad);
    c->target_author = dup(ev->target_author, &bad);
    c->fmt = dup(ev->fmt, &bad);
    c->avatar = dup(ev->avatar, &bad);
    c->atts = NULL;
    c->n_atts = 0;
    c->members = NULL;
    c->n_members = 0;
    c->data = NULL;
    if (ev->data && ev->data_len && !bad) {
        if ((c->data = malloc(ev->data_len)))
            memcpy(c->data, ev->data, ev->data_len);
        else
            bad = 1;
    }
    if (!c->data)
        c->data_len = 0;
    if (ev->n_atts && !bad) {
        if (!(c->atts = calloc(ev->n_atts, sizeof(*c->atts))))
            bad = 1;
        for (size_t i = 0; !bad && i < ev->n_atts; i++) {
            const br_net_attachment *a = &ev->atts[i];
            br_net_attachment *d = &c->atts[c->n_atts++];
            *d = *a;
            d->content_type = dup(a->content_type, &bad);
            d->file_name = dup(a->file_name, &bad);
            d->pointer = NULL;
            if (a->pointer && a->pointer_len) {
                if ((d->pointer = malloc(a->pointer_len)))
                    memcpy(d->pointer, a->pointer, a->pointer_len);
                else
                    bad = 1;
            }
            if (!d->pointer)
                d->pointer_len = 0; /* what free wipes */
        }
    }
    if (ev->n_members && !bad) {
        if (!(c->members = calloc(ev->n_members, sizeof(*c->members))))
            bad = 1;
        for (size_t i = 0; !bad && i < ev->n_members; i++)
            c->members[c->n_members++] = dup(ev->members[i], &bad);
    }
    if (bad) {
        br_net_event_free(c);
        return NULL;
    }
    return c;
}
