/* xperase --rewrite: a backup re-sealed without the rows the erasure ledger covers, in one
 * pass (open | filter | seal), and put in the catalog in place of the old one. */
#include "config.h"

#include "repo/erase.h"
#include "repo/catalog.h"
#include "repo/repo.h"
#include "repo/seal-repo.h"
#include "stream/dump.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/io.h"
#include "base/os.h"
#include "base/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the filtering child reports back: its status and counts, then its message. */
struct result {
	int32_t code; /* 0, or -XP_E* */
	uint64_t total;
};

/* One rewrite: the child filtering the old backup, and what the seal's callbacks need. */
struct rewrite {
	const char *repo;
	const struct xp_catalog_entry *e;
	const struct xp_erase_ledger *l;
	const struct xp_erase_rewrite_opts *o;
	struct xp_seal_info *info;
	struct xp_erase_counts *c;
	struct xp_dump_tap *tap;
	struct xp_worker *child;
	int csfd, cout, cres; /* the child's: the old backup, its stream, its result */
	int res;              /* the child's result pipe, -1 once read */
	int collected;        /* the child's result is in c / cerr */
	int crc;
	struct xp_err cerr;
	int nothing; /* no row covered: the seal is discarded, and that is no failure */
	int intent;  /* "erasing" is journaled */
};

/* In the child (it only reads w): filter the old backup onto cout, then report on cres. */
static int filter_child(void *arg)
{
	const struct rewrite *w = arg;
	struct xp_erase_counts c = {0};
	struct xp_err err = {0, ""};
	struct result r = {0, 0};
	int rc;

	rc = xp_erase_open(w->repo, w->csfd, w->e->id, w->o->sk, w->o->vault, w->l, w->cout,
	                   "the rewritten stream", &c, &err);
	close(w->cout);
	close(w->csfd);
	r.code = rc;
	r.total = c.total;
	if (xp_write_all(w->cres, &r, sizeof r, NULL) == 0 && c.rows)
		(void)xp_write_all(w->cres, c.rows, w->l->n * sizeof *c.rows, NULL);
	if (rc)
		(void)xp_write_all(w->cres, err.msg, strlen(err.msg), NULL);
	close(w->cres);
	xp_erase_counts_free(&c);
	return rc ? 1 : 0;
}

/* Reads the child's report and reaps it (once). */
static int collect(struct rewrite *w)
{
	struct result r = {0, 0};
	size_t nrows = w->l->n * sizeof *w->c->rows;
	struct xp_worker_end end;
	ssize_t got;

	if (w->collected)
		return w->crc;
	w->collected = 1;
	w->c->rows = calloc(w->l->n ? w->l->n : 1, sizeof *w->c->rows);
	got = xp_read_full(w->res, &r, sizeof r);
	if (got == (ssize_t)sizeof r && w->c->rows)
		got = xp_read_full(w->res, w->c->rows, nrows) == (ssize_t)nrows ? got : -1;
	if (got == (ssize_t)sizeof r && r.code) {
		ssize_t k = xp_read_full(w->res, w->cerr.msg, sizeof w->cerr.msg - 1);

		w->cerr.msg[k > 0 ? k : 0] = '\0';
	}
	close(w->res);
	w->res = -1;
	if (w->child) /* its result says how it ended */
		xp_worker_wait(w->child, &end);
	w->child = NULL;
	if (!w->c->rows)
		w->crc = xp_err_set(&w->cerr, XP_ENOMEM, "out of memory");
	else if (got != (ssize_t)sizeof r)
		w->crc = xp_err_set(&w->cerr, XP_EFAIL, "%s: the filter ended early", w->e->id);
	else if (r.code)
		w->crc = w->cerr.code = r.code;
	w->c->total = r.total;
	return w->crc;
}

static void observe(void *ctx, const void *buf, size_t n)
{
	struct rewrite *w = ctx;

	xp_dump_tap_feed(w->tap, buf, n);
}

/* "CASE-17: 3 rows, CASE-18: 1 row" (cut short past half the journal's limit). */
static void counts_text(const struct rewrite *w, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < w->l->n && used < len; i++) {
		uint64_t k = w->c->rows[i];
		int n;

		if (!k)
			continue;
		n = snprintf(buf + used, len - used, "%s%s: %llu row%s", used ? ", " : "",
		             w->l->e[i].ref, (unsigned long long)k, k == 1 ? "" : "s");
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			snprintf(buf + used, len - used, "%s", used + 5 < len ? ", ..." : "");
			break;
		}
		used += (size_t)n;
	}
}

/* Once all input is sealed, before the new backup is visible: nothing to erase discards it;
 * else the intent is journaled. */
static int accept(void *ctx, struct xp_err *err)
{
	struct rewrite *w = ctx;
	struct xp_dump_brief brief;
	char reason[XP_CATALOG_TEXT_MAX / 2];
	int rc;

	if (collect(w) != 0) {
		*err = w->cerr;
		return w->crc;
	}
	if (w->c->total == 0) {
		w->nothing = 1;
		return xp_err_set(err, XP_EFAIL, "%s: nothing to erase", w->e->id);
	}
	if (xp_dump_tap_result(w->tap, &brief) != 1)
		return xp_err_set(err, XP_EFAIL, "%s: the rewritten stream is not a whole dump",
		                  w->e->id);
	counts_text(w, reason, sizeof reason);
	rc = xp_catalog_erasing(w->repo, w->o->key, w->e->id, w->info->id, reason, err);
	if (rc == 0) {
		w->intent = 1;
		xp_fault_point("erase: intent");
	}
	return rc;
}

/* The new signature carries the old backup's source and kind, and the new data window. */
static int annotate(void *ctx, char **fields, struct xp_err *err)
{
	struct rewrite *w = ctx;
	struct xp_dump_brief brief;

	return xp_seal_sig_fields(xp_dump_tap_result(w->tap, &brief) ? &brief : NULL, w->e->source,
	                          w->e->kind, fields, err);
}

/* Starts the filtering child on the checked private copy of the old backup; *in gets the
 * stream it writes. */
static int start(struct rewrite *w, int *in, struct xp_err *err)
{
	char *path = xp_repo_backup(w->repo, w->e->id, "");
	int data[2] = {-1, -1}, res[2] = {-1, -1}, sfd = -1, rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_seal_fetch(w->repo, path, w->e->id, w->o->signer, &sfd, err)) != 0)
		goto out;
	if (xp_os_pipe(data) < 0 || xp_os_pipe(res) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "pipe");
		goto out;
	}
	w->csfd = sfd;
	w->cout = data[1];
	w->cres = res[1];
	{
		struct xp_worker_fd fds[] = {{sfd, XP_FD_GIVEN},
		                             {data[1], XP_FD_GIVEN},
		                             {res[1], XP_FD_GIVEN},
		                             {data[0], XP_FD_CALLERS},
		                             {res[0], XP_FD_CALLERS}};

		if ((rc = xp_worker_start(&w->child, filter_child, w, fds, 5, 0, err)) != 0)
			goto out;
	}
	sfd = data[1] = res[1] = -1; /* the child's */
	*in = data[0];
	w->res = res[0];
	data[0] = res[0] = -1;
out:
	for (int k = 0; k < 2; k++) {
		if (data[k] >= 0)
			close(data[k]);
		if (res[k] >= 0)
			close(res[k]);
	}
	if (sfd >= 0)
		close(sfd);
	free(path);
	return rc;
}

int xp_erase_rewrite(const char *repo, const struct xp_catalog_entry *e,
                     const struct xp_erase_ledger *l, const struct xp_erase_rewrite_opts *o,
                     char new_id[33], struct xp_erase_counts *c, struct xp_err *err)
{
	struct xp_seal_info info;
	struct rewrite w = {.repo = repo, .e = e, .l = l, .o = o, .info = &info, .c = c, .res = -1};
	struct xp_seal_backup_opts so = {.key = o->key,
	                                 .key_id = o->key_id,
	                                 .shreddable = e->shreddable ? 1 : -1,
	                                 .created = e->created,
	                                 .level = o->level,
	                                 .observe = observe,
	                                 .observe_ctx = &w,
	                                 .accept = accept,
	                                 .annotate = annotate};
	struct xp_err ignored = {0, ""};
	char *path = NULL;
	int in = -1, rc;

	new_id[0] = '\0';
	if (e->hold)
		return xp_err_set(err, XP_EFAIL, "%s: on legal hold: not rewritten", e->id);
	if (!(w.tap = xp_dump_tap_new()))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = start(&w, &in, err)) != 0)
		goto out;
	rc = xp_seal_backup(repo, in, &so, &info, &path, err);
	close(in);
	in = -1;
	if (collect(&w) != 0 && rc == 0) {
		*err = w.cerr;
		rc = w.crc;
	}
	if (rc) {
		if (w.nothing && w.crc == 0)
			rc = 0;
		else if (w.intent) /* undone at once rather than by the next change */
			(void)xp_catalog_recover(repo, o->key, &ignored);
		goto out;
	}
	xp_fault_point("erase: sealed");
	if ((rc = xp_catalog_erased(repo, o->key, e->id, info.id, err)) == 0)
		memcpy(new_id, info.id, 33);
out:
	if (in >= 0)
		close(in);
	if (w.res >= 0)
		collect(&w);
	xp_dump_tap_free(w.tap);
	free(path);
	return rc;
}
