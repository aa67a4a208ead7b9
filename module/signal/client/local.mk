# module/signal/client (sig_): one linked Signal account on a libevent loop:
# link, keys, receive, send, sync. Stands on signal/net, signal/crypto,
# store and the protos of module/signal/proto.
noinst_LTLIBRARIES += libsbclient.la
SIG_SRCS = \
	module/signal/client/sig_err.h module/signal/client/sig_err.c \
	module/signal/client/sig_util.h module/signal/client/sig_util.c \
	module/signal/client/sig_prov.h module/signal/client/sig_prov.c \
	module/signal/client/sig_client.h module/signal/client/sig_int.h \
	module/signal/client/sig_client.c module/signal/client/sig_store.c \
	module/signal/client/sig_keys.c module/signal/client/sig_link.c \
	module/signal/client/sig_caps.c \
	module/signal/client/sig_inbox.h module/signal/client/sig_inbox.c \
	module/signal/client/sig_recv.c module/signal/client/sig_send.c \
	module/signal/client/sig_sync.h module/signal/client/sig_sync.c \
	module/signal/client/sig_fetch.c module/signal/client/sig_storage.c \
	module/signal/client/sig_attach.c module/signal/client/sig_cert.c \
	module/signal/client/sig_attstream.h module/signal/client/sig_attstream.c
libsbclient_la_SOURCES = $(SIG_SRCS)
# reactions, deletes, edits, receipts, typing (issue #6)
libsbclient_la_SOURCES += module/signal/client/sig_extra.c module/signal/client/sig_rel.c
# body ranges, mentions, quotes both ways (issue #17)
libsbclient_la_SOURCES += module/signal/client/sig_fmt.c
# contact cards (issue #17 item 5)
libsbclient_la_SOURCES += module/signal/client/sig_contact.c
# the send log and answering retry requests (issue #11)
libsbclient_la_SOURCES += module/signal/client/sig_sendlog.h module/signal/client/sig_sendlog.c \
	module/signal/client/sig_retry.c
nodist_libsbclient_la_SOURCES = module/signal/proto/SignalService.pb-c.c \
	module/signal/proto/SignalService.pb-c.h module/signal/proto/Provisioning.pb-c.c \
	module/signal/proto/Provisioning.pb-c.h module/signal/proto/StorageService.pb-c.c \
	module/signal/proto/StorageService.pb-c.h
SIG_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/signal/client \
	-I$(top_srcdir)/module/signal/net -I$(top_srcdir)/module/signal/crypto \
	-I$(top_builddir)/module/signal/crypto -I$(top_srcdir)/module/store \
	-I$(top_builddir)/module/signal/proto $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) \
	$(EVENT_CFLAGS) $(PROTOBUFC_CFLAGS) $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS)
libsbclient_la_CPPFLAGS = $(SIG_CPPFLAGS)
libsbclient_la_CFLAGS = $(AM_CFLAGS) -fPIC
# convenience libraries link only external libraries; consumers list them all
SIG_LIBS = libsbclient.la libsbnet.la libsbcrypto.la libsbstore.la libsbcommon.la
libsbclient_la_LIBADD = \
	$(JANSSON_LIBS) $(SQLITE_LIBS) $(EVENT_LIBS) $(PROTOBUFC_LIBS) $(CRYPTO_LIBS) $(ZLIB_LIBS)

SIG_TEST_CPPFLAGS = $(UNIT_CPPFLAGS) $(SIG_CPPFLAGS)
SIG_TEST_LIBS = $(SIG_LIBS) $(UNIT_LIBS) $(EVENT_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS)

# --- unit tests ------------------------------------------------------------
SIG_UNITS = tests/unit/signal/client/test_sig_prov tests/unit/signal/client/test_sig_store \
	tests/unit/signal/client/test_sig_sync tests/unit/signal/client/test_sig_config \
	tests/unit/signal/client/test_sig_attstream
UNIT_TESTS += $(SIG_UNITS)
check_PROGRAMS += $(SIG_UNITS)
tests_unit_signal_client_test_sig_prov_SOURCES = tests/unit/signal/client/test_sig_prov.c
tests_unit_signal_client_test_sig_prov_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_prov_LDADD = $(SIG_TEST_LIBS)
tests_unit_signal_client_test_sig_store_SOURCES = tests/unit/signal/client/test_sig_store.c
tests_unit_signal_client_test_sig_store_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_store_LDADD = $(SIG_TEST_LIBS)
tests_unit_signal_client_test_sig_sync_SOURCES = tests/unit/signal/client/test_sig_sync.c
tests_unit_signal_client_test_sig_sync_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_sync_LDADD = $(SIG_TEST_LIBS)
tests_unit_signal_client_test_sig_config_SOURCES = tests/unit/signal/client/test_sig_config.c
tests_unit_signal_client_test_sig_config_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_config_LDADD = $(SIG_TEST_LIBS)
tests_unit_signal_client_test_sig_attstream_SOURCES = tests/unit/signal/client/test_sig_attstream.c
tests_unit_signal_client_test_sig_attstream_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_attstream_LDADD = $(SIG_TEST_LIBS)

# --- signalctl (installed) -------------------------------------------------
bin_PROGRAMS += signalctl
signalctl_SOURCES = module/signal/client/signalctl.c
signalctl_CPPFLAGS = $(SIG_CPPFLAGS) $(QRENCODE_CFLAGS)
signalctl_LDADD = $(SIG_LIBS) $(EVENT_LIBS) $(JANSSON_LIBS) $(QRENCODE_LIBS)

# --- end-to-end against the unmodified mock (node:test + signalctl) --------
TESTS += tests/e2e/signal-link.js tests/e2e/signal-receive.js tests/e2e/signal-send.js \
	tests/e2e/signal-sync.js
EXTRA_DIST += tests/e2e/signal-link.js tests/e2e/signal-receive.js tests/e2e/signal-send.js tests/e2e/signal-sync.js \
	tests/e2e/signalctl-lib.js

# --- fuzz targets ------------------------------------------------------------
SIG_FUZZ_BASE = module/common/ut.c module/common/ut_err.c module/signal/crypto/sc_err.c \
	module/signal/crypto/sc_prim.c module/signal/crypto/sc_keys.c \
	module/signal/client/sig_util.c module/signal/proto/SignalService.pb-c.c
FUZZ_LIST += fuzz_sig_envelope fuzz_sig_contacts fuzz_sig_provision
fuzz_sig_envelope_FUZZ_SRCS = $(SIG_FUZZ_BASE)
fuzz_sig_contacts_FUZZ_SRCS = $(SIG_FUZZ_BASE) module/signal/client/sig_sync.c \
	module/signal/crypto/sc_attachment.c module/signal/crypto/sc_profile.c module/signal/crypto/sc_sho.c \
	module/signal/crypto/sc_gcmbox.c
fuzz_sig_provision_FUZZ_SRCS = $(SIG_FUZZ_BASE) module/signal/client/sig_prov.c \
	module/signal/proto/Provisioning.pb-c.c module/signal/crypto/sc_provision.c \
	module/signal/crypto/sc_devname.c module/signal/crypto/sc_pbwire.c
EXTRA_DIST += tests/fuzz/fuzz_sig_envelope.c tests/fuzz/fuzz_sig_contacts.c \
	tests/fuzz/fuzz_sig_provision.c
TESTS += tests/e2e/signal-unlink.js tests/e2e/signal-attach.js tests/e2e/signal-keys.js \
	tests/e2e/signal-retry.js tests/e2e/signal-receipts.js
EXTRA_DIST += tests/e2e/signal-unlink.js tests/e2e/signal-attach.js tests/e2e/signal-keys.js \
	tests/e2e/signal-retry.js tests/e2e/signal-receipts.js
# production rules (issue #11): capabilities, agent headers, 409 and 499
TESTS += tests/e2e/signal-prodrules.js
EXTRA_DIST += tests/e2e/signal-prodrules.js
# the harness's PUT /v1/messages/multi_recipient, as Signal-Server answers
TESTS += tests/e2e/signal-multirecipient.js
EXTRA_DIST += tests/e2e/signal-multirecipient.js

# --- benchmark (make bench; never a test) ------------------------------------
BENCH_LIST += signalctl
BENCH_RUN += bench/signal-recv.sh
EXTRA_DIST += bench/signal-recv.sh bench/signal-recv.js
TESTS += tests/e2e/signal-cdn.js tests/e2e/signal-identity.js tests/e2e/signal-pool.js
EXTRA_DIST += tests/e2e/signal-cdn.js tests/e2e/signal-identity.js tests/e2e/signal-pool.js

# --- reactions, deletes, edits (issue #6) ------------------------------------
UNIT_TESTS += tests/unit/signal/client/test_sig_rel
check_PROGRAMS += tests/unit/signal/client/test_sig_rel
tests_unit_signal_client_test_sig_rel_SOURCES = tests/unit/signal/client/test_sig_rel.c
tests_unit_signal_client_test_sig_rel_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_rel_LDADD = $(SIG_TEST_LIBS)
FUZZ_LIST += fuzz_sig_relation
fuzz_sig_relation_FUZZ_SRCS = $(SIG_FUZZ_BASE) module/signal/client/sig_rel.c
EXTRA_DIST += tests/fuzz/fuzz_sig_relation.c

# --- groups v2: state from the groups server, sending to groups (issue #6) --
libsbclient_la_SOURCES += module/signal/client/sig_groups.h module/signal/client/sig_groups.c \
	module/signal/client/sig_gstate.h module/signal/client/sig_gstate.c \
	module/signal/client/sig_gsend.c module/signal/client/sig_gchange.c
# group sends with our sender key and sealed sender v2 (issue #15 item 2)
libsbclient_la_SOURCES += module/signal/client/sig_gse.h module/signal/client/sig_gse.c
libsbclient_la_SOURCES += module/signal/client/sig_gsk.c module/signal/client/sig_skinfo.h \
	module/signal/client/sig_skinfo.c module/signal/client/sig_unauth.c
nodist_libsbclient_la_SOURCES += module/signal/proto/Groups.pb-c.c module/signal/proto/Groups.pb-c.h
# the Group parser against the mock server's groups and libsignal (node oracle)
check_PROGRAMS += tests/interop/gstate_tool
tests_interop_gstate_tool_SOURCES = tests/interop/gstate_tool.c
tests_interop_gstate_tool_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_interop_gstate_tool_LDADD = $(SIG_TEST_LIBS)
TESTS += tests/interop/groups-state.js
EXTRA_DIST += tests/interop/groups-state.js
FUZZ_LIST += fuzz_sig_group
fuzz_sig_group_FUZZ_SRCS = $(SIG_FUZZ_BASE) module/signal/client/sig_gstate.c \
	module/signal/proto/Groups.pb-c.c module/signal/crypto/sc_group.c module/signal/crypto/sc_sho.c
EXTRA_DIST += tests/fuzz/fuzz_sig_group.c
UNIT_TESTS += tests/unit/signal/client/test_sig_groups
check_PROGRAMS += tests/unit/signal/client/test_sig_groups
tests_unit_signal_client_test_sig_groups_SOURCES = tests/unit/signal/client/test_sig_groups.c
tests_unit_signal_client_test_sig_groups_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_groups_LDADD = $(SIG_TEST_LIBS)
TESTS += tests/e2e/signal-groups.js
EXTRA_DIST += tests/e2e/signal-groups.js

# --- the send log and retry requests to us (issue #11) -----------------------
TESTS += tests/e2e/signal-resend.js
EXTRA_DIST += tests/e2e/signal-resend.js
# 1:1 sends sealed with the contact's access key, identified on a 401 (#15)
TESTS += tests/e2e/signal-sealed.js
EXTRA_DIST += tests/e2e/signal-sealed.js
UNIT_TESTS += tests/unit/signal/client/test_sig_sendlog
check_PROGRAMS += tests/unit/signal/client/test_sig_sendlog
tests_unit_signal_client_test_sig_sendlog_SOURCES = tests/unit/signal/client/test_sig_sendlog.c
tests_unit_signal_client_test_sig_sendlog_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_sendlog_LDADD = $(SIG_TEST_LIBS)
UNIT_TESTS += tests/unit/signal/client/test_sig_skinfo
check_PROGRAMS += tests/unit/signal/client/test_sig_skinfo
tests_unit_signal_client_test_sig_skinfo_SOURCES = tests/unit/signal/client/test_sig_skinfo.c
tests_unit_signal_client_test_sig_skinfo_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_skinfo_LDADD = $(SIG_TEST_LIBS)
FUZZ_LIST += fuzz_sig_dem
fuzz_sig_dem_FUZZ_SRCS = $(SIG_FUZZ_BASE)
EXTRA_DIST += tests/fuzz/fuzz_sig_dem.c

# --- message-history transfer at link ("link and sync", issue #14) ----------
libsbclient_la_SOURCES += module/signal/client/sig_history.h module/signal/client/sig_history.c \
	module/signal/client/sig_backup.c
nodist_libsbclient_la_SOURCES += module/signal/proto/Backup.pb-c.c module/signal/proto/Backup.pb-c.h
UNIT_TESTS += tests/unit/signal/client/test_sig_history
check_PROGRAMS += tests/unit/signal/client/test_sig_history
tests_unit_signal_client_test_sig_history_SOURCES = tests/unit/signal/client/test_sig_history.c
tests_unit_signal_client_test_sig_history_CPPFLAGS = $(SIG_TEST_CPPFLAGS)
tests_unit_signal_client_test_sig_history_LDADD = $(SIG_TEST_LIBS) $(ZLIB_LIBS)
TESTS += tests/e2e/signal-history.js
EXTRA_DIST += tests/e2e/signal-history.js tests/lib/backup-archive.js
FUZZ_LIST += fuzz_sig_history
fuzz_sig_history_FUZZ_SRCS = $(SIG_FUZZ_BASE) module/signal/client/sig_history.c \
	module/signal/proto/Backup.pb-c.c
