# src/xpdump: the tool, its tests and page (included by Makefile.am)

bin_PROGRAMS += src/xpdump/xpdump
src_xpdump_xpdump_SOURCES = src/xpdump/main.c
src_xpdump_xpdump_LDADD = $(XP_LIBS)

TESTS += tests/cli/dump-sqlite.sh
EXTRA_DIST += tests/cli/dump-sqlite.sh
TESTS += tests/cli/dump-pg.sh tests/cli/dump-mariadb.sh tests/cli/dump-mariadb-keys.sh
EXTRA_DIST += tests/cli/dump-pg.sh tests/cli/dump-mariadb.sh tests/cli/dump-mariadb-keys.sh
TESTS += tests/cli/dump-mssql.sh
EXTRA_DIST += tests/cli/dump-mssql.sh tests/tds/tds_server.py tests/tds/tds_types.py tests/lib-tds.sh

dist_man_MANS += man/xpdump.1

# the bare ODBC row-array fetch loop that scripts/bench-dump measures xpdump against
check_PROGRAMS += scripts/bench-odbc-fetch
scripts_bench_odbc_fetch_LDADD = $(ODBC_LIBS)
dist_noinst_SCRIPTS += scripts/bench-dump
# the night's pipeline, xpdump | xpseal, against that loop and pg_dump (never run by make check)
dist_noinst_SCRIPTS += scripts/bench-pipeline
TESTS += tests/cli/dump-crash.sh
EXTRA_DIST += tests/cli/dump-crash.sh
# SQL Server's types through FreeTDS, under wine too (Wine's odbc32 to this host's driver).
WINE_SH_TESTS += tests/cli/dump-mssql.sh
