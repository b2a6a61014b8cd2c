#include "config.h"

#include "db/fetch-int.h"
#include "base/err.h"
#include "base/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite lets any column hold a blob, and sqlite3odbc hands one in a column it does not report
 * as binary over as the text X'HEX', a different value. Only a value that reads so can be a
 * blob: the cursor compares a byte or two of each value, and this decides the rare value that
 * reads so from the table itself, in the dump's transaction. A check column in the SELECT did
 * the same on every row, at a fifth of the fetch's time (the driver converts every column of
 * every row). */

/* Runs sql, a SELECT of one integer 0 or 1, into *v. */
static int ask(struct xp_odbc_cursor *cur, const char *sql, int *v, struct xp_err *err)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLINTEGER n = 0;
	SQLLEN ind = 0;
	int rc = 0;

	if ((rc = xp_odbc_stmt(cur->c, &st, err, "table %s", cur->table)) != 0)
		goto out;
	if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLFetch(st)) ||
	    !SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_SLONG, &n, 0, &ind)) || ind == SQL_NULL_DATA) {
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "table %s: blob check",
		                   cur->table);
		goto out;
	}
	*v = n != 0;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	return rc;
}

/* Whether a row of the cursor's rows has column qc (quoted) of type `type` and, when value is
 * set, equal to it (an SQL literal; compared in lower case when lower is set). */
static int exists(struct xp_odbc_cursor *cur, const char *qc, const char *type, const char *value,
                  int lower, int *v, struct xp_err *err)
{
	char *sql;
	int rc;

	if (!value)
		sql = xp_asprintf("SELECT EXISTS (SELECT 1%stypeof(%s) = '%s')", cur->scope, qc,
		                  type);
	else
		sql = xp_asprintf("SELECT EXISTS (SELECT 1%stypeof(%s) = '%s' AND %s%s%s = %s)",
		                  cur->scope, qc, type, lower ? "lower(" : "", qc, lower ? ")" : "",
		                  value);
	if (!sql)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = ask(cur, sql, v, err);
	free(sql);
	return rc;
}

int xp_odbc_sqlite_blob(struct xp_odbc_cursor *cur, size_t i, struct xp_err *err)
{
	struct col *k = &cur->cb[i];
	const struct xp_field *f = &cur->row[i];
	const struct xp_column *c = &cur->cols[i];
	char *qc = xp_odbc_quote_column(cur->c, c->name), *blob = NULL, *text = NULL;
	int any = 0, is_blob = 0, is_text = 0, rc;

	/* X'HEX' is, as a literal, the blob it names; as text it is 'X''HEX''' */
	blob = malloc(f->len + 1);
	text = malloc(f->len + 5);
	if (!qc || !blob || !text) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(blob, f->p, f->len);
	blob[f->len] = '\0';
	snprintf(text, f->len + 5, "'%c''%.*s'''", f->p[0], (int)f->len - 3, f->p + 2);
	if ((rc = exists(cur, qc, "blob", NULL, 0, &any, err)) != 0)
		goto out;
	if (!any) { /* no blob in the column at all: its values are what they read */
		k->blob_check = 0;
		goto out;
	}
	if ((rc = exists(cur, qc, "blob", blob, 0, &is_blob, err)) != 0 || !is_blob ||
	    (rc = exists(cur, qc, "text", text, k->lower, &is_text, err)) != 0)
		goto out;
	if (is_text)
		rc = xp_err_set(
		        err, XP_EFAIL,
		        "table %s: row %llu: column %s holds a blob and the text the driver "
		        "makes of it (%.40s), which a dump cannot tell apart",
		        cur->table, (unsigned long long)cur->nrow, c->name, f->p);
	else
		rc = xp_err_set(err, XP_EFAIL,
		                "table %s: row %llu: column %s holds a blob, which its type %s "
		                "cannot carry in a dump",
		                cur->table, (unsigned long long)cur->nrow, c->name, c->type_name);
out:
	free(qc);
	free(blob);
	free(text);
	return rc;
}
