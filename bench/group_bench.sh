#!/bin/sh
# One message to a 50-member group: sender key + one multi-recipient
# request against 1:1 to each member, in the same run (see group_bench.js).
# Run by `make bench`; never a test. GROUP_BENCH_MEMBERS (50),
# GROUP_BENCH_MESSAGES (5).
set -e
exec "${NODE:-node}" "${top_srcdir:-.}/bench/group_bench.js" "${GROUP_BENCH_MEMBERS:-50}"
