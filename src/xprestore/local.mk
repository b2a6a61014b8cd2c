# src/xprestore: loading a dump stream into a database (src/lib/load) and its tool
src_lib_libxp_a_SOURCES += src/lib/load.c src/lib/load-types.c src/lib/load.h src/lib/load-int.h
bin_PROGRAMS += src/xprestore/xprestore
src_xprestore_xprestore_SOURCES = src/xprestore/main.c
src_xprestore_xprestore_LDADD = $(XP_LIBS)
dist_man_MANS += man/xprestore.1

check_PROGRAMS += tests/unit/load-types
tests_unit_load_types_LDADD = $(XP_LIBS)
TESTS += tests/unit/load-types

# the bare ODBC row-array fetch loop that scripts/bench-dump measures xpdump against
check_PROGRAMS += scripts/bench-odbc-fetch
scripts_bench_odbc_fetch_LDADD = $(ODBC_LIBS)
dist_noinst_SCRIPTS += scripts/bench-dump

TESTS += tests/cli/roundtrip-sqlite.sh tests/cli/roundtrip-pg.sh tests/cli/restore-integrity.sh tests/cli/restore-skip.sh \
	tests/cli/restore-mariadb.sh tests/cli/type-matrix.sh tests/cli/restore-mssql.sh \
	tests/cli/restore-errors.sh tests/cli/roundtrip-fulldisk.sh
EXTRA_DIST += tests/lib-db.sh tests/cli/roundtrip-sqlite.sh tests/cli/roundtrip-pg.sh tests/cli/restore-skip.sh \
	tests/cli/restore-mariadb.sh tests/cli/type-matrix.sh tests/cli/restore-mssql.sh \
	tests/cli/restore-integrity.sh tests/cli/restore-errors.sh tests/cli/roundtrip-fulldisk.sh
