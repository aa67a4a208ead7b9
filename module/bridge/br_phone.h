/*
 * br_phone.h - phone numbers as people type and read them. Pure functions
 * (fuzzed with the commands, fuzz_br_cmd): never trust the input.
 */
#ifndef BR_PHONE_H
#define BR_PHONE_H

#include <stddef.h>

/*
 * Normalize a phone number as a person types it ("+1 (555) 123-4567",
 * "0044 20 7946 0958") to E.164 ("+15551234567"). Returns 0, or -1 with a
 * reason in err for anything that is not an international number.
 */
int br_phone_normalize(const char *in, char *out, size_t n, char *err,
                       size_t errlen);
/* "+15555555555" -> "+1 555-555-5555"; other countries grouped after the
 * country code ("+44 20 7946 0958" style, approximately). */
void br_phone_format(const char *e164, char *out, size_t n);

#endif
