/*
 * br_sigcontact.h - contact cards both ways (issue #17 item 5), Signal side
 * of br_net.
 *
 * Signal -> Matrix: each DataMessage.contact of a received message becomes
 * one more attachment of its MESSAGE event, a vCard file "<name>.vcf" of
 * type text/vcf, as mautrix-signal sends it (pkg/msgconv/from-signal.go
 * convertContactToMatrix: m.file, body name + ".vcf", mimetype "text/vcf").
 * Its "pointer" carries the DataMessage.Contact itself behind a prefix no
 * AttachmentPointer can start with (a protobuf tag of field 0), and
 * download() writes the vCard instead of fetching a file, so the bridge's
 * media pipeline (durable rows, order, retries) treats it as any file.
 * The contact's avatar (Contact.avatar) is fetched first and goes into
 * the card as a PHOTO data: URI, as mautrix-signal does; when it cannot
 * be fetched the card goes without it.
 *
 * Matrix -> Signal: a file that is a vCard (type text/vcard, text/x-vcard,
 * text/vcf, text/directory, or a name ending in .vcf) and parses as one
 * card (br_vcard.h) goes as a contact card, as Signal-Android sends a
 * shared .vcf (contactshare/ContactCardReader.kt readVCard); otherwise as
 * the file it is.
 */
#ifndef BR_SIGCONTACT_H
#define BR_SIGCONTACT_H

#include <stddef.h>
#include <stdint.h>

#include "br_net.h"
#include "sig_client.h"

/* The MIME type a card arrives with in Matrix (mautrix-signal's). */
#define BR_SIGCONTACT_TYPE "text/vcf"

/* How many contact cards m carries (DataMessage.contact). */
size_t br_sigcontact_count(const sig_message *m);

/* Append m's contact cards to ev's attachments; 0 or UT_ERR_NOMEM. */
int br_sigcontact_attach(const sig_message *m, br_net_event *ev);

struct account;
struct br_signal;
struct sig_event;

/* download() of a pointer made by br_sigcontact_attach (Signal thread):
 * fetch the avatar if there is one, write the card to path (0600), then
 * BR_NET_DOWNLOADED with request_id. 1 when it was such a pointer, 0 for
 * a real attachment pointer (nothing done). a may be NULL (not linked:
 * the card goes without its avatar). */
int br_sigcontact_download(struct br_signal *s, struct account *a, const char *owner,
                           const uint8_t *pointer, size_t len, const char *path,
                           uint64_t request_id);
/* SIG_EV_DOWNLOAD_DONE: 1 when it was a card's avatar (handled: the card
 * is written and reported), else 0. */
int br_sigcontact_avatar_done(struct br_signal *s, struct account *a, const struct sig_event *e);
/* Forget the cards waiting for avatars (the account closes). */
void br_sigcontact_jobs_free(struct account *a);

/* A file from Matrix to send: when it is a vCard of one card, its
 * DataMessage.Contact, serialized into *out (malloc'd, *len) and 1;
 * 0 to send it as a file. */
int br_sigcontact_from_file(const char *path, const char *content_type, uint8_t **out,
                            size_t *len);

#endif
