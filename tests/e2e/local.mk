# tests/e2e: rules for this subsystem, its unit tests, fuzz targets and benchmarks.
TESTS += tests/e2e/mxhs_js.js
EXTRA_DIST += tests/e2e/mxhs_harness.js tests/e2e/mxhs_js.js
TESTS += tests/e2e/mxhs_nio.js
EXTRA_DIST += tests/e2e/mxhs_nio.js tests/e2e/mxhs_nio.py
TESTS += tests/e2e/mxhs_js_more.js
EXTRA_DIST += tests/e2e/mxhs_js_more.js tests/e2e/mxhs_graph.py
# A scriptable test module for mxhs's module hosting (mxhs_modules.js).
check_LTLIBRARIES += tests/e2e/hstest.la
tests_e2e_hstest_la_SOURCES = tests/e2e/hstest_mod.c
tests_e2e_hstest_la_CFLAGS = $(AM_CFLAGS) $(MODULE_CFLAGS) $(JANSSON_CFLAGS)
tests_e2e_hstest_la_LIBADD = $(JANSSON_LIBS)
tests_e2e_hstest_la_LDFLAGS = $(AM_LDFLAGS) $(MODULE_LDFLAGS) -rpath $(abs_builddir)
TESTS += tests/e2e/mxhs_modules.js
EXTRA_DIST += tests/e2e/mxhs_modules.js
TESTS += tests/e2e/mxhs_redeliver.js
EXTRA_DIST += tests/e2e/mxhs_redeliver.js
# Read rules, redaction auth, limits and files of mxhs (issue 13).
TESTS += tests/e2e/mxhs_rules.js
EXTRA_DIST += tests/e2e/mxhs_rules.js
# End-to-end encryption with matrix-js-sdk's Rust crypto (issue 13).
TESTS += tests/e2e/mxhs_e2ee.js
EXTRA_DIST += tests/e2e/mxhs_e2ee.js

# Crash and fault tests (issue #12): kill -9 of mxhs during bursts, seeded
# (CRASH_SEED), and Signal-side faults.
TESTS += tests/e2e/bridge_crash.js tests/e2e/bridge_faults.js tests/e2e/bridge_writefaults.js
EXTRA_DIST += tests/e2e/bridge_crash.js tests/e2e/bridge_faults.js tests/e2e/bridge_fault_lib.js \
	tests/e2e/bridge_writefaults.js

# The bridge driven through a real Matrix client on mxhs.
TESTS += tests/e2e/bridge_bot.js tests/e2e/bridge_journey.js tests/e2e/bridge_more.js
EXTRA_DIST += tests/e2e/bridge_bot.js tests/e2e/bridge_journey.js tests/e2e/bridge_more.js \
	tests/e2e/bridge_lib.js tests/e2e/bridge_contact_lib.js
TESTS += tests/e2e/bridge_notices.js
EXTRA_DIST += tests/e2e/bridge_notices.js
# Trust: Signal's pinned roots by default, ca_file otherwise, never the
# system store.
TESTS += tests/e2e/signal-tls.js tests/e2e/bridge_tls.js
EXTRA_DIST += tests/e2e/signal-tls.js tests/e2e/tls-lib.js tests/e2e/bridge_tls.js
# Attachments both ways through the bridge.
TESTS += tests/e2e/bridge_media.js
EXTRA_DIST += tests/e2e/bridge_media.js
# Group portals, chats from the phone's storage, Note to Self.
TESTS += tests/e2e/bridge_groups.js
EXTRA_DIST += tests/e2e/bridge_groups.js
# group changes made in Matrix reach Signal: name, topic, timer (PATCH /v2/groups)
TESTS += tests/e2e/bridge_gchange.js
EXTRA_DIST += tests/e2e/bridge_gchange.js
# group sends with sender keys and one multi-recipient request (issue #15)
TESTS += tests/e2e/bridge_senderkey.js
EXTRA_DIST += tests/e2e/bridge_senderkey.js
# a DM's messages and reactions sealed with the contact's access key (issue #15)
TESTS += tests/e2e/bridge_sealed.js
EXTRA_DIST += tests/e2e/bridge_sealed.js
# What a person sees: portal names, no guest access line, HTML notices,
# an answer to every command, well-known (issue #13 item 5).
TESTS += tests/e2e/bridge_persona.js
EXTRA_DIST += tests/e2e/bridge_persona.js
# group avatars, profiles of stored contacts, reserved portal rows (issue #13)
TESTS += tests/e2e/bridge_avatars.js
EXTRA_DIST += tests/e2e/bridge_avatars.js
# The bot explains link failures (409 at link, 499 for the device).
TESTS += tests/e2e/bridge_linkfail.js
EXTRA_DIST += tests/e2e/bridge_linkfail.js
# A QR code Signal expires is followed by a new one (issue #11).
TESTS += tests/e2e/bridge_linkqr.js
EXTRA_DIST += tests/e2e/bridge_linkqr.js
# What a person saw in a nheko trial (issue #13 item 5): QR redaction,
# own-account messages in Note to Self, nameless DMs named.
TESTS += tests/e2e/bridge_trial.js
EXTRA_DIST += tests/e2e/bridge_trial.js
# Permissions and `enabled` at every entry point and at start (issue #12).
TESTS += tests/e2e/bridge_access.js
EXTRA_DIST += tests/e2e/bridge_access.js
# The provisioning HTTP API, plain HTTP, linking end to end (issue #16).
TESTS += tests/e2e/bridge_provision.js
EXTRA_DIST += tests/e2e/bridge_provision.js
# A reconnect storm: 20 accounts' sockets dropped at once, handshakes
# bounded (issue #15 item 1; storm_lib.js is shared with the accounts bench).
TESTS += tests/e2e/bridge_storm.js
EXTRA_DIST += tests/e2e/bridge_storm.js tests/e2e/storm_lib.js
# At-least-once delivery: replayed events change nothing (issue 12).
TESTS += tests/e2e/bridge_replay.js
EXTRA_DIST += tests/e2e/bridge_replay.js
# The outbox waits for Signal; two owners in one group; m.direct (issue #12).
TESTS += tests/e2e/bridge_outbox.js
EXTRA_DIST += tests/e2e/bridge_outbox.js
# The phone's message history at link becomes rooms (issue #14).
TESTS += tests/e2e/bridge_history.js
EXTRA_DIST += tests/e2e/bridge_history.js tests/e2e/bridge_history_nio.py
# mxm-appservice: the echo module behind mxhs through the AS API (issue 16).
TESTS += tests/e2e/appservice.js
EXTRA_DIST += tests/e2e/appservice.js
TESTS += tests/e2e/appservice_puppet.js
EXTRA_DIST += tests/e2e/appservice_puppet.js tests/e2e/appservice_lib.js
# ... reaching the homeserver over https, the certificate verified (issue 16).
TESTS += tests/e2e/appservice_tls.js
EXTRA_DIST += tests/e2e/appservice_tls.js
# ... an event the module refuses for now: 500, the homeserver retries (issue #12).
TESTS += tests/e2e/appservice_refused.js
EXTRA_DIST += tests/e2e/appservice_refused.js
