#!/bin/sh
# Constant-time check of sc_lizard's forward maps with valgrind (ctgrind
# method): see tests/ct/ct_zkgroup.c. SKIP (exit 77) when valgrind or
# valgrind/memcheck.h is missing, or under ASan.
prog="${top_builddir:-.}/tests/ct/ct_zkgroup"
vg="${VALGRIND_BIN:-valgrind}"
if ! command -v "$vg" >/dev/null 2>&1; then
  echo "SKIP: valgrind not found: constant-time check of sc_lizard NOT run"; exit 77
fi
if [ ! -x "$prog" ]; then
  echo "SKIP: $prog not built: constant-time check NOT run"; exit 77
fi
out=$("$prog" probe 2>/dev/null); rc=$?
if [ $rc -eq 77 ]; then
  echo "$out: constant-time check of sc_lizard NOT run"; exit 77
fi
run() { "$vg" -q --error-exitcode=42 --track-origins=yes "$prog" "$1"; }

# positive control: the harness must see a deliberate secret branch
run leak 2>/dev/null
rc=$?
if [ $rc -ne 42 ]; then
  echo "FAIL: valgrind did not flag the deliberate leak (rc $rc): the check is blind"; exit 1
fi
run maps
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: secret-dependent branch or index in sc_lizard_map/encode (valgrind rc $rc, report above)"; exit 1
fi
echo "ok: sc_lizard_map and sc_lizard_encode show no secret-dependent branch or index"
