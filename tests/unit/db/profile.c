/* Driver profiles: a database and a driver are known by their names once, and their quirks
 * are looked up in the tables. */
#include "config.h"

#include "db/profile.h"

#include "../tap.h"

int main(void)
{
	static const struct {
		const char *name;
		enum xp_dbms id;
	} db[] = {
	        {"PostgreSQL", XP_DBMS_POSTGRESQL},
	        {"SQLite", XP_DBMS_SQLITE},
	        {"Microsoft SQL Server", XP_DBMS_MSSQL},
	        {"MariaDB", XP_DBMS_MYSQL},
	        {"MySQL", XP_DBMS_MYSQL},
	        {"Oracle", XP_DBMS_OTHER},
	        {"", XP_DBMS_OTHER},
	};
	static const struct {
		const char *name;
		enum xp_driver id;
	} drv[] = {
	        {"psqlodbcw.so", XP_DRIVER_PSQLODBC},
	        {"libsqlite3odbc.so", XP_DRIVER_SQLITE3ODBC},
	        {"libtdsodbc.so", XP_DRIVER_FREETDS},
	        {"libmaodbc.so", XP_DRIVER_MARIADB},
	        {"libmsodbcsql-18.so", XP_DRIVER_OTHER},
	};
	const struct xp_dbms_profile *p;
	const struct xp_driver_profile *d;

	for (size_t i = 0; i < sizeof db / sizeof db[0]; i++)
		is_int(xp_profile_dbms(db[i].name)->id, db[i].id, "\"%s\" is known once",
		       db[i].name);
	for (size_t i = 0; i < sizeof drv / sizeof drv[0]; i++)
		is_int(xp_profile_driver(drv[i].name)->id, drv[i].id, "driver \"%s\"", drv[i].name);

	p = xp_profile_dbms("PostgreSQL");
	is_str(p->utc, "SET TIME ZONE 'UTC'", "PostgreSQL: the session's zone is set to UTC");
	ok(p->snapshot == XP_SNAPSHOT_ISOLATION && p->repeatable_snapshot,
	   "PostgreSQL: REPEATABLE READ is its snapshot");
	ok(p->dates_as_text && p->array_per_row, "PostgreSQL: dates as text, VALUES batches");
	p = xp_profile_dbms("MariaDB");
	is_str(p->utc, "SET time_zone = '+00:00'", "MariaDB: the session's zone is set to UTC");
	ok(p->snapshot == XP_SNAPSHOT_CONSISTENT && p->no_getdata_block && p->from_dual,
	   "MariaDB: consistent snapshot, no SQLGetData in row arrays, FROM DUAL");
	p = xp_profile_dbms("SQLite");
	ok(p->snapshot == XP_SNAPSHOT_BEGIN && !p->utc && p->literal_bounds && p->loose_sizes,
	   "SQLite: BEGIN, no zone, bounds in the SQL, any length in any column");
	p = xp_profile_dbms("Microsoft SQL Server");
	ok(p->snapshot == XP_SNAPSHOT_MSSQL && p->array_after_exec && p->times_iso && !p->utc,
	   "SQL Server: its snapshot, row arrays after execute, ISO times, no zone");
	p = xp_profile_dbms("Oracle");
	ok(p->snapshot == XP_SNAPSHOT_ISOLATION && !p->utc && !p->literal_bounds,
	   "an unknown database gets no quirk");

	d = xp_profile_driver("psqlodbcw.so");
	is_str(d->option, "UseDeclareFetch=1;Fetch=" XP_ODBC_ROWS_TEXT,
	       "psqlODBC streams through a cursor");
	d = xp_profile_driver("libmaodbc.so");
	ok(d->pages_below == 3010017 && d->keys[0] && d->keys[1] && d->keys[2],
	   "MariaDB Connector/ODBC before 3.1.17 is read in pages; three keys decide");
	d = xp_profile_driver("libmsodbcsql-18.so");
	ok(!d->option && !d->pages_below, "an unknown driver gets no option");
	return done_testing();
}
