# module/signal/crypto/kyber.mk: add with +=, e.g. libsbcrypto_la_SOURCES += module/signal/crypto/sc_x.c
# Kyber1024 round 3 (sc_kyber*), its unit, interop and constant-time tests.
libsbcrypto_la_SOURCES += module/signal/crypto/sc_kyber.h module/signal/crypto/sc_kyber.c \
	module/signal/crypto/sc_kyber_int.h module/signal/crypto/sc_kyber_poly.c \
	module/signal/crypto/sc_kyber_keccak4x.c

# ML-KEM-768 (FIPS 203) for SPQR epochs, on the same polynomial arithmetic
libsbcrypto_la_SOURCES += module/signal/crypto/sc_mlkem768.h module/signal/crypto/sc_mlkem768.c
UNIT_TESTS += tests/unit/signal/crypto/test_sc_mlkem
check_PROGRAMS += tests/unit/signal/crypto/test_sc_mlkem
tests_unit_signal_crypto_test_sc_mlkem_SOURCES = tests/unit/signal/crypto/test_sc_mlkem.c
tests_unit_signal_crypto_test_sc_mlkem_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_mlkem_LDADD = $(SC_TEST_LIBS)

UNIT_TESTS += tests/unit/signal/crypto/test_sc_kyber
check_PROGRAMS += tests/unit/signal/crypto/test_sc_kyber
tests_unit_signal_crypto_test_sc_kyber_SOURCES = tests/unit/signal/crypto/test_sc_kyber.c
tests_unit_signal_crypto_test_sc_kyber_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_kyber_LDADD = $(SC_TEST_LIBS)

# Node oracles: crystals-kyber 5.1.0 (round 3), the NIST round-3 KAT file it
# ships, crystals-kyber-js 2.7.0 (ML-KEM, must differ), libsignal 0.100.
check_PROGRAMS += tests/interop/kyber_tool
tests_interop_kyber_tool_SOURCES = tests/interop/kyber_tool.c
tests_interop_kyber_tool_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_interop_kyber_tool_LDADD = libsbcrypto.la libsbcommon.la
TESTS += tests/interop/kyber-kat.js tests/interop/kyber-libsignal.js tests/interop/mlkem-kat.js
EXTRA_DIST += tests/interop/kyber-kat.js tests/interop/kyber-lib.js tests/interop/kyber-libsignal.js \
	tests/interop/mlkem-kat.js

# Constant-time check (valgrind, ctgrind method): the Kyber sources are
# compiled into the program with SC_CTGRIND so public values can be
# declassified; SKIP where valgrind or its header is missing, or under ASan.
check_PROGRAMS += tests/ct/ct_kyber
tests_ct_ct_kyber_SOURCES = tests/ct/ct_kyber.c module/signal/crypto/sc_kyber.c \
	module/signal/crypto/sc_kyber_poly.c module/signal/crypto/sc_kyber_keccak4x.c \
	module/signal/crypto/sc_mlkem768.c
tests_ct_ct_kyber_CPPFLAGS = $(SC_CPPFLAGS) -DSC_CTGRIND
tests_ct_ct_kyber_LDADD = libsbcommon.la $(CRYPTO_LIBS)
TESTS += tests/ct/kyber-ct.sh
EXTRA_DIST += tests/ct/kyber-ct.sh

# Fuzz: Kyber on peer-controlled ciphertexts and public keys.
FUZZ_LIST += fuzz_sc_kyber
fuzz_sc_kyber_FUZZ_SRCS = module/signal/crypto/sc_kyber.c module/signal/crypto/sc_kyber_poly.c \
	module/signal/crypto/sc_kyber_keccak4x.c \
	module/common/ut.c module/common/ut_err.c module/signal/crypto/sc_err.c
EXTRA_DIST += tests/fuzz/fuzz_sc_kyber.c
