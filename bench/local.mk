# bench: rules for this subsystem, its unit tests, fuzz targets and benchmarks.
# mxhs (shim/homeserver): send throughput and /sync wake-up latency.
BENCH_LIST += mxhs echo.la
BENCH_RUN += bench/hs_bench.sh
EXTRA_DIST += bench/hs_bench.sh bench/hs_bench.js
