/* The type map of xprestore --create when SQL Server is the target, for SQL Server's own
 * types as FreeTDS's ODBC driver describes them (type code, name, size, scale). */
#include "config.h"

#include "db/load-int.h"

#include "../tap.h"

static const struct {
	int sql_type;
	const char *name;
	uint64_t size;
	int digits;
	const char *want;
} cols[] = {
        {SQL_BIGINT, "bigint", 19, 0, "bigint"},
        {SQL_TINYINT, "tinyint", 3, 0, "tinyint"},
        {SQL_BIT, "bit", 1, 0, "bit"},
        {SQL_NUMERIC, "decimal", 38, 10, "numeric(38,10)"},
        {SQL_DECIMAL, "money", 19, 4, "numeric(19,4)"},
        {SQL_TYPE_TIMESTAMP, "datetime", 23, 3, "datetime2"},
        {SQL_TYPE_TIMESTAMP, "datetime2", 27, 7, "datetime2"},
        {SS_TIMESTAMPOFFSET, "datetimeoffset", 34, 7, "datetimeoffset"},
        {SQL_TYPE_DATE, "date", 10, 0, "date"},
        {SS_TIME2, "time", 16, 7, "time(7)"},
        {SQL_WVARCHAR, "nvarchar", 50, 0, "nvarchar(50)"},
        {SQL_WVARCHAR, "nvarchar", 0, 0, "nvarchar(max)"},
        {SQL_VARCHAR, "varchar", 20, 0, "nvarchar(20)"},
        {SQL_GUID, "uniqueidentifier", 36, 0, "uniqueidentifier"},
        {SQL_VARBINARY, "varbinary", 0, 0, "varbinary(max)"},
        {SQL_VARBINARY, "varbinary", 16, 0, "varbinary(16)"},
};

int main(void)
{
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		struct xp_column c = {.name = "c",
		                      .sql_type = cols[i].sql_type,
		                      .type_name = (char *)cols[i].name,
		                      .size = cols[i].size,
		                      .digits = cols[i].digits,
		                      .nullable = 1};
		char buf[64];

		xp_load_column_type("Microsoft SQL Server", "Microsoft SQL Server", &c, buf,
		                    sizeof buf);
		is_str(buf, cols[i].want, "SQL Server's %s (%llu, %d) becomes %s", cols[i].name,
		       (unsigned long long)cols[i].size, cols[i].digits, cols[i].want);
	}
	/* another database's characters may take two UTF-16 units each in nvarchar(n) */
	{
		struct xp_column c = {
		        .name = "c", .sql_type = SQL_VARCHAR, .type_name = "varchar", .size = 40};
		char buf[64];

		xp_load_column_type("Microsoft SQL Server", "PostgreSQL", &c, buf, sizeof buf);
		is_str(buf, "nvarchar(80)", "PostgreSQL's varchar(40) becomes nvarchar(80)");
		c.size = 2001;
		xp_load_column_type("Microsoft SQL Server", "MariaDB", &c, buf, sizeof buf);
		is_str(buf, "nvarchar(max)", "MariaDB's varchar(2001) becomes nvarchar(max)");
		c.sql_type = SQL_TINYINT;
		c.type_name = "tinyint";
		xp_load_column_type("Microsoft SQL Server", "MariaDB", &c, buf, sizeof buf);
		is_str(buf, "smallint", "MariaDB's signed tinyint becomes smallint");
		xp_load_column_type("MariaDB", "Microsoft SQL Server", &c, buf, sizeof buf);
		is_str(buf, "tinyint unsigned",
		       "SQL Server's tinyint becomes MariaDB's tinyint unsigned");
	}
	/* other targets keep a time of 100 ns as text: their time types hold microseconds */
	{
		struct xp_column c = {.name = "c", .sql_type = SS_TIME2, .type_name = "time"};
		char buf[64];

		xp_load_column_type("PostgreSQL", "Microsoft SQL Server", &c, buf, sizeof buf);
		is_str(buf, "text", "SQL Server's time(7) becomes text on PostgreSQL");
	}
	return done_testing();
}
