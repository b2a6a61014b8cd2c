#include "config.h"

#include "db/odbc.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQL Server (FreeTDS's tdsodbc or Microsoft's msodbcsql18): snapshot isolation asked for the
 * way the server takes it, what it granted checked, and its errors during a dump explained.
 * SQL Server has no session time zone: datetime and datetime2 are read as stored (UTC by the
 * Log Server's convention), datetimeoffset carries its offset. */

/* SQL Server's numbers for its isolation levels (sys.dm_exec_sessions) */
#define LEVEL_READ_COMMITTED 2
#define LEVEL_SNAPSHOT       5

/* Runs sql and reads its first row: column 1 as an integer into *v, and column 2 as text
 * into text when text is set. */
static int query_row(struct xp_odbc *c, const char *sql, long *v, char *text, size_t tlen,
                     struct xp_err *err)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLLEN ind = 0, tind = 0;
	SQLINTEGER n = 0;
	int rc = 0;

	if ((rc = xp_odbc_stmt(c, &st, err, "%s", c->source)) != 0)
		goto out;
	if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SLONG, &n, 0, &ind)) ||
	    (text && !SQL_SUCCEEDED(SQLGetData(st, 2, SQL_C_CHAR, text, (SQLLEN)tlen, &tind)))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s", sql);
		goto out;
	}
	if (ind == SQL_NULL_DATA) {
		rc = xp_err_set(err, XP_EFAIL, "%s: NULL", sql);
		goto out;
	}
	*v = n;
	if (text && tind == SQL_NULL_DATA)
		text[0] = '\0';
	/* read to the end: a statement freed with results pending is cancelled on the wire */
	if (SQLFetch(st) != SQL_NO_DATA)
		rc = xp_err_set(err, XP_EFAIL, "%s: more than one row", sql);
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	return rc;
}

/* what: "database NAME" (db is NAME), or "table T" when the database's name is not known */
static int snapshot_off(const char *what, const char *db, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL,
	                  "%s: snapshot isolation is off (SQL Server error 3952); run "
	                  "ALTER DATABASE [%s] SET ALLOW_SNAPSHOT_ISOLATION ON, or accept "
	                  "read committed with --isolation read-committed (tables may then be "
	                  "inconsistent with each other)",
	                  what, db);
}

int xp_odbc_mssql_begin(struct xp_odbc *c, struct xp_err *err)
{
	long want = c->read_committed ? LEVEL_READ_COMMITTED : LEVEL_SNAPSHOT, level = 0, state = 0;
	char db[256] = "";
	int rc;

	/* SQL_ATTR_TXN_ISOLATION knows no snapshot, and SERIALIZABLE's range locks would block
	 * the Log Server's writes for the whole dump: ask in SQL, and take nothing else */
	rc = xp_odbc_exec(c,
	                  c->read_committed ? "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"
	                                    : "SET TRANSACTION ISOLATION LEVEL SNAPSHOT",
	                  err);
	if (!rc)
		rc = xp_odbc_exec(c, "BEGIN TRANSACTION", err);
	if (rc)
		goto out;
	c->in_txn = c->txn_sql = 1;
	rc = query_row(c,
	               "SELECT transaction_isolation_level FROM sys.dm_exec_sessions "
	               "WHERE session_id = @@SPID",
	               &level, NULL, 0, err);
	if (rc)
		goto out;
	if (level != want) {
		rc = xp_err_set(err, XP_EFAIL, "%s: SQL Server granted isolation level %ld, not %s",
		                c->source, level,
		                c->read_committed ? "read committed" : "snapshot");
		goto out;
	}
	/* a snapshot transaction begins; its first read fails (3952) when the database does
	 * not allow it: say so before anything is read */
	if (!c->read_committed) {
		rc = query_row(c,
		               "SELECT snapshot_isolation_state, name FROM sys.databases "
		               "WHERE database_id = DB_ID()",
		               &state, db, sizeof db, err);
		if (rc)
			goto out;
		if (state != 1) {
			char what[300];

			snprintf(what, sizeof what, "database %s", db);
			rc = snapshot_off(what, db, err);
			goto out;
		}
	}
	snprintf(c->isolation, sizeof c->isolation, "%s",
	         c->read_committed ? "read-committed" : "snapshot");
out:
	return rc;
}

int xp_odbc_mssql_explain(const struct xp_odbc *c, SQLHSTMT st, const char *table, int described,
                          int rc, struct xp_err *err)
{
	SQLCHAR state[6], msg[8];
	SQLINTEGER native = 0;
	SQLSMALLINT mlen = 0;
	char was[sizeof err->msg];

	if (!err || !st || !c->db->explain_errors)
		return rc;
	for (SQLSMALLINT i = 1; SQL_SUCCEEDED(
	             SQLGetDiagRec(SQL_HANDLE_STMT, st, i, state, &native, msg, sizeof msg, &mlen));
	     i++) {
		snprintf(was, sizeof was, "%s", err->msg);
		if (native == 3952) {
			snprintf(was, sizeof was, "table %s", table);
			return snapshot_off(was, "NAME", err);
		}
		/* the Log Server's weekly swap: a new table copied from the old, renamed over it
		 * (208 before the table was described is a name that never existed) */
		if (native == 3961 || (native == 208 && described))
			return xp_err_set(
			        err, rc,
			        "table %s: dropped, renamed or altered while it was dumped "
			        "(SQL Server error %ld; a table swap?): the dump is "
			        "incomplete, run it again; %s",
			        table, (long)native, was);
	}
	return rc;
}
