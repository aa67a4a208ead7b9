# tools: project checks run by `make check`.
# The dependency rule between the layers (docs/ARCHITECTURE.md).
TESTS += tools/check-deps.sh
EXTRA_DIST += tools/check-deps.sh docs/ARCHITECTURE.md
# No SQL in the bridge outside its typed store (module/bridge/store).
TESTS += tools/check-sql.sh
EXTRA_DIST += tools/check-sql.sh
# The structure figures of issue #12 (docs/ARCHITECTURE.md, section 8):
# informational, run by hand, not by `make check`.
EXTRA_DIST += tools/structure-report.sh
