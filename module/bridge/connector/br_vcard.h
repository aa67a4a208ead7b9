/*
 * br_vcard.h - a Signal contact card (DataMessage.Contact) as a vCard and
 * back (issue #17 item 5). Pure: no I/O, no protobuf; br_sigcontact.c maps
 * these fields to and from the proto.
 *
 * Writing follows mautrix-signal pkg/msgconv/from-signal.go
 * convertContactToVCard: vCard 4.0 with N (family;given;middle;prefix;
 * suffix), NICKNAME, ORG, ADR (pobox;;street;city;region;postcode;country)
 * with TYPE and LABEL, EMAIL and TEL with TYPE ("home", "mobile", "work",
 * "custom": the proto enum's name in lower case) and LABEL, and PHOTO as a
 * data: URI. We add FN, which RFC 6350 requires and mautrix leaves out.
 *
 * Reading follows Signal-Android contactshare/VCardUtil.java
 * getContactFromVcard (how Signal-Android turns a shared .vcf into a
 * contact card; ContactCardReader.kt reads only the file's first card):
 * given/family/prefix/suffix from N, organization from ORG's first part,
 * a name from FN, else N's given name, else the organization (none: not a
 * contact); a phone's or email's type from its first TYPE (home, cell,
 * work; anything else CUSTOM with that type, "x-" stripped, as label);
 * an address's from home/work. Beyond Android we keep N's middle name,
 * NICKNAME and a LABEL parameter, so a card written above reads back the
 * same. PHOTO is not read.
 *
 * The parser is strict and bounded (it is fed files from Matrix users): a
 * file that is not exactly one vCard 2.1/3.0/4.0 within the limits below
 * is refused, and the caller sends it as a plain file.
 */
#ifndef BR_VCARD_H
#define BR_VCARD_H

#include <stddef.h>
#include <stdint.h>

/* Type values: DataMessage.Contact.Phone.Type / Email.Type (HOME 1,
 * MOBILE 2, WORK 3, CUSTOM 4) and PostalAddress.Type (HOME 1, WORK 2,
 * CUSTOM 3); 0 = not set. */
enum { BR_VC_HOME = 1, BR_VC_MOBILE = 2, BR_VC_WORK = 3, BR_VC_CUSTOM = 4 };
enum { BR_VC_ADR_HOME = 1, BR_VC_ADR_WORK = 2, BR_VC_ADR_CUSTOM = 3 };

#define BR_VCARD_MAX_BYTES (256u << 10) /* a card with a photo fits */
#define BR_VCARD_MAX_ITEMS 32           /* phones, emails, addresses each */

typedef struct br_vcard_item {
    char *value;  /* phone number or email address */
    int type;     /* BR_VC_* */
    char *label;  /* may be NULL */
} br_vcard_item;

typedef struct br_vcard_addr {
    int type;     /* BR_VC_ADR_* */
    char *label, *street, *pobox, *neighborhood, *city, *region, *postcode, *country;
} br_vcard_addr;

/* Every string malloc'd or NULL; freed by br_vcard_clear. */
typedef struct br_vcard {
    char *given, *family, *prefix, *suffix, *middle, *nickname;
    char *org;
    br_vcard_item *tels;
    size_t n_tels;
    br_vcard_item *emails;
    size_t n_emails;
    br_vcard_addr *addrs;
    size_t n_addrs;
    const uint8_t *photo;     /* borrowed, written only */
    size_t photo_len;
    const char *photo_type;   /* borrowed: its MIME type */
} br_vcard;

void br_vcard_clear(br_vcard *v);

/* The name to show and to name the file by, as mautrix-signal names it:
 * the nickname, else "given family", else "contact". Into out (n > 0). */
void br_vcard_display_name(const br_vcard *v, char *out, size_t n);

/* The vCard text (CRLF lines, folded at 75 octets), malloc'd and
 * NUL-terminated, *len its length; NULL when out of memory. */
char *br_vcard_write(const br_vcard *v, size_t *len);

/* Parse one vCard. 0 and *out filled (clear it after), or UT_ERR_INVAL
 * (not exactly one card, a bad line, over a limit, no name), or
 * UT_ERR_NOMEM; *out is cleared on error. */
int br_vcard_parse(const char *text, size_t len, br_vcard *out);

#endif
