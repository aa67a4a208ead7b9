# shim/appservice: mxm-appservice, an mxm module behind any homeserver
# through the Application Service API.
AS_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/shim/appservice -I$(top_srcdir)/shim/host \
	-I$(top_srcdir)/shim/common \
	-I$(top_srcdir)/module/common $(EVENT_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) \
	$(YAML_CFLAGS)
AS_LIBS = libmxmhost.la libshimcommon.la libsbcommon.la $(EVENT_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) \
	$(YAML_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
AS_CORE = shim/appservice/as.h shim/appservice/as_config.c \
	shim/appservice/as_reg.c shim/appservice/as_txn.c

bin_PROGRAMS += mxm-appservice
mxm_appservice_SOURCES = $(AS_CORE) \
	shim/appservice/as_client.c \
	shim/appservice/as_ops.c \
	shim/appservice/as_server.c \
	shim/appservice/as_main.c
mxm_appservice_CPPFLAGS = $(AS_CPPFLAGS)
mxm_appservice_LDADD = $(AS_LIBS)
EXTRA_DIST += examples/appservice.yaml shim/appservice/README.md docs/appservice.md

# Unit tests: the registration writer, the config, transaction idempotency.
UNIT_TESTS += tests/unit/appservice/test_as
check_PROGRAMS += tests/unit/appservice/test_as
tests_unit_appservice_test_as_SOURCES = tests/unit/appservice/test_as.c $(AS_CORE)
tests_unit_appservice_test_as_CPPFLAGS = $(AS_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_appservice_test_as_LDADD = libshimcommon.la libsbcommon.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(SQLITE_LIBS) $(YAML_LIBS) $(CRYPTO_LIBS)
