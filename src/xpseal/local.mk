# src/xpseal: the tool, its tests and pages (included by Makefile.am)
bin_PROGRAMS += src/xpseal/xpseal
src_xpseal_xpseal_SOURCES = src/xpseal/main.c
src_xpseal_xpseal_LDADD = $(XP_LIBS)

TESTS += tests/cli/seal-roundtrip.sh
EXTRA_DIST += tests/cli/seal-roundtrip.sh
TESTS += tests/cli/seal-tamper.sh
EXTRA_DIST += tests/cli/seal-tamper.sh
TESTS += tests/cli/seal-passwd.sh tests/cli/seal-errors.sh tests/cli/seal-rekey.sh tests/cli/attack-rekey.sh
EXTRA_DIST += tests/cli/seal-passwd.sh tests/cli/seal-errors.sh tests/cli/seal-rekey.sh tests/cli/attack-rekey.sh
dist_man_MANS += man/xpseal.1 man/xpseal.5
TESTS += tests/cli/seal-interrupted.sh
EXTRA_DIST += tests/cli/seal-interrupted.sh
TESTS += tests/cli/attack-journal.sh
EXTRA_DIST += tests/cli/attack-journal.sh
TESTS += tests/cli/attack-trust.sh tests/cli/seal-trust.sh
EXTRA_DIST += tests/cli/attack-trust.sh tests/cli/seal-trust.sh tests/cli/fixtures/repo-v1
TESTS += tests/cli/seal-require-dump.sh
EXTRA_DIST += tests/cli/seal-require-dump.sh
# A range of partitions opened as one dump stream; the drill over partitions.
TESTS += tests/cli/seal-range.sh
EXTRA_DIST += tests/cli/seal-range.sh
# The round trips and tamper cases every build passes, the Windows one under wine too.
TESTS += tests/cli/portable.sh
EXTRA_DIST += tests/cli/portable.sh
WINE_SH_TESTS += tests/cli/portable.sh
# Repositories carried between two hosts both ways (under wine: the Linux build and the .exe).
TESTS += tests/cli/portable-carry.sh
EXTRA_DIST += tests/cli/portable-carry.sh
WINE_SH_TESTS += tests/cli/portable-carry.sh
# The worker paths (ranges, erasure rewrite, vault and shred, directory copies) and the pins'
# tamper cases; paths with spaces, non-ASCII letters, and (under wine) drive letters.
TESTS += tests/cli/portable-workers.sh tests/cli/portable-paths.sh
EXTRA_DIST += tests/cli/portable-workers.sh tests/cli/portable-paths.sh
WINE_SH_TESTS += tests/cli/portable-workers.sh tests/cli/portable-paths.sh
# The owner named as each system names it (uid on POSIX, the account on Windows).
TESTS += tests/cli/portable-owner.sh
EXTRA_DIST += tests/cli/portable-owner.sh
WINE_SH_TESTS += tests/cli/portable-owner.sh
