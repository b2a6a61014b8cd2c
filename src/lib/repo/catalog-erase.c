/* An erasure rewrite's replacement of one backup by another (catalog.h): the intent, and its
 * end, which every change's recovery finishes or undoes. */
#include "config.h"

#include "repo/catalog-int.h"
#include "repo/keys.h"
#include "repo/vault.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/os.h"
#include "base/str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the new backup id is still being sealed: the temp file of its seal is there after
 * the recovery removed those no live seal holds (xp_op_discard_seal_temps). */
static int seal_running(const struct xp_op *op, const char *id)
{
	char sub[3] = {id[0], id[1], '\0'};
	char *dir = xp_repo_data_sub(op->repo, sub);
	char *pattern = dir ? xp_asprintf("%s/.%s.xps.tmp.*", dir, id) : NULL;
	char **paths = NULL;
	size_t n = 0;
	int running;

	/* out of memory: take it as running, the next change tries again */
	running = !pattern || (xp_os_glob(pattern, &paths, &n) == 0 && n > 0);
	xp_os_glob_free(paths, n);
	free(pattern);
	free(dir);
	return running;
}

/* The new backup never became complete, or the old one is on legal hold: the old one stays,
 * the new one's remnants go, and the journal says why. */
static int undo(struct xp_op *op, struct xp_jid *j, const char *why, struct xp_err *err)
{
	char *xps = xp_repo_backup(op->repo, j->repl, "");
	char *sig = xp_repo_backup(op->repo, j->repl, ".minisig");
	char reason[XP_CATALOG_TEXT_MAX / 2];
	int rc;

	if (!xps || !sig) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	xp_fault_point("erase: undo");
	if ((rc = xp_repo_unlink(op->repo, xps, err)) != 0 ||
	    (rc = xp_repo_unlink(op->repo, sig, err)) != 0 ||
	    (rc = xp_vault_destroy(&op->vault, j->repl, NULL, NULL, NULL, err)) != 0)
		goto out;
	snprintf(reason, sizeof reason, "replacement %s not taken: %s", j->repl, why);
	rc = xp_journal_put(op->repo, &op->js, j->id, "erase-undone", reason, j->repl, err);
	if (rc == 0)
		j->flags &= ~XP_J_ERASING;
out:
	free(xps);
	free(sig);
	return rc;
}

/* Drops the old entry (if listed) and adds the new one, in one catalog write. */
static int swap_entries(struct xp_op *op, const char *old, struct xp_catalog_entry *e,
                        struct xp_err *err)
{
	struct xp_catalog_entry *grown;
	size_t w = 0;

	for (size_t i = 0; i < op->cat.n; i++) {
		if (strcmp(op->cat.entries[i].id, old) == 0) {
			free(op->cat.entries[i].source);
			free(op->cat.entries[i].path);
			free(op->cat.entries[i].hold);
			continue;
		}
		op->cat.entries[w++] = op->cat.entries[i];
	}
	op->cat.n = w;
	grown = realloc(op->cat.entries, (op->cat.n + 1) * sizeof *grown);
	if (!grown) {
		free(e->source);
		free(e->path);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	op->cat.entries = grown;
	op->cat.entries[op->cat.n++] = *e;
	xp_fault_point("erase: catalog");
	return xp_catalog_write(op, err);
}

static int finish_one(struct xp_op *op, struct xp_jid *j, struct xp_err *err)
{
	const struct xp_catalog_entry *o = xp_op_find(op, j->id);
	struct xp_pending_delete d = {j->id, j->flags, NULL};
	char rule[80];
	int rc;

	if (!xp_op_find(op, j->repl)) {
		struct xp_catalog_entry e;
		struct xp_err why = {0, ""};
		uint8_t pk[32], kid[8];

		if (!o) /* retention deleted it while the new one was being sealed */
			return undo(op, j, "the backup was deleted meanwhile", err);
		if (o->hold)
			return undo(op, j, "the backup is on legal hold", err);
		if ((rc = xp_keys_load_public(op->repo, pk, kid, err)) != 0)
			return rc;
		rc = xp_catalog_describe(op->repo, &op->pub, kid, j->repl, &e, &why);
		if (rc == XP_ENOMEM)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		if (rc)
			return undo(op, j, why.msg, err);
		if ((rc = swap_entries(op, j->id, &e, err)) != 0)
			return rc;
	}
	if (!(j->flags & XP_J_DELETED)) {
		snprintf(rule, sizeof rule, "erasure: replaced by %s", j->repl);
		d.rule = rule;
		if ((rc = xp_op_finish_deletes(op, &d, 1, NULL, err)) != 0)
			return rc;
		j->flags |= XP_J_DELETED;
	}
	xp_fault_point("erase: journal");
	rc = xp_journal_put(op->repo, &op->js, j->id, "erased", j->reason, j->repl, err);
	if (rc == 0)
		j->flags &= ~XP_J_ERASING;
	return rc;
}

int xp_op_finish_erasures(struct xp_op *op, struct xp_err *err)
{
	int rc = 0;

	/* finish_one adds no journal record by id: op->j.v stays where it is */
	for (size_t i = 0; rc == 0 && i < op->j.n; i++)
		if ((op->j.v[i].flags & XP_J_ERASING) && !seal_running(op, op->j.v[i].repl))
			rc = finish_one(op, &op->j.v[i], err);
	return rc;
}

int xp_catalog_erasing(const char *repo, const struct xp_signkey *key, const char *id,
                       const char *new_id, const char *reason, struct xp_err *err)
{
	const struct xp_catalog_entry *e;
	const struct xp_jid *j;
	struct xp_op op;
	int rc;

	if (!xp_repo_valid_id(new_id) || strcmp(id, new_id) == 0)
		return xp_err_set(err, XP_EUSAGE, "%s: not a new backup id", new_id);
	if (reason && strlen(reason) > XP_CATALOG_TEXT_MAX)
		return xp_err_set(err, XP_EUSAGE, "reason longer than %d bytes",
		                  XP_CATALOG_TEXT_MAX);
	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	e = xp_op_find(&op, id);
	j = xp_jids_find(&op.j, id);
	if (!e)
		rc = xp_err_set(err, XP_ENOENT, "%s: no such backup in the catalog", id);
	else if (e->hold)
		rc = xp_err_set(err, XP_EFAIL, "%s: on legal hold: not rewritten", id);
	else if (e->state != XP_CATALOG_SEALED)
		rc = xp_err_set(err, XP_EFAIL, "%s: shredded: nothing to rewrite", id);
	else if (j && (j->flags & XP_J_ERASING))
		rc = xp_err_set(err, XP_EFAIL, "%s: a rewrite of it is in progress", id);
	else if (xp_op_find(&op, new_id) || xp_jids_find(&op.j, new_id))
		rc = xp_err_set(err, XP_EFAIL, "%s: the journal knows this id already", new_id);
	else
		rc = xp_journal_put(repo, &op.js, id, "erasing", reason, new_id, err);
	xp_op_end(&op);
	return rc;
}

int xp_catalog_erased(const char *repo, const struct xp_signkey *key, const char *id,
                      const char *new_id, struct xp_err *err)
{
	struct xp_op op;
	int rc;

	/* the recovery at the start of every change finishes it */
	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	if (!xp_op_find(&op, new_id) || xp_op_find(&op, id))
		rc = xp_err_set(err, XP_EFAIL, "%s: the rewrite into %s was undone (xperase(1))",
		                id, new_id);
	xp_op_end(&op);
	return rc;
}
