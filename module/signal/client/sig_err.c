/* sig_err.c - text for SIG_ERR_* and, by delegation, the layers below. */
#include "config.h"

#include <stddef.h>

#include "sc_err.h"
#include "sig_err.h"
#include "sn_err.h"
#include "st_db.h"
#include "ut.h"

static const struct {
    int code;
    const char *text;
} rows[] = {
    {SIG_ERR_STATE, "not allowed in the client's current state"},
    {SIG_ERR_LINK_TIMEOUT, "link timed out: the code was not scanned in time"},
    {SIG_ERR_PROVISION, "malformed or undecryptable provisioning message"},
    {SIG_ERR_HTTP, "unexpected status from the Signal service"},
    {SIG_ERR_JSON, "malformed JSON from the Signal service"},
    {SIG_ERR_NOT_LINKED, "no linked account"},
    {SIG_ERR_UNLINKED, "this device was unlinked (credentials rejected)"},
    {SIG_ERR_RATE_LIMIT, "rate limited by the Signal service"},
    {SIG_ERR_CHALLENGE, "the Signal service requires a challenge (captcha)"},
    {SIG_ERR_UNREGISTERED, "recipient is not registered with Signal"},
    {SIG_ERR_RETRIES, "device list kept changing (409/410 retries exhausted)"},
    {SIG_ERR_ENVELOPE, "malformed envelope or content"},
    {SIG_ERR_ADDRESS, "invalid service id or phone number"},
    {SIG_ERR_TOO_BIG, "over the size limit"},
    {SIG_ERR_DIGEST, "attachment digest or MAC mismatch"},
    {SIG_ERR_CANCELLED, "cancelled"},
    {SIG_ERR_NO_DEVICES, "recipient has no devices"},
    {SIG_ERR_ZK_PARAMS, "zkgroup server public params are invalid or not the service's"},
    {SIG_ERR_NOT_MEMBER, "not a member of this group"},
    {SIG_ERR_GROUP_ACCESS, "only the group's admins may change that"},
    {SIG_ERR_GROUP_CONFLICT, "the group kept changing meanwhile (409)"},
    {SIG_ERR_LINK_CAPABILITY, "Signal refused the link (409): a capability the account requires is missing"},
    {SIG_ERR_DEVICE_LIMIT, "Signal refused the link (411): the account has its maximum number of linked devices"},
    {SIG_ERR_LINK_CODE, "Signal refused the link (403): the link code was wrong or already used"},
    {SIG_ERR_OUTDATED, "Signal refuses this client version (499)"},
    {SIG_ERR_HISTORY, "the message history from the phone could not be read"},
    {SIG_ERR_HISTORY_RELINK, "the phone could not send the message history and asks to link again"},
    {SIG_ERR_HISTORY_SKIPPED, "the phone continued without sending the message history"},
};

const char *sig_strerror(int code)
{
    size_t i;

    if (code <= -1000 && code > -1100)
        return sc_strerror(code);
    if (code <= -1200 && code > -1300)
        return sn_strerror(code);
    if (code <= -1400 && code > -1500)
        return st_strerror(code);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == code)
            return rows[i].text;
    return ut_strerror(code);
}
