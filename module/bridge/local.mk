# module/bridge (br_): the bridge core. Pure parts first: config, commands,
# phone numbers, QR codes.
noinst_LTLIBRARIES += libsbbridge.la
libsbbridge_la_SOURCES = module/bridge/br_config.h module/bridge/br_config.c \
	module/bridge/br_cmd.h module/bridge/br_cmd.c \
	module/bridge/br_phone.h module/bridge/br_phone.c \
	module/bridge/br_qr.h module/bridge/br_qr.c \
	module/bridge/connector/br_loop.h module/bridge/connector/br_loop.c \
	module/bridge/br_net.h module/bridge/br_net_event.c module/bridge/br_bridge.h module/bridge/br_internal.h \
	module/bridge/br_bridge.c module/bridge/br_login.c module/bridge/br_room.c module/bridge/br_bot.c module/bridge/br_portal.c module/bridge/br_expire.h module/bridge/br_expire.c module/bridge/br_puppet.c module/bridge/br_avatar.h module/bridge/br_avatar.c module/bridge/br_outbox.c module/bridge/br_usage.c \
	module/bridge/connector/br_signal.h module/bridge/connector/br_signal.c \
	module/bridge/br_media.h module/bridge/br_media_int.h module/bridge/br_media.c \
	module/bridge/br_media_out.c module/bridge/br_media_conv.c
libsbbridge_la_SOURCES += module/bridge/br_group.h module/bridge/br_group.c \
	module/bridge/connector/br_sigchat.h module/bridge/connector/br_sigchat.c
# reactions, deletes, edits (issue #6)
libsbbridge_la_SOURCES += module/bridge/br_relate.h module/bridge/br_relate.c \
	module/bridge/connector/br_sigrel.h module/bridge/connector/br_sigrel.c module/bridge/br_ephem.c \
	module/bridge/br_relout.c module/bridge/br_txn.h module/bridge/br_txn.c
# notices for what cannot be bridged (issue #17 item 7)
libsbbridge_la_SOURCES += module/bridge/connector/br_sigkind.h module/bridge/connector/br_sigkind.c
# contact cards as vCard files both ways (issue #17 item 5)
libsbbridge_la_SOURCES += module/bridge/connector/br_vcard.h module/bridge/connector/br_vcard.c \
	module/bridge/connector/br_sigcontact.h module/bridge/connector/br_sigcontact.c
UNIT_TESTS += tests/unit/bridge/test_br_vcard
check_PROGRAMS += tests/unit/bridge/test_br_vcard
tests_unit_bridge_test_br_vcard_SOURCES = tests/unit/bridge/test_br_vcard.c
tests_unit_bridge_test_br_vcard_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_vcard_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
FUZZ_LIST += fuzz_br_vcard
fuzz_br_vcard_FUZZ_SRCS = module/bridge/connector/br_vcard.c module/common/ut.c
# Matrix events already handled (at-least-once delivery, issue #12)
libsbbridge_la_SOURCES += module/bridge/br_dedupe.h module/bridge/br_dedupe.c
# writes of callbacks nobody retries, retried on the loop (issue #12)
libsbbridge_la_SOURCES += module/bridge/br_retry.h module/bridge/br_retry.c
# blocked chats, safety-number warnings (issue #6)
libsbbridge_la_SOURCES += module/bridge/br_guard.c
# permissions and `enabled` at every entry point (issue #12)
libsbbridge_la_SOURCES += module/bridge/br_access.c
# telling the user and the admin why Signal cannot be reached or trusted
libsbbridge_la_SOURCES += module/bridge/br_netfail.h module/bridge/br_netfail.c
# the provisioning HTTP API (issue #16 item 4)
libsbbridge_la_SOURCES += module/bridge/br_prov.h module/bridge/br_prov.c
# sig_client events to br_net_events (split from br_signal.c)
libsbbridge_la_SOURCES += module/bridge/connector/br_signal_int.h module/bridge/connector/br_sigevent.c
# the phone's message history at link (issue #14): SIG_EV_HISTORY as CHAT
# and MESSAGE events, and the bot room's progress notices
libsbbridge_la_SOURCES += module/bridge/connector/br_sighist.c module/bridge/br_history.c
BR_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/bridge \
	-I$(top_srcdir)/module/bridge/connector \
	-I$(top_srcdir)/module/matrix -I$(top_srcdir)/module/store $(SIG_CPPFLAGS) \
	$(JANSSON_CFLAGS) $(QRENCODE_CFLAGS) $(PNG_CFLAGS) $(SQLITE_CFLAGS) $(EVENT_CFLAGS)
libsbbridge_la_CPPFLAGS = $(BR_CPPFLAGS)
libsbbridge_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbbridge_la_LIBADD = $(JANSSON_LIBS) \
	$(QRENCODE_LIBS) $(PNG_LIBS) $(SQLITE_LIBS) $(EVENT_LIBS) $(PTHREAD_LIBS)
# The bridge's typed store: every br_* row is read and written here, and
# nowhere else in bridge/ (issue #12; tools/check-sql.sh).
libsbbridge_la_SOURCES += module/bridge/store/br_store.h module/bridge/store/br_store_int.h \
	module/bridge/store/br_store_login.c module/bridge/store/br_store_access.c \
	module/bridge/store/br_store_portal.c module/bridge/store/br_store_puppet.c \
	module/bridge/store/br_store_outbox.c module/bridge/store/br_store_msgmap.c \
	module/bridge/store/br_store_inbox.c module/bridge/store/br_store_relate.c module/bridge/store/br_store_expire.c \
	module/bridge/store/br_store_relout.c module/bridge/store/br_store_media.c \
	module/bridge/store/br_store_fmt.c module/bridge/store/br_store_usage.c \
	module/bridge/store/br_store_poll.c
BR_CPPFLAGS += -I$(top_srcdir)/module/bridge/store

# signalbridge.so: the module. Exports only the descriptor and init.
module_LTLIBRARIES += signalbridge.la
signalbridge_la_SOURCES = module/plugin.c
signalbridge_la_CPPFLAGS = $(BR_CPPFLAGS)
signalbridge_la_CFLAGS = $(AM_CFLAGS) $(MODULE_CFLAGS)
# every convenience library the module needs, each once
SB_MODULE_LIBS = libsbbridge.la libsbmatrix.la $(SIG_LIBS)
signalbridge_la_LIBADD = $(SB_MODULE_LIBS)
signalbridge_la_LDFLAGS = $(AM_LDFLAGS) $(MODULE_LDFLAGS) \
	-Wl,--version-script=$(top_srcdir)/module/exports.map
EXTRA_DIST += module/exports.map tests/unit/bridge/exports.sh
TESTS += tests/unit/bridge/exports.sh

UNIT_TESTS += tests/unit/bridge/test_br_config tests/unit/bridge/test_br_cmd
check_PROGRAMS += tests/unit/bridge/test_br_config tests/unit/bridge/test_br_cmd \
	tests/unit/bridge/qr_tool
tests_unit_bridge_test_br_config_SOURCES = tests/unit/bridge/test_br_config.c
tests_unit_bridge_test_br_config_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_config_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
tests_unit_bridge_test_br_cmd_SOURCES = tests/unit/bridge/test_br_cmd.c
tests_unit_bridge_test_br_cmd_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_cmd_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
tests_unit_bridge_qr_tool_SOURCES = tests/unit/bridge/qr_tool.c
tests_unit_bridge_qr_tool_CPPFLAGS = $(BR_CPPFLAGS)
tests_unit_bridge_qr_tool_LDADD = $(SB_MODULE_LIBS)
TESTS += tests/unit/bridge/qr-roundtrip.js
EXTRA_DIST += tests/unit/bridge/qr-roundtrip.js tests/fuzz/fuzz_br_cmd.c

FUZZ_LIST += fuzz_br_cmd
fuzz_br_cmd_FUZZ_SRCS = module/bridge/br_cmd.c module/bridge/br_phone.c

# The Signal sandbox for the run command (Signal mock + simulated phone).
EXTRA_DIST += sandbox/sandbox.js sandbox/signal-sandbox.js

# Attachments: the pure helpers of br_media (br_media_conv.c).
UNIT_TESTS += tests/unit/bridge/test_br_media
check_PROGRAMS += tests/unit/bridge/test_br_media
tests_unit_bridge_test_br_media_SOURCES = tests/unit/bridge/test_br_media.c
tests_unit_bridge_test_br_media_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_media_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS) $(JANSSON_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_br_media.c
FUZZ_LIST += fuzz_br_media
fuzz_br_media_FUZZ_SRCS = module/bridge/br_media_conv.c
# Signal messages and synced records to chat ids (groups, Note to Self).
UNIT_TESTS += tests/unit/bridge/test_br_sigchat
check_PROGRAMS += tests/unit/bridge/test_br_sigchat
tests_unit_bridge_test_br_sigchat_SOURCES = tests/unit/bridge/test_br_sigchat.c
tests_unit_bridge_test_br_sigchat_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_sigchat_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
# Reactions, deletes, edits both ways (issue #6).
TESTS += tests/e2e/bridge_relations.js
EXTRA_DIST += tests/e2e/bridge_relations.js
UNIT_TESTS += tests/unit/bridge/test_br_relate
check_PROGRAMS += tests/unit/bridge/test_br_relate
tests_unit_bridge_test_br_relate_SOURCES = tests/unit/bridge/test_br_relate.c
tests_unit_bridge_test_br_relate_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_relate_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)

# The words for failures to reach or trust Signal (br_netfail.c).
UNIT_TESTS += tests/unit/bridge/test_br_netfail
check_PROGRAMS += tests/unit/bridge/test_br_netfail
tests_unit_bridge_test_br_netfail_SOURCES = tests/unit/bridge/test_br_netfail.c
tests_unit_bridge_test_br_netfail_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_netfail_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
# The outbox: what is retried, the backoff (issue #12).
UNIT_TESTS += tests/unit/bridge/test_br_outbox
check_PROGRAMS += tests/unit/bridge/test_br_outbox
tests_unit_bridge_test_br_outbox_SOURCES = tests/unit/bridge/test_br_outbox.c
tests_unit_bridge_test_br_outbox_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_outbox_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS) $(JANSSON_LIBS)
# The br_net_event value: free and deep copy (one dispatcher owns events).
UNIT_TESTS += tests/unit/bridge/test_br_net_event
check_PROGRAMS += tests/unit/bridge/test_br_net_event
tests_unit_bridge_test_br_net_event_SOURCES = tests/unit/bridge/test_br_net_event.c
tests_unit_bridge_test_br_net_event_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_net_event_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)

# Text formatting, mentions, replies both ways (issue #17): pure converters
# split by direction (br_conv.h).
libsbbridge_la_SOURCES += module/bridge/br_conv.h module/bridge/br_conv_from_signal.c \
	module/bridge/br_conv_to_signal.c module/bridge/connector/br_sigfmt.h module/bridge/connector/br_sigfmt.c \
	module/bridge/br_fmt.h module/bridge/br_fmt.c \
	module/bridge/br_poll.h module/bridge/br_poll.c
UNIT_TESTS += tests/unit/bridge/test_br_conv
check_PROGRAMS += tests/unit/bridge/test_br_conv
tests_unit_bridge_test_br_conv_SOURCES = tests/unit/bridge/test_br_conv.c
tests_unit_bridge_test_br_conv_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_conv_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
FUZZ_LIST += fuzz_br_html fuzz_br_ranges
fuzz_br_html_FUZZ_SRCS = module/bridge/br_conv_to_signal.c module/bridge/br_conv_from_signal.c module/common/ut.c
fuzz_br_ranges_FUZZ_SRCS = module/bridge/br_conv_to_signal.c module/bridge/br_conv_from_signal.c module/common/ut.c
TESTS += tests/e2e/bridge_format.js
EXTRA_DIST += tests/e2e/bridge_format.js
# disappearing messages, delivery receipts (issue #14 items 3, 4)
UNIT_TESTS += tests/unit/bridge/test_br_expire
check_PROGRAMS += tests/unit/bridge/test_br_expire
tests_unit_bridge_test_br_expire_SOURCES = tests/unit/bridge/test_br_expire.c
tests_unit_bridge_test_br_expire_CPPFLAGS = $(UNIT_CPPFLAGS) $(BR_CPPFLAGS)
tests_unit_bridge_test_br_expire_LDADD = $(SB_MODULE_LIBS) $(UNIT_LIBS)
TESTS += tests/e2e/bridge_expire.js
EXTRA_DIST += tests/e2e/bridge_expire.js
TESTS += tests/e2e/bridge_kinds.js
EXTRA_DIST += tests/e2e/bridge_kinds.js
# contact cards, locations from Signal's phones, view-once (issue #17 item 5)
TESTS += tests/e2e/bridge_cards.js
EXTRA_DIST += tests/e2e/bridge_cards.js
# link previews, quotes of attachments, poll gaps, event size (issue #17)
TESTS += tests/e2e/bridge_rich.js
EXTRA_DIST += tests/e2e/bridge_rich.js
# formatting, mentions, replies and polls in a group (issue #17)
TESTS += tests/e2e/bridge_groupkinds.js
EXTRA_DIST += tests/e2e/bridge_groupkinds.js
