# module/signal/crypto/ciphers.mk: add with +=, e.g. libsbcrypto_la_SOURCES += module/signal/crypto/sc_x.c
# The "other ciphers" of Signal (issue #4 item 6): provisioning envelope,
# attachments, profile fields and access key, storage service keys, group
# id / blob key / attribute blobs, device names, content padding.
libsbcrypto_la_SOURCES += \
	module/signal/crypto/sc_pbwire.h module/signal/crypto/sc_pbwire.c \
	module/signal/crypto/sc_gcmbox.h module/signal/crypto/sc_gcmbox.c \
	module/signal/crypto/sc_provision.h module/signal/crypto/sc_provision.c \
	module/signal/crypto/sc_attachment.h module/signal/crypto/sc_attachment.c \
	module/signal/crypto/sc_profile.h module/signal/crypto/sc_profile.c \
	module/signal/crypto/sc_storage.h module/signal/crypto/sc_storage.c \
	module/signal/crypto/sc_group.h module/signal/crypto/sc_group.c \
	module/signal/crypto/sc_devname.h module/signal/crypto/sc_devname.c \
	module/signal/crypto/sc_padding.h module/signal/crypto/sc_padding.c \
	module/signal/crypto/sc_backup.h module/signal/crypto/sc_backup.c
# sc_attachment_padded_size uses log/pow like the clients
libsbcrypto_la_LIBADD += -lm

UNIT_TESTS += tests/unit/signal/crypto/test_sc_ciphers
check_PROGRAMS += tests/unit/signal/crypto/test_sc_ciphers
tests_unit_signal_crypto_test_sc_ciphers_SOURCES = tests/unit/signal/crypto/test_sc_ciphers.c
tests_unit_signal_crypto_test_sc_ciphers_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_ciphers_LDADD = $(SC_TEST_LIBS)

# Node oracles: libsignal 0.100 (zkgroup group id and blobs, access key,
# AccountEntropyPool), the mock server's own crypto code paths and protobufs.
check_PROGRAMS += tests/interop/cipher_tool
tests_interop_cipher_tool_SOURCES = tests/interop/cipher_tool.c
tests_interop_cipher_tool_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_interop_cipher_tool_LDADD = libsbcrypto.la libsbcommon.la -lm
TESTS += tests/interop/ciphers.js
EXTRA_DIST += tests/interop/ciphers.js

# Fuzz targets for everything that parses outside input.
SC_CIPHERS_FUZZ_BASE = module/signal/crypto/sc_err.c module/signal/crypto/sc_prim.c \
	module/common/ut.c module/common/ut_err.c
FUZZ_LIST += fuzz_sc_provision fuzz_sc_devname fuzz_sc_boxes
fuzz_sc_provision_FUZZ_SRCS = $(SC_CIPHERS_FUZZ_BASE) module/signal/crypto/sc_pbwire.c \
	module/signal/crypto/sc_provision.c
fuzz_sc_devname_FUZZ_SRCS = $(SC_CIPHERS_FUZZ_BASE) module/signal/crypto/sc_pbwire.c \
	module/signal/crypto/sc_devname.c
fuzz_sc_boxes_FUZZ_SRCS = $(SC_CIPHERS_FUZZ_BASE) module/signal/crypto/sc_gcmbox.c \
	module/signal/crypto/sc_attachment.c module/signal/crypto/sc_group.c module/signal/crypto/sc_sho.c \
	module/signal/crypto/sc_profile.c module/signal/crypto/sc_padding.c
EXTRA_DIST += tests/fuzz/fuzz_sc_provision.c tests/fuzz/fuzz_sc_devname.c tests/fuzz/fuzz_sc_boxes.c
