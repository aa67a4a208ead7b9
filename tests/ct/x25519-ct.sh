#!/bin/sh
# Constant-time check of sc_prim (X25519, XEdDSA signing) with valgrind
# (ctgrind method): see
# tests/ct/ct_x25519.c. SKIP (exit 77) when valgrind or the program (built
# only when valgrind/memcheck.h exists) is missing.
prog="${top_builddir:-.}/tests/ct/ct_x25519"
vg="${VALGRIND_BIN:-valgrind}"
if ! command -v "$vg" >/dev/null 2>&1; then
  echo "SKIP: valgrind not found: constant-time check of sc_prim X25519 NOT run"; exit 77
fi
if [ ! -x "$prog" ]; then
  echo "SKIP: $prog not built: constant-time check NOT run"; exit 77
fi
out=$("$prog" probe 2>/dev/null); rc=$?
if [ $rc -eq 77 ]; then
  echo "$out: constant-time check of sc_prim X25519 NOT run"; exit 77
fi
supp="${top_srcdir:-.}/tests/ct/x25519-ct.supp"
run() { "$vg" -q --error-exitcode=42 --track-origins=yes --suppressions="$supp" "$prog" "$1"; }

# positive control: the harness must see a deliberate secret branch
run leak 2>/dev/null
rc=$?
if [ $rc -ne 42 ]; then
  echo "FAIL: valgrind did not flag the deliberate leak (rc $rc): the check is blind"; exit 1
fi
run ops
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: secret-dependent branch or index in X25519 or XEdDSA signing (valgrind rc $rc, report above)"; exit 1
fi
echo "ok: X25519 public key, agreement (valid and small-order peer) and XEdDSA signing show no secret-dependent branch or index"
