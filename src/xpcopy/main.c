/* xpcopy: register the copies of a repository on this host, and copy sealed backups to them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/catalog.h"
#include "cli/cli.h"
#include "cli/pins.h"
#include "repo/copy.h"
#include "repo/keys.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "repo/trust.h"
#include "base/err.h"

enum cmd { PUSH, ADD, REMOVE, LIST };

struct args {
	const char *repo, *signing_key, *jurisdiction, *rconfig;
	int cmd, quiet, refill;
	char **names; /* target names (PUSH, LIST), or NAME URL (ADD), NAME (REMOVE) */
	int nnames;
};

static const char usage_text[] =
        "usage: xpcopy -r REPO [--signing-key F] [-q] [--refill] [NAME...]\n"
        "       xpcopy add -r REPO --jurisdiction eu|non-eu [--rclone-config F] NAME URL\n"
        "       xpcopy remove -r REPO NAME\n"
        "       xpcopy list -r REPO [NAME]\n"
        "       xpcopy --help | --version\n"
        "\n"
        "Copies to each registered target (or the NAMEs given) the backups it lacks, checked\n"
        "against the signed catalog, then the catalog, journal and keys (never the shred keys).\n"
        "URL is an absolute directory or rclone:REMOTE:PATH. See xpcopy(1).\n";

static int parse(int argc, char **argv, struct args *o)
{
	enum { O_SIGNKEY = 256, O_JUR, O_RCONFIG, O_REFILL };
	static const struct option lo[] = {
	        {"repo", required_argument, NULL, 'r'},
	        {"signing-key", required_argument, NULL, O_SIGNKEY},
	        {"jurisdiction", required_argument, NULL, O_JUR},
	        {"rclone-config", required_argument, NULL, O_RCONFIG},
	        {"quiet", no_argument, NULL, 'q'},
	        {"refill", no_argument, NULL, O_REFILL},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	static const char *const names[] = {"", "add", "remove", "list"};
	const char *repo = NULL;
	int c;

	if (argc > 1 && argv[1][0] != '-') {
		for (o->cmd = ADD; o->cmd <= LIST && strcmp(argv[1], names[o->cmd]) != 0; o->cmd++)
			;
		if (o->cmd > LIST)
			o->cmd = PUSH;
		else
			argv++, argc--;
	}
	while ((c = xp_cli_getopt(argc, argv, "r:qh", lo)) != -1) {
		switch (c) {
		case 'r': repo = optarg; break;
		case 'q': o->quiet = 1; break;
		case O_SIGNKEY: o->signing_key = optarg; break;
		case O_JUR: o->jurisdiction = optarg; break;
		case O_RCONFIG: o->rconfig = optarg; break;
		case O_REFILL: o->refill = 1; break;
		case 'h': return xp_cli_help(usage_text);
		case XP_CLI_VERSION: return xp_cli_version();
		default: return XP_EXIT_USAGE;
		}
	}
	o->names = argv + optind;
	o->nnames = argc - optind;
	o->repo = xp_repo_path(repo);
	if (!o->repo)
		return xp_usage_error("no repository: give -r REPO or set XP_REPO");
	if (o->cmd == ADD && o->nnames != 2)
		return xp_usage_error("add takes NAME URL");
	if (o->cmd == ADD && !o->jurisdiction)
		return xp_usage_error("add needs --jurisdiction eu or non-eu");
	if (o->cmd != ADD && (o->jurisdiction || o->rconfig))
		return xp_usage_error("--jurisdiction and --rclone-config go with add");
	if (o->cmd == REMOVE && o->nnames != 1)
		return xp_usage_error("remove takes NAME");
	if (o->cmd == LIST && o->nnames > 1)
		return xp_usage_error("list takes at most one NAME");
	if (o->cmd != PUSH && (o->signing_key || o->refill))
		return xp_usage_error("--signing-key and --refill go with copying");
	if (!o->signing_key)
		o->signing_key = xp_keys_default_signing_key();
	return -1;
}

static void on_copy(void *ctx, const struct xp_copy_event *ev)
{
	const struct args *o = ctx;

	if (!o->quiet)
		printf("%s\n", ev->msg);
}

/* The targets to copy to: those named, else all; every name must be registered. */
static int pick(const struct args *o, const struct xp_copy_targets *all,
                const struct xp_copy_target ***v, size_t *n, struct xp_err *err)
{
	*n = 0;
	*v = calloc(all->n + (size_t)o->nnames + 1, sizeof **v);
	if (!*v)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (int i = 0; i < o->nnames; i++) {
		(*v)[*n] = xp_copy_target_find(all, o->names[i]);
		if (!(*v)[(*n)++])
			return xp_err_set(err, XP_EUSAGE, "copy %s: no such target (xpcopy list)",
			                  o->names[i]);
	}
	for (size_t i = 0; o->nnames == 0 && i < all->n; i++)
		(*v)[(*n)++] = &all->v[i];
	if (*n == 0)
		return xp_err_set(err, XP_EFAIL, "%s: no copy target registered (xpcopy add)",
		                  o->repo);
	return 0;
}

/* Copies to each target; one that fails does not stop the others, and its error is the
 * run's. */
static int cmd_copy(const struct args *o, struct xp_err *err)
{
	struct xp_copy_targets all = {0};
	const struct xp_copy_target **v = NULL;
	struct xp_signkey *key = NULL;
	struct xp_trust t = {0};
	size_t n = 0, copied, failed = 0;
	int rc;

	rc = xp_keys_check_repo(o->repo, err);
	if (rc == 0)
		rc = xp_copy_targets_load(o->repo, &all, err);
	if (rc == 0)
		rc = pick(o, &all, &v, &n, err);
	if (rc == 0)
		rc = xp_cli_trust_marks(o->repo, &t, err);
	if (rc == 0)
		rc = xp_sign_load_key(o->signing_key, &key, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct xp_err e = {0, ""};
		int r;

		if (!v[i]->eu)
			xp_warn("copy %s: declared outside the EU", v[i]->name);
		r = xp_copy_push(o->repo, key, v[i], o->refill, on_copy, (void *)o, &copied, &e);
		if (r == 0 && !o->quiet)
			printf("%s: %zu backups copied\n", v[i]->name, copied);
		if (r == 0)
			continue;
		if (n > 1) /* else the run's error says it */
			xp_warn("%s", e.msg);
		if (failed++ == 0)
			*err = e;
	}
	if (rc == 0 && failed) {
		rc = err->code;
		if (n > 1)
			xp_err_set(err, rc, "%zu of %zu copies failed", failed, n);
	}
	if (rc == 0 || failed)
		(void)xp_trust_seen(o->repo, &t, &(struct xp_err){0, ""});
	xp_sign_free_key(key);
	xp_trust_free(&t);
	free(v);
	xp_copy_targets_free(&all);
	return rc;
}

static int print_id(void *ctx, const char *id)
{
	++*(size_t *)ctx;
	printf("%s\n", id);
	return 0;
}

static int count_id(void *ctx, const char *id)
{
	(void)id;
	++*(size_t *)ctx;
	return 0;
}

/* Without NAME: one line per target; with it: the backups the journal records on it. */
static int cmd_list(const struct args *o, struct xp_err *err)
{
	struct xp_copy_targets all = {0};
	struct xp_sign_pub pub;
	struct xp_trust t = {0};
	const struct xp_copy_target *one = NULL;
	size_t count;
	int rc;

	rc = xp_keys_check_repo(o->repo, err);
	if (rc == 0)
		rc = xp_copy_targets_load(o->repo, &all, err);
	if (rc == 0 && o->nnames && !(one = xp_copy_target_find(&all, o->names[0])))
		rc = xp_err_set(err, XP_ENOENT, "copy %s: no such target", o->names[0]);
	if (rc == 0)
		rc = xp_cli_trust_marks(o->repo, &t, err);
	if (rc)
		goto out;
	xp_sign_pub_from(t.signer, &pub);
	if (one) {
		count = 0;
		rc = xp_copy_recorded(o->repo, &pub, one, print_id, &count, err);
		if (rc == 0 && count == 0)
			printf("copy %s: no backup recorded there\n", one->name);
		goto out;
	}
	if (all.n == 0) {
		printf("%s: no copy target registered (xpcopy add)\n", o->repo);
		goto out;
	}
	printf("name\tjurisdiction\tbackups\turl\n");
	for (size_t i = 0; rc == 0 && i < all.n; i++) {
		count = 0;
		rc = xp_copy_recorded(o->repo, &pub, &all.v[i], count_id, &count, err);
		if (rc == 0)
			printf("%s\t%s\t%zu\t%s\n", all.v[i].name, all.v[i].eu ? "eu" : "non-eu",
			       count, all.v[i].url);
	}
out:
	xp_trust_free(&t);
	xp_copy_targets_free(&all);
	return rc;
}

/* The command a asks for: 0, or a library code with err set. */
static int cmd_run(const struct args *a, struct xp_err *err)
{
	int rc = xp_keys_check_repo(a->repo, err);

	if (rc)
		return rc;
	switch (a->cmd) {
	case ADD:
		return xp_copy_target_add(a->repo, a->names[0], a->names[1], a->jurisdiction,
		                          a->rconfig, err);
	case REMOVE: return xp_copy_target_remove(a->repo, a->names[0], err);
	case LIST: return cmd_list(a, err);
	default: return cmd_copy(a, err);
	}
}

int main(int argc, char **argv)
{
	struct xp_err err = {0};
	struct args a = {0};
	int rc;

	xp_progname = "xpcopy";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = cmd_run(&a, &err);
	if (rc == 0)
		rc = xp_cli_flush_stdout(&err);
	return rc ? xp_fail(&err) : XP_EXIT_OK;
}
