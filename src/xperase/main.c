/* xperase: record erasure requests in a repository's ledger, and list them. */
#include "config.h"

#include "cli/cli.h"
#include "repo/catalog.h"
#include "repo/copy.h"
#include "repo/erase.h"
#include "repo/repo.h"
#include "repo/seal-repo.h"
#include "repo/keys.h"
#include "repo/trust.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/os.h"
#include "base/str.h"
#include "base/time.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static const char usage_text[] =
        "usage: xperase -r REPO --ref CASE --reason TEXT -t TABLE... [--value COL=VALUE]...\n"
        "               [--interval T1/T2]... [--force] [--password-file F] [--signing-key F]\n"
        "               [-p PUBKEY]\n"
        "       xperase -r REPO --list [-p PUBKEY]\n"
        "       xperase -r REPO --dry-run [--password-file F] [-p PUBKEY]\n"
        "       xperase -r REPO --rewrite [--dry-run] [--skip-held] [--password-file F]\n"
        "               [--signing-key F] [-p PUBKEY]\n"
        "\n"
        "Records a request to erase rows in the repository's erasure ledger: the rows of the\n"
        "tables that hold one of the values (if any) and lie in one of the intervals (if any).\n"
        "Values are kept only as keyed hashes. Every later restore withholds the rows.\n"
        "\n"
        "  -r, --repo REPO       the repository (default: $XP_REPO)\n"
        "      --ref CASE        the request's case reference\n"
        "      --reason TEXT     why (no personal data: the ledger is shown in clear)\n"
        "  -t, --table TABLE     a table the request covers (repeatable)\n"
        "      --value COL=VALUE rows whose COL is VALUE, as the dump writes it (repeatable)\n"
        "      --interval T1/T2  rows whose time column is in [T1, T2) (repeatable)\n"
        "      --force           record a request that names a table or column no backup\n"
        "                        holds (else refused: it would erase nothing there)\n"
        "      --list            list the ledger's requests, checked\n"
        "      --dry-run         say which backups hold how many rows the ledger covers\n"
        "      --rewrite         re-seal every backup holding such rows without them\n"
        "      --skip-held       with --rewrite: a backup on legal hold is kept as it is and\n"
        "                        named, and is no failure (else status 1)\n"
        "      --password-file F the configuration password (default: $XP_PASSWORD_FILE, tty)\n"
        "      --signing-key F   the host's signing key (default: the host's)\n"
        "  -p, --pubkey FILE     trust this signer for this run\n"
        "  -h, --help            this help\n" XP_CLI_VERSION_HELP;

struct args {
	const char *repo, *ref, *reason, *password_file, *signing_key, *pubkey;
	int list, dry_run, rewrite, force;
	int skip_held; /* --rewrite: a held backup left as it is is no failure */
	struct xp_erase_entry e;
	char **values; /* COL=VALUE as given */
	size_t nvalues;
};

static int add_string(char ***v, size_t *n, const char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof *p);

	if (!p)
		return -1;
	*v = p;
	if (!(p[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

static int add_interval(struct xp_erase_entry *e, const char *arg, struct xp_err *err)
{
	struct xp_interval *v = realloc(e->iv, (e->niv + 1) * sizeof *v);
	const char *slash = strchr(arg, '/');
	char *a;
	int rc;

	if (!v)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	e->iv = v;
	if (!slash)
		return xp_err_set(err, XP_EUSAGE, "--interval %s: want T1/T2", arg);
	if (!(a = xp_strndup(arg, (size_t)(slash - arg))))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_time_parse(a, &v[e->niv].from, err);
	free(a);
	if (!rc)
		rc = xp_time_parse(slash + 1, &v[e->niv].to, err);
	if (rc)
		return XP_EUSAGE;
	if (v[e->niv].from >= v[e->niv].to)
		return xp_err_set(err, XP_EUSAGE, "--interval %s: the end is not after the start",
		                  arg);
	e->niv++;
	return 0;
}

/* Reads the options into a: 0, 1 (--help), 2 (--version), or a library code with err set. */
static int parse_opts(int argc, char **argv, struct args *a, struct xp_err *err)
{
	enum {
		O_REF = 256,
		O_REASON,
		O_VALUE,
		O_INTERVAL,
		O_LIST,
		O_DRY_RUN,
		O_REWRITE,
		O_PWFILE,
		O_SIGNKEY,
		O_FORCE,
		O_SKIP_HELD
	};
	static const struct option longopts[] = {
	        {"repo", required_argument, NULL, 'r'},
	        {"ref", required_argument, NULL, O_REF},
	        {"reason", required_argument, NULL, O_REASON},
	        {"table", required_argument, NULL, 't'},
	        {"value", required_argument, NULL, O_VALUE},
	        {"interval", required_argument, NULL, O_INTERVAL},
	        {"list", no_argument, NULL, O_LIST},
	        {"dry-run", no_argument, NULL, O_DRY_RUN},
	        {"rewrite", no_argument, NULL, O_REWRITE},
	        {"force", no_argument, NULL, O_FORCE},
	        {"skip-held", no_argument, NULL, O_SKIP_HELD},
	        {"password-file", required_argument, NULL, O_PWFILE},
	        {"signing-key", required_argument, NULL, O_SIGNKEY},
	        {"pubkey", required_argument, NULL, 'p'},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	int ch, rc = 0;

	while (rc == 0 && (ch = xp_cli_getopt(argc, argv, "r:t:p:h", longopts)) != -1) {
		switch (ch) {
		case 'r': a->repo = optarg; break;
		case O_REF: a->ref = optarg; break;
		case O_REASON: a->reason = optarg; break;
		case 't':
			if (add_string(&a->e.tables, &a->e.ntables, optarg))
				rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		case O_VALUE:
			if (!strchr(optarg, '=') || *optarg == '=')
				rc = xp_err_set(err, XP_EUSAGE, "--value: want COL=VALUE");
			else if (add_string(&a->values, &a->nvalues, optarg))
				rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		case O_INTERVAL: rc = add_interval(&a->e, optarg, err); break;
		case O_LIST: a->list = 1; break;
		case O_DRY_RUN: a->dry_run = 1; break;
		case O_REWRITE: a->rewrite = 1; break;
		case O_FORCE: a->force = 1; break;
		case O_SKIP_HELD: a->skip_held = 1; break;
		case O_PWFILE: a->password_file = optarg; break;
		case O_SIGNKEY: a->signing_key = optarg; break;
		case 'p': a->pubkey = optarg; break;
		case 'h': return 1;
		case XP_CLI_VERSION: return 2;
		default: return XP_EUSAGE;
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return xp_err_set(err, XP_EUSAGE, "unexpected argument: %s", argv[optind]);
	a->repo = xp_repo_path(a->repo);
	if (!a->repo)
		return xp_err_set(err, XP_EUSAGE, "no repository: give -r REPO or set XP_REPO");
	if (a->list && (a->dry_run || a->rewrite))
		return xp_err_set(err, XP_EUSAGE, "give one of --list, --dry-run and --rewrite");
	if (a->skip_held && !a->rewrite)
		return xp_err_set(err, XP_EUSAGE, "--skip-held goes with --rewrite");
	if (a->rewrite && !a->signing_key)
		a->signing_key = xp_keys_default_signing_key();
	if (a->list || a->dry_run || a->rewrite)
		return a->ref || a->reason || a->e.ntables || a->nvalues || a->e.niv || a->force
		               ? xp_err_set(err, XP_EUSAGE, "%s takes no request",
		                            a->list      ? "--list"
		                            : a->rewrite ? "--rewrite"
		                                         : "--dry-run")
		               : 0;
	if (!a->ref || !a->reason || !a->e.ntables || (!a->nvalues && !a->e.niv))
		return xp_err_set(err, XP_EUSAGE,
		                  "a request needs --ref, --reason, -t TABLE and "
		                  "--value or --interval");
	if (!a->signing_key)
		a->signing_key = xp_keys_default_signing_key();
	return 0;
}

static int cmd_list(const struct args *a, struct xp_err *err)
{
	struct xp_trust_opts o = {.pubkey = a->pubkey};
	struct xp_trust t = {0};
	struct xp_sign_pub signer;
	struct xp_erase_ledger l = {0};
	int rc;

	if ((rc = xp_trust_check(a->repo, &o, &t, err)) != 0)
		goto out;
	xp_sign_pub_from(t.signer, &signer);
	if ((rc = xp_erase_load(a->repo, &signer, &l, err)) != 0)
		goto out;
	if (l.n == 0)
		printf("%s: no erasure requests\n", a->repo);
	for (size_t i = 0; i < l.n; i++) {
		const struct xp_erase_entry *e = &l.e[i];
		char tm[XP_TIME_LEN], x[XP_TIME_LEN], y[XP_TIME_LEN];

		xp_time_format(e->time, tm);
		printf("%s  %s  tables ", tm, e->ref);
		for (size_t k = 0; k < e->ntables; k++)
			printf("%s%s", k ? "," : "", e->tables[k]);
		for (size_t k = 0; k < e->nvalues; k++)
			printf("%s%s", k ? "," : "  values of ", e->values[k].column);
		for (size_t k = 0; k < e->niv; k++) {
			xp_time_format(e->iv[k].from, x);
			xp_time_format(e->iv[k].to, y);
			printf("%s%s/%s", k ? "," : "  intervals ", x, y);
		}
		printf("  reason: %s\n", e->reason);
	}
out:
	xp_erase_ledger_free(&l);
	xp_trust_free(&t);
	return rc;
}

/* One backup through the filter into /dev/null: c (zeroed) gets the rows each request covers
 * in it. */
static int count(const char *repo, const struct xp_catalog_entry *e,
                 const struct xp_sign_pub *signer, const uint8_t *sk,
                 const struct xp_erase_ledger *l, struct xp_erase_counts *c, struct xp_err *err)
{
	char *path = xp_repo_backup(repo, e->id, "");
	int fd = -1, null = -1, rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((null = xp_os_open(XP_OS_DEVNULL, O_WRONLY, 0)) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", XP_OS_DEVNULL);
		goto out;
	}
	if ((rc = xp_seal_fetch(repo, path, e->id, signer, &fd, err)) == 0)
		rc = xp_erase_open(repo, fd, e->id, sk, NULL, l, null, "/dev/null", c, err);
out:
	if (null >= 0)
		close(null);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* ", 2 by CASE-17, 1 by CASE-18" */
static void print_counts(const struct xp_erase_ledger *l, const struct xp_erase_counts *c)
{
	for (size_t i = 0; i < l->n; i++)
		if (c->rows[i])
			printf(", %llu by %s", (unsigned long long)c->rows[i], l->e[i].ref);
}

static int count_backup(const struct args *a, const struct xp_catalog_entry *e,
                        const struct xp_sign_pub *signer, const uint8_t *sk,
                        const struct xp_erase_ledger *l, struct xp_err *err)
{
	struct xp_erase_counts c = {0};
	int rc = count(a->repo, e, signer, sk, l, &c, err);

	if (rc == 0) {
		printf("%s: %llu row%s", e->id, (unsigned long long)c.total,
		       c.total == 1 ? "" : "s");
		print_counts(l, &c);
		putchar('\n');
	}
	xp_erase_counts_free(&c);
	return rc;
}

/* What --dry-run and --rewrite start from: the repository key from the password, the trusted
 * signer, the checked ledger, and the signed catalog. */
struct session {
	struct xp_keys_bound b;
	struct xp_trust t;
	struct xp_sign_pub signer;
	struct xp_erase_ledger l;
	struct xp_catalog cat;
	uint8_t *sk;
};

static void session_close(struct session *s)
{
	xp_catalog_free(&s->cat);
	xp_erase_ledger_free(&s->l);
	xp_trust_free(&s->t);
	xp_secret_free(s->sk);
}

/* k (may be NULL): the host's signing key, to finish an interrupted change before the catalog
 * is read. The ledger is checked first: a damaged one changes nothing. */
static int session_open(const struct args *a, const struct xp_signkey *k, struct session *s,
                        struct xp_err *err)
{
	struct xp_trust_opts o = {.pubkey = a->pubkey, .bound = &s->b};
	char *pw = NULL;
	size_t len = 0;
	int rc;

	memset(s, 0, sizeof *s);
	if (!(s->sk = xp_secret_alloc(XP_KEYS_SK_LEN)))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_secret_password(a->password_file, "Configuration password: ", 0, &pw, &len,
	                             err)) != 0 ||
	    (rc = xp_keys_unlock_bound(a->repo, pw, len, s->sk, &s->b, err)) != 0 ||
	    (rc = xp_trust_check(a->repo, &o, &s->t, err)) != 0)
		goto out;
	xp_sign_pub_from(s->t.signer, &s->signer);
	if ((rc = xp_erase_load(a->repo, &s->signer, &s->l, err)) != 0 ||
	    (k && (rc = xp_catalog_recover(a->repo, k, err)) != 0))
		goto out;
	rc = xp_catalog_load_signed(a->repo, &s->signer, &s->cat, err);
out:
	xp_secret_free(pw);
	if (rc)
		session_close(s);
	return rc;
}

/* --dry-run: every cataloged dump backup, counted. */
static int cmd_dry_run(const struct args *a, struct xp_err *err)
{
	struct session s;
	size_t n = 0;
	int rc = session_open(a, NULL, &s, err);

	if (rc)
		return rc;
	/* a backup without a source is not a dump stream: it holds no rows */
	for (size_t i = 0; rc == 0 && i < s.cat.n; i++) {
		const struct xp_catalog_entry *e = &s.cat.entries[i];

		if (e->state != XP_CATALOG_SEALED || !e->source)
			continue;
		n++;
		rc = count_backup(a, e, &s.signer, s.sk, &s.l, err);
	}
	if (rc == 0 && n == 0)
		printf("%s: no dump backups: nothing to count\n", a->repo);
	session_close(&s);
	return rc;
}

/* What a --rewrite run did. */
struct rewrite_run {
	size_t done, refused;
	uint64_t rows;
};

/* One backup: rewritten when it holds rows the ledger covers; one on legal hold that does is
 * refused (a hold keeps a backup as it is: evidence is not altered, and the erasure right
 * yields to legal claims), named, and the others go on; skip_held says that was meant. */
static int rewrite_one(const char *repo, const struct xp_catalog_entry *e,
                       const struct xp_erase_rewrite_opts *o, const struct xp_erase_ledger *l,
                       int skip_held, struct rewrite_run *run, struct xp_err *err)
{
	struct xp_erase_counts c = {0};
	char new_id[33];
	int rc;

	if (e->hold) {
		rc = count(repo, e, o->signer, o->sk, l, &c, err);
		if (rc == 0 && c.total && skip_held)
			xp_warn("%s: on legal hold: kept as it is, with %llu row%s the ledger "
			        "covers, withheld from every restore (--skip-held)",
			        e->id, (unsigned long long)c.total, c.total == 1 ? "" : "s");
		else if (rc == 0 && c.total) {
			xp_warn("%s: on legal hold: %llu row%s the ledger covers not erased "
			        "(xpexpire "
			        "--release %s, then xperase --rewrite again)",
			        e->id, (unsigned long long)c.total, c.total == 1 ? "" : "s", e->id);
			run->refused++;
		}
	} else if ((rc = xp_erase_rewrite(repo, e, l, o, new_id, &c, err)) == 0 && new_id[0]) {
		printf("%s: %llu row%s erased", e->id, (unsigned long long)c.total,
		       c.total == 1 ? "" : "s");
		print_counts(l, &c);
		printf("; replaced by %s\n", new_id);
		run->done++;
		run->rows += c.total;
	}
	xp_erase_counts_free(&c);
	return rc;
}

static void on_copy(void *ctx, const struct xp_copy_event *ev)
{
	(void)ctx;
	printf("%s\n", ev->msg);
}

static void on_copy_failed(void *ctx, const struct xp_err *e)
{
	(void)ctx;
	xp_warn("%s (the next xperase --rewrite or xpexpire finishes it)", e->msg);
}

/* --rewrite: every cataloged dump backup holding covered rows, re-sealed without them; then
 * the backups replaced go from the registered copies. */
static int cmd_rewrite(const struct args *a, struct xp_err *err)
{
	struct xp_signkey *k = NULL;
	struct xp_erase_rewrite_opts o;
	struct rewrite_run run = {0, 0, 0};
	struct xp_err e = {0, ""};
	struct session s;
	int rc;

	if ((rc = xp_sign_load_key(a->signing_key, &k, err)) != 0)
		return rc;
	if ((rc = session_open(a, k, &s, err)) != 0) {
		xp_sign_free_key(k);
		return rc;
	}
	o = (struct xp_erase_rewrite_opts){
	        .key = k, .signer = &s.signer, .key_id = s.t.key_id, .sk = s.sk};
	for (size_t i = 0; rc == 0 && i < s.cat.n; i++)
		if (s.cat.entries[i].state == XP_CATALOG_SEALED && s.cat.entries[i].source && s.l.n)
			rc = rewrite_one(a->repo, &s.cat.entries[i], &o, &s.l, a->skip_held, &run,
			                 err);
	if (run.done && xp_trust_seen(a->repo, &s.t, &e) != 0)
		xp_warn("%s: trust pins not updated: %s", a->repo, e.msg);
	if (rc == 0)
		rc = xp_copy_expire_all(a->repo, k, on_copy, on_copy_failed, NULL, err);
	printf("%s: %zu backup%s rewritten, %llu row%s erased\n", a->repo, run.done,
	       run.done == 1 ? "" : "s", (unsigned long long)run.rows, run.rows == 1 ? "" : "s");
	if (rc == 0 && run.refused)
		rc = xp_err_set(err, XP_EFAIL, "%s: %zu backup%s on legal hold not rewritten",
		                a->repo, run.refused, run.refused == 1 ? "" : "s");
	session_close(&s);
	xp_sign_free_key(k);
	return rc;
}

/* A request whose names no backup holds would erase nothing: refused (the ledger keeps every
 * entry for good), unless --force; said either way. */
static int check_names(const struct args *a, const struct xp_sign_pub *signer, const uint8_t *sk,
                       struct xp_err *err)
{
	char why[600];
	int rc = xp_erase_check_names(a->repo, signer, sk, &a->e, why, sizeof why, err);

	if (rc == 2)
		xp_warn("%s: %s: %s is recorded unchecked", a->repo, why, a->ref);
	else if (rc == 1 && a->force)
		xp_warn("WARNING: %s: %s: it erases nothing there (recorded: --force)", a->ref,
		        why);
	else if (rc == 1)
		return xp_err_set(err, XP_EUSAGE,
		                  "%s: %s: it would erase nothing there (nothing recorded; "
		                  "--force records it)",
		                  a->ref, why);
	return rc < 0 ? rc : 0;
}

static int cmd_record(struct args *a, struct xp_err *err)
{
	struct xp_keys_bound b;
	struct xp_trust_opts o = {.pubkey = a->pubkey, .bound = &b};
	struct xp_trust t = {0};
	struct xp_sign_pub signer;
	struct xp_signkey *k = NULL;
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN), *key = xp_secret_alloc(XP_ERASE_KEY_LEN);
	char *pw = NULL;
	size_t len = 0;
	int rc;

	if (!sk || !key) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_secret_password(a->password_file, "Configuration password: ", 0, &pw, &len,
	                             err)) != 0 ||
	    (rc = xp_keys_unlock_bound(a->repo, pw, len, sk, &b, err)) != 0 ||
	    (rc = xp_trust_check(a->repo, &o, &t, err)) != 0 ||
	    (rc = xp_sign_load_key(a->signing_key, &k, err)) != 0)
		goto out;
	xp_sign_pub_from(t.signer, &signer);
	xp_erase_key(sk, key);
	a->e.values = calloc(a->nvalues ? a->nvalues : 1, sizeof *a->e.values);
	if (!a->e.values) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->nvalues; i++) {
		char *eq = strchr(a->values[i], '=');
		struct xp_erase_value *v = &a->e.values[i];

		if (!(v->column = xp_strndup(a->values[i], (size_t)(eq - a->values[i])))) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		a->e.nvalues++;
		xp_erase_hash(key, v->column, eq + 1, strlen(eq + 1), v->hash);
		sodium_memzero(eq + 1, strlen(eq + 1));
	}
	a->e.time = xp_now();
	if (!(a->e.ref = strdup(a->ref)) || !(a->e.reason = strdup(a->reason))) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = check_names(a, &signer, sk, err)) != 0 ||
	    (rc = xp_erase_record(a->repo, k, &signer, &a->e, err)) != 0)
		goto out;
	printf("%s: erasure request %s recorded: %zu table%s, %zu value%s, %zu interval%s\n",
	       a->repo, a->ref, a->e.ntables, a->e.ntables == 1 ? "" : "s", a->e.nvalues,
	       a->e.nvalues == 1 ? "" : "s", a->e.niv, a->e.niv == 1 ? "" : "s");
out:
	xp_sign_free_key(k);
	xp_trust_free(&t);
	xp_secret_free(pw);
	xp_secret_free(sk);
	xp_secret_free(key);
	return rc;
}

/* Reads the command line into a: -1 to go on, else the exit status (--help, --version, a
 * usage error). */
static int parse(int argc, char **argv, struct args *a)
{
	struct xp_err err = {0, ""};
	int rc = parse_opts(argc, argv, a, &err);

	if (rc == 0)
		return -1;
	if (rc == 1)
		return xp_cli_help(usage_text);
	if (rc == 2)
		return xp_cli_version();
	if (rc == XP_EUSAGE)
		return err.msg[0] ? xp_usage_error("%s", err.msg) : XP_EXIT_USAGE;
	return xp_fail(&err);
}

/* The command a asks for: 0, or a library code with err set. */
static int cmd_run(struct args *a, struct xp_err *err)
{
	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	if (a->list)
		return cmd_list(a, err);
	if (a->dry_run)
		return cmd_dry_run(a, err);
	return a->rewrite ? cmd_rewrite(a, err) : cmd_record(a, err);
}

static void args_free(struct args *a)
{
	xp_erase_entry_free(&a->e);
	for (size_t i = 0; i < a->nvalues; i++) {
		sodium_memzero(a->values[i], strlen(a->values[i]));
		free(a->values[i]);
	}
	free(a->values);
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct xp_err err = {0, ""};
	int rc;

	xp_progname = "xperase";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	rc = parse(argc, argv, &a);
	if (rc < 0) {
		rc = cmd_run(&a, &err);
		if (rc == 0)
			rc = xp_cli_flush_stdout(&err);
		rc = rc ? xp_fail(&err) : XP_EXIT_OK;
	}
	args_free(&a);
	return rc;
}
