# module/common: shared utilities (ut_). Linked into the module and its tests.
noinst_LTLIBRARIES += libsbcommon.la
libsbcommon_la_SOURCES = module/common/ut.h module/common/ut.c module/common/ut_err.c
libsbcommon_la_CFLAGS = $(AM_CFLAGS) -fPIC $(CRYPTO_CFLAGS)
libsbcommon_la_LIBADD = $(CRYPTO_LIBS)

UNIT_TESTS += tests/unit/common/test_ut
check_PROGRAMS += tests/unit/common/test_ut
tests_unit_common_test_ut_SOURCES = tests/unit/common/test_ut.c
tests_unit_common_test_ut_CPPFLAGS = $(UNIT_CPPFLAGS) -I$(top_srcdir)/module/common
tests_unit_common_test_ut_LDADD = libsbcommon.la $(UNIT_LIBS)
