/* Test helper for the catalog's shell tests (crash, concurrency): drives the catalog API
 * directly, one operation per run, so a test can kill it at any fault point.
 *
 *   catalog-tool REPO SIGNKEY seal [--shreddable] < DATA   seal stdin and catalog it
 *   catalog-tool REPO SIGNKEY delete|shred ID [REASON]
 *   catalog-tool REPO SIGNKEY hold ID REASON | release ID
 *   catalog-tool REPO SIGNKEY recover | adopt
 *   catalog-tool REPO - list | check | journal
 */
#include "config.h"

#include "repo/catalog.h"
#include "cli/cli.h"
#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "crypto/sign.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_finding(void *ctx, const struct xp_catalog_finding *f)
{
	(void)ctx;
	printf("%s: %s\n", xp_catalog_finding_name(f->kind), f->msg);
}

static int do_seal(const char *repo, const struct xp_signkey *key, int shreddable,
                   struct xp_err *err)
{
	struct xp_seal_backup_opts o = {.key = key, .shreddable = shreddable};
	struct xp_catalog_entry e = {0};
	struct xp_seal_info info;
	char *path = NULL;
	int rc;

	rc = xp_seal_backup(repo, 0, &o, &info, &path, err);
	if (rc)
		return rc;
	memcpy(e.id, info.id, sizeof e.id);
	e.created = info.created;
	e.size = info.bytes_out;
	memcpy(e.hash, info.hash, sizeof e.hash);
	e.shreddable = shreddable;
	e.source = "crash-test";
	rc = xp_catalog_add(repo, key, &e, err);
	if (rc == 0)
		printf("%s\n", info.id);
	free(path);
	return rc;
}

static int run(const char *repo, const struct xp_signkey *key, int argc, char **argv,
               struct xp_err *err)
{
	const char *op = argv[0], *id = argc > 1 ? argv[1] : NULL,
	           *text = argc > 2 ? argv[2] : NULL;

	if (strcmp(op, "seal") == 0)
		return do_seal(repo, key, id && strcmp(id, "--shreddable") == 0, err);
	if (strcmp(op, "delete") == 0 && id)
		return xp_catalog_delete(repo, key, id, text ? text : "test", "catalog-tool", err);
	if (strcmp(op, "shred") == 0 && id)
		return xp_catalog_shred(repo, key, id, text ? text : "test", err);
	if (strcmp(op, "hold") == 0 && id && text)
		return xp_catalog_hold(repo, key, id, text, err);
	if (strcmp(op, "release") == 0 && id)
		return xp_catalog_release(repo, key, id, err);
	if (strcmp(op, "recover") == 0)
		return xp_catalog_recover(repo, key, err);
	if (strcmp(op, "adopt") == 0)
		return xp_catalog_adopt(repo, key, print_finding, NULL, NULL, err);
	if (strcmp(op, "journal") == 0)
		return xp_journal_verify(repo, NULL, err);
	if (strcmp(op, "check") == 0) {
		int n = xp_catalog_check(repo, print_finding, NULL, err);

		return n > 0 ? xp_err_set(err, XP_EINTEGRITY, "%d findings", n) : n;
	}
	if (strcmp(op, "list") == 0) {
		struct xp_catalog cat;
		int rc = xp_catalog_load(repo, &cat, err);

		for (size_t i = 0; rc == 0 && i < cat.n; i++)
			printf("%s %s %s\n", cat.entries[i].id,
			       xp_catalog_state_name(cat.entries[i].state),
			       cat.entries[i].hold ? "held" : "-");
		if (rc == 0)
			xp_catalog_free(&cat);
		return rc;
	}
	return xp_err_set(err, XP_EUSAGE, "%s: unknown operation or missing argument", op);
}

int main(int argc, char **argv)
{
	struct xp_signkey *key = NULL;
	struct xp_err err = {0};
	int rc;

	xp_progname = "catalog-tool";
	if (argc < 4) {
		fprintf(stderr, "usage: catalog-tool REPO SIGNKEY|- OPERATION [ARGS]\n");
		return XP_EXIT_USAGE;
	}
	if (strcmp(argv[2], "-") != 0 && (rc = xp_sign_load_key(argv[2], &key, &err)) != 0)
		return xp_fail(&err);
	rc = run(argv[1], key, argc - 3, argv + 3, &err);
	xp_sign_free_key(key);
	return rc ? xp_fail(&err) : 0;
}
