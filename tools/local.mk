# tools: project checks run by `make check`.
# The dependency rule between the layers (docs/ARCHITECTURE.md).
TESTS += tools/check-deps.sh
EXTRA_DIST += tools/check-deps.sh docs/ARCHITECTURE.md
