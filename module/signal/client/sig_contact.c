/*
 * sig_contact.c - send a contact card (DataMessage.contact), the message
 * Signal's apps send when a contact is shared (Signal-Android
 * contactshare/ContactCardReader.kt: a .vcf or an address-book entry
 * becomes one Contact; Signal-Desktop protos/SignalService.proto
 * DataMessage.Contact).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sig_client.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sig_util.h"

int sig_client_send_contact(sig_client *c, const char *to, const uint8_t *group_id,
                            const uint8_t *contact, size_t len, const char *caption,
                            uint64_t ts, void *send_ud, uint64_t *timestamp_out)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Contact *ct, *cts[1];
    char aci[SIG_UUID_STR_LEN + 1];
    int rc;

    if (!contact || !len || (!to && !group_id))
        return UT_ERR_INVAL;
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    if (!group_id && (rc = sig_resolve(c, to, aci)) != 0)
        return rc;
    /* protobuf-c makes no unpack function for a nested message */
    ct = (Signalservice__DataMessage__Contact *)protobuf_c_message_unpack(
        &signalservice__data_message__contact__descriptor, NULL, len, contact);
    if (!ct)
        return UT_ERR_INVAL;
    cts[0] = ct;
    dm.contact = cts;
    dm.n_contact = 1;
    dm.body = caption && *caption ? (char *)caption : NULL;
    dm.has_timestamp = 1;
    dm.timestamp = ts ? ts : (uint64_t)ut_now_ms(); /* the caller's stored ts */
    rc = group_id ? sig_group_send_dm(c, group_id, &dm, send_ud) : sig_send_dm(c, aci, &dm, send_ud);
    if (rc == 0 && timestamp_out)
        *timestamp_out = dm.timestamp;
    protobuf_c_message_free_unpacked(&ct->base, NULL);
    return rc;
}
