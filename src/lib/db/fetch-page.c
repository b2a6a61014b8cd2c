/* Reading a table in pages, each query going on after the last row's key, for a driver that
 * holds whole results (MariaDB Connector/ODBC before 3.1.17): all in one snapshot, so the
 * pages together are the table as one query would have read it. The key is compared by the
 * server, in the column's own collation, with the value it sent: a page goes on exactly
 * where ORDER BY left off, whatever the collation calls equal (a unique key holds no two
 * such values). Where the statements can scroll, the next page's query runs in a thread on a
 * second statement while this page's rows are handed out (xp_odbc_page_ahead), so that the
 * server is not idle while a page is encoded: this driver locks the connection only to run
 * a statement, and fetches from the page it holds without it. */
#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"
#include "base/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_KEY  16 /* columns of a key pages go by */
#define MAX_CAND 8  /* unique indexes considered */

/* The catalog and table parts of "db.table" (MariaDB's databases are ODBC catalogs). */
struct names {
	char *cat;
	const char *table;
};

static int split(const char *table, struct names *n)
{
	const char *dot = strchr(table, '.');

	n->cat = dot ? xp_strndup(table, (size_t)(dot - table)) : NULL;
	n->table = dot ? dot + 1 : table;
	return dot && !n->cat ? -1 : 0;
}

/* Whether pages can go by column c: NOT NULL (a NULL passes no comparison), and of a type
 * whose text the server compares as it orders: integers (as integers), text that is not a
 * long type (read through its index), dates and times, GUIDs. */
static int seekable(const struct xp_column *c)
{
	if (c->nullable != 0)
		return 0;
	switch (xp_column_type_class(c->sql_type)) {
	case XP_CLASS_INT:
	case XP_CLASS_TIME:
	case XP_CLASS_GUID: return 1;
	case XP_CLASS_TEXT:
	case XP_CLASS_WTEXT:
		return c->sql_type == SQL_CHAR || c->sql_type == SQL_VARCHAR ||
		       c->sql_type == SQL_WCHAR || c->sql_type == SQL_WVARCHAR;
	default: return 0;
	}
}

static long column(const struct xp_column *cols, size_t ncols, const char *name)
{
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Whether column col of table is an ENUM or a SET (the driver's catalog names the type; its
 * results call them CHAR): ORDER BY sorts those by their place in the type, while a
 * comparison with text compares text, so pages could not go on after one. */
static int enum_column(struct xp_odbc *c, const struct names *t, const char *col)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLCHAR type[128] = "";
	SQLLEN ind = 0;
	int found = 1; /* when the catalog cannot say, as if it were */

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLColumns(st, (SQLCHAR *)t->cat, t->cat ? SQL_NTS : 0, NULL, 0,
	                              (SQLCHAR *)t->table, SQL_NTS, (SQLCHAR *)col, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 6, SQL_C_CHAR, type, sizeof type, &ind)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)))
		goto out;
	found = ind > 0 &&
	        (strcasecmp((char *)type, "enum") == 0 || strcasecmp((char *)type, "set") == 0);
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	return found;
}

/* Whether every text column of key[0..n) is text the server compares as it orders. */
static int text_compares(struct xp_odbc *c, const struct names *t, const struct xp_column *cols,
                         const size_t *key, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		enum xp_type_class k = xp_column_type_class(cols[key[j]].sql_type);

		if ((k == XP_CLASS_TEXT || k == XP_CLASS_WTEXT) &&
		    enum_column(c, t, cols[key[j]].name))
			return 0;
	}
	return 1;
}

/* The table's primary key, in key order, into key[] (*n columns; 0: none or not seekable). */
static void primary_key(struct xp_odbc *c, const struct names *t, const struct xp_column *cols,
                        size_t ncols, size_t key[MAX_KEY], size_t *n)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLCHAR name[512] = "";
	SQLSMALLINT seq = 0;
	SQLLEN ind = 0, sind = 0;
	int ok = 1;

	*n = 0;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLPrimaryKeys(st, (SQLCHAR *)t->cat, t->cat ? SQL_NTS : 0, NULL, 0,
	                                  (SQLCHAR *)t->table, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 4, SQL_C_CHAR, name, sizeof name, &ind)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 5, SQL_C_SSHORT, &seq, 0, &sind)))
		goto out;
	while (SQL_SUCCEEDED(SQLFetch(st))) {
		long i = ind > 0 ? column(cols, ncols, (char *)name) : -1;

		/* rows come in key order; a gap or a column we cannot seek by spoils the key */
		if (*n >= MAX_KEY || i < 0 || seq != (SQLSMALLINT)(*n + 1) || !seekable(&cols[i]))
			ok = 0;
		else
			key[(*n)++] = (size_t)i;
	}
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	if (!ok || (*n && !text_compares(c, t, cols, key, *n)))
		*n = 0;
}

/* The first unique index of the table all of whose columns are seekable (NOT NULL among
 * them: a unique index lets NULLs repeat), into key[] (*n columns; 0: none). */
static void unique_key(struct xp_odbc *c, const struct names *t, const struct xp_column *cols,
                       size_t ncols, size_t key[MAX_KEY], size_t *n)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLCHAR name[512] = "", index[512] = "", cur[512] = "";
	SQLSMALLINT pos = 0, type = 0;
	SQLLEN ind = 0, iind = 0, pind = 0, tind = 0;
	size_t cand[MAX_CAND][MAX_KEY], ncand[MAX_CAND], m = 0;
	int ok = 0;

	*n = 0;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLStatistics(st, (SQLCHAR *)t->cat, t->cat ? SQL_NTS : 0, NULL, 0,
	                                 (SQLCHAR *)t->table, SQL_NTS, SQL_INDEX_UNIQUE,
	                                 SQL_QUICK)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 6, SQL_C_CHAR, index, sizeof index, &iind)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 7, SQL_C_SSHORT, &type, 0, &tind)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 8, SQL_C_SSHORT, &pos, 0, &pind)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 9, SQL_C_CHAR, name, sizeof name, &ind)))
		goto out;
	/* rows come index by index, each in column order: the seekable ones are candidates */
	while (m < MAX_CAND && SQL_SUCCEEDED(SQLFetch(st))) {
		long i = ind > 0 ? column(cols, ncols, (char *)name) : -1;

		if (type == SQL_TABLE_STAT || iind <= 0)
			continue;
		if (strcmp((char *)index, (char *)cur) != 0) {
			m += ok && ncand[m];
			memcpy(cur, index, sizeof cur);
			if (m < MAX_CAND)
				ncand[m] = 0;
			ok = 1;
		}
		if (m >= MAX_CAND)
			break;
		if (!ok || ncand[m] >= MAX_KEY || i < 0 || pind <= 0 ||
		    pos != (SQLSMALLINT)(ncand[m] + 1) || !seekable(&cols[i]))
			ok = 0;
		else
			cand[m][ncand[m]++] = (size_t)i;
	}
	m += m < MAX_CAND && ok && ncand[m];
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	/* the catalog's other questions once its answer is closed */
	for (size_t k = 0; k < m && !*n; k++)
		if (text_compares(c, t, cols, cand[k], ncand[k])) {
			memcpy(key, cand[k], ncand[k] * sizeof *key);
			*n = ncand[k];
		}
}

/* Whether column col of table leads one of its indexes (so pages in its order are read
 * through the index, not each sorted from the whole table). */
static int leads_index(struct xp_odbc *c, const struct names *t, const char *col)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLCHAR name[512] = "";
	SQLSMALLINT pos = 0;
	SQLLEN ind = 0, pind = 0;
	int found = 0;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLStatistics(st, (SQLCHAR *)t->cat, t->cat ? SQL_NTS : 0, NULL, 0,
	                                 (SQLCHAR *)t->table, SQL_NTS, SQL_INDEX_ALL, SQL_QUICK)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 8, SQL_C_SSHORT, &pos, 0, &pind)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 9, SQL_C_CHAR, name, sizeof name, &ind)))
		goto out;
	while (!found && SQL_SUCCEEDED(SQLFetch(st)))
		found = pind > 0 && pos == 1 && ind > 0 && strcmp((char *)name, col) == 0;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	return found;
}

/* Bytes the server says table's data takes (0 when it cannot say). */
static uint64_t table_bytes(struct xp_odbc *c, const char *table)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	struct names t = {0};
	SQLUBIGINT bytes = 0;
	SQLLEN cind = 0, tind = 0, bind = 0;

	if (!c->db->table_bytes || split(table, &t) ||
	    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	cind = t.cat ? SQL_NTS : SQL_NULL_DATA;
	tind = SQL_NTS;
	if (!SQL_SUCCEEDED(SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 512, 0,
	                                    t.cat ? t.cat : "", 0, &cind)) ||
	    !SQL_SUCCEEDED(SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 512, 0,
	                                    (SQLPOINTER)t.table, 0, &tind)) ||
	    !SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)c->db->table_bytes, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_UBIGINT, &bytes, 0, &bind)) || bind < 0)
		bytes = 0;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(t.cat);
	return bytes;
}

/* Binds the seek columns' last values as the parameters of st after the window's: two for
 * each column but the last, one for it (build_query's put_seek). */
static int bind_seek(struct xp_odbc_cursor *cur, SQLHSTMT st, struct xp_err *err)
{
	SQLUSMALLINT n = (SQLUSMALLINT)cur->nwin;
	SQLRETURN r = SQL_SUCCESS;

	for (size_t j = 0; j < cur->nseek && SQL_SUCCEEDED(r); j++) {
		struct xp_seek *s = &cur->seek[j];

		for (int k = j + 1 < cur->nseek ? 2 : 1; k > 0 && SQL_SUCCEEDED(r); k--)
			r = !s->integer ? SQLBindParameter(st, ++n, SQL_PARAM_INPUT, SQL_C_CHAR,
			                                   SQL_VARCHAR, s->cap, 0, s->text,
			                                   (SQLLEN)s->cap, &s->ind)
			    : s->is_unsigned
			            ? SQLBindParameter(st, ++n, SQL_PARAM_INPUT, SQL_C_UBIGINT,
			                               SQL_BIGINT, 0, 0, &s->u, 0, &s->ind)
			            : SQLBindParameter(st, ++n, SQL_PARAM_INPUT, SQL_C_SBIGINT,
			                               SQL_BIGINT, 0, 0, &s->i, 0, &s->ind);
	}
	if (!SQL_SUCCEEDED(r))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s: key parameter",
		                     cur->table);
	return 0;
}

int xp_odbc_page_next(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	int rc;

	if (!SQL_SUCCEEDED(SQLFreeStmt(cur->st, SQL_CLOSE)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	if (!cur->seek_bound) {
		rc = bind_seek(cur, cur->st, err);
		if (rc)
			return rc;
		cur->seek_bound = 1;
	}
	cur->page_n = 0;
	if (!SQL_SUCCEEDED(SQLExecDirect(cur->st, (SQLCHAR *)cur->next_sql, SQL_NTS)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	return 0;
}

/* Sets up cur->seek for the time column (tcol, -1: none) and key columns key[0..n). */
static int seek_columns(struct xp_odbc_cursor *cur, long tcol, const size_t *key, size_t n,
                        struct xp_err *err)
{
	size_t m = n + (tcol >= 0);

	cur->seek = calloc(m, sizeof *cur->seek);
	if (!cur->seek)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	cur->nseek = m;
	for (size_t j = 0; j < m; j++) {
		struct xp_seek *s = &cur->seek[j];

		s->col = tcol >= 0 ? (j ? key[j - 1] : (size_t)tcol) : key[j];
		s->integer = cur->cb[s->col].cls == XP_CLASS_INT;
		s->is_unsigned = s->integer && cur->cols[s->col].type_name &&
		                 xp_strcasestr(cur->cols[s->col].type_name, "unsigned") != NULL;
		/* the text form of a value is at most its bound width (UTF-8 of wide text:
		 * 3 bytes for each 2-byte unit) */
		s->cap = cur->cb[s->col].width * 2 + 1;
		s->text = malloc(s->cap);
		if (!s->text)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	return 0;
}

/* Tells c->warn that the driver will hold table's whole result, and how large the table is. */
static void warn_whole(struct xp_odbc *c, const char *table)
{
	uint64_t mib = (table_bytes(c, table) + (1 << 20) - 1) >> 20;
	char msg[1024];

	snprintf(msg, sizeof msg,
	         "table %s: no key to read it in pages by (a primary key or unique index of NOT "
	         "NULL integer, text or time columns): the ODBC driver holds the whole result in "
	         "memory while it is read (the table takes %llu MiB on the server)",
	         table, (unsigned long long)mib);
	c->warn(c->warn_arg, msg);
}

int xp_odbc_page_plan(struct xp_odbc_cursor *cur, const struct xp_window *w,
                      enum xp_type_class tcls, struct xp_err *err)
{
	struct xp_odbc *c = cur->c;
	struct names t = {0};
	size_t key[MAX_KEY], n = 0;
	int rc = 0, by_time;

	if (split(cur->table, &t)) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	/* pages in order of the time column must leave out NULLs, which no comparison passes
	 * (NOT NULL, or a window with a bound), and read through an index it leads, which
	 * InnoDB ends with the primary key */
	by_time = cur->tcol >= 0 && (tcls == XP_CLASS_TIME || tcls == XP_CLASS_INT) &&
	          (w->has_since || w->has_until || cur->cols[cur->tcol].nullable == 0) &&
	          leads_index(c, &t, w->time_column);
	primary_key(c, &t, cur->cols, cur->ncols, key, &n);
	if (!n && !by_time)
		unique_key(c, &t, cur->cols, cur->ncols, key, &n);
	if (!n)
		goto out;
	rc = seek_columns(cur, by_time ? cur->tcol : -1, key, n, err);
	if (rc)
		goto out;
	cur->paged = 1;
	cur->nwin = cur->tcol < 0 ? 0 : (size_t)(w->has_since + w->has_until) + 2 * w->nexcl;
out:
	free(t.cat);
	if (!rc && !cur->paged && c->warn)
		warn_whole(c, cur->table);
	return rc;
}

/* Takes f, a value of the last row of a page, as where the next page goes on after s. */
static void set_seek(struct xp_seek *s, const struct xp_field *f)
{
	size_t len = f->len < s->cap ? f->len : s->cap - 1;

	memcpy(s->text, f->p, len);
	s->text[len] = '\0';
	s->ind = s->integer ? 0 : (SQLLEN)len;
	if (s->is_unsigned)
		s->u = strtoull(s->text, NULL, 10);
	else if (s->integer)
		s->i = strtoll(s->text, NULL, 10);
}

void xp_odbc_page_note(struct xp_odbc_cursor *cur)
{
	/* read ahead, the next page's query has its start already (and reads it now) */
	if (++cur->page_n != cur->c->page_rows || cur->ahead)
		return;
	/* the page's last row: the next page goes on after it */
	for (size_t j = 0; j < cur->nseek; j++)
		set_seek(&cur->seek[j], &cur->row[cur->seek[j].col]);
}

int xp_odbc_page_ahead(struct xp_odbc_cursor *cur, const struct xp_window *w,
                       enum xp_type_class tcls, struct xp_err *err)
{
	SQLPOINTER stat = (SQLPOINTER)SQL_CURSOR_STATIC;
	int rc = 0;

	/* a driver that changes the cursor type (SQL_SUCCESS_WITH_INFO) cannot scroll: pages
	 * are then read one after the other */
	if (SQLSetStmtAttr(cur->st, SQL_ATTR_CURSOR_TYPE, stat, 0) != SQL_SUCCESS)
		return 0;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, cur->c->dbc, &cur->spare))) {
		cur->spare = SQL_NULL_HSTMT;
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, cur->c->dbc, "table %s",
		                     cur->table);
	}
	if (SQLSetStmtAttr(cur->spare, SQL_ATTR_CURSOR_TYPE, stat, 0) != SQL_SUCCESS)
		return 0;
	if (w && w->time_column)
		rc = xp_odbc_bind_window(cur, cur->spare, w, tcls, err);
	if (!rc)
		rc = xp_odbc_bind_columns(cur, cur->spare, err);
	if (!rc)
		rc = bind_seek(cur, cur->spare, err);
	cur->spare_bound = !rc;
	cur->ahead = !rc;
	return rc;
}

static void *run_ahead(void *arg)
{
	struct xp_odbc_cursor *cur = arg;

	cur->ahead_r = SQLExecDirect(cur->spare, (SQLCHAR *)cur->next_sql, SQL_NTS);
	return NULL;
}

/* Takes the next page's start from row r of the fetched block (the page's last row). */
static int take_seek(struct xp_odbc_cursor *cur, SQLULEN r, struct xp_err *err)
{
	for (size_t j = 0; j < cur->nseek; j++) {
		struct xp_seek *s = &cur->seek[j];
		struct col *k = &cur->cb[s->col];
		SQLLEN ind = k->ind[r];
		int fixed = k->ctype == SQL_C_TYPE_TIMESTAMP; /* a zero date comes as NULL */
		size_t len = fixed ? (ind == SQL_NULL_DATA ? 0 : k->width) : (size_t)ind;
		struct xp_field f;

		/* a key's values are NOT NULL and fit their columns (seekable) */
		if ((!fixed && (ind < 0 || (size_t)ind >= k->width)) ||
		    xp_odbc_text(k, k->data + r * k->width, len, &f))
			return xp_err_set(err, XP_EFAIL,
			                  "table %s: column %s: a key value of %lld bytes",
			                  cur->table, cur->cols[s->col].name, (long long)ind);
		set_seek(s, &f);
	}
	return 0;
}

int xp_odbc_page_start(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	SQLRETURN r;
	int rc;

	cur->page_n = 0;
	cur->pos = 0;
	cur->fetched = 0;
	/* a full page has a last row at page_rows: the next page goes on after it */
	r = SQLFetchScroll(cur->st, SQL_FETCH_ABSOLUTE, (SQLLEN)cur->c->page_rows);
	if (SQL_SUCCEEDED(r) && cur->fetched > 0) {
		rc = take_seek(cur, 0, err);
		if (!rc && !cur->spare_bound) {
			rc = bind_seek(cur, cur->spare, err);
			cur->spare_bound = !rc;
		}
		if (rc)
			return rc;
		/* without a thread, the next page is asked for now, with no gain and no loss */
		cur->running = 1;
		if (pthread_create(&cur->th, NULL, run_ahead, cur) != 0) {
			cur->running = 2;
			run_ahead(cur);
		}
	} else if (r != SQL_NO_DATA && !SQL_SUCCEEDED(r)) {
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	}
	cur->fetched = 0;
	r = SQLFetchScroll(cur->st, SQL_FETCH_FIRST, 0);
	if (r != SQL_NO_DATA && !SQL_SUCCEEDED(r))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	if (r == SQL_NO_DATA)
		cur->fetched = 0;
	return 0;
}

int xp_odbc_page_switch(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	SQLHSTMT st = cur->st;
	int bound = cur->seek_bound;

	if (cur->running == 1)
		pthread_join(cur->th, NULL);
	cur->running = 0;
	if (!SQL_SUCCEEDED(SQLFreeStmt(cur->st, SQL_CLOSE)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	cur->st = cur->spare;
	cur->spare = st;
	cur->seek_bound = cur->spare_bound;
	cur->spare_bound = bound;
	if (!SQL_SUCCEEDED(cur->ahead_r))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	return xp_odbc_page_start(cur, err);
}

int xp_odbc_page_keys(const struct xp_odbc_cursor *cur, const char ***keys, size_t *n,
                      struct xp_err *err)
{
	*keys = NULL;
	*n = 0;
	if (!cur->paged)
		return 0;
	*keys = calloc(cur->nseek, sizeof **keys);
	if (!*keys)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t j = 0; j < cur->nseek; j++)
		(*keys)[j] = cur->cols[cur->seek[j].col].name;
	*n = cur->nseek;
	return 0;
}

void xp_odbc_page_free(struct xp_odbc_cursor *cur)
{
	for (size_t j = 0; cur->seek && j < cur->nseek; j++)
		free(cur->seek[j].text);
	free(cur->seek);
}
