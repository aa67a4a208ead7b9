/* sc_sealed_int.h - helpers shared by sc_cert.c, sc_sealed.c and
 * sc_senderkey.c; not part of the API. */
#ifndef SC_SEALED_INT_H
#define SC_SEALED_INT_H

#include <stddef.h>
#include <stdint.h>

/* Signal's wire form of a Curve25519 public key is 0x05 || 32 bytes.
 * from_wire: SC_ERR_KEY unless exactly that. */
int sc_key_from_wire(uint8_t out[32], const uint8_t *p, size_t n);
void sc_key_to_wire(uint8_t out[33], const uint8_t key[32]);

#endif
