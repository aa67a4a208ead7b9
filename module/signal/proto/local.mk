# module/signal/proto: rules for this subsystem, its unit tests, fuzz targets and benchmarks.

# WebSocketResources.proto (signal/net): the websocket request/response
# envelope; its generated code is compiled into libsbnet.la.
BUILT_SOURCES += module/signal/proto/WebSocketResources.pb-c.h
EXTRA_DIST += module/signal/proto/WebSocketResources.proto
CLEANFILES += module/signal/proto/WebSocketResources.pb-c.c \
	module/signal/proto/WebSocketResources.pb-c.h

# SignalService / Provisioning / StorageService (signal/client): envelopes,
# content, provisioning, storage service and the upload form; compiled into
# libsbclient.la.
SP_PB_C = module/signal/proto/SignalService.pb-c.c module/signal/proto/Provisioning.pb-c.c \
	module/signal/proto/StorageService.pb-c.c
SP_PB_H = module/signal/proto/SignalService.pb-c.h module/signal/proto/Provisioning.pb-c.h \
	module/signal/proto/StorageService.pb-c.h
BUILT_SOURCES += $(SP_PB_H)
EXTRA_DIST += module/signal/proto/SignalService.proto module/signal/proto/Provisioning.proto \
	module/signal/proto/StorageService.proto
CLEANFILES += $(SP_PB_C) $(SP_PB_H)

# Groups.proto (signal/client, groups v2 state; issue #6): compiled into
# libsbclient.la.
BUILT_SOURCES += module/signal/proto/Groups.pb-c.h
EXTRA_DIST += module/signal/proto/Groups.proto
CLEANFILES += module/signal/proto/Groups.pb-c.c module/signal/proto/Groups.pb-c.h

# Backup.proto (signal/client, the message-backup subset read from a link's
# history transfer; issue #14): compiled into libsbclient.la.
BUILT_SOURCES += module/signal/proto/Backup.pb-c.h
EXTRA_DIST += module/signal/proto/Backup.proto
CLEANFILES += module/signal/proto/Backup.pb-c.c module/signal/proto/Backup.pb-c.h
