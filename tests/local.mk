# tests: shared unit tests of src/lib/util and the shell test library
check_PROGRAMS += tests/unit/util
tests_unit_util_LDADD = $(XP_LIBS)
TESTS += tests/unit/util
EXTRA_DIST += tests/valgrind-wrap tests/valgrind.supp
TESTS += tests/cli/seal-require-dump.sh
EXTRA_DIST += tests/cli/seal-require-dump.sh
TESTS += tests/cli/demo.sh
EXTRA_DIST += tests/cli/demo.sh
TESTS += tests/cli/cli-rules.sh
EXTRA_DIST += tests/cli/cli-rules.sh
