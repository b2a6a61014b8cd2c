/* One dump stream from several: the rows of each input, table by table (dump.h). */
#include "config.h"

#include "stream/dump.h"
#include "base/err.h"
#include "base/time.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A deep copy of in's MANIFEST (no SUMMARY) into a zeroed out, through its text. */
static int copy_manifest(const struct xp_manifest *in, struct xp_manifest *out, struct xp_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = xp_manifest_format(in, &text, &len, err);
	if (rc == 0)
		rc = xp_manifest_parse(text, len, out, err);
	free(text);
	return rc;
}

/* Whether input i's tables and columns are those of the output. */
static int same_tables(const struct xp_manifest *a, const struct xp_manifest *b, size_t i,
                       struct xp_err *err)
{
	if (a->ntables != b->ntables)
		return xp_err_set(err, XP_EINTEGRITY, "input %zu: %zu tables, the first has %zu",
		                  i + 1, a->ntables, b->ntables);
	for (size_t t = 0; t < a->ntables; t++) {
		const struct xp_dump_table *x = &a->tables[t], *y = &b->tables[t];
		int same = strcmp(x->name, y->name) == 0 && x->ncols == y->ncols;

		for (size_t c = 0; same && c < x->ncols; c++)
			same = strcmp(x->cols[c].name, y->cols[c].name) == 0 &&
			       x->cols[c].sql_type == y->cols[c].sql_type;
		if (!same)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "input %zu: table %s differs from the first input's %s",
			                  i + 1, x->name, y->name);
	}
	return 0;
}

/* Input i's window continues the last one (*at) and, for the last input, ends at until. */
static int tiles(const struct xp_manifest *m, size_t i, size_t n, int64_t *at, int64_t until,
                 struct xp_err *err)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN];

	if (!m->has_since || !m->has_until || m->nexcl)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "input %zu: not the dump of one window (--since and --until, "
		                  "no --exclude)",
		                  i + 1);
	if (m->since != *at || (i == n - 1 && m->until != until)) {
		xp_time_format(m->since != *at ? m->since : m->until, a);
		xp_time_format(m->since != *at ? *at : until, b);
		return xp_err_set(err, XP_EINTEGRITY, "input %zu: its window %s at %s, not at %s",
		                  i + 1, m->since != *at ? "starts" : "ends", a, b);
	}
	*at = m->until;
	return 0;
}

/* The output's MANIFEST, the first input's with the whole window, and its writer. */
static int start(const struct xp_manifest *first, struct xp_manifest *m, struct xp_dump_writer **w,
                 int out, const char *outname, int64_t since, int64_t until, struct xp_err *err)
{
	int rc = copy_manifest(first, m, err);

	if (rc)
		return rc;
	m->has_since = m->has_until = 1;
	m->since = since;
	m->until = until;
	return xp_dump_writer_open(w, out, outname, m, 0, err);
}

struct concat {
	size_t n;
	int64_t since, until, at;
	int out;
	const char *outname;
	struct xp_manifest m;
	struct xp_dump_writer *w; /* opened on the first input's MANIFEST */
};

/* Reads input i (open on fd) to its end, passing table t's rows to the writer. */
static int pass(struct concat *c, size_t t, int fd, size_t i, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	const struct xp_field *row;
	size_t k;
	int rc;

	rc = xp_dump_reader_open(&r, fd, err);
	if (rc == 0 && !c->w)
		rc = start(xp_dump_reader_manifest(r), &c->m, &c->w, c->out, c->outname, c->since,
		           c->until, err);
	if (rc == 0)
		rc = same_tables(xp_dump_reader_manifest(r), &c->m, i, err);
	if (rc == 0 && t == 0)
		rc = tiles(xp_dump_reader_manifest(r), i, c->n, &c->at, c->until, err);
	while (rc == 0 && (rc = xp_dump_reader_next_table(r, &k, err)) == 1) {
		rc = 0;
		while (k == t && rc == 0 && (rc = xp_dump_reader_next_row(r, &row, err)) == 1)
			rc = xp_dump_writer_row(c->w, t, row, err);
	}
	if (rc)
		xp_err_prefix(err, "input %zu", i + 1);
	xp_dump_reader_free(r);
	return rc;
}

int xp_dump_concat(size_t n, int64_t since, int64_t until, xp_dump_input_fn *open,
                   xp_dump_input_done_fn *done, void *ctx, int out, const char *outname,
                   struct xp_err *err)
{
	struct concat c = {.n = n,
	                   .since = since,
	                   .until = until,
	                   .at = since,
	                   .out = out,
	                   .outname = outname};
	struct xp_err scratch = {0, ""};
	int rc = 0, fd;

	if (n == 0)
		return xp_err_set(err, XP_EUSAGE, "no input to concatenate");
	for (size_t t = 0; rc == 0 && (t == 0 || t < c.m.ntables); t++) {
		for (size_t i = 0; rc == 0 && i < n; i++) {
			rc = open(ctx, i, &fd, err);
			if (rc)
				break;
			rc = pass(&c, t, fd, i, err);
			/* the producer's own failure tells more than ours, unless ours came first
			 */
			if (done(ctx, i, fd, rc ? &scratch : err) != 0 && rc == 0)
				rc = err->code ? err->code : XP_EFAIL;
		}
	}
	if (rc == 0)
		rc = xp_dump_writer_finish(c.w, err);
	xp_dump_writer_free(c.w);
	xp_manifest_free(&c.m);
	return rc;
}
