/* The type map: the column type a dump's column gets in a table xprestore --create makes. */
#include "config.h"

#include "db/load-int.h"
#include "base/str.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xp_load_effective_type(const struct xp_column *col)
{
	const char *tn = col->type_name ? col->type_name : "";

	if (strcasecmp(tn, "bool") == 0 || strcasecmp(tn, "boolean") == 0)
		return SQL_BIT;
	if (strcasecmp(tn, "uuid") == 0 || strcasecmp(tn, "uniqueidentifier") == 0)
		return SQL_GUID;
	/* SQLite's driver reports a declared NUMERIC as DOUBLE and DECIMAL as VARCHAR, without
	 * the scale: a decimal of unknown precision (XP_LOAD_ANY_DECIMAL) */
	if ((strncasecmp(tn, "NUMERIC", 7) == 0 || strncasecmp(tn, "DECIMAL", 7) == 0) &&
	    col->sql_type != SQL_NUMERIC && col->sql_type != SQL_DECIMAL)
		return XP_LOAD_ANY_DECIMAL;
	if (col->sql_type == SQL_TYPE_TIMESTAMP &&
	    (xp_strcasestr(tn, "timestamptz") || xp_strcasestr(tn, "with time zone") ||
	     xp_strcasestr(tn, "datetimeoffset")))
		return SS_TIMESTAMPOFFSET;
	return col->sql_type;
}

static void text_type(enum xp_dbms f, uint64_t size, char *buf, size_t len)
{
	switch (f) {
	case XP_DBMS_POSTGRESQL: snprintf(buf, len, "text"); break;
	case XP_DBMS_SQLITE: snprintf(buf, len, "TEXT"); break;
	case XP_DBMS_MSSQL:
		if (size >= 1 && size <= 4000)
			snprintf(buf, len, "nvarchar(%llu)", (unsigned long long)size);
		else
			snprintf(buf, len, "nvarchar(max)");
		break;
	case XP_DBMS_MYSQL:
		if (size >= 1 && size <= 16383)
			snprintf(buf, len, "varchar(%llu)", (unsigned long long)size);
		else
			snprintf(buf, len, "longtext");
		break;
	default:
		if (size >= 1 && size <= 4000)
			snprintf(buf, len, "varchar(%llu)", (unsigned long long)size);
		else
			snprintf(buf, len, "clob");
	}
}

/* The length to declare in the target for text of size characters: SQL Server's nvarchar(n)
 * counts UTF-16 units, of which a character of another database may take two. */
static uint64_t units(enum xp_dbms f, enum xp_dbms source, uint64_t size)
{
	if (f != XP_DBMS_MSSQL || source == XP_DBMS_MSSQL)
		return size;
	return size <= 2000 ? 2 * size : 0;
}

static void numeric_type(enum xp_dbms f, uint64_t p, int s, char *buf, size_t len)
{
	uint64_t pmax = f == XP_DBMS_MSSQL ? 38 : f == XP_DBMS_MYSQL ? 65 : 1000;

	/* SQLite's NUMERIC affinity keeps 15 digits: text keeps every digit */
	if (f == XP_DBMS_SQLITE)
		snprintf(buf, len, "TEXT");
	else if (p == 0 || p > pmax)
		snprintf(buf, len, f == XP_DBMS_POSTGRESQL ? "numeric" : "decimal(%llu,%d)",
		         (unsigned long long)pmax,
		         s < 0           ? 0
		         : s > (int)pmax ? (int)pmax
		                         : s);
	else
		snprintf(buf, len, "numeric(%llu,%d)", (unsigned long long)p,
		         s < 0        ? 0
		         : s > (int)p ? (int)p
		                      : s);
}

int xp_load_unsigned(enum xp_dbms f, const struct xp_column *col)
{
	if (f == XP_DBMS_MSSQL && col->sql_type == SQL_TINYINT)
		return 1;
	return col->type_name && xp_strcasestr(col->type_name, "unsigned") != NULL;
}

/* Integers keep their width where the target has it, and get the next wider type where it
 * has not (PostgreSQL has no tinyint and no unsigned types). */
static void int_type(enum xp_dbms f, int u, const struct xp_column *col, char *buf, size_t len)
{
	const char *tn = col->type_name ? col->type_name : "";
	int t = col->sql_type;

	if (f == XP_DBMS_MYSQL) {
		if (strncasecmp(tn, "year", 4) == 0)
			snprintf(buf, len, "year");
		else
			snprintf(buf, len, "%s%s",
			         t == SQL_TINYINT                       ? "tinyint"
			         : t == SQL_SMALLINT                    ? "smallint"
			         : t == SQL_BIGINT                      ? "bigint"
			         : strncasecmp(tn, "mediumint", 9) == 0 ? "mediumint"
			                                                : "int",
			         u ? " unsigned" : "");
		return;
	}
	if (strncasecmp(tn, "year", 4) == 0) { /* 1901 to 2155, or 0 */
		snprintf(buf, len, "%s", f == XP_DBMS_SQLITE ? "SMALLINT" : "smallint");
		return;
	}
	if (f == XP_DBMS_SQLITE) { /* 64 bits whatever the name: text keeps 2^63 and above */
		snprintf(buf, len, "%s",
		         t == SQL_TINYINT    ? "TINYINT"
		         : t == SQL_SMALLINT ? "SMALLINT"
		         : t == SQL_INTEGER  ? "INTEGER"
		         : u                 ? "TEXT"
		                             : "BIGINT");
		return;
	}
	if (t == SQL_TINYINT) /* SQL Server's tinyint: 0 to 255 */
		snprintf(buf, len, "%s", f == XP_DBMS_MSSQL && u ? "tinyint" : "smallint");
	else if (t == SQL_SMALLINT)
		snprintf(buf, len, "%s", u ? "integer" : "smallint");
	else if (t == SQL_INTEGER)
		snprintf(buf, len, "%s", u ? "bigint" : "integer");
	else
		snprintf(buf, len, "%s",
		         !u                        ? "bigint"
		         : f == XP_DBMS_POSTGRESQL ? "numeric(20)"
		                                   : "decimal(20,0)");
}

void xp_load_column_type(enum xp_dbms dbms, enum xp_dbms source, const struct xp_column *col,
                         char *buf, size_t len)
{
	enum xp_dbms f = dbms;
	int lite = f == XP_DBMS_SQLITE;

	switch (xp_load_effective_type(col)) {
	case SQL_BIT:
		snprintf(buf, len, "%s",
		         lite                 ? "BOOLEAN"
		         : f == XP_DBMS_MSSQL ? "bit"
		         : f == XP_DBMS_MYSQL
		                 ? (strcasecmp(col->type_name, "bit") == 0 ? "bit(1)" : "bool")
		                 : "boolean");
		break;
	case SQL_TINYINT:
	case SQL_SMALLINT:
	case SQL_INTEGER:
	case SQL_BIGINT: int_type(f, xp_load_unsigned(source, col), col, buf, len); break;
	case SQL_NUMERIC:
	case SQL_DECIMAL: numeric_type(f, col->size, col->digits, buf, len); break;
	case XP_LOAD_ANY_DECIMAL: /* SQLite's NUMERIC affinity holds what its source held */
		snprintf(buf, len, "%s",
		         lite                      ? "NUMERIC"
		         : f == XP_DBMS_POSTGRESQL ? "numeric"
		         : f == XP_DBMS_MYSQL      ? "decimal(65,30)"
		                                   : "decimal(38,10)");
		break;
	case SQL_REAL: /* MariaDB's and MySQL's real is a double */
		snprintf(buf, len, "%s", lite ? "REAL" : f == XP_DBMS_MYSQL ? "float" : "real");
		break;
	case SQL_FLOAT:
	case SQL_DOUBLE:
		snprintf(buf, len, "%s",
		         lite                 ? "DOUBLE"
		         : f == XP_DBMS_MSSQL ? "float"
		         : f == XP_DBMS_MYSQL ? "double"
		                              : "double precision");
		break;
	case SQL_TYPE_DATE:
	case SQL_DATE: snprintf(buf, len, "%s", lite ? "DATE" : "date"); break;
	case SQL_TYPE_TIME:
	case SQL_TIME:
		/* MariaDB's time has no fraction unless asked for */
		if (f == XP_DBMS_MYSQL && col->digits > 0)
			snprintf(buf, len, "time(%d)", col->digits > 6 ? 6 : col->digits);
		else
			snprintf(buf, len, "%s", lite ? "TIME" : "time");
		break;
	case SQL_TYPE_TIMESTAMP:
	case SQL_TIMESTAMP:
		snprintf(buf, len, "%s",
		         lite                 ? "TIMESTAMP"
		         : f == XP_DBMS_MSSQL ? "datetime2"
		         : f == XP_DBMS_MYSQL ? "datetime(6)"
		                              : "timestamp");
		break;
	case SS_TIMESTAMPOFFSET:
		snprintf(buf, len, "%s",
		         lite                 ? "TIMESTAMP"
		         : f == XP_DBMS_MSSQL ? "datetimeoffset"
		         : f == XP_DBMS_MYSQL ? "datetime(6)"
		                              : "timestamp with time zone");
		break;
	case SS_TIME2: /* elsewhere text: other time types stop at microseconds */
		if (f == XP_DBMS_MSSQL)
			snprintf(buf, len, "time(7)");
		else
			text_type(f, 0, buf, len);
		break;
	case SQL_GUID:
		snprintf(buf, len, "%s",
		         lite                      ? "TEXT"
		         : f == XP_DBMS_POSTGRESQL ? "uuid"
		         : f == XP_DBMS_MSSQL      ? "uniqueidentifier"
		                                   : "char(36)");
		break;
	case SQL_BINARY:
	case SQL_VARBINARY:
	case SQL_LONGVARBINARY:
		/* MariaDB's BIT(n), n > 1, travels as its bytes */
		if (f == XP_DBMS_MYSQL && strcasecmp(col->type_name, "bit") == 0 &&
		    col->size >= 1 && col->size <= 64)
			snprintf(buf, len, "bit(%llu)", (unsigned long long)col->size);
		else if (f == XP_DBMS_MSSQL && col->size >= 1 && col->size <= 8000)
			snprintf(buf, len, "varbinary(%llu)", (unsigned long long)col->size);
		else
			snprintf(buf, len, "%s",
			         lite                      ? "BLOB"
			         : f == XP_DBMS_POSTGRESQL ? "bytea"
			         : f == XP_DBMS_MSSQL      ? "varbinary(max)"
			         : f == XP_DBMS_MYSQL      ? "longblob"
			                                   : "blob");
		break;
	case SQL_CHAR:
	case SQL_WCHAR:
		/* fixed width (MariaDB's UUID and ENUM arrive as char(n)) */
		if (f == XP_DBMS_MYSQL && col->size >= 1 && col->size <= 255) {
			snprintf(buf, len, "char(%llu)", (unsigned long long)col->size);
			break;
		}
		text_type(f, units(f, source, col->size), buf, len);
		break;
	case SQL_VARCHAR:
	case SQL_WVARCHAR: text_type(f, units(f, source, col->size), buf, len); break;
	default: text_type(f, 0, buf, len); /* long text, intervals, anything unknown */
	}
}
