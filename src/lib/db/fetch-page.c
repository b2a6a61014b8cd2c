/* Reading a table in pages, each query going on after the last row's key, for a driver that
 * holds whole results (MariaDB Connector/ODBC before 3.1.17): all in one snapshot, so the
 * pages together are the table as one query would have read it. */
#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* The index in cols of table's primary key when it is one integer column; -1 otherwise (no
 * key, a key of several columns or of another type, or the driver cannot say). */
static long integer_key(struct xp_odbc *c, const char *table, const struct xp_column *cols,
                        size_t ncols)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLCHAR name[512] = "";
	SQLLEN ind = 0;
	const char *dot = strchr(table, '.');
	char *cat = dot ? strndup(table, (size_t)(dot - table)) : NULL;
	long key = -1, nkeys = 0;

	if ((dot && !cat) || !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	/* MariaDB's databases are ODBC catalogs */
	if (!SQL_SUCCEEDED(SQLPrimaryKeys(st, (SQLCHAR *)cat, cat ? SQL_NTS : 0, NULL, 0,
	                                  (SQLCHAR *)(dot ? dot + 1 : table), SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 4, SQL_C_CHAR, name, sizeof name, &ind)))
		goto out;
	while (SQL_SUCCEEDED(SQLFetch(st)))
		nkeys++;
	if (nkeys != 1)
		goto out;
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i].name, (char *)name) == 0 &&
		    xp_column_type_class(cols[i].sql_type) == 'i')
			key = (long)i;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(cat);
	return key;
}

/* Whether column col of table leads one of its indexes (so pages in its order are read
 * through the index, not each sorted from the whole table). */
static int leads_index(struct xp_odbc *c, const char *table, const char *col)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLCHAR name[512] = "";
	SQLSMALLINT pos = 0;
	SQLLEN ind = 0, pind = 0;
	const char *dot = strchr(table, '.');
	char *cat = dot ? strndup(table, (size_t)(dot - table)) : NULL;
	int found = 0;

	if ((dot && !cat) || !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		st = SQL_NULL_HSTMT;
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLStatistics(st, (SQLCHAR *)cat, cat ? SQL_NTS : 0, NULL, 0,
	                                 (SQLCHAR *)(dot ? dot + 1 : table), SQL_NTS, SQL_INDEX_ALL,
	                                 SQL_QUICK)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 8, SQL_C_SSHORT, &pos, 0, &pind)) ||
	    !SQL_SUCCEEDED(SQLBindCol(st, 9, SQL_C_CHAR, name, sizeof name, &ind)))
		goto out;
	while (!found && SQL_SUCCEEDED(SQLFetch(st)))
		found = pind > 0 && pos == 1 && ind > 0 && strcmp((char *)name, col) == 0;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(cat);
	return found;
}

/* Binds the last row's key as the parameters after the window's: (time, time, key) or (key). */
static int bind_seek(struct xp_odbc_cursor *cur, int tcls, struct xp_err *err)
{
	SQLUSMALLINT n = (SQLUSMALLINT)cur->nwin;
	int u = strcasestr(cur->cols[cur->key].type_name, "unsigned") != NULL;
	SQLRETURN r = SQL_SUCCESS;

	if (cur->tcol >= 0) {
		for (int k = 1; k <= 2 && SQL_SUCCEEDED(r); k++)
			r = tcls == 'i'
			            ? SQLBindParameter(cur->st, (SQLUSMALLINT)(n + k),
			                               SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT,
			                               0, 0, &cur->t_i, 0, &cur->ind_t)
			            : SQLBindParameter(cur->st, (SQLUSMALLINT)(n + k),
			                               SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR,
			                               sizeof cur->key_t - 1, 0, cur->key_t,
			                               sizeof cur->key_t, &cur->ind_t);
		n += 2;
	}
	if (SQL_SUCCEEDED(r))
		r = SQLBindParameter(cur->st, (SQLUSMALLINT)(n + 1), SQL_PARAM_INPUT,
		                     u ? SQL_C_UBIGINT : SQL_C_SBIGINT, SQL_BIGINT, 0, 0,
		                     u ? (void *)&cur->key_u : (void *)&cur->key_i, 0,
		                     &cur->ind_key);
	if (!SQL_SUCCEEDED(r))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st,
		                     "table %s: key parameter", cur->table);
	cur->seek_bound = 1;
	return 0;
}

int xp_odbc_page_next(struct xp_odbc_cursor *cur, struct xp_err *err)
{
	int tcls = cur->tcol >= 0 ? cur->cb[cur->tcol].cls : 'i';
	char *end;
	int rc;

	if (!SQL_SUCCEEDED(SQLFreeStmt(cur->st, SQL_CLOSE)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	if (!cur->seek_bound) {
		rc = bind_seek(cur, tcls, err);
		if (rc)
			return rc;
	}
	cur->key_i = strtoll(cur->last_key, &end, 10);
	cur->key_u = strtoull(cur->last_key, &end, 10);
	cur->ind_key = 0;
	if (cur->tcol >= 0) {
		memcpy(cur->key_t, cur->last_t, cur->last_t_len + 1);
		cur->t_i = strtoll(cur->last_t, NULL, 10);
		cur->ind_t = tcls == 'i' ? 0 : (SQLLEN)cur->last_t_len;
	}
	cur->page_n = 0;
	if (!SQL_SUCCEEDED(SQLExecDirect(cur->st, (SQLCHAR *)cur->next_sql, SQL_NTS)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, cur->st, "table %s",
		                     cur->table);
	return 0;
}

void xp_odbc_page_plan(struct xp_odbc_cursor *cur, const struct xp_window *w, int tcls)
{
	struct xp_odbc *c = cur->c;
	const char *table = cur->table;

	/* pages need a key to go on from, and a time column that leaves out NULLs, which no
	 * comparison passes (a window with a bound does) and leads an index */
	long key;

	if (cur->tcol >= 0 && !((tcls == 'd' || tcls == 'i') && (w->has_since || w->has_until) &&
	                        leads_index(c, table, w->time_column)))
		return;
	key = integer_key(c, table, cur->cols, cur->ncols);
	if (key < 0)
		return;
	cur->paged = 1;
	cur->key = (size_t)key;
	cur->nwin = cur->tcol < 0 ? 0 : (size_t)(w->has_since + w->has_until) + 2 * w->nexcl;
}

void xp_odbc_page_note(struct xp_odbc_cursor *cur)
{
	const struct xp_field *k = &cur->row[cur->key];

	cur->page_n++;
	cur->last_key_len = k->len < sizeof cur->last_key ? k->len : 0;
	memcpy(cur->last_key, k->p, cur->last_key_len);
	cur->last_key[cur->last_key_len] = '\0';
	if (cur->tcol >= 0) {
		k = &cur->row[cur->tcol];
		cur->last_t_len = k->len < sizeof cur->last_t ? k->len : 0;
		memcpy(cur->last_t, k->p, cur->last_t_len);
		cur->last_t[cur->last_t_len] = '\0';
	}
}
