/*
 * sc_padding.h - padding of Content plaintexts before session encryption
 * (signal-service.md §6): content || 0x80 || 0x00..., to
 * ceil((len + 2) / 160) * 160 - 1 bytes as Signal clients do; the receiver
 * strips trailing zeros, then exactly one 0x80 (the mock server requires
 * it). Runs on authenticated plaintext only, so timing is not a concern.
 */
#ifndef SC_PADDING_H
#define SC_PADDING_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

/* Padded size for n content bytes; 0 if it would overflow. */
size_t sc_content_padded_len(size_t n);
/* out holds sc_content_padded_len(n) bytes. out may equal in.
 * UT_ERR_INVAL on overflow. */
int sc_content_pad(uint8_t *out, const uint8_t *in, size_t n)
    __attribute__((warn_unused_result));
/* *n = content length. SC_ERR_PADDING when there is no 0x80 terminator
 * after the trailing zeros. */
int sc_content_unpad(size_t *n, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result));

#endif
