/* sig_util.c - base64, UUIDs, service ids, padding (see sig_util.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sig_util.h"
#include "ut.h"

static const char b64abc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sig_b64_encode(const uint8_t *p, size_t n, char **out)
{
    size_t i, o = 0;
    char *s;

    *out = NULL;
    if (n > (SIZE_MAX / 4) - 4)
        return UT_ERR_RANGE;
    s = malloc(((n + 2) / 3) * 4 + 1);
    if (!s)
        return UT_ERR_NOMEM;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        s[o++] = b64abc[(v >> 18) & 63];
        s[o++] = b64abc[(v >> 12) & 63];
        s[o++] = b64abc[(v >> 6) & 63];
        s[o++] = b64abc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        s[o++] = b64abc[(v >> 18) & 63];
        s[o++] = b64abc[(v >> 12) & 63];
        s[o++] = i + 1 < n ? b64abc[(v >> 6) & 63] : '=';
        s[o++] = '=';
    }
    s[o] = '\0';
    *out = s;
    return 0;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int sig_b64_decode(const char *s, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(s), i, o = 0;
    uint32_t acc = 0;
    int bits = 0;
    uint8_t *p;

    *out = NULL;
    *out_len = 0;
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return UT_ERR_INVAL;
    p = malloc(n * 3 / 4 + 1);
    if (!p)
        return UT_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0) {
            ut_free_secret(p, n * 3 / 4 + 1);
            return UT_ERR_INVAL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[o++] = (uint8_t)(acc >> bits);
        }
    }
    acc = 0;
    *out = p;
    *out_len = o;
    return 0;
}

void sig_uuid_format(char out[SIG_UUID_STR_LEN + 1], const uint8_t u[16])
{
    static const char hx[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hx[u[i] >> 4];
        out[o++] = hx[u[i] & 15];
    }
    out[o] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sig_uuid_parse(uint8_t u[16], const char *s)
{
    size_t i, o = 0;

    if (!s || strlen(s) != SIG_UUID_STR_LEN)
        return UT_ERR_INVAL;
    for (i = 0; i < SIG_UUID_STR_LEN;) {
        int h, l;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return UT_ERR_INVAL;
            i++;
            continue;
        }
        h = hexval(s[i]);
        l = hexval(s[i + 1]);
        if (h < 0 || l < 0)
            return UT_ERR_INVAL;
        u[o++] = (uint8_t)(h << 4 | l);
        i += 2;
    }
    return o == 16 ? 0 : UT_ERR_INVAL;
}

int sig_service_id_format(char out[SIG_UUID_STR_LEN + 5], const uint8_t *b,
                          size_t n)
{
    if (n == 16) {
        sig_uuid_format(out, b);
        return 0;
    }
    if (n == 17 && b[0] == 0x01) {
        memcpy(out, "PNI:", 4);
        sig_uuid_format(out + 4, b + 1);
        return 0;
    }
    return UT_ERR_INVAL;
}

int sig_pad_content(const uint8_t *p, size_t n, uint8_t **out, size_t *out_len)
{
    size_t total = ((n + 2 + 159) / 160) * 160 - 1;
    uint8_t *b;

    *out = NULL;
    if (n > (1u << 30))
        return UT_ERR_RANGE;
    b = calloc(1, total);
    if (!b)
        return UT_ERR_NOMEM;
    memcpy(b, p, n);
    b[n] = 0x80;
    *out = b;
    *out_len = total;
    return 0;
}

int sig_unpad_len(const uint8_t *p, size_t n, size_t *out_len)
{
    while (n > 0 && p[n - 1] == 0)
        n--;
    if (n == 0 || p[n - 1] != 0x80)
        return UT_ERR_INVAL;
    *out_len = n - 1;
    return 0;
}

int sig_random_password(char out[23])
{
    uint8_t r[16];
    char *s = NULL;
    int rc;

    if (ut_random(r, sizeof(r)) != 0)
        return UT_ERR_IO;
    rc = sig_b64_encode(r, sizeof(r), &s);
    ut_wipe(r, sizeof(r));
    if (rc != 0)
        return rc;
    memcpy(out, s, 22);
    out[22] = '\0';
    ut_free_secret(s, strlen(s));
    return 0;
}

int sig_random_regid(uint32_t *out)
{
    uint16_t r;

    if (ut_random(&r, sizeof(r)) != 0)
        return UT_ERR_IO;
    *out = (uint32_t)(r % 16383u) + 1u;
    return 0;
}

int sig_endpoint_parse(sig_endpoint *ep, const char *url)
{
    const char *p, *hend, *rest;
    size_t n;
    unsigned long port = 443;

    if (!ep || !url)
        return UT_ERR_INVAL;
    memset(ep, 0, sizeof(*ep));
    p = url;
    if (strstr(p, "://")) {
        if (strncmp(p, "https://", 8) != 0)
            return UT_ERR_INVAL; /* TLS only */
        p += 8;
    }
    if (*p == '[') {
        hend = strchr(p, ']');
        if (!hend)
            return UT_ERR_INVAL;
        p++;
        rest = hend + 1;
    } else {
        hend = p + strcspn(p, ":/");
        rest = hend;
    }
    n = (size_t)(hend - p);
    if (n == 0 || n >= sizeof(ep->host))
        return UT_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:", p[i]))
            return UT_ERR_INVAL;
    memcpy(ep->host, p, n);
    if (*rest == ':') {
        char *end;
        rest++;
        if (*rest < '0' || *rest > '9')
            return UT_ERR_INVAL;
        port = strtoul(rest, &end, 10);
        if (port == 0 || port > 65535)
            return UT_ERR_INVAL;
        rest = end;
    }
    if (*rest && *rest != '/')
        return UT_ERR_INVAL;
    if (strpbrk(rest, "?# \t\r\n%"))
        return UT_ERR_INVAL;
    n = strlen(rest);
    while (n > 0 && rest[n - 1] == '/')
        n--;
    if (n >= sizeof(ep->prefix))
        return UT_ERR_INVAL;
    memcpy(ep->prefix, rest, n);
    ep->port = (uint16_t)port;
    return 0;
}

int sig_dem_parse(sig_dem *out, const uint8_t *p, size_t n)
{
    Signalservice__DecryptionErrorMessage *m;
    int rc = UT_ERR_INVAL;

    memset(out, 0, sizeof(*out));
    if (!p || n == 0 || n > 1024)
        return UT_ERR_INVAL;
    m = signalservice__decryption_error_message__unpack(NULL, n, p);
    if (!m)
        return UT_ERR_INVAL;
    if (!m->has_timestamp)
        goto out;
    if (m->has_ratchetkey) {
        if (m->ratchetkey.len != 33 || m->ratchetkey.data[0] != 0x05)
            goto out;
        memcpy(out->ratchet_key, m->ratchetkey.data, 33);
        out->has_ratchet_key = 1;
    }
    out->timestamp = m->timestamp;
    out->device_id = m->has_deviceid ? m->deviceid : 0; /* libsignal: default 0 */
    rc = 0;
out:
    signalservice__decryption_error_message__free_unpacked(m, NULL);
    return rc;
}
