/* A dump of database tables: the rows an ODBC source yields in one snapshot transaction,
 * written as a dump stream (stream/dump.h). */
#ifndef XP_DB_DUMP_RUN_H
#define XP_DB_DUMP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "stream/column.h"
#include "base/err.h"

/* What to dump. */
struct xp_dump_opts {
	const char *connstr;
	const char *const *tables;
	size_t ntables;
	/* per table, the column that dates its rows (NULL: none); NULL: window.time_column for
	 * every table. The window applies to each table by its own column; a table without one
	 * is dumped whole, which a window (or older_than) refuses. */
	const char *const *time_columns;
	struct xp_window window;
	size_t chunk_size;  /* 0: default */
	const char *output; /* the output's name in messages; NULL: standard output */
	/* accept READ COMMITTED where no snapshot is granted (xpdump --isolation read-committed):
	 * no long locks, but the tables may be inconsistent with each other */
	int read_committed;
	/* called every few thousand rows when set */
	void (*progress)(void *arg, uint64_t rows, uint64_t bytes);
	void *progress_arg;
	/* when set: called if the driver crashes while fetching, before the program ends with
	 * status 1 (xp_odbc.on_crash: async-signal-safe calls only) */
	void (*on_crash)(void *arg);
	void *crash_arg;
	/* when set: told a sentence naming a table that the driver will hold whole in memory,
	 * for want of a key to read it in pages by (xp_odbc.warn) */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	/* when set: in the dump's snapshot, each table's rows whose time is before older_than
	 * (rows past a legal limit, which the window leaves out) are counted and passed to
	 * older, with the oldest row's time, for every table that has any */
	int has_older_than;
	int64_t older_than;
	void (*older)(void *arg, const char *table, uint64_t rows, int64_t oldest);
	void *older_arg;
};
/* Dumps the tables in one snapshot transaction as a stream on fd. */
int xp_dump_run(const struct xp_dump_opts *o, int fd, struct xp_err *err);

#endif
