/*
 * br_cmd.c - see br_cmd.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
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
