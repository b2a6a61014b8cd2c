#include "config.h"

#include "repo/erase.h"
#include "repo/seal-repo.h"
#include "crypto/secret.h"
#include "stream/dump.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"
#include "base/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <sodium.h>

void xp_erase_counts_free(struct xp_erase_counts *c)
{
	free(c->rows);
	memset(c, 0, sizeof *c);
}

/* What one entry asks of one table: value matches by column index, or none. */
struct rule {
	const struct xp_erase_entry *e;
	size_t entry;
	int *col; /* per value of e: its column in the table, or -1 */
};

struct xp_erase_match {
	const struct xp_dump_table *t;
	const uint8_t *key;
	struct rule *r;
	size_t n;
	uint8_t (*h)[XP_ERASE_HASH_LEN]; /* per column: its hash for the current row */
	char *hashed;                    /* per column: h is for the current row */
};

void xp_erase_match_free(struct xp_erase_match *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->r[i].col);
	free(m->r);
	free(m->h);
	free(m->hashed);
	free(m);
}

static int names_table(const struct xp_erase_entry *e, const char *name)
{
	for (size_t i = 0; i < e->ntables; i++)
		if (strcmp(e->tables[i], name) == 0)
			return 1;
	return 0;
}

static int column_of(const struct xp_dump_table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c].name, name) == 0)
			return (int)c;
	return -1;
}

int xp_erase_match_new(const struct xp_erase_ledger *l, const uint8_t key[XP_ERASE_KEY_LEN],
                       const struct xp_dump_table *t, int64_t started, struct xp_erase_match **out,
                       struct xp_err *err)
{
	struct xp_erase_match *m = calloc(1, sizeof *m);
	int rc = 0;

	if (!m)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	m->t = t;
	m->key = key;
	m->h = calloc(t->ncols ? t->ncols : 1, sizeof *m->h);
	m->hashed = calloc(t->ncols ? t->ncols : 1, 1);
	m->r = calloc(l->n ? l->n : 1, sizeof *m->r);
	if (!m->h || !m->hashed || !m->r) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct xp_erase_entry *e = &l->e[i];
		struct rule *r = &m->r[m->n];

		if ((!l->all && e->time <= started) || !names_table(e, t->name))
			continue;
		r->e = e;
		r->entry = i;
		r->col = calloc(e->nvalues ? e->nvalues : 1, sizeof *r->col);
		if (!r->col) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		m->n++;
		for (size_t v = 0; v < e->nvalues; v++)
			r->col[v] = column_of(t, e->values[v].column);
	}
out:
	if (rc) {
		xp_erase_match_free(m);
		m = NULL;
	}
	*out = m;
	return rc;
}

static int covers(const struct rule *r, const struct xp_field *f, struct xp_erase_match *m)
{
	const struct xp_erase_entry *e = r->e;
	int64_t when;
	int hit = e->nvalues == 0;

	for (size_t v = 0; !hit && v < e->nvalues; v++) {
		int c = r->col[v];

		if (c < 0 || f[c].null)
			continue;
		if (!m->hashed[c]) {
			xp_erase_hash(m->key, m->t->cols[c].name, f[c].p, f[c].len, m->h[c]);
			m->hashed[c] = 1;
		}
		hit = sodium_memcmp(m->h[c], e->values[v].hash, XP_ERASE_HASH_LEN) == 0;
	}
	if (!hit || e->niv == 0)
		return hit;
	if (xp_dump_time_of(m->t, f, &when) != 1)
		return 0;
	for (size_t i = 0; i < e->niv; i++)
		if (when >= e->iv[i].from && when < e->iv[i].to)
			return 1;
	return 0;
}

long xp_erase_match_row(struct xp_erase_match *m, const struct xp_field *row)
{
	memset(m->hashed, 0, m->t->ncols ? m->t->ncols : 1);
	for (size_t k = 0; k < m->n; k++)
		if (covers(&m->r[k], row, m))
			return (long)m->r[k].entry;
	return -1;
}

int xp_erase_filter(const struct xp_erase_ledger *l, const uint8_t key[XP_ERASE_KEY_LEN], int in,
                    int out, const char *outname, struct xp_erase_counts *c, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	struct xp_dump_writer *w = NULL;
	struct xp_manifest m = {0};
	struct xp_erase_match *mt = NULL;
	const struct xp_field *row;
	size_t t;
	int rc;

	c->rows = calloc(l->n ? l->n : 1, sizeof *c->rows);
	if (!c->rows)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_dump_reader_open(&r, in, err)) != 0 ||
	    (rc = xp_manifest_copy(xp_dump_reader_manifest(r), &m, err)) != 0 ||
	    (rc = xp_dump_writer_open(&w, out, outname, &m, 0, err)) != 0)
		goto out;
	c->started = m.started;
	while ((rc = xp_dump_reader_next_table(r, &t, err)) == 1) {
		xp_erase_match_free(mt);
		if ((rc = xp_erase_match_new(l, key, &xp_dump_reader_manifest(r)->tables[t],
		                             m.started, &mt, err)) != 0)
			goto out;
		while ((rc = xp_dump_reader_next_row(r, &row, err)) == 1) {
			long k = xp_erase_match_row(mt, row);

			if (k >= 0) {
				c->rows[k]++;
				c->total++;
				continue;
			}
			if ((rc = xp_dump_writer_row(w, t, row, err)) != 0)
				goto out;
			c->kept++;
		}
		if (rc < 0)
			goto out;
	}
	if (rc == 0)
		rc = xp_dump_writer_finish(w, err);
out:
	xp_erase_match_free(mt);
	xp_dump_writer_free(w);
	xp_dump_reader_free(r);
	xp_manifest_free(&m);
	return rc;
}

/* The producer's: fn writing onto out, its error to errfd. */
struct producer {
	xp_erase_producer_fn *fn;
	void *ctx;
	int out, errfd;
};

/* In the child: fn writes onto out; its error goes to errfd as "CODE MESSAGE". */
static int produce(void *arg)
{
	struct producer *p = arg;
	struct xp_err e = {0, ""};
	char msg[sizeof e.msg + 16];
	int rc, n, saved;

	rc = p->fn(p->ctx, p->out, &e);
	saved = errno; /* a write to a closed pipe (EPIPE) is how it ended */
	close(p->out);
	if (rc && (n = snprintf(msg, sizeof msg, "%d %s", -rc, e.msg)) > 0)
		(void)xp_write_all(p->errfd, msg,
		                   (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, NULL);
	close(p->errfd);
	errno = saved;
	return rc ? 1 : 0;
}

/* Waits for the producer and returns its failure, if any; 1 when it ended on a closed pipe. */
static int reap(struct xp_worker *wk, int errfd, struct xp_err *err)
{
	struct xp_worker_end end;
	char msg[600];
	ssize_t k, got = 0;
	int code = 0, off = 0;

	while ((size_t)got < sizeof msg - 1 &&
	       ((k = read(errfd, msg + got, sizeof msg - 1 - (size_t)got)) > 0 ||
	        (k < 0 && errno == EINTR)))
		got += k > 0 ? k : 0;
	msg[got] = '\0';
	xp_worker_wait(wk, &end);
	if (!end.signal && end.status == 0)
		return 0;
	if (end.pipe)
		return 1;
	if (sscanf(msg, "%d %n", &code, &off) == 1 && off > 0)
		return xp_err_set(err, -code, "%s", msg + off);
	return xp_err_set(err, XP_EFAIL, "the stream to filter could not be produced");
}

/* Runs fn(ctx, fd, err) in a child process writing into a pipe, and use(uctx, fd, err) on the
 * pipe's read end here. A producer that ended on the closed pipe is a failure unless early_ok
 * (use stopped reading on purpose); its own failure (a damaged backup) says more than the
 * reader's. */
typedef int consumer_fn(void *uctx, int in, struct xp_err *err);
static int piped(xp_erase_producer_fn *fn, void *ctx, consumer_fn *use, void *uctx, int early_ok,
                 struct xp_err *err)
{
	struct xp_err perr = {0, ""};
	int data[2] = {-1, -1}, ep[2] = {-1, -1}, rc, prc;
	struct producer p = {fn, ctx, -1, -1};
	struct xp_worker *wk = NULL;

	if (xp_os_pipe(data) < 0 || xp_os_pipe(ep) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "pipe");
		goto out;
	}
	p.out = data[1];
	p.errfd = ep[1];
	{
		struct xp_worker_fd fds[] = {{data[1], XP_FD_GIVEN},
		                             {ep[1], XP_FD_GIVEN},
		                             {data[0], XP_FD_CALLERS},
		                             {ep[0], XP_FD_CALLERS}};

		if ((rc = xp_worker_start(&wk, produce, &p, fds, 4, 0, err)) != 0)
			goto out;
	}
	data[1] = ep[1] = -1; /* the producer's */
	rc = use(uctx, data[0], err);
	/* a producer still writing ends on EPIPE */
	close(data[0]);
	data[0] = -1;
	prc = reap(wk, ep[0], &perr);
	if (prc == 1 && rc == 0 && !early_ok)
		rc = xp_err_set(err, XP_EFAIL, "the stream to filter ended early");
	else if (prc < 0) {
		*err = perr;
		rc = prc;
	}
out:
	for (int k = 0; k < 2; k++) {
		if (data[k] >= 0)
			close(data[k]);
		if (ep[k] >= 0)
			close(ep[k]);
	}
	return rc;
}

struct filtering {
	const struct xp_erase_ledger *l;
	const uint8_t *key;
	int out;
	const char *outname;
	struct xp_erase_counts *c;
};

static int filtering(void *ctx, int in, struct xp_err *err)
{
	struct filtering *f = ctx;

	return xp_erase_filter(f->l, f->key, in, f->out, f->outname, f->c, err);
}

int xp_erase_through(const struct xp_erase_ledger *l, const uint8_t *sk, xp_erase_producer_fn *fn,
                     void *ctx, int out, const char *outname, struct xp_erase_counts *c,
                     struct xp_err *err)
{
	struct filtering f = {l, NULL, out, outname, c};
	uint8_t *key = NULL;
	int rc;

	if (l->n == 0)
		return fn(ctx, out, err);
	if (!(key = xp_secret_alloc(XP_ERASE_KEY_LEN)))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	xp_erase_key(sk, key);
	f.key = key;
	rc = piped(fn, ctx, filtering, &f, 0, err);
	xp_secret_free(key);
	return rc;
}

struct restore {
	const char *repo, *name, *vault;
	int sfd;
	const uint8_t *sk;
};

static int restore(void *ctx, int out, struct xp_err *err)
{
	struct restore *r = ctx;

	return xp_seal_restore_key(r->repo, r->sfd, r->name, r->sk, r->vault, out, NULL, err);
}

int xp_erase_open(const char *repo, int sfd, const char *name, const uint8_t *sk, const char *vault,
                  const struct xp_erase_ledger *l, int out, const char *outname,
                  struct xp_erase_counts *c, struct xp_err *err)
{
	struct restore r = {repo, name, vault, sfd, sk};

	return xp_erase_through(l, sk, restore, &r, out, outname, c, err);
}

static int read_manifest(void *ctx, int in, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	int rc;

	if ((rc = xp_dump_reader_open(&r, in, err)) == 0)
		rc = xp_manifest_copy(xp_dump_reader_manifest(r), ctx, err);
	xp_dump_reader_free(r);
	return rc;
}

int xp_erase_manifest(const char *repo, int sfd, const char *name, const uint8_t *sk,
                      struct xp_manifest *m, struct xp_err *err)
{
	struct restore r = {repo, name, NULL, sfd, sk};

	return piped(restore, &r, read_manifest, m, 1, err);
}
