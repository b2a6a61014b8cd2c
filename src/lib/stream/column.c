#include "config.h"

#include "stream/column.h"

#include <stdlib.h>

#include <sql.h>
#include <sqlext.h>

static const struct {
	int type;
	const char *name;
	enum xp_type_class cls;
} types[] = {
        {SQL_CHAR, "CHAR", XP_CLASS_TEXT},
        {SQL_VARCHAR, "VARCHAR", XP_CLASS_TEXT},
        {SQL_LONGVARCHAR, "LONGVARCHAR", XP_CLASS_TEXT},
        {SQL_WCHAR, "WCHAR", XP_CLASS_WTEXT},
        {SQL_WVARCHAR, "WVARCHAR", XP_CLASS_WTEXT},
        {SQL_WLONGVARCHAR, "WLONGVARCHAR", XP_CLASS_WTEXT},
        {SQL_DECIMAL, "DECIMAL", XP_CLASS_DECIMAL},
        {SQL_NUMERIC, "NUMERIC", XP_CLASS_DECIMAL},
        {SQL_SMALLINT, "SMALLINT", XP_CLASS_INT},
        {SQL_INTEGER, "INTEGER", XP_CLASS_INT},
        {SQL_TINYINT, "TINYINT", XP_CLASS_INT},
        {SQL_BIGINT, "BIGINT", XP_CLASS_INT},
        {SQL_REAL, "REAL", XP_CLASS_REAL},
        {SQL_FLOAT, "FLOAT", XP_CLASS_DOUBLE},
        {SQL_DOUBLE, "DOUBLE", XP_CLASS_DOUBLE},
        {SQL_BIT, "BIT", XP_CLASS_BIT},
        {SQL_BINARY, "BINARY", XP_CLASS_BINARY},
        {SQL_VARBINARY, "VARBINARY", XP_CLASS_BINARY},
        {SQL_LONGVARBINARY, "LONGVARBINARY", XP_CLASS_BINARY},
        {SQL_TYPE_DATE, "DATE", XP_CLASS_TIME},
        {SQL_TYPE_TIME, "TIME", XP_CLASS_TIME},
        {SQL_TYPE_TIMESTAMP, "TIMESTAMP", XP_CLASS_TIME},
        {SQL_DATE, "DATE", XP_CLASS_TIME},
        {SQL_TIME, "TIME", XP_CLASS_TIME},
        {SQL_TIMESTAMP, "TIMESTAMP", XP_CLASS_TIME},
        {SQL_GUID, "GUID", XP_CLASS_GUID},
};

const char *xp_column_type_name(int sql_type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == sql_type)
			return types[i].name;
	return "OTHER";
}

enum xp_type_class xp_column_type_class(int sql_type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == sql_type)
			return types[i].cls;
	return XP_CLASS_OTHER;
}

void xp_columns_free(struct xp_column *cols, size_t n)
{
	if (!cols)
		return;
	for (size_t i = 0; i < n; i++) {
		free(cols[i].name);
		free(cols[i].type_name);
	}
	free(cols);
}
