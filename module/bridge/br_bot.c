/*
 * br_bot.c - @signalbot: the room a user opens with the bot, its commands,
 * and what the bot says about linking. Every message tells the user what to
 * do next (anchors-bridges.md: actionable notices).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "br_cmd.h"
#include "br_internal.h"
#include "br_retry.h"
#include "br_netfail.h"
#include "br_qr.h"
#include "br_store.h"

static void qr_clear(br_bridge *b, br_login *l);

/* ---- the bot's own rows, written from answers and Signal events --------- */

/* The bot room and the login rows are written where nobody would write
 * them again (the host's answer to the bot's join, the Signal side's
 * LINKED and UNLINKED events): a failure that can pass is retried on the
 * loop, in order (br_retry.h). Lost, they would make the bot deaf in the
 * user's room, or the user seem unlinked (or still linked) after the next
 * start. */
enum { BOT_MGMT_ROOM, BOT_LOGIN_PUT, BOT_LOGIN_DELETE };

typedef struct bot_write {
    int kind;
    char *owner, *room, *aci, *number;
    int64_t at_ms;
    int allowed; /* BOT_MGMT_ROOM: the greeting to post once stored */
} bot_write;

static void bot_write_free(void *arg)
{
    bot_write *w = arg;

    free(w->owner);
    free(w->room);
    free(w->aci);
    free(w->number);
    free(w);
}

static int bot_write_run(br_bridge *b, void *arg)
{
    bot_write *w = arg;

    switch (w->kind) {
    case BOT_MGMT_ROOM: return br_store_mgmt_room_put(b->db, w->owner, w->room);
    case BOT_LOGIN_PUT: return br_store_login_put(b->db, w->owner, w->aci, w->number, w->at_ms);
    default: return br_store_login_delete(b->db, w->owner);
    }
}

static void greet(br_bridge *b, const char *owner, const char *room, int allowed);

/* The bot room is known now: the greeting says so (a command sent before
 * it would have found the room unknown). */
static void bot_write_then(br_bridge *b, void *arg)
{
    bot_write *w = arg;

    if (w->kind == BOT_MGMT_ROOM)
        greet(b, w->owner, w->room, w->allowed);
}

static void bot_store(br_bridge *b, int kind, const char *owner, const char *room,
                      const char *aci, const char *number, int allowed)
{
    static const char *const what[] = { "a bot room", "a linked login", "the removal of a login" };
    bot_write *w = calloc(1, sizeof(*w));

    if (!w || !(w->owner = strdup(owner)) || (room && !(w->room = strdup(room))) ||
        (aci && !(w->aci = strdup(aci))) || (number && !(w->number = strdup(number)))) {
        if (w)
            bot_write_free(w);
        ut_logf(&b->log, UT_LOG_ERROR, "bot: out of memory storing %s", what[kind]);
        return;
    }
    w->kind = kind;
    w->at_ms = ut_now_ms();
    w->allowed = allowed;
    (void)br_retry_write(b, what[kind], bot_write_run, bot_write_then, w, bot_write_free);
}

/* `intro` (may be NULL), then the command list: as text, and as HTML with
 * the commands in a table. */
static void say_with_help(br_bridge *b, const char *room, const char *intro, int admin)
{
    char *text = NULL, *hi = intro ? br_cmd_html(intro) : NULL, *html = NULL;

    if (asprintf(&text, "%s%s%s", intro ? intro : "", intro ? "\n\n" : "", br_cmd_help(admin)) < 0)
        text = NULL;
    if ((!intro || hi) && asprintf(&html, "%s%s%s", intro ? "<p>" : "", intro ? hi : "",
                                   intro ? "</p>" : "") >= 0) {
        char *full = NULL;
        if (asprintf(&full, "%s%s", html, br_cmd_help_html(admin)) < 0)
            full = NULL;
        free(html);
        html = full;
    } else {
        html = NULL;
    }
    if (text)
        br_notice_html(b, room, text, html);
    free(text);
    free(hi);
    free(html);
}

/* ---- joining ------------------------------------------------------------ */

typedef struct join_ctx {
    br_bridge *b;
    char *room;
    char *owner;
    int allowed;
    int linked; /* not allowed, but has a login to `logout` from here */
} join_ctx;

static void join_ctx_free(join_ctx *j)
{
    free(j->room);
    free(j->owner);
    free(j);
}

static void on_joined(void *arg, int status, json_t *body)
{
    join_ctx *j = arg;
    br_bridge *b = j->b;

    (void)body;
    if (status != 200) {
        ut_logf(&b->log, UT_LOG_WARN, "bot: could not join a room (HTTP %d)", status);
        join_ctx_free(j);
        return;
    }
    if (!j->allowed && !j->linked) {
        br_notice(b, j->room,
                  "Sorry, you are not allowed to use this Signal bridge. "
                  "Ask the administrator of this homeserver for access.");
        mx_membership(b->mx, b->bot, j->room, "leave", NULL, NULL, NULL, NULL);
        join_ctx_free(j);
        return;
    }
    /* greets once the room is stored (bot_write_then) */
    bot_store(b, BOT_MGMT_ROOM, j->owner, j->room, NULL, NULL, j->allowed);
    join_ctx_free(j);
}

static void greet(br_bridge *b, const char *owner, const char *room, int allowed)
{
    if (!allowed) {
        br_notice(b, room, "Sorry, you are not allowed to use this Signal bridge. Your Signal account is "
                           "still linked but not bridged; send `logout` to unlink it.");
        return;
    }
    say_with_help(b, room,
                  "Hello! I bridge your Signal chats into Matrix. Send `link` and scan "
                  "the QR code with Signal on your phone (Settings > Linked devices > "
                  "Link new device).",
                  br_config_permission(&b->cfg, owner) >= BR_PERM_ADMIN);
}

void br_bot_on_invite(br_bridge *b, const mx_event *ev)
{
    join_ctx *j = calloc(1, sizeof(*j));

    if (!j)
        return;
    j->b = b;
    j->room = strdup(ev->room_id);
    j->owner = strdup(ev->sender);
    j->allowed = br_access_ok(b, ev->sender);
    {
        br_login *l = br_login_get(b, ev->sender, 0);
        j->linked = l && l->number;
    }
    if (!j->room || !j->owner ||
        mx_membership(b->mx, b->bot, ev->room_id, "join", NULL, NULL, on_joined, j) != 0)
        join_ctx_free(j);
}

/* ---- commands ----------------------------------------------------------- */

static void say_status(br_bridge *b, const char *room, br_login *l)
{
    char human[64], when[64] = "never";

    if (!l || (!l->number && !l->linking)) {
        br_notice(b, room, "Not linked to Signal. Send `link` to link your account.");
        return;
    }
    if (l->linking && !l->number) {
        br_notice(b, room, "Linking is in progress: scan the QR code above, or send `cancel`.");
        return;
    }
    br_phone_format(l->number, human, sizeof(human));
    if (l->last_activity_ms) {
        time_t t = (time_t)(l->last_activity_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    br_notice(b, room, "Linked as %s. Connection: %s. Last activity: %s.", human,
              !b->have_net ? "unavailable (the Signal side is not running)"
              : l->connected ? "connected" : "connecting",
              when);
}

static void cmd_link(br_bridge *b, const char *room, const char *owner,
                     int relink)
{
    br_login *l = br_login_get(b, owner, 1);
    char human[64];

    if (!l)
        return;
    if (!b->have_net) {
        br_notice(b, room, "The Signal side of this bridge is not running, so linking is not possible right now. "
                           "Please tell the administrator.");
        return;
    }
    if (l->linking) {
        br_notice(b, room, "A link is already in progress: scan the QR code above, or send `cancel` and then `link`.");
        return;
    }
    if (l->number && !relink) {
        br_phone_format(l->number, human, sizeof(human));
        br_notice(b, room, "You are already linked as %s. Send `relink` to link again, or `logout` to unlink.", human);
        return;
    }
    if (l->number && relink && b->net.logout)
        b->net.logout(b->net.ctx, owner);
    l->linking = 1;
    if (b->net.link(b->net.ctx, owner, b->cfg.link_timeout_s) != 0) {
        l->linking = 0;
        br_notice(b, room, "Could not start linking. Please try again in a minute.");
    }
}

static void forget_login(br_bridge *b, br_login *l)
{
    bot_store(b, BOT_LOGIN_DELETE, l->owner, NULL, NULL, NULL, 0);
    br_access_forget(b, l->owner); /* a later loss of access is told again */
    free(l->number);
    free(l->aci);
    l->number = l->aci = NULL;
    l->connected = 0;
}

void br_bot_logout(br_bridge *b, br_login *l)
{
    if (b->have_net && b->net.logout)
        b->net.logout(b->net.ctx, l->owner);
    l->linking = 0;
    qr_clear(b, l);
    forget_login(b, l);
}

static void cmd_logout(br_bridge *b, const char *room, const char *owner)
{
    br_login *l = br_login_get(b, owner, 0);

    if (!l || (!l->number && !l->linking)) {
        br_notice(b, room, "You are not linked to Signal. Send `link` to link your account.");
        return;
    }
    br_bot_logout(b, l);
    br_notice(b, room, "Unlinked from Signal. This bridge no longer receives or sends your Signal messages. "
                       "Send `link` to link again.");
}

static void cmd_pm(br_bridge *b, const char *room, const char *owner,
                   const char *arg)
{
    br_login *l = br_login_get(b, owner, 0);
    char e164[32], err[200];

    if (!*arg) {
        br_notice(b, room, "Usage: pm <phone number>, for example: pm +15551234567");
        return;
    }
    if (br_phone_normalize(arg, e164, sizeof(e164), err, sizeof(err)) != 0) {
        br_notice(b, room, "That is not a valid phone number: %s.", err);
        return;
    }
    if (!l || !l->number) {
        br_notice(b, room, "You need to link Signal first: send `link`.");
        return;
    }
    if (b->net.resolve(b->net.ctx, owner, e164, ++b->next_request) != 0)
        br_notice(b, room, "Could not look up %s right now; please try again.", e164);
}

static void cmd_usage(br_bridge *b, const char *room)
{
    br_notice(b, room, "Signal users active this month: %ld of at most %ld.",
              br_usage_count(b), b->cfg.max_signal_users);
}

void br_bot_on_message(br_bridge *b, const mx_event *ev, const char *owner)
{
    br_cmd cmd;
    int level = br_config_permission(&b->cfg, owner);

    if (!ev->body || (ev->msgtype && strcmp(ev->msgtype, "m.notice") == 0))
        return;
    br_cmd_parse(&cmd, ev->body);
    if (!br_access_ok(b, owner)) {
        /* Without access a user can still take their account back out. */
        br_login *l = br_login_get(b, owner, 0);
        if (cmd.kind == BR_CMD_LOGOUT)
            cmd_logout(b, ev->room_id, owner);
        else if (l && (l->number || l->linking))
            br_notice(b, ev->room_id, "Sorry, you are not allowed to use this Signal bridge. Your Signal "
                                      "account is still linked but not bridged; send `logout` to unlink it.");
        else
            br_notice(b, ev->room_id, "Sorry, you are not allowed to use this Signal bridge.");
        return;
    }
    switch (cmd.kind) {
    case BR_CMD_NONE:
        break;
    case BR_CMD_HELP:
        say_with_help(b, ev->room_id, NULL, level >= BR_PERM_ADMIN);
        break;
    case BR_CMD_LINK:
        cmd_link(b, ev->room_id, owner, 0);
        break;
    case BR_CMD_RELINK:
        cmd_link(b, ev->room_id, owner, 1);
        break;
    case BR_CMD_LOGOUT:
        cmd_logout(b, ev->room_id, owner);
        break;
    case BR_CMD_CANCEL: {
        br_login *l = br_login_get(b, owner, 0);
        if (l && l->linking) {
            if (b->net.cancel_link)
                b->net.cancel_link(b->net.ctx, owner);
            l->linking = 0;
            qr_clear(b, l);
            br_notice(b, ev->room_id, "Linking cancelled. Send `link` to start again.");
        } else {
            br_notice(b, ev->room_id, "Nothing to cancel.");
        }
        break;
    }
    case BR_CMD_STATUS:
        say_status(b, ev->room_id, br_login_get(b, owner, 0));
        break;
    case BR_CMD_PM:
        cmd_pm(b, ev->room_id, owner, cmd.arg);
        break;
    case BR_CMD_USAGE:
        if (level >= BR_PERM_ADMIN)
            cmd_usage(b, ev->room_id);
        else
            br_notice(b, ev->room_id, "`usage` is for bridge administrators.");
        break;
    case BR_CMD_UNKNOWN: {
        char intro[96];
        snprintf(intro, sizeof(intro), "Unknown command '%s'.", cmd.word);
        say_with_help(b, ev->room_id, intro, level >= BR_PERM_ADMIN);
        break;
    }
    }
}

/* ---- what the Signal side says ------------------------------------------ */

/* The QR code's messages are redacted once the link they carry is over
 * (linked, failed, cancelled) or Signal replaced it with a new code, as
 * mautrix bridges do: mautrix/go bridgev2/commands/login.go
 * doLoginDisplayAndWait redacts the QR event when the login step ends.
 * (There a new code edits the one event; here each code is two messages,
 * the image and the link as text, and a new code's are posted anew, so
 * the old ones are redacted.) Until then l->qr_ev holds their ids. */
typedef struct qr_sent {
    br_bridge *b;
    char *owner, *room;
    unsigned gen;
    int slot; /* 0 the image, 1 the notice with the link */
} qr_sent;

static void qr_redact(br_bridge *b, const char *room, const char *event_id)
{
    char txn[64];

    snprintf(txn, sizeof(txn), "qr-redact-%lld-%llu", (long long)ut_now_ms(),
             (unsigned long long)++b->next_request);
    mx_redact(b->mx, b->bot, room, event_id, txn, NULL, NULL, NULL);
}

/* The QR code on show is over: redact its messages. */
static void qr_clear(br_bridge *b, br_login *l)
{
    int i;

    l->qr_gen++;
    for (i = 0; i < 2; i++) {
        if (l->qr_ev[i] && l->qr_room)
            qr_redact(b, l->qr_room, l->qr_ev[i]);
        free(l->qr_ev[i]);
        l->qr_ev[i] = NULL;
    }
}

static void on_qr_sent(void *arg, int status, json_t *body)
{
    qr_sent *q = arg;
    const char *id = json_string_value(json_object_get(body, "event_id"));
    br_login *l = br_login_get(q->b, q->owner, 0);

    if (status == 200 && id) {
        if (l && l->linking && l->qr_gen == q->gen) {
            free(l->qr_ev[q->slot]);
            l->qr_ev[q->slot] = strdup(id);
            if (!l->qr_room || strcmp(l->qr_room, q->room)) {
                free(l->qr_room);
                l->qr_room = strdup(q->room);
            }
        } else {
            qr_redact(q->b, q->room, id); /* its code ended while it was sent */
        }
    }
    free(q->owner);
    free(q->room);
    free(q);
}

static qr_sent *qr_sent_new(br_bridge *b, const char *owner, const char *room,
                            unsigned gen, int slot)
{
    qr_sent *q = calloc(1, sizeof(*q));

    if (q && (!(q->owner = strdup(owner)) || !(q->room = strdup(room)))) {
        free(q->owner);
        free(q);
        return NULL;
    }
    if (q) {
        q->b = b;
        q->gen = gen;
        q->slot = slot;
    }
    return q;
}

typedef struct qr_ctx {
    br_bridge *b;
    char *owner;
    char *room;
    char *url;
    unsigned gen;
    int side;
    size_t size;
} qr_ctx;

static void qr_ctx_free(qr_ctx *q)
{
    free(q->owner);
    free(q->room);
    free(q->url);
    free(q);
}

static void on_qr_uploaded(void *arg, int status, json_t *body)
{
    qr_ctx *q = arg;
    br_bridge *b = q->b;
    const char *uri = json_string_value(json_object_get(body, "content_uri"));
    qr_sent *s;
    char txn[64];

    if (status == 200 && uri) {
        json_t *c = json_pack("{s:s,s:s,s:s,s:{s:s,s:I,s:i,s:i}}", "msgtype",
                              "m.image", "body", "signal-link-qr.png", "url", uri,
                              "info", "mimetype", "image/png", "size",
                              (json_int_t)q->size, "w", q->side, "h", q->side);
        snprintf(txn, sizeof(txn), "qr-%lld", (long long)ut_now_ms());
        if (c) {
            s = qr_sent_new(b, q->owner, q->room, q->gen, 0);
            if (mx_send(b->mx, b->bot, q->room, "m.room.message", txn, c, 0,
                        s ? on_qr_sent : NULL, s) != 0 && s)
                on_qr_sent(s, 500, NULL); /* not sent: cb not called, free */
        }
        json_decref(c);
    }
    /* Signal-Server ends a QR code's provisioning socket after 90 s
     * (ProvisioningConnectListener); the client then brings a new one */
    s = qr_sent_new(b, q->owner, q->room, q->gen, 1);
    if (b->cfg.link_timeout_s <= 90)
        br_notice_cb(b, q->room, s ? on_qr_sent : NULL, s,
                     "Scan this QR code with Signal on your phone: Settings > Linked devices > "
                     "Link new device. It expires in about %ld seconds.\n\n"
                     "If you cannot see the image, this is the link it contains:\n%s",
                     b->cfg.link_timeout_s, q->url);
    else
        br_notice_cb(b, q->room, s ? on_qr_sent : NULL, s,
                     "Scan this QR code with Signal on your phone: Settings > Linked devices > "
                     "Link new device. It expires in about 90 seconds; I then post a new one, "
                     "for about %ld seconds from your `link`.\n\n"
                     "If you cannot see the image, this is the link it contains:\n%s",
                     b->cfg.link_timeout_s, q->url);
    qr_ctx_free(q);
}

static void show_link(br_bridge *b, br_login *l, const char *room, const char *url)
{
    qr_ctx *q = calloc(1, sizeof(*q));
    ut_buf png;

    qr_clear(b, l); /* a new code: the old one is void */
    ut_buf_init(&png, 1 << 20);
    if (!q || !(q->owner = strdup(l->owner)) || !(q->room = strdup(room)) ||
        !(q->url = strdup(url)) || br_qr_png(url, 8, 4, &png, &q->side) != 0) {
        ut_buf_free(&png);
        if (q)
            qr_ctx_free(q);
        br_notice(b, room, "Link this bridge by opening this link on your phone:\n%s", url);
        return;
    }
    q->b = b;
    q->gen = l->qr_gen;
    q->size = png.len;
    if (mx_upload(b->mx, b->bot, "image/png", "signal-link-qr.png", png.data,
                  png.len, on_qr_uploaded, q) != 0)
        on_qr_uploaded(q, 500, NULL);
    ut_buf_free(&png);
}

static void remember_login(br_bridge *b, br_login *l)
{
    bot_store(b, BOT_LOGIN_PUT, l->owner, NULL, l->aci, l->number, 0);
}

/* What to tell the user when Signal refuses a link or a linked device:
 * what happened, and what to do. One row per case; NULL for the others
 * (they get the generic "Linking failed: <reason>"). Statuses as Signal-
 * Server's DeviceController.linkDevice and RemoteDeprecationFilter give
 * them; mautrix-signal's login.go words the same cases for its users. */
static const struct {
    int code;
    const char *text;
} link_troubles[] = {
    {BR_NET_ERR_TIMEOUT, "The QR code expired before it was scanned. Send `link` to get a new one."},
    {BR_NET_ERR_CAPABILITY,
     "Signal refused to link this bridge: your account's other devices use features that this "
     "version of the bridge does not declare (Signal's answer was 409, a missing device "
     "capability). Please ask the bridge administrator to update the bridge, then send `link` again."},
    {BR_NET_ERR_DEVICE_LIMIT,
     "Signal refused to link this bridge: your account already has the most linked devices Signal "
     "allows. Remove one on your phone (Signal > Settings > Linked devices), then send `link` again."},
    {BR_NET_ERR_LINK_CODE,
     "Signal did not accept the link code (it was wrong or already used). Send `link` to get a new QR code."},
    {BR_NET_ERR_OUTDATED,
     "Signal no longer accepts this version of the bridge (it lacks something Signal now requires of "
     "linked devices), so your Signal chats are not bridged. Please ask the bridge administrator to "
     "update the bridge, then send `link` again."},
    {BR_NET_ERR_UNLINKED,
     "This bridge was unlinked from your Signal account (on your phone under Signal > Settings > "
     "Linked devices, or by Signal), so your Signal chats are no longer bridged. "
     "Send `link` to link again."},
};

static const char *link_trouble(int code)
{
    size_t i;

    for (i = 0; i < sizeof(link_troubles) / sizeof(link_troubles[0]); i++)
        if (link_troubles[i].code == code)
            return link_troubles[i].text;
    return NULL;
}

void br_bot_net_event(br_bridge *b, const br_net_event *ev)
{
    br_login *l = br_login_get(b, ev->owner, 1);
    char room[256], human[64];
    int have_room = br_mgmt_room(b, ev->owner, room, sizeof(room));

    if (!l)
        return;
    switch (ev->kind) {
    case BR_NET_LINK_URL:
        if (have_room && ev->text)
            show_link(b, l, room, ev->text);
        break;
    case BR_NET_LINKED:
        l->linking = 0;
        qr_clear(b, l);
        free(l->number);
        free(l->aci);
        l->number = ev->text ? strdup(ev->text) : NULL;
        l->aci = ev->id ? strdup(ev->id) : NULL;
        l->last_activity_ms = ut_now_ms();
        if (l->number)
            remember_login(b, l);
        br_phone_format(ev->text ? ev->text : "", human, sizeof(human));
        if (have_room)
            br_notice(b, room, "Successfully logged in as %s", human);
        break;
    case BR_NET_LINK_FAILED:
        l->linking = 0;
        qr_clear(b, l);
        if (br_netfail_tell(b, have_room ? room : NULL, ev->owner, ev->code, ev->text, 1) == 0)
            break; /* cannot reach or trust Signal: what to check */
        if (have_room && link_trouble(ev->code))
            br_notice(b, room, "%s", link_trouble(ev->code));
        else if (have_room)
            br_notice(b, room, "Linking failed: %s. Send `link` to try again.",
                      ev->text ? ev->text : "unknown error");
        break;
    case BR_NET_UNLINKED:
        forget_login(b, l);
        if (have_room)
            br_notice(b, room, "%s", link_trouble(ev->code == BR_NET_ERR_OUTDATED
                                                     ? BR_NET_ERR_OUTDATED
                                                     : BR_NET_ERR_UNLINKED));
        break;
    case BR_NET_CONNECTION:
        l->connected = ev->code == 1;
        if (l->connected)
            l->trouble = 0;
        break;
    case BR_NET_CONN_TROUBLE: /* once per outage and cause */
        if (l->trouble != ev->code &&
            br_netfail_tell(b, have_room ? room : NULL, ev->owner, ev->code, ev->text, 0) == 0)
            l->trouble = ev->code;
        break;
    case BR_NET_RESOLVED:
        if (!ev->id || !*ev->id) {
            /* Only numbers the phone knows resolve (no contact discovery
             * service here); say exactly that rather than "unregistered". */
            if (have_room)
                br_notice(b, room, "I could not find %s among your Signal contacts. I can start chats with "
                                   "people your phone knows: add them to your contacts on the phone first.",
                          ev->phone ? ev->phone : "that number");
        } else if (br_portal_open_dm(b, ev->owner, ev->id, ev->phone, have_room ? room : NULL) != 0 &&
                   have_room) {
            br_notice(b, room, "Could not open a chat with %s; please try again.", ev->phone ? ev->phone : ev->id);
        }
        break;
    default:
        break;
    }
}
