# tests/e2e: rules for this subsystem, its unit tests, fuzz targets and benchmarks.
TESTS += tests/e2e/mxhs_js.js
EXTRA_DIST += tests/e2e/mxhs_harness.js tests/e2e/mxhs_js.js
TESTS += tests/e2e/mxhs_nio.js
EXTRA_DIST += tests/e2e/mxhs_nio.js tests/e2e/mxhs_nio.py
TESTS += tests/e2e/mxhs_js_more.js
EXTRA_DIST += tests/e2e/mxhs_js_more.js
