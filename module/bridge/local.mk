# module/bridge (br_): the bridge core. Pure parts first: config, commands,
# phone numbers, QR codes.
noinst_LTLIBRARIES += libsbbridge.la
libsbbridge_la_SOURCES = module/bridge/br_config.h module/bridge/br_config.c \
	module/bridge/br_cmd.h module/bridge/br_cmd.c \
	module/bridge/br_qr.h module/bridge/br_qr.c
BR_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/bridge \
	$(JANSSON_CFLAGS) $(QRENCODE_CFLAGS) $(PNG_CFLAGS)
libsbbridge_la_CPPFLAGS = $(BR_CPPFLAGS)
libsbbridge_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbbridge_la_LIBADD = libsbcommon.la $(JANSSON_LIBS) $(QRENCODE_LIBS) $(PNG_LIBS)

UNIT_TESTS += tests/unit/bridge/test_br_config tests/unit/bridge/test_br_cmd
check_PROGRAMS += tests/unit/bridge/test_br_config tests/unit/bridge/test_br_cmd \
	tests/unit/bridge/qr_tool
tests_unit_bridge_test_br_config_SOURCES = tests/unit/bridge/test_br_config.c
tests_unit_bridge_test_br_config_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_config_LDADD = libsbbridge.la $(UNIT_LIBS)
tests_unit_bridge_test_br_cmd_SOURCES = tests/unit/bridge/test_br_cmd.c
tests_unit_bridge_test_br_cmd_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_cmd_LDADD = libsbbridge.la $(UNIT_LIBS)
tests_unit_bridge_qr_tool_SOURCES = tests/unit/bridge/qr_tool.c
tests_unit_bridge_qr_tool_CPPFLAGS = $(BR_CPPFLAGS)
tests_unit_bridge_qr_tool_LDADD = libsbbridge.la
TESTS += tests/unit/bridge/qr-roundtrip.js
EXTRA_DIST += tests/unit/bridge/qr-roundtrip.js tests/fuzz/fuzz_br_cmd.c

FUZZ_LIST += fuzz_br_cmd
fuzz_br_cmd_FUZZ_SRCS = module/bridge/br_cmd.c
