/* The dump stream: a pax tar of MANIFEST, TABLE/NNNNNN.csv chunks and SUMMARY (format in
 * xpdump(1), STREAM FORMAT). Writer, reader, and a tap that recognizes a stream in passing. */
#ifndef XP_DUMP_H
#define XP_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "stream/csv.h"
#include "stream/column.h"
#include "base/err.h"

/* The newest stream format. Version 2 records a time column per table; a stream whose tables
 * share one time column (or have none) is written as version 1, which older readers read. */
#define XP_DUMP_VERSION 2
/* Default, smallest and largest chunk entry size (bytes of CSV). */
#define XP_DUMP_CHUNK_DEFAULT (4u << 20)
#define XP_DUMP_CHUNK_MIN     1024u
#define XP_DUMP_CHUNK_MAX     (1u << 30)
/* MANIFEST and SUMMARY larger than this are refused. */
#define XP_DUMP_META_MAX (1u << 20)

/* One table: its columns (MANIFEST) and what was written (SUMMARY). */
struct xp_dump_table {
	char *name;             /* as given, e.g. "audit" or "app.audit" (owned) */
	struct xp_column *cols; /* owned */
	size_t ncols;
	char *time_column; /* the column that dates its rows, NULL when none (owned) */
	int time_col;      /* its index, or -1 */
	/* SUMMARY */
	uint64_t rows, bytes;
	uint32_t chunks;
	unsigned char blake2b[32]; /* BLAKE2b-256 of all chunks' bytes, in order */
	int has_time;              /* some row had a non-NULL time value */
	int64_t tmin, tmax;        /* oldest and newest time value seen (UTC seconds) */
};

/* MANIFEST and, once read or written, SUMMARY of one dump. */
struct xp_manifest {
	int version;     /* as read; xp_manifest_format writes the oldest that holds m */
	char *source;    /* connection string without password (owned) */
	char *dbms;      /* owned */
	char *isolation; /* owned */
	int64_t started; /* snapshot start, UTC seconds */
	int has_since, has_until;
	int64_t since, until;
	struct xp_interval *excl; /* owned */
	size_t nexcl;
	struct xp_dump_table *tables; /* owned */
	size_t ntables;
	int have_summary; /* SUMMARY fields are filled in */
};
void xp_manifest_free(struct xp_manifest *m);
/* MANIFEST / SUMMARY text of m: a malloc'd buffer in *out, *len bytes. */
int xp_manifest_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err);
int xp_summary_format(const struct xp_manifest *m, char **out, size_t *len, struct xp_err *err);
/* Parses MANIFEST text into a zeroed m. */
int xp_manifest_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err);
/* A deep copy of in's MANIFEST (no SUMMARY) into a zeroed out, through its text. */
int xp_manifest_copy(const struct xp_manifest *in, struct xp_manifest *out, struct xp_err *err);
/* Parses SUMMARY text into the tables of m (which must hold the same tables, in order);
 * sets m->have_summary. */
int xp_summary_parse(const char *buf, size_t len, struct xp_manifest *m, struct xp_err *err);

/* The time that dates row f of table t (its time column): 1 with *v in UTC seconds, 0 when it
 * has none (no time column, NULL, infinity), -1 when the value is not a time. */
int xp_dump_time_of(const struct xp_dump_table *t, const struct xp_field *f, int64_t *v);

/* Writing a stream from rows the caller supplies (db/dump-run.h supplies them from ODBC). */
struct xp_dump_writer;
/* Writes MANIFEST to fd, named fdname in messages (NULL: "standard output"); a child
 * process writes the stream from here on. m must outlive the writer; its SUMMARY fields are
 * filled as rows arrive. chunk_size: 0 for the default. */
int xp_dump_writer_open(struct xp_dump_writer **w, int fd, const char *fdname,
                        struct xp_manifest *m, size_t chunk_size, struct xp_err *err);
/* Appends a row of table t (tables in order: t never goes back). A row larger than the
 * chunk size gets a chunk of its own. */
int xp_dump_writer_row(struct xp_dump_writer *w, size_t t, const struct xp_field *f,
                       struct xp_err *err);
/* Writes the remaining chunks (a header-only chunk for a table without rows), SUMMARY and
 * the end of the archive. */
int xp_dump_writer_finish(struct xp_dump_writer *w, struct xp_err *err);
/* Rows and CSV bytes written so far (for progress). */
void xp_dump_writer_stats(const struct xp_dump_writer *w, uint64_t *rows, uint64_t *bytes);
void xp_dump_writer_free(struct xp_dump_writer *w);

/* Reading a stream. */
struct xp_dump_reader;
/* Opens the stream on fd and reads MANIFEST. */
int xp_dump_reader_open(struct xp_dump_reader **r, int fd, struct xp_err *err);
/* The parsed MANIFEST (SUMMARY fields filled after xp_dump_reader_next_table returned 0). */
const struct xp_manifest *xp_dump_reader_manifest(const struct xp_dump_reader *r);
/* Moves to the next table in MANIFEST order: 1 with its index in *t; 0 when all tables are
 * done and SUMMARY matched what was read (rows, bytes, BLAKE2b, chunks); XP_EINTEGRITY on a
 * mismatch, a truncated stream or malformed CSV. Unread rows of the current table are read
 * (and checked) first. */
int xp_dump_reader_next_table(struct xp_dump_reader *r, size_t *t, struct xp_err *err);
/* Next row of the current table: 1 with ncols fields in *row (valid until the next call),
 * 0 at the table's end, negative on error. */
int xp_dump_reader_next_row(struct xp_dump_reader *r, const struct xp_field **row,
                            struct xp_err *err);
void xp_dump_reader_free(struct xp_dump_reader *r);

/* Concatenating dump streams (xpseal open --since/--until): n inputs, in window order, written
 * as one stream whose window is [since, until) and whose every table holds the rows of each
 * input in turn. open(ctx, i, &fd, err) gives input i as a descriptor at its start; concat
 * reads it to its end (SUMMARY checked) and hands it to done(ctx, i, fd, err), which closes it
 * and returns the producer's failure, if any. A stream's tables follow one another, so each
 * input is read once per table (n x tables reads), never kept. The inputs must hold the same
 * tables and columns, and windows without exclusions that tile [since, until): the first
 * starts at since, each next one where the last ended, the last ends at until; anything else
 * is XP_EINTEGRITY naming the input. On failure the output is cut before its SUMMARY, which
 * every reader refuses. */
typedef int xp_dump_input_fn(void *ctx, size_t i, int *fd, struct xp_err *err);
typedef int xp_dump_input_done_fn(void *ctx, size_t i, int fd, struct xp_err *err);
int xp_dump_concat(size_t n, int64_t since, int64_t until, xp_dump_input_fn *open,
                   xp_dump_input_done_fn *done, void *ctx, int out, const char *outname,
                   struct xp_err *err);

/* Recognizing a dump stream in bytes passing through (xpseal): parses only tar headers,
 * skips entry bodies by count, keeps MANIFEST and SUMMARY (up to XP_DUMP_META_MAX). */
struct xp_dump_tap;
struct xp_dump_brief {
	char source[1024]; /* from MANIFEST, passwords already removed (cut if longer) */
	size_t tables;
	uint64_t rows;            /* all tables */
	int has_time;             /* some table has a time column with a non-NULL value */
	int64_t oldest, newest;   /* over all tables, UTC seconds, when has_time */
	int has_since, has_until; /* the window asked (MANIFEST): rows from since, before until */
	int64_t since, until;
};
/* NULL when out of memory. */
struct xp_dump_tap *xp_dump_tap_new(void);
/* Feeds the next n bytes of the stream (any split). Cheap once the input is known not to be
 * a dump. */
void xp_dump_tap_feed(struct xp_dump_tap *tap, const void *buf, size_t n);
/* 1 with *out filled if the bytes were one complete dump stream (MANIFEST first, SUMMARY
 * last, end of archive, and between them the number and bytes of chunks SUMMARY counts),
 * else 0. */
int xp_dump_tap_result(struct xp_dump_tap *tap, struct xp_dump_brief *out);
/* After a result of 0: why, for a message ("no SUMMARY"); owned by the tap. */
const char *xp_dump_tap_why(const struct xp_dump_tap *tap);
void xp_dump_tap_free(struct xp_dump_tap *tap);

#endif
