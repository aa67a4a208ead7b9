/*
 * br_cmd.c - see br_cmd.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_cmd.h"

static const struct {
    const char *word;
    br_cmd_kind kind;
} words[] = {
    {"help", BR_CMD_HELP},     {"link", BR_CMD_LINK},
    {"login", BR_CMD_LINK},    {"relink", BR_CMD_RELINK},
    {"logout", BR_CMD_LOGOUT}, {"unlink", BR_CMD_LOGOUT},
    {"status", BR_CMD_STATUS}, {"pm", BR_CMD_PM},
    {"usage", BR_CMD_USAGE},   {"cancel", BR_CMD_CANCEL},
};

void br_cmd_parse(br_cmd *cmd, const char *body)
{
    const char *p = body ? body : "", *end;
    size_t n, i;

    memset(cmd, 0, sizeof(*cmd));
    while (*p && isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "!signal", 7) == 0 &&
        (p[7] == '\0' || isspace((unsigned char)p[7]))) {
        p += 7;
        while (*p && isspace((unsigned char)*p))
            p++;
    }
    if (!*p) {
        cmd->kind = BR_CMD_NONE;
        return;
    }
    for (n = 0; p[n] && !isspace((unsigned char)p[n]); n++)
        ;
    for (i = 0; i < n && i < sizeof(cmd->word) - 1; i++)
        cmd->word[i] = (char)tolower((unsigned char)p[i]);
    cmd->word[i] = '\0';
    cmd->kind = BR_CMD_UNKNOWN;
    if (n < sizeof(cmd->word))
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (strcmp(cmd->word, words[i].word) == 0)
                cmd->kind = words[i].kind;
    /* the argument: rest of the first line, trimmed */
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    end = p;
    while (*end && *end != '\n' && *end != '\r')
        end++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    n = (size_t)(end - p);
    if (n >= sizeof(cmd->arg))
        n = sizeof(cmd->arg) - 1;
    memcpy(cmd->arg, p, n);
    cmd->arg[n] = '\0';
}

const char *br_cmd_help(int is_admin)
{
    if (is_admin)
        return "Commands:\n"
               "  link    - link your Signal account: scan the QR code with Signal on your phone\n"
               "            (Settings > Linked devices > Link new device)\n"
               "  status  - show the link and connection state\n"
               "  pm <+number> - open a chat with a Signal user\n"
               "  logout  - unlink this bridge from your Signal account\n"
               "  relink  - unlink and link again\n"
               "  cancel  - stop a link in progress\n"
               "  usage   - (admin) Signal users active this month and the limit\n"
               "  help    - this text";
    return "Commands:\n"
           "  link    - link your Signal account: scan the QR code with Signal on your phone\n"
           "            (Settings > Linked devices > Link new device)\n"
           "  status  - show the link and connection state\n"
           "  pm <+number> - open a chat with a Signal user\n"
           "  logout  - unlink this bridge from your Signal account\n"
           "  relink  - unlink and link again\n"
           "  cancel  - stop a link in progress\n"
           "  help    - this text";
}

/* The same commands as a table, so that a client shows them as columns
 * (plain text's two-space indentation collapses in HTML clients). */
const char *br_cmd_help_html(int is_admin)
{
#define ROW(c, d) "<tr><td><code>" c "</code></td><td>" d "</td></tr>"
#define ROWS                                                                              \
    ROW("link", "link your Signal account: scan the QR code with Signal on your phone "     \
                "(Settings &gt; Linked devices &gt; Link new device)")                      \
    ROW("status", "show the link and connection state")                                   \
    ROW("pm &lt;+number&gt;", "open a chat with a Signal user")                           \
    ROW("logout", "unlink this bridge from your Signal account")                          \
    ROW("relink", "unlink and link again")                                                \
    ROW("cancel", "stop a link in progress")
    if (is_admin)
        return "<p>Commands:</p><table>" ROWS
               ROW("usage", "(admin) Signal users active this month and the limit")
               ROW("help", "this text") "</table>";
    return "<p>Commands:</p><table>" ROWS ROW("help", "this text") "</table>";
#undef ROWS
#undef ROW
}

static int put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*cap ? *cap : 256);
        char *x;
        while (c < *len + n + 1)
            c *= 2;
        if (!(x = realloc(*out, c)))
            return -1;
        *out = x;
        *cap = c;
    }
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
    return 0;
}

char *br_cmd_html(const char *text)
{
    char *out = NULL;
    size_t len = 0, cap = 0;
    const char *p = text ? text : "";
    int code = 0, rc = 0;

    /* a backtick opens <code> only when another one closes it */
    rc |= put(&out, &len, &cap, "", 0);
    for (; *p && rc == 0; p++) {
        switch (*p) {
        case '&': rc = put(&out, &len, &cap, "&amp;", 5); break;
        case '<': rc = put(&out, &len, &cap, "&lt;", 4); break;
        case '>': rc = put(&out, &len, &cap, "&gt;", 4); break;
        case '"': rc = put(&out, &len, &cap, "&quot;", 6); break;
        case '\n': rc = put(&out, &len, &cap, "<br/>", 5); break;
        case '`':
            if (code)
                rc = put(&out, &len, &cap, "</code>", 7), code = 0;
            else if (strchr(p + 1, '`') && !memchr(p + 1, '\n', (size_t)(strchr(p + 1, '`') - p - 1)))
                rc = put(&out, &len, &cap, "<code>", 6), code = 1;
            else
                rc = put(&out, &len, &cap, "`", 1);
            break;
        default: rc = put(&out, &len, &cap, p, 1); break;
        }
    }
    if (rc != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int br_phone_normalize(const char *in, char *out, size_t n, char *err,
                       size_t errlen)
{
    size_t d = 0;
    const char *p = in ? in : "";
    char digits[32];

    while (*p == ' ')
        p++;
    if (*p == '+')
        p++;
    else if (p[0] == '0' && p[1] == '0')
        p += 2;
    else {
        snprintf(err, errlen,
                 "'%.40s' is not an international number: start with + and the country code, e.g. +15551234567",
                 in ? in : "");
        return -1;
    }
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (d >= 15) {
                snprintf(err, errlen, "a phone number has at most 15 digits");
                return -1;
            }
            digits[d++] = *p;
        } else if (!strchr(" -.()/", *p)) {
            snprintf(err, errlen, "'%c' does not belong in a phone number", *p);
            return -1;
        }
    }
    if (d < 7) {
        snprintf(err, errlen, "that number is too short for an international number");
        return -1;
    }
    if (digits[0] == '0') {
        snprintf(err, errlen, "country codes do not start with 0");
        return -1;
    }
    if (n < d + 2) {
        snprintf(err, errlen, "buffer too small");
        return -1;
    }
    out[0] = '+';
    memcpy(out + 1, digits, d);
    out[d + 1] = '\0';
    return 0;
}

/* Length of the ITU country code at the start of `d` (digits only). */
static size_t cc_len(const char *d)
{
    static const char *const two[] = {
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41",
        "43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54",
        "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
        "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"};
    size_t i;

    if (d[0] == '1' || d[0] == '7')
        return 1;
    for (i = 0; i < sizeof(two) / sizeof(two[0]); i++)
        if (strncmp(d, two[i], 2) == 0)
            return 2;
    return 3;
}

void br_phone_format(const char *e164, char *out, size_t n)
{
    const char *d = e164 && e164[0] == '+' ? e164 + 1 : "";
    size_t len = strlen(d), cc, rest, o, i;

    for (i = 0; i < len; i++)
        if (!isdigit((unsigned char)d[i]))
            len = 0;
    if (len < 7) {
        snprintf(out, n, "%s", e164 ? e164 : "");
        return;
    }
    if (d[0] == '1' && len == 11) {
        snprintf(out, n, "+1 %.3s-%.3s-%.4s", d + 1, d + 4, d + 7);
        return;
    }
    cc = cc_len(d);
    rest = len - cc;
    o = (size_t)snprintf(out, n, "+%.*s", (int)cc, d);
    /* groups of 3 from the left, the last group 4 when it divides so */
    for (i = 0; i < rest && o + 2 < n;) {
        size_t g = rest - i == 4 ? 4 : 3;
        if (g > rest - i)
            g = rest - i;
        o += (size_t)snprintf(out + o, n - o, " %.*s", (int)g, d + cc + i);
        i += g;
    }
}
