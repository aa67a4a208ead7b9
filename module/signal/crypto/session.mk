# module/signal/crypto/session.mk: add with +=, e.g. libsbcrypto_la_SOURCES += module/signal/crypto/sc_x.c
# Sessions: keys, v4 wire codec, PQXDH, double ratchet + SPQR (ML-KEM-768 epochs),
# session records (owner: session engineer).
libsbcrypto_la_SOURCES += module/signal/crypto/sc_keys.h module/signal/crypto/sc_keys.c

SC_SESSION_TESTS = tests/unit/signal/crypto/test_sc_keys
UNIT_TESTS += $(SC_SESSION_TESTS)
check_PROGRAMS += $(SC_SESSION_TESTS)
tests_unit_signal_crypto_test_sc_keys_SOURCES = tests/unit/signal/crypto/test_sc_keys.c
tests_unit_signal_crypto_test_sc_keys_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_keys_LDADD = $(SC_TEST_LIBS)

# v4 wire codec (protobuf from sc_wire.proto via the pattern rule)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_msg.h module/signal/crypto/sc_msg.c
nodist_libsbcrypto_la_SOURCES += module/signal/crypto/sc_wire.pb-c.c module/signal/crypto/sc_wire.pb-c.h
BUILT_SOURCES += module/signal/crypto/sc_wire.pb-c.h
EXTRA_DIST += module/signal/crypto/sc_wire.proto
CLEANFILES += module/signal/crypto/sc_wire.pb-c.c module/signal/crypto/sc_wire.pb-c.h

# SPQR: the chunk erasure code
libsbcrypto_la_SOURCES += module/signal/crypto/sc_spqr_code.h module/signal/crypto/sc_spqr_code.c
SC_SESSION_TESTS += tests/unit/signal/crypto/test_sc_spqr_code
check_PROGRAMS += tests/unit/signal/crypto/test_sc_spqr_code
tests_unit_signal_crypto_test_sc_spqr_code_SOURCES = tests/unit/signal/crypto/test_sc_spqr_code.c
tests_unit_signal_crypto_test_sc_spqr_code_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_spqr_code_LDADD = $(SC_TEST_LIBS)

# SPQR: the SCKA state machine (ML-KEM-768 epochs, authenticator)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_scka.h module/signal/crypto/sc_scka.c
SC_SESSION_TESTS += tests/unit/signal/crypto/test_sc_scka
check_PROGRAMS += tests/unit/signal/crypto/test_sc_scka
tests_unit_signal_crypto_test_sc_scka_SOURCES = tests/unit/signal/crypto/test_sc_scka.c
tests_unit_signal_crypto_test_sc_scka_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_scka_LDADD = $(SC_TEST_LIBS)

# SPQR (chain epochs over the SCKA) and the double ratchet
libsbcrypto_la_SOURCES += module/signal/crypto/sc_spqr.h module/signal/crypto/sc_spqr.c \
	module/signal/crypto/sc_ratchet.h module/signal/crypto/sc_ratchet.c

# PQXDH (needs sc_kyber from kyber.mk)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_keys_kem.c \
	module/signal/crypto/sc_pqxdh.h module/signal/crypto/sc_pqxdh.c

# sessions and their records
libsbcrypto_la_SOURCES += module/signal/crypto/sc_session.h module/signal/crypto/sc_session.c \
	module/signal/crypto/sc_session_int.h module/signal/crypto/sc_record.c
nodist_libsbcrypto_la_SOURCES += module/signal/crypto/sc_record.pb-c.c module/signal/crypto/sc_record.pb-c.h
BUILT_SOURCES += module/signal/crypto/sc_record.pb-c.h
EXTRA_DIST += module/signal/crypto/sc_record.proto
CLEANFILES += module/signal/crypto/sc_record.pb-c.c module/signal/crypto/sc_record.pb-c.h

SC_SESSION_TESTS += tests/unit/signal/crypto/test_sc_msg tests/unit/signal/crypto/test_sc_session
check_PROGRAMS += tests/unit/signal/crypto/test_sc_msg tests/unit/signal/crypto/test_sc_session
tests_unit_signal_crypto_test_sc_msg_SOURCES = tests/unit/signal/crypto/test_sc_msg.c
tests_unit_signal_crypto_test_sc_msg_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_msg_LDADD = $(SC_TEST_LIBS)
tests_unit_signal_crypto_test_sc_session_SOURCES = tests/unit/signal/crypto/test_sc_session.c
tests_unit_signal_crypto_test_sc_session_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_session_LDADD = $(SC_TEST_LIBS)

# Interop with libsignal-client 0.100 (node:test driving session_tool)
check_PROGRAMS += tests/interop/session_tool
tests_interop_session_tool_SOURCES = tests/interop/session_tool.c
tests_interop_session_tool_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_interop_session_tool_LDADD = libsbcrypto.la libsbcommon.la
TESTS += tests/interop/session.js tests/interop/spqr-interop.js
EXTRA_DIST += tests/interop/session.js tests/lib/libsignal-stores.js tests/interop/session-lib.js \
	tests/interop/spqr-interop.js

# Fuzz targets: message codecs and the session-record loader
SC_SESSION_FUZZ_BASE = module/common/ut.c module/common/ut_err.c module/signal/crypto/sc_err.c \
	module/signal/crypto/sc_prim.c module/signal/crypto/sc_keys.c \
	module/signal/crypto/sc_msg.c module/signal/crypto/sc_wire.pb-c.c
SC_SESSION_FUZZ_ALL = $(SC_SESSION_FUZZ_BASE) module/signal/crypto/sc_keys_kem.c \
	module/signal/crypto/sc_kyber.c module/signal/crypto/sc_kyber_poly.c \
	module/signal/crypto/sc_kyber_keccak4x.c module/signal/crypto/sc_mlkem768.c \
	module/signal/crypto/sc_spqr_code.c module/signal/crypto/sc_scka.c \
	module/signal/crypto/sc_spqr.c module/signal/crypto/sc_ratchet.c \
	module/signal/crypto/sc_pqxdh.c module/signal/crypto/sc_session.c \
	module/signal/crypto/sc_record.c module/signal/crypto/sc_record.pb-c.c
FUZZ_LIST += fuzz_signal_msg fuzz_prekey_msg fuzz_session_record
fuzz_signal_msg_FUZZ_SRCS = $(SC_SESSION_FUZZ_BASE)
fuzz_prekey_msg_FUZZ_SRCS = $(SC_SESSION_FUZZ_ALL)
fuzz_session_record_FUZZ_SRCS = $(SC_SESSION_FUZZ_ALL)
EXTRA_DIST += tests/fuzz/fuzz_signal_msg.c tests/fuzz/fuzz_prekey_msg.c tests/fuzz/fuzz_session_record.c
