/* The SQL type map of the stream: generic names (written in MANIFEST) and classes. */
#include "config.h"

#include "stream/column.h"

#include "../tap.h"

#include <sql.h>
#include <sqlext.h>

int main(void)
{
	static const struct {
		int type;
		const char *name;
		enum xp_type_class cls;
	} t[] = {
	        {SQL_VARCHAR, "VARCHAR", XP_CLASS_TEXT},
	        {SQL_WLONGVARCHAR, "WLONGVARCHAR", XP_CLASS_WTEXT},
	        {SQL_BIGINT, "BIGINT", XP_CLASS_INT},
	        {SQL_NUMERIC, "NUMERIC", XP_CLASS_DECIMAL},
	        {SQL_DOUBLE, "DOUBLE", XP_CLASS_DOUBLE},
	        {SQL_REAL, "REAL", XP_CLASS_REAL},
	        {SQL_VARBINARY, "VARBINARY", XP_CLASS_BINARY},
	        {SQL_TYPE_TIMESTAMP, "TIMESTAMP", XP_CLASS_TIME},
	        {SQL_DATE, "DATE", XP_CLASS_TIME},
	        {SQL_GUID, "GUID", XP_CLASS_GUID},
	        {SQL_BIT, "BIT", XP_CLASS_BIT},
	        {-155, "OTHER", XP_CLASS_OTHER},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		is_str(xp_column_type_name(t[i].type), t[i].name, "type %d is named %s", t[i].type,
		       t[i].name);
		is_int(xp_column_type_class(t[i].type), t[i].cls, "%s has its class", t[i].name);
	}
	return done_testing();
}
