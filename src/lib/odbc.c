#include "config.h"

#include "odbc.h"

#include <ctype.h>
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

int xp_odbc_connect(struct xp_odbc *c, const char *connstr, struct xp_err *err)
{
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
	/* psqlODBC keeps a whole result in memory unless it fetches through a cursor */
	if (strncasecmp(c->driver, "psqlodbc", 8) == 0 && !has_key(connstr, "UseDeclareFetch")) {
		size_t l = strlen(connstr);

		streaming = xp_asprintf("%s%sUseDeclareFetch=1;Fetch=%d", connstr,
		                        l && connstr[l - 1] != ';' ? ";" : "", XP_ODBC_ROWS);
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
			SQLEndTran(SQL_HANDLE_DBC, c->dbc, SQL_ROLLBACK);
		SQLDisconnect(c->dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
	}
	if (c->env)
		SQLFreeHandle(SQL_HANDLE_ENV, c->env);
	free(c->source);
	memset(c, 0, sizeof *c);
}

/* TEMPORARY stubs: replaced by the real code in the next commits. */
int xp_odbc_begin_snapshot(struct xp_odbc *c, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_odbc_end(struct xp_odbc *c, int commit, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
const char *xp_odbc_type_name(int sql_type)
{
	return "OTHER";
}
int xp_odbc_type_class(int sql_type)
{
	return 't';
}
void xp_columns_free(struct xp_column *cols, size_t n)
{
	free(cols);
}
int xp_odbc_describe(struct xp_odbc *c, const char *table, struct xp_column **cols, size_t *n,
                     struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_odbc_select(struct xp_odbc *c, const char *table, const struct xp_column *cols, size_t ncols,
                   const struct xp_window *w, struct xp_odbc_cursor **out, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_odbc_fetch(struct xp_odbc_cursor *cur, const struct xp_field **row, struct xp_err *err)
{
	return xp_err_set(err, XP_EFAIL, "not implemented");
}
int xp_odbc_cursor_bulk(const struct xp_odbc_cursor *cur)
{
	return 0;
}
void xp_odbc_cursor_free(struct xp_odbc_cursor *cur)
{
}
size_t xp_odbc_format_double(double d, int as_float, char buf[32])
{
	return 0;
}
