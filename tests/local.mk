# tests: the shell test library and the valgrind wrapper; each module's and tool's tests are
# registered beside its code.
EXTRA_DIST += tests/valgrind-wrap tests/valgrind.supp tests/wine-wrap
# The layers of src/lib point one way (the order is in scripts/check-layers).
dist_noinst_SCRIPTS += scripts/check-layers
TESTS += tests/cli/layers.sh
EXTRA_DIST += tests/cli/layers.sh
