/* Loading a dump stream into a database over ODBC: bulk inserts with parameter arrays, all in
 * one transaction that commits only once the stream's SUMMARY has checked out. */
#ifndef XP_LOAD_H
#define XP_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "db/odbc.h"
#include "base/err.h"

/* Most rows per execute, and the most memory the bound parameter arrays may take: rows with
 * wide values get smaller batches. */
#define XP_LOAD_ROWS 1000
#define XP_LOAD_MEM  (32u << 20)
/* Where parameter arrays go one row per round trip (psqlODBC), rows per many-rows INSERT,
 * and the most parameters one may have. */
#define XP_LOAD_VALUES_ROWS   100
#define XP_LOAD_VALUES_PARAMS 30000

struct xp_load_opts {
	const char *connstr;
	int create; /* CREATE TABLE each table (from the MANIFEST's column types) before loading */
	/* when set, each table is created and loaded as this prefix followed by its name with
	 * dots turned into underscores ("app.audit" -> PREFIXapp_audit): scratch tables */
	const char *prefix;
	/* when set: a row whose value in this column the target table already holds (or an
	 * earlier row of the stream put there) is not inserted but counted in skipped; a NULL
	 * key never matches. Every table of the stream must have the column. */
	const char *skip_key;
	/* called every XP_LOAD_ROWS rows or so and at each table's end when set: the table being
	 * loaded and the rows loaded so far in all */
	void (*progress)(void *arg, const char *table, uint64_t rows);
	void *progress_arg;
};

/* What a load did. */
struct xp_load_stats {
	size_t tables;
	uint64_t rows;    /* rows inserted */
	uint64_t skipped; /* rows left out by skip_key */
};

/* Reads the dump stream on fd and inserts its rows. Returns 0 after the commit; on a database
 * error XP_EFAIL, on a truncated, tampered or malformed stream XP_EINTEGRITY, and then nothing
 * of the stream is left in the database. */
int xp_load_run(const struct xp_load_opts *o, int fd, struct xp_load_stats *st, struct xp_err *err);

/* The column type to CREATE for col, a column of a dump from a database whose SQL_DBMS_NAME
 * is source (the MANIFEST's dbms), in a database whose SQL_DBMS_NAME is dbms, e.g.
 * "numeric(38,10)", "timestamp with time zone", "BLOB"; written into buf (NUL-terminated,
 * cut to len). */
void xp_load_column_type(const char *dbms, const char *source, const struct xp_column *col,
                         char *buf, size_t len);

#endif
