/* Managed copies: a copy read back and checked against the catalog and the signed journal
 * (xp_copy_check, copy.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "repo/catalog-int.h"
#include "repo/copy-int.h"
#include "repo/repo.h"

struct checking {
	const char *repo;
	const struct xp_copy_target *t;
	xp_copy_report_fn *fn;
	void *ctx;
	int found;
};

static void finding(struct checking *c, int kind, const char *id, const char *rel, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof msg, "copy %s: %s: %s", c->t->name, rel, why);
	if (kind != XP_COPY_PARTIAL)
		c->found++;
	xp_copy_say(c->fn, c->ctx, kind, c->t, id, rel, msg);
}

/* The hash and size of the repository file path (read as a directory target's would be). */
static int local_hash(const char *path, uint8_t *hash, uint64_t *size, struct xp_err *err)
{
	struct xp_copy_target self = {.name = "repository", .kind = XP_COPY_DIR};
	char *dir = strdup(path), *slash;
	int rc;

	if (!dir)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	*slash = '\0';
	self.where = dir;
	rc = xp_ct_hash(&self, slash + 1, hash, size, err);
	free(dir);
	return rc;
}

/* A backup present on the target: its bytes are the catalog's, its signature the
 * repository's (one the repository cannot read is left to its own check). A read of the
 * target that fails is returned. */
static int check_backup(struct checking *c, const struct xp_catalog_entry *e,
                        const struct xp_ct_listing *l, struct xp_err *err)
{
	uint8_t hash[XP_CATALOG_HASH_LEN], mine[XP_CATALOG_HASH_LEN];
	char rel[XP_REPO_REL_MAX], srel[XP_REPO_REL_MAX + 8], *sig = NULL;
	struct xp_err ignored;
	uint64_t size, msize;
	int rc;

	xp_repo_backup_rel(e->id, rel);
	snprintf(srel, sizeof srel, "%s.minisig", rel);
	rc = xp_ct_hash(c->t, rel, hash, &size, err);
	if (rc)
		return rc;
	if (size != e->size || sodium_memcmp(hash, e->hash, sizeof hash) != 0)
		finding(c, XP_COPY_CHANGED, e->id, rel,
		        "its bytes are not those of the catalog (tampered or damaged)");
	if (xp_ct_listing_size(l, srel) < 0) {
		finding(c, XP_COPY_MISSING, e->id, srel, "missing");
		return 0;
	}
	rc = xp_ct_hash(c->t, srel, hash, &size, err);
	if (rc == 0 && !(sig = xp_repo_backup(c->repo, e->id, ".minisig")))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0 && local_hash(sig, mine, &msize, &ignored) == 0 &&
	    (size != msize || sodium_memcmp(hash, mine, sizeof hash) != 0))
		finding(c, XP_COPY_CHANGED, e->id, srel, "not the repository's signature");
	free(sig);
	return rc;
}

/* A file on the target that is not a listed backup's: expired, a temp file, or foreign. */
static void check_other(struct checking *c, const struct xp_idset *listed, const struct xp_crec *r,
                        const char *rel)
{
	char id[XP_REPO_ID_HEX];
	int temp = 0;

	if (xp_copy_meta_name(rel))
		return;
	if (xp_copy_id_of_rel(rel, id, &temp) != 0)
		finding(c, XP_COPY_FOREIGN, "", rel, "not a file of the repository (foreign)");
	else if (xp_idv_has(&r->deleted, id) && !xp_idset_has(listed, id))
		finding(c, XP_COPY_EXPIRED, id, rel,
		        "a backup deleted from the repository is still on the copy (xpexpire "
		        "removes it)");
	else if (temp)
		finding(c, XP_COPY_PARTIAL, id, rel, "an interrupted copy (the next copy ends it)");
	else if (!xp_idset_has(listed, id))
		finding(c, XP_COPY_FOREIGN, id, rel, "a backup the repository never had (foreign)");
}

int xp_copy_check(const char *repo, const struct xp_sign_pub *signer,
                  const struct xp_copy_target *t, xp_copy_report_fn *fn, void *ctx,
                  struct xp_err *err)
{
	struct checking c = {repo, t, fn, ctx, 0};
	struct xp_catalog cat = {0};
	struct xp_idset listed = {0};
	struct xp_ct_listing l = {0};
	struct xp_crec r = {0};
	char rel[XP_REPO_REL_MAX], id[XP_REPO_ID_HEX];
	int rc, temp;

	rc = xp_catalog_load(repo, &cat, err);
	if (rc == 0 && xp_idset_make(&listed, &cat, NULL) != 0)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0 && (rc = xp_crec_load(repo, signer, t, &r, err)) != 0)
		memset(&r, 0, sizeof r);
	if (rc == 0)
		rc = xp_ct_list(t, &l, err);
	for (size_t i = 0; rc == 0 && i < cat.n; i++) {
		const struct xp_catalog_entry *e = &cat.entries[i];

		xp_repo_backup_rel(e->id, rel);
		if (xp_ct_listing_size(&l, rel) >= 0)
			rc = check_backup(&c, e, &l, err);
		else if (xp_idv_has(&r.on, e->id))
			finding(&c, XP_COPY_MISSING, e->id, rel,
			        "missing (the journal records it copied there)");
	}
	/* The listed backups' own files (ID.xps, ID.xps.minisig) were checked above. */
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		if (xp_copy_id_of_rel(l.v[i].rel, id, &temp) != 0 || temp ||
		    !xp_idset_has(&listed, id))
			check_other(&c, &listed, &r, l.v[i].rel);
	xp_ct_listing_free(&l);
	xp_crec_free(&r);
	xp_idset_free(&listed);
	xp_catalog_free(&cat);
	return rc ? rc : c.found;
}
