# module/signal/crypto/zk.mk: zkgroup for groups v2 (sc_zk.h): the SHO hash
# object, Ristretto255 (libsodium) with Lizard, poksho proofs, group params,
# uid/profile-key ciphertexts, the group auth credential.
libsbcrypto_la_SOURCES += module/signal/crypto/sc_sho.h module/signal/crypto/sc_sho.c \
	module/signal/crypto/sc_zk.h

UNIT_TESTS += tests/unit/signal/crypto/test_sc_sho
check_PROGRAMS += tests/unit/signal/crypto/test_sc_sho
tests_unit_signal_crypto_test_sc_sho_SOURCES = tests/unit/signal/crypto/test_sc_sho.c
tests_unit_signal_crypto_test_sc_sho_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_sho_LDADD = $(SC_TEST_LIBS)

# Lizard / Elligator maps (sc_lizard), group params and uid / profile key
# ciphertexts (sc_zkgroup); sc_zk_int.h is shared with the auth credential.
libsbcrypto_la_SOURCES += module/signal/crypto/sc_lizard.h module/signal/crypto/sc_lizard.c \
	module/signal/crypto/sc_zk_int.h module/signal/crypto/sc_zkgroup.c

UNIT_TESTS += tests/unit/signal/crypto/test_sc_zkgroup
check_PROGRAMS += tests/unit/signal/crypto/test_sc_zkgroup
tests_unit_signal_crypto_test_sc_zkgroup_SOURCES = tests/unit/signal/crypto/test_sc_zkgroup.c
tests_unit_signal_crypto_test_sc_zkgroup_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_zkgroup_LDADD = $(SC_TEST_LIBS)

# Node oracle: libsignal-client 0.100's zkgroup (byte-equal params and
# ciphertexts, cross decryption, agreement on tampered input).
check_PROGRAMS += tests/interop/zkgroup_tool
tests_interop_zkgroup_tool_SOURCES = tests/interop/zkgroup_tool.c
tests_interop_zkgroup_tool_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_interop_zkgroup_tool_LDADD = libsbcrypto.la libsbcommon.la
TESTS += tests/interop/zkgroup-interop.js
EXTRA_DIST += tests/interop/zkgroup-interop.js

# Fuzz: uid / profile key decryption, Lizard decode and the Elligator
# inverse on any bytes (seeds: valid ciphertexts under the target's group).
FUZZ_LIST += fuzz_sc_zkgroup
fuzz_sc_zkgroup_FUZZ_SRCS = module/signal/crypto/sc_zkgroup.c module/signal/crypto/sc_lizard.c \
	module/signal/crypto/sc_sho.c module/signal/crypto/sc_prim.c module/signal/crypto/sc_err.c \
	module/common/ut.c module/common/ut_err.c
EXTRA_DIST += tests/fuzz/fuzz_sc_zkgroup.c

# Constant-time check (valgrind, ctgrind method) of the maps that take
# secrets (profile key -> M4, uuid -> M2); SKIP without valgrind or under ASan.
check_PROGRAMS += tests/ct/ct_zkgroup
tests_ct_ct_zkgroup_SOURCES = tests/ct/ct_zkgroup.c module/signal/crypto/sc_lizard.c
tests_ct_ct_zkgroup_CPPFLAGS = $(SC_CPPFLAGS)
tests_ct_ct_zkgroup_LDADD = libsbcommon.la $(SODIUM_LIBS) $(CRYPTO_LIBS)
TESTS += tests/ct/zkgroup-ct.sh
EXTRA_DIST += tests/ct/zkgroup-ct.sh

# zkauth: poksho proofs, server params, the group auth credential
libsbcrypto_la_SOURCES += module/signal/crypto/sc_poksho.h module/signal/crypto/sc_poksho.c
UNIT_TESTS += tests/unit/signal/crypto/test_sc_poksho
check_PROGRAMS += tests/unit/signal/crypto/test_sc_poksho
tests_unit_signal_crypto_test_sc_poksho_SOURCES = tests/unit/signal/crypto/test_sc_poksho.c
tests_unit_signal_crypto_test_sc_poksho_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_poksho_LDADD = $(SC_TEST_LIBS)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_zkauth.c
# group send endorsements (receive, combine, full token); its oracle is
# zkauth-interop.js through zkauth_tool (GR / GT)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_zkgse.c
UNIT_TESTS += tests/unit/signal/crypto/test_sc_zkauth
check_PROGRAMS += tests/unit/signal/crypto/test_sc_zkauth
tests_unit_signal_crypto_test_sc_zkauth_SOURCES = tests/unit/signal/crypto/test_sc_zkauth.c
tests_unit_signal_crypto_test_sc_zkauth_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_zkauth_LDADD = $(SC_TEST_LIBS)
check_PROGRAMS += tests/interop/zkauth_tool
tests_interop_zkauth_tool_SOURCES = tests/interop/zkauth_tool.c
tests_interop_zkauth_tool_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_interop_zkauth_tool_LDADD = libsbcrypto.la libsbcommon.la
TESTS += tests/interop/zkauth-interop.js
EXTRA_DIST += tests/interop/zkauth-interop.js
FUZZ_LIST += fuzz_sc_zkauth
fuzz_sc_zkauth_FUZZ_SRCS = module/signal/crypto/sc_zkauth.c module/signal/crypto/sc_poksho.c \
	module/signal/crypto/sc_zkgse.c \
	module/signal/crypto/sc_zkgroup.c module/signal/crypto/sc_lizard.c module/signal/crypto/sc_sho.c \
	module/signal/crypto/sc_prim.c module/signal/crypto/sc_err.c module/common/ut.c module/common/ut_err.c
