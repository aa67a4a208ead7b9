# libmxmhost: loads and hosts mxm modules (used by mxhs, installed for others).
lib_LTLIBRARIES += libmxmhost.la
include_HEADERS += shim/host/mxmhost.h
libmxmhost_la_SOURCES = \
	shim/host/host_internal.h \
	shim/host/host_api.c \
	shim/host/host_load.c
libmxmhost_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/shim/host $(EVENT_CFLAGS)
libmxmhost_la_LIBADD = $(EVENT_LIBS) $(DL_LIBS) $(PTHREAD_LIBS)
libmxmhost_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0
