# module/signal/crypto/sealed.mk: sealed sender, certificates, sender keys.
SC_SEALED_PB = module/signal/crypto/sc_sealed.pb-c.c module/signal/crypto/sc_sealed.pb-c.h
BUILT_SOURCES += module/signal/crypto/sc_sealed.pb-c.h
nodist_libsbcrypto_la_SOURCES += $(SC_SEALED_PB)
EXTRA_DIST += module/signal/crypto/sc_sealed.proto
CLEANFILES += $(SC_SEALED_PB)
libsbcrypto_la_SOURCES += module/signal/crypto/sc_sealed_int.h \
	module/signal/crypto/sc_cert.h module/signal/crypto/sc_cert.c \
	module/signal/crypto/sc_sealed.h module/signal/crypto/sc_sealed.c \
	module/signal/crypto/sc_sealed_multi.c \
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

# interop with libsignal-client 0.100 through the C tool
check_PROGRAMS += tests/unit/signal/crypto/sc_sealed_tool
tests_unit_signal_crypto_sc_sealed_tool_SOURCES = tests/unit/signal/crypto/sc_sealed_tool.c
tests_unit_signal_crypto_sc_sealed_tool_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_sc_sealed_tool_LDADD = libsbcrypto.la libsbcommon.la
TESTS += tests/interop/sealed-interop.js tests/interop/senderkey-interop.js
EXTRA_DIST += tests/interop/sealed-lib.js tests/interop/sealed-interop.js tests/interop/senderkey-interop.js

# fuzz targets (tests/fuzz/<name>.c, seeds in tests/fuzz/corpus/<name>/)
SC_SEALED_FUZZ_SRCS = module/signal/crypto/sc_cert.c module/signal/crypto/sc_sealed.c \
	module/signal/crypto/sc_sealed_multi.c \
	module/signal/crypto/sc_senderkey.c module/signal/crypto/sc_prim.c \
	module/signal/crypto/sc_err.c module/common/ut.c module/common/ut_err.c \
	module/signal/crypto/sc_sealed.pb-c.c
FUZZ_LIST += fuzz_sc_sealed fuzz_sc_cert fuzz_sc_senderkey
fuzz_sc_sealed_FUZZ_SRCS = $(SC_SEALED_FUZZ_SRCS)
fuzz_sc_cert_FUZZ_SRCS = $(SC_SEALED_FUZZ_SRCS)
fuzz_sc_senderkey_FUZZ_SRCS = $(SC_SEALED_FUZZ_SRCS)
EXTRA_DIST += tests/fuzz/fuzz_sc_sealed.c tests/fuzz/fuzz_sc_cert.c tests/fuzz/fuzz_sc_senderkey.c

# full flow: sealed sender around v4 session messages (sc_session)
check_PROGRAMS += tests/unit/signal/crypto/sc_sealed_device
tests_unit_signal_crypto_sc_sealed_device_SOURCES = tests/unit/signal/crypto/sc_sealed_device.c
tests_unit_signal_crypto_sc_sealed_device_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_sc_sealed_device_LDADD = libsbcrypto.la libsbcommon.la
TESTS += tests/interop/sealed-session.js
EXTRA_DIST += tests/interop/sealed-session.js
