# module/matrix (mx_): the Matrix side over the mxm ABI. Knows no Signal types.
noinst_LTLIBRARIES += libsbmatrix.la
libsbmatrix_la_SOURCES = module/matrix/mx_event.h module/matrix/mx_event.c \
	module/matrix/mx_conn.h module/matrix/mx_conn.c
MX_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/matrix $(JANSSON_CFLAGS)
libsbmatrix_la_CPPFLAGS = $(MX_CPPFLAGS)
libsbmatrix_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbmatrix_la_LIBADD = $(JANSSON_LIBS)

UNIT_TESTS += tests/unit/matrix/test_mx
check_PROGRAMS += tests/unit/matrix/test_mx
tests_unit_matrix_test_mx_SOURCES = tests/unit/matrix/test_mx.c
tests_unit_matrix_test_mx_CPPFLAGS = $(UNIT_CPPFLAGS) $(MX_CPPFLAGS)
tests_unit_matrix_test_mx_LDADD = libsbmatrix.la libsbcommon.la $(UNIT_LIBS)

FUZZ_LIST += fuzz_mx_event
fuzz_mx_event_FUZZ_SRCS = module/matrix/mx_event.c module/common/ut.c module/common/ut_err.c
EXTRA_DIST += tests/fuzz/fuzz_mx_event.c
