# src/xpverify: the tool, its tests and page (included by Makefile.am)
bin_PROGRAMS += src/xpverify/xpverify
src_xpverify_xpverify_SOURCES = src/xpverify/main.c src/xpverify/against-run.c src/xpverify/against-run.h
src_xpverify_xpverify_LDADD = $(XP_LIBS)
dist_man_MANS += man/xpverify.1
TESTS += tests/cli/verify-deep.sh
EXTRA_DIST += tests/cli/verify-deep.sh
TESTS += tests/cli/verify-drill.sh
EXTRA_DIST += tests/cli/verify-drill.sh
TESTS += tests/cli/verify-truth.sh
EXTRA_DIST += tests/cli/verify-truth.sh
TESTS += tests/cli/sign-xpverify.sh
EXTRA_DIST += tests/cli/sign-xpverify.sh
# Partitions against their source: rows changed, appeared or vanished since sealed.
TESTS += tests/cli/verify-against.sh
EXTRA_DIST += tests/cli/verify-against.sh
# A copy (xpcopy's registered target) checked with -r: nothing written to it or pinned from it.
TESTS += tests/cli/verify-copy.sh
EXTRA_DIST += tests/cli/verify-copy.sh
