#include "config.h"

#include "db/load-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/dump.h"
#include "base/err.h"
#include "base/encode.h"
#include "base/str.h"

static int is_text_type(int t)
{
	return t == SQL_CHAR || t == SQL_VARCHAR || t == SQL_LONGVARCHAR || t == SQL_WCHAR ||
	       t == SQL_WVARCHAR || t == SQL_WLONGVARCHAR;
}

static int is_binary_type(int t)
{
	return t == SQL_BINARY || t == SQL_VARBINARY || t == SQL_LONGVARBINARY;
}

static size_t initial_width(const struct xp_column *col)
{
	switch (xp_column_type_class(col->sql_type)) {
	case XP_CLASS_INT:
	case XP_CLASS_BIT: return 24;
	case XP_CLASS_DECIMAL: return col->size && col->size < 1000 ? (size_t)col->size + 3 : 64;
	case XP_CLASS_DOUBLE:
	case XP_CLASS_REAL: return 32;
	case XP_CLASS_TIME:
	case XP_CLASS_GUID: return 48;
	default: return col->size && col->size < 256 ? (size_t)col->size * 4 + 1 : 256;
	}
}

static void pcol_setup(struct pcol *p, const struct xp_column *col, enum xp_dbms f,
                       enum xp_dbms src)
{
	int t = xp_load_effective_type(col);

	p->bit = t == SQL_BIT;
	p->ctype = is_binary_type(t) ? SQL_C_BINARY : SQL_C_CHAR;
	/* the value travels as text; the driver converts it for the column (an unsigned
	 * bigint as text: no driver converts 2^63 and above to its bigint) */
	p->sqltype = t == SS_TIMESTAMPOFFSET || t == XP_LOAD_ANY_DECIMAL ||
	                             (t == SQL_BIGINT && xp_load_unsigned(src, col))
	                     ? SQL_VARCHAR
	                     : (SQLSMALLINT)col->sql_type;
	if (p->bit)
		p->sqltype = SQL_BIT;
	/* MariaDB Connector/ODBC reads a time parameter as a time of day (and refuses its
	 * fraction): its server reads text as the whole TIME, -838:59:59.999999 and on */
	if (f == XP_DBMS_MYSQL && (t == SQL_TYPE_TIME || t == SQL_TIME))
		p->sqltype = SQL_VARCHAR;
	/* psqlODBC reads a date or timestamp parameter into its own struct, which holds no
	 * year before 1 or past 9999 and no infinity: PostgreSQL reads the text itself */
	if (f == XP_DBMS_POSTGRESQL &&
	    (t == SQL_TYPE_DATE || t == SQL_TYPE_TIMESTAMP || t == SQL_DATE || t == SQL_TIMESTAMP))
		p->sqltype = SQL_VARCHAR;
	/* FreeTDS converts a decimal's text itself, to at most 38 digits: SQL Server reads the
	 * text (check_field has made sure the column holds it) */
	if (f == XP_DBMS_MSSQL && (t == SQL_NUMERIC || t == SQL_DECIMAL))
		p->sqltype = SQL_VARCHAR;
	/* FreeTDS (1.3) reads the year 0001 of a date's text as 2001: SQL Server reads the
	 * text itself */
	if (f == XP_DBMS_MSSQL &&
	    (t == SQL_TYPE_DATE || t == SQL_TYPE_TIME || t == SQL_TYPE_TIMESTAMP || t == SQL_DATE ||
	     t == SQL_TIME || t == SQL_TIMESTAMP || t == SS_TIME2))
		p->sqltype = SQL_VARCHAR;
	/* FreeTDS sends text bound as varchar in the server's code page (a character it lacks
	 * ends the row's parameters) and bytes bound as binary as binary(n), which SQL Server
	 * pads with zeros to n: text goes as nvarchar, bytes as varbinary */
	if (f == XP_DBMS_MSSQL && is_text_type(p->sqltype))
		p->sqltype = SQL_WVARCHAR;
	if (f == XP_DBMS_MSSQL && is_binary_type(p->sqltype))
		p->sqltype = SQL_VARBINARY;
	p->size = (SQLULEN)col->size;
	p->digits = (SQLSMALLINT)col->digits;
	p->width = initial_width(col);
}

/* Bytes field f needs in column p's buffer, or XP_EINTEGRITY for binary that is not \x hex. */
static int field_need(const struct batch *b, size_t i, const struct xp_field *f, size_t *need,
                      struct xp_err *err)
{
	if (f->null || b->pc[i].bitbyte) {
		*need = f->null ? 0 : 1;
		return 0;
	}
	if (b->pc[i].single) {
		*need = f->len + 1 > 32 ? f->len + 1 : 32;
		return 0;
	}
	if (b->pc[i].binary) {
		*need = b->pc[i].width;
		return 0;
	}
	if (b->pc[i].ctype == SQL_C_BINARY) {
		if (f->len < 2 || f->p[0] != '\\' || f->p[1] != 'x' || f->len % 2)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "%s: row %llu: column %s: not \\x hex", b->t->name,
			                  (unsigned long long)(b->done + b->n + 1),
			                  b->t->cols[i].name);
		*need = (f->len - 2) / 2;
		return 0;
	}
	/* room for the ":00" a zone "+HH" gets (see put_field) */
	*need = f->len + 1 + (b->pc[i].check == 'z' ? 3 : 0);
	return 0;
}

/* Float text f as the bytes of a double or a float in dst; what is not a number, or a float
 * past the largest, is an error naming row and column. */
static int put_float(struct batch *b, size_t i, const struct xp_field *f, char *dst,
                     struct xp_err *err)
{
	struct pcol *p = &b->pc[i];
	char text[64], *end = text;
	int ok = f->len < sizeof text;
	double d = 0;
	float v;

	if (ok) {
		memcpy(text, f->p, f->len);
		text[f->len] = '\0';
		d = strtod(text, &end);
		ok = end != text && !*end;
	}
	if (ok && p->ctype == SQL_C_DOUBLE) {
		memcpy(dst, &d, sizeof d);
	} else if (ok) {
		v = strtof(text, NULL);
		ok = !isinf(v);
		memcpy(dst, &v, sizeof v);
	}
	if (!ok)
		return xp_err_set(
		        err, XP_EFAIL, "%s: row %llu: column %s: %.*s does not fit the target's %s",
		        b->t->name, (unsigned long long)(b->done + b->n + 1), b->t->cols[i].name,
		        f->len > 40 ? 40 : (int)f->len, f->p, p->target);
	p->ind[b->n] = (SQLLEN)p->width;
	return 0;
}

static int put_field(struct batch *b, size_t i, const struct xp_field *f, struct xp_err *err)
{
	struct pcol *p = &b->pc[i];
	char *dst = p->buf + b->n * p->width;

	if (f->null) {
		p->ind[b->n] = SQL_NULL_DATA;
		return 0;
	}
	if (p->bitbyte) { /* check_field let only 1/0 and words for them through */
		dst[0] = (char)(f->p[0] && strchr("1tTyY", f->p[0]) != NULL);
		p->ind[b->n] = 1;
		return 0;
	}
	if (p->binary)
		return put_float(b, i, f, dst, err);
	if (p->ctype == SQL_C_BINARY) {
		size_t n = (f->len - 2) / 2;

		if (xp_unhex_mem(f->p + 2, (uint8_t *)dst, n) != 0)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "%s: row %llu: column %s: not \\x hex", b->t->name,
			                  (unsigned long long)(b->done + b->n + 1),
			                  b->t->cols[i].name);
		p->ind[b->n] = (SQLLEN)n;
		return 0;
	}
	if (p->bit && f->len >= 1 && strchr("tTyY", f->p[0])) {
		memcpy(dst, "1", 2);
		p->ind[b->n] = 1;
		return 0;
	}
	if (p->bit && f->len >= 1 && strchr("fFnN", f->p[0])) {
		memcpy(dst, "0", 2);
		p->ind[b->n] = 1;
		return 0;
	}
	memcpy(dst, f->p, f->len);
	p->ind[b->n] = (SQLLEN)f->len;
	if (p->single) {
		float v;

		dst[f->len] = '\0';
		v = strtof(dst, NULL);
		if (isfinite(v))
			p->ind[b->n] = snprintf(dst, 32, "%.17g", (double)v);
	}
	if (p->check == 'y') { /* a UTC time without its zone: check_field let no other through */
		int utc;

		p->ind[b->n] -= (SQLLEN)xp_load_zone_len(f->p, f->len, &utc);
	}
	if (p->check == 'z') { /* SQL Server reads a zone as +HH:MM only */
		int utc;

		if (xp_load_zone_len(f->p, f->len, &utc) == 3) {
			memcpy(dst + f->len, ":00", 3);
			p->ind[b->n] += 3;
		}
	}
	dst[p->ind[b->n]] = '\0';
	return 0;
}

/* Binds column i's value of array row r as parameter number pno of statement st. */
static int bind_one(struct batch *b, SQLHSTMT st, size_t pno, size_t i, size_t r,
                    struct xp_err *err)
{
	struct pcol *p = &b->pc[i];
	SQLULEN size = p->size;
	SQLRETURN rc;

	/* a text parameter declared narrower than its data is cut or refused */
	if ((is_text_type(p->sqltype) || is_binary_type(p->sqltype)) && size < p->width)
		size = p->width;
	rc = SQLBindParameter(st, (SQLUSMALLINT)pno, SQL_PARAM_INPUT, p->ctype, p->sqltype, size,
	                      p->digits, p->buf + r * p->width, (SQLLEN)p->width, p->ind + r);
	if (!SQL_SUCCEEDED(rc))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s: column %s",
		                     b->t->name, b->t->cols[i].name);
	return 0;
}

static int bind_all(struct batch *b, struct xp_err *err)
{
	size_t nc = b->t->ncols;
	int rc = 0;

	for (size_t i = 0; !rc && i < nc; i++)
		rc = bind_one(b, b->st, i + 1, i, 0, err);
	/* the key once more, for NOT EXISTS */
	if (!rc && b->key >= 0)
		rc = bind_one(b, b->st, nc + 1, (size_t)b->key, 0, err);
	/* the many-rows INSERT takes row r's values from the arrays' row r */
	if (b->multi && b->cap >= b->mrows)
		for (size_t r = 0; !rc && r < b->mrows; r++)
			for (size_t i = 0; !rc && i < nc; i++)
				rc = bind_one(b, b->multi, r * nc + i + 1, i, r, err);
	return rc;
}

/* Sizes the arrays for the current widths: as many rows as fit in XP_LOAD_MEM, at least one. */
static int resize(struct batch *b, struct xp_err *err)
{
	size_t row = sizeof *b->status, cap;

	for (size_t i = 0; i < b->t->ncols; i++)
		row += b->pc[i].width + sizeof(SQLLEN);
	cap = XP_LOAD_MEM / row;
	cap = cap < 1 ? 1 : cap > b->max_rows ? b->max_rows : cap;
	for (size_t i = 0; i < b->t->ncols; i++) {
		struct pcol *p = &b->pc[i];
		char *nb = realloc(p->buf, cap * p->width);
		SQLLEN *ni;

		if (!nb)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		p->buf = nb;
		ni = realloc(p->ind, cap * sizeof *ni);
		if (!ni)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		p->ind = ni;
	}
	{
		SQLUSMALLINT *ns = realloc(b->status, cap * sizeof *ns);

		if (!ns)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		b->status = ns;
	}
	b->cap = cap;
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(b->st, SQL_ATTR_PARAM_STATUS_PTR, b->status, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s", b->t->name);
	return bind_all(b, err);
}

/* Executes a full batch as one many-rows INSERT. */
static int flush_multi(struct batch *b, struct xp_err *err)
{
	SQLLEN count = -1;

	if (!SQL_SUCCEEDED(SQLExecute(b->multi)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->multi, "%s: rows %llu-%llu",
		                     b->t->name, (unsigned long long)(b->done + 1),
		                     (unsigned long long)(b->done + b->n));
	if (SQL_SUCCEEDED(SQLRowCount(b->multi, &count)) && count != (SQLLEN)b->n)
		return xp_err_set(err, XP_EFAIL, "%s: the driver inserted %lld of %zu rows",
		                  b->t->name, (long long)count, b->n);
	b->done += b->n;
	b->n = 0;
	return 0;
}

/* Executes the filled rows; names the first row the database refused. */
static int flush(struct batch *b, struct xp_err *err)
{
	SQLRETURN r;
	size_t bad = b->n;

	if (!b->n)
		return 0;
	if (b->multi && b->n == b->mrows && b->cap >= b->mrows)
		return flush_multi(b, err);
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(b->st, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)b->n, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s: parameter arrays",
		                     b->t->name);
	for (size_t k = 0; k < b->n; k++)
		b->status[k] = SQL_PARAM_UNUSED;
	b->processed = 0;
	if (b->rebind) {
		int rc = bind_all(b, err);

		if (rc)
			return rc;
	}
	r = SQLExecute(b->st);
	/* an INSERT ... WHERE NOT EXISTS that inserted nothing has no data, and no error */
	if (r == SQL_NO_DATA && b->key >= 0)
		r = SQL_SUCCESS;
	for (size_t k = 0; k < b->n && k < b->processed; k++)
		if (b->status[k] == SQL_PARAM_ERROR) {
			bad = k;
			break;
		}
	if (!SQL_SUCCEEDED(r) || bad < b->n)
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s: row %llu",
		                     b->t->name,
		                     (unsigned long long)(b->done + (bad < b->n ? bad : 0) + 1));
	if (b->processed != b->n)
		return xp_err_set(err, XP_EFAIL, "%s: the driver inserted %llu of %zu rows",
		                  b->t->name, (unsigned long long)b->processed, b->n);
	b->done += b->n;
	b->n = 0;
	return 0;
}

/* Adds one row, executing first when it is full or a value outgrows its column's width. */
static int add_row(struct batch *b, const struct xp_field *row, struct xp_err *err)
{
	int grow = 0, rc;
	size_t need;

	for (size_t i = 0; i < b->t->ncols; i++) {
		rc = field_need(b, i, &row[i], &need, err);
		if (!rc)
			rc = xp_load_check_field(b, i, &row[i], err);
		if (rc)
			return rc;
		grow |= need > b->pc[i].width;
	}
	/* the rows already filled go out with the layout they were written in */
	if (grow || b->n == b->cap) {
		rc = flush(b, err);
		if (rc)
			return rc;
	}
	if (grow) {
		for (size_t i = 0; i < b->t->ncols; i++) {
			size_t w = b->pc[i].width * 2;

			field_need(b, i, &row[i], &need, err);
			if (need > b->pc[i].width)
				b->pc[i].width = w > need ? w : need;
		}
		rc = resize(b, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < b->t->ncols; i++) {
		rc = put_field(b, i, &row[i], err);
		if (rc)
			return rc;
	}
	b->n++;
	return 0;
}

static void batch_free(struct batch *b)
{
	if (b->pc)
		for (size_t i = 0; i < b->t->ncols; i++) {
			free(b->pc[i].buf);
			free(b->pc[i].ind);
		}
	free(b->pc);
	free(b->status);
	xp_columns_free(b->tcols, b->ntcols);
	if (b->st)
		SQLFreeHandle(SQL_HANDLE_STMT, b->st);
	if (b->multi)
		SQLFreeHandle(SQL_HANDLE_STMT, b->multi);
	memset(b, 0, sizeof *b);
}

/* Describes the target table and sets what each column's target holds. */
static int describe_target(struct batch *b, struct xp_err *err)
{
	char *name = xp_load_plain_name(b->t, b->prefix);
	int rc;

	if (!name)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_odbc_describe(b->c, name, &b->tcols, &b->ntcols, err);
	free(name);
	/* "table T: why" becomes "T: why", as every other error of the load names it */
	if (rc && err && strncmp(err->msg, "table ", 6) == 0)
		memmove(err->msg, err->msg + 6, strlen(err->msg + 6) + 1);
	if (rc)
		return rc;
	for (size_t i = 0; i < b->t->ncols; i++) {
		const struct xp_column *tc = NULL;

		for (size_t k = 0; !tc && k < b->ntcols; k++)
			if (strcasecmp(b->tcols[k].name, b->t->cols[i].name) == 0)
				tc = &b->tcols[k];
		xp_load_set_check(&b->pc[i], b->c->db->id, tc);
	}
	return 0;
}

static int prepare_multi(struct batch *b, struct xp_odbc *c, const struct xp_dump_table *t,
                         struct xp_err *err)
{
	char *sql = NULL;
	int rc;

	rc = xp_load_insert_sql(c, t, b->prefix, XP_LOAD_VALUES_ROWS, -1, &sql, err);
	if (rc)
		return rc;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &b->multi))) {
		b->multi = SQL_NULL_HSTMT;
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", t->name);
	} else if (!SQL_SUCCEEDED(SQLPrepare(b->multi, (SQLCHAR *)sql, SQL_NTS))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->multi, "%s", t->name);
	} else {
		b->mrows = XP_LOAD_VALUES_ROWS;
		b->max_rows = XP_LOAD_VALUES_ROWS;
	}
	free(sql);
	return rc;
}

static int batch_open(struct batch *b, struct xp_odbc *c, const char *source,
                      const struct xp_dump_table *t, const char *prefix, const char *skip_key,
                      struct xp_err *err)
{
	char *sql = NULL;
	int rc;

	memset(b, 0, sizeof *b);
	b->c = c;
	b->t = t;
	b->prefix = prefix;
	b->key = -1;
	if (!t->ncols)
		return xp_err_set(err, XP_EINTEGRITY, "%s: no columns in MANIFEST", t->name);
	for (size_t i = 0; skip_key && i < t->ncols; i++)
		if (strcmp(t->cols[i].name, skip_key) == 0)
			b->key = (int)i;
	if (skip_key && b->key < 0)
		return xp_err_set(err, XP_EFAIL, "%s: no column %s to skip existing rows by",
		                  t->name, skip_key);
	b->pc = calloc(t->ncols, sizeof *b->pc);
	if (!b->pc)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	b->max_rows = XP_LOAD_ROWS;
	for (size_t i = 0; i < t->ncols; i++) {
		pcol_setup(&b->pc[i], &t->cols[i], c->db->id, xp_profile_dbms(source)->id);
		/* the SQLite ODBC driver (0.9998) keeps the SQL_C_BINARY length it saw first,
		 * for every row of an array and every later execute, until the parameter is
		 * bound again: such tables go one row per execute there, bound each time */
		if (b->pc[i].ctype == SQL_C_BINARY && c->db->rebind_binary) {
			b->max_rows = 1;
			b->rebind = 1;
		}
	}
	/* MariaDB Connector/ODBC sends a parameter array in its bulk protocol, which takes no
	 * INSERT ... SELECT: one row per execute there */
	if (b->key >= 0 && c->db->no_array_select)
		b->max_rows = 1;
	rc = xp_load_insert_sql(c, t, b->prefix, 1, b->key, &sql, err);
	if (rc)
		goto out;
	if ((rc = xp_odbc_stmt(c, &b->st, err, "%s", t->name)) != 0)
		goto out;
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(b->st, SQL_ATTR_PARAM_BIND_TYPE,
	                                  (SQLPOINTER)SQL_PARAM_BIND_BY_COLUMN, 0)) ||
	    !SQL_SUCCEEDED(
	            SQLSetStmtAttr(b->st, SQL_ATTR_PARAMS_PROCESSED_PTR, &b->processed, 0))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s: parameter arrays",
		                   t->name);
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLPrepare(b->st, (SQLCHAR *)sql, SQL_NTS))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, b->st, "%s", t->name);
		goto out;
	}
	rc = describe_target(b, err);
	if (rc)
		goto out;
	/* psqlODBC runs a parameter array one row per round trip: full batches go to the
	 * server as one INSERT of many rows instead (partial ones use the array) */
	if (c->db->array_per_row && b->key < 0 &&
	    XP_LOAD_VALUES_ROWS * t->ncols <= XP_LOAD_VALUES_PARAMS) {
		rc = prepare_multi(b, c, t, err);
		if (rc)
			goto out;
	}
	rc = resize(b, err);
out:
	free(sql);
	return rc;
}

/* The rows in table t's target, in *n. */
static int count_rows(struct xp_odbc *c, const struct xp_dump_table *t, const char *prefix,
                      uint64_t *n, struct xp_err *err)
{
	char *q = xp_load_target_name(c, t, prefix),
	     *sql = q ? xp_asprintf("SELECT COUNT(*) FROM %s", q) : NULL;
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLBIGINT v = 0;
	int rc = 0;

	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_odbc_stmt(c, &st, err, "%s", t->name)) != 0)
		goto out;
	if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SBIGINT, &v, 0, NULL)) || v < 0) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s: counting rows",
		                   t->name);
		goto out;
	}
	*n = (uint64_t)v;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(sql);
	free(q);
	return rc;
}

/* Loads the rows of the reader's current table t. */
static int load_table(struct xp_odbc *c, struct xp_dump_reader *r, const struct xp_dump_table *t,
                      const struct xp_load_opts *o, struct xp_load_stats *st, struct xp_err *err)
{
	struct batch b;
	const struct xp_field *row;
	uint64_t shown = 0, before = 0, after = 0;
	int rc;

	/* what NOT EXISTS left out: the rows given less the rows the table gained */
	rc = o->skip_key ? count_rows(c, t, o->prefix, &before, err) : 0;
	if (!rc)
		rc = batch_open(&b, c, xp_dump_reader_manifest(r)->dbms, t, o->prefix, o->skip_key,
		                err);
	else
		memset(&b, 0, sizeof b);
	while (!rc && (rc = xp_dump_reader_next_row(r, &row, err)) == 1) {
		rc = add_row(&b, row, err);
		if (!rc && b.done - shown >= XP_LOAD_ROWS && o->progress) {
			o->progress(o->progress_arg, t->name, st->rows + b.done);
			shown = b.done;
		}
	}
	if (!rc)
		rc = flush(&b, err);
	if (!rc && o->skip_key) {
		rc = count_rows(c, t, o->prefix, &after, err);
		if (!rc && (after < before || after - before > b.done))
			rc = xp_err_set(err, XP_EFAIL, "%s: the table changed during the load",
			                t->name);
		if (!rc) {
			st->skipped += b.done - (after - before);
			b.done = after - before;
		}
	}
	if (!rc) {
		st->rows += b.done;
		st->tables++;
		if (o->progress)
			o->progress(o->progress_arg, t->name, st->rows);
	}
	batch_free(&b);
	return rc;
}

/* Drops the first n tables of m that a failed load created (errors ignored: the load's
 * own error is the one to report). */
static void drop_created(struct xp_odbc *c, const struct xp_manifest *m, const char *prefix,
                         size_t n)
{
	if (!n || xp_odbc_begin(c, NULL) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char *q = xp_load_target_name(c, &m->tables[i], prefix);
		char *sql = q ? xp_asprintf("DROP TABLE %s", q) : NULL;

		if (sql)
			xp_load_exec(c, sql, m->tables[i].name, NULL);
		free(sql);
		free(q);
	}
	xp_odbc_end(c, 1, NULL);
}

int xp_load_run(const struct xp_load_opts *o, int fd, struct xp_load_stats *st, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	const struct xp_manifest *m = NULL;
	struct xp_odbc c;
	int rc;
	size_t t, created = 0;

	memset(&c, 0, sizeof c);
	memset(st, 0, sizeof *st);
	rc = xp_dump_reader_open(&r, fd, err);
	if (rc)
		goto out;
	m = xp_dump_reader_manifest(r);
	rc = xp_odbc_connect(&c, o->connstr, err);
	if (rc)
		goto out;
	rc = xp_odbc_begin(&c, err);
	if (rc)
		goto out;
	for (size_t i = 0; o->create && i < m->ntables; i++) {
		rc = xp_load_create_table(&c, m->dbms, &m->tables[i], o->prefix, err);
		if (rc)
			goto out;
		created++;
	}
	while ((rc = xp_dump_reader_next_table(r, &t, err)) == 1) {
		rc = load_table(&c, r, &m->tables[t], o, st, err);
		if (rc)
			goto out;
	}
	if (rc)
		goto out;
	/* the reader has checked SUMMARY: only now may the rows become visible */
	rc = xp_odbc_end(&c, 1, err);
out:
	if (rc && c.in_txn) {
		xp_odbc_end(&c, 0, NULL);
		/* where DDL commits (MariaDB, MySQL) the rollback leaves the tables made: they
		 * are dropped in a transaction of their own */
		if (c.ddl_commits)
			drop_created(&c, m, o->prefix, created);
	}
	xp_odbc_close(&c);
	xp_dump_reader_free(r);
	return rc;
}
