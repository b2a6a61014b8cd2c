/* Fetching whole tables over ODBC as text fields in the dump's CSV form: row arrays where the
 * driver allows them, SQLGetData where it does not, in pages where the driver would hold a
 * whole result (odbc.h, page_rows). */
#ifndef XP_DB_FETCH_H
#define XP_DB_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <sql.h>
#include <sqlext.h>

#include "db/odbc.h"
#include "stream/column.h"
#include "stream/csv.h"
#include "base/err.h"

/* A column declared wider than this is bound as a long one (1 KiB), and a longer value is
 * read whole with SQLGetData. */
#define XP_ODBC_BIND_MAX (64 * 1024)

/* A driver that crashes while it fetches (psqlODBC 13 can, in SQLFetch into bound columns,
 * when the server goes away in the middle) ends the program with status 1 and one line
 * naming the table, not a bare segmentation fault; a crash anywhere else stays a crash.
 * The first xp_odbc_select installs the handler. xp_odbc_crash_unlink, when set, names a file to
 * remove on the way out (a temp file the program was writing). */
extern const char *volatile xp_odbc_crash_unlink;
void xp_odbc_guard_crashes(void);

/* A running SELECT over one table, yielding rows as text fields. */
struct xp_odbc_cursor;
/* Starts SELECT cols FROM table [WHERE window] [ORDER BY time column], the times bound as
 * parameters. cols describes the table (from xp_odbc_describe) and must outlive the cursor. */
int xp_odbc_select(struct xp_odbc *c, const char *table, const struct xp_column *cols, size_t ncols,
                   const struct xp_window *w, struct xp_odbc_cursor **out, struct xp_err *err);
/* Next row: 1 with ncols fields in *row (valid until the next call), 0 at the end,
 * negative on error. Values are in the dump's text form: integers and decimals as the
 * driver prints them, floats as the shortest text that reads back exactly, binary as \x hex,
 * wide text converted from UTF-16 to UTF-8. */
int xp_odbc_fetch(struct xp_odbc_cursor *cur, const struct xp_field **row, struct xp_err *err);
/* Counts the rows of table whose time column tcol is before `before` (UTC seconds), and
 * the oldest of them in *oldest when there are any. */
int xp_odbc_older(struct xp_odbc *c, const char *table, const struct xp_column *tcol,
                  int64_t before, uint64_t *rows, int64_t *oldest, struct xp_err *err);
/* Whether the cursor fetches in row arrays (1) or row by row with SQLGetData (0). */
int xp_odbc_cursor_bulk(const struct xp_odbc_cursor *cur);
void xp_odbc_cursor_free(struct xp_odbc_cursor *cur);

/* Converts n UTF-16 units to UTF-8 in out (3n bytes suffice); lone surrogates become U+FFFD.
 * Returns the bytes written. */
size_t xp_odbc_utf16_to_utf8(const SQLWCHAR *w, size_t n, char *out);

/* The shortest decimal text of d (or "NaN", "Infinity", "-Infinity") that reads back exactly
 * with strtod; as_float: shortest for a float (SQL REAL). buf holds 32 bytes. Returns length. */
size_t xp_odbc_format_double(double d, int as_float, char buf[32]);

#endif
