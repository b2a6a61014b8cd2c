# src/xpdump: sources, tests and pages of this area (included by Makefile.am)
src_lib_libxp_a_SOURCES += src/lib/odbc.c src/lib/odbc-fetch.c src/lib/odbc-mssql.c src/lib/odbc-page.c \
	src/lib/odbc-sqlite.c \
	src/lib/odbc.h src/lib/odbc-int.h src/lib/csv.c src/lib/csv.h \
	src/lib/dump.c src/lib/dump.h src/lib/dump-int.h \
	src/lib/dump-write.c src/lib/dump-read.c

bin_PROGRAMS += src/xpdump/xpdump
src_xpdump_xpdump_SOURCES = src/xpdump/main.c
src_xpdump_xpdump_LDADD = $(XP_LIBS)

check_PROGRAMS += tests/unit/csv
tests_unit_csv_LDADD = $(XP_LIBS)
TESTS += tests/unit/csv

check_PROGRAMS += tests/unit/dump
tests_unit_dump_LDADD = $(XP_LIBS)
TESTS += tests/unit/dump

TESTS += tests/cli/dump-sqlite.sh tests/cli/fetch-fuzz.sh
EXTRA_DIST += tests/cli/dump-sqlite.sh tests/cli/fetch-fuzz.sh
TESTS += tests/cli/dump-pg.sh tests/cli/dump-mariadb.sh
EXTRA_DIST += tests/cli/dump-pg.sh tests/cli/dump-mariadb.sh
TESTS += tests/cli/dump-mssql.sh
EXTRA_DIST += tests/cli/dump-mssql.sh tests/tds/tds_server.py tests/lib-tds.sh

dist_man_MANS += man/xpdump.1
