/* Managed copies: what is copied to a target, expired from it and checked on it, and the
 * journal's signed record of it (copy.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "repo/catalog-int.h"
#include "repo/copy-int.h"
#include "repo/journal.h"
#include "repo/repo.h"
#include "base/str.h"

/* The repository's files a target gets besides the backups, in the order they are sent: the
 * erasure ledger before the journal that names its entries, the catalog's signature last,
 * after the catalog it signs. Never keys/shred/. */
static const enum xp_repo_file meta_files[] = {
        XP_REPO_CONFIG,     XP_REPO_PUBLIC_KEY, XP_REPO_REPO_ID,
        XP_REPO_SECRET_KEY, XP_REPO_SIGNER_PUB, XP_REPO_ERASURES,
        XP_REPO_JOURNAL,    XP_REPO_CATALOG,    XP_REPO_CATALOG_SIG};

void xp_copy_say(xp_copy_report_fn *fn, void *ctx, int kind, const struct xp_copy_target *t,
                 const char *id, const char *rel, const char *msg)
{
	struct xp_copy_event ev = {kind, t->name, id ? id : "", rel ? rel : "", msg};

	if (fn)
		fn(ctx, &ev);
}

/* ---- the journal's record of copies ---- */

static void idv_add(struct xp_idv *s, const char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char(*v)[XP_REPO_ID_HEX] = realloc(s->v, cap * sizeof *v);

		if (!v) {
			s->oom = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], id, XP_REPO_ID_HEX);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void idv_sort(struct xp_idv *s)
{
	size_t k = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_id);
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || strcmp(s->v[k - 1], s->v[i]) != 0)
			memmove(s->v[k++], s->v[i], XP_REPO_ID_HEX);
	s->n = k;
}

int xp_idv_has(const struct xp_idv *s, const char *id)
{
	return s->n && bsearch(id, s->v, s->n, sizeof *s->v, cmp_id) != NULL;
}

static void idv_free(struct xp_idv *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* Records that are written to the journal together: one write and one fsync for up to this
 * many backups (a run killed before them costs the next run a read-back of each). */
#define NOTE_BATCH 64

/* Journals event ("copied", "copy-deleted") for every id of b, signed by key, under the lock,
 * in one append; then empties b. */
static int note_many(const char *repo, const struct xp_signkey *key, struct xp_idv *b,
                     const char *event, const struct xp_copy_target *t, struct xp_err *err)
{
	struct xp_catalog_lock lock;
	struct xp_jline *v = NULL;
	struct xp_jstate js;
	char reason[64];
	int rc;

	if (b->n == 0)
		return 0;
	snprintf(reason, sizeof reason, "target %s", t->name);
	v = calloc(b->n, sizeof *v);
	if (!v)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < b->n; i++)
		v[i] = (struct xp_jline){b->v[i], event, reason, NULL};
	rc = xp_catalog_lock(repo, &lock, err);
	if (rc == 0) {
		rc = xp_journal_scan(repo, 1, NULL, NULL, NULL, &js, err);
		if (rc == 0)
			rc = xp_journal_repaired(repo, &js, err);
		js.key = key;
		if (rc == 0)
			rc = xp_journal_put_lines(repo, &js, v, b->n, err);
		xp_catalog_unlock(&lock);
	}
	free(v);
	b->n = 0;
	return rc;
}

/* What a verified catalog and the signed journal say, copied out of an operation so that the
 * copying itself runs without the lock. */
struct picture {
	struct xp_catalog_entry *e; /* id, size, hash only */
	size_t n;
	struct xp_idset listed;  /* the catalog's ids */
	struct xp_idset deleted; /* ids the journal says were deleted */
};

static void picture_free(struct picture *p)
{
	free(p->e);
	p->e = NULL;
	p->n = 0;
	xp_idset_free(&p->listed);
	xp_idset_free(&p->deleted);
}

static int picture_take(const char *repo, const struct xp_signkey *key, struct picture *p,
                        struct xp_err *err)
{
	struct xp_catalog del = {0};
	struct xp_op op;
	size_t k = 0;
	int rc;

	memset(p, 0, sizeof *p);
	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	p->e = calloc(op.cat.n ? op.cat.n : 1, sizeof *p->e);
	del.entries = calloc(op.j.n ? op.j.n : 1, sizeof *del.entries);
	if (!p->e || !del.entries) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < op.cat.n; i++) {
		memcpy(p->e[i].id, op.cat.entries[i].id, sizeof p->e[i].id);
		memcpy(p->e[i].hash, op.cat.entries[i].hash, sizeof p->e[i].hash);
		p->e[i].size = op.cat.entries[i].size;
	}
	p->n = op.cat.n;
	for (size_t i = 0; i < op.j.n; i++)
		if (op.j.v[i].flags & XP_J_DELETED)
			memcpy(del.entries[k++].id, op.j.v[i].id, XP_REPO_ID_HEX);
	del.n = k;
	if (xp_idset_make(&p->deleted, &del, NULL) != 0 || xp_idset_make(&p->listed, &op.cat, NULL))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
out:
	free(del.entries);
	xp_op_end(&op);
	if (rc)
		picture_free(p);
	return rc;
}

/* ---- what the journal records of a target ---- */

static int on_event(void *ctx, const struct xp_journal_event *ev)
{
	struct xp_crec *r = ctx;
	int copied;

	if (!ev->authentic || !xp_repo_valid_id(ev->id))
		return 0;
	if (strcmp(ev->event, "deleted") == 0)
		idv_add(&r->deleted, ev->id);
	copied = strcmp(ev->event, "copied") == 0;
	if (strcmp(ev->reason, r->reason) != 0 || (!copied && strcmp(ev->event, "copy-deleted")))
		return 0;
	if (r->nev == r->capev) {
		size_t cap = r->capev ? 2 * r->capev : 64;
		struct xp_cev *v = realloc(r->ev, cap * sizeof *v);

		if (!v) {
			r->oom = 1;
			return 0;
		}
		r->ev = v;
		r->capev = cap;
	}
	memcpy(r->ev[r->nev].id, ev->id, XP_REPO_ID_HEX);
	r->ev[r->nev].line = ev->line;
	r->ev[r->nev++].copied = copied;
	return 0;
}

static int cmp_cev(const void *a, const void *b)
{
	const struct xp_cev *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

void xp_crec_free(struct xp_crec *r)
{
	idv_free(&r->on);
	idv_free(&r->deleted);
	free(r->ev);
	r->ev = NULL;
}

/* Reads the journal under the shared lock, trusting records signed by signer: a backup is on
 * t when its last record there is "copied". */
int xp_crec_load(const char *repo, const struct xp_sign_pub *signer, const struct xp_copy_target *t,
                 struct xp_crec *r, struct xp_err *err)
{
	struct xp_jtrust trust = {.pub = signer};
	struct xp_catalog_lock lock;
	struct xp_jstate st;
	int rc;

	memset(r, 0, sizeof *r);
	snprintf(r->reason, sizeof r->reason, "target %s", t->name);
	rc = xp_catalog_lock_shared(repo, &lock, err);
	if (rc)
		return rc;
	rc = xp_journal_scan(repo, 0, &trust, on_event, r, &st, err);
	xp_catalog_unlock(&lock);
	if (r->nev)
		qsort(r->ev, r->nev, sizeof *r->ev, cmp_cev);
	for (size_t i = 0; i < r->nev; i++)
		if ((i + 1 == r->nev || strcmp(r->ev[i].id, r->ev[i + 1].id) != 0) &&
		    r->ev[i].copied)
			idv_add(&r->on, r->ev[i].id);
	idv_sort(&r->deleted);
	if (rc == 0 && (r->oom || r->on.oom || r->deleted.oom))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc)
		xp_crec_free(r);
	return rc;
}

/* ---- copying ---- */

/* Sends the repository file path (absolute) as rel, checked against want when given. */
static int send(const char *repo, const struct xp_copy_target *t, const char *path, const char *rel,
                const uint8_t *want, uint64_t want_size, struct xp_err *err)
{
	int fd, rc;

	rc = xp_repo_open(repo, path, O_RDONLY, 0, &fd, err);
	if (rc)
		return rc;
	rc = xp_ct_put(t, fd, path, rel, want, want_size, err);
	close(fd);
	return rc;
}

/* The catalog, journal and keys, after the backups; those t has already are not sent again. A
 * file the repository does not have (config of an old repository, a catalog not written yet)
 * is skipped. */
static int send_meta(const char *repo, const struct xp_copy_target *t, struct xp_err *err)
{
	enum { N = sizeof meta_files / sizeof meta_files[0] };
	const char *rel[N];
	int same[N], rc;

	for (size_t i = 0; i < N; i++)
		rel[i] = xp_repo_name(meta_files[i]);
	rc = xp_ct_same(t, repo, rel, N, same, err);
	for (size_t i = 0; rc == 0 && i < N; i++) {
		char *path = same[i] ? NULL : xp_repo_file(repo, meta_files[i]);

		if (same[i])
			continue;
		rc = path ? send(repo, t, path, rel[i], NULL, 0, err)
		          : xp_err_set(err, XP_ENOMEM, "out of memory");
		if (rc == XP_ENOENT)
			rc = 0;
		free(path);
	}
	return rc;
}

static int push_one(const char *repo, const struct xp_copy_target *t,
                    const struct xp_catalog_entry *e, struct xp_err *err)
{
	char rel[XP_REPO_REL_MAX], srel[XP_REPO_REL_MAX + 8];
	char *xps = xp_repo_backup(repo, e->id, ""), *sig = xp_repo_backup(repo, e->id, ".minisig");
	int rc;

	xp_repo_backup_rel(e->id, rel);
	snprintf(srel, sizeof srel, "%s.minisig", rel);
	if (!xps || !sig) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = send(repo, t, sig, srel, NULL, 0, err);
	if (rc == 0)
		rc = send(repo, t, xps, rel, e->hash, e->size, err);
out:
	free(xps);
	free(sig);
	return rc;
}

/* A backup on t with the catalog's size: recorded there (1), or (a run killed between renaming
 * it and journaling it) read back, and to be recorded now when its bytes are the catalog's
 * (2); 0: it must be copied. */
static int already_there(const struct xp_copy_target *t, const struct xp_catalog_entry *e,
                         const struct xp_crec *r, struct xp_err *err)
{
	uint8_t hash[XP_CATALOG_HASH_LEN];
	char rel[XP_REPO_REL_MAX];
	uint64_t size;
	int rc;

	if (xp_idv_has(&r->on, e->id))
		return 1;
	xp_repo_backup_rel(e->id, rel);
	rc = xp_ct_hash(t, rel, hash, &size, err);
	if (rc)
		return rc;
	return size == e->size && sodium_memcmp(hash, e->hash, sizeof hash) == 0 ? 2 : 0;
}

/* Copies the n backups e to t (push_batch for a directory, one at a time to a remote). */
static int push_some(const char *repo, const struct xp_copy_target *t,
                     const struct xp_catalog_entry **e, size_t n, struct xp_idv *done,
                     size_t *count, xp_copy_report_fn *fn, void *ctx, struct xp_err *err)
{
	char rel[XP_REPO_REL_MAX], msg[128];
	int *ok = calloc(n ? n : 1, sizeof *ok), rc = 0;

	if (!ok)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (t->kind == XP_COPY_DIR && n)
		rc = xp_ct_push_batch(repo, t, e, n, ok, err);
	for (size_t i = 0; t->kind != XP_COPY_DIR && rc == 0 && i < n; i++) {
		rc = push_one(repo, t, e[i], err);
		ok[i] = rc == 0;
		if (rc == XP_ENOENT) /* deleted since the catalog was read */
			rc = 0;
	}
	/* What was copied before a failure is reported all the same. */
	for (size_t i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		idv_add(done, e[i]->id);
		(*count)++;
		xp_repo_backup_rel(e[i]->id, rel);
		snprintf(msg, sizeof msg, "copied %s to %s", e[i]->id, t->name);
		xp_copy_say(fn, ctx, XP_COPY_COPIED, t, e[i]->id, rel, msg);
	}
	free(ok);
	return rc;
}

/* What a push or an expiry of t works from: the catalog's picture, what the journal records
 * on t, and t's listing. */
struct view {
	struct picture p;
	struct xp_crec r;
	struct xp_ct_listing l;
};

static void view_free(struct view *v)
{
	xp_ct_listing_free(&v->l);
	xp_crec_free(&v->r);
	picture_free(&v->p);
}

/* Takes v (freed by the caller, also on failure). A target that is empty, or gone, where the
 * journal records backups copied (a disk or share not mounted, an empty one in its place) is
 * refused unless refill: filled again without a word, the copy would be made on whatever is
 * there and reported as done. */
static int view_take(const char *repo, const struct xp_signkey *key, const struct xp_copy_target *t,
                     int refill, struct view *v, struct xp_err *err)
{
	struct xp_sign_pub pub;
	int rc;

	memset(v, 0, sizeof *v);
	xp_sign_pub_of(key, &pub);
	if ((rc = picture_take(repo, key, &v->p, err)) != 0 ||
	    (rc = xp_crec_load(repo, &pub, t, &v->r, err)) != 0 ||
	    (rc = xp_ct_list(t, &v->l, err)) != 0)
		return rc;
	if (refill || v->r.on.n == 0 || v->l.n)
		return 0;
	return xp_err_set(err, XP_EFAIL,
	                  "copy %s: %s is empty, but the journal records %zu backup%s copied "
	                  "there (not mounted?): nothing copied; if it was replaced, xpcopy "
	                  "--refill copies them again",
	                  t->name, t->url, v->r.on.n, v->r.on.n == 1 ? "" : "s");
}

int xp_copy_push(const char *repo, const struct xp_signkey *key, const struct xp_copy_target *t,
                 int refill, xp_copy_report_fn *fn, void *ctx, size_t *copied, struct xp_err *err)
{
	struct view v;
	struct xp_idv b = {0};
	const struct xp_catalog_entry **todo = NULL;
	char rel[XP_REPO_REL_MAX];
	size_t done = 0, ntodo = 0;
	int rc, rc2;

	rc = view_take(repo, key, t, refill, &v, err);
	if (rc == 0 && !(todo = calloc(NOTE_BATCH, sizeof *todo)))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < v.p.n; i++) {
		const struct xp_catalog_entry *e = &v.p.e[i];
		int there = 0;

		xp_repo_backup_rel(e->id, rel);
		if (xp_ct_listing_size(&v.l, rel) == (int64_t)e->size)
			there = already_there(t, e, &v.r, err);
		if (there < 0)
			rc = there;
		if (there == 2)
			idv_add(&b, e->id);
		if (there == 0)
			todo[ntodo++] = e;
		/* A batch is copied, then journaled: a kill costs the next run at most a batch. */
		if (rc == 0 && (ntodo == NOTE_BATCH || i + 1 == v.p.n)) {
			rc = push_some(repo, t, todo, ntodo, &b, &done, fn, ctx, err);
			ntodo = 0;
		}
		if (rc == 0 && b.oom)
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		if (rc == 0 && b.n >= NOTE_BATCH)
			rc = note_many(repo, key, &b, "copied", t, err);
	}
	/* What was copied before a failure is recorded all the same. */
	rc2 = note_many(repo, key, &b, "copied", t, rc ? &(struct xp_err){0, ""} : err);
	if (rc == 0)
		rc = rc2;
	if (rc == 0)
		rc = send_meta(repo, t, err);
	if (copied)
		*copied = done;
	free(todo);
	idv_free(&b);
	view_free(&v);
	return rc;
}

/* ---- expiry ---- */

int xp_copy_id_of_rel(const char *rel, char id[XP_REPO_ID_HEX], int *temp)
{
	const char *base;
	size_t n;
	int is_temp = 0;

	if (strncmp(rel, "data/", 5) != 0 || !(base = strrchr(rel, '/')) || base - rel != 7)
		return -1;
	base++;
	if (*base == '.') {
		base++;
		is_temp = 1;
	}
	n = strlen(base);
	if (is_temp &&
	    (n < strlen(XP_CT_TEMP) || strcmp(base + n - strlen(XP_CT_TEMP), XP_CT_TEMP)))
		return -1;
	if (is_temp)
		n -= strlen(XP_CT_TEMP);
	if (!(n == 36 || n == 44) || strncmp(base + 32, ".xps", 4) != 0 ||
	    (n == 44 && strncmp(base + 36, ".minisig", 8) != 0))
		return -1;
	memcpy(id, base, 32);
	id[32] = '\0';
	if (!xp_repo_valid_id(id) || strncmp(rel + 5, id, 2) != 0)
		return -1;
	if (temp)
		*temp = is_temp;
	return 0;
}

int xp_copy_expire(const char *repo, const struct xp_signkey *key, const struct xp_copy_target *t,
                   xp_copy_report_fn *fn, void *ctx, size_t *removed, struct xp_err *err)
{
	struct view v;
	struct xp_idv gone = {0};
	char id[XP_REPO_ID_HEX], msg[128];
	int rc, rc2;

	rc = view_take(repo, key, t, 0, &v, err);
	for (size_t i = 0; rc == 0 && i < v.l.n; i++) {
		if (xp_copy_id_of_rel(v.l.v[i].rel, id, NULL) != 0 ||
		    xp_idset_has(&v.p.listed, id) || !xp_idset_has(&v.p.deleted, id))
			continue;
		rc = xp_ct_remove(t, v.l.v[i].rel, err);
		if (rc == 0)
			idv_add(&gone, id);
	}
	/* A backup's files (temp names, the backup, its signature) are not next to each other
	 * in the listing: each deletion is journaled once, after all its files went. */
	idv_sort(&gone);
	if (gone.oom && rc == 0)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < gone.n; i++) {
		snprintf(msg, sizeof msg, "deleted %s from %s", gone.v[i], t->name);
		xp_copy_say(fn, ctx, XP_COPY_DELETED, t, gone.v[i], "", msg);
	}
	if (removed)
		*removed = gone.n;
	rc2 = note_many(repo, key, &gone, "copy-deleted", t, rc ? &(struct xp_err){0, ""} : err);
	if (rc == 0)
		rc = rc2;
	if (rc == 0)
		rc = send_meta(repo, t, err);
	idv_free(&gone);
	view_free(&v);
	return rc;
}

int xp_copy_recorded(const char *repo, const struct xp_sign_pub *signer,
                     const struct xp_copy_target *t, xp_copy_id_fn *fn, void *ctx,
                     struct xp_err *err)
{
	struct xp_crec r;
	int rc;

	rc = xp_crec_load(repo, signer, t, &r, err);
	if (rc)
		return rc;
	for (size_t i = 0; rc == 0 && i < r.on.n; i++)
		rc = fn(ctx, r.on.v[i]);
	xp_crec_free(&r);
	return rc;
}

int xp_copy_meta_name(const char *rel)
{
	for (size_t i = 0; i < sizeof meta_files / sizeof meta_files[0]; i++)
		if (strcmp(rel, xp_repo_name(meta_files[i])) == 0)
			return 1;
	return 0;
}

int xp_copy_expire_all(const char *repo, const struct xp_signkey *key, xp_copy_report_fn *fn,
                       xp_copy_warn_fn *warn, void *ctx, struct xp_err *err)
{
	struct xp_copy_targets all = {0};
	size_t failed = 0;
	int rc;

	rc = xp_copy_targets_load(repo, &all, err);
	for (size_t i = 0; rc == 0 && i < all.n; i++) {
		struct xp_err e = {0, ""};

		if (xp_copy_expire(repo, key, &all.v[i], fn, ctx, NULL, &e) == 0)
			continue;
		if (warn)
			warn(ctx, &e);
		if (failed++ == 0)
			*err = e;
	}
	if (rc == 0 && failed) {
		rc = err->code == XP_EINTEGRITY ? XP_EINTEGRITY : XP_EFAIL;
		xp_err_set(err, rc, "%zu of %zu copies not brought up to date", failed, all.n);
	}
	xp_copy_targets_free(&all);
	return rc;
}
