#!/bin/sh
# signalbridge.so must export exactly the two mxm symbols (STYLE.md §28).
so="$top_builddir/.libs/signalbridge.so"
[ -f "$so" ] || { echo "FAIL: $so not built"; exit 1; }
got=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort | tr '\n' ' ')
want="mxm_module_descriptor mxm_module_init "
if [ "$got" = "$want" ]; then
  echo "PASS: exports are: $got"
  exit 0
fi
echo "FAIL: exports are: $got (want: $want)"
exit 1
