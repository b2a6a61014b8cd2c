/* The columns and the window of rows of a dumped table, as MANIFEST records them: a column's
 * SQL type is the SQL/CLI code (SQL_INTEGER, SQL_WVARCHAR, ...) its source described, which
 * this module maps to a generic name and to a class that decides its text form. Only the
 * codes come from <sqlext.h>; nothing here talks to a database. */
#ifndef XP_STREAM_COLUMN_H
#define XP_STREAM_COLUMN_H

#include <stddef.h>
#include <stdint.h>

/* A column as the source described it (MANIFEST records it). */
struct xp_column {
	char *name;      /* owned */
	int sql_type;    /* SQL_INTEGER, SQL_WVARCHAR, ... */
	char *type_name; /* the driver's name for the type, e.g. "int8", "timestamptz" (owned) */
	uint64_t size;   /* column size (characters, digits or bytes; 0 unknown) */
	int digits;      /* decimal digits (scale) */
	int nullable;    /* 1 nullable, 0 not, -1 unknown */
};
/* A generic name for an SQL type code ("INTEGER", "WVARCHAR", ...); "OTHER" if unknown. */
const char *xp_column_type_name(int sql_type);
/* Class of a type for its text form: 'i' integer, 'n' decimal, 'f' float, 'r' real (float4),
 * 's' text, 'b' binary, 'd' date/time, 'g' guid, 'o' boolean/bit, 't' other. */
int xp_column_type_class(int sql_type);
/* Frees the owned strings of n columns and the array. */
void xp_columns_free(struct xp_column *cols, size_t n);

/* A half-open time interval [from, to) in seconds since the epoch, UTC. */
struct xp_interval {
	int64_t from, to;
};
/* Which rows to read: all, or those whose time column is in [since, until) and outside every
 * exclusion. */
struct xp_window {
	const char *time_column; /* NULL: whole tables */
	int has_since, has_until;
	int64_t since, until;
	const struct xp_interval *excl;
	size_t nexcl;
};

#endif
