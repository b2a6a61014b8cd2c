#include "config.h"

#include "db/odbc.h"
#include "base/err.h"
#include "base/os.h"
#include "base/str.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
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
 * of it in memory (or, for FreeTDS, hands out UTF-8); NULL when nothing is needed or the
 * string already decides. */
static const char *streaming_option(const struct xp_driver_profile *drv, const char *connstr)
{
	for (size_t i = 0; i < sizeof drv->keys / sizeof drv->keys[0] && drv->keys[i]; i++)
		if (has_key(connstr, drv->keys[i]))
			return NULL;
	return drv->option;
}

/* The driver's version as major * 1000000 + minor * 10000 + patch; ULONG_MAX when it does not
 * say. */
static unsigned long driver_version(struct xp_odbc *c)
{
	char ver[32];
	unsigned maj = 0, min = 0, patch = 0;

	info_str(c, SQL_DRIVER_VER, ver, sizeof ver);
	if (sscanf(ver, "%u.%u.%u", &maj, &min, &patch) != 3)
		return ULONG_MAX;
	return maj * 1000000UL + min * 10000UL + patch;
}

/* Dumps print times in UTC and window bounds without a zone mean UTC: sessions of databases
 * with a session time zone run in UTC (MariaDB's TIMESTAMP and PostgreSQL's timestamptz
 * print in it, and read zone-less text in it). */
static int session_utc(struct xp_odbc *c, struct xp_err *err)
{
	return c->db->utc ? xp_odbc_exec(c, c->db->utc, err) : 0;
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
	/* text goes through ODBC's narrow calls (SQL_C_CHAR): in another code page the driver
	 * manager and the driver would convert it to that page, losing what it lacks */
	if (!xp_os_narrow_utf8()) {
		rc = xp_err_set(err, XP_EFAIL,
		                "odbc: Windows runs this program in a code page other than UTF-8, "
		                "which would lose text that it lacks: Windows 10 1903, Server 2022 "
		                "or later is needed");
		goto out;
	}
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
	c->drv = xp_profile_driver(c->driver);
	extra = streaming_option(c->drv, connstr);
	/* a driver too old to obey the option is read in pages, by statements that scroll
	 * (each page is held whole anyway): it is not asked for forward-only cursors */
	if (extra && c->drv->pages_below && driver_version(c) < c->drv->pages_below) {
		c->page_rows = XP_ODBC_PAGE_ROWS;
		extra = NULL;
	}
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
	c->db = xp_profile_dbms(c->dbms);
	info_str(c, SQL_IDENTIFIER_QUOTE_CHAR, c->quote, sizeof c->quote);
	if (c->quote[0] == ' ')
		c->quote[0] = '\0';
	if (!SQL_SUCCEEDED(SQLGetInfo(c->dbc, SQL_GETDATA_EXTENSIONS, &c->getdata,
	                              sizeof c->getdata, NULL)))
		c->getdata = 0;
	if (c->db->no_getdata_block)
		c->getdata &= ~(SQLUINTEGER)SQL_GD_BLOCK;
	snprintf(c->isolation, sizeof c->isolation, "autocommit");
	rc = session_utc(c, err);
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
	if (c->db->snapshot == XP_SNAPSHOT_BEGIN) {
		rc = xp_odbc_exec(c, "BEGIN", err);
		if (rc)
			return rc;
		c->in_txn = c->txn_sql = 1;
		snprintf(c->isolation, sizeof c->isolation, "serializable");
		return 0;
	}
	if (c->db->snapshot == XP_SNAPSHOT_MSSQL)
		return xp_odbc_mssql_begin(c, err);
	if (c->read_committed && try_isolation(c, SQL_TXN_READ_COMMITTED))
		got = "read-committed";
	/* InnoDB takes the read view at the first read of a transaction, or at its start WITH
	 * CONSISTENT SNAPSHOT: then every table is read as of the moment MANIFEST records */
	if (!got && c->db->snapshot == XP_SNAPSHOT_CONSISTENT) {
		rc = xp_odbc_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", err);
		if (!rc)
			rc = xp_odbc_exec(
			        c, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", err);
		if (rc)
			return rc;
		c->in_txn = c->txn_sql = 1;
		snprintf(c->isolation, sizeof c->isolation, "consistent-snapshot");
		return 0;
	}
	/* there REPEATABLE READ is snapshot isolation; SERIALIZABLE adds checks or locks */
	if (!got && c->db->repeatable_snapshot && try_isolation(c, SQL_TXN_REPEATABLE_READ))
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

int xp_odbc_begin(struct xp_odbc *c, struct xp_err *err)
{
	SQLUSMALLINT tc = 0;

	/* without transactions a failed load could not be taken back */
	if (SQL_SUCCEEDED(SQLGetInfo(c->dbc, SQL_TXN_CAPABLE, &tc, sizeof tc, NULL)) &&
	    tc == SQL_TC_NONE)
		return xp_err_set(err, XP_EFAIL, "%s: the database has no transactions", c->source);
	c->ddl_commits = tc != SQL_TC_ALL;
	if (!SQL_SUCCEEDED(SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT,
	                                     (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s: autocommit off",
		                     c->source);
	c->in_txn = c->txn_write = 1;
	return 0;
}

int xp_odbc_end(struct xp_odbc *c, int commit, struct xp_err *err)
{
	int rc = 0;

	if (!c->in_txn)
		return 0;
	if (c->txn_sql) {
		rc = xp_odbc_exec(c, commit ? "COMMIT" : "ROLLBACK", err);
		if (rc == 0 || !commit)
			c->in_txn = c->txn_sql = 0;
		return rc;
	}
	if (!SQL_SUCCEEDED(
	            SQLEndTran(SQL_HANDLE_DBC, c->dbc, commit ? SQL_COMMIT : SQL_ROLLBACK))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc,
		                   commit ? "%s: commit" : "%s: end of transaction", c->source);
		if (commit)
			return rc; /* still open: the caller rolls it back */
	}
	c->in_txn = 0;
	if (c->txn_write) /* autocommit stays off: the connection writes in transactions */
		return rc;
	if (!SQL_SUCCEEDED(SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT,
	                                     (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0)) &&
	    !rc)
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s: autocommit",
		                   c->source);
	return rc;
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
		rc = xp_odbc_mssql_explain(c, st, table, 0, rc, err);
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
		SQLLEN uns = SQL_FALSE;

		if (!SQL_SUCCEEDED(SQLDescribeCol(st, (SQLUSMALLINT)(i + 1), name, sizeof name,
		                                  &nlen, &type, &size, &digits, &nullable))) {
			rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s", table);
			goto out;
		}
		if (!SQL_SUCCEEDED(SQLColAttribute(st, (SQLUSMALLINT)(i + 1), SQL_DESC_TYPE_NAME,
		                                   tname, sizeof tname, &tlen, NULL)))
			tname[0] = '\0';
		cols[i].name = strdup((char *)name);
		/* MariaDB names an unsigned integer as the signed one: the flag says it (SQL
		 * Server's tinyint is unsigned by its name) */
		if (xp_column_type_class(type) == XP_CLASS_INT && c->db->unsigned_flag &&
		    SQL_SUCCEEDED(SQLColAttribute(st, (SQLUSMALLINT)(i + 1), SQL_DESC_UNSIGNED,
		                                  NULL, 0, NULL, &uns)) &&
		    uns == SQL_TRUE && !xp_strcasestr((char *)tname, "unsigned"))
			cols[i].type_name = xp_asprintf("%s unsigned", (char *)tname);
		else
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
