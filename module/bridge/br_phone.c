/*
 * br_phone.c - see br_phone.h. Moved out of br_cmd.c, whose name did not
 * say it.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "br_phone.h"

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
