/* sig_caps.c - the device capabilities we declare: in the link request
 * (accountAttributes.capabilities) and again with PUT /v1/devices/capabilities
 * on every chat connection, so that a device linked by an older release
 * (which sent {}) is upgraded without relinking.
 *
 * What production does with them (Signal-Server storage/DeviceCapability.java,
 * controllers/DeviceController.java, filters/RemoteDeprecationFilter.java):
 * - a link whose capabilities lack one in CAPABILITIES_REQUIRED_FOR_NEW_DEVICES
 *   (today: spqr), or lack a "preventDowngrade" one (spqr,
 *   usernameChangeSyncMessage) that every device of the account has, gets
 *   409 (isCapabilityDowngrade); a missing capabilities object gets 422;
 * - PUT /v1/devices/capabilities replaces the device's set (a map of
 *   booleans; unknown names are ignored; answered 204, no downgrade check);
 * - a third-party client (a User-Agent that is not Signal-Android/Desktop/
 *   iOS) whose device lacks spqr gets 499 on every request once the server
 *   requires SPQR: that is how devices without spqr are shut out.
 * Working clients declare attachmentBackfill + spqr (Signal-Desktop
 * ts/background.ts registerCapabilities, ts/textsecure/AccountManager.ts),
 * and signalmeow also usernameChangeSyncMessage (mautrix-signal
 * pkg/signalmeow/provisioning.go, signalCapabilities, since 2026-06).
 *
 * We declare only what we honour or what production punishes us for lacking:
 * - spqr: required for every new device, and for staying connected at all.
 *   It says we speak the sparse post-quantum ratchet: every SignalMessage
 *   we send carries pq_ratchet and we accept the peer's. We run SPQR V1 in
 *   full as libsignal 0.100 does (sc_spqr.h, sc_scka.h; spqr v1.5.3): the
 *   ML-KEM-768 exchange in chunks, epochs advancing both ways, each epoch
 *   secret mixed into the key chain (tests/interop/spqr-interop.js).
 * - usernameChangeSyncMessage: preventDowngrade, and every phone app
 *   declares it (so does the mock's primary), hence a link without it gets
 *   409 on most accounts. Declaring it tells the primary that this device
 *   copes with the sync message it sends when the account's username
 *   changes instead of relying on other means. We keep no username
 *   state, and our receive path acknowledges every sync message it does
 *   not use (sig_recv.c -> sig_sync_handle), so nothing can go stale.
 * - not attachmentBackfill: PRIMARY_DEVICE mode (a linked device's value
 *   does not change the account), no downgrade check, and it announces
 *   that we send AttachmentBackfillRequest sync messages, which we do not.
 * - not optionalPhoneNumber: would be needed only to link to an account
 *   without a phone number (409 there otherwise); we assume an E.164.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sig_err.h"
#include "sig_int.h"

json_t *sig_caps_json(const sig_client *c)
{
    if (c->cfg.test_empty_capabilities)
        return json_object(); /* tests: what releases before 2026-12 sent */
    return json_pack("{s:b,s:b}", "spqr", 1, "usernameChangeSyncMessage", 1);
}

static void caps_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_client *c = ud;

    if (sig_dead(c))
        return;
    /* production answers 204 (a void resource); the unmodified mock 200 */
    if (rc == 0 && r->status >= 200 && r->status < 300)
        sig_logf(c, UT_LOG_INFO, "signal: capabilities declared");
    else
        sig_logf(c, UT_LOG_WARN, "signal: declaring capabilities failed (%d)",
                 rc ? rc : (int)r->status);
}

void sig_caps_declare(sig_client *c)
{
    json_t *j = sig_caps_json(c);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    sn_hdr h = {"content-type", "application/json"};

    if (!s || !c->chat ||
        sn_sock_request(c->chat, "PUT", "/v1/devices/capabilities", &h, 1,
                        (const uint8_t *)s, strlen(s), 30000, caps_resp, c) != 0)
        sig_logf(c, UT_LOG_WARN, "signal: cannot declare capabilities");
    free(s);
    json_decref(j);
}
