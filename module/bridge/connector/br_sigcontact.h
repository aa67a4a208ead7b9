/*
 * br_sigcontact.h - contact cards both ways (issue #17 item 5), Signal side
 * of br_net.
 *
 * Signal -> Matrix: each DataMessage.contact of a received message becomes
 * one more attachment of its MESSAGE event, a vCard file "<name>.vcf" of
 * type text/vcf, as mautrix-signal sends it (pkg/msgconv/from-signal.go
 * convertContactToMatrix: m.file, body name + ".vcf", mimetype "text/vcf").
 * The card is written when the message arrives; its "pointer" carries the
 * vCard itself behind a prefix no AttachmentPointer can start with (a
 * protobuf tag of field 0), and download() writes it out instead of
 * fetching, so the bridge's media pipeline (durable rows, order, retries)
 * treats it as any file. The contact's avatar is not fetched.
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

/* A download pointer made by br_sigcontact_attach: write the card to path
 * (0600) and return 1 with *err 0 or UT_ERR_IO; 0 when it is a real
 * attachment pointer. */
int br_sigcontact_write(const uint8_t *pointer, size_t len, const char *path, int *err);

/* A file from Matrix to send: when it is a vCard of one card, its
 * DataMessage.Contact, serialized into *out (malloc'd, *len) and 1;
 * 0 to send it as a file. */
int br_sigcontact_from_file(const char *path, const char *content_type, uint8_t **out,
                            size_t *len);

#endif
