# module/signal/crypto (sc_): Signal protocol v4 crypto. No I/O, no Matrix,
# no SQLite. One convenience library; each part adds its sources and tests in
# its own fragment below.
noinst_LTLIBRARIES += libsbcrypto.la
libsbcrypto_la_SOURCES =
nodist_libsbcrypto_la_SOURCES =
SC_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/signal/crypto \
	-I$(top_builddir)/module/signal/crypto $(CRYPTO_CFLAGS) $(GCRYPT_CFLAGS) $(CRYPTOPP_CFLAGS) $(GMP_CFLAGS) $(PROTOBUFC_CFLAGS) $(SODIUM_CFLAGS)
libsbcrypto_la_CPPFLAGS = $(SC_CPPFLAGS)
libsbcrypto_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbcrypto_la_LIBADD = libsbdonna.la $(CRYPTO_LIBS) $(GCRYPT_LIBS) $(GMP_LIBS) $(PROTOBUFC_LIBS) $(SODIUM_LIBS)
# The one C++ file (sc_donna.cc) in a library of its own, so that libtool
# links libsbcrypto, and everything using it, as C.
noinst_LTLIBRARIES += libsbdonna.la
libsbdonna_la_SOURCES = module/signal/crypto/sc_donna.h module/signal/crypto/sc_donna.cc
libsbdonna_la_CPPFLAGS = $(SC_CPPFLAGS)
libsbdonna_la_CXXFLAGS = $(AM_CXXFLAGS) -fPIC
libsbdonna_la_LIBADD = $(CRYPTOPP_LIBS)
# what a test of crypto links
SC_TEST_CPPFLAGS = $(UNIT_CPPFLAGS) $(SC_CPPFLAGS)
SC_TEST_LIBS = libsbcrypto.la libsbcommon.la $(UNIT_LIBS)

include $(top_srcdir)/module/signal/crypto/kyber.mk
include $(top_srcdir)/module/signal/crypto/ciphers.mk
include $(top_srcdir)/module/signal/crypto/session.mk
include $(top_srcdir)/module/signal/crypto/sealed.mk
include $(top_srcdir)/module/signal/crypto/zk.mk

# shared primitives (sc_prim) and the error table
libsbcrypto_la_SOURCES += module/signal/crypto/sc_err.h module/signal/crypto/sc_err.c \
	module/signal/crypto/sc_prim.h module/signal/crypto/sc_prim.c module/signal/crypto/sc_fe25519.h
UNIT_TESTS += tests/unit/signal/crypto/test_sc_prim
check_PROGRAMS += tests/unit/signal/crypto/test_sc_prim
tests_unit_signal_crypto_test_sc_prim_SOURCES = tests/unit/signal/crypto/test_sc_prim.c
tests_unit_signal_crypto_test_sc_prim_CPPFLAGS = $(SC_TEST_CPPFLAGS)
tests_unit_signal_crypto_test_sc_prim_LDADD = $(SC_TEST_LIBS) $(SIGNALC_LIBS)
# Constant-time check (valgrind, ctgrind method) of X25519 (libsodium) and
# XEdDSA signing: sc_prim.c is compiled into the program with SC_CTGRIND.
check_PROGRAMS += tests/ct/ct_x25519
tests_ct_ct_x25519_SOURCES = tests/ct/ct_x25519.c tests/ct/ct.h module/signal/crypto/sc_prim.c
tests_ct_ct_x25519_CPPFLAGS = $(SC_CPPFLAGS) -DSC_CTGRIND
tests_ct_ct_x25519_LDADD = libsbdonna.la libsbcommon.la $(CRYPTO_LIBS) $(GCRYPT_LIBS) $(GMP_LIBS) $(SODIUM_LIBS)
TESTS += tests/ct/x25519-ct.sh
EXTRA_DIST += tests/ct/x25519-ct.sh tests/ct/x25519-ct.supp
