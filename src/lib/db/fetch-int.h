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
	char *out;       /* text form of the current value */
	size_t outcap;
};

struct xp_odbc_cursor {
	struct xp_odbc *c;
	const char *table;
	const struct xp_column *cols;
	size_t ncols;
	/* columns selected: ncols, and on SQLite one more when blob_check is set, the number
	 * of the first column not of a binary type whose value is a blob (0: none) */
	size_t nsel;
	int blob_check;
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
