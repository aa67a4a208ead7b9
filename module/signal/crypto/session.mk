# module/signal/crypto/session.mk: add with +=, e.g. libsbcrypto_la_SOURCES += module/signal/crypto/sc_x.c
# Sessions: keys, v4 wire codec, PQXDH, double ratchet + SPQR epoch-0 chain,
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

# SPQR epoch-0 chain and the double ratchet
libsbcrypto_la_SOURCES += module/signal/crypto/sc_spqr.h module/signal/crypto/sc_spqr.c \
	module/signal/crypto/sc_ratchet.h module/signal/crypto/sc_ratchet.c
