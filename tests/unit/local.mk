# Unit tests (Check). Each subsystem's tests live under tests/unit/<subsystem>.
# UNIT_TESTS collects them so `make check-valgrind` can run just these.
LOG_COMPILER = $(top_srcdir)/tests/unit/driver
EXTRA_DIST += tests/unit/driver

UNIT_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
UNIT_LIBS = $(CHECK_LIBS)

# --- libmxmhost and the echo module -----------------------------------------
TESTMOD_DIR = $(abs_top_builddir)/tests/unit/host/.libs
TESTMOD_LDFLAGS = $(AM_LDFLAGS) $(MODULE_LDFLAGS) -rpath $(abs_builddir)
TESTMOD_CFLAGS = $(AM_CFLAGS) $(MODULE_CFLAGS)

check_LTLIBRARIES += \
	tests/unit/host/tm_good.la tests/unit/host/tm_good2.la \
	tests/unit/host/tm_nodesc.la tests/unit/host/tm_badmagic.la \
	tests/unit/host/tm_major2.la tests/unit/host/tm_minor_newer.la \
	tests/unit/host/tm_ptrsize.la tests/unit/host/tm_noinit.la \
	tests/unit/host/tm_initfail.la tests/unit/host/tm_smalltable.la \
	tests/unit/host/tm_badregex.la tests/unit/host/tm_startfail.la
tests_unit_host_tm_good_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_good_la_CFLAGS = $(TESTMOD_CFLAGS)
tests_unit_host_tm_good_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_good2_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_good2_la_CFLAGS = $(TESTMOD_CFLAGS)
tests_unit_host_tm_good2_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_nodesc_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_nodesc_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_NODESC
tests_unit_host_tm_nodesc_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_badmagic_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_badmagic_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_BADMAGIC
tests_unit_host_tm_badmagic_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_major2_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_major2_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_MAJOR2
tests_unit_host_tm_major2_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_minor_newer_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_minor_newer_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_MINOR_NEWER
tests_unit_host_tm_minor_newer_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_ptrsize_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_ptrsize_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_PTRSIZE
tests_unit_host_tm_ptrsize_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_noinit_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_noinit_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_NOINIT -Wno-unused-function -Wno-unused-const-variable
tests_unit_host_tm_noinit_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_initfail_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_initfail_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_INITFAIL -Wno-unused-function -Wno-unused-const-variable
tests_unit_host_tm_initfail_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_smalltable_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_smalltable_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_SMALLTABLE
tests_unit_host_tm_smalltable_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_badregex_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_badregex_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_BADREGEX
tests_unit_host_tm_badregex_la_LDFLAGS = $(TESTMOD_LDFLAGS)
tests_unit_host_tm_startfail_la_SOURCES = tests/unit/host/testmod.c
tests_unit_host_tm_startfail_la_CFLAGS = $(TESTMOD_CFLAGS) -DTM_STARTFAIL -Wno-unused-function -DTM_NAME='"startfail"'
tests_unit_host_tm_startfail_la_LDFLAGS = $(TESTMOD_LDFLAGS)

HOST_TEST_CPPFLAGS = $(UNIT_CPPFLAGS) -I$(top_srcdir)/shim/host $(EVENT_CFLAGS) \
	-DTESTMOD_DIR='"$(TESTMOD_DIR)"' -DECHO_SO='"$(abs_top_builddir)/.libs/echo.so"'
HOST_TEST_LIBS = libmxmhost.la $(UNIT_LIBS) $(EVENT_LIBS) $(PTHREAD_LIBS)

UNIT_TESTS += tests/unit/host/test_host_load tests/unit/host/test_host_loop \
	tests/unit/host/test_echo
check_PROGRAMS += tests/unit/host/test_host_load tests/unit/host/test_host_loop \
	tests/unit/host/test_echo
tests_unit_host_test_host_load_SOURCES = tests/unit/host/test_host_load.c
tests_unit_host_test_host_load_CPPFLAGS = $(HOST_TEST_CPPFLAGS)
tests_unit_host_test_host_load_LDADD = $(HOST_TEST_LIBS)
tests_unit_host_test_host_loop_SOURCES = tests/unit/host/test_host_loop.c
tests_unit_host_test_host_loop_CPPFLAGS = $(HOST_TEST_CPPFLAGS)
tests_unit_host_test_host_loop_LDADD = $(HOST_TEST_LIBS)
tests_unit_host_test_echo_SOURCES = tests/unit/host/test_echo.c
tests_unit_host_test_echo_CPPFLAGS = $(HOST_TEST_CPPFLAGS)
tests_unit_host_test_echo_LDADD = $(HOST_TEST_LIBS)

