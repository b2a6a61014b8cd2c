/* Internals of the cursor: fetch.c, fetch-text.c, fetch-sql.c and fetch-page.c. */
#ifndef XP_DB_FETCH_INT_H
#define XP_DB_FETCH_INT_H

#include <pthread.h>
#include <stdio.h>

#include "db/fetch.h"
#include "base/err.h"

/* One column of a cursor: how it is fetched and where its text form goes. */
struct col {
	enum xp_type_class cls; /* xp_column_type_class */
	SQLSMALLINT ctype;      /* C type fetched */
	size_t width;           /* bytes per row in the bound array */
	char *data;             /* bound array, rows * width (bulk only) */
	SQLLEN *ind;            /* bound indicators (bulk only) */
	char *raw;              /* SQLGetData buffer (row by row only) */
	size_t rawcap;
	int lower;       /* print in lower case (GUIDs, as RFC 4122 writes them) */
	int pg_text;     /* PostgreSQL's date or time, selected as the server prints it */
	int mssql_time;  /* SQL Server's date or time, put in ISO form (mssql_time) */
	int sqlite_real; /* SQLite's REAL, NUMERIC...: a real as 20-digit text, else as is */
	int bitbyte;     /* MariaDB's BIT(1): the driver gives the bit as a byte 0 or 1 */
	int plain;       /* text passed on as the driver gives it */
	int digits;      /* SQL_C_TYPE_TIMESTAMP: digits of the second's fraction printed */
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
	 * xp_odbc.page_rows): the time column (-1: none), the window's parameters, the query for
	 * the pages after the first, rows handed out of this page, and the columns each page
	 * goes on after (the time column first, then the key's), with their last values */
	int paged, seek_bound;
	size_t nwin;
	long tcol;
	char *next_sql;
	uint64_t page_n;
	struct xp_seek *seek;
	size_t nseek;
	/* pages read ahead (xp_odbc_page_ahead): while the rows of the page on st are handed
	 * out, thread th runs the next page's query on spare, whose result (ahead_r) the driver
	 * then holds; running: 1 while th may still run, 2 when the query ran without a
	 * thread; spare_bound: spare has the seek parameters */
	int ahead, running, spare_bound;
	SQLHSTMT spare;
	pthread_t th;
	SQLRETURN ahead_r;
};

/* A column a page goes on after: the last page's last value, bound as the next query's
 * parameters (epoch seconds or a key as an integer, else as the text fetched). */
struct xp_seek {
	size_t col;
	int integer, is_unsigned;
	SQLBIGINT i;
	SQLUBIGINT u;
	char *text; /* cap bytes (owned) */
	size_t cap;
	SQLLEN ind;
};

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

/* Decides whether cur reads its table in pages (sets cur->paged, seek, nseek, nwin), where
 * the connection asks for pages: by the primary key or else a unique index of NOT NULL
 * columns of integer, text or time types, taken from the driver's catalog. A time column
 * goes first, in front of the primary key (which InnoDB's indexes end in), when it leads an
 * index and holds no NULL in the window (NOT NULL, or a window with a bound); else pages go
 * by the key alone, the window only filtering. A table not read in pages is told to
 * c->warn (the driver holds its whole result), with the size the server gives for it. tcls:
 * the time column's class. 0, or XP_ENOMEM. */
int xp_odbc_page_plan(struct xp_odbc_cursor *cur, const struct xp_window *w,
                      enum xp_type_class tcls, struct xp_err *err);
/* Notes the row just handed out; the last of a page is the next page's start (read ahead:
 * it was taken before). */
void xp_odbc_page_note(struct xp_odbc_cursor *cur);
/* Where the driver lets a paged cursor's statements scroll (it holds each page whole anyway):
 * sets up spare like st, for the next page's query to run in a thread while the rows of this
 * one are handed out, so that the server sends a page while the one before is encoded. Sets
 * cur->ahead; a driver that cannot scroll leaves it 0, which is no error. */
int xp_odbc_page_ahead(struct xp_odbc_cursor *cur, const struct xp_window *w,
                       enum xp_type_class tcls, struct xp_err *err);
/* Read ahead, after a page's query ran on st: takes the next page's start from this page's
 * last row (fetched out of turn) and starts its query on spare, then fetches this page's
 * first rows. */
int xp_odbc_page_start(struct xp_odbc_cursor *cur, struct xp_err *err);
/* Read ahead, when the rows of a full page are handed out: waits for the next page's query,
 * closes this one, and starts the next (xp_odbc_page_start). */
int xp_odbc_page_switch(struct xp_odbc_cursor *cur, struct xp_err *err);
/* Binds the cursor's row arrays, their status array and count to st. */
int xp_odbc_bind_columns(struct xp_odbc_cursor *cur, SQLHSTMT st, struct xp_err *err);
/* Closes the page read and runs the query for the next one. */
int xp_odbc_page_next(struct xp_odbc_cursor *cur, struct xp_err *err);
/* The names of the columns pages go by, in order, into *keys (malloc'd; NULL and *n 0 when
 * not paged). 0, or XP_ENOMEM. */
int xp_odbc_page_keys(const struct xp_odbc_cursor *cur, const char ***keys, size_t *n,
                      struct xp_err *err);
/* Frees cur's page state. */
void xp_odbc_page_free(struct xp_odbc_cursor *cur);

/* Shared by the cursor's files: fetch.c (plan, fetch), fetch-text.c (values), fetch-sql.c
 * (its SELECTs) and fetch-page.c. */
/* Bytes of NUL terminator SQLGetData and bound buffers reserve for the C type. */
size_t xp_odbc_term(SQLSMALLINT ctype);
/* Grows the malloc'd *buf to hold need bytes: 0, or -1 out of memory. */
int xp_odbc_grow(char **buf, size_t *cap, size_t need);
/* Turns a fetched value (len bytes at raw) into the field's text form (fetch-text.c). */
int xp_odbc_text(struct col *k, const char *raw, size_t len, struct xp_field *f);
/* Binds time t as parameter i of st (fetch-sql.c): epoch seconds for an integer column, else
 * text; the storage must outlive the statement's execution. */
SQLRETURN xp_odbc_bind_time(SQLHSTMT st, size_t i, int64_t t, enum xp_type_class tcls, int64_t *pi,
                            char ps[32], SQLLEN *ind);
/* Binds the window's bounds as the parameters of st (the cursor's statement, or its spare), in
 * the order the query names them; the values live in cur, allocated by the first call. */
int xp_odbc_bind_window(struct xp_odbc_cursor *cur, SQLHSTMT st, const struct xp_window *w,
                        enum xp_type_class tcls, struct xp_err *err);
/* A window bound: a parameter marker, or (literal) the value itself, written from an integer
 * by us: digits, or 'YYYY-MM-DD HH:MM:SS'. */
void xp_odbc_put_bound(FILE *f, int64_t t, enum xp_type_class tcls, int literal);
/* A malloc'd, quoted column name, quoted as one part: xp_odbc_quote would split at dots. */
char *xp_odbc_quote_column(const struct xp_odbc *c, const char *name);
/* SELECT cols FROM table [WHERE window] [ORDER BY time column]; with keys (nkeys column
 * names, the time column among them to read in its order), pages of page rows in order of
 * the keys (seek: those after the last page's values of them, one parameter for the last and
 * two for each other); with scope, *scope gets the FROM and WHERE of the same rows for more
 * conditions (malloc'd). malloc'd; NULL when out of memory. */
char *xp_odbc_build_query(struct xp_odbc *c, const char *table, const struct xp_column *cols,
                          const struct col *cb, size_t ncols, const struct xp_window *w,
                          enum xp_type_class tcls, int literal, const char *const *keys,
                          size_t nkeys, int seek, unsigned long page, char **scope);

#endif
