/* Keys the vault still holds for backups that are gone (catalog.h, xp_catalog_drop_keys). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "repo/catalog-int.h"
#include "repo/repo.h"
#include "repo/vault.h"

/* The ids of the keys to destroy, each once. */
struct gone {
	struct xp_op *op;
	char (*v)[XP_REPO_ID_HEX];
	size_t n, cap;
};

/* Whether id's backup is gone for good: a pending deletion or shredding is the recovery's. */
static int ended(struct xp_op *op, const char *id)
{
	const struct xp_catalog_entry *e = xp_op_find(op, id);
	const struct xp_jid *j = xp_jids_find(&op->j, id);

	if (j && (j->flags & (XP_J_DELETING | XP_J_SHREDDING)))
		return 0;
	if (e)
		return e->state == XP_CATALOG_SHREDDED;
	return j && (j->flags & XP_J_DELETED);
}

static int on_key(void *ctx, const char *id, const char *place, const char *path)
{
	struct gone *g = ctx;

	(void)place;
	(void)path;
	if (!ended(g->op, id))
		return 0;
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i], id) == 0)
			return 0;
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		char(*v)[XP_REPO_ID_HEX] = realloc(g->v, cap * sizeof *v);

		if (!v)
			return XP_ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	memcpy(g->v[g->n++], id, XP_REPO_ID_HEX);
	return 0;
}

int xp_catalog_drop_keys(const char *repo, const struct xp_signkey *key, size_t *dropped,
                         struct xp_err *err)
{
	struct gone g = {0};
	struct xp_op op;
	size_t n = 0, unreached = 0;
	int rc, destroyed;

	rc = xp_op_begin(&op, repo, key, 0, err);
	if (rc)
		return rc;
	g.op = &op;
	rc = xp_vault_list(&op.vault, 1, on_key, &g, err);
	if (rc == XP_ENOMEM)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < g.n; i++) {
		rc = xp_op_destroy_key(&op, g.v[i], &destroyed, &unreached, err);
		n += rc == 0 && destroyed;
	}
	if (dropped)
		*dropped = n;
	free(g.v);
	xp_op_end(&op);
	return rc;
}
