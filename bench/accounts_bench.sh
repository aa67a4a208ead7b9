#!/bin/sh
# Memory per idle linked account and one-message latency with many linked
# accounts in one mxhs process (see accounts_bench.js). Run by `make bench`;
# never a test. BENCH_ACCOUNTS_MAX: 1, 10, 100 or 1000 (the default).
set -e
exec "${NODE:-node}" "${top_srcdir:-.}/bench/accounts_bench.js" "${BENCH_ACCOUNTS_MAX:-1000}"
