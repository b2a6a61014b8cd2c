/* What the toolkit knows of each database and ODBC driver it has met, in two tables: detected
 * once, when xp_odbc_connect learns SQL_DBMS_NAME and SQL_DRIVER_NAME, and read everywhere
 * else through c->db and c->drv. No other module compares a database's or a driver's name. */
#ifndef XP_DB_PROFILE_H
#define XP_DB_PROFILE_H

/* Rows per SQLFetch with column-wise binding (and the same as text, for psqlODBC's Fetch=). */
#define XP_ODBC_ROWS      1000
#define XP_ODBC_ROWS_TEXT "1000"

/* The database behind a connection. */
enum xp_dbms {
	XP_DBMS_OTHER,
	XP_DBMS_POSTGRESQL,
	XP_DBMS_SQLITE,
	XP_DBMS_MSSQL, /* SQL Server, through FreeTDS or Microsoft's driver */
	XP_DBMS_MYSQL  /* MariaDB or MySQL */
};

/* How xp_odbc_begin_snapshot begins a snapshot. */
enum xp_snapshot {
	XP_SNAPSHOT_ISOLATION,  /* the strongest isolation level granted, autocommit off */
	XP_SNAPSHOT_BEGIN,      /* BEGIN: SQLite's deferred transaction, serializable */
	XP_SNAPSHOT_CONSISTENT, /* InnoDB: START TRANSACTION WITH CONSISTENT SNAPSHOT */
	XP_SNAPSHOT_MSSQL       /* SQL Server: SNAPSHOT isolation, checked (xp_odbc_mssql_begin) */
};

/* A database's quirks. */
struct xp_dbms_profile {
	enum xp_dbms id;
	const char *utc; /* the statement that puts the session's time zone in UTC; NULL: none */
	enum xp_snapshot snapshot;
	int repeatable_snapshot; /* REPEATABLE READ is snapshot isolation there: asked first */
	/* fetch */
	int no_getdata_block; /* claims SQL_GD_BLOCK, but SQLSetPos in a row array of a
	                       * forward-only cursor fails or gives another row's values */
	int array_after_exec; /* a row array asked before SQLExecDirect opens a server cursor:
	                       * it is set after, keeping the fast default result set */
	int unsigned_flag;    /* unsigned integers are named as signed; SQL_DESC_UNSIGNED says */
	int dates_as_text;    /* dates and times are selected as the text the server prints */
	int times_iso;        /* dates and times are put in ISO form after fetching */
	int bit_as_byte;      /* BIT(1) comes as a byte 0 or 1 */
	int literal_bounds;   /* window bounds go into the SQL: parameters make the driver hold
	                       * a whole result */
	int loose_sizes;      /* declared sizes bound nothing: any column holds any length or
	                       * a blob, reals pass through 15-digit text */
	int explain_errors;   /* errors of a table dropped mid-dump are explained (mssql) */
	/* a query of the bytes a table's data takes, given its catalog (NULL: the current
	 * one) and name as parameters; NULL: the database cannot say */
	const char *table_bytes;
	/* load */
	int rebind_binary;   /* a binary parameter's length is kept from its first row: one
	                      * row per execute, bound each time */
	int no_array_select; /* parameter arrays go in a bulk protocol that takes no
	                      * INSERT ... SELECT: one row per execute for those */
	int array_per_row;   /* a parameter array is one round trip a row: full batches go as
	                      * one multi-row INSERT */
	int from_dual;       /* a SELECT with WHERE needs FROM (FROM DUAL) */
};

/* The ODBC driver of a connection. */
enum xp_driver {
	XP_DRIVER_OTHER,
	XP_DRIVER_PSQLODBC,
	XP_DRIVER_SQLITE3ODBC,
	XP_DRIVER_FREETDS,
	XP_DRIVER_MARIADB /* MariaDB Connector/ODBC */
};

/* A driver's quirks: what the connection string needs so that it streams a result. */
struct xp_driver_profile {
	enum xp_driver id;
	const char *option;  /* added to the connection string unless one of keys is in it */
	const char *keys[3]; /* the keys that mean the user decided (NULL-ended) */
	/* driver versions (major * 1000000 + minor * 10000 + patch) below this ignore option:
	 * results are read in pages of XP_ODBC_PAGE_ROWS rows there; 0: never */
	unsigned long pages_below;
	/* the driver receives timestamps as binary values and prints them with sprintf, which
	 * costs more than fetching the values: a NOT NULL timestamp is bound as
	 * SQL_C_TYPE_TIMESTAMP and printed as the driver would (fetch-text.c) */
	int native_timestamps;
};

/* The profile of a database by its SQL_DBMS_NAME; an unknown one gets XP_DBMS_OTHER's. */
const struct xp_dbms_profile *xp_profile_dbms(const char *dbms_name);
/* The profile of a driver by its SQL_DRIVER_NAME ("psqlodbcw.so"); unknown: XP_DRIVER_OTHER. */
const struct xp_driver_profile *xp_profile_driver(const char *driver_name);

#endif
