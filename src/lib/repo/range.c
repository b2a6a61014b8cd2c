#include "config.h"

#include "repo/range.h"

#include "base/err.h"
#include "base/time.h"
#include "repo/partition.h"
#include "repo/repo.h"
#include "repo/seal-repo.h"
#include "stream/dump.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* In the child: decrypts the checked copy fd of id onto out; the error goes to errfd as
 * "CODE MESSAGE". Never returns. */
static void produce(const char *repo, const uint8_t *sk, const char *id, int fd, int out, int errfd)
{
	struct xp_err e = {0, ""};
	int rc;

	signal(SIGPIPE, SIG_DFL);
	rc = xp_seal_restore_key(repo, fd, id, sk, NULL, out, NULL, &e);
	if (rc)
		dprintf(errfd, "%d %s", -rc, e.msg);
	_exit(rc ? 1 : 0);
}

int xp_range_open_backup(const char *repo, const struct xp_catalog_entry *e,
                         const struct xp_sign_pub *signer, const uint8_t *sk, int *fd,
                         struct xp_range_proc *p, struct xp_err *err)
{
	char *path = NULL;
	int sfd = -1, data[2] = {-1, -1}, ep[2] = {-1, -1}, rc;
	pid_t pid;

	*fd = -1;
	p->pid = -1;
	p->errfd = -1;
	if (e->state == XP_CATALOG_SHREDDED)
		return xp_err_set(err, XP_EFAIL, "%s: shredded: its rows cannot be opened", e->id);
	path = xp_repo_backup(repo, e->id, "");
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_seal_fetch(repo, path, e->id, signer, &sfd, err);
	if (rc)
		goto out;
	if (pipe2(data, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "fork");
		goto out;
	}
	if (pid == 0) {
		close(data[0]);
		close(ep[0]);
		produce(repo, sk, e->id, sfd, data[1], ep[1]);
	}
	p->pid = pid;
	*fd = data[0];
	data[0] = -1;
	p->errfd = ep[0];
	ep[0] = -1;
out:
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
	char msg[600];
	ssize_t k, got = 0;
	int status = 0, code = 0, off = 0;

	if (fd >= 0)
		close(fd);
	if (p->pid < 0)
		return 0;
	while ((size_t)got < sizeof msg - 1 &&
	       ((k = read(p->errfd, msg + got, sizeof msg - 1 - (size_t)got)) > 0 ||
	        (k < 0 && errno == EINTR)))
		got += k > 0 ? k : 0;
	msg[got] = '\0';
	close(p->errfd);
	p->errfd = -1;
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
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
	struct writer w = {r, idx, signer, sk, {-1, -1}};

	if (n == 0)
		return xp_err_set(err, XP_ENOENT, "%s: no partition to open", r->repo);
	return xp_dump_concat(n, r->cat->entries[idx[0]].since, r->cat->entries[idx[n - 1]].until,
	                      open_part, done_part, &w, out, outname, err);
}
