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
    size_t len;

    to_vcard(c, &v, items, addrs);
    if (!(text = br_vcard_write(&v, &len)))
        return UT_ERR_NOMEM;
    br_vcard_display_name(&v, name, sizeof(name) - 4);
    strcat(name, ".vcf");
    memset(a, 0, sizeof(*a));
    a->content_type = strdup(BR_SIGCONTACT_TYPE);
    a->file_name = strdup(name);
    a->size = len;
    a->pointer = malloc(MAGIC_LEN + len);
    if (a->pointer) {
        memcpy(a->pointer, MAGIC, MAGIC_LEN);
        memcpy(a->pointer + MAGIC_LEN, text, len);
        a->pointer_len = MAGIC_LEN + len;
    }
    free(text);
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

int br_sigcontact_write(const uint8_t *pointer, size_t len, const char *path, int *err)
{
    const uint8_t *p;
    size_t n, off = 0;
    int fd;

    *err = 0;
    if (!pointer || len < MAGIC_LEN || memcmp(pointer, MAGIC, MAGIC_LEN) != 0)
        return 0;
    p = pointer + MAGIC_LEN;
    n = len - MAGIC_LEN;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        *err = UT_ERR_IO;
        return 1;
    }
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
        *err = UT_ERR_IO;
        return 1;
    }
    if (close(fd) != 0) {
        unlink(path);
        *err = UT_ERR_IO;
    }
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
