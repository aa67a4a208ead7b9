/*
 * sc_donna.cc - see sc_donna.h. The only C++ in the module: Crypto++ keeps
 * ed25519-donna behind a C++ namespace. Donna's verify is the fastest
 * Ed25519 verify packaged in Debian 12 (bench/README.md, "xeddsa.verify"):
 * its precomputed window-7 table of base-point multiples makes the
 * double-scalar multiplication ~12% faster than libsodium's window-5 ref10.
 * Nothing here allocates or throws.
 */
#include "config.h"

#include <cryptopp/donna.h>

#include "sc_donna.h"

extern "C" int sc_donna_ed25519_verify(const uint8_t sig[64],
                                       const uint8_t edpub[32],
                                       const void *msg, size_t n)
{
    static const CryptoPP::byte zero = 0;
    const CryptoPP::byte *m =
        n ? static_cast<const CryptoPP::byte *>(msg) : &zero;

    return CryptoPP::Donna::ed25519_sign_open(m, n, edpub, sig) == 0 ? 0 : -1;
}
