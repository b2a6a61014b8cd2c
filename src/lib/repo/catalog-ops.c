/* The changes to the catalog: add, delete, shred, hold and release, each under the lock and
 * journaled. */
#include "config.h"

#include "repo/catalog-int.h"
#include "base/err.h"
#include "base/time.h"
#include "base/str.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int check_text(const char *what, const char *s, struct xp_err *err)
{
	if (s && strlen(s) > XP_CATALOG_TEXT_MAX)
		return xp_err_set(err, XP_EUSAGE, "%s longer than %d bytes", what,
		                  XP_CATALOG_TEXT_MAX);
	return 0;
}

/* The file must be complete before the catalog names it: there, with its signature beside it
 * and the size the caller says. */
static int check_file(const char *repo, const struct xp_catalog_entry *e, struct xp_err *err)
{
	char *xps = xp_repo_backup(repo, e->id, "");
	char *sig = xp_repo_backup(repo, e->id, ".minisig");
	struct stat st;
	int rc = 0;

	if (!xps || !sig) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (stat(xps, &st) < 0) {
		rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", xps);
		goto out;
	}
	if ((uint64_t)st.st_size != e->size) {
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: %jd bytes, expected %ju", xps,
		                (intmax_t)st.st_size, (uintmax_t)e->size);
		goto out;
	}
	if (stat(sig, &st) < 0)
		rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", sig);
out:
	free(xps);
	free(sig);
	return rc;
}

/* A partition refused because other, listed, holds part of its window already. */
static int overlap(const struct xp_catalog_entry *e, const struct xp_catalog_entry *other,
                   struct xp_err *err)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN], c[XP_TIME_LEN], d[XP_TIME_LEN];

	xp_time_format(e->since, a);
	xp_time_format(e->until, b);
	xp_time_format(other->since, c);
	xp_time_format(other->until, d);
	return xp_err_set(err, XP_EFAIL,
	                  "%s: its window %s to %s meets that of partition %s (%s to %s): a "
	                  "window is sealed once",
	                  e->id, a, b, other->id, c, d);
}

int xp_catalog_add(const char *repo, const struct xp_signkey *key, const struct xp_catalog_entry *e,
                   struct xp_err *err)
{
	struct xp_catalog_entry *grown, copy;
	const struct xp_catalog_entry *other;
	const struct xp_jid *j;
	char want[XP_REPO_REL_MAX], *reason = NULL;
	struct xp_op op;
	int rc;

	if (!xp_repo_valid_id(e->id))
		return xp_err_set(err, XP_EUSAGE, "%s: not a backup id", e->id);
	xp_repo_backup_rel(e->id, want);
	if (e->path && strcmp(e->path, want) != 0)
		return xp_err_set(err, XP_EUSAGE, "%s: a backup's path must be %s", e->path, want);
	rc = check_text("source", e->source, err);
	if (rc == 0)
		rc = check_text("hold reason", e->hold, err);
	if (rc == 0)
		rc = check_file(repo, e, err);
	if (rc)
		return rc;
	if (e->kind == XP_CATALOG_PARTITION && e->since >= e->until)
		return xp_err_set(err, XP_EUSAGE,
		                  "%s: a partition's window must end after it starts", e->id);
	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	j = xp_jids_find(&op.j, e->id);
	if (xp_catalog_find(&op.cat, e->id)) {
		rc = xp_err_set(err, XP_EFAIL, "%s: already in the catalog", e->id);
		goto out;
	}
	if (j && (j->flags & XP_J_DELETED)) {
		rc = xp_err_set(err, XP_EFAIL, "%s: the journal says this backup was deleted",
		                e->id);
		goto out;
	}
	if (e->kind == XP_CATALOG_PARTITION && (other = xp_catalog_partition_overlap(&op.cat, e))) {
		rc = overlap(e, other, err);
		goto out;
	}
	grown = realloc(op.cat.entries, (op.cat.n + 1) * sizeof *grown);
	if (!grown || xp_catalog_entry_copy(&copy, e)) {
		if (grown)
			op.cat.entries = grown;
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	op.cat.entries = grown;
	free(copy.path);
	free(copy.hold); /* a hold comes only through xp_catalog_hold, journaled */
	copy.hold = NULL;
	copy.path = strdup(want);
	op.cat.entries[op.cat.n++] = copy;
	if (!copy.path) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (e->kind == XP_CATALOG_PARTITION) {
		reason = xp_catalog_partition_record(e);
		if (!reason) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = xp_journal_put(repo, &op.js, e->id, "sealed", reason, NULL, err);
	if (rc == 0)
		rc = xp_catalog_write(&op, err);
out:
	free(reason);
	xp_op_end(&op);
	return rc;
}

/* Why e (the entry of id, or NULL) cannot change: XP_ENOENT if not listed, XP_EFAIL if held
 * and refuse_held; else 0. */
static int refusal(const struct xp_catalog_entry *e, const char *id, int refuse_held,
                   struct xp_err *err)
{
	if (!e)
		return xp_err_set(err, XP_ENOENT, "%s: no such backup in the catalog", id);
	if (refuse_held && e->hold) {
		struct xp_sbuf b = {0};
		int rc;

		xp_sbuf_escape(&b, e->hold); /* one line on stderr */
		rc = xp_err_set(err, XP_EFAIL, "%s: on legal hold: %s", id,
		                b.failed ? "(reason not shown: out of memory)" : b.p);
		xp_sbuf_free(&b);
		return rc;
	}
	return 0;
}

/* Finds id for a change; XP_ENOENT if it is not listed, XP_EFAIL if held. */
static int find_for_change(struct xp_op *op, const char *id, int refuse_held,
                           struct xp_catalog_entry **out, struct xp_err *err)
{
	*out = xp_op_find(op, id);
	return refusal(*out, id, refuse_held, err);
}

static int cmp_deletion(const void *a, const void *b)
{
	const struct xp_catalog_deletion *const *x = a, *const *y = b;
	int c = strcmp((*x)->id, (*y)->id);

	return c ? c : (*x < *y ? -1 : *x > *y);
}

/* Refuses, before anything is done, what no group could delete: a rule too long, an id
 * listed twice (the later ones). 0, or -1 when out of memory. */
static int precheck(struct xp_catalog_deletion *v, size_t n)
{
	struct xp_catalog_deletion **s = calloc(n ? n : 1, sizeof *s);
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < n; i++) {
		s[i] = &v[i];
		memset(&v[i].err, 0, sizeof v[i].err);
		v[i].rc = check_text("rule", v[i].rule, &v[i].err);
	}
	qsort(s, n, sizeof *s, cmp_deletion);
	for (i = 1; i < n; i++)
		if (strcmp(s[i]->id, s[i - 1]->id) == 0)
			s[i]->rc = xp_err_set(&s[i]->err, XP_EUSAGE,
			                      "%s: listed twice for deletion", s[i]->id);
	free(s);
	return 0;
}

/* A group's working arrays, allocated once per batch. */
struct xp_group {
	struct xp_pending_delete *p;
	struct xp_jline *lines;
	struct xp_catalog_deletion **sorted;
	struct xp_catalog_entry **ent;
	struct xp_err *each; /* per p[k]: why its files stay */
	size_t *at;          /* per p[k]: its index in the group's v */
};

/* The catalog entry of each of v[0..n) into ent: one pass over the catalog, a binary search
 * in the group (a lookup per backup would make a large batch quadratic). */
static void group_entries(struct xp_op *op, struct xp_catalog_deletion *v, size_t n,
                          struct xp_catalog_deletion **sorted, struct xp_catalog_entry **ent)
{
	for (size_t i = 0; i < n; i++) {
		sorted[i] = &v[i];
		ent[i] = NULL;
	}
	qsort(sorted, n, sizeof *sorted, cmp_deletion);
	for (size_t i = 0; i < op->cat.n; i++) {
		size_t lo = 0, hi = n;

		while (lo < hi) { /* the first of the group with this id */
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(sorted[mid]->id, op->cat.entries[i].id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && strcmp(sorted[lo]->id, op->cat.entries[i].id) == 0; lo++)
			ent[sorted[lo] - v] = &op->cat.entries[i];
	}
}

/* One group: journal "deleting" for each backup that may go (one write), then finish them
 * all. Backups refused get their rc here; the group's own failure is returned. */
static int delete_group(struct xp_op *op, struct xp_catalog_deletion *v, size_t n,
                        const char *policy, struct xp_group *g, struct xp_err *err)
{
	size_t i, np = 0;
	int rc;

	group_entries(op, v, n, g->sorted, g->ent);
	for (i = 0; i < n; i++) {
		const struct xp_jid *j;

		if (v[i].rc)
			continue;
		j = xp_jids_find(&op->j, v[i].id);
		if (!g->ent[i] && j && (j->flags & XP_J_DELETED))
			continue; /* already deleted (perhaps just now, by the recovery): done */
		v[i].rc = refusal(g->ent[i], v[i].id, 1, &v[i].err);
		if (v[i].rc)
			continue;
		g->p[np] = (struct xp_pending_delete){v[i].id, 0, v[i].rule};
		g->each[np] = (struct xp_err){0, ""};
		g->at[np] = i;
		g->lines[np++] = (struct xp_jline){v[i].id, "deleting", v[i].rule, policy};
	}
	rc = xp_journal_put_lines(op->repo, &op->js, g->lines, np, err);
	if (rc == 0)
		rc = xp_op_finish_deletes(op, g->p, np, g->each, err);
	/* a backup whose file stayed carries its own error, naming that file */
	for (size_t k = 0; rc == 0 && k < np; k++) {
		if (g->each[k].code == 0)
			continue;
		v[g->at[k]].rc = g->each[k].code;
		v[g->at[k]].err = g->each[k];
	}
	return rc;
}

int xp_catalog_delete_many(const char *repo, const struct xp_signkey *key,
                           struct xp_catalog_deletion *v, size_t n, const char *policy,
                           struct xp_err *err)
{
	size_t group = n < XP_CATALOG_DELETE_GROUP ? n : XP_CATALOG_DELETE_GROUP, at = 0;
	size_t cap = group ? group : 1;
	struct xp_group g;
	struct xp_op op;
	int rc;

	g.p = calloc(cap, sizeof *g.p);
	g.lines = calloc(cap, sizeof *g.lines);
	g.sorted = calloc(cap, sizeof *g.sorted);
	g.ent = calloc(cap, sizeof *g.ent);
	g.each = calloc(cap, sizeof *g.each);
	g.at = calloc(cap, sizeof *g.at);
	rc = check_text("policy", policy, err);
	if (rc)
		goto out;
	if (!g.p || !g.lines || !g.sorted || !g.ent || !g.each || !g.at || precheck(v, n)) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		goto out;
	for (; at < n; at += group) {
		rc = delete_group(&op, v + at, n - at < group ? n - at : group, policy, &g, err);
		if (rc)
			break;
	}
	xp_op_end(&op);
out:
	/* The failed group and those after it carry the failure (a later run finishes what
	 * was journaled); earlier groups are done. */
	for (size_t i = at; rc && i < n; i++) {
		if (v[i].rc == 0) {
			v[i].rc = rc;
			if (err)
				v[i].err = *err;
		}
	}
	free(g.p);
	free(g.lines);
	free(g.sorted);
	free(g.ent);
	free(g.each);
	free(g.at);
	return rc;
}

int xp_catalog_delete(const char *repo, const struct xp_signkey *key, const char *id,
                      const char *rule, const char *policy, struct xp_err *err)
{
	struct xp_catalog_deletion d = {.id = id, .rule = rule};
	int rc;

	rc = xp_catalog_delete_many(repo, key, &d, 1, policy, err);
	if (rc == 0 && d.rc) {
		if (err)
			*err = d.err;
		rc = d.rc;
	}
	return rc;
}

int xp_catalog_shred(const char *repo, const struct xp_signkey *key, const char *id,
                     const char *reason, struct xp_err *err)
{
	struct xp_catalog_entry *e;
	struct xp_op op;
	int rc;

	rc = check_text("reason", reason, err);
	if (rc == 0)
		rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	rc = find_for_change(&op, id, 1, &e, err);
	if (rc)
		goto out;
	if (e->state == XP_CATALOG_SHREDDED)
		goto out; /* already shredded (perhaps just now, by the recovery): done */
	if (!e->shreddable) {
		rc = xp_err_set(err, XP_EUSAGE,
		                "%s: not sealed in shreddable mode; delete it instead", id);
		goto out;
	}
	rc = xp_journal_put(repo, &op.js, id, "shredding", reason, NULL, err);
	if (rc == 0)
		rc = xp_op_finish_shred(&op, id, reason, err);
out:
	xp_op_end(&op);
	return rc;
}

/* A second hold would replace the first one's reason, the evidence of why the backup is kept:
 * refused, naming the hold that stands. */
static int already_held(struct xp_op *op, const struct xp_catalog_entry *e, struct xp_err *err)
{
	const struct xp_jid *j = xp_jids_find(&op->j, e->id);
	struct xp_sbuf b = {0};
	char since[XP_TIME_LEN];
	int rc;

	xp_sbuf_escape(&b, e->hold); /* one line on stderr */
	if (j && (j->flags & XP_J_HELD)) {
		xp_time_format(j->held_at, since);
		rc = xp_err_set(err, XP_EFAIL, "%s: already held since %s: %s; release it first",
		                e->id, since, b.failed ? "(reason not shown: out of memory)" : b.p);
	} else {
		rc = xp_err_set(err, XP_EFAIL, "%s: already held: %s; release it first", e->id,
		                b.failed ? "(reason not shown: out of memory)" : b.p);
	}
	xp_sbuf_free(&b);
	return rc;
}

static int set_hold(const char *repo, const struct xp_signkey *key, const char *id,
                    const char *reason, struct xp_err *err)
{
	struct xp_catalog_entry *e;
	struct xp_op op;
	char *dup = NULL;
	int rc;

	rc = check_text("reason", reason, err);
	if (rc == 0)
		rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	rc = find_for_change(&op, id, 0, &e, err);
	if (rc)
		goto out;
	if (!reason && !e->hold) {
		rc = xp_err_set(err, XP_EFAIL, "%s: not on hold", id);
		goto out;
	}
	if (reason && e->hold) {
		rc = already_held(&op, e, err);
		goto out;
	}
	if (reason) {
		dup = strdup(reason);
		if (!dup) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* Journal first: a crash before the catalog shows it is finished by reconcile_holds. */
	rc = xp_journal_put(repo, &op.js, id, reason ? "held" : "released",
	                    reason ? reason : e->hold, NULL, err);
	if (rc)
		goto out;
	free(e->hold);
	e->hold = dup;
	dup = NULL;
	rc = xp_catalog_write(&op, err);
out:
	free(dup);
	xp_op_end(&op);
	return rc;
}

int xp_catalog_hold(const char *repo, const struct xp_signkey *key, const char *id,
                    const char *reason, struct xp_err *err)
{
	if (!reason || !*reason)
		return xp_err_set(err, XP_EUSAGE, "%s: a legal hold needs a reason", id);
	return set_hold(repo, key, id, reason, err);
}

int xp_catalog_release(const char *repo, const struct xp_signkey *key, const char *id,
                       struct xp_err *err)
{
	return set_hold(repo, key, id, NULL, err);
}

int xp_catalog_rekeyed(const char *repo, const struct xp_signkey *key, const char *id,
                       uint64_t size, const uint8_t hash[XP_CATALOG_HASH_LEN], const char *reason,
                       struct xp_err *err)
{
	struct xp_catalog_entry *e;
	struct xp_op op;
	int rc;

	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	rc = find_for_change(&op, id, 0, &e, err);
	if (rc)
		goto out;
	/* The file is in place already: a crash before the catalog shows it leaves a file whose
	 * hash the catalog does not know, which the next xpseal rekey puts right. */
	rc = xp_journal_put(repo, &op.js, id, "rekeyed", reason, NULL, err);
	if (rc)
		goto out;
	e->size = size;
	memcpy(e->hash, hash, XP_CATALOG_HASH_LEN);
	rc = xp_catalog_write(&op, err);
out:
	xp_op_end(&op);
	return rc;
}

int xp_journal_append(const char *repo, const char *id, const char *event, const char *reason,
                      const char *policy, struct xp_err *err)
{
	struct xp_catalog_lock lock;
	struct xp_jstate js;
	int rc;

	if (!event || !*event || strpbrk(event, "\t\n\r\\"))
		return xp_err_set(err, XP_EUSAGE, "journal: bad event name");
	rc = xp_catalog_lock(repo, &lock, err);
	if (rc)
		return rc;
	rc = xp_journal_scan(repo, 1, NULL, NULL, NULL, &js, err);
	if (rc == 0)
		rc = xp_journal_repaired(repo, &js, err);
	if (rc == 0)
		rc = xp_journal_put(repo, &js, id, event, reason, policy, err);
	xp_catalog_unlock(&lock);
	return rc;
}
