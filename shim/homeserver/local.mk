# shim/homeserver: mxhs, the reference homeserver that hosts mxm modules.
HS_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/shim/homeserver -I$(top_srcdir)/shim/host \
	-I$(top_srcdir)/shim/common \
	-I$(top_srcdir)/module/common $(EVENT_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) \
	$(YAML_CFLAGS) $(SODIUM_CFLAGS)
HS_LIBS = libmxmhost.la libshimcommon.la libsbcommon.la $(EVENT_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) \
	$(YAML_LIBS) $(SODIUM_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)

bin_PROGRAMS += mxhs
mxhs_SOURCES = \
	shim/homeserver/hs.h \
	shim/homeserver/hs_config.h shim/homeserver/hs_config.c \
	shim/homeserver/hs_http.h shim/homeserver/hs_http.c \
	shim/homeserver/hs_db.c \
	shim/homeserver/hs_router.c \
	shim/homeserver/hs_auth.c \
	shim/homeserver/hs_seen.c \
	shim/homeserver/hs_event.c \
	shim/homeserver/hs_rooms.c \
	shim/homeserver/hs_roomread.c \
	shim/homeserver/hs_vis.h shim/homeserver/hs_vis.c \
	shim/homeserver/hs_sync.c \
	shim/homeserver/hs_misc.c \
	shim/homeserver/hs_media.c \
	shim/homeserver/hs_modules.c \
	shim/homeserver/hs_deliver.c \
	shim/homeserver/hs_e2ee.h shim/homeserver/hs_e2ee_db.c \
	shim/homeserver/hs_e2ee_json.c shim/homeserver/hs_keys.c \
	shim/homeserver/hs_xsign.c shim/homeserver/hs_todevice.c \
	shim/homeserver/hs_backup.c shim/homeserver/hs_devdel.c \
	shim/homeserver/hs_appservice.c \
	shim/homeserver/hs_main.c
mxhs_CPPFLAGS = $(HS_CPPFLAGS)
mxhs_LDADD = $(HS_LIBS)
EXTRA_DIST += examples/homeserver.yaml shim/homeserver/README.md

# Unit tests (Check): event hashing, redaction, auth rules.
UNIT_TESTS += tests/unit/homeserver/test_hs_event
check_PROGRAMS += tests/unit/homeserver/test_hs_event
tests_unit_homeserver_test_hs_event_SOURCES = tests/unit/homeserver/test_hs_event.c \
	shim/homeserver/hs_event.c
tests_unit_homeserver_test_hs_event_CPPFLAGS = $(HS_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_homeserver_test_hs_event_LDADD = libsbcommon.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(SODIUM_LIBS) $(CRYPTO_LIBS)

# Write transactions under real SQLite failures (locked database, failing COMMIT).
UNIT_TESTS += tests/unit/homeserver/test_hs_db
check_PROGRAMS += tests/unit/homeserver/test_hs_db
tests_unit_homeserver_test_hs_db_SOURCES = tests/unit/homeserver/test_hs_db.c \
	shim/homeserver/hs_db.c shim/homeserver/hs_e2ee_db.c
tests_unit_homeserver_test_hs_db_CPPFLAGS = $(HS_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_homeserver_test_hs_db_LDADD = libsbcommon.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(SQLITE_LIBS) $(CRYPTO_LIBS)

# History visibility rules (pure).
UNIT_TESTS += tests/unit/homeserver/test_hs_vis
check_PROGRAMS += tests/unit/homeserver/test_hs_vis
tests_unit_homeserver_test_hs_vis_SOURCES = tests/unit/homeserver/test_hs_vis.c \
	shim/homeserver/hs_vis.c
tests_unit_homeserver_test_hs_vis_CPPFLAGS = $(HS_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_homeserver_test_hs_vis_LDADD = $(CHECK_LIBS)

# The E2EE JSON checks and signature verification (issue 13).
UNIT_TESTS += tests/unit/homeserver/test_hs_e2ee
check_PROGRAMS += tests/unit/homeserver/test_hs_e2ee
tests_unit_homeserver_test_hs_e2ee_SOURCES = tests/unit/homeserver/test_hs_e2ee.c \
	shim/homeserver/hs_e2ee_json.c shim/homeserver/hs_event.c
tests_unit_homeserver_test_hs_e2ee_CPPFLAGS = $(HS_CPPFLAGS) $(CHECK_CFLAGS)
tests_unit_homeserver_test_hs_e2ee_LDADD = libsbcommon.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(SODIUM_LIBS) $(CRYPTO_LIBS)

UNIT_TESTS += tests/unit/homeserver/test_hs_config
check_PROGRAMS += tests/unit/homeserver/test_hs_config
tests_unit_homeserver_test_hs_config_SOURCES = tests/unit/homeserver/test_hs_config.c \
	shim/homeserver/hs_config.c
tests_unit_homeserver_test_hs_config_CPPFLAGS = $(HS_CPPFLAGS) $(CHECK_CFLAGS) \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_homeserver_test_hs_config_LDADD = libshimcommon.la libsbcommon.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(YAML_LIBS) $(CRYPTO_LIBS)

# Fuzz targets (tests/fuzz/fuzz_hs_*.c): the config parser and the event functions.
FUZZ_LIST += fuzz_hs_config fuzz_hs_event fuzz_hs_e2ee
fuzz_hs_config_FUZZ_SRCS = shim/homeserver/hs_config.c shim/common/shim_yaml.c module/common/ut.c module/common/ut_err.c
fuzz_hs_event_FUZZ_SRCS = shim/homeserver/hs_event.c module/common/ut.c module/common/ut_err.c
fuzz_hs_e2ee_FUZZ_SRCS = shim/homeserver/hs_e2ee_json.c shim/homeserver/hs_event.c \
	module/common/ut.c module/common/ut_err.c
EXTRA_DIST += tests/fuzz/fuzz_hs_config.c tests/fuzz/fuzz_hs_event.c
