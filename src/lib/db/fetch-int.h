/* Internals shared by the cursor (fetch.c) and its reading in pages (fetch-page.c). */
#ifndef XP_DB_FETCH_INT_H
#define XP_DB_FETCH_INT_H

#include "db/fetch.h"
#include "base/err.h"

/* One column of a cursor: how it is fetched and where its text form goes. */
struct col {
	int cls;           /* xp_column_type_class, 'w' for wide text */
	SQLSMALLINT ctype; /* C type fetched */
	size_t width;      /* bytes per row in the bound array */
	char *data;        /* bound array, rows * width (bulk only) */
	SQLLEN *ind;       /* bound indicators (bulk only) */
	char *raw;         /* SQLGetData buffer (row by row only) */
	size_t rawcap;
	int lower;       /* print in lower case (GUIDs, as RFC 4122 writes them) */
	int pg_text;     /* PostgreSQL's date or time, selected as the server prints it */
	int mssql_time;  /* SQL Server's date or time, put in ISO form (mssql_time) */
	int sqlite_real; /* SQLite's REAL, NUMERIC...: a real as 20-digit text, else as is */
	int bitbyte;     /* MariaDB's BIT(1): the driver gives the bit as a byte 0 or 1 */
	int plain;       /* text passed on as the driver gives it */
	int blob_check;  /* SQLite: a value reading X'..' may be a blob (xp_odbc_sqlite_blob) */
	char *out;       /* text form of the current value */
	size_t outcap;
};

struct xp_odbc_cursor {
	struct xp_odbc *c;
	const char *table;
	const struct xp_column *cols;
	size_t ncols;
	size_t nsel; /* columns selected: ncols */
	/* SQLite: some column's values are checked for blobs; scope is " FROM t WHERE (the
	 * window) AND " or " FROM t WHERE ": the rows of the cursor, for the checks' queries */
	int blob_check;
	char *scope;
	uint64_t nrow; /* rows handed out */
	SQLHSTMT st;
	int bulk;        /* columns bound in row arrays (else all read with SQLGetData) */
	SQLULEN rows;    /* rows per fetch (bulk) */
	SQLULEN fetched; /* rows in the current block */
	SQLULEN pos;     /* next row of the block to hand out */
	SQLUSMALLINT *status;
	struct col *cb;
	struct xp_field *row;
	int64_t *param_i; /* bound time parameters (owned) */
	char (*param_s)[32];
	SQLLEN *param_ind;
	int done;
	/* read in pages of c->page_rows rows, each after the last one's key (see
	 * xp_odbc.page_rows): the key column, the time column (-1: none), the query for the
	 * pages after the first, rows handed out of this page, and the last row's key as
	 * text and as the bound parameters */
	int paged, seek_bound;
	size_t key, nwin;
	long tcol;
	char *next_sql;
	uint64_t page_n;
	char last_key[32], last_t[80];
	size_t last_key_len, last_t_len;
	SQLBIGINT key_i, t_i;
	SQLUBIGINT key_u;
	char key_t[80];
	SQLLEN ind_key, ind_t;
};

/* A malloc'd, quoted column name, quoted as one part: xp_odbc_quote would split at dots. */
char *xp_odbc_quote_column(const struct xp_odbc *c, const char *name);

/* SQLite: whether f reads like the text sqlite3odbc makes of a blob, X'HEX' (x'hex' in a
 * column printed in lower case): only such a value may be a blob. */
static inline int xp_odbc_sqlite_looks_blob(const struct xp_field *f, int lower)
{
	const char x = lower ? 'x' : 'X', a = lower ? 'a' : 'A';

	if (f->null || f->len < 3 || f->p[0] != x || f->p[1] != '\'' || f->p[f->len - 1] != '\'' ||
	    f->len % 2 == 0)
		return 0;
	for (size_t i = 2; i + 1 < f->len; i++)
		if (!((f->p[i] >= '0' && f->p[i] <= '9') || (f->p[i] >= a && f->p[i] <= a + 5)))
			return 0;
	return 1;
}
/* SQLite: decides, in the dump's transaction, whether the value of column i of the current
 * row, which reads like a blob, is one: 0 when it is text; else the dump stops, naming row
 * and column (XP_EFAIL), also when the column holds both that blob and that text. A column
 * found to hold no blob at all is not checked again. */
int xp_odbc_sqlite_blob(struct xp_odbc_cursor *cur, size_t i, struct xp_err *err);

/* Decides whether cur reads its table in pages (sets cur->paged, key, nwin): where the
 * connection asks for pages, the table's primary key is one integer column and, with a time
 * column, the window has a bound and the column leads an index. tcls: the time column's
 * class. */
void xp_odbc_page_plan(struct xp_odbc_cursor *cur, const struct xp_window *w, int tcls);
/* Notes the key of the row just handed out, for the next page to go on from. */
void xp_odbc_page_note(struct xp_odbc_cursor *cur);
/* Closes the page read and runs the query for the next one. */
int xp_odbc_page_next(struct xp_odbc_cursor *cur, struct xp_err *err);

#endif
