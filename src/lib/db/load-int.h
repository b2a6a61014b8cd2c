/* Internals shared by the loader (load.c) and its type map (load-types.c). */
#ifndef XP_LOAD_INT_H
#define XP_LOAD_INT_H

#include "db/load.h"
#include "db/odbc.h"

/* SQL Server's datetimeoffset, which sqlext.h does not name */
#define SS_TIMESTAMPOFFSET (-155)
/* SQL Server's time(n), to 100 ns (SQL_SS_TIME2) */
#define SS_TIME2 (-154)
/* A decimal whose precision and scale the source did not say (SQLite's NUMERIC) */
#define XP_LOAD_ANY_DECIMAL (-1000)

enum xp_load_family { FAM_OTHER, FAM_PG, FAM_SQLITE, FAM_MSSQL, FAM_MYSQL };

/* The family of a database from its SQL_DBMS_NAME (FAM_OTHER for NULL). */
enum xp_load_family xp_load_family(const char *dbms);
/* The source's type code, corrected by its type name where drivers report a type as text
 * (psqlODBC's BoolsAsChar reports bool as VARCHAR). */
int xp_load_effective_type(const struct xp_column *col);
/* Whether an integer column of a database of family f is unsigned: its type name says so
 * ("bigint unsigned"), or it is SQL Server's tinyint (0 to 255). */
int xp_load_unsigned(enum xp_load_family f, const struct xp_column *col);

#endif
