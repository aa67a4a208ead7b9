/*
 * sc_pbwire.h - the few protobuf wire-format helpers the "other ciphers"
 * need for their tiny envelopes (ProvisionEnvelope, DeviceName), so that
 * those parsers depend on nothing generated and fuzz on their own.
 * Internal to signal/crypto. Reading never allocates; unknown fields are
 * skipped, as protobuf requires.
 */
#ifndef SC_PBWIRE_H
#define SC_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ut.h"

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} sc_pb_reader;

typedef struct {
    uint32_t field;
    int wire;          /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
    uint64_t varint;   /* wire 0 (and the raw value of 1 and 5) */
    const uint8_t *p;  /* wire 2: points into the input */
    size_t n;
} sc_pb_field;

void sc_pb_reader_init(sc_pb_reader *r, const uint8_t *p, size_t n);
/* 1: *f holds the next field; 0: end of input; SC_ERR_FORMAT: malformed
 * (truncated, overlong varint, group wire types, field number 0). */
int sc_pb_next(sc_pb_reader *r, sc_pb_field *f);

/* Append a length-delimited or varint field to b (UT_ERR_* on failure). */
int sc_pb_put_bytes(ut_buf *b, uint32_t field, const void *p, size_t n);
int sc_pb_put_varint(ut_buf *b, uint32_t field, uint64_t v);

#endif
