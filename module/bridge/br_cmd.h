/*
 * br_cmd.h - what a user types to @signalbot (phone numbers: br_phone.h).
 * Pure functions (fuzzed): text in, struct out; never trust the input.
 */
#ifndef BR_CMD_H
#define BR_CMD_H

#include <stddef.h>

#include "br_phone.h"

typedef enum br_cmd_kind {
    BR_CMD_NONE = 0,  /* empty message */
    BR_CMD_UNKNOWN,   /* anything else: answer with the short help */
    BR_CMD_HELP,
    BR_CMD_LINK,
    BR_CMD_RELINK,
    BR_CMD_LOGOUT,
    BR_CMD_STATUS,
    BR_CMD_PM,        /* arg: the number as typed */
    BR_CMD_USAGE,     /* admins only */
    BR_CMD_CANCEL     /* stop a pending link */
} br_cmd_kind;

typedef struct br_cmd {
    br_cmd_kind kind;
    char word[32];  /* the command word as typed (lower-cased), for replies */
    char arg[128];  /* the rest of the line, trimmed */
} br_cmd;

/* Parse one message body. An optional "!signal" prefix is accepted; the
 * command word is case-insensitive; only the first line counts. */
void br_cmd_parse(br_cmd *cmd, const char *body);

/* The help text (Markdown-free plain text). */
const char *br_cmd_help(int is_admin);
/* The same as an HTML table, for formatted_body. */
const char *br_cmd_help_html(int is_admin);
/* A notice's plain text as HTML for formatted_body: escaped, `x` as
 * <code>x</code>, line breaks kept. Owned by the caller; NULL on ENOMEM. */
char *br_cmd_html(const char *text);

#endif
