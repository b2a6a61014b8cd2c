#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"
#include "base/encode.h"
#include "base/os.h"
#include "base/time.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cursors: a table's rows fetched in row arrays (or value by value with SQLGetData) and
 * handed out as text fields in the dump's CSV form. */

#define GETDATA_PIECE (1024 * 1024) /* largest piece asked for when the size is unknown */
#define VALUE_MAX     ((size_t)1 << 30)
#define LONG_BIND     1024      /* bytes bound for a long column; longer values: SQLGetData */
#define BIND_BUDGET   (8 << 20) /* bytes of bound row arrays a cursor may take */

/* Bytes of NUL terminator SQLGetData / bound buffers reserve for the C type. */
size_t xp_odbc_term(SQLSMALLINT ctype)
{
	return ctype == SQL_C_CHAR ? 1 : ctype == SQL_C_WCHAR ? sizeof(SQLWCHAR) : 0;
}

int xp_odbc_grow(char **buf, size_t *cap, size_t need)
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
	case XP_CLASS_INT:
		k->ctype = SQL_C_CHAR;
		k->width = 32;
		return 1;
	case XP_CLASS_DOUBLE:
		k->ctype = SQL_C_DOUBLE;
		k->width = sizeof(double);
		return 1;
	case XP_CLASS_REAL:
		/* fetched as a double (exact for every float) and printed as a float: MariaDB
		 * Connector/ODBC 3.1 steps 8 bytes between SQL_C_FLOAT elements of a row array,
		 * which overruns a float array and misplaces every other value */
		k->ctype = SQL_C_DOUBLE;
		k->width = sizeof(double);
		return 1;
	case XP_CLASS_DECIMAL:
		k->ctype = SQL_C_CHAR;
		k->width = (size < 200 ? 200 : size) + 8;
		break;
	case XP_CLASS_TIME:
	case XP_CLASS_GUID:
	case XP_CLASS_BIT:
		k->ctype = SQL_C_CHAR;
		k->width = 72;
		return 1;
	case XP_CLASS_WTEXT: /* two code units a character, for pairs of surrogates */
		k->ctype = SQL_C_WCHAR;
		k->width = (size + 1) * 2 * sizeof(SQLWCHAR);
		fits = c->sql_type != SQL_WLONGVARCHAR && size;
		break;
	case XP_CLASS_BINARY:
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
	k->width = LONG_BIND + xp_odbc_term(k->ctype);
	return 0;
}

/* Column i's name in messages. */
static const char *colname(const struct xp_odbc_cursor *cur, size_t i)
{
	return cur->cols[i].name;
}

int xp_odbc_bind_columns(struct xp_odbc_cursor *cur, SQLHSTMT st, struct xp_err *err)
{
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, 0)) ||
	    (!cur->c->db->array_after_exec &&
	     !SQL_SUCCEEDED(
	             SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)cur->rows, 0))) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_STATUS_PTR, cur->status, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &cur->fetched, 0)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s: row arrays",
		                     cur->table);
	for (size_t i = 0; i < cur->nsel; i++) {
		struct col *k = &cur->cb[i];

		if (!SQL_SUCCEEDED(SQLBindCol(st, (SQLUSMALLINT)(i + 1), k->ctype, k->data,
		                              (SQLLEN)k->width, k->ind)))
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st,
			                     "table %s: column %s", cur->table, colname(cur, i));
	}
	return 0;
}

static int setup_bulk(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	cur->status = calloc(cur->rows, sizeof *cur->status);
	if (!cur->status)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < cur->nsel; i++) {
		struct col *k = &cur->cb[i];

		k->data = malloc(k->width * cur->rows);
		k->ind = malloc(sizeof *k->ind * cur->rows);
		if (!k->data || !k->ind)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	return xp_odbc_bind_columns(cur, cur->st, err);
}

int xp_odbc_select(struct xp_odbc *c, const char *table, const struct xp_column *cols, size_t ncols,
                   const struct xp_window *w, struct xp_odbc_cursor **out, struct xp_err *err)
{
	struct xp_odbc_cursor *cur = calloc(1, sizeof *cur);
	char *sql = NULL;
	enum xp_type_class tcls = XP_CLASS_TEXT;
	const char **keys = NULL;
	size_t nkeys;
	int rc = 0, literal, loose = 0;

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
		cur->cb[i].lower = cur->cb[i].cls == XP_CLASS_GUID;
		/* psqlODBC drops the zone of timestamptz and prints a date or timestamp before
		 * year 1, past 9999 or infinite wrongly (1 BC as 0001-01-01, infinity as
		 * 9999-12-31 23:59:59): they are selected as text, which the server prints in
		 * UTC (the session's zone, xp_dump_run) */
		cur->cb[i].pg_text = c->db->dates_as_text && cur->cb[i].cls == XP_CLASS_TIME;
		cur->cb[i].mssql_time =
		        c->db->times_iso && (cur->cb[i].cls == XP_CLASS_TIME ||
		                             strcmp(cols[i].type_name, "datetimeoffset") == 0);
		if (w && w->time_column && strcmp(cols[i].name, w->time_column) == 0) {
			tcls = cur->cb[i].cls;
			cur->tcol = (long)i;
		}
	}
	if (c->db->loose_sizes) {
		/* SQLite's declared sizes bound nothing: any column holds any length */
		loose = 1;
		/* its driver passes doubles through 15-digit text: fetch exact text instead */
		for (size_t i = 0; i < ncols; i++) {
			struct col *k = &cur->cb[i];

			if (k->cls == XP_CLASS_DOUBLE || k->cls == XP_CLASS_REAL) {
				k->sqlite_real = 1;
				k->ctype = SQL_C_CHAR;
				k->width = 40;
			}
			/* any column may hold a blob, which the driver hands over as the text
			 * X'..': a value that reads so is checked (xp_odbc_sqlite_blob) */
			k->blob_check = k->cls != XP_CLASS_BINARY;
			cur->blob_check |= k->blob_check;
		}
	}
	for (size_t i = 0; i < cur->nsel; i++) {
		struct col *k = &cur->cb[i];

		/* the driver gives a zero date ('0000-00-00 00:00:00') as NULL in a struct: only
		 * in a NOT NULL column can that NULL be told apart */
		if (c->drv->native_timestamps && cols[i].sql_type == SQL_TYPE_TIMESTAMP &&
		    cols[i].nullable == 0 && !k->pg_text && !k->mssql_time && cols[i].digits >= 0 &&
		    cols[i].digits <= 9) {
			k->ctype = SQL_C_TYPE_TIMESTAMP;
			k->width = sizeof(SQL_TIMESTAMP_STRUCT);
			k->digits = cols[i].digits;
		}
		k->bitbyte = k->cls == XP_CLASS_BIT && c->db->bit_as_byte;
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
	literal = c->db->literal_bounds;
	if (c->page_rows && !literal) {
		rc = xp_odbc_page_plan(cur, w, tcls, err);
		if (rc)
			goto out;
	}
	rc = xp_odbc_page_keys(cur, &keys, &nkeys, err);
	if (rc)
		goto out;
	sql = xp_odbc_build_query(c, table, cols, cur->cb, ncols, w, tcls, literal, keys, nkeys, 0,
	                          c->page_rows, cur->blob_check ? &cur->scope : NULL);
	if (sql && cur->paged) {
		cur->next_sql = xp_odbc_build_query(c, table, cols, cur->cb, ncols, w, tcls,
		                                    literal, keys, nkeys, 1, c->page_rows, NULL);
		if (!cur->next_sql) {
			free(sql);
			sql = NULL;
		}
	}
	if (!sql) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_odbc_stmt(c, &cur->st, err, "table %s", table)) != 0)
		goto out;
	if (w && w->time_column && !literal) {
		rc = xp_odbc_bind_window(cur, cur->st, w, tcls, err);
		if (rc)
			goto out;
	}
	if (cur->bulk) {
		rc = setup_bulk(cur, err);
		if (!rc && cur->paged)
			rc = xp_odbc_page_ahead(cur, w, tcls, err);
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
	if (cur->bulk && c->db->array_after_exec &&
	    !SQL_SUCCEEDED(
	            SQLSetStmtAttr(cur->st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)cur->rows, 0))) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s: row arrays",
		                   table);
		goto out;
	}
	if (cur->ahead) {
		rc = xp_odbc_page_start(cur, err);
		if (rc)
			goto out;
	}
	*out = cur;
	cur = NULL;
out:
	free(sql);
	free(keys);
	xp_odbc_cursor_free(cur);
	return rc;
}

/* Set while a driver fetches: the cursor it fetches for; NULL elsewhere. */
static const struct xp_odbc_cursor *volatile in_driver;

static void put(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

static void on_crash(const char *signame)
{
	const struct xp_odbc_cursor *cur = in_driver;

	if (!cur)
		return; /* not the driver's: SA_RESETHAND lets the fault happen again, unhandled */
	put(xp_progname);
	put(": table ");
	put(cur->table);
	put(": the ODBC driver crashed (");
	put(signame);
	put(") while fetching");
	put("; was the connection lost?\n");
	if (cur->c->on_crash)
		cur->c->on_crash(cur->c->crash_arg);
	_exit(1);
}

void xp_odbc_guard_crashes(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	xp_os_on_crash(on_crash);
}

/* Reads column i of the current row with SQLGetData, in pieces, into k->raw. */
static int get_value(struct xp_odbc_cursor *cur, size_t i, struct xp_field *f, struct xp_err *err)
{
	struct col *k = &cur->cb[i];
	size_t have = 0, t = xp_odbc_term(k->ctype);
	/* start small: some drivers (sqlite3odbc) pad the whole buffer they are given */
	size_t piece = 256;
	SQLLEN ind = 0;
	SQLRETURN r;

	for (;;) {
		size_t room = piece + t;

		if (xp_odbc_grow(&k->raw, &k->rawcap, have + room))
			return xp_err_set(err, XP_ENOMEM, "table %s: column %s: value too large",
			                  cur->table, colname(cur, i));
		in_driver = cur;
		r = SQLGetData(cur->st, (SQLUSMALLINT)(i + 1), k->ctype, k->raw + have,
		               (SQLLEN)room, &ind);
		in_driver = NULL;
		if (r == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(r))
			return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
			                     "table %s: column %s", cur->table, colname(cur, i));
		if (ind == SQL_NULL_DATA && k->ctype != SQL_C_TYPE_TIMESTAMP) {
			f->null = 1;
			f->p = "";
			f->len = 0;
			return 0;
		}
		if (k->ctype == SQL_C_DOUBLE || k->ctype == SQL_C_TYPE_TIMESTAMP) {
			have = ind == SQL_NULL_DATA ? 0 : k->width;
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
	return xp_odbc_text(k, k->raw, have, f) ? xp_err_set(err, XP_ENOMEM, "out of memory") : 0;
}

static int fetch_block(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	SQLRETURN r;

	/* read ahead: the next page has been asked for when this one is handed out */
	if (cur->running && cur->page_n == cur->c->page_rows) {
		int rc = xp_odbc_page_switch(cur, err);

		return rc || cur->fetched ? rc : fetch_block(cur, err);
	}
	cur->fetched = 0;
	cur->pos = 0;
	in_driver = cur;
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
		if (ind == SQL_NULL_DATA && k->ctype != SQL_C_TYPE_TIMESTAMP) {
			cur->row[i] = (struct xp_field){"", 0, 1};
			continue;
		}
		if (ind == SQL_NULL_DATA || k->ctype == SQL_C_DOUBLE ||
		    k->ctype == SQL_C_TYPE_TIMESTAMP)
			len = ind == SQL_NULL_DATA ? 0 : k->width;
		else if (ind == SQL_NO_TOTAL || (size_t)ind > k->width - xp_odbc_term(k->ctype)) {
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
		if (xp_odbc_text(k, v, len, &cur->row[i]))
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
	if (cur->running == 1)
		pthread_join(cur->th, NULL);
	if (cur->spare) {
		SQLCloseCursor(cur->spare);
		SQLFreeHandle(SQL_HANDLE_STMT, cur->spare);
	}
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
	xp_odbc_page_free(cur);
	free(cur);
}
