# The plugin ABI: one installed header, <mxm/module.h>.
mxmincludedir = $(includedir)/mxm
mxminclude_HEADERS = include/mxm/module.h
