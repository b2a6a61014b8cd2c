#include "config.h"

#include "dump-int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The writer: a pax tar of MANIFEST, the tables' CSV chunks and SUMMARY; and xp_dump_run,
 * which fills it from an ODBC source. */

struct xp_dump_writer {
	struct archive *a;
	int fd;
	int werrno; /* errno of a failed write, for the message */
	int fd_ok;  /* cleared by free: an abandoned stream gets no end-of-archive trailer */
	struct xp_manifest *m;
	size_t chunk_size;
	char *buf; /* the chunk being filled (header row first) */
	size_t len, cap;
	size_t hdr; /* length of the header row in buf */
	size_t cur; /* table being written */
	int open;   /* table cur has started */
	crypto_generichash_state h;
	uint64_t rows, bytes;
};

static la_ssize_t write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct xp_dump_writer *w = arg;
	struct xp_err e;

	if (!w->fd_ok) {
		archive_set_error(a, EPIPE, "dump abandoned");
		return -1;
	}
	if (xp_write_all(w->fd, buf, n, &e)) {
		w->werrno = errno ? errno : EIO;
		archive_set_error(a, w->werrno, "write failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int arch_err(struct xp_dump_writer *w, struct xp_err *err, const char *what)
{
	if (w->werrno)
		return xp_err_set(err, XP_EFAIL, "write: %s", strerror(w->werrno));
	return xp_err_set(err, XP_EFAIL, "%s: %s", what, archive_error_string(w->a));
}

static int write_entry(struct xp_dump_writer *w, const char *name, const char *data, size_t len,
                       struct xp_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)w->m->started, 0);
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		rc = arch_err(w, err, name);
		goto out;
	}
	while (len) {
		la_ssize_t n = archive_write_data(w->a, data, len);

		if (n <= 0) {
			rc = arch_err(w, err, name);
			goto out;
		}
		data += n;
		len -= (size_t)n;
	}
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		rc = arch_err(w, err, name);
out:
	archive_entry_free(e);
	return rc;
}

static int grow_buf(struct xp_dump_writer *w, size_t need, struct xp_err *err)
{
	size_t cap = w->cap;
	char *b;

	if (need <= w->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	w->buf = b;
	w->cap = cap;
	return 0;
}

/* Starts a chunk: the header row. */
static int chunk_start(struct xp_dump_writer *w, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	struct xp_field *names = calloc(t->ncols, sizeof *names);
	int rc;

	if (!names)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->ncols; i++)
		names[i] = (struct xp_field){t->cols[i].name, strlen(t->cols[i].name), 0};
	rc = grow_buf(w, xp_csv_row_bound(names, t->ncols), err);
	if (!rc)
		w->hdr = w->len = xp_csv_encode_row(w->buf, names, t->ncols);
	free(names);
	return rc;
}

static int chunk_flush(struct xp_dump_writer *w, size_t len, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	char name[64 + 4096];
	int rc;

	if (t->chunks == 999999)
		return xp_err_set(err, XP_EFAIL, "table %s: more than 999999 chunks", t->name);
	if ((size_t)snprintf(name, sizeof name, "%s/%06" PRIu32 ".csv", t->name, t->chunks + 1) >=
	    sizeof name)
		return xp_err_set(err, XP_EUSAGE, "table %s: name too long", t->name);
	rc = write_entry(w, name, w->buf, len, err);
	if (rc)
		return rc;
	crypto_generichash_update(&w->h, (const unsigned char *)w->buf, len);
	t->chunks++;
	t->bytes += len;
	w->bytes += len;
	return 0;
}

static int table_end(struct xp_dump_writer *w, struct xp_err *err)
{
	struct xp_dump_table *t = &w->m->tables[w->cur];
	int rc = 0;

	if (!w->open) { /* a table without rows still gets its header-only chunk */
		crypto_generichash_init(&w->h, NULL, 0, sizeof t->blake2b);
		rc = chunk_start(w, err);
	}
	if (!rc && (w->len > w->hdr || t->chunks == 0))
		rc = chunk_flush(w, w->len, err);
	if (!rc)
		crypto_generichash_final(&w->h, t->blake2b, sizeof t->blake2b);
	w->len = w->hdr = 0;
	w->open = 0;
	return rc;
}

int xp_dump_writer_open(struct xp_dump_writer **out, int fd, struct xp_manifest *m,
                        size_t chunk_size, struct xp_err *err)
{
	struct xp_dump_writer *w = calloc(1, sizeof *w);
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (!w || sodium_init() < 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	w->fd = fd;
	w->fd_ok = 1;
	w->m = m;
	w->chunk_size = chunk_size ? chunk_size : XP_DUMP_CHUNK_DEFAULT;
	if (w->chunk_size < XP_DUMP_CHUNK_MIN || w->chunk_size > XP_DUMP_CHUNK_MAX) {
		rc = xp_err_set(err, XP_EUSAGE, "chunk size %zu: not between %u and %u",
		                w->chunk_size, XP_DUMP_CHUNK_MIN, XP_DUMP_CHUNK_MAX);
		goto out;
	}
	for (size_t i = 0; i < m->ntables; i++) {
		struct xp_dump_table *t = &m->tables[i];

		t->rows = t->bytes = 0;
		t->chunks = 0;
		t->has_time = 0;
	}
	w->cap = w->chunk_size + 4096;
	w->buf = malloc(w->cap);
	w->a = archive_write_new();
	if (!w->buf || !w->a) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		rc = arch_err(w, err, "archive");
		goto out;
	}
	rc = xp_manifest_format(m, &text, &len, err);
	if (!rc)
		rc = write_entry(w, "MANIFEST", text, len, err);
out:
	free(text);
	if (rc) {
		xp_dump_writer_free(w);
		w = NULL;
	}
	*out = w;
	return rc;
}

int xp_dump_writer_row(struct xp_dump_writer *w, size_t t, const struct xp_field *f,
                       struct xp_err *err)
{
	struct xp_dump_table *tb;
	size_t rl;
	int rc;

	if (t >= w->m->ntables || t < w->cur)
		return xp_err_set(err, XP_EUSAGE, "dump: rows of table %zu out of order", t);
	while (w->cur < t) {
		rc = table_end(w, err);
		if (rc)
			return rc;
		w->cur++;
	}
	tb = &w->m->tables[t];
	if (!w->open) {
		crypto_generichash_init(&w->h, NULL, 0, sizeof tb->blake2b);
		w->open = 1;
		rc = chunk_start(w, err);
		if (rc)
			return rc;
	}
	if (xp_dump_row_time(tb, f))
		return xp_err_set(err, XP_EFAIL, "table %s: row %" PRIu64 ": %s is not a time",
		                  tb->name, tb->rows + 1, tb->cols[tb->time_col].name);
	rc = grow_buf(w, w->len + xp_csv_row_bound(f, tb->ncols), err);
	if (rc)
		return rc;
	rl = xp_csv_encode_row(w->buf + w->len, f, tb->ncols);
	if (w->len + rl > w->chunk_size && w->len > w->hdr) {
		/* the row does not fit: the chunk goes out without it, the row opens the next */
		size_t at = w->len;

		rc = chunk_flush(w, at, err);
		if (rc)
			return rc;
		memmove(w->buf + w->hdr, w->buf + at, rl);
		w->len = w->hdr;
	}
	w->len += rl;
	tb->rows++;
	w->rows++;
	return 0;
}

int xp_dump_writer_finish(struct xp_dump_writer *w, struct xp_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	for (; w->cur < w->m->ntables && !rc; w->cur++)
		rc = table_end(w, err);
	if (!rc)
		rc = xp_summary_format(w->m, &text, &len, err);
	if (!rc)
		rc = write_entry(w, "SUMMARY", text, len, err);
	if (!rc && archive_write_close(w->a) != ARCHIVE_OK)
		rc = arch_err(w, err, "archive");
	if (!rc)
		w->m->have_summary = 1;
	free(text);
	return rc;
}

void xp_dump_writer_stats(const struct xp_dump_writer *w, uint64_t *rows, uint64_t *bytes)
{
	*rows = w->rows;
	*bytes = w->bytes + w->len;
}

void xp_dump_writer_free(struct xp_dump_writer *w)
{
	if (!w)
		return;
	w->fd_ok = 0;
	if (w->a)
		archive_write_free(w->a);
	free(w->buf);
	free(w);
}

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
	m->time_column = w->time_column ? strdup(w->time_column) : NULL;
	m->tables = calloc(o->ntables, sizeof *m->tables);
	m->excl = w->nexcl ? calloc(w->nexcl, sizeof *m->excl) : NULL;
	if (!m->source || !m->dbms || !m->isolation || (w->time_column && !m->time_column) ||
	    !m->tables || (w->nexcl && !m->excl))
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

		for (size_t j = 0; j < i; j++)
			if (strcmp(o->tables[j], o->tables[i]) == 0)
				return xp_err_set(err, XP_EUSAGE, "table %s: given twice",
				                  o->tables[i]);
		t->time_col = -1;
		t->name = strdup(o->tables[i]);
		m->ntables++;
		if (!t->name)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		rc = xp_odbc_describe(c, t->name, &t->cols, &t->ncols, err);
		for (size_t j = 0; !rc && w->time_column && j < t->ncols; j++)
			if (strcmp(t->cols[j].name, w->time_column) == 0)
				t->time_col = (int)j;
		if (!rc && w->time_column && t->time_col < 0)
			rc = xp_err_set(err, XP_EFAIL, "table %s: no column %s", t->name,
			                w->time_column);
	}
	return rc;
}

static int copy_table(struct xp_odbc *c, struct xp_dump_writer *w, const struct xp_manifest *m,
                      size_t i, const struct xp_dump_opts *o, struct xp_err *err)
{
	const struct xp_dump_table *t = &m->tables[i];
	struct xp_odbc_cursor *cur = NULL;
	const struct xp_field *row;
	uint64_t n = 0;
	int rc;

	rc = xp_odbc_select(c, t->name, t->cols, t->ncols, m->time_column ? &o->window : NULL, &cur,
	                    err);
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

int xp_dump_run(const struct xp_dump_opts *o, int fd, struct xp_err *err)
{
	struct xp_odbc c = {0};
	struct xp_manifest m = {0};
	struct xp_dump_writer *w = NULL;
	int rc;

	rc = xp_odbc_connect(&c, o->connstr, err);
	if (rc)
		goto out;
	/* timestamps with zone print as UTC, and window bounds without zone mean UTC */
	if (strcmp(c.dbms, "PostgreSQL") == 0) {
		rc = xp_odbc_exec(&c, "SET TIME ZONE 'UTC'", err);
		if (rc)
			goto out;
	}
	rc = xp_odbc_begin_snapshot(&c, err);
	if (!rc)
		rc = describe_all(&c, o, &m, err);
	if (!rc)
		rc = xp_dump_writer_open(&w, fd, &m, o->chunk_size, err);
	for (size_t i = 0; !rc && i < m.ntables; i++)
		rc = copy_table(&c, w, &m, i, o, err);
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
