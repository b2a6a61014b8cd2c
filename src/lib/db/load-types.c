/* The type map: the column type a dump's column gets in a table xprestore --create makes. */
#include "config.h"

#include "db/load-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum xp_load_family xp_load_family(const char *dbms)
{
	if (!dbms) /* a MANIFEST that does not say */
		return FAM_OTHER;
	if (strcmp(dbms, "PostgreSQL") == 0)
		return FAM_PG;
	if (strncasecmp(dbms, "SQLite", 6) == 0)
		return FAM_SQLITE;
	if (strstr(dbms, "SQL Server"))
		return FAM_MSSQL;
	if (strcasestr(dbms, "MySQL") || strcasestr(dbms, "MariaDB"))
		return FAM_MYSQL;
	return FAM_OTHER;
}

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
	    (strcasestr(tn, "timestamptz") || strcasestr(tn, "with time zone") ||
	     strcasestr(tn, "datetimeoffset")))
		return SS_TIMESTAMPOFFSET;
	return col->sql_type;
}

static void text_type(enum xp_load_family f, uint64_t size, char *buf, size_t len)
{
	switch (f) {
	case FAM_PG: snprintf(buf, len, "text"); break;
	case FAM_SQLITE: snprintf(buf, len, "TEXT"); break;
	case FAM_MSSQL:
		if (size >= 1 && size <= 4000)
			snprintf(buf, len, "nvarchar(%llu)", (unsigned long long)size);
		else
			snprintf(buf, len, "nvarchar(max)");
		break;
	case FAM_MYSQL:
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
static uint64_t units(enum xp_load_family f, const char *source, uint64_t size)
{
	if (f != FAM_MSSQL || xp_load_family(source) == FAM_MSSQL)
		return size;
	return size <= 2000 ? 2 * size : 0;
}

static void numeric_type(enum xp_load_family f, uint64_t p, int s, char *buf, size_t len)
{
	uint64_t pmax = f == FAM_MSSQL ? 38 : f == FAM_MYSQL ? 65 : 1000;

	/* SQLite's NUMERIC affinity keeps 15 digits: text keeps every digit */
	if (f == FAM_SQLITE)
		snprintf(buf, len, "TEXT");
	else if (p == 0 || p > pmax)
		snprintf(buf, len, f == FAM_PG ? "numeric" : "decimal(%llu,%d)",
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

int xp_load_unsigned(enum xp_load_family f, const struct xp_column *col)
{
	if (f == FAM_MSSQL && col->sql_type == SQL_TINYINT)
		return 1;
	return col->type_name && strcasestr(col->type_name, "unsigned") != NULL;
}

/* Integers keep their width where the target has it, and get the next wider type where it
 * has not (PostgreSQL has no tinyint and no unsigned types). */
static void int_type(enum xp_load_family f, int u, const struct xp_column *col, char *buf,
                     size_t len)
{
	const char *tn = col->type_name ? col->type_name : "";
	int t = col->sql_type;

	if (f == FAM_MYSQL) {
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
		snprintf(buf, len, "%s", f == FAM_SQLITE ? "SMALLINT" : "smallint");
		return;
	}
	if (f == FAM_SQLITE) { /* 64 bits whatever the name: text keeps 2^63 and above */
		snprintf(buf, len, "%s",
		         t == SQL_TINYINT    ? "TINYINT"
		         : t == SQL_SMALLINT ? "SMALLINT"
		         : t == SQL_INTEGER  ? "INTEGER"
		         : u                 ? "TEXT"
		                             : "BIGINT");
		return;
	}
	if (t == SQL_TINYINT) /* SQL Server's tinyint: 0 to 255 */
		snprintf(buf, len, "%s", f == FAM_MSSQL && u ? "tinyint" : "smallint");
	else if (t == SQL_SMALLINT)
		snprintf(buf, len, "%s", u ? "integer" : "smallint");
	else if (t == SQL_INTEGER)
		snprintf(buf, len, "%s", u ? "bigint" : "integer");
	else
		snprintf(buf, len, "%s",
		         !u            ? "bigint"
		         : f == FAM_PG ? "numeric(20)"
		                       : "decimal(20,0)");
}

void xp_load_column_type(const char *dbms, const char *source, const struct xp_column *col,
                         char *buf, size_t len)
{
	enum xp_load_family f = xp_load_family(dbms);
	int lite = f == FAM_SQLITE;

	switch (xp_load_effective_type(col)) {
	case SQL_BIT:
		snprintf(buf, len, "%s",
		         lite             ? "BOOLEAN"
		         : f == FAM_MSSQL ? "bit"
		         : f == FAM_MYSQL
		                 ? (strcasecmp(col->type_name, "bit") == 0 ? "bit(1)" : "bool")
		                 : "boolean");
		break;
	case SQL_TINYINT:
	case SQL_SMALLINT:
	case SQL_INTEGER:
	case SQL_BIGINT:
		int_type(f, xp_load_unsigned(xp_load_family(source), col), col, buf, len);
		break;
	case SQL_NUMERIC:
	case SQL_DECIMAL: numeric_type(f, col->size, col->digits, buf, len); break;
	case XP_LOAD_ANY_DECIMAL: /* SQLite's NUMERIC affinity holds what its source held */
		snprintf(buf, len, "%s",
		         lite             ? "NUMERIC"
		         : f == FAM_PG    ? "numeric"
		         : f == FAM_MYSQL ? "decimal(65,30)"
		                          : "decimal(38,10)");
		break;
	case SQL_REAL: /* MariaDB's and MySQL's real is a double */
		snprintf(buf, len, "%s", lite ? "REAL" : f == FAM_MYSQL ? "float" : "real");
		break;
	case SQL_FLOAT:
	case SQL_DOUBLE:
		snprintf(buf, len, "%s",
		         lite             ? "DOUBLE"
		         : f == FAM_MSSQL ? "float"
		         : f == FAM_MYSQL ? "double"
		                          : "double precision");
		break;
	case SQL_TYPE_DATE:
	case SQL_DATE: snprintf(buf, len, "%s", lite ? "DATE" : "date"); break;
	case SQL_TYPE_TIME:
	case SQL_TIME:
		/* MariaDB's time has no fraction unless asked for */
		if (f == FAM_MYSQL && col->digits > 0)
			snprintf(buf, len, "time(%d)", col->digits > 6 ? 6 : col->digits);
		else
			snprintf(buf, len, "%s", lite ? "TIME" : "time");
		break;
	case SQL_TYPE_TIMESTAMP:
	case SQL_TIMESTAMP:
		snprintf(buf, len, "%s",
		         lite             ? "TIMESTAMP"
		         : f == FAM_MSSQL ? "datetime2"
		         : f == FAM_MYSQL ? "datetime(6)"
		                          : "timestamp");
		break;
	case SS_TIMESTAMPOFFSET:
		snprintf(buf, len, "%s",
		         lite             ? "TIMESTAMP"
		         : f == FAM_MSSQL ? "datetimeoffset"
		         : f == FAM_MYSQL ? "datetime(6)"
		                          : "timestamp with time zone");
		break;
	case SS_TIME2: /* elsewhere text: other time types stop at microseconds */
		if (f == FAM_MSSQL)
			snprintf(buf, len, "time(7)");
		else
			text_type(f, 0, buf, len);
		break;
	case SQL_GUID:
		snprintf(buf, len, "%s",
		         lite             ? "TEXT"
		         : f == FAM_PG    ? "uuid"
		         : f == FAM_MSSQL ? "uniqueidentifier"
		                          : "char(36)");
		break;
	case SQL_BINARY:
	case SQL_VARBINARY:
	case SQL_LONGVARBINARY:
		/* MariaDB's BIT(n), n > 1, travels as its bytes */
		if (f == FAM_MYSQL && strcasecmp(col->type_name, "bit") == 0 && col->size >= 1 &&
		    col->size <= 64)
			snprintf(buf, len, "bit(%llu)", (unsigned long long)col->size);
		else if (f == FAM_MSSQL && col->size >= 1 && col->size <= 8000)
			snprintf(buf, len, "varbinary(%llu)", (unsigned long long)col->size);
		else
			snprintf(buf, len, "%s",
			         lite             ? "BLOB"
			         : f == FAM_PG    ? "bytea"
			         : f == FAM_MSSQL ? "varbinary(max)"
			         : f == FAM_MYSQL ? "longblob"
			                          : "blob");
		break;
	case SQL_CHAR:
	case SQL_WCHAR:
		/* fixed width (MariaDB's UUID and ENUM arrive as char(n)) */
		if (f == FAM_MYSQL && col->size >= 1 && col->size <= 255) {
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
