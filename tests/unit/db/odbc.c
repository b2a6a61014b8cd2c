/* The ODBC layer's pure helpers: connection strings redacted, floats as shortest text, UTF-16
 * to UTF-8, identifiers quoted; a statement refused on a connection that is not open. */
#include "config.h"

#include "db/odbc.h"
#include "db/fetch.h"

#include "../tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void odbc_helpers(void)
{
	static const struct {
		const char *in, *out;
	} red[] = {
	        {"DSN=audit;UID=backup;PWD=s3cret", "DSN=audit;UID=backup;PWD=***"},
	        {"Driver=X;pwd=a;Server=h", "Driver=X;pwd=***;Server=h"},
	        {"Driver=X; Password = {se;cr}}et};Port=5", "Driver=X;Password = ***;Port=5"},
	        {"PWD=", "PWD=***"},
	        {"Driver=X;Database=/pwd=/x", "Driver=X;Database=/pwd=/x"},
	        {"DSN=audit", "DSN=audit"},
	        {"", ""},
	};
	static const struct {
		double d;
		int as_float;
		const char *out;
	} dbl[] = {
	        {0.1, 0, "0.1"},         {0.1 + 0.2, 0, "0.30000000000000004"},
	        {1e-300, 0, "1e-300"},   {1.7976931348623157e308, 0, "1.7976931348623157e+308"},
	        {5e-324, 0, "5e-324"},   {-0.0, 0, "-0"},
	        {100000, 0, "100000"},   {1.0f / 3, 1, "0.33333334"},
	        {0.1f, 1, "0.1"},        {5.60519386e-45f, 1, "6e-45"},
	        {3.4e38f, 1, "3.4e+38"},
	};
	static const SQLWCHAR w[] = {'a', 0xE9, 0x20AC, 0xD83D, 0xDE00, 0xD800, 'z', 0xDC00};
	struct xp_odbc c = {0};
	char buf[32], *q;
	size_t n;

	for (size_t i = 0; i < sizeof red / sizeof red[0]; i++) {
		char *r = xp_odbc_redact(red[i].in);

		is_str(r, red[i].out, "redact \"%s\"", red[i].in);
		free(r);
	}
	for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++) {
		xp_odbc_format_double(dbl[i].d, dbl[i].as_float, buf);
		is_str(buf, dbl[i].out, "shortest text of %s", dbl[i].out);
	}
	xp_odbc_format_double(NAN, 0, buf);
	is_str(buf, "NaN", "NaN prints as PostgreSQL does");
	xp_odbc_format_double(-INFINITY, 0, buf);
	is_str(buf, "-Infinity", "-Infinity prints as PostgreSQL does");
	n = xp_odbc_utf16_to_utf8(w, 8, buf);
	buf[n] = '\0';
	is_str(buf, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdz\xef\xbf\xbd",
	       "UTF-16 to UTF-8: 1-4 byte forms, surrogate pairs, lone surrogates as U+FFFD");
	strcpy(c.quote, "\"");
	q = xp_odbc_quote(&c, "app.we\"ird");
	is_str(q, "\"app\".\"we\"\"ird\"", "schema.table is quoted per part, quotes doubled");
	free(q);
	c.quote[0] = '\0';
	q = xp_odbc_quote(&c, "plain");
	is_str(q, "plain", "no quote char: the name as it is");
	free(q);
}

/* A statement on a connection that is not open: refused, the handle left null, the driver
 * manager's reason recorded under the caller's words. */
static void odbc_stmt(void)
{
	struct xp_odbc c = {0};
	struct xp_err err = {0, ""};
	SQLHSTMT st = (SQLHSTMT)1;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c.env)) ||
	    !SQL_SUCCEEDED(
	            SQLSetEnvAttr(c.env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
	    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, c.env, &c.dbc))) {
		skip("the driver manager gives no connection handle");
		return;
	}
	is_int(xp_odbc_stmt(&c, &st, &err, "table %s", "t"), XP_EFAIL,
	       "a statement on a connection not open: XP_EFAIL");
	ok(st == SQL_NULL_HSTMT, "and no handle");
	ok(strncmp(err.msg, "table t: ", 9) == 0 && err.msg[9], "the reason under WHAT: %s",
	   err.msg);
	SQLFreeHandle(SQL_HANDLE_DBC, c.dbc);
	SQLFreeHandle(SQL_HANDLE_ENV, c.env);
}

int main(void)
{
	odbc_helpers();
	odbc_stmt();
	return done_testing();
}
