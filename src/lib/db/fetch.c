#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"
#include "base/encode.h"
#include "base/time.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cursors: a table's rows fetched in row arrays (or value by value with SQLGetData) and
 * handed out as text fields in the dump's CSV form. */

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

#define GETDATA_PIECE (1024 * 1024) /* largest piece asked for when the size is unknown */
#define VALUE_MAX     ((size_t)1 << 30)
#define LONG_BIND     1024      /* bytes bound for a long column; longer values: SQLGetData */
#define BIND_BUDGET   (8 << 20) /* bytes of bound row arrays a cursor may take */

/* Bytes of NUL terminator SQLGetData / bound buffers reserve for the C type. */
static size_t term(SQLSMALLINT ctype)
{
	return ctype == SQL_C_CHAR ? 1 : ctype == SQL_C_WCHAR ? sizeof(SQLWCHAR) : 0;
}

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

/* Plans the fetch of one column: its C type and the width bound for it in a row array.
 * Returns 1 when every value fits that width, 0 when a value may be longer (a long or
 * unsized column): it is bound LONG_BIND wide, and a longer value is read with SQLGetData. */
static int plan(struct col *k, const struct xp_column *c)
{
	uint64_t size = c->size;
	int fits = 1;

	k->cls = xp_column_type_class(c->sql_type);
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
		/* fetched as a double (exact for every float) and printed as a float: MariaDB
		 * Connector/ODBC 3.1 steps 8 bytes between SQL_C_FLOAT elements of a row array,
		 * which overruns a float array and misplaces every other value */
		k->ctype = SQL_C_DOUBLE;
		k->width = sizeof(double);
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
	case 'w': /* two code units a character, for pairs of surrogates */
		k->ctype = SQL_C_WCHAR;
		k->width = (size + 1) * 2 * sizeof(SQLWCHAR);
		fits = c->sql_type != SQL_WLONGVARCHAR && size;
		break;
	case 'b':
		k->ctype = SQL_C_BINARY;
		k->width = size ? size : 1;
		fits = c->sql_type != SQL_LONGVARBINARY && size;
		break;
	default: /* text, and types the driver knows best how to print */
		k->ctype = SQL_C_CHAR;
		k->width = size * 4 + 1;
		fits = c->sql_type != SQL_LONGVARCHAR && size;
		break;
	}
	if (fits && size <= XP_ODBC_BIND_MAX && k->width <= 4 * XP_ODBC_BIND_MAX)
		return 1;
	k->width = LONG_BIND + term(k->ctype);
	return 0;
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

/* SQL Server's dates and times as FreeTDS prints them, in ISO form: the year in four digits
 * (it prints year 1 as "1-01-01") and a datetimeoffset's offset without the space before it
 * ("2026-01-02 03:04:05.1234567 +02:00"). */
static int mssql_time(struct col *k, const char *raw, size_t len, struct xp_field *f)
{
	size_t y = 0, o = 0;

	while (y < len && raw[y] >= '0' && raw[y] <= '9')
		y++;
	if (grow(&k->out, &k->outcap, len + 4))
		return -1;
	if (y < len && raw[y] == '-')
		for (; y < 4; y++)
			k->out[o++] = '0';
	if (len > 7 && raw[len - 7] == ' ' && (raw[len - 6] == '+' || raw[len - 6] == '-')) {
		memcpy(k->out + o, raw, len - 7);
		memcpy(k->out + o + len - 7, raw + len - 6, 6);
		o += len - 1;
	} else {
		memcpy(k->out + o, raw, len);
		o += len;
	}
	f->p = k->out;
	f->len = o;
	return 0;
}

/* Turns a fetched value (len bytes at raw) into the field's text form. */
static int convert(struct col *k, const char *raw, size_t len, struct xp_field *f)
{
	size_t need;

	f->null = 0;
	switch (k->ctype) {
	case SQL_C_DOUBLE: need = 32; break;
	case SQL_C_WCHAR: need = len / sizeof(SQLWCHAR) * 3; break;
	case SQL_C_BINARY: need = 2 + 2 * len; break;
	default: /* text as the driver gave it */
		if (k->bitbyte && len == 1 && (raw[0] == 0 || raw[0] == 1)) {
			f->p = raw[0] ? "1" : "0";
			f->len = 1;
			return 0;
		}
		if (k->sqlite_real) {
			/* a real printed with 20 digits, in its shortest exact form; an integer
			 * (no '.', no exponent) or text (not all a number) as it is */
			char t[48], *end;
			double d;

			if (len && len < sizeof t &&
			    (memchr(raw, '.', len) || memchr(raw, 'e', len) ||
			     memchr(raw, 'I', len))) {
				memcpy(t, raw, len);
				t[len] = '\0';
				d = strtod(t, &end);
				if (end == t + len) {
					if (grow(&k->out, &k->outcap, 32))
						return -1;
					f->len = xp_odbc_format_double(d, 0, k->out);
					f->p = k->out;
					return 0;
				}
			}
			f->p = raw;
			f->len = len;
			return 0;
		}
		if (k->lower) { /* most drivers print GUIDs in lower case already */
			size_t i = 0;

			while (i < len && !(raw[i] >= 'A' && raw[i] <= 'Z'))
				i++;
			if (i == len) {
				f->p = raw;
				f->len = len;
				return 0;
			}
		}
		if (k->mssql_time)
			return mssql_time(k, raw, len, f);
		if (!k->lower) {
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
		f->len = xp_odbc_format_double(d, k->cls == 'r', k->out);
	} else if (k->ctype == SQL_C_WCHAR) {
		SQLWCHAR *w = (SQLWCHAR *)(void *)raw;

		f->len = xp_odbc_utf16_to_utf8(w, len / sizeof(SQLWCHAR), k->out);
	} else if (k->ctype != SQL_C_BINARY) {
		for (size_t i = 0; i < len; i++)
			k->out[i] = k->lower && raw[i] >= 'A' && raw[i] <= 'Z' ? (char)(raw[i] + 32)
			                                                       : raw[i];
		f->len = len;
	} else {
		k->out[0] = '\\';
		k->out[1] = 'x';
		xp_hex((const uint8_t *)raw, len, k->out + 2); /* out holds need + 1 bytes */
		f->len = need;
	}
	f->p = k->out;
	return 0;
}

/* Binds time t as parameter i of st: epoch seconds for an integer time column; otherwise
 * "YYYY-MM-DD HH:MM:SS" text, which databases cast to their time type and which sorts right
 * against SQLite's text times. The storage must outlive the statement's execution. */
static SQLRETURN bind_time(SQLHSTMT st, size_t i, int64_t t, int tcls, int64_t *pi, char ps[32],
                           SQLLEN *ind)
{
	char iso[XP_TIME_LEN];

	if (tcls == 'i') {
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
		if (!SQL_SUCCEEDED(bind_time(cur->st, i, t[i], tcls, &cur->param_i[i],
		                             cur->param_s[i], &cur->param_ind[i]))) {
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
                             int tcls, int literal)
{
	const char *sep = " WHERE ";

	fprintf(f, " FROM %s", q);
	if (!tc)
		return sep;
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
	return sep;
}

/* SELECT "a","b" FROM "t" WHERE (the window, put_scope) ORDER BY "tc"; tcls is the time column's
 * type class. With a key (a page of `page` rows): ORDER BY "tc","key" LIMIT page, and with seek
 * only the rows after (?, ?): ("tc" > ? OR ("tc" = ? AND "key" > ?)), or "key" > ? without a
 * time column. With scope (literal bounds only), *scope gets " FROM ... WHERE ... AND " or
 * " FROM ... WHERE ", for more conditions on the same rows (malloc'd). */
static char *build_query(struct xp_odbc *c, const char *table, const struct xp_column *cols,
                         const struct col *cb, size_t ncols, const struct xp_window *w, int tcls,
                         int literal, const char *key, int seek, unsigned long page, char **scope)
{
	char *qk = NULL;
	char *sql = NULL, *q = NULL, *tc = NULL;
	const char *sep;
	size_t len = 0;
	FILE *f = open_memstream(&sql, &len);

	if (!f)
		return NULL;
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
	if (w && w->time_column)
		tc = xp_odbc_quote_column(c, w->time_column);
	if (key)
		qk = xp_odbc_quote_column(c, key);
	if (!q || (w && w->time_column && !tc) || (key && !qk)) {
		fclose(f);
		free(sql);
		sql = NULL;
		goto out;
	}
	sep = put_scope(f, q, tc, w, tcls, literal);
	if (scope) {
		size_t slen = 0;
		FILE *g = open_memstream(scope, &slen);

		if (g) {
			fputs(put_scope(g, q, tc, w, tcls, literal), g);
			if (fclose(g) != 0) {
				free(*scope);
				*scope = NULL;
			}
		}
		if (!*scope) {
			fclose(f);
			free(sql);
			sql = NULL;
			goto out;
		}
	}
	if (seek && tc)
		fprintf(f, "%s(%s > ? OR (%s = ? AND %s > ?))", sep, tc, tc, qk);
	else if (seek)
		fprintf(f, "%s%s > ?", sep, qk);
	if (tc)
		fprintf(f, " ORDER BY %s%s%s", tc, qk ? "," : "", qk ? qk : "");
	else if (qk)
		fprintf(f, " ORDER BY %s", qk);
	if (qk)
		fprintf(f, " LIMIT %lu", page);
	if (fclose(f) != 0) {
		free(sql);
		sql = NULL;
	}
out:
	free(q);
	free(tc);
	free(qk);
	return sql;
}

/* Column i's name in messages. */
static const char *colname(const struct xp_odbc_cursor *cur, size_t i)
{
	return cur->cols[i].name;
}

static int setup_bulk(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	SQLHSTMT st = cur->st;

	cur->status = calloc(cur->rows, sizeof *cur->status);
	if (!cur->status)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, 0)) ||
	    (!xp_odbc_is_mssql(cur->c) &&
	     !SQL_SUCCEEDED(
	             SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)cur->rows, 0))) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, cur->status, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &cur->fetched, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s: row arrays",
		                     cur->table);
	for (size_t i = 0; i < cur->nsel; i++) {
		struct col *k = &cur->cb[i];

		k->data = malloc(k->width * cur->rows);
		k->ind = malloc(sizeof *k->ind * cur->rows);
		if (!k->data || !k->ind)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		if (!SQL_SUCCEEDED(SQLBindCol(st, (SQLUSMALLINT)(i + 1), k->ctype, k->data,
		                              (SQLLEN)k->width, k->ind)))
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st,
			                     "table %s: column %s", cur->table, colname(cur, i));
	}
	return 0;
}

int xp_odbc_select(struct xp_odbc *c, const char *table, const struct xp_column *cols, size_t ncols,
                   const struct xp_window *w, struct xp_odbc_cursor **out, struct xp_err *err)
{
	struct xp_odbc_cursor *cur = calloc(1, sizeof *cur);
	char *sql = NULL;
	int rc = 0, tcls = 's', literal, loose = 0;

	*out = NULL;
	xp_odbc_guard_crashes(); /* a crash inside the driver names the table */
	if (!cur || !(cur->cb = calloc(ncols + 1, sizeof *cur->cb)) ||
	    !(cur->row = calloc(ncols + 1, sizeof *cur->row))) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	cur->c = c;
	cur->table = table;
	cur->cols = cols;
	cur->ncols = ncols;
	cur->nsel = ncols;
	cur->tcol = -1;
	for (size_t i = 0; i < ncols; i++) {
		if (!plan(&cur->cb[i], &cols[i]))
			loose = 1;
		cur->cb[i].lower = cur->cb[i].cls == 'g';
		/* psqlODBC drops the zone of timestamptz and prints a date or timestamp before
		 * year 1, past 9999 or infinite wrongly (1 BC as 0001-01-01, infinity as
		 * 9999-12-31 23:59:59): they are selected as text, which the server prints in
		 * UTC (the session's zone, xp_dump_run) */
		cur->cb[i].pg_text = strcmp(c->dbms, "PostgreSQL") == 0 && cur->cb[i].cls == 'd';
		cur->cb[i].mssql_time =
		        xp_odbc_is_mssql(c) &&
		        (cur->cb[i].cls == 'd' || strcmp(cols[i].type_name, "datetimeoffset") == 0);
		if (w && w->time_column && strcmp(cols[i].name, w->time_column) == 0) {
			tcls = cur->cb[i].cls;
			cur->tcol = (long)i;
		}
	}
	if (strcmp(c->dbms, "SQLite") == 0) {
		/* SQLite's declared sizes bound nothing: any column holds any length */
		loose = 1;
		/* its driver passes doubles through 15-digit text: fetch exact text instead */
		for (size_t i = 0; i < ncols; i++) {
			struct col *k = &cur->cb[i];

			if (k->cls == 'f' || k->cls == 'r') {
				k->sqlite_real = 1;
				k->ctype = SQL_C_CHAR;
				k->width = 40;
			}
			/* any column may hold a blob, which the driver hands over as the text
			 * X'..': a value that reads so is checked (xp_odbc_sqlite_blob) */
			k->blob_check = k->cls != 'b';
			cur->blob_check |= k->blob_check;
		}
	}
	for (size_t i = 0; i < cur->nsel; i++) {
		struct col *k = &cur->cb[i];

		k->bitbyte = k->cls == 'o' &&
		             (strcasestr(c->dbms, "MariaDB") || strcasestr(c->dbms, "MySQL"));
		k->plain = k->ctype == SQL_C_CHAR && !k->lower && !k->sqlite_real && !k->bitbyte &&
		           !k->mssql_time;
	}
	/* Bind every column in row arrays when each value fits its width, or when the driver
	 * can read a longer one with SQLGetData after all (SQL_GD_BOUND): in a row array of
	 * one row, or of many when it can also position in one (SQL_GD_BLOCK). Else read every
	 * value with SQLGetData. */
	cur->bulk = !loose || (c->getdata & SQL_GD_BOUND);
	cur->rows = 1;
	if (!loose || (c->getdata & SQL_GD_BLOCK)) {
		size_t row = 0;

		for (size_t i = 0; i < cur->nsel; i++)
			row += cur->cb[i].width + sizeof(SQLLEN);
		cur->rows = BIND_BUDGET / (row ? row : 1);
		if (cur->rows > XP_ODBC_ROWS)
			cur->rows = XP_ODBC_ROWS;
		if (cur->rows < 1)
			cur->rows = 1;
	}
	/* sqlite3odbc holds a whole result in memory when a statement has parameters: write
	 * the bounds into the SQL there (they are formatted from integers, never from input) */
	literal = strcmp(c->dbms, "SQLite") == 0;
	if (c->page_rows && !literal)
		xp_odbc_page_plan(cur, w, tcls);
	sql = build_query(c, table, cols, cur->cb, ncols, w, tcls, literal,
	                  cur->paged ? cols[cur->key].name : NULL, 0, c->page_rows,
	                  cur->blob_check ? &cur->scope : NULL);
	if (sql && cur->paged) {
		cur->next_sql = build_query(c, table, cols, cur->cb, ncols, w, tcls, literal,
		                            cols[cur->key].name, 1, c->page_rows, NULL);
		if (!cur->next_sql) {
			free(sql);
			sql = NULL;
		}
	}
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
		rc = xp_odbc_mssql_explain(c, cur->st, table, 1, rc, err);
		goto out;
	}
	/* SQL Server's drivers open a server cursor for a row array asked before the statement
	 * runs; after it, the fast default result set stays */
	if (cur->bulk && xp_odbc_is_mssql(c) &&
	    !SQL_SUCCEEDED(
	            SQLSetStmtAttr(cur->st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)cur->rows, 0))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s: row arrays",
		                   table);
		goto out;
	}
	*out = cur;
	cur = NULL;
out:
	free(sql);
	xp_odbc_cursor_free(cur);
	return rc;
}

int xp_odbc_older(struct xp_odbc *c, const char *table, const struct xp_column *tcol,
                  int64_t before, uint64_t *rows, int64_t *oldest, struct xp_err *err)
{
	int tcls = xp_column_type_class(tcol->sql_type), literal = strcmp(c->dbms, "SQLite") == 0;
	char *q = xp_odbc_quote(c, table), *tc = xp_odbc_quote_column(c, tcol->name), *sql = NULL;
	char count[32] = "", min[80] = "", ps[32], *end;
	SQLLEN ind = 0, nind = 0, mind = 0;
	SQLHSTMT st = SQL_NULL_HSTMT;
	int64_t pi;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	*rows = 0;
	f = q && tc ? open_memstream(&sql, &len) : NULL;
	if (f) {
		fprintf(f, "SELECT COUNT(*), MIN(%s) FROM %s WHERE %s < ", tc, q, tc);
		put_bound(f, before, tcls, literal);
		if (fclose(f) != 0) {
			free(sql);
			sql = NULL;
		}
	}
	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "table %s", table);
		goto out;
	}
	if ((!literal && !SQL_SUCCEEDED(bind_time(st, 0, before, tcls, &pi, ps, &ind))) ||
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
	    (tcls == 'i' ? (*oldest = strtoll(min, &end, 10), *end != '\0')
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

/* Set while a driver fetches: the table it fetches from; NULL elsewhere. */
static const char *volatile in_driver;
const char *volatile xp_odbc_crash_unlink;

static void put(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

static void on_crash(int sig)
{
	const char *t = in_driver;

	if (!t)
		return; /* not the driver's: SA_RESETHAND lets the fault happen again, unhandled */
	put(xp_progname);
	put(": table ");
	put(t);
	put(sig == SIGBUS ? ": the ODBC driver crashed (SIGBUS) while fetching"
	                  : ": the ODBC driver crashed (SIGSEGV) while fetching");
	put("; was the connection lost?\n");
	if (xp_odbc_crash_unlink)
		unlink(xp_odbc_crash_unlink);
	_exit(1);
}

void xp_odbc_guard_crashes(void)
{
	static int done;
	struct sigaction sa;

	if (done)
		return;
	done = 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
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
			                  cur->table, colname(cur, i));
		in_driver = cur->table;
		r = SQLGetData(cur->st, (SQLUSMALLINT)(i + 1), k->ctype, k->raw + have,
		               (SQLLEN)room, &ind);
		in_driver = NULL;
		if (r == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(r))
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
			                     "table %s: column %s", cur->table, colname(cur, i));
		if (ind == SQL_NULL_DATA) {
			f->null = 1;
			f->p = "";
			f->len = 0;
			return 0;
		}
		if (k->ctype == SQL_C_DOUBLE) {
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
	in_driver = cur->table;
	r = SQLFetch(cur->st);
	in_driver = NULL;
	if (r == SQL_NO_DATA && cur->paged && cur->page_n == cur->c->page_rows) {
		int rc = xp_odbc_page_next(cur, err);

		return rc ? rc : fetch_block(cur, err);
	}
	if (r == SQL_NO_DATA) {
		cur->done = 1;
		return 0;
	}
	if (!SQL_SUCCEEDED(r))
		return xp_odbc_mssql_explain(cur->c, cur->st, cur->table, 1,
		                             xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
		                                           "table %s", cur->table),
		                             err);
	if (!cur->bulk)
		cur->fetched = 1;
	return 0;
}

static int bulk_row(struct xp_odbc_cursor *cur, SQLULEN r, struct xp_err *err)
{
	for (size_t i = 0; i < cur->nsel; i++) {
		struct col *k = &cur->cb[i];
		SQLLEN ind = k->ind[r];
		const char *v = k->data + r * k->width;
		size_t len;

		if (k->plain && ind >= 0 && (size_t)ind < k->width) { /* text as given */
			cur->row[i] = (struct xp_field){v, (size_t)ind, 0};
			continue;
		}
		if (ind == SQL_NULL_DATA) {
			cur->row[i] = (struct xp_field){"", 0, 1};
			continue;
		}
		if (k->ctype == SQL_C_DOUBLE)
			len = k->width;
		else if (ind == SQL_NO_TOTAL || (size_t)ind > k->width - term(k->ctype)) {
			/* longer than bound (a long column, or SQLite, which declares anything):
			 * read this row's whole value with SQLGetData */
			int rc;

			if (cur->rows > 1 &&
			    !SQL_SUCCEEDED(SQLSetPos(cur->st, (SQLSETPOSIROW)(r + 1), SQL_POSITION,
			                             SQL_LOCK_NO_CHANGE)))
				return xp_odbc_error(
				        err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
				        "table %s: column %s: value longer than "
				        "the %llu declared",
				        cur->table, colname(cur, i),
				        (unsigned long long)(i < cur->ncols ? cur->cols[i].size
				                                            : 0));
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
		for (size_t i = 0; i < cur->nsel && !rc; i++)
			rc = get_value(cur, i, &cur->row[i], err);
	}
	cur->nrow++;
	for (size_t i = 0; !rc && cur->blob_check && i < cur->ncols; i++)
		if (cur->cb[i].blob_check &&
		    xp_odbc_sqlite_looks_blob(&cur->row[i], cur->cb[i].lower))
			rc = xp_odbc_sqlite_blob(cur, i, err);
	if (rc)
		return rc;
	if (cur->paged)
		xp_odbc_page_note(cur);
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
	for (size_t i = 0; cur->cb && i < cur->nsel; i++) {
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
	free(cur->next_sql);
	free(cur->scope);
	free(cur);
}
