/*
 * sig_err.h - error codes of module/signal/client (SIG_ERR_*, -1300..-1399).
 *
 * sig_ functions return 0 or a negative code: one of these, or a code of
 * the layer below (SC_ERR_* crypto, SN_ERR_* net, ST_ERR_* store, UT_ERR_*).
 * sig_strerror() names all of them. Codes are never renumbered.
 * Thread: pure, any thread.
 */
#ifndef SIG_ERR_H
#define SIG_ERR_H

enum {
    SIG_ERR_STATE = -1300,        /* call not allowed in this state */
    SIG_ERR_LINK_TIMEOUT = -1301, /* the phone did not scan in time */
    SIG_ERR_PROVISION = -1302,    /* malformed or undecryptable provisioning data */
    SIG_ERR_HTTP = -1303,         /* the service answered with an unexpected status */
    SIG_ERR_JSON = -1304,         /* malformed JSON from the service */
    SIG_ERR_NOT_LINKED = -1305,   /* no account data: link first */
    SIG_ERR_UNLINKED = -1306,     /* the server rejected our credentials (close 3000/403) */
    SIG_ERR_RATE_LIMIT = -1307,   /* 429: rate limited */
    SIG_ERR_CHALLENGE = -1308,    /* 428: the server wants a challenge solved */
    SIG_ERR_UNREGISTERED = -1309, /* 404: recipient not registered */
    SIG_ERR_RETRIES = -1310,      /* 409/410 kept coming back */
    SIG_ERR_ENVELOPE = -1311,     /* malformed envelope or content */
    SIG_ERR_ADDRESS = -1312,      /* bad service id or phone number */
    SIG_ERR_TOO_BIG = -1313,      /* over a size limit */
    SIG_ERR_DIGEST = -1314,       /* attachment digest or MAC mismatch */
    SIG_ERR_CANCELLED = -1315,    /* the client was stopped or freed */
    SIG_ERR_NO_DEVICES = -1316,   /* recipient has no devices we can send to */
    SIG_ERR_ZK_PARAMS = -1317,    /* zkgroup server params unusable or not the
                                     service's (credentials do not verify) */
    SIG_ERR_NOT_MEMBER = -1318,   /* the groups server says we are not a member */
    SIG_ERR_GROUP_ACCESS = -1319, /* the group lets only its admins change that */
    SIG_ERR_GROUP_CONFLICT = -1320, /* a group change kept meeting a newer revision */
    /* -1330..: link and device-status answers (kept apart from the codes
     * other branches add after -1318) */
    SIG_ERR_LINK_CAPABILITY = -1330, /* 409 at link: a capability the account
                                        requires is missing (update the bridge) */
    SIG_ERR_DEVICE_LIMIT = -1331,    /* 411 at link: the account has its maximum
                                        number of linked devices */
    SIG_ERR_LINK_CODE = -1332,       /* 403 at link: the code was wrong or used */
    SIG_ERR_OUTDATED = -1333,        /* 499: the service refuses this client
                                        (e.g. the device lacks spqr) */
    /* -1340..: the history transfer at link ("link and sync") */
    SIG_ERR_HISTORY = -1340,         /* the archive is unreadable: wrong MAC,
                                        truncated, corrupt or garbage frames */
    SIG_ERR_HISTORY_RELINK = -1341,  /* the phone failed to upload and asks
                                        for a new link (RELINK_REQUESTED) */
    SIG_ERR_HISTORY_SKIPPED = -1342  /* the phone continues without history
                                        (CONTINUE_WITHOUT_UPLOAD) */
};

/* Text for any SIG_/SC_/SN_/ST_/UT_ code. Never NULL. */
const char *sig_strerror(int code);

#endif
