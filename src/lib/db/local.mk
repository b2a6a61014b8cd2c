# src/lib/db: ODBC connection, fetch (row arrays, pages), SQL Server, load (parameter arrays),
# the dump of tables into a stream; over stream and base.
src_lib_libxp_a_SOURCES += src/lib/db/profile.c src/lib/db/profile.h \
	src/lib/db/odbc.c src/lib/db/odbc-mssql.c src/lib/db/odbc.h \
	src/lib/db/fetch.c src/lib/db/fetch-text.c src/lib/db/fetch-sql.c src/lib/db/fetch-page.c src/lib/db/fetch-sqlite.c src/lib/db/fetch.h src/lib/db/fetch-int.h \
	src/lib/db/load.c src/lib/db/load-check.c src/lib/db/load-sql.c src/lib/db/load-types.c src/lib/db/load.h src/lib/db/load-int.h \
	src/lib/db/dump-run.c src/lib/db/dump-run.h

check_PROGRAMS += tests/unit/db/profile tests/unit/db/odbc tests/unit/db/load-types
tests_unit_db_profile_LDADD = $(XP_LIBS)
tests_unit_db_odbc_LDADD = $(XP_LIBS)
tests_unit_db_load_types_LDADD = $(XP_LIBS)
TESTS += tests/unit/db/profile tests/unit/db/odbc tests/unit/db/load-types
WINE_TESTS += tests/unit/db/profile tests/unit/db/odbc tests/unit/db/load-types

# The ODBC fetch path against generated tables (plan, bulk rows, SQLGetData).
TESTS += tests/cli/fetch-fuzz.sh
EXTRA_DIST += tests/cli/fetch-fuzz.sh
