# tests/e2e: rules for this subsystem, its unit tests, fuzz targets and benchmarks.
TESTS += tests/e2e/mxhs_js.js
EXTRA_DIST += tests/e2e/mxhs_harness.js tests/e2e/mxhs_js.js
TESTS += tests/e2e/mxhs_nio.js
EXTRA_DIST += tests/e2e/mxhs_nio.js tests/e2e/mxhs_nio.py

# The bridge driven through a real Matrix client on mxhs.
TESTS += tests/e2e/bridge_bot.js tests/e2e/bridge_journey.js tests/e2e/bridge_more.js
EXTRA_DIST += tests/e2e/bridge_bot.js tests/e2e/bridge_journey.js tests/e2e/bridge_more.js
