# bench: rules for this subsystem, its unit tests, fuzz targets and benchmarks.

# Every bench script records its figures through bench/results.js;
# bench/report.js writes them to bench/results/latest.md (see bench/README.md).
EXTRA_DIST += bench/README.md bench/results.js bench/report.js bench/results/latest.md bench/hs_config.js

# bench/crypto: signal/crypto operations in C next to libsignal 0.100 (and
# other JS references) measured by Node in the same run. Each crypto part
# adds its C rows in bench/crypto_<part>.c (bench_<part>_ops[], see
# bench/crypto.h; add the file with bench_crypto_SOURCES += ...) and its
# Node baselines in bench/crypto-node-<part>.js (found automatically).
EXTRA_PROGRAMS += bench/crypto
BENCH_LIST += bench/crypto
BENCH_RUN += bench/crypto.sh
bench_crypto_SOURCES = bench/crypto.h bench/crypto.c bench/crypto_kyber.c bench/crypto_prim.c \
	bench/crypto_session.c bench/crypto_sealed.c
bench_crypto_CPPFLAGS = $(SC_CPPFLAGS) -I$(top_srcdir)/bench
bench_crypto_LDADD = libsbcrypto.la libsbcommon.la
EXTRA_DIST += bench/crypto.sh bench/crypto-node.js bench/crypto-node-kyber.js \
	bench/crypto-node-session.js bench/crypto-node-sealed.js bench/libsignal-stores.js

# mxhs (shim/homeserver): send throughput and /sync wake-up latency.
BENCH_LIST += mxhs echo.la
BENCH_RUN += bench/hs_bench.sh
EXTRA_DIST += bench/hs_bench.sh bench/hs_bench.js

# signalbridge end to end (bench/bridge_bench.js): Signal <-> Matrix through
# mxhs, the module and Signal's mock, against Matrix-only and Signal-only
# baselines measured in the same run.
BENCH_LIST += mxhs signalbridge.la
BENCH_RUN += bench/bridge_bench.sh
EXTRA_DIST += bench/bridge_bench.sh bench/bridge_bench.js

# Many linked accounts in one process (bench/accounts_bench.js): mxhs's
# VmRSS after 1, 10, 100 and 1,000 idle accounts linked through the
# provisioning API against Signal's mock, the slope per account against the
# 256 KiB goal of issue #15, and one message's latency with the others idle.
BENCH_LIST += mxhs signalbridge.la
BENCH_RUN += bench/accounts_bench.sh
EXTRA_DIST += bench/accounts_bench.sh bench/accounts_bench.js

# One message to a 50-member group (bench/group_bench.js): our sender key
# and one sealed sender v2 multi-recipient request against one 1:1 send per
# member (signal.sender_keys: false), both in the same run (issue #15).
BENCH_LIST += mxhs signalbridge.la
BENCH_RUN += bench/group_bench.sh
EXTRA_DIST += bench/group_bench.sh bench/group_bench.js
