#include "config.h"

#include "db/dump-run.h"
#include "db/odbc.h"
#include "db/fetch.h"
#include "stream/dump.h"
#include "base/err.h"
#include "base/time.h"

#include <stdlib.h>
#include <string.h>

/* Describes the tables into m (in the snapshot transaction already begun). */
static int describe_all(struct xp_odbc *c, const struct xp_dump_opts *o, struct xp_manifest *m,
                        struct xp_err *err)
{
	const struct xp_window *w = &o->window;
	int rc = 0;

	m->version = XP_DUMP_VERSION;
	m->started = xp_now();
	m->source = strdup(c->source);
	m->dbms = strdup(c->dbms);
	m->isolation = strdup(c->isolation);
	m->tables = calloc(o->ntables, sizeof *m->tables);
	m->excl = w->nexcl ? calloc(w->nexcl, sizeof *m->excl) : NULL;
	if (!m->source || !m->dbms || !m->isolation || !m->tables || (w->nexcl && !m->excl))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	m->has_since = w->has_since;
	m->since = w->since;
	m->has_until = w->has_until;
	m->until = w->until;
	if (w->nexcl)
		memcpy(m->excl, w->excl, w->nexcl * sizeof *m->excl);
	m->nexcl = w->nexcl;
	for (size_t i = 0; i < o->ntables && !rc; i++) {
		struct xp_dump_table *t = &m->tables[i];
		const char *tc = o->time_columns ? o->time_columns[i] : w->time_column;

		for (size_t j = 0; j < i; j++)
			if (strcmp(o->tables[j], o->tables[i]) == 0)
				return xp_err_set(err, XP_EUSAGE, "table %s: given twice",
				                  o->tables[i]);
		if (!tc && (w->has_since || w->has_until || w->nexcl || o->has_older_than))
			return xp_err_set(err, XP_EUSAGE, "table %s: no time column for the window",
			                  o->tables[i]);
		t->time_col = -1;
		t->name = strdup(o->tables[i]);
		m->ntables++;
		if (!t->name || (tc && !(t->time_column = strdup(tc))))
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		rc = xp_odbc_describe(c, t->name, &t->cols, &t->ncols, err);
		for (size_t j = 0; !rc && tc && j < t->ncols; j++)
			if (strcmp(t->cols[j].name, tc) == 0)
				t->time_col = (int)j;
		if (!rc && tc && t->time_col < 0)
			rc = xp_err_set(err, XP_EFAIL, "table %s: no column %s", t->name, tc);
	}
	return rc;
}

static int copy_table(struct xp_odbc *c, struct xp_dump_writer *w, const struct xp_manifest *m,
                      size_t i, const struct xp_dump_opts *o, struct xp_err *err)
{
	const struct xp_dump_table *t = &m->tables[i];
	struct xp_odbc_cursor *cur = NULL;
	struct xp_window win = o->window; /* by this table's own time column */
	const struct xp_field *row;
	uint64_t n = 0;
	int rc;

	win.time_column = t->time_column;
	rc = xp_odbc_select(c, t->name, t->cols, t->ncols, t->time_column ? &win : NULL, &cur, err);
	while (!rc && (rc = xp_odbc_fetch(cur, &row, err)) == 1) {
		rc = xp_dump_writer_row(w, i, row, err);
		if (o->progress && ++n % 8192 == 0) {
			uint64_t rows, bytes;

			xp_dump_writer_stats(w, &rows, &bytes);
			o->progress(o->progress_arg, rows, bytes);
		}
	}
	xp_odbc_cursor_free(cur);
	return rc;
}

static int count_older(struct xp_odbc *c, const struct xp_dump_table *t,
                       const struct xp_dump_opts *o, struct xp_err *err)
{
	uint64_t rows = 0;
	int64_t oldest = 0;
	int rc;

	if (t->time_col < 0)
		return 0;
	rc = xp_odbc_older(c, t->name, &t->cols[t->time_col], o->older_than, &rows, &oldest, err);
	if (!rc && rows && o->older)
		o->older(o->older_arg, t->name, rows, oldest);
	return rc;
}

int xp_dump_run(const struct xp_dump_opts *o, int fd, struct xp_err *err)
{
	struct xp_odbc c = {0};
	struct xp_manifest m = {0};
	struct xp_dump_writer *w = NULL;
	int rc;

	rc = xp_odbc_connect(&c, o->connstr, err);
	if (rc)
		goto out;
	c.read_committed = o->read_committed;
	c.on_crash = o->on_crash;
	c.crash_arg = o->crash_arg;
	c.warn = o->warn;
	c.warn_arg = o->warn_arg;
	rc = xp_odbc_begin_snapshot(&c, err);
	if (!rc)
		rc = describe_all(&c, o, &m, err);
	if (!rc)
		rc = xp_dump_writer_open(&w, fd, o->output, &m, o->chunk_size, err);
	for (size_t i = 0; !rc && i < m.ntables; i++)
		rc = copy_table(&c, w, &m, i, o, err);
	for (size_t i = 0; !rc && o->has_older_than && i < m.ntables; i++)
		rc = count_older(&c, &m.tables[i], o, err);
	if (!rc)
		rc = xp_dump_writer_finish(w, err);
	if (!rc)
		rc = xp_odbc_end(&c, 0, err); /* read only: nothing to commit */
	if (!rc && o->progress) {
		uint64_t rows, bytes;

		xp_dump_writer_stats(w, &rows, &bytes);
		o->progress(o->progress_arg, rows, bytes);
	}
out:
	xp_dump_writer_free(w);
	xp_manifest_free(&m);
	xp_odbc_close(&c);
	return rc;
}
