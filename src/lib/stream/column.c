#include "config.h"

#include "stream/column.h"

#include <stdlib.h>

#include <sql.h>
#include <sqlext.h>

static const struct {
	int type;
	const char *name;
	char cls;
} types[] = {
        {SQL_CHAR, "CHAR", 's'},
        {SQL_VARCHAR, "VARCHAR", 's'},
        {SQL_LONGVARCHAR, "LONGVARCHAR", 's'},
        {SQL_WCHAR, "WCHAR", 'w'},
        {SQL_WVARCHAR, "WVARCHAR", 'w'},
        {SQL_WLONGVARCHAR, "WLONGVARCHAR", 'w'},
        {SQL_DECIMAL, "DECIMAL", 'n'},
        {SQL_NUMERIC, "NUMERIC", 'n'},
        {SQL_SMALLINT, "SMALLINT", 'i'},
        {SQL_INTEGER, "INTEGER", 'i'},
        {SQL_TINYINT, "TINYINT", 'i'},
        {SQL_BIGINT, "BIGINT", 'i'},
        {SQL_REAL, "REAL", 'r'},
        {SQL_FLOAT, "FLOAT", 'f'},
        {SQL_DOUBLE, "DOUBLE", 'f'},
        {SQL_BIT, "BIT", 'o'},
        {SQL_BINARY, "BINARY", 'b'},
        {SQL_VARBINARY, "VARBINARY", 'b'},
        {SQL_LONGVARBINARY, "LONGVARBINARY", 'b'},
        {SQL_TYPE_DATE, "DATE", 'd'},
        {SQL_TYPE_TIME, "TIME", 'd'},
        {SQL_TYPE_TIMESTAMP, "TIMESTAMP", 'd'},
        {SQL_DATE, "DATE", 'd'},
        {SQL_TIME, "TIME", 'd'},
        {SQL_TIMESTAMP, "TIMESTAMP", 'd'},
        {SQL_GUID, "GUID", 'g'},
};

const char *xp_column_type_name(int sql_type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == sql_type)
			return types[i].name;
	return "OTHER";
}

int xp_column_type_class(int sql_type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == sql_type)
			return types[i].cls;
	return 't';
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
