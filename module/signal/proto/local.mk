# module/signal/proto: rules for this subsystem, its unit tests, fuzz targets and benchmarks.

# WebSocketResources.proto (signal/net): the websocket request/response
# envelope; its generated code is compiled into libsbnet.la.
BUILT_SOURCES += module/signal/proto/WebSocketResources.pb-c.h
EXTRA_DIST += module/signal/proto/WebSocketResources.proto
CLEANFILES += module/signal/proto/WebSocketResources.pb-c.c \
	module/signal/proto/WebSocketResources.pb-c.h
