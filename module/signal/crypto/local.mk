# module/signal/crypto (sc_): Signal protocol v4 crypto. No I/O, no Matrix,
# no SQLite. One convenience library; each part adds its sources and tests in
# its own fragment below.
noinst_LTLIBRARIES += libsbcrypto.la
libsbcrypto_la_SOURCES =
nodist_libsbcrypto_la_SOURCES =
SC_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/signal/crypto \
	-I$(top_builddir)/module/signal/crypto $(CRYPTO_CFLAGS) $(GCRYPT_CFLAGS) $(SIGNALC_CFLAGS) $(PROTOBUFC_CFLAGS)
libsbcrypto_la_CPPFLAGS = $(SC_CPPFLAGS)
libsbcrypto_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbcrypto_la_LIBADD = libsbcommon.la $(CRYPTO_LIBS) $(GCRYPT_LIBS) $(SIGNALC_LIBS) $(PROTOBUFC_LIBS)
# what a test of crypto links
SC_TEST_CPPFLAGS = $(UNIT_CPPFLAGS) $(SC_CPPFLAGS)
SC_TEST_LIBS = libsbcrypto.la $(UNIT_LIBS)

include $(top_srcdir)/module/signal/crypto/kyber.mk
include $(top_srcdir)/module/signal/crypto/session.mk
include $(top_srcdir)/module/signal/crypto/ciphers.mk
