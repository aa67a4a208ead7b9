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
