# src/lib/repo: the repository (layout, keys, catalog, journal, trust pins, rekey, policy,
# verify, sealing into it); over db, crypto, stream and base.
src_lib_libxp_a_SOURCES += src/lib/repo/repo.c src/lib/repo/repo.h \
	src/lib/repo/keys.c src/lib/repo/keys.h src/lib/repo/keys-int.h src/lib/repo/keys-rotate.c \
	src/lib/repo/catalog.c src/lib/repo/catalog.h src/lib/repo/catalog-int.h \
	src/lib/repo/catalog-ops.c src/lib/repo/catalog-recover.c src/lib/repo/catalog-erase.c \
	src/lib/repo/catalog-keys.c \
	src/lib/repo/catalog-discard.c src/lib/repo/catalog-check.c \
	src/lib/repo/journal.c src/lib/repo/journal.h \
	src/lib/repo/trust.c src/lib/repo/trust.h src/lib/repo/rekey.c src/lib/repo/rekey.h \
	src/lib/repo/policy.c src/lib/repo/policy.h src/lib/repo/verify.c src/lib/repo/verify.h \
	src/lib/repo/seal-repo.c src/lib/repo/seal-repo.h \
	src/lib/repo/partition.c src/lib/repo/partition.h src/lib/repo/catalog-parts.c \
	src/lib/repo/range.c src/lib/repo/range.h src/lib/repo/against.c src/lib/repo/against.h \
	src/lib/repo/erase.c src/lib/repo/erase.h src/lib/repo/erase-filter.c \
	src/lib/repo/erase-rewrite.c \
	src/lib/repo/erase-names.c src/lib/repo/erase-ledger.c src/lib/repo/erase-ledger.h \
	src/lib/repo/vault.c src/lib/repo/vault.h

check_PROGRAMS += tests/unit/repo/repo tests/unit/repo/keys tests/unit/repo/catalog \
	tests/unit/repo/policy tests/unit/repo/verify
tests_unit_repo_repo_LDADD = $(XP_LIBS)
tests_unit_repo_keys_LDADD = $(XP_LIBS)
tests_unit_repo_catalog_LDADD = $(XP_LIBS)
tests_unit_repo_policy_LDADD = $(XP_LIBS)
tests_unit_repo_verify_LDADD = $(XP_LIBS)
TESTS += tests/unit/repo/repo tests/unit/repo/keys tests/unit/repo/catalog \
	tests/unit/repo/policy tests/unit/repo/verify
WINE_TESTS += tests/unit/repo/repo tests/unit/repo/keys tests/unit/repo/catalog tests/unit/repo/policy \
	tests/unit/repo/verify

# Test helper for the crash and concurrency tests: the catalog API, one operation per run.
check_PROGRAMS += tests/unit/repo/catalog-tool
tests_unit_repo_catalog_tool_LDADD = $(XP_LIBS)
TESTS += tests/cli/crash-catalog.sh tests/cli/crash-kill.sh tests/cli/concurrency-catalog.sh \
	tests/cli/catalog-verify.sh tests/cli/catalog-fulldisk.sh
EXTRA_DIST += tests/cli/crash-catalog.sh tests/cli/crash-kill.sh tests/cli/crash-lib.sh \
	tests/cli/concurrency-catalog.sh tests/cli/catalog-verify.sh tests/cli/catalog-fulldisk.sh
# Erasure rewrites (erase-rewrite.c, catalog-erase.c): xperase --rewrite, and killed at each
# step of its replacements.
TESTS += tests/cli/erase-rewrite.sh tests/cli/erase-rewrite-crash.sh
EXTRA_DIST += tests/cli/erase-rewrite.sh tests/cli/erase-rewrite-crash.sh
# Attacks through the storage: links, FIFOs, forged journal lines, -o into others' hands.
TESTS += tests/cli/attack-files.sh
EXTRA_DIST += tests/cli/attack-files.sh
# Managed copies: the targets a host registers (copy.c), copying and expiring on them
# (copy-ops.c), checking them (copy-check.c), a directory or an rclone remote as a target.
src_lib_libxp_a_SOURCES += src/lib/repo/copy.c src/lib/repo/copy.h src/lib/repo/copy-int.h \
	src/lib/repo/copy-ops.c src/lib/repo/copy-check.c src/lib/repo/copy-target.c \
	src/lib/repo/copy-batch.c
# rclone runs as a subprocess (base/proc.h), on both systems.
src_lib_libxp_a_SOURCES += src/lib/repo/copy-rclone.c

# Partitions: the next window, continuity, retention by window start (pure logic).
check_PROGRAMS += tests/unit/repo/partition
tests_unit_repo_partition_LDADD = $(XP_LIBS)
TESTS += tests/unit/repo/partition
WINE_TESTS += tests/unit/repo/partition

# The key vault: where shreddable backups' keys live, its copies, shredding them everywhere.
TESTS += tests/cli/vault-shred.sh tests/cli/vault-copies.sh tests/cli/vault-migrate.sh \
	tests/cli/vault-orphans.sh
EXTRA_DIST += tests/cli/vault-shred.sh tests/cli/vault-copies.sh tests/cli/vault-migrate.sh \
	tests/cli/vault-orphans.sh
