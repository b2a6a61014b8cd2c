/* Internals of the loader: load.c (batches of parameter arrays), load-check.c (what a target
 * holds), load-sql.c (its SQL) and load-types.c (the type map). */
#ifndef XP_LOAD_INT_H
#define XP_LOAD_INT_H

#include "db/load.h"
#include "db/odbc.h"
#include "stream/dump.h"

/* SQL Server's datetimeoffset, which sqlext.h does not name */
#define SS_TIMESTAMPOFFSET (-155)
/* SQL Server's time(n), to 100 ns (SQL_SS_TIME2) */
#define SS_TIME2 (-154)
/* A decimal whose precision and scale the source did not say (SQLite's NUMERIC) */
#define XP_LOAD_ANY_DECIMAL (-1000)

/* The source's type code, corrected by its type name where drivers report a type as text
 * (psqlODBC's BoolsAsChar reports bool as VARCHAR). */
int xp_load_effective_type(const struct xp_column *col);
/* Whether an integer column of a database f is unsigned: its type name says so
 * ("bigint unsigned"), or it is SQL Server's tinyint (0 to 255). */
int xp_load_unsigned(enum xp_dbms f, const struct xp_column *col);

/* One bound parameter column: an array of rows of width bytes each. */
struct pcol {
	SQLSMALLINT ctype, sqltype, digits;
	SQLULEN size;
	int bit;     /* normalise booleans to 1/0 */
	int bitbyte; /* ... and send them as one byte 0 or 1 (into MariaDB's BIT(1)) */
	int single;  /* a float into MariaDB's FLOAT: sent as the exact double of the float */
	int binary;  /* a float sent as its bytes: SQL_C_DOUBLE or SQL_C_FLOAT (SQL Server) */
	char check;  /* what the target column holds: 'i' integers in [lo, hi], 't' time of day
	              * (0 to 24 hours), 'm' MariaDB's time (-838:59:59 to 838:59:59), 'b' a
	              * bit (1, 0, true, false...), 'y' a date of years 1 to 9999 without a zone
	              * but UTC's, 'z' such a date with any zone (SQL Server's datetimeoffset),
	              * 'n' decimals of lo digits, hi of them after the point (SQL Server's
	              * decimal, which rounds the others away), 'f' a finite float (SQL Server's
	              * float and real hold no NaN or infinity), 0 any */
	int fdigits; /* digits of a second's fraction the target's time holds, -1 any */
	int64_t lo;
	uint64_t hi;
	const char *target; /* the target column's type name, for messages (in b->tcols) */
	size_t width;       /* bytes per row */
	char *buf;          /* cap * width (owned) */
	SQLLEN *ind;        /* cap (owned) */
};

/* The INSERT of one table and its parameter arrays. */
struct batch {
	struct xp_odbc *c;
	const struct xp_dump_table *t;
	const char *prefix; /* xp_load_opts.prefix */
	int key;            /* column of xp_load_opts.skip_key, or -1 */
	SQLHSTMT st;
	struct pcol *pc;      /* t->ncols (owned) */
	SQLUSMALLINT *status; /* cap (owned) */
	SQLULEN processed;
	struct xp_column *tcols; /* the target table as the database describes it (owned) */
	size_t ntcols;
	size_t n, cap;   /* rows filled, rows that fit */
	size_t max_rows; /* rows per execute this driver gets right */
	int rebind;      /* bind again before each execute */
	SQLHSTMT multi;  /* INSERT of mrows rows in one VALUES list, or null */
	size_t mrows;
	uint64_t done; /* rows of this table executed */
};

/* What column i's target holds, from its description tc (NULL: not described) (load-check.c). */
void xp_load_set_check(struct pcol *p, enum xp_dbms f, const struct xp_column *tc);
/* Bytes of the zone at the end of timestamp text s (n bytes): "+HH:MM", "-HH:MM", "+HH" or
 * "-HH" after the time, else 0; *utc says whether it is zero. */
size_t xp_load_zone_len(const char *s, size_t n, int *utc);
/* 0, or XP_EFAIL naming row and column when f does not fit column i's target. */
int xp_load_check_field(const struct batch *b, size_t i, const struct xp_field *f,
                        struct xp_err *err);

/* The SQL (load-sql.c): a malloc'd identifier in the driver's quotes (one part); */
char *xp_load_quote_one(const struct xp_odbc *c, const char *name);
/* appends s to the malloc'd string *sql and frees s; */
int xp_load_append(char **sql, size_t *len, char *s, struct xp_err *err);
/* runs one statement, what naming it in messages; */
int xp_load_exec(struct xp_odbc *c, const char *sql, const char *what, struct xp_err *err);
/* the malloc'd name table t is loaded into (xp_load_opts.prefix), unquoted, and quoted; */
char *xp_load_plain_name(const struct xp_dump_table *t, const char *prefix);
char *xp_load_target_name(const struct xp_odbc *c, const struct xp_dump_table *t,
                          const char *prefix);
/* CREATE TABLE for t of a dump from the database named source (the MANIFEST's dbms); */
int xp_load_create_table(struct xp_odbc *c, const char *source, const struct xp_dump_table *t,
                         const char *prefix, struct xp_err *err);
/* INSERT INTO t (cols) VALUES (?, ...)[, (?, ...)...] of rows rows, or with a key column
 * (rows is then 1) INSERT ... SELECT ... WHERE NOT EXISTS, into *out (malloc'd). */
int xp_load_insert_sql(struct xp_odbc *c, const struct xp_dump_table *t, const char *prefix,
                       size_t rows, int key, char **out, struct xp_err *err);

#endif
