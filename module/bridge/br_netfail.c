/* br_netfail.c - notices and log lines for failures to reach or trust
 * Signal (br_netfail.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "br_internal.h"
#include "br_net.h"
#include "br_netfail.h"

/* "host[:port]" of an https URL (br_config checked its form). */
static void url_host(const char *url, char *out, size_t cap)
{
    const char *p = url ? url : "";
    size_t n;

    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    n = strcspn(p, "/");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

int br_netfail_words(const br_config *cfg, int code, const char *reason, int linking,
                     char *user, size_t ucap, char *admin, size_t acap)
{
    const char *what = linking ? "Linking failed" : "Your Signal connection is down";
    const char *then = linking ? "Send `link` to try again once it is fixed."
                               : "The bridge keeps retrying.";
    const char *ca = cfg->signal_ca_file;
    char host[256];

    if (!ucap || !acap)
        return -1;
    url_host(cfg->signal_server, host, sizeof(host));
    if (!reason)
        reason = "unknown error";
    switch (code) {
    case BR_NET_ERR_TLS:
        if (!ca) {
            snprintf(user, ucap,
                     "%s: I could not verify the certificate of Signal's server (%s). The bridge trusts only "
                     "Signal's own root certificate, so something between this homeserver and Signal may be "
                     "intercepting the connection (a TLS-inspecting proxy or firewall); if you use a private "
                     "Signal server, signal.ca_file must name its CA. Please tell the administrator. %s",
                     what, host, then);
            snprintf(admin, acap,
                     "signal: the TLS certificate of %s is not trusted (%s): it does not chain to Signal's "
                     "root certificate, which is built in and pinned because signal.ca_file is not set. "
                     "Check for a TLS-intercepting proxy or firewall on the way to %s; for a private Signal "
                     "server set signal.ca_file to its CA",
                     host, reason, host);
        } else {
            snprintf(user, ucap,
                     "%s: I could not verify the certificate of the Signal server %s: it is not signed by "
                     "the CA the bridge is configured to trust (signal.ca_file), or not issued for that "
                     "host name. Please tell the administrator. %s",
                     what, host, then);
            snprintf(admin, acap,
                     "signal: the TLS certificate of %s is not trusted (%s): it must chain to a CA in "
                     "signal.ca_file (%s) and name that host. Check that signal.ca_file holds the CA of "
                     "signal.server (%s); for Signal's real servers delete both",
                     host, reason, ca, cfg->signal_server);
        }
        return 0;
    case BR_NET_ERR_DNS:
        snprintf(user, ucap,
                 "%s: I could not reach Signal: the name of its server (%s) does not resolve (DNS) on the "
                 "machine this bridge runs on. Please tell the administrator to check that machine's DNS "
                 "and internet access. %s",
                 what, host, then);
        snprintf(admin, acap,
                 "signal: cannot resolve %s (%s). The bridge needs DNS and outgoing HTTPS (port 443) to "
                 "signal.server (%s) and its storage and CDN hosts; check this machine's resolver and "
                 "internet access",
                 host, reason, cfg->signal_server);
        return 0;
    case BR_NET_ERR_UNREACHABLE:
        snprintf(user, ucap,
                 "%s: I could not connect to Signal's server (%s). Please tell the administrator to check "
                 "that this machine can open HTTPS connections to it (firewall, proxy, network). %s",
                 what, host, then);
        snprintf(admin, acap,
                 "signal: cannot connect to %s (%s). Check that outgoing HTTPS (port 443) to it is allowed "
                 "(firewall, proxy, routing)",
                 host, reason);
        return 0;
    default:
        return -1;
    }
}

int br_netfail_tell(br_bridge *b, const char *room, const char *owner, int code,
                    const char *reason, int linking)
{
    char user[1024], admin[1024];

    if (br_netfail_words(&b->cfg, code, reason, linking, user, sizeof(user), admin,
                         sizeof(admin)) != 0)
        return -1;
    ut_logf(&b->log, UT_LOG_ERROR, "%s (%s for %s)", admin,
            linking ? "linking" : "connection", owner ? owner : "?");
    if (room)
        br_notice(b, room, "%s", user);
    return 0;
}
