# module/signal/net (sn_): TLS, HTTP/2, websockets (RFC 8441 and HTTP/1.1
# Upgrade, framed by wslay), the WebSocketMessage request layer, keepalive
# and reconnect. One convenience library on one libevent loop.
noinst_LTLIBRARIES += libsbnet.la
SN_SRCS = \
	module/signal/net/sn_err.h module/signal/net/sn_err.c module/signal/net/sn_agent.h \
	module/signal/net/sn_hdr.h module/signal/net/sn_hdr.c \
	module/signal/net/sn_backoff.h module/signal/net/sn_backoff.c \
	module/signal/net/sn_gate.h module/signal/net/sn_gate.c \
	module/signal/net/sn_wsmsg.h module/signal/net/sn_wsmsg.c \
	module/signal/net/sn_ws.h module/signal/net/sn_ws.c \
	module/signal/net/sn_h1ws.h module/signal/net/sn_h1ws.c \
	module/signal/net/sn_roots.h module/signal/net/sn_roots.c \
	module/signal/net/sn_tls.h module/signal/net/sn_tls.c \
	module/signal/net/sn_h2.h module/signal/net/sn_h2.c \
	module/signal/net/sn_grpc.h module/signal/net/sn_grpc.c \
	module/signal/net/sn_rpc.h module/signal/net/sn_rpc.c \
	module/signal/net/sn_sock.h module/signal/net/sn_sock.c \
	module/signal/net/sn_pool.h module/signal/net/sn_pool.c
libsbnet_la_SOURCES = $(SN_SRCS)
nodist_libsbnet_la_SOURCES = module/signal/proto/WebSocketResources.pb-c.c \
	module/signal/proto/WebSocketResources.pb-c.h
# libevent_openssl ships in libevent-dev with libevent itself (configure
# checks libevent); it provides the TLS bufferevents.
SN_EVENT_SSL_LIBS = -levent_openssl
SN_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/signal/net \
	-I$(top_builddir)/module/signal/proto $(SSL_CFLAGS) $(CRYPTO_CFLAGS) $(NGHTTP2_CFLAGS) \
	$(EVENT_CFLAGS) $(PROTOBUFC_CFLAGS)
libsbnet_la_CPPFLAGS = $(SN_CPPFLAGS)
libsbnet_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbnet_la_LIBADD = $(SSL_LIBS) $(CRYPTO_LIBS) $(NGHTTP2_LIBS) $(WSLAY_LIBS) \
	$(SN_EVENT_SSL_LIBS) $(EVENT_LIBS) $(PROTOBUFC_LIBS)

SN_TEST_CPPFLAGS = $(UNIT_CPPFLAGS) $(SN_CPPFLAGS)
SN_TEST_LIBS = libsbnet.la libsbcommon.la $(UNIT_LIBS) $(EVENT_LIBS) $(WSLAY_LIBS)

# --- unit tests (no network) ---------------------------------------------
SN_UNITS = tests/unit/signal/net/test_sn_hdr tests/unit/signal/net/test_sn_backoff \
	tests/unit/signal/net/test_sn_wsmsg tests/unit/signal/net/test_sn_ws \
	tests/unit/signal/net/test_sn_h1ws tests/unit/signal/net/test_sn_grpc \
	tests/unit/signal/net/test_sn_rpc tests/unit/signal/net/test_sn_h2 \
	tests/unit/signal/net/test_sn_tls tests/unit/signal/net/test_sn_gate
UNIT_TESTS += $(SN_UNITS)
check_PROGRAMS += $(SN_UNITS)
tests_unit_signal_net_test_sn_hdr_SOURCES = tests/unit/signal/net/test_sn_hdr.c
tests_unit_signal_net_test_sn_hdr_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_hdr_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_backoff_SOURCES = tests/unit/signal/net/test_sn_backoff.c
tests_unit_signal_net_test_sn_backoff_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_backoff_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_gate_SOURCES = tests/unit/signal/net/test_sn_gate.c
tests_unit_signal_net_test_sn_gate_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_gate_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_wsmsg_SOURCES = tests/unit/signal/net/test_sn_wsmsg.c
tests_unit_signal_net_test_sn_wsmsg_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_wsmsg_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_ws_SOURCES = tests/unit/signal/net/test_sn_ws.c
tests_unit_signal_net_test_sn_ws_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_ws_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_h1ws_SOURCES = tests/unit/signal/net/test_sn_h1ws.c
tests_unit_signal_net_test_sn_h1ws_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_h1ws_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_grpc_SOURCES = tests/unit/signal/net/test_sn_grpc.c
tests_unit_signal_net_test_sn_grpc_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_grpc_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_rpc_SOURCES = tests/unit/signal/net/test_sn_rpc.c
tests_unit_signal_net_test_sn_rpc_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_rpc_LDADD = $(SN_TEST_LIBS)
tests_unit_signal_net_test_sn_h2_SOURCES = tests/unit/signal/net/test_sn_h2.c
tests_unit_signal_net_test_sn_h2_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_h2_LDADD = $(SN_TEST_LIBS) $(NGHTTP2_LIBS)
tests_unit_signal_net_test_sn_tls_SOURCES = tests/unit/signal/net/test_sn_tls.c
tests_unit_signal_net_test_sn_tls_CPPFLAGS = $(SN_TEST_CPPFLAGS)
tests_unit_signal_net_test_sn_tls_LDADD = $(SN_TEST_LIBS) $(CRYPTO_LIBS)

# --- end-to-end against the unmodified mock server -------------------------
# tests/net/sn_probe: a small client on the real stack, driven by node tests.
check_PROGRAMS += tests/net/sn_probe
tests_net_sn_probe_SOURCES = tests/net/sn_probe.c
tests_net_sn_probe_CPPFLAGS = $(SN_CPPFLAGS)
tests_net_sn_probe_LDADD = libsbnet.la libsbcommon.la $(EVENT_LIBS)
TESTS += tests/net/net-provision.js tests/net/net-chat.js tests/net/net-http.js \
	tests/net/net-h1.js
EXTRA_DIST += tests/net/net-provision.js tests/net/net-chat.js tests/net/net-http.js \
	tests/net/net-h1.js tests/net/probe.js tests/lib/signal-mock.js tests/lib/signal-prodrules.js tests/lib/signal-gcs.js tests/lib/signal-profiles.js tests/lib/signal-groupavatars.js tests/lib/signal-multirecipient.js tests/lib/signal-groupchanges.js \
	module/signal/net/README.md tests/fuzz/fuzz_sn_wsmsg.c tests/fuzz/fuzz_sn_ws.c \
	tests/fuzz/fuzz_sn_h1ws.c tests/fuzz/fuzz_sn_h2.c

# --- fuzz targets ----------------------------------------------------------
FUZZ_LIST += fuzz_sn_wsmsg fuzz_sn_ws fuzz_sn_h1ws fuzz_sn_h2
fuzz_sn_wsmsg_FUZZ_SRCS = module/signal/net/sn_wsmsg.c module/signal/net/sn_hdr.c \
	module/signal/proto/WebSocketResources.pb-c.c module/common/ut.c module/common/ut_err.c
fuzz_sn_ws_FUZZ_SRCS = module/signal/net/sn_ws.c module/signal/net/sn_wsmsg.c \
	module/signal/net/sn_hdr.c module/signal/net/sn_err.c \
	module/signal/proto/WebSocketResources.pb-c.c module/common/ut.c module/common/ut_err.c
fuzz_sn_h1ws_FUZZ_SRCS = module/signal/net/sn_h1ws.c module/signal/net/sn_hdr.c \
	module/common/ut.c module/common/ut_err.c
fuzz_sn_h2_FUZZ_SRCS = module/signal/net/sn_h2.c module/signal/net/sn_gate.c module/signal/net/sn_ws.c \
	module/signal/net/sn_wsmsg.c module/signal/net/sn_hdr.c \
	module/signal/proto/WebSocketResources.pb-c.c module/common/ut.c module/common/ut_err.c
