/* The SQL the loader sends: quoted names, CREATE TABLE, INSERT. */
#include "config.h"

#include "db/load-int.h"
#include "base/err.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

/* A malloc'd identifier in the driver's quotes (no schema splitting: a column name is one
 * part). */
char *xp_load_quote_one(const struct xp_odbc *c, const char *name)
{
	char q = c->quote[0];
	size_t n = strlen(name);
	char *out = malloc(2 * n + 3), *o = out;

	if (!out)
		return NULL;
	if (q)
		*o++ = q;
	for (const char *p = name; *p; p++) {
		if (q && *p == q)
			*o++ = q;
		*o++ = *p;
	}
	if (q)
		*o++ = q;
	*o = '\0';
	return out;
}

/* Appends s to the malloc'd string *sql; frees s. */
int xp_load_append(char **sql, size_t *len, char *s, struct xp_err *err)
{
	size_t n;
	char *ns;

	if (!s)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	n = strlen(s);
	ns = realloc(*sql, *len + n + 1);
	if (!ns) {
		free(s);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	memcpy(ns + *len, s, n + 1);
	*len += n;
	*sql = ns;
	free(s);
	return 0;
}

int xp_load_exec(struct xp_odbc *c, const char *sql, const char *what, struct xp_err *err)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLRETURN r;
	int rc = 0;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st)))
		return xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_DBC, c->dbc, "%s", what);
	r = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA)
		rc = xp_odbc_error(err, XP_EFAIL, SQL_HANDLE_STMT, st, "%s", what);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return rc;
}

/* The malloc'd name table t is loaded into (see xp_load_opts.prefix), unquoted. */
char *xp_load_plain_name(const struct xp_dump_table *t, const char *prefix)
{
	char *name;

	if (!prefix)
		return strdup(t->name);
	name = xp_asprintf("%s%s", prefix, t->name);
	for (char *p = name; p && *p; p++)
		if (*p == '.')
			*p = '_';
	return name;
}

/* The malloc'd, quoted name table t is loaded into. */
char *xp_load_target_name(const struct xp_odbc *c, const struct xp_dump_table *t,
                          const char *prefix)
{
	char *name = xp_load_plain_name(t, prefix), *q;

	q = name ? xp_odbc_quote(c, name) : NULL;
	free(name);
	return q;
}

/* Creates table t of a dump from the database named source (the MANIFEST's dbms). */
int xp_load_create_table(struct xp_odbc *c, const char *source, const struct xp_dump_table *t,
                         const char *prefix, struct xp_err *err)
{
	char *sql = NULL;
	size_t len = 0;
	int rc;

	rc = xp_load_append(&sql, &len, xp_asprintf("CREATE TABLE "), err);
	if (!rc)
		rc = xp_load_append(&sql, &len, xp_load_target_name(c, t, prefix), err);
	for (size_t i = 0; !rc && i < t->ncols; i++) {
		char type[64];

		xp_load_column_type(c->db->id, xp_profile_dbms(source)->id, &t->cols[i], type,
		                    sizeof type);
		rc = xp_load_append(&sql, &len, xp_asprintf("%s", i ? ", " : " ("), err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_load_quote_one(c, t->cols[i].name), err);
		if (!rc)
			rc = xp_load_append(
			        &sql, &len,
			        xp_asprintf(" %s%s", type,
			                    t->cols[i].nullable == 0 ? " NOT NULL" : ""),
			        err);
	}
	if (!rc)
		rc = xp_load_append(&sql, &len, xp_asprintf(")"), err);
	if (!rc)
		rc = xp_load_exec(c, sql, t->name, err);
	free(sql);
	return rc;
}

/* INSERT INTO t (cols) VALUES (?, ...)[, (?, ...)...]; with a key column (rows is then 1),
 * INSERT INTO t (cols) SELECT ?, ... WHERE NOT EXISTS (SELECT 1 FROM t WHERE key = ?). */
int xp_load_insert_sql(struct xp_odbc *c, const struct xp_dump_table *t, const char *prefix,
                       size_t rows, int key, char **out, struct xp_err *err)
{
	char *sql = NULL;
	size_t len = 0;
	int rc;

	rc = xp_load_append(&sql, &len, xp_asprintf("INSERT INTO "), err);
	if (!rc)
		rc = xp_load_append(&sql, &len, xp_load_target_name(c, t, prefix), err);
	for (size_t i = 0; !rc && i < t->ncols; i++) {
		rc = xp_load_append(&sql, &len, xp_asprintf("%s", i ? ", " : " ("), err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_load_quote_one(c, t->cols[i].name), err);
	}
	if (!rc && key >= 0) {
		rc = xp_load_append(&sql, &len, xp_asprintf(") SELECT "), err);
		for (size_t i = 0; !rc && i < t->ncols; i++)
			rc = xp_load_append(&sql, &len, xp_asprintf("%s?", i ? ", " : ""), err);
		/* MySQL and MariaDB take a WHERE only after a FROM */
		if (!rc && c->db->from_dual)
			rc = xp_load_append(&sql, &len, xp_asprintf(" FROM DUAL"), err);
		if (!rc)
			rc = xp_load_append(&sql, &len,
			                    xp_asprintf(" WHERE NOT EXISTS (SELECT 1 FROM "), err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_load_target_name(c, t, prefix), err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_asprintf(" WHERE "), err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_load_quote_one(c, t->cols[key].name),
			                    err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_asprintf(" = ?)"), err);
		rows = 0;
	} else if (!rc) {
		rc = xp_load_append(&sql, &len, xp_asprintf(") VALUES "), err);
	}
	for (size_t r = 0; !rc && r < rows; r++) {
		rc = xp_load_append(&sql, &len, xp_asprintf("%s(", r ? ", " : ""), err);
		for (size_t i = 0; !rc && i < t->ncols; i++)
			rc = xp_load_append(&sql, &len, xp_asprintf("%s?", i ? ", " : ""), err);
		if (!rc)
			rc = xp_load_append(&sql, &len, xp_asprintf(")"), err);
	}
	if (rc)
		free(sql);
	else
		*out = sql;
	return rc;
}
