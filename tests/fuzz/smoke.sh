#!/bin/sh
# Build every registered libFuzzer target with clang (ASan + UBSan) and run it
# briefly on its seed corpus. FUZZ_SPEC is "name:src1+src2 ..." (see
# Makefile.am). A crash, leak or sanitizer report fails the test.
set -u
spec=${FUZZ_SPEC:-}
secs=${FUZZ_SECONDS:-5}
if [ -z "$spec" ]; then
  echo "SKIP: no fuzz targets registered yet"; exit 77
fi
if [ -z "${CLANG:-}" ] || [ "$CLANG" = no ] || ! echo 'int LLVMFuzzerTestOneInput(const unsigned char*d,unsigned long n){(void)d;(void)n;return 0;}' \
     | "$CLANG" -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "SKIP: clang with libFuzzer not found (install clang and libclang-rt-14-dev); fuzz targets NOT run"
  exit 77
fi
out=${top_builddir:-.}/tests/fuzz/bin
mkdir -p "$out"
fail=0
for entry in $spec; do
  name=${entry%%:*}
  srcs=$(echo "${entry#*:}" | tr '+' ' ')
  paths=""
  for s in $srcs; do
    case $s in /*) paths="$paths $s";; *) if [ -f "$top_srcdir/$s" ]; then paths="$paths $top_srcdir/$s"; else paths="$paths $top_builddir/$s"; fi;; esac
  done
  # shellcheck disable=SC2086
  if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -DFUZZING $FUZZ_CFLAGS -o "$out/$name" "$top_srcdir/tests/fuzz/$name.c" $paths $FUZZ_LIBS \
       > "$out/$name.build.log" 2>&1; then
    echo "FAIL: $name does not build:"; cat "$out/$name.build.log"; fail=1; continue
  fi
  corpus="$out/$name.corpus"; mkdir -p "$corpus"
  seeds="$top_srcdir/tests/fuzz/corpus/$name"
  if "$out/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) > "$out/$name.run.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.run.log" | grep -o '[0-9]*$')
    echo "PASS: fuzz $name (${runs:-?} runs in ${secs}s)"
  else
    echo "FAIL: fuzz $name:"; tail -60 "$out/$name.run.log"; fail=1
  fi
done
exit $fail
