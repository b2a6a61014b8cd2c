#include "config.h"

#include "repo/range.h"

#include "base/err.h"
#include "base/io.h"
#include "base/os.h"
#include "base/time.h"
#include "base/worker.h"
#include "repo/partition.h"
#include "repo/repo.h"
#include "repo/seal-repo.h"
#include "stream/dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xp_range_cover_describe(const struct xp_range *r, const struct xp_range_cover *c, char *buf,
                             size_t len)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN], x[XP_TIME_LEN], y[XP_TIME_LEN];

	xp_time_format(r->since, a);
	xp_time_format(c->first, b);
	xp_time_format(c->last, x);
	xp_time_format(r->until, y);
	if (c->head && c->tail)
		snprintf(buf, len, "%s to %s and %s to %s", a, b, x, y);
	else if (c->head)
		snprintf(buf, len, "%s to %s", a, b);
	else if (c->tail)
		snprintf(buf, len, "%s to %s", x, y);
	else if (len)
		*buf = '\0';
}

/* The first gap or overlap between consecutive partitions of idx, as XP_EFAIL; else 0. */
static int tile(const struct xp_range *r, const size_t *idx, size_t n, struct xp_err *err)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN];

	for (size_t i = 1; i < n; i++) {
		const struct xp_catalog_entry *x = &r->cat->entries[idx[i - 1]];
		const struct xp_catalog_entry *y = &r->cat->entries[idx[i]];

		if (x->until == y->since)
			continue;
		xp_time_format(x->until < y->since ? x->until : y->since, a);
		xp_time_format(x->until < y->since ? y->since : x->until, b);
		return xp_err_set(err, XP_EFAIL,
		                  "%s: partitions %s and %s leave %s from %s to %s: not one window "
		                  "(xpverify -r %s)",
		                  r->repo, x->id, y->id,
		                  x->until < y->since ? "a gap" : "an overlap", a, b, r->repo);
	}
	return 0;
}

int xp_range_select(const struct xp_range *r, size_t **idx, size_t *n, struct xp_range_cover *c,
                    struct xp_err *err)
{
	const char *of = r->source && *r->source ? " of source " : "";
	const char *src = r->source ? r->source : "";
	char what[128];
	int rc;

	*c = (struct xp_range_cover){0};
	rc = xp_partition_select(r->cat, r->source, r->has_since, r->since, r->has_until, r->until,
	                         idx, n, err);
	if (rc)
		return rc;
	if (*n == 0)
		return xp_err_set(err, XP_ENOENT, "%s: no partition%s%s meets the range", r->repo,
		                  of, src);
	c->first = r->cat->entries[(*idx)[0]].since;
	c->last = r->cat->entries[(*idx)[*n - 1]].until;
	c->head = r->has_since && c->first > r->since;
	c->tail = r->has_until && c->last < r->until;
	rc = tile(r, *idx, *n, err);
	if (rc == 0 && (c->head || c->tail) && !r->partial) {
		xp_range_cover_describe(r, c, what, sizeof what);
		rc = xp_err_set(err, XP_EFAIL,
		                "%s: no partition%s%s covers %s: the range's rows of that time are "
		                "in no backup (--partial opens the rest)",
		                r->repo, of, src, what);
	}
	if (rc) {
		free(*idx);
		*idx = NULL;
		*n = 0;
	}
	return rc;
}

/* What the child needs, its own until xp_range_close_backup (a thread on Windows outlives
 * xp_range_open_backup's frame): the caller's repository and key, and three descriptors. */
struct xp_range_job {
	const char *repo;
	const uint8_t *sk;
	char id[64];
	int fd, out, errfd;
};

/* In the child: decrypts the checked copy fd of id onto out; the error goes to errfd as
 * "CODE MESSAGE". */
static int produce(void *arg)
{
	struct xp_range_job *j = arg;
	struct xp_err e = {0, ""};
	char msg[sizeof e.msg + 16];
	int rc, n;

	rc = xp_seal_restore_key(j->repo, j->fd, j->id, j->sk, NULL, j->out, NULL, &e);
	close(j->out);
	close(j->fd);
	if (rc && (n = snprintf(msg, sizeof msg, "%d %s", -rc, e.msg)) > 0)
		(void)xp_write_all(j->errfd, msg,
		                   (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, NULL);
	close(j->errfd);
	return rc ? 1 : 0;
}

int xp_range_open_backup(const char *repo, const struct xp_catalog_entry *e,
                         const struct xp_sign_pub *signer, const uint8_t *sk, int *fd,
                         struct xp_range_proc *p, struct xp_err *err)
{
	char *path = NULL;
	int sfd = -1, data[2] = {-1, -1}, ep[2] = {-1, -1}, rc;
	struct xp_range_job *j = NULL;

	*fd = -1;
	p->worker = NULL;
	p->job = NULL;
	p->errfd = -1;
	if (e->state == XP_CATALOG_SHREDDED)
		return xp_err_set(err, XP_EFAIL, "%s: shredded: its rows cannot be opened", e->id);
	path = xp_repo_backup(repo, e->id, "");
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_seal_fetch(repo, path, e->id, signer, &sfd, err);
	if (rc)
		goto out;
	if (xp_os_pipe(data) < 0 || xp_os_pipe(ep) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "pipe");
		goto out;
	}
	if (!(j = calloc(1, sizeof *j))) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	*j = (struct xp_range_job){repo, sk, "", sfd, data[1], ep[1]};
	snprintf(j->id, sizeof j->id, "%s", e->id);
	{
		struct xp_worker_fd fds[] = {{sfd, XP_FD_GIVEN},
		                             {data[1], XP_FD_GIVEN},
		                             {ep[1], XP_FD_GIVEN},
		                             {data[0], XP_FD_CALLERS},
		                             {ep[0], XP_FD_CALLERS}};

		if ((rc = xp_worker_start(&p->worker, produce, j, fds, 5, 0, err)) != 0)
			goto out;
	}
	sfd = data[1] = ep[1] = -1; /* the child's */
	p->job = j;
	j = NULL;
	*fd = data[0];
	data[0] = -1;
	p->errfd = ep[0];
	ep[0] = -1;
out:
	free(j);
	for (int k = 0; k < 2; k++) {
		if (data[k] >= 0)
			close(data[k]);
		if (ep[k] >= 0)
			close(ep[k]);
	}
	if (sfd >= 0)
		close(sfd);
	free(path);
	return rc;
}

int xp_range_close_backup(struct xp_range_proc *p, int fd, const char *id, struct xp_err *err)
{
	struct xp_worker_end end;
	char msg[600];
	ssize_t k, got = 0;
	int code = 0, off = 0;

	if (fd >= 0)
		close(fd);
	if (!p->worker)
		return 0;
	while ((size_t)got < sizeof msg - 1 &&
	       ((k = read(p->errfd, msg + got, sizeof msg - 1 - (size_t)got)) > 0 ||
	        (k < 0 && errno == EINTR)))
		got += k > 0 ? k : 0;
	msg[got] = '\0';
	close(p->errfd);
	p->errfd = -1;
	xp_worker_wait(p->worker, &end);
	p->worker = NULL;
	free(p->job);
	p->job = NULL;
	if (!end.signal && end.status == 0)
		return 0;
	if (sscanf(msg, "%d %n", &code, &off) == 1 && off > 0)
		return xp_err_set(err, -code, "%s", msg + off);
	return xp_err_set(err, XP_EFAIL, "%s: opening it failed", id);
}

/* The partitions being concatenated, opened one at a time. */
struct writer {
	const struct xp_range *r;
	const size_t *idx;
	const struct xp_sign_pub *signer;
	const uint8_t *sk;
	struct xp_range_proc p;
};

static int open_part(void *ctx, size_t i, int *fd, struct xp_err *err)
{
	struct writer *w = ctx;

	return xp_range_open_backup(w->r->repo, &w->r->cat->entries[w->idx[i]], w->signer, w->sk,
	                            fd, &w->p, err);
}

static int done_part(void *ctx, size_t i, int fd, struct xp_err *err)
{
	struct writer *w = ctx;

	return xp_range_close_backup(&w->p, fd, w->r->cat->entries[w->idx[i]].id, err);
}

int xp_range_write(const struct xp_range *r, const size_t *idx, size_t n,
                   const struct xp_sign_pub *signer, const uint8_t *sk, int out,
                   const char *outname, struct xp_err *err)
{
	struct writer w = {r, idx, signer, sk, {NULL, -1, NULL}};

	if (n == 0)
		return xp_err_set(err, XP_ENOENT, "%s: no partition to open", r->repo);
	return xp_dump_concat(n, r->cat->entries[idx[0]].since, r->cat->entries[idx[n - 1]].until,
	                      open_part, done_part, &w, out, outname, err);
}
