/*
 * sc_donna.h - Ed25519 verification by ed25519-donna, as Crypto++ ships it
 * (Debian libcrypto++8; CryptoPP::Donna). A C entry point for the one C++
 * call, so the rest of signal/crypto stays C. Only sc_prim.c uses it.
 */
#ifndef SC_DONNA_H
#define SC_DONNA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ed25519 with SHA-512, cofactorless: 0 when [s]B - [H(R||A||M)]A encodes
 * to R exactly, -1 otherwise. Refuses s >= 2^253 and an A that does not
 * decode; unlike libsodium it accepts small-order R and A, as libsignal's
 * XEdDSA verify (curve25519-dalek) does. Variable time: public input only. */
int sc_donna_ed25519_verify(const uint8_t sig[64], const uint8_t edpub[32],
                            const void *msg, size_t n);

#ifdef __cplusplus
}
#endif

#endif
