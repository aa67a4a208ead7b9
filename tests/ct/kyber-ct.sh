#!/bin/sh
# Constant-time check of sc_kyber with valgrind (ctgrind method): see
# tests/ct/ct_kyber.c. SKIP (exit 77) when valgrind or the program (built
# only when valgrind/memcheck.h exists) is missing.
prog="${top_builddir:-.}/tests/ct/ct_kyber"
vg="${VALGRIND_BIN:-valgrind}"
if ! command -v "$vg" >/dev/null 2>&1; then
  echo "SKIP: valgrind not found: constant-time check of sc_kyber NOT run"; exit 77
fi
if [ ! -x "$prog" ]; then
  echo "SKIP: $prog not built: constant-time check NOT run"; exit 77
fi
out=$("$prog" probe 2>/dev/null); rc=$?
if [ $rc -eq 77 ]; then
  echo "$out: constant-time check of sc_kyber NOT run"; exit 77
fi
run() { "$vg" -q --error-exitcode=42 --track-origins=yes "$prog" "$1"; }

# positive control: the harness must see a deliberate secret branch
run leak 2>/dev/null
rc=$?
if [ $rc -ne 42 ]; then
  echo "FAIL: valgrind did not flag the deliberate leak (rc $rc): the check is blind"; exit 1
fi
# both SHAKE paths: AVX2 batches (default where available) and OpenSSL only
for path in default openssl-only; do
  if [ $path = openssl-only ]; then SC_KYBER_NO_AVX2=1; export SC_KYBER_NO_AVX2; fi
  run kem
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL ($path path): secret-dependent branch or index in sc_kyber (valgrind rc $rc, report above)"; exit 1
  fi
  echo "ok ($path path): keygen, encaps, decaps (valid and forged) show no secret-dependent branch or index"
done
