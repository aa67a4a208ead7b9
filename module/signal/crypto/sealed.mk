# module/signal/crypto/sealed.mk: sealed sender, certificates, sender keys.
SC_SEALED_PB = module/signal/crypto/sc_sealed.pb-c.c module/signal/crypto/sc_sealed.pb-c.h
BUILT_SOURCES += module/signal/crypto/sc_sealed.pb-c.h
nodist_libsbcrypto_la_SOURCES += $(SC_SEALED_PB)
EXTRA_DIST += module/signal/crypto/sc_sealed.proto
CLEANFILES += $(SC_SEALED_PB)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_sealed_int.h \
	module/signal/crypto/sc_cert.h module/signal/crypto/sc_cert.c \
	module/signal/crypto/sc_sealed.h module/signal/crypto/sc_sealed.c \
	module/signal/crypto/sc_senderkey.h module/signal/crypto/sc_senderkey.c

# unit tests
UNIT_TESTS += tests/unit/signal/crypto/test_sc_sealed tests/unit/signal/crypto/test_sc_senderkey
check_PROGRAMS += tests/unit/signal/crypto/test_sc_sealed tests/unit/signal/crypto/test_sc_senderkey
tests_unit_signal_crypto_test_sc_sealed_SOURCES = tests/unit/signal/crypto/test_sc_sealed.c
tests_unit_signal_crypto_test_sc_sealed_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_sealed_LDADD = $(SC_TEST_LIBS)
tests_unit_signal_crypto_test_sc_senderkey_SOURCES = tests/unit/signal/crypto/test_sc_senderkey.c
tests_unit_signal_crypto_test_sc_senderkey_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_senderkey_LDADD = $(SC_TEST_LIBS)
