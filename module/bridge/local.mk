# module/bridge: rules for this subsystem, its unit tests, fuzz targets and benchmarks.
