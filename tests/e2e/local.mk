# tests/e2e: rules for this subsystem, its unit tests, fuzz targets and benchmarks.
