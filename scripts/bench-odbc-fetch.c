/* bench-odbc-fetch: the floor for any ODBC dump. Runs one SELECT and fetches the whole result
 * in column-wise row arrays into SQL_C_CHAR buffers, touching nothing; prints the row count.
 * With NEXT_SQL and PAGE, it reads in pages as xpdump does where the driver holds whole
 * results: SQL reads the first PAGE rows, and while a page is full NEXT_SQL, whose one
 * parameter is the last row's first column (an integer key), reads the next. With AHEAD 1,
 * it reads one page ahead as xpdump does there: once a page's query has run, its last row is
 * fetched out of turn (a static cursor: CONNSTR must not ask for FORWARDONLY) and the next
 * page's query runs in a thread on a second statement while this page is fetched.
 * usage: bench-odbc-fetch CONNSTR SQL [ROWS_PER_FETCH [NEXT_SQL PAGE [AHEAD]]] */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sql.h>
#include <sqlext.h>

#define WIDTH_MAX 65536

static void diag(SQLSMALLINT type, SQLHANDLE h, const char *what)
{
	SQLCHAR state[6] = "", msg[512] = "";
	SQLINTEGER native = 0;
	SQLSMALLINT len = 0;

	if (!h || !SQL_SUCCEEDED(SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len)))
		fprintf(stderr, "bench-odbc-fetch: %s: failed\n", what);
	else
		fprintf(stderr, "bench-odbc-fetch: %s: [%s] %s\n", what, (char *)state,
		        (char *)msg);
}

struct col {
	SQLLEN width;
	char *buf;
	SQLLEN *ind;
};

/* The next page's query, run by a thread on the second statement. */
struct ahead {
	SQLHSTMT st;
	const char *sql;
	SQLRETURN r;
};

static void *run_ahead(void *arg)
{
	struct ahead *a = arg;

	a->r = SQLExecDirect(a->st, (SQLCHAR *)a->sql, SQL_NTS);
	return NULL;
}

/* Binds the row arrays to st. */
static int bind_all(SQLHSTMT st, struct col *cols, SQLSMALLINT ncols, SQLULEN nrows,
                    SQLULEN *fetched)
{
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE,
	                                  (SQLPOINTER)SQL_BIND_BY_COLUMN, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)nrows, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, fetched, 0))) {
		diag(SQL_HANDLE_STMT, st, "row arrays");
		return -1;
	}
	for (SQLSMALLINT i = 0; i < ncols; i++)
		if (!SQL_SUCCEEDED(SQLBindCol(st, (SQLUSMALLINT)(i + 1), SQL_C_CHAR, cols[i].buf,
		                              cols[i].width, cols[i].ind))) {
			diag(SQL_HANDLE_STMT, st, "bind");
			return -1;
		}
	return 0;
}

/* Reads the pages one ahead: returns the rows read, or -1. */
static long long read_ahead(SQLHSTMT st, SQLHSTMT spare, struct col *cols, SQLULEN *fetched,
                            SQLBIGINT *last, SQLLEN *last_ind, unsigned long long page,
                            const char *next_sql)
{
	long long total = 0;
	SQLRETURN r;

	for (;;) {
		struct ahead a = {spare, next_sql, SQL_SUCCESS};
		pthread_t th;
		unsigned long long n = 0;
		SQLHSTMT t;
		int running = 0;

		r = SQLFetchScroll(st, SQL_FETCH_ABSOLUTE, (SQLLEN)page);
		if (SQL_SUCCEEDED(r) && *fetched > 0) {
			*last = strtoll(cols[0].buf, NULL, 10);
			/* (the first statement ran the first page's query, which has no parameter)
			 */
			if (!SQL_SUCCEEDED(SQLBindParameter(spare, 1, SQL_PARAM_INPUT,
			                                    SQL_C_SBIGINT, SQL_BIGINT, 0, 0, last,
			                                    0, last_ind)) ||
			    pthread_create(&th, NULL, run_ahead, &a) != 0)
				return -1;
			running = 1;
		} else if (r != SQL_NO_DATA) {
			diag(SQL_HANDLE_STMT, st, "last row");
			return -1;
		}
		for (r = SQLFetchScroll(st, SQL_FETCH_FIRST, 0); SQL_SUCCEEDED(r);
		     r = SQLFetch(st)) {
			n += *fetched;
			if (n >= page)
				break;
		}
		if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA) {
			diag(SQL_HANDLE_STMT, st, "fetch");
			return -1;
		}
		total += (long long)n;
		if (!running)
			return total;
		pthread_join(th, NULL);
		if (!SQL_SUCCEEDED(a.r)) {
			diag(SQL_HANDLE_STMT, spare, "next page");
			return -1;
		}
		if (!SQL_SUCCEEDED(SQLFreeStmt(st, SQL_CLOSE)))
			return -1;
		t = st;
		st = spare;
		spare = t;
	}
}

int main(int argc, char **argv)
{
	SQLHENV env = SQL_NULL_HENV;
	SQLHDBC dbc = SQL_NULL_HDBC;
	SQLHSTMT st = SQL_NULL_HSTMT, spare = SQL_NULL_HSTMT;
	SQLSMALLINT ncols = 0;
	SQLULEN fetched = 0, nrows = 1000;
	struct col *cols = NULL;
	unsigned long long total = 0, page = 0, in_page = 0;
	SQLBIGINT last = 0;
	SQLLEN last_ind = 0;
	SQLRETURN r;
	int status = 1, ahead = 0;

	if (argc != 3 && argc != 4 && argc != 6 && argc != 7) {
		fprintf(stderr,
		        "usage: bench-odbc-fetch CONNSTR SQL [ROWS_PER_FETCH [NEXT_SQL PAGE "
		        "[AHEAD]]]\n");
		return 2;
	}
	if (argc >= 4)
		nrows = strtoul(argv[3], NULL, 10);
	if (argc >= 6)
		page = strtoull(argv[5], NULL, 10);
	ahead = argc == 7 && page && strcmp(argv[6], "1") == 0;
	if (nrows < 1)
		nrows = 1;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)) ||
	    !SQL_SUCCEEDED(
	            SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
	    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc))) {
		diag(SQL_HANDLE_ENV, env, "environment");
		goto out;
	}
	r = SQLDriverConnect(dbc, NULL, (SQLCHAR *)argv[1], SQL_NTS, NULL, 0, NULL,
	                     SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(r)) {
		diag(SQL_HANDLE_DBC, dbc, "connect");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st)) ||
	    (ahead && !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &spare)))) {
		diag(SQL_HANDLE_DBC, dbc, "statement");
		goto out;
	}
	if (ahead && (SQLSetStmtAttr(st, SQL_ATTR_CURSOR_TYPE, (SQLPOINTER)SQL_CURSOR_STATIC, 0) !=
	                      SQL_SUCCESS ||
	              SQLSetStmtAttr(spare, SQL_ATTR_CURSOR_TYPE, (SQLPOINTER)SQL_CURSOR_STATIC,
	                             0) != SQL_SUCCESS)) {
		diag(SQL_HANDLE_STMT, st, "a static cursor (for AHEAD)");
		goto out;
	}
	if (!SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)argv[2], SQL_NTS)) ||
	    !SQL_SUCCEEDED(SQLNumResultCols(st, &ncols))) {
		diag(SQL_HANDLE_STMT, st, "select");
		goto out;
	}
	cols = calloc((size_t)ncols, sizeof *cols);
	if (!cols)
		goto out;
	for (SQLSMALLINT i = 0; i < ncols; i++) {
		SQLCHAR name[256];
		SQLSMALLINT nlen, type, digits, nullable;
		SQLULEN size;

		if (!SQL_SUCCEEDED(SQLDescribeCol(st, (SQLUSMALLINT)(i + 1), name, sizeof name,
		                                  &nlen, &type, &size, &digits, &nullable))) {
			diag(SQL_HANDLE_STMT, st, "describe");
			goto out;
		}
		/* room for any UTF-8 text of the declared size; numbers and times fit in 64 */
		cols[i].width = size > 0 && size < WIDTH_MAX / 4 ? (SQLLEN)size * 4 + 1 : WIDTH_MAX;
		if (cols[i].width < 64)
			cols[i].width = 64;
		cols[i].buf = malloc(nrows * (size_t)cols[i].width);
		cols[i].ind = malloc(nrows * sizeof(SQLLEN));
		if (!cols[i].buf || !cols[i].ind)
			goto out;
	}
	if (bind_all(st, cols, ncols, nrows, &fetched) ||
	    (ahead && bind_all(spare, cols, ncols, nrows, &fetched)))
		goto out;
	if (ahead) {
		long long n =
		        read_ahead(st, spare, cols, &fetched, &last, &last_ind, page, argv[4]);

		if (n < 0)
			goto out;
		total = (unsigned long long)n;
	}
	while (!ahead) {
		r = SQLFetch(st);
		if (r == SQL_NO_DATA && page && in_page == page) {
			/* the next page, after the last row's key */
			last = strtoll(cols[0].buf + (fetched - 1) * (size_t)cols[0].width, NULL,
			               10);
			in_page = 0;
			if (!SQL_SUCCEEDED(SQLFreeStmt(st, SQL_CLOSE)) ||
			    !SQL_SUCCEEDED(SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT,
			                                    SQL_BIGINT, 0, 0, &last, 0,
			                                    &last_ind)) ||
			    !SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)argv[4], SQL_NTS))) {
				diag(SQL_HANDLE_STMT, st, "next page");
				goto out;
			}
			continue;
		}
		if (r == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(r)) {
			diag(SQL_HANDLE_STMT, st, "fetch");
			goto out;
		}
		total += fetched;
		in_page += fetched;
	}
	printf("%llu\n", total);
	status = 0;
out:
	if (st)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	if (spare)
		SQLFreeHandle(SQL_HANDLE_STMT, spare);
	if (dbc) {
		SQLDisconnect(dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	}
	if (env)
		SQLFreeHandle(SQL_HANDLE_ENV, env);
	if (cols)
		for (SQLSMALLINT i = 0; i < ncols; i++) {
			free(cols[i].buf);
			free(cols[i].ind);
		}
	free(cols);
	return status;
}
