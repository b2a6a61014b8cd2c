/* The type map: the column type a dump's column gets in a table xprestore --create makes. */
#include "config.h"

#include "load-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum xp_load_family xp_load_family(const char *dbms)
{
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

void xp_load_column_type(const char *dbms, const struct xp_column *col, char *buf, size_t len)
{
	enum xp_load_family f = xp_load_family(dbms);
	int lite = f == FAM_SQLITE;

	switch (xp_load_effective_type(col)) {
	case SQL_BIT:
		snprintf(buf, len, "%s",
		         lite             ? "BOOLEAN"
		         : f == FAM_MSSQL ? "bit"
		         : f == FAM_MYSQL ? "bool"
		                          : "boolean");
		break;
	case SQL_TINYINT:
	case SQL_SMALLINT: snprintf(buf, len, "%s", lite ? "SMALLINT" : "smallint"); break;
	case SQL_INTEGER: snprintf(buf, len, "%s", lite ? "INTEGER" : "integer"); break;
	case SQL_BIGINT: snprintf(buf, len, "%s", lite ? "BIGINT" : "bigint"); break;
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
	case SQL_TIME: snprintf(buf, len, "%s", lite ? "TIME" : "time"); break;
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
		if (f == FAM_MSSQL && col->size >= 1 && col->size <= 8000)
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
	case SQL_VARCHAR:
	case SQL_WCHAR:
	case SQL_WVARCHAR: text_type(f, col->size, buf, len); break;
	default: text_type(f, 0, buf, len); /* long text, intervals, anything unknown */
	}
}
