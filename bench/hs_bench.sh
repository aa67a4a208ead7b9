#!/bin/sh
# mxhs benchmark: send events/s and /sync wake-up latency (see hs_bench.js).
# Run by `make bench` with top_builddir and NODE_PATH set; never a test.
set -e
exec "${NODE:-node}" "${top_srcdir:-.}/bench/hs_bench.js" "${HS_BENCH_CLIENTS:-16}" "${HS_BENCH_SECONDS:-3}"
