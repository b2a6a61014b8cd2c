# src/xperase: the erasure ledger's tool (src/lib/repo/erase), its tests and page (included by
# Makefile.am)
bin_PROGRAMS += src/xperase/xperase
src_xperase_xperase_SOURCES = src/xperase/main.c
src_xperase_xperase_LDADD = $(XP_LIBS)

TESTS += tests/cli/erase.sh tests/cli/erase-journal.sh tests/cli/erase-drill.sh tests/cli/erase-dump.sh \
	tests/cli/erase-names.sh tests/cli/erase-drivers.sh
EXTRA_DIST += tests/cli/erase-lib.sh tests/cli/erase.sh tests/cli/erase-journal.sh tests/cli/erase-drill.sh tests/cli/erase-dump.sh \
	tests/cli/erase-names.sh tests/cli/erase-drivers.sh
dist_man_MANS += man/xperase.1
