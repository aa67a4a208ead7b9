/* ut.c - see ut.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ut.h"

void ut_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

int ut_ct_eq(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void ut_free_secret(void *p, size_t n)
{
    if (!p)
        return;
    ut_wipe(p, n);
    free(p);
}

/* ---- buffers ------------------------------------------------------------ */

void ut_buf_init(ut_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

static int grow(ut_buf *b, size_t need)
{
    size_t cap;
    uint8_t *p;

    if (need > b->max) {
        ut_buf_free(b);
        return UT_ERR_RANGE;
    }
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > b->max / 2 ? b->max : cap * 2;
    p = realloc(b->data, cap + 1); /* +1: room for ut_buf_nul */
    if (!p)
        return UT_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ut_buf_append(ut_buf *b, const void *p, size_t n)
{
    int rc;

    if (n > b->max - b->len) {
        ut_buf_free(b);
        return UT_ERR_RANGE;
    }
    if ((rc = grow(b, b->len + n)) != 0)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int ut_buf_append_str(ut_buf *b, const char *s)
{
    return ut_buf_append(b, s, strlen(s));
}

int ut_buf_printf(ut_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return UT_ERR_INVAL;
    if ((size_t)n > b->max - b->len) {
        ut_buf_free(b);
        return UT_ERR_RANGE;
    }
    if ((rc = grow(b, b->len + (size_t)n)) != 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int ut_buf_nul(ut_buf *b)
{
    int rc;

    if (!b->data && (rc = grow(b, 1)) != 0)
        return rc;
    b->data[b->len] = '\0'; /* cap + 1 bytes are allocated */
    return 0;
}

void ut_buf_reset(ut_buf *b) { b->len = 0; }

void ut_buf_free(ut_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ut_buf_free_secret(ut_buf *b)
{
    if (b->data)
        ut_wipe(b->data, b->cap + 1);
    ut_buf_free(b);
}

uint8_t *ut_buf_take(ut_buf *b, size_t *len)
{
    uint8_t *p = b->data;

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ---- logging ------------------------------------------------------------ */

void ut_vlogf(const ut_log *log, int level, const char *fmt, va_list ap)
{
    char buf[1024];

    if (!log || !log->fn || level > log->level)
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    log->fn(log->ctx, level, buf);
}

void ut_logf(const ut_log *log, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_vlogf(log, level, fmt, ap);
    va_end(ap);
}

/* ---- time and randomness ------------------------------------------------ */

uint64_t ut_now_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t ut_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ut_random(void *p, size_t n)
{
    uint8_t *q = p;

    while (n) {
        ssize_t r = getrandom(q, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return UT_ERR_IO;
        }
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

void ut_le64_put(uint8_t p[8], uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

uint64_t ut_le64_get(const uint8_t p[8])
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
