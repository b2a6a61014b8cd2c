/* ODBC: connecting, diagnostics, identifier quoting, describing tables and snapshot
 * transactions. Reading rows is db/fetch.h. */
#ifndef XP_ODBC_H
#define XP_ODBC_H

#include <stddef.h>
#include <stdint.h>

#include <sql.h>
#include <sqlext.h>

#include "db/profile.h"
#include "stream/csv.h"
#include "stream/column.h"
#include "base/err.h"

/* An open connection. Fields are read-only for callers; env and dbc may be used directly
 * (e.g. SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, ...)). */
struct xp_odbc {
	SQLHENV env;
	SQLHDBC dbc;
	char dbms[128];                      /* SQL_DBMS_NAME, e.g. "PostgreSQL", "SQLite" */
	char driver[128];                    /* SQL_DRIVER_NAME, e.g. "psqlodbcw.so" */
	const struct xp_dbms_profile *db;    /* the quirks of dbms (never NULL once connected) */
	const struct xp_driver_profile *drv; /* the quirks of driver */
	char quote[8];       /* SQL_IDENTIFIER_QUOTE_CHAR; "" when the driver quotes nothing */
	char *source;        /* the connection string with passwords removed (owned) */
	char isolation[64];  /* what xp_odbc_begin_snapshot obtained, e.g. "repeatable-read" */
	SQLUINTEGER getdata; /* SQL_GETDATA_EXTENSIONS: SQL_GD_BOUND, SQL_GD_BLOCK, ... */
	/* rows per page where the driver holds whole results and xpdump reads a table in pages,
	 * each after the last row's key (MariaDB Connector/ODBC before 3.1.17); 0 never */
	unsigned long page_rows;
	int in_txn;
	int txn_sql; /* the transaction was begun with SQL (BEGIN), not by turning off autocommit */
	int ddl_commits; /* set by xp_odbc_begin: DDL ends the transaction (CREATE TABLE stays
	                  * after a rollback: MariaDB, MySQL) */
	int txn_write;   /* set by xp_odbc_begin: autocommit stays off after xp_odbc_end */
	/* set by the caller before xp_odbc_begin_snapshot: take READ COMMITTED (no long locks,
	 * but no snapshot across tables) where the database grants no snapshot */
	int read_committed;
	/* set by the caller: called when the driver crashes while fetching (fetch.h), before
	 * the program ends; only async-signal-safe calls (unlink(2) of a temp file) */
	void (*on_crash)(void *arg);
	void *crash_arg;
	/* set by the caller: told a sentence when a table will be held whole in memory by a
	 * driver that cannot stream it (xp_odbc_select) */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

/* Connects with SQLDriverConnect (a DSN name alone or a DSN-less string). So that results
 * stream, it reconnects psqlODBC without UseDeclareFetch with UseDeclareFetch=1;Fetch=1000,
 * sqlite3odbc without StepAPI with StepAPI=1, MariaDB Connector/ODBC without NO_CACHE,
 * STREAMRS or FORWARDONLY with NO_CACHE=1;FORWARDONLY=1 where the driver obeys them (where it
 * is too old to, it sets page_rows instead and leaves cursors free to scroll, for reading
 * pages ahead), and FreeTDS without ClientCharset with ClientCharset=UTF-8. The
 * session's time zone is UTC on PostgreSQL, MariaDB and MySQL. On failure c needs no close. */
int xp_odbc_connect(struct xp_odbc *c, const char *connstr, struct xp_err *err);
/* Rolls back an open transaction, disconnects, frees. Safe on a zeroed or closed struct. */
void xp_odbc_close(struct xp_odbc *c);

/* A malloc'd copy of connstr with the values of PWD= and Password= replaced by "***"
 * (keys matched without regard to case; braced values handled). NULL when out of memory. */
char *xp_odbc_redact(const char *connstr);

/* Records "WHAT: [SQLSTATE] driver message" from the first diagnostic record of handle h
 * (one line: newlines folded to spaces) and returns code. */
int xp_odbc_error(struct xp_err *err, int code, SQLSMALLINT htype, SQLHANDLE h, const char *fmt,
                  ...) __attribute__((format(XP_PRINTF, 5, 6)));

/* A new statement on c into *st: 0, or, with *st SQL_NULL_HSTMT, the driver's reason recorded
 * as by xp_odbc_error ("WHAT: [SQLSTATE] message", WHAT from fmt) and XP_EFAIL. */
int xp_odbc_stmt(struct xp_odbc *c, SQLHSTMT *st, struct xp_err *err, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 4, 5)));

/* A malloc'd, quoted identifier: each dot-separated part of name ("schema.table") wrapped in
 * the driver's quote char, embedded quote chars doubled. */
char *xp_odbc_quote(const struct xp_odbc *c, const char *name);

/* Runs one statement that returns no rows (e.g. "SET TIME ZONE 'UTC'"). */
int xp_odbc_exec(struct xp_odbc *c, const char *sql, struct xp_err *err);

/* Turns off autocommit and asks for the strongest snapshot-like isolation the driver grants
 * (SQL Server: xp_odbc_mssql_begin; REPEATABLE READ on PostgreSQL and MariaDB/MySQL, which gives a
 * snapshot there; SERIALIZABLE elsewhere; READ COMMITTED when c->read_committed), recording
 * it in c->isolation. On SQLite it runs
 * BEGIN instead: sqlite3odbc holds whole results in memory when autocommit is off. */
int xp_odbc_begin_snapshot(struct xp_odbc *c, struct xp_err *err);
/* SQL Server: SET TRANSACTION ISOLATION LEVEL SNAPSHOT (or READ
 * COMMITTED when c->read_committed) and BEGIN TRANSACTION, then checks what the server granted
 * and that the database allows snapshots (error 3952 otherwise, with the ALTER DATABASE to run);
 * never a silent SERIALIZABLE. */
int xp_odbc_mssql_begin(struct xp_odbc *c, struct xp_err *err);
/* After a failed statement on st over table: on SQL Server, rewrites the recorded error of a
 * table dropped or altered mid-dump (3961; 208 once described) or of snapshots not allowed
 * (3952) into one that says so. Returns rc. */
int xp_odbc_mssql_explain(const struct xp_odbc *c, SQLHSTMT st, const char *table, int described,
                          int rc, struct xp_err *err);
/* Begins a transaction for writing (xprestore): autocommit off; XP_EFAIL when the database has
 * none, so that a failed load could not be taken back. Sets c->ddl_commits. */
int xp_odbc_begin(struct xp_odbc *c, struct xp_err *err);
/* Ends the transaction that xp_odbc_begin or xp_odbc_begin_snapshot began (commit when commit
 * is set, else rollback); nothing when none is open. A snapshot's end restores autocommit;
 * after xp_odbc_begin's it stays off, so the connection's next statements are the next
 * transaction (xp_odbc_begin again to end that one too). A commit that fails leaves the
 * transaction open, for the caller to roll back. */
int xp_odbc_end(struct xp_odbc *c, int commit, struct xp_err *err);

/* Rows per page where the driver holds whole results (see xp_odbc.page_rows); it holds two
 * pages at a time when they are read ahead (fetch-int.h). */
#define XP_ODBC_PAGE_ROWS 25000

/* Describes the columns of a table (SELECT * ... WHERE 1=0). *cols is malloc'd. */
int xp_odbc_describe(struct xp_odbc *c, const char *table, struct xp_column **cols, size_t *n,
                     struct xp_err *err);

#endif
