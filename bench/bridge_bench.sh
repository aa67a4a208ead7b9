#!/bin/sh
# signalbridge end to end: 1,000 messages each way with same-run baselines
# (see bridge_bench.js). Run by `make bench`; never a test.
set -e
exec "${NODE:-node}" "${top_srcdir:-.}/bench/bridge_bench.js" "${BRIDGE_BENCH_MESSAGES:-1000}"
