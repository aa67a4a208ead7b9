/* br_sigcontact.c - contact cards both ways (br_sigcontact.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "SignalService.pb-c.h"
#include "br_sigcontact.h"
#include "br_signal_int.h"
#include "br_vcard.h"
#include "ut.h"

/* Field 0 wire type 0: never the first byte of a packed AttachmentPointer
 * (protobuf field numbers start at 1). */
static const char MAGIC[] = "\0sb-vcard\n";
#define MAGIC_LEN (sizeof(MAGIC) - 1)

static const Signalservice__DataMessage *data_of(Signalservice__Content *ct)
{
    return ct->datamessage ? ct->datamessage
         : ct->syncmessage && ct->syncmessage->sent ? ct->syncmessage->sent->message : NULL;
}

size_t br_sigcontact_count(const sig_message *m)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm;
    size_t n = 0;

    if (!m->content || !(ct = signalservice__content__unpack(NULL, m->content_len, m->content)))
        return 0;
    if ((dm = data_of(ct)))
        n = dm->n_contact;
    signalservice__content__free_unpacked(ct, NULL);
    return n;
}

/* Views: the vCard fields point into the proto (freed with it). */
static int to_vcard(const Signalservice__DataMessage__Contact *c, br_vcard *v,
                    br_vcard_item *items, br_vcard_addr *addrs)
{
    size_t i, k = 0;

    memset(v, 0, sizeof(*v));
    if (c->name) {
        v->given = c->name->givenname;
        v->family = c->name->familyname;
        v->prefix = c->name->prefix;
        v->suffix = c->name->suffix;
        v->middle = c->name->middlename;
        v->nickname = c->name->nickname;
    }
    v->org = c->organization;
    v->tels = items;
    for (i = 0; i < c->n_number && i < BR_VCARD_MAX_ITEMS; i++, k++) {
        items[k].value = c->number[i]->value;
        items[k].type = c->number[i]->has_type ? (int)c->number[i]->type : 0;
        items[k].label = c->number[i]->label;
        v->n_tels++;
    }
    v->emails = items + k;
    for (i = 0; i < c->n_email && i < BR_VCARD_MAX_ITEMS; i++, k++) {
        items[k].value = c->email[i]->value;
        items[k].type = c->email[i]->has_type ? (int)c->email[i]->type : 0;
        items[k].label = c->email[i]->label;
        v->n_emails++;
    }
    v->addrs = addrs;
    for (i = 0; i < c->n_address && i < BR_VCARD_MAX_ITEMS; i++) {
        const Signalservice__DataMessage__Contact__PostalAddress *a = c->address[i];
        addrs[i].type = a->has_type ? (int)a->type : 0;
        addrs[i].label = a->label;
        addrs[i].street = a->street;
        addrs[i].pobox = a->pobox;
        addrs[i].neighborhood = a->neighborhood;
        addrs[i].city = a->city;
        addrs[i].region = a->region;
        addrs[i].postcode = a->postcode;
        addrs[i].country = a->country;
        v->n_addrs++;
    }
    return 0;
}

static int attach_one(const Signalservice__DataMessage__Contact *c, br_net_attachment *a)
{
    br_vcard_item items[2 * BR_VCARD_MAX_ITEMS];
    br_vcard_addr addrs[BR_VCARD_MAX_ITEMS];
    br_vcard v;
    char name[200], *text;
    size_t len, plen;

    to_vcard(c, &v, items, addrs);
    /* the size without the avatar: the bridge corrects it once the card
     * is written (br_store_media_in_set_size) */
    if (!(text = br_vcard_write(&v, &len)))
        return UT_ERR_NOMEM;
    free(text);
    br_vcard_display_name(&v, name, sizeof(name) - 4);
    strcat(name, ".vcf");
    memset(a, 0, sizeof(*a));
    a->content_type = strdup(BR_SIGCONTACT_TYPE);
    a->file_name = strdup(name);
    a->size = len;
    plen = protobuf_c_message_get_packed_size(&c->base);
    a->pointer = malloc(MAGIC_LEN + plen);
    if (a->pointer) {
        memcpy(a->pointer, MAGIC, MAGIC_LEN);
        protobuf_c_message_pack(&c->base, a->pointer + MAGIC_LEN);
        a->pointer_len = MAGIC_LEN + plen;
    }
    return a->content_type && a->file_name && a->pointer ? 0 : UT_ERR_NOMEM;
}

int br_sigcontact_attach(const sig_message *m, br_net_event *ev)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm;
    br_net_attachment *grown;
    size_t i;
    int rc = 0;

    if (!m->content || !(ct = signalservice__content__unpack(NULL, m->content_len, m->content)))
        return 0;
    dm = data_of(ct);
    if (dm && dm->n_contact) {
        grown = realloc(ev->atts, (ev->n_atts + dm->n_contact) * sizeof(*ev->atts));
        if (!grown)
            rc = UT_ERR_NOMEM;
        else
            ev->atts = grown;
        for (i = 0; rc == 0 && i < dm->n_contact; i++) {
            rc = attach_one(dm->contact[i], &ev->atts[ev->n_atts]);
            ev->n_atts++; /* counted even when half made: freed with the event */
        }
    }
    signalservice__content__free_unpacked(ct, NULL);
    return rc;
}

/* ---- writing a card (Signal thread) ------------------------------------------ */

#define PHOTO_MAX (150u << 10) /* base64 of it stays within BR_VCARD_MAX_BYTES */

typedef struct card_job {
    uint64_t id;
    uint8_t *card;      /* the packed Contact (its avatar pointer holds a key) */
    size_t len;
    char *path;
    struct card_job *next;
} card_job;

static void job_free(card_job *j)
{
    if (!j)
        return;
    if (j->card)
        ut_free_secret(j->card, j->len);
    free(j->path);
    free(j);
}

void br_sigcontact_jobs_free(account *a)
{
    card_job *j;

    while ((j = a->cards)) {
        a->cards = j->next;
        job_free(j);
    }
}

/* What the photo is, when the pointer does not say (mautrix-signal uses
 * Go's http.DetectContentType). */
static const char *sniff(const uint8_t *d, size_t n)
{
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "image/webp";
    return "application/octet-stream";
}

static int write_file(const char *path, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t off = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        return UT_ERR_IO;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (off < n || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return UT_ERR_IO;
    }
    if (close(fd) != 0) {
        unlink(path);
        return UT_ERR_IO;
    }
    return 0;
}

/* The photo file (the avatar as downloaded), at most PHOTO_MAX bytes. */
static uint8_t *read_photo(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d;

    *n = 0;
    if (!f)
        return NULL;
    d = malloc(PHOTO_MAX + 1);
    if (d)
        *n = fread(d, 1, PHOTO_MAX + 1, f);
    fclose(f);
    if (d && (*n == 0 || *n > PHOTO_MAX)) {
        free(d); /* too big for a card: it goes without */
        d = NULL;
        *n = 0;
    }
    return d;
}

/* Write the card of a packed Contact, with the photo at photo_path if
 * any; then report request id to the bridge. */
static void finish(br_signal *s, const char *owner, const uint8_t *card, size_t len,
                   const char *photo_path, const char *path, uint64_t id)
{
    Signalservice__DataMessage__Contact *c = (Signalservice__DataMessage__Contact *)
        protobuf_c_message_unpack(&signalservice__data_message__contact__descriptor, NULL, len,
                                  card);
    br_vcard_item items[2 * BR_VCARD_MAX_ITEMS];
    br_vcard_addr addrs[BR_VCARD_MAX_ITEMS];
    br_vcard v;
    uint8_t *photo = NULL;
    size_t plen = 0, tlen;
    char *text = NULL;
    br_net_event *ev;
    int rc = UT_ERR_INVAL;

    if (c) {
        to_vcard(c, &v, items, addrs);
        if (photo_path && (photo = read_photo(photo_path, &plen))) {
            const Signalservice__AttachmentPointer *ap = c->avatar ? c->avatar->avatar : NULL;
            v.photo = photo;
            v.photo_len = plen;
            v.photo_type = ap && ap->contenttype && *ap->contenttype ? ap->contenttype
                                                                     : sniff(photo, plen);
        }
        rc = (text = br_vcard_write(&v, &tlen)) ? write_file(path, text, tlen) : UT_ERR_NOMEM;
        protobuf_c_message_free_unpacked(&c->base, NULL);
    }
    free(text);
    free(photo);
    if ((ev = br_sig_ev_new(BR_NET_DOWNLOADED, owner))) {
        ev->outbox_id = id;
        ev->code = rc ? BR_NET_ERR_INTERNAL : 0;
        if (rc)
            ev->text = br_sig_dup("the card card could not be written");
        br_sig_emit(s, ev);
    }
}

int br_sigcontact_download(br_signal *s, account *a, const char *owner, const uint8_t *pointer,
                           size_t len, const char *path, uint64_t request_id)
{
    const uint8_t *card;
    size_t clen, alen;
    Signalservice__DataMessage__Contact *c;
    uint8_t *ap = NULL;
    card_job *j = NULL;
    char *photo = NULL;

    if (!pointer || len < MAGIC_LEN || memcmp(pointer, MAGIC, MAGIC_LEN) != 0)
        return 0;
    card = pointer + MAGIC_LEN;
    clen = len - MAGIC_LEN;
    c = (Signalservice__DataMessage__Contact *)protobuf_c_message_unpack(
        &signalservice__data_message__contact__descriptor, NULL, clen, card);
    /* the avatar first, as mautrix-signal downloads it into the card */
    if (a && c && c->avatar && c->avatar->avatar && request_id < CARD_UD &&
        (alen = signalservice__attachment_pointer__get_packed_size(c->avatar->avatar)) &&
        (ap = malloc(alen)) && (j = calloc(1, sizeof(*j))) && (j->card = malloc(clen)) &&
        asprintf(&photo, "%s.avatar", path) > 0 && (j->path = strdup(path))) {
        signalservice__attachment_pointer__pack(c->avatar->avatar, ap);
        memcpy(j->card, card, clen);
        j->len = clen;
        j->id = request_id;
        if (sig_client_download(a->c, ap, alen, photo, (void *)(uintptr_t)(request_id | CARD_UD)) == 0) {
            j->next = a->cards;
            a->cards = j;
            j = NULL;
            ut_free_secret(ap, alen);
            free(photo);
            protobuf_c_message_free_unpacked(&c->base, NULL);
            return 1;
        }
    }
    if (ap)
        ut_free_secret(ap, alen);
    free(photo);
    job_free(j);
    if (c)
        protobuf_c_message_free_unpacked(&c->base, NULL);
    finish(s, owner, card, clen, NULL, path, request_id);
    return 1;
}

int br_sigcontact_avatar_done(br_signal *s, account *a, const sig_event *e)
{
    uint64_t id = (uint64_t)((uintptr_t)e->send_ud & ~CARD_UD);
    card_job **pp, *j;
    char *photo = NULL;

    if (!((uintptr_t)e->send_ud & CARD_UD))
        return 0;
    for (pp = &a->cards; *pp && (*pp)->id != id; pp = &(*pp)->next)
        ;
    if (!(j = *pp))
        return 1; /* the account was reset meanwhile: the bridge asks again */
    *pp = j->next;
    if (asprintf(&photo, "%s.avatar", j->path) < 0)
        photo = NULL;
    /* a failed avatar leaves the card without it (mautrix logs and goes on) */
    finish(s, a->owner, j->card, j->len, e->err == 0 ? photo : NULL, j->path, id);
    if (photo)
        unlink(photo);
    free(photo);
    job_free(j);
    return 1;
}

/* ---- Matrix -> Signal ------------------------------------------------------ */

static int is_vcard(const char *path, const char *content_type)
{
    size_t l = path ? strlen(path) : 0;
    char base[64];
    const char *semi;

    if (l > 4 && strcasecmp(path + l - 4, ".vcf") == 0)
        return 1;
    if (!content_type)
        return 0;
    /* the type without parameters (";charset=utf-8") */
    semi = strchr(content_type, ';');
    snprintf(base, sizeof(base), "%.*s", semi ? (int)(semi - content_type) : 63, content_type);
    return strcasecmp(base, "text/vcard") == 0 || strcasecmp(base, "text/x-vcard") == 0 ||
           strcasecmp(base, "text/vcf") == 0 || strcasecmp(base, "text/directory") == 0;
}

static char *nz(char *s)
{
    return s && *s ? s : NULL;
}

int br_sigcontact_from_file(const char *path, const char *content_type, uint8_t **out,
                            size_t *len)
{
    Signalservice__DataMessage__Contact c = SIGNALSERVICE__DATA_MESSAGE__CONTACT__INIT;
    Signalservice__DataMessage__Contact__Name nm = SIGNALSERVICE__DATA_MESSAGE__CONTACT__NAME__INIT;
    Signalservice__DataMessage__Contact__Phone ph[BR_VCARD_MAX_ITEMS], *php[BR_VCARD_MAX_ITEMS];
    Signalservice__DataMessage__Contact__Email em[BR_VCARD_MAX_ITEMS], *emp[BR_VCARD_MAX_ITEMS];
    Signalservice__DataMessage__Contact__PostalAddress ad[BR_VCARD_MAX_ITEMS],
        *adp[BR_VCARD_MAX_ITEMS];
    br_vcard v;
    FILE *f;
    char *text;
    size_t n, i;
    int ok = 0;

    *out = NULL;
    *len = 0;
    if (!is_vcard(path, content_type) || !(f = fopen(path, "rb")))
        return 0;
    text = malloc(BR_VCARD_MAX_BYTES + 1);
    n = text ? fread(text, 1, BR_VCARD_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!text || n == 0 || n > BR_VCARD_MAX_BYTES || br_vcard_parse(text, n, &v) != 0) {
        free(text);
        return 0; /* not one card we can read: it goes as a file */
    }
    free(text);
    nm.givenname = nz(v.given);
    nm.familyname = nz(v.family);
    nm.prefix = nz(v.prefix);
    nm.suffix = nz(v.suffix);
    nm.middlename = nz(v.middle);
    nm.nickname = nz(v.nickname);
    c.name = &nm;
    c.organization = nz(v.org);
    for (i = 0; i < v.n_tels; i++) {
        signalservice__data_message__contact__phone__init(&ph[i]);
        ph[i].value = v.tels[i].value;
        ph[i].has_type = 1;
        ph[i].type = (uint32_t)v.tels[i].type;
        ph[i].label = nz(v.tels[i].label);
        php[i] = &ph[i];
    }
    c.number = php;
    c.n_number = v.n_tels;
    for (i = 0; i < v.n_emails; i++) {
        signalservice__data_message__contact__email__init(&em[i]);
        em[i].value = v.emails[i].value;
        em[i].has_type = 1;
        em[i].type = (uint32_t)v.emails[i].type;
        em[i].label = nz(v.emails[i].label);
        emp[i] = &em[i];
    }
    c.email = emp;
    c.n_email = v.n_emails;
    for (i = 0; i < v.n_addrs; i++) {
        const br_vcard_addr *a = &v.addrs[i];
        signalservice__data_message__contact__postal_address__init(&ad[i]);
        ad[i].has_type = 1;
        ad[i].type = (uint32_t)a->type;
        ad[i].label = nz(a->label);
        ad[i].street = nz(a->street);
        ad[i].pobox = nz(a->pobox);
        ad[i].city = nz(a->city);
        ad[i].region = nz(a->region);
        ad[i].postcode = nz(a->postcode);
        ad[i].country = nz(a->country);
        adp[i] = &ad[i];
    }
    c.address = adp;
    c.n_address = v.n_addrs;
    n = protobuf_c_message_get_packed_size(&c.base);
    if ((*out = malloc(n ? n : 1))) {
        protobuf_c_message_pack(&c.base, *out);
        *len = n;
        ok = 1;
    }
    br_vcard_clear(&v);
    return ok;
}
