# src/xprestore: the tool that loads a dump stream into a database (src/lib/db/load), its tests
# and page (included by Makefile.am)
bin_PROGRAMS += src/xprestore/xprestore
src_xprestore_xprestore_SOURCES = src/xprestore/main.c
src_xprestore_xprestore_LDADD = $(XP_LIBS)
dist_man_MANS += man/xprestore.1

TESTS += tests/cli/roundtrip-sqlite.sh tests/cli/roundtrip-pg.sh tests/cli/restore-integrity.sh tests/cli/restore-skip.sh \
	tests/cli/restore-mariadb.sh tests/cli/type-matrix.sh tests/cli/restore-mssql.sh \
	tests/cli/restore-errors.sh tests/cli/roundtrip-fulldisk.sh
EXTRA_DIST += tests/lib-db.sh tests/cli/roundtrip-sqlite.sh tests/cli/roundtrip-pg.sh tests/cli/restore-skip.sh \
	tests/cli/restore-mariadb.sh tests/cli/type-matrix.sh tests/cli/restore-mssql.sh \
	tests/cli/restore-integrity.sh tests/cli/restore-errors.sh tests/cli/roundtrip-fulldisk.sh
# The pipeline on real PostgreSQL and MariaDB servers, and loads into SQL Server's types
# through FreeTDS; under wine through Wine's ODBC bridge.
TESTS += tests/cli/portable-servers.sh
EXTRA_DIST += tests/cli/portable-servers.sh
WINE_SH_TESTS += tests/cli/portable-servers.sh tests/cli/restore-mssql.sh
