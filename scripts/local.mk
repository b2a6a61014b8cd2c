# scripts: setup, the cron job and benchmarks
EXTRA_DIST += scripts/setup
EXTRA_DIST += examples/demo
# The restore drill, installed as xpbackup-drill, its page, and the test that installs the tree.
dist_bin_SCRIPTS += scripts/xpbackup-drill
dist_man_MANS += man/xpbackup-drill.1
TESTS += tests/cli/install.sh
EXTRA_DIST += tests/cli/install.sh
# The static libraries of the Windows cross build, and the Windows stage of CI (README.md
# "Windows (in progress)").
dist_noinst_SCRIPTS += scripts/build-mingw-deps scripts/ci-windows
# xperase --rewrite of a 1M-row backup against xpseal open | xpseal of the same backup.
dist_noinst_SCRIPTS += scripts/bench-rewrite
# build-mingw-deps' cache decision (--check), without building.
TESTS += tests/cli/mingw-deps-cache.sh
EXTRA_DIST += tests/cli/mingw-deps-cache.sh
