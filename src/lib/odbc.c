#include "config.h"

#include "odbc.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_is_password(const char *k, size_t n)
{
	return (n == 3 && strncasecmp(k, "PWD", 3) == 0) ||
	       (n == 8 && strncasecmp(k, "Password", 8) == 0);
}

char *xp_odbc_redact(const char *s)
{
	size_t n = strlen(s);
	/* "PWD=;" becomes "PWD=***;": at most 3 bytes more per 4 bytes of input */
	char *out = malloc(n + (n / 4 + 1) * 3 + 1), *o = out;
	const char *p = s;

	if (!out)
		return NULL;
	while (*p) {
		const char *k = p, *eq, *v, *end;

		while (*p && *p != '=' && *p != ';')
			p++;
		eq = p;
		if (*p != '=') { /* a pair without '=' (or an empty one): copy as is */
			if (*p)
				p++;
			memcpy(o, k, (size_t)(p - k));
			o += p - k;
			continue;
		}
		v = p + 1;
		while (isspace((unsigned char)*v))
			v++;
		end = v;
		if (*end == '{') { /* braced value: may hold ';', "}}" is an escaped brace */
			end++;
			while (*end) {
				if (*end == '}' && end[1] == '}')
					end += 2;
				else if (*end == '}') {
					end++;
					break;
				} else
					end++;
			}
		}
		while (*end && *end != ';')
			end++;
		while (k < eq && isspace((unsigned char)*k))
			k++;
		{
			const char *ke = eq;

			while (ke > k && isspace((unsigned char)ke[-1]))
				ke--;
			memcpy(o, k, (size_t)(v - k));
			o += v - k;
			if (key_is_password(k, (size_t)(ke - k))) {
				memcpy(o, "***", 3);
				o += 3;
			} else {
				memcpy(o, v, (size_t)(end - v));
				o += end - v;
			}
		}
		p = end;
		if (*p == ';')
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

int xp_odbc_error(struct xp_err *err, int code, SQLSMALLINT htype, SQLHANDLE h, const char *fmt,
                  ...)
{
	SQLCHAR state[6] = "", msg[400] = "";
	SQLINTEGER native = 0;
	SQLSMALLINT mlen = 0;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (!h ||
	    !SQL_SUCCEEDED(SQLGetDiagRec(htype, h, 1, state, &native, msg, sizeof msg, &mlen)))
		return xp_err_set(err, code, "%s: no diagnostic from the driver", what);
	for (char *c = (char *)msg; *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	/* strip trailing spaces the newlines left */
	for (size_t l = strlen((char *)msg); l && msg[l - 1] == ' '; l--)
		msg[l - 1] = '\0';
	return xp_err_set(err, code, "%s: [%s] %s", what, (char *)state, (char *)msg);
}

char *xp_odbc_quote(const struct xp_odbc *c, const char *name)
{
	char q = c->quote[0];
	size_t n = strlen(name);
	char *out, *o;

	if (!q) /* the driver knows no quoting: pass the name through */
		return strdup(name);
	out = malloc(2 * n + 2 * (n + 1) + 1);
	if (!out)
		return NULL;
	o = out;
	*o++ = q;
	for (const char *p = name; *p; p++) {
		if (*p == '.') {
			*o++ = q;
			*o++ = '.';
			*o++ = q;
		} else {
			if (*p == q)
				*o++ = q;
			*o++ = *p;
		}
	}
	*o++ = q;
	*o = '\0';
	return out;
}

static int has_key(const char *connstr, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = connstr; *p;) {
		while (*p == ';' || isspace((unsigned char)*p))
			p++;
		if (strncasecmp(p, key, kl) == 0) {
			const char *e = p + kl;

			while (isspace((unsigned char)*e))
				e++;
			if (*e == '=')
				return 1;
		}
		p = strchr(p, ';');
		if (!p)
			break;
	}
	return 0;
}

static int driver_connect(struct xp_odbc *c, const char *connstr, struct xp_err *err)
{
	SQLRETURN r;

	r = SQLAllocHandle(SQL_HANDLE_DBC, c->env, &c->dbc);
	if (!SQL_SUCCEEDED(r)) {
		c->dbc = SQL_NULL_HDBC;
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_ENV, c->env, "%s", c->source);
	}
	r = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)connstr, SQL_NTS, NULL, 0, NULL,
	                     SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(r)) {
		int rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", c->source);

		SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
		c->dbc = SQL_NULL_HDBC;
		return rc;
	}
	return 0;
}

static void info_str(struct xp_odbc *c, SQLUSMALLINT what, char *buf, size_t len)
{
	SQLSMALLINT got = 0;

	if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, what, buf, (SQLSMALLINT)len, &got)))
		buf[0] = '\0';
	buf[len - 1] = '\0';
}

/* What to add to the connection string so the driver streams a result instead of holding all
 * of it in memory; NULL when nothing is needed or the string already decides. */
static const char *streaming_option(const char *driver, const char *connstr)
{
	/* psqlODBC reads through a cursor only with UseDeclareFetch */
	if (strncasecmp(driver, "psqlodbc", 8) == 0 && !has_key(connstr, "UseDeclareFetch"))
		return "UseDeclareFetch=1;Fetch=" XP_ODBC_ROWS_TEXT;
	/* sqlite3odbc copies a whole result (sqlite3_get_table) unless it steps */
	if (strstr(driver, "sqlite3odbc") && !has_key(connstr, "StepAPI"))
		return "StepAPI=1";
	return NULL;
}

int xp_odbc_connect(struct xp_odbc *c, const char *connstr, struct xp_err *err)
{
	const char *extra;
	char *streaming = NULL;
	int rc;

	memset(c, 0, sizeof *c);
	c->source = xp_odbc_redact(connstr);
	if (!c->source)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env))) {
		c->env = SQL_NULL_HENV;
		rc = xp_err_set(err, XP_EFAIL, "odbc: cannot allocate an environment");
		goto out;
	}
	if (!SQL_SUCCEEDED(
	            SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_ENV, c->env, "odbc");
		goto out;
	}
	rc = driver_connect(c, connstr, err);
	if (rc)
		goto out;
	info_str(c, SQL_DRIVER_NAME, c->driver, sizeof c->driver);
	extra = streaming_option(c->driver, connstr);
	if (extra) {
		size_t l = strlen(connstr);

		streaming = xp_asprintf("%s%s%s", connstr, l && connstr[l - 1] != ';' ? ";" : "",
		                        extra);
		if (!streaming) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		SQLDisconnect(c->dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
		c->dbc = SQL_NULL_HDBC;
		rc = driver_connect(c, streaming, err);
		if (rc)
			goto out;
	}
	info_str(c, SQL_DBMS_NAME, c->dbms, sizeof c->dbms);
	info_str(c, SQL_IDENTIFIER_QUOTE_CHAR, c->quote, sizeof c->quote);
	if (c->quote[0] == ' ')
		c->quote[0] = '\0';
	snprintf(c->isolation, sizeof c->isolation, "autocommit");
out:
	if (streaming) {
		memset(streaming, 0, strlen(streaming));
		free(streaming);
	}
	if (rc)
		xp_odbc_close(c);
	return rc;
}

void xp_odbc_close(struct xp_odbc *c)
{
	if (c->dbc) {
		if (c->in_txn)
			xp_odbc_end(c, 0, NULL);
		SQLDisconnect(c->dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
	}
	if (c->env)
		SQLFreeHandle(SQL_HANDLE_ENV, c->env);
	free(c->source);
	memset(c, 0, sizeof *c);
}

int xp_odbc_exec(struct xp_odbc *c, const char *sql, struct xp_err *err)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLRETURN r;
	int rc = 0;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", c->source);
	r = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA)
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s", sql);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return rc;
}

static int try_isolation(struct xp_odbc *c, SQLULEN level)
{
	return SQL_SUCCEEDED(
	        SQLSetConnectAttr(c->dbc, SQL_ATTR_TXN_ISOLATION, (SQLPOINTER)level, 0));
}

int xp_odbc_begin_snapshot(struct xp_odbc *c, struct xp_err *err)
{
	static const struct {
		SQLULEN level;
		const char *name;
	} generic[] = {
	        {SQL_TXN_SERIALIZABLE, "serializable"},
	        {SQL_TXN_REPEATABLE_READ, "repeatable-read"},
	        {SQL_TXN_READ_COMMITTED, "read-committed"},
	};
	const char *got = NULL;
	int rc;

	/* SQLite transactions are serializable; a deferred BEGIN takes the read snapshot at the
	 * first SELECT and keeps it to the end */
	if (strcmp(c->dbms, "SQLite") == 0) {
		rc = xp_odbc_exec(c, "BEGIN", err);
		if (rc)
			return rc;
		c->in_txn = c->txn_sql = 1;
		snprintf(c->isolation, sizeof c->isolation, "serializable");
		return 0;
	}
	/* SQL Server's SNAPSHOT (SQL_TXN_SS_SNAPSHOT) reads one version without locks */
	if (strstr(c->dbms, "SQL Server") && try_isolation(c, 0x20))
		got = "snapshot";
	/* there REPEATABLE READ is snapshot isolation; SERIALIZABLE adds checks or locks */
	if (!got &&
	    (strcmp(c->dbms, "PostgreSQL") == 0 || strcasestr(c->dbms, "MySQL") ||
	     strcasestr(c->dbms, "MariaDB")) &&
	    try_isolation(c, SQL_TXN_REPEATABLE_READ))
		got = "repeatable-read";
	for (size_t i = 0; !got && i < sizeof generic / sizeof generic[0]; i++)
		if (try_isolation(c, generic[i].level))
			got = generic[i].name;
	if (!SQL_SUCCEEDED(SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT,
	                                     (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc,
		                     "%s: cannot start a transaction", c->source);
	c->in_txn = 1;
	snprintf(c->isolation, sizeof c->isolation, "%s", got ? got : "driver-default");
	return 0;
}

int xp_odbc_end(struct xp_odbc *c, int commit, struct xp_err *err)
{
	int rc = 0;

	if (!c->in_txn)
		return 0;
	c->in_txn = 0;
	if (c->txn_sql) {
		c->txn_sql = 0;
		return xp_odbc_exec(c, commit ? "COMMIT" : "ROLLBACK", err);
	}
	if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, c->dbc, commit ? SQL_COMMIT : SQL_ROLLBACK)))
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s: end of transaction",
		                   c->source);
	if (!SQL_SUCCEEDED(SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT,
	                                     (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0)) &&
	    !rc)
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s: autocommit",
		                   c->source);
	return rc;
}

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

const char *xp_odbc_type_name(int sql_type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == sql_type)
			return types[i].name;
	return "OTHER";
}

int xp_odbc_type_class(int sql_type)
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

int xp_odbc_describe(struct xp_odbc *c, const char *table, struct xp_column **out, size_t *nout,
                     struct xp_err *err)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	struct xp_column *cols = NULL;
	SQLSMALLINT n = 0;
	char *q = xp_odbc_quote(c, table), *sql = NULL;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	sql = q ? xp_asprintf("SELECT * FROM %s WHERE 1=0", q) : NULL;
	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "table %s", table);
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLNumResultCols(st, &n))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s", table);
		goto out;
	}
	if (n <= 0) {
		rc = xp_err_set(err, XP_EFAIL, "table %s: no columns", table);
		goto out;
	}
	cols = calloc((size_t)n, sizeof *cols);
	if (!cols) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (SQLSMALLINT i = 0; i < n; i++) {
		SQLCHAR name[512], tname[128] = "";
		SQLSMALLINT nlen = 0, type = 0, digits = 0, nullable = 0, tlen = 0;
		SQLULEN size = 0;

		if (!SQL_SUCCEEDED(SQLDescribeCol(st, (SQLUSMALLINT)(i + 1), name, sizeof name,
		                                  &nlen, &type, &size, &digits, &nullable))) {
			rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s", table);
			goto out;
		}
		if (!SQL_SUCCEEDED(SQLColAttribute(st, (SQLUSMALLINT)(i + 1), SQL_DESC_TYPE_NAME,
		                                   tname, sizeof tname, &tlen, NULL)))
			tname[0] = '\0';
		cols[i].name = strdup((char *)name);
		cols[i].type_name = strdup((char *)tname);
		cols[i].sql_type = type;
		cols[i].size = size;
		cols[i].digits = digits;
		cols[i].nullable = nullable == SQL_NULLABLE ? 1 : nullable == SQL_NO_NULLS ? 0 : -1;
		if (!cols[i].name || !cols[i].type_name) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = cols;
	*nout = (size_t)n;
	cols = NULL;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	xp_columns_free(cols, (size_t)n);
	free(q);
	free(sql);
	return rc;
}

size_t xp_odbc_format_double(double d, int as_float, char buf[32])
{
	int p0 = as_float ? 6 : 15, p1 = as_float ? 9 : 17;
	int n = 0;

	if (isnan(d))
		return (size_t)snprintf(buf, 32, "NaN");
	if (isinf(d))
		return (size_t)snprintf(buf, 32, d < 0 ? "-Infinity" : "Infinity");
	/* subnormals carry fewer digits: search them from one */
	if (d != 0 && fabs(d) < (as_float ? FLT_MIN : DBL_MIN))
		p0 = 1;
	/* %g strips trailing zeros, so the first precision that reads back is the shortest */
	for (int p = p0; p <= p1; p++) {
		n = snprintf(buf, 32, "%.*g", p, d);
		if (as_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	return (size_t)n;
}

/* One column of a cursor: how it is fetched and where its text form goes. */
struct col {
	int cls;           /* xp_odbc_type_class, 'w' for wide text */
	SQLSMALLINT ctype; /* C type fetched */
	size_t width;      /* bytes per row in the bound array */
	char *data;        /* bound array, rows * width (bulk only) */
	SQLLEN *ind;       /* bound indicators (bulk only) */
	char *raw;         /* SQLGetData buffer (row by row only) */
	size_t rawcap;
	int lower;       /* print in lower case (GUIDs, as RFC 4122 writes them) */
	int utc;         /* append "+00": a zoned timestamp the driver printed in UTC */
	int sqlite_real; /* a double fetched as SQLite's 20-digit text */
	char *out;       /* text form of the current value */
	size_t outcap;
};

struct xp_odbc_cursor {
	struct xp_odbc *c;
	const char *table;
	const struct xp_column *cols;
	size_t ncols;
	SQLHSTMT st;
	int bulk;
	SQLULEN fetched; /* rows in the current block */
	SQLULEN pos;     /* next row of the block to hand out */
	SQLUSMALLINT *status;
	struct col *cb;
	struct xp_field *row;
	int64_t *param_i; /* bound time parameters (owned) */
	char (*param_s)[32];
	SQLLEN *param_ind;
	int done;
};

#define GETDATA_PIECE (1024 * 1024) /* largest piece asked for when the size is unknown */
#define VALUE_MAX     ((size_t)1 << 30)

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 256;
	char *p;

	if (need <= *cap)
		return 0;
	if (need > VALUE_MAX + 64)
		return -1;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* Plans the fetch of one column; returns 1 when it can be bound in a row array. */
static int plan(struct col *k, const struct xp_column *c)
{
	uint64_t size = c->size;

	k->cls = xp_odbc_type_class(c->sql_type);
	switch (k->cls) {
	case 'i':
		k->ctype = SQL_C_CHAR;
		k->width = 32;
		return 1;
	case 'f':
		k->ctype = SQL_C_DOUBLE;
		k->width = sizeof(double);
		return 1;
	case 'r':
		k->ctype = SQL_C_FLOAT;
		k->width = sizeof(float);
		return 1;
	case 'n':
		k->ctype = SQL_C_CHAR;
		k->width = (size < 200 ? 200 : size) + 8;
		break;
	case 'd':
	case 'g':
	case 'o':
		k->ctype = SQL_C_CHAR;
		k->width = 72;
		return 1;
	case 'w':
		k->ctype = SQL_C_WCHAR;
		k->width = (size + 1) * 2 * sizeof(SQLWCHAR);
		if (c->sql_type == SQL_WLONGVARCHAR || size == 0)
			return 0;
		break;
	case 'b':
		k->ctype = SQL_C_BINARY;
		k->width = size ? size : 1;
		if (c->sql_type == SQL_LONGVARBINARY || size == 0)
			return 0;
		break;
	default: /* text, and types the driver knows best how to print */
		k->ctype = SQL_C_CHAR;
		k->width = size * 4 + 1;
		if (c->sql_type == SQL_LONGVARCHAR || size == 0)
			return 0;
		break;
	}
	return size <= XP_ODBC_BIND_MAX && k->width <= 4 * XP_ODBC_BIND_MAX;
}

size_t xp_odbc_utf16_to_utf8(const SQLWCHAR *w, size_t n, char *out)
{
	unsigned char *o = (unsigned char *)out;

	for (size_t i = 0; i < n; i++) {
		uint32_t u = w[i];

		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n && w[i + 1] >= 0xDC00 &&
		    w[i + 1] <= 0xDFFF) {
			u = 0x10000 + ((u - 0xD800) << 10) + (w[i + 1] - 0xDC00u);
			i++;
		} else if (u >= 0xD800 && u <= 0xDFFF) {
			u = 0xFFFD;
		}
		if (u < 0x80) {
			*o++ = (unsigned char)u;
		} else if (u < 0x800) {
			*o++ = (unsigned char)(0xC0 | u >> 6);
			*o++ = (unsigned char)(0x80 | (u & 0x3F));
		} else if (u < 0x10000) {
			*o++ = (unsigned char)(0xE0 | u >> 12);
			*o++ = (unsigned char)(0x80 | (u >> 6 & 0x3F));
			*o++ = (unsigned char)(0x80 | (u & 0x3F));
		} else {
			*o++ = (unsigned char)(0xF0 | u >> 18);
			*o++ = (unsigned char)(0x80 | (u >> 12 & 0x3F));
			*o++ = (unsigned char)(0x80 | (u >> 6 & 0x3F));
			*o++ = (unsigned char)(0x80 | (u & 0x3F));
		}
	}
	return (size_t)(o - (unsigned char *)out);
}

/* Turns a fetched value (len bytes at raw) into the field's text form. */
static int convert(struct col *k, const char *raw, size_t len, struct xp_field *f)
{
	static const char hex[] = "0123456789abcdef";
	size_t need;

	f->null = 0;
	switch (k->ctype) {
	case SQL_C_DOUBLE:
	case SQL_C_FLOAT: need = 32; break;
	case SQL_C_WCHAR: need = len / sizeof(SQLWCHAR) * 3; break;
	case SQL_C_BINARY: need = 2 + 2 * len; break;
	default: /* text as the driver gave it */
		if (k->sqlite_real) {
			char t[48];
			double d;

			if (len >= sizeof t || grow(&k->out, &k->outcap, 32))
				return -1;
			memcpy(t, raw, len);
			t[len] = '\0';
			d = strtod(t, NULL);
			f->len = xp_odbc_format_double(d, 0, k->out);
			f->p = k->out;
			return 0;
		}
		if (!k->lower && !k->utc) {
			f->p = raw;
			f->len = len;
			return 0;
		}
		need = len + 3;
		break;
	}
	if (grow(&k->out, &k->outcap, need + 1))
		return -1;
	if (k->ctype == SQL_C_DOUBLE) {
		double d;

		memcpy(&d, raw, sizeof d);
		f->len = xp_odbc_format_double(d, 0, k->out);
	} else if (k->ctype == SQL_C_FLOAT) {
		float v;

		memcpy(&v, raw, sizeof v);
		f->len = xp_odbc_format_double(v, 1, k->out);
	} else if (k->ctype == SQL_C_WCHAR) {
		SQLWCHAR *w = (SQLWCHAR *)(void *)raw;

		f->len = xp_odbc_utf16_to_utf8(w, len / sizeof(SQLWCHAR), k->out);
	} else if (k->ctype != SQL_C_BINARY) {
		for (size_t i = 0; i < len; i++)
			k->out[i] = k->lower && raw[i] >= 'A' && raw[i] <= 'Z' ? (char)(raw[i] + 32)
			                                                       : raw[i];
		f->len = len;
		/* not after "infinity" or "... BC" */
		if (k->utc && len && raw[len - 1] >= '0' && raw[len - 1] <= '9') {
			memcpy(k->out + len, "+00", 3);
			f->len += 3;
		}
	} else {
		k->out[0] = '\\';
		k->out[1] = 'x';
		for (size_t i = 0; i < len; i++) {
			k->out[2 + 2 * i] = hex[(unsigned char)raw[i] >> 4];
			k->out[3 + 2 * i] = hex[(unsigned char)raw[i] & 15];
		}
		f->len = need;
	}
	f->p = k->out;
	return 0;
}

/* Bytes of NUL terminator SQLGetData / bound buffers reserve for the C type. */
static size_t term(SQLSMALLINT ctype)
{
	return ctype == SQL_C_CHAR ? 1 : ctype == SQL_C_WCHAR ? sizeof(SQLWCHAR) : 0;
}

static int bind_window(struct xp_odbc_cursor *cur, const struct xp_window *w, int tcls,
                       struct xp_err *err)
{
	size_t n = 0, max = 2 + 2 * w->nexcl;
	int64_t *t;

	cur->param_i = calloc(max, sizeof *cur->param_i);
	cur->param_s = calloc(max, sizeof *cur->param_s);
	cur->param_ind = calloc(max, sizeof *cur->param_ind);
	t = calloc(max, sizeof *t);
	if (!cur->param_i || !cur->param_s || !cur->param_ind || !t) {
		free(t);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	if (w->has_since)
		t[n++] = w->since;
	if (w->has_until)
		t[n++] = w->until;
	for (size_t i = 0; i < w->nexcl; i++) {
		t[n++] = w->excl[i].from;
		t[n++] = w->excl[i].to;
	}
	for (size_t i = 0; i < n; i++) {
		SQLRETURN r;

		/* an integer time column holds epoch seconds; otherwise compare as
		 * "YYYY-MM-DD HH:MM:SS" text, which databases cast to their time type and
		 * which sorts right against SQLite's text times */
		if (tcls == 'i') {
			cur->param_i[i] = t[i];
			cur->param_ind[i] = 0;
			r = SQLBindParameter(cur->st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT,
			                     SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &cur->param_i[i], 0,
			                     &cur->param_ind[i]);
		} else {
			char iso[XP_TIME_LEN];

			xp_time_format(t[i], iso);
			snprintf(cur->param_s[i], sizeof cur->param_s[i], "%.10s %.8s", iso,
			         iso + 11);
			cur->param_ind[i] = (SQLLEN)strlen(cur->param_s[i]);
			r = SQLBindParameter(cur->st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT,
			                     SQL_C_CHAR, SQL_VARCHAR, 19, 0, cur->param_s[i],
			                     sizeof cur->param_s[i], &cur->param_ind[i]);
		}
		if (!SQL_SUCCEEDED(r)) {
			free(t);
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
			                     "table %s: time parameter", cur->table);
		}
	}
	free(t);
	return 0;
}

/* Writes a quoted identifier: one part, dots and all. */
static void put_ident(FILE *f, char q, const char *name)
{
	if (q)
		fputc(q, f);
	for (const char *p = name; *p; p++) {
		if (*p == q)
			fputc(q, f);
		fputc(*p, f);
	}
	if (q)
		fputc(q, f);
}

/* A window bound: a parameter marker, or (literal) the value itself, written from an integer
 * by us: digits, or 'YYYY-MM-DD HH:MM:SS'. */
static void put_bound(FILE *f, int64_t t, int tcls, int literal)
{
	char iso[XP_TIME_LEN];

	if (!literal)
		fputc('?', f);
	else if (tcls == 'i')
		fprintf(f, "%" PRId64, t);
	else {
		xp_time_format(t, iso);
		fprintf(f, "'%.10s %.8s'", iso, iso + 11);
	}
}

/* SELECT "a","b" FROM "t" WHERE "tc" >= ? AND "tc" < ? AND NOT ("tc" >= ? AND "tc" < ?)...
 * ORDER BY "tc"; tcls is the time column's type class. */
static char *build_query(struct xp_odbc *c, const char *table, const struct xp_column *cols,
                         const struct col *cb, size_t ncols, const struct xp_window *w, int tcls,
                         int literal)
{
	char *sql = NULL, *q = NULL, *tc = NULL;
	const char *sep = " WHERE ";
	size_t len = 0;
	FILE *f = open_memstream(&sql, &len);

	if (!f)
		return NULL;
	fputs("SELECT ", f);
	for (size_t i = 0; i < ncols; i++) {
		if (i)
			fputc(',', f);
		if (cb[i].sqlite_real) {
			/* 20 digits: SQLite's own printf is not exact at 17 */
			fputs("CASE WHEN ", f);
			put_ident(f, c->quote[0], cols[i].name);
			fputs(" IS NULL THEN NULL ELSE printf('%!.20g', ", f);
			put_ident(f, c->quote[0], cols[i].name);
			fputs(") END", f);
		} else {
			put_ident(f, c->quote[0], cols[i].name);
		}
	}
	q = xp_odbc_quote(c, table);
	if (w && w->time_column) {
		char *t = strdup(w->time_column);

		/* quote the column as one part: xp_odbc_quote would split at dots */
		if (t) {
			for (char *p = t; *p; p++)
				if (*p == '.')
					*p = '\x01';
			tc = xp_odbc_quote(c, t);
			for (char *p = tc; tc && *p; p++)
				if (*p == '\x01')
					*p = '.';
			free(t);
		}
	}
	if (!q || (w && w->time_column && !tc)) {
		fclose(f);
		free(sql);
		sql = NULL;
		goto out;
	}
	fprintf(f, " FROM %s", q);
	if (tc) {
		if (w->has_since) {
			fprintf(f, "%s%s >= ", sep, tc);
			put_bound(f, w->since, tcls, literal);
			sep = " AND ";
		}
		if (w->has_until) {
			fprintf(f, "%s%s < ", sep, tc);
			put_bound(f, w->until, tcls, literal);
			sep = " AND ";
		}
		for (size_t i = 0; i < w->nexcl; i++) {
			fprintf(f, "%sNOT (%s >= ", sep, tc);
			put_bound(f, w->excl[i].from, tcls, literal);
			fprintf(f, " AND %s < ", tc);
			put_bound(f, w->excl[i].to, tcls, literal);
			fputc(')', f);
			sep = " AND ";
		}
		fprintf(f, " ORDER BY %s", tc);
	}
	if (fclose(f) != 0) {
		free(sql);
		sql = NULL;
	}
out:
	free(q);
	free(tc);
	return sql;
}

static int setup_bulk(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	SQLHSTMT st = cur->st;

	cur->status = calloc(XP_ODBC_ROWS, sizeof *cur->status);
	if (!cur->status)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, 0)) ||
	    !SQL_SUCCEEDED(
	            SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)XP_ODBC_ROWS, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, cur->status, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &cur->fetched, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s: row arrays",
		                     cur->table);
	for (size_t i = 0; i < cur->ncols; i++) {
		struct col *k = &cur->cb[i];

		k->data = malloc(k->width * XP_ODBC_ROWS);
		k->ind = malloc(sizeof *k->ind * XP_ODBC_ROWS);
		if (!k->data || !k->ind)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		if (!SQL_SUCCEEDED(SQLBindCol(st, (SQLUSMALLINT)(i + 1), k->ctype, k->data,
		                              (SQLLEN)k->width, k->ind)))
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st,
			                     "table %s: column %s", cur->table, cur->cols[i].name);
	}
	return 0;
}

int xp_odbc_select(struct xp_odbc *c, const char *table, const struct xp_column *cols, size_t ncols,
                   const struct xp_window *w, struct xp_odbc_cursor **out, struct xp_err *err)
{
	struct xp_odbc_cursor *cur = calloc(1, sizeof *cur);
	char *sql = NULL;
	int rc = 0, tcls = 's', literal;

	*out = NULL;
	if (!cur || !(cur->cb = calloc(ncols, sizeof *cur->cb)) ||
	    !(cur->row = calloc(ncols, sizeof *cur->row))) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	cur->c = c;
	cur->table = table;
	cur->cols = cols;
	cur->ncols = ncols;
	cur->bulk = 1;
	for (size_t i = 0; i < ncols; i++) {
		if (!plan(&cur->cb[i], &cols[i]))
			cur->bulk = 0;
		cur->cb[i].lower = cur->cb[i].cls == 'g';
		/* psqlODBC drops the zone of timestamptz; the session runs in UTC (xp_dump_run) */
		cur->cb[i].utc = strcmp(c->dbms, "PostgreSQL") == 0 &&
		                 strcmp(cols[i].type_name, "timestamptz") == 0;
		if (w && w->time_column && strcmp(cols[i].name, w->time_column) == 0)
			tcls = cur->cb[i].cls;
	}
	/* SQLite's declared sizes bind nothing (any column holds any length), and its driver
	 * cannot reposition in a row array to read a longer value: fetch row by row */
	if (strcmp(c->dbms, "SQLite") == 0) {
		cur->bulk = 0;
		/* its driver passes doubles through 15-digit text: fetch exact text instead */
		for (size_t i = 0; i < ncols; i++) {
			struct col *k = &cur->cb[i];

			if (k->cls == 'f' || k->cls == 'r') {
				k->sqlite_real = 1;
				k->ctype = SQL_C_CHAR;
				k->width = 40;
			}
		}
	}
	/* sqlite3odbc holds a whole result in memory when a statement has parameters: write
	 * the bounds into the SQL there (they are formatted from integers, never from input) */
	literal = strcmp(c->dbms, "SQLite") == 0;
	sql = build_query(c, table, cols, cur->cb, ncols, w, tcls, literal);
	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &cur->st))) {
		cur->st = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "table %s", table);
		goto out;
	}
	if (w && w->time_column && !literal) {
		rc = bind_window(cur, w, tcls, err);
		if (rc)
			goto out;
	}
	if (cur->bulk) {
		rc = setup_bulk(cur, err);
		if (rc)
			goto out;
	}
	if (!SQL_SUCCEEDED(SQLExecDirect(cur->st, (SQLCHAR *)sql, SQL_NTS))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s", table);
		goto out;
	}
	*out = cur;
	cur = NULL;
out:
	free(sql);
	xp_odbc_cursor_free(cur);
	return rc;
}

/* Reads column i of the current row with SQLGetData, in pieces, into k->raw. */
static int get_value(struct xp_odbc_cursor *cur, size_t i, struct xp_field *f, struct xp_err *err)
{
	struct col *k = &cur->cb[i];
	size_t have = 0, t = term(k->ctype);
	/* start small: some drivers (sqlite3odbc) pad the whole buffer they are given */
	size_t piece = 256;
	SQLLEN ind = 0;
	SQLRETURN r;

	for (;;) {
		size_t room = piece + t;

		if (grow(&k->raw, &k->rawcap, have + room))
			return xp_err_set(err, XP_ENOMEM, "table %s: column %s: value too large",
			                  cur->table, cur->cols[i].name);
		r = SQLGetData(cur->st, (SQLUSMALLINT)(i + 1), k->ctype, k->raw + have,
		               (SQLLEN)room, &ind);
		if (r == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(r))
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
			                     "table %s: column %s", cur->table, cur->cols[i].name);
		if (ind == SQL_NULL_DATA) {
			f->null = 1;
			f->p = "";
			f->len = 0;
			return 0;
		}
		if (k->ctype == SQL_C_DOUBLE || k->ctype == SQL_C_FLOAT) {
			have = k->width;
			break;
		}
		/* the last piece: ind is its length */
		if (r == SQL_SUCCESS || (ind != SQL_NO_TOTAL && (size_t)ind <= piece)) {
			have += (size_t)ind;
			break;
		}
		/* a full piece: ask next for what is left when the driver says, else twice as much
		 */
		have += piece;
		if (ind != SQL_NO_TOTAL && (size_t)ind > piece)
			piece = (size_t)ind - piece;
		else if (piece < GETDATA_PIECE)
			piece *= 2;
	}
	return convert(k, k->raw, have, f) ? xp_err_set(err, XP_ENOMEM, "out of memory") : 0;
}

static int fetch_block(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	SQLRETURN r;

	cur->fetched = 0;
	cur->pos = 0;
	r = SQLFetch(cur->st);
	if (r == SQL_NO_DATA) {
		cur->done = 1;
		return 0;
	}
	if (!SQL_SUCCEEDED(r))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	if (!cur->bulk)
		cur->fetched = 1;
	return 0;
}

static int bulk_row(struct xp_odbc_cursor *cur, SQLULEN r, struct xp_err *err)
{
	for (size_t i = 0; i < cur->ncols; i++) {
		struct col *k = &cur->cb[i];
		SQLLEN ind = k->ind[r];
		const char *v = k->data + r * k->width;
		size_t len;

		if (ind == SQL_NULL_DATA) {
			cur->row[i] = (struct xp_field){"", 0, 1};
			continue;
		}
		if (k->ctype == SQL_C_DOUBLE || k->ctype == SQL_C_FLOAT)
			len = k->width;
		else if (ind == SQL_NO_TOTAL || (size_t)ind > k->width - term(k->ctype)) {
			/* longer than the driver declared (SQLite declares anything): read this
			 * row's whole value with SQLGetData */
			int rc;

			if (!SQL_SUCCEEDED(SQLSetPos(cur->st, (SQLSETPOSIROW)(r + 1), SQL_POSITION,
			                             SQL_LOCK_NO_CHANGE)))
				return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
				                     "table %s: column %s: value longer than "
				                     "the %llu declared",
				                     cur->table, cur->cols[i].name,
				                     (unsigned long long)cur->cols[i].size);
			rc = get_value(cur, i, &cur->row[i], err);
			if (rc)
				return rc;
			continue;
		} else {
			len = (size_t)ind;
		}
		if (convert(k, v, len, &cur->row[i]))
			return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	return 0;
}

int xp_odbc_fetch(struct xp_odbc_cursor *cur, const struct xp_field **row, struct xp_err *err)
{
	int rc;

	for (;;) {
		if (cur->done)
			return 0;
		if (cur->pos < cur->fetched) {
			SQLULEN r = cur->pos++;

			if (!cur->bulk || cur->status[r] == SQL_ROW_SUCCESS ||
			    cur->status[r] == SQL_ROW_SUCCESS_WITH_INFO)
				break;
			if (cur->status[r] != SQL_ROW_NOROW) /* never drop a row silently */
				return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
				                     "table %s: row %llu of a fetch", cur->table,
				                     (unsigned long long)r + 1);
		}
		rc = fetch_block(cur, err);
		if (rc)
			return rc;
	}
	if (cur->bulk) {
		rc = bulk_row(cur, cur->pos - 1, err);
	} else {
		rc = 0;
		for (size_t i = 0; i < cur->ncols && !rc; i++)
			rc = get_value(cur, i, &cur->row[i], err);
	}
	if (rc)
		return rc;
	*row = cur->row;
	return 1;
}

int xp_odbc_cursor_bulk(const struct xp_odbc_cursor *cur)
{
	return cur->bulk;
}

void xp_odbc_cursor_free(struct xp_odbc_cursor *cur)
{
	if (!cur)
		return;
	if (cur->st) {
		SQLCloseCursor(cur->st);
		SQLFreeHandle(SQL_HANDLE_STMT, cur->st);
	}
	for (size_t i = 0; cur->cb && i < cur->ncols; i++) {
		free(cur->cb[i].data);
		free(cur->cb[i].ind);
		free(cur->cb[i].raw);
		free(cur->cb[i].out);
	}
	free(cur->cb);
	free(cur->row);
	free(cur->status);
	free(cur->param_i);
	free(cur->param_s);
	free(cur->param_ind);
	free(cur);
}
