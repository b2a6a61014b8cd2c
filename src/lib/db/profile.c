#include "config.h"

#include "db/profile.h"
#include "base/str.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* clang-format off */
static const struct xp_dbms_profile dbms[] = {
	{.id = XP_DBMS_OTHER, .snapshot = XP_SNAPSHOT_ISOLATION},
	/* psqlODBC drops the zone of timestamptz and prints a date or timestamp before year 1,
	 * past 9999 or infinite wrongly: they are selected as text, which the server prints in
	 * UTC (the session's zone); it runs a parameter array one row per round trip */
	{.id = XP_DBMS_POSTGRESQL, .utc = "SET TIME ZONE 'UTC'",
	 .snapshot = XP_SNAPSHOT_ISOLATION, .repeatable_snapshot = 1, .dates_as_text = 1,
	 .array_per_row = 1},
	/* sqlite3odbc holds a whole result in memory when autocommit is off or a statement has
	 * parameters; it keeps the SQL_C_BINARY length it saw first (0.9998) */
	{.id = XP_DBMS_SQLITE, .snapshot = XP_SNAPSHOT_BEGIN, .literal_bounds = 1,
	 .loose_sizes = 1, .rebind_binary = 1},
	{.id = XP_DBMS_MSSQL, .snapshot = XP_SNAPSHOT_MSSQL, .array_after_exec = 1, .times_iso = 1,
	 .explain_errors = 1},
	/* MariaDB Connector/ODBC claims SQL_GD_BLOCK but its SQLSetPos in a forward-only row
	 * array gives another row's values (3.1.15) or fails (3.1.17 and later) */
	{.id = XP_DBMS_MYSQL, .utc = "SET time_zone = '+00:00'",
	 .snapshot = XP_SNAPSHOT_CONSISTENT, .no_getdata_block = 1, .unsigned_flag = 1,
	 .bit_as_byte = 1, .no_array_select = 1, .from_dual = 1,
	 .table_bytes = "SELECT data_length FROM information_schema.tables "
	                "WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?"},
};

static const struct xp_driver_profile drivers[] = {
	{.id = XP_DRIVER_OTHER},
	/* psqlODBC reads through a cursor only with UseDeclareFetch */
	{.id = XP_DRIVER_PSQLODBC, .option = "UseDeclareFetch=1;Fetch=" XP_ODBC_ROWS_TEXT,
	 .keys = {"UseDeclareFetch"}},
	/* sqlite3odbc copies a whole result (sqlite3_get_table) unless it steps */
	{.id = XP_DRIVER_SQLITE3ODBC, .option = "StepAPI=1", .keys = {"StepAPI"}},
	/* not for streaming: FreeTDS converts text to Latin-1 unless told the client's charset */
	{.id = XP_DRIVER_FREETDS, .option = "ClientCharset=UTF-8", .keys = {"ClientCharset"}},
	/* MariaDB Connector/ODBC stores a whole result (mysql_stmt_store_result) unless told
	 * not to cache forward-only cursors: 3.1.17 and later stream then, older ones ignore it */
	{.id = XP_DRIVER_MARIADB, .option = "NO_CACHE=1;FORWARDONLY=1",
	 .keys = {"NO_CACHE", "STREAMRS", "FORWARDONLY"}, .pages_below = 3010017,
	 .native_timestamps = 1},
};
/* clang-format on */

const struct xp_dbms_profile *xp_profile_dbms(const char *name)
{
	enum xp_dbms id = XP_DBMS_OTHER;

	if (strcmp(name, "PostgreSQL") == 0)
		id = XP_DBMS_POSTGRESQL;
	else if (strncasecmp(name, "SQLite", 6) == 0)
		id = XP_DBMS_SQLITE;
	else if (strstr(name, "SQL Server"))
		id = XP_DBMS_MSSQL;
	else if (xp_strcasestr(name, "MariaDB") || xp_strcasestr(name, "MySQL"))
		id = XP_DBMS_MYSQL;
	return &dbms[id];
}

const struct xp_driver_profile *xp_profile_driver(const char *name)
{
	enum xp_driver id = XP_DRIVER_OTHER;

	if (strncasecmp(name, "psqlodbc", 8) == 0)
		id = XP_DRIVER_PSQLODBC;
	else if (strstr(name, "sqlite3odbc"))
		id = XP_DRIVER_SQLITE3ODBC;
	else if (strstr(name, "tdsodbc"))
		id = XP_DRIVER_FREETDS;
	else if (strncasecmp(name, "libmaodbc", 9) == 0)
		id = XP_DRIVER_MARIADB;
	return &drivers[id];
}
