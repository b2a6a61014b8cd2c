# src/lib/catalog.mk: sources, tests and pages of this area (included by Makefile.am)
# The repository's layout: every path under REPO and how its files are opened.
src_lib_libxp_a_SOURCES += src/lib/repo.c src/lib/repo.h
check_PROGRAMS += tests/unit/repo
tests_unit_repo_LDADD = $(XP_LIBS)
TESTS += tests/unit/repo
# Attacks through the storage: links, FIFOs, forged journal lines, -o into others' hands.
TESTS += tests/cli/attack-files.sh
EXTRA_DIST += tests/cli/attack-files.sh

src_lib_libxp_a_SOURCES += src/lib/catalog.c src/lib/catalog.h src/lib/catalog-int.h \
	src/lib/catalog-ops.c src/lib/catalog-recover.c \
	src/lib/catalog-discard.c src/lib/catalog-check.c src/lib/journal.c src/lib/journal.h \
	src/lib/trust.c src/lib/trust.h src/lib/rekey.c src/lib/rekey.h \
	src/lib/vault.c src/lib/vault.h

check_PROGRAMS += tests/unit/catalog
tests_unit_catalog_LDADD = $(XP_LIBS)
TESTS += tests/unit/catalog

# Test helper for the crash and concurrency tests: the catalog API, one operation per run.
check_PROGRAMS += tests/unit/catalog-tool
tests_unit_catalog_tool_LDADD = $(XP_LIBS)
TESTS += tests/cli/crash-catalog.sh tests/cli/crash-kill.sh tests/cli/concurrency-catalog.sh \
	tests/cli/catalog-verify.sh tests/cli/catalog-fulldisk.sh
EXTRA_DIST += tests/cli/crash-catalog.sh tests/cli/crash-kill.sh tests/cli/crash-lib.sh \
	tests/cli/concurrency-catalog.sh tests/cli/catalog-verify.sh tests/cli/catalog-fulldisk.sh

# The key vault: where shreddable backups' keys live, its copies, shredding them everywhere.
TESTS += tests/cli/vault-shred.sh tests/cli/vault-copies.sh tests/cli/vault-migrate.sh
EXTRA_DIST += tests/cli/vault-shred.sh tests/cli/vault-copies.sh tests/cli/vault-migrate.sh
