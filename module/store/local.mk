# module/store (st_): the module's SQLite database, migrations, records.
noinst_LTLIBRARIES += libsbstore.la
ST_MIGRATIONS = module/store/migrations/001-records.sql \
	module/store/migrations/002-signal-inbox.sql \
	module/store/migrations/003-bridge.sql \
	module/store/migrations/004-bridge-media.sql
ST_MIGRATIONS += module/store/migrations/005-bridge-groups.sql
ST_MIGRATIONS += module/store/migrations/006-bridge-relations.sql
ST_MIGRATIONS += module/store/migrations/007-bridge-blocked.sql
ST_MIGRATIONS += module/store/migrations/008-signal-sendlog.sql
ST_MIGRATIONS += module/store/migrations/009-bridge-seen.sql
ST_MIGRATIONS += module/store/migrations/010-bridge-outbox.sql
# who was told they lost access (issue #12, Deliver 6)
ST_MIGRATIONS += module/store/migrations/011-bridge-access.sql
# formatting, mentions, quotes of bridged text (issue #17)
ST_MIGRATIONS += module/store/migrations/012-bridge-format.sql
# ghosts' avatars (issue #13 item 5)
ST_MIGRATIONS += module/store/migrations/013-bridge-avatar.sql
# disappearing messages (issue #14 item 3)
ST_MIGRATIONS += module/store/migrations/014-bridge-expire.sql
# voice notes, GIFs and stickers sent from Matrix, edits' formatting
# (issue #17 items 5, formatting in edits); applied after 014
ST_MIGRATIONS += module/store/migrations/015-bridge-media-flags.sql
# polls started in Matrix and the user's votes (issue #17 item 6)
ST_MIGRATIONS += module/store/migrations/016-bridge-polls.sql
# the last vote count of each Signal voter on a poll (issue #17 item 6)
ST_MIGRATIONS += module/store/migrations/017-bridge-poll-seen.sql
# group avatars (issue #13); 018: main took 017 first
ST_MIGRATIONS += module/store/migrations/018-bridge-group-avatar.sql
# group sends with sender keys: distribution ids and who holds our key
# (issue #15 item 2)
ST_MIGRATIONS += module/store/migrations/019-signal-senderkey.sql
# every Matrix event of a disappearing Signal message (issue #17)
ST_MIGRATIONS += module/store/migrations/020-bridge-expire-events.sql
libsbstore_la_SOURCES = module/store/st_db.h module/store/st_db.c \
	module/store/st_records.h module/store/st_records.c \
	module/store/st_fault.h module/store/st_fault.c
nodist_libsbstore_la_SOURCES = module/store/st_migrations.c
libsbstore_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/store $(SQLITE_CFLAGS)
libsbstore_la_CFLAGS = $(AM_CFLAGS) -fPIC
libsbstore_la_LIBADD = $(SQLITE_LIBS)
CLEANFILES += module/store/st_migrations.c
EXTRA_DIST += module/store/sql2c.sh $(ST_MIGRATIONS)
module/store/st_migrations.c: $(ST_MIGRATIONS:%=$(top_srcdir)/%) $(top_srcdir)/module/store/sql2c.sh
	$(AM_V_GEN)$(MKDIR_P) module/store && $(SHELL) $(top_srcdir)/module/store/sql2c.sh $@ $(ST_MIGRATIONS:%=$(top_srcdir)/%)

UNIT_TESTS += tests/unit/store/test_st_db
check_PROGRAMS += tests/unit/store/test_st_db
tests_unit_store_test_st_db_SOURCES = tests/unit/store/test_st_db.c
tests_unit_store_test_st_db_CPPFLAGS = $(UNIT_CPPFLAGS) -I$(top_srcdir)/module/common -I$(top_srcdir)/module/store $(SQLITE_CFLAGS)
tests_unit_store_test_st_db_LDADD = libsbstore.la libsbcommon.la $(UNIT_LIBS) $(SQLITE_LIBS)
