# src/xpverify: sources, tests and pages of this area (included by Makefile.am)
bin_PROGRAMS += src/xpverify/xpverify
src_xpverify_xpverify_SOURCES = src/xpverify/main.c src/xpverify/against-run.c src/xpverify/against-run.h
src_xpverify_xpverify_LDADD = $(XP_LIBS)
dist_man_MANS += man/xpverify.1
src_lib_libxp_a_SOURCES += src/lib/verify.c src/lib/verify.h
TESTS += tests/cli/verify-deep.sh
EXTRA_DIST += tests/cli/verify-deep.sh
TESTS += tests/cli/verify-drill.sh
EXTRA_DIST += tests/cli/verify-drill.sh
TESTS += tests/cli/verify-truth.sh
EXTRA_DIST += tests/cli/verify-truth.sh
check_PROGRAMS += tests/unit/verify
tests_unit_verify_LDADD = $(XP_LIBS)
TESTS += tests/unit/verify
# Partitions against their source: rows changed, appeared or vanished since sealed.
TESTS += tests/cli/verify-against.sh
EXTRA_DIST += tests/cli/verify-against.sh
