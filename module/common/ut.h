/*
 * ut.h - small utilities shared by every part of the module: error codes,
 * secret handling, capped buffers, logging. libc + OpenSSL's cleanse only.
 *
 * Errors (STYLE.md §2.5): functions return 0 on success, a negative code on
 * failure, a positive value only for counts. Each subsystem owns a range:
 *   UT_ERR_*  errno-like values and -1..-999
 *   SC_ERR_*  -1000..-1099  signal/crypto
 *   SP_ERR_*  -1100..-1199  signal/proto
 *   SN_ERR_*  -1200..-1299  signal/net
 *   SIG_ERR_* -1300..-1399  signal/client
 *   ST_ERR_*  -1400..-1499  store
 *   BR_ERR_*  -1500..-1599  bridge
 *   MX_ERR_*  -1600..-1699  matrix
 *   UT_ERR_MIN = -9999 is reserved so callbacks' own errors stay distinct.
 * Never renumber a code; retire it as *_OBSOLETE_<n>.
 */
#ifndef UT_H
#define UT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum {
    UT_OK = 0,
    UT_ERR_NOMEM = -12,
    UT_ERR_INVAL = -22,
    UT_ERR_RANGE = -34,   /* a value or size is over its cap */
    UT_ERR_IO = -5,
    UT_ERR_MIN = -9999
};

/* Static text for a UT_ERR_* code ("unknown error" otherwise). */
const char *ut_strerror(int code);

/* ---- secrets ----------------------------------------------------------- */

/* Overwrite `n` bytes in a way the compiler cannot drop. NULL ok. */
void ut_wipe(void *p, size_t n);
/* Constant-time equality of two n-byte buffers: 1 equal, 0 not. */
int ut_ct_eq(const void *a, const void *b, size_t n);
/* Wipe then free. NULL ok. */
void ut_free_secret(void *p, size_t n);
/* 64-bit little-endian integers in byte strings (bincode, record headers). */
void ut_le64_put(uint8_t p[8], uint64_t v);
uint64_t ut_le64_get(const uint8_t p[8]);

/* ---- capped byte buffers (curl dynbuf) ---------------------------------- */

typedef struct ut_buf {
    uint8_t *data;
    size_t len;
    size_t cap;  /* allocated */
    size_t max;  /* never grow past this; appends beyond fail */
} ut_buf;

/* Cannot fail. `max` is mandatory: network-fed data always has a cap. */
void ut_buf_init(ut_buf *b, size_t max);
/* Append; UT_ERR_RANGE past max (buffer freed), UT_ERR_NOMEM. */
int ut_buf_append(ut_buf *b, const void *p, size_t n);
int ut_buf_append_str(ut_buf *b, const char *s);
int ut_buf_printf(ut_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Make data NUL-terminated (not counted in len). */
int ut_buf_nul(ut_buf *b);
void ut_buf_reset(ut_buf *b);                /* len = 0, keeps memory */
void ut_buf_free(ut_buf *b);                 /* frees; reusable after init */
void ut_buf_free_secret(ut_buf *b);          /* wipes, then frees */
/* Hand the bytes over: caller frees *out with free(). Buffer is empty after. */
uint8_t *ut_buf_take(ut_buf *b, size_t *len);

/* ---- logging ----------------------------------------------------------- */

enum { UT_LOG_ERROR = 0, UT_LOG_WARN, UT_LOG_INFO, UT_LOG_DEBUG, UT_LOG_TRACE };

/* A sink for log lines; the module routes it to the host's logger. */
typedef struct ut_log {
    void (*fn)(void *ctx, int level, const char *msg);
    void *ctx;
    int level; /* lines above this level are dropped */
} ut_log;

/* Never pass keys, plaintext, tokens, full phone numbers or ACIs. NULL log
 * drops the line. */
void ut_logf(const ut_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ut_vlogf(const ut_log *log, int level, const char *fmt, va_list ap);

#ifdef SB_TRACE
#define UT_TRACE(log, ...) ut_logf((log), UT_LOG_TRACE, __VA_ARGS__)
#else
#define UT_TRACE(log, ...) ((void)0)
#endif

/* ---- small helpers ----------------------------------------------------- */

/* Monotonic milliseconds (for timeouts; never for timestamps on the wire). */
uint64_t ut_now_mono_ms(void);
/* Wall-clock milliseconds since the epoch. */
int64_t ut_now_ms(void);
/* Fill `n` bytes from the OS CSPRNG. 0 or UT_ERR_IO. */
int ut_random(void *p, size_t n) __attribute__((warn_unused_result));

#endif /* UT_H */
