/* The SELECTs of a cursor: columns, window bounds as parameters or literals, order; and the
 * count of rows before a time. */
#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"
#include "base/encode.h"
#include "base/os.h"
#include "base/time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Binds time t as parameter i of st: epoch seconds for an integer time column; otherwise
 * "YYYY-MM-DD HH:MM:SS" text, which databases cast to their time type and which sorts right
 * against SQLite's text times. The storage must outlive the statement's execution. */
SQLRETURN xp_odbc_bind_time(SQLHSTMT st, size_t i, int64_t t, enum xp_type_class tcls, int64_t *pi,
                            char ps[32], SQLLEN *ind)
{
	char iso[XP_TIME_LEN];

	if (tcls == XP_CLASS_INT) {
		*pi = t;
		*ind = 0;
		return SQLBindParameter(st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, SQL_C_SBIGINT,
		                        SQL_BIGINT, 0, 0, pi, 0, ind);
	}
	xp_time_format(t, iso);
	snprintf(ps, 32, "%.10s %.8s", iso, iso + 11);
	*ind = (SQLLEN)strlen(ps);
	return SQLBindParameter(st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
	                        19, 0, ps, 32, ind);
}

int xp_odbc_bind_window(struct xp_odbc_cursor *cur, SQLHSTMT st, const struct xp_window *w,
                        enum xp_type_class tcls, struct xp_err *err)
{
	size_t n = 0, max = 2 + 2 * w->nexcl;
	int64_t *t = calloc(max, sizeof *t);

	if (!cur->param_i) {
		cur->param_i = calloc(max, sizeof *cur->param_i);
		cur->param_s = calloc(max, sizeof *cur->param_s);
		cur->param_ind = calloc(max, sizeof *cur->param_ind);
	}
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
		if (!SQL_SUCCEEDED(xp_odbc_bind_time(st, i, t[i], tcls, &cur->param_i[i],
		                                     cur->param_s[i], &cur->param_ind[i]))) {
			free(t);
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st,
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
void xp_odbc_put_bound(FILE *f, int64_t t, enum xp_type_class tcls, int literal)
{
	char iso[XP_TIME_LEN];

	if (!literal)
		fputc('?', f);
	else if (tcls == XP_CLASS_INT)
		fprintf(f, "%" PRId64, t);
	else {
		xp_time_format(t, iso);
		fprintf(f, "'%.10s %.8s'", iso, iso + 11);
	}
}

/* A malloc'd, quoted column name, quoted as one part: xp_odbc_quote would split at dots. */
char *xp_odbc_quote_column(const struct xp_odbc *c, const char *name)
{
	char *t = strdup(name), *q;

	if (!t)
		return NULL;
	for (char *p = t; *p; p++)
		if (*p == '.')
			*p = '\x01';
	q = xp_odbc_quote(c, t);
	for (char *p = q; q && *p; p++)
		if (*p == '\x01')
			*p = '.';
	free(t);
	return q;
}

/* " FROM "t" WHERE "tc" >= ? AND "tc" < ? AND NOT ("tc" >= ? AND "tc" < ?)...": the table and the
 * window (tc, quoted, NULL for none); returns the separator the next condition takes. */
static const char *put_scope(FILE *f, const char *q, const char *tc, const struct xp_window *w,
                             enum xp_type_class tcls, int literal)
{
	const char *sep = " WHERE ";

	fprintf(f, " FROM %s", q);
	if (!tc)
		return sep;
	if (w->has_since) {
		fprintf(f, "%s%s >= ", sep, tc);
		xp_odbc_put_bound(f, w->since, tcls, literal);
		sep = " AND ";
	}
	if (w->has_until) {
		fprintf(f, "%s%s < ", sep, tc);
		xp_odbc_put_bound(f, w->until, tcls, literal);
		sep = " AND ";
	}
	for (size_t i = 0; i < w->nexcl; i++) {
		fprintf(f, "%sNOT (%s >= ", sep, tc);
		xp_odbc_put_bound(f, w->excl[i].from, tcls, literal);
		fprintf(f, " AND %s < ", tc);
		xp_odbc_put_bound(f, w->excl[i].to, tcls, literal);
		fputc(')', f);
		sep = " AND ";
	}
	return sep;
}

/* "k" > ?, or ("a" > ? OR ("a" = ? AND "b" > ?)) for n columns a, b: the rows after the
 * parameters' values in the order of the columns. */
static void put_seek(FILE *f, const char *sep, char *const *q, size_t n)
{
	fputs(sep, f);
	for (size_t j = 0; j + 1 < n; j++)
		fprintf(f, "(%s > ? OR (%s = ? AND ", q[j], q[j]);
	fprintf(f, "%s > ?", q[n - 1]);
	for (size_t j = 0; j + 1 < n; j++)
		fputs("))", f);
}

/* SELECT "a","b" FROM "t" WHERE (the window, put_scope) ORDER BY "tc"; tcls is the time column's
 * type class. With keys (a page of `page` rows): ORDER BY "k1","k2" LIMIT page (the time column
 * may be the first key), and with seek only the rows after the last page's values of those
 * (put_seek). With scope (literal bounds only), *scope gets " FROM ... WHERE ... AND " or " FROM
 * ... WHERE ", for more conditions on the same rows (malloc'd). */
char *xp_odbc_build_query(struct xp_odbc *c, const char *table, const struct xp_column *cols,
                          const struct col *cb, size_t ncols, const struct xp_window *w,
                          enum xp_type_class tcls, int literal, const char *const *keys,
                          size_t nkeys, int seek, unsigned long page, char **scope)
{
	char **qk = calloc(nkeys + 1, sizeof *qk); /* the keys, quoted */
	char *sql = NULL, *q = NULL, *tc = NULL;
	const char *sep;
	size_t len = 0, nq = 0;
	int ok = qk != NULL;
	FILE *f = qk ? xp_os_memstream(&sql, &len) : NULL;

	if (!f) {
		free(qk);
		return NULL;
	}
	fputs("SELECT ", f);
	for (size_t i = 0; i < ncols; i++) {
		if (i)
			fputc(',', f);
		if (cb[i].sqlite_real) {
			/* a real as 20 digits (SQLite's own printf is not exact at 17); an integer
			 * or text, which any SQLite column may hold, as itself */
			fputs("CASE typeof(", f);
			put_ident(f, c->quote[0], cols[i].name);
			fputs(") WHEN 'real' THEN printf('%!.20g', ", f);
			put_ident(f, c->quote[0], cols[i].name);
			fputs(") ELSE ", f);
			put_ident(f, c->quote[0], cols[i].name);
			fputs(" END", f);
		} else {
			put_ident(f, c->quote[0], cols[i].name);
			if (cb[i].pg_text)
				fputs("::text", f);
		}
	}
	q = xp_odbc_quote(c, table);
	if (w && w->time_column) {
		tc = xp_odbc_quote_column(c, w->time_column);
		ok &= tc != NULL;
	}
	for (size_t j = 0; ok && j < nkeys; j++)
		ok &= (qk[nq++] = xp_odbc_quote_column(c, keys[j])) != NULL;
	if (!q || !ok) {
		xp_os_memstream_close(f);
		free(sql);
		sql = NULL;
		goto out;
	}
	sep = put_scope(f, q, tc, w, tcls, literal);
	if (scope) {
		size_t slen = 0;
		FILE *g = xp_os_memstream(scope, &slen);

		if (g) {
			fputs(put_scope(g, q, tc, w, tcls, literal), g);
			if (xp_os_memstream_close(g) != 0) {
				free(*scope);
				*scope = NULL;
			}
		}
		if (!*scope) {
			xp_os_memstream_close(f);
			free(sql);
			sql = NULL;
			goto out;
		}
	}
	if (seek && nq)
		put_seek(f, sep, qk, nq);
	if (nq) {
		fputs(" ORDER BY ", f);
		for (size_t j = 0; j < nq; j++)
			fprintf(f, "%s%s", j ? "," : "", qk[j]);
		fprintf(f, " LIMIT %lu", page);
	} else if (tc) {
		fprintf(f, " ORDER BY %s", tc);
	}
	if (xp_os_memstream_close(f) != 0) {
		free(sql);
		sql = NULL;
	}
out:
	free(q);
	for (size_t j = 0; j < nq; j++)
		free(qk[j]);
	free(qk);
	free(tc);
	return sql;
}

int xp_odbc_older(struct xp_odbc *c, const char *table, const struct xp_column *tcol,
                  int64_t before, uint64_t *rows, int64_t *oldest, struct xp_err *err)
{
	enum xp_type_class tcls = xp_column_type_class(tcol->sql_type);
	int literal = c->db->literal_bounds;
	char *q = xp_odbc_quote(c, table), *tc = xp_odbc_quote_column(c, tcol->name), *sql = NULL;
	char count[32] = "", min[80] = "", ps[32], *end;
	SQLLEN ind = 0, nind = 0, mind = 0;
	SQLHSTMT st = SQL_NULL_HSTMT;
	int64_t pi;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	*rows = 0;
	f = q && tc ? xp_os_memstream(&sql, &len) : NULL;
	if (f) {
		fprintf(f, "SELECT COUNT(*), MIN(%s) FROM %s WHERE %s < ", tc, q, tc);
		xp_odbc_put_bound(f, before, tcls, literal);
		if (xp_os_memstream_close(f) != 0) {
			free(sql);
			sql = NULL;
		}
	}
	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_odbc_stmt(c, &st, err, "table %s", table)) != 0)
		goto out;
	if ((!literal && !SQL_SUCCEEDED(xp_odbc_bind_time(st, 0, before, tcls, &pi, ps, &ind))) ||
	    !SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_CHAR, count, sizeof count, &nind)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 2, SQL_C_CHAR, min, sizeof min, &mind))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s: rows before %s",
		                   table, tcol->name);
		goto out;
	}
	/* the database's own text, checked like any value it sends */
	errno = 0;
	*rows = nind > 0 && (size_t)nind < sizeof count ? strtoull(count, &end, 10) : 0;
	if (nind <= 0 || (size_t)nind >= sizeof count || *end || errno) {
		rc = xp_err_set(err, XP_EFAIL, "table %s: a row count that is not a number", table);
		goto out;
	}
	if (!*rows)
		goto out;
	if (mind <= 0 || (size_t)mind >= sizeof min ||
	    (tcls == XP_CLASS_INT ? (*oldest = strtoll(min, &end, 10), *end != '\0')
	                          : xp_time_parse(min, oldest, NULL) != 0))
		rc = xp_err_set(err, XP_EFAIL, "table %s: %s: not a time: %.40s", table, tcol->name,
		                mind > 0 ? min : "NULL");
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(sql);
	free(q);
	free(tc);
	return rc;
}
