# shim/common: code the shims share (mxhs and mxm-appservice), never the
# module: the YAML reader of their config files. Includes nothing of the
# project (tools/check-deps.sh, layer "shimcommon").
noinst_LTLIBRARIES += libshimcommon.la
libshimcommon_la_SOURCES = shim/common/shim_yaml.h shim/common/shim_yaml.c
libshimcommon_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/shim/common $(JANSSON_CFLAGS) \
	$(YAML_CFLAGS)
libshimcommon_la_LIBADD = $(JANSSON_LIBS) $(YAML_LIBS)
