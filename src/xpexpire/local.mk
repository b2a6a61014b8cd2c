# src/xpexpire: the tool, its tests and page (included by Makefile.am)
bin_PROGRAMS += src/xpexpire/xpexpire
src_xpexpire_xpexpire_SOURCES = src/xpexpire/main.c
src_xpexpire_xpexpire_LDADD = $(XP_LIBS)
TESTS += tests/cli/expire-policy.sh
EXTRA_DIST += tests/cli/expire-fixture.sh tests/cli/expire-policy.sh
TESTS += tests/cli/expire-hold.sh
EXTRA_DIST += tests/cli/expire-hold.sh
dist_noinst_SCRIPTS += scripts/bench-expire
dist_man_MANS += man/xpexpire.1
TESTS += tests/cli/expire-real.sh
EXTRA_DIST += tests/cli/expire-real.sh
TESTS += tests/cli/expire-crash.sh
EXTRA_DIST += tests/cli/expire-crash.sh
TESTS += tests/cli/expire-unlink.sh
EXTRA_DIST += tests/cli/expire-unlink.sh
