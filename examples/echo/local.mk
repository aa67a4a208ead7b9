# The echo example module: exercises every slot of the mxm ABI.
module_LTLIBRARIES += echo.la
echo_la_SOURCES = examples/echo/echo.c
echo_la_CFLAGS = $(AM_CFLAGS) $(MODULE_CFLAGS) $(JANSSON_CFLAGS)
echo_la_LIBADD = $(JANSSON_LIBS) $(PTHREAD_LIBS)
echo_la_LDFLAGS = $(AM_LDFLAGS) $(MODULE_LDFLAGS)
