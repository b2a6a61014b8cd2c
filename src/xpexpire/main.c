/* xpexpire: enforce the retention policy on a repository, list what it keeps and why, put
 * backups on legal hold, release them, crypto-shred them on request. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/catalog.h"
#include "repo/copy.h"
#include "cli/cli.h"
#include "cli/pins.h"
#include "repo/keys.h"
#include "repo/policy.h"
#include "crypto/sign.h"
#include "repo/trust.h"
#include "crypto/secret.h"
#include "base/err.h"
#include "base/time.h"
#include "base/parse.h"
#include "cli/json.h"

enum mode { EXPIRE, LIST, HOLD, RELEASE, SHRED };

struct args {
	const char *repo, *source, *signing_key, *id, *reason;
	struct xp_policy p;
	int have_policy, dry_run, json, mode, modes;
	int64_t now;
};

/* The backups one run decides on, and the decisions (parallel arrays). */
struct run {
	struct xp_catalog cat;
	const struct xp_catalog_entry **e;
	struct xp_policy_backup *b;
	struct xp_policy_decision *d;
	char **failed; /* per backup: why its deletion failed, or NULL */
	size_t n;
	char policy[256];  /* the rules, as text */
	char journal[300]; /* the rules and the time they were evaluated at, for the journal */
};

static const char usage_text[] =
        "usage: xpexpire -r REPO [--keep-last N] [--keep-within D] [--keep-daily N]\n"
        "                [--keep-weekly N] [--keep-monthly N] [--keep-yearly N]\n"
        "                [--max-age D] [--source NAME] [--dry-run] [--now T] [--json]\n"
        "                [--signing-key F]\n"
        "       xpexpire -r REPO --list [policy options] [--source NAME] [--now T] [--json]\n"
        "       xpexpire -r REPO --hold ID --reason TEXT | --release ID\n"
        "       xpexpire -r REPO --shred ID --reason TEXT\n"
        "       xpexpire --help | --version\n";

static int parse_count(const char *name, const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return xp_usage_error("--%s %s: not a count", name, s);
	v = strtoll(s, &end, 10);
	if (*end || v > INT32_MAX)
		return xp_usage_error("--%s %s: not a count", name, s);
	*out = v;
	return 0;
}

static int parse_duration(const char *name, const char *s, int64_t *out)
{
	struct xp_err err = {0};

	if (xp_duration_parse(s, out, &err) < 0)
		return xp_usage_error("--%s: %s", name, err.msg);
	return 0;
}

static void set_mode(struct args *o, int mode, const char *id)
{
	o->mode = mode;
	o->id = id;
	o->modes++;
}

/* Parses argv into o; returns -1 to go on, or the exit status. */
static int parse(int argc, char **argv, struct args *o)
{
	enum {
		O_LAST = 256,
		O_WITHIN,
		O_DAILY,
		O_WEEKLY,
		O_MONTHLY,
		O_YEARLY,
		O_MAXAGE,
		O_NOW,
		O_JSON,
		O_SOURCE,
		O_LIST,
		O_HOLD,
		O_REASON,
		O_RELEASE,
		O_SHRED,
		O_SIGNKEY
	};
	static const struct option lo[] = {
	        {"repo", required_argument, NULL, 'r'},
	        {"keep-last", required_argument, NULL, O_LAST},
	        {"keep-within", required_argument, NULL, O_WITHIN},
	        {"keep-daily", required_argument, NULL, O_DAILY},
	        {"keep-weekly", required_argument, NULL, O_WEEKLY},
	        {"keep-monthly", required_argument, NULL, O_MONTHLY},
	        {"keep-yearly", required_argument, NULL, O_YEARLY},
	        {"max-age", required_argument, NULL, O_MAXAGE},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"now", required_argument, NULL, O_NOW},
	        {"json", no_argument, NULL, O_JSON},
	        {"source", required_argument, NULL, O_SOURCE},
	        {"list", no_argument, NULL, O_LIST},
	        {"hold", required_argument, NULL, O_HOLD},
	        {"reason", required_argument, NULL, O_REASON},
	        {"release", required_argument, NULL, O_RELEASE},
	        {"shred", required_argument, NULL, O_SHRED},
	        {"signing-key", required_argument, NULL, O_SIGNKEY},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	const char *repo = NULL, *now = NULL;
	struct xp_err err = {0};
	int c, rc = 0;

	while (rc == 0 && (c = xp_cli_getopt(argc, argv, "r:nh", lo)) != -1) {
		switch (c) {
		case 'r': repo = optarg; break;
		case O_LAST: rc = parse_count("keep-last", optarg, &o->p.keep_last); break;
		case O_WITHIN: rc = parse_duration("keep-within", optarg, &o->p.keep_within); break;
		case O_DAILY: rc = parse_count("keep-daily", optarg, &o->p.keep_daily); break;
		case O_WEEKLY: rc = parse_count("keep-weekly", optarg, &o->p.keep_weekly); break;
		case O_MONTHLY: rc = parse_count("keep-monthly", optarg, &o->p.keep_monthly); break;
		case O_YEARLY: rc = parse_count("keep-yearly", optarg, &o->p.keep_yearly); break;
		case O_MAXAGE: rc = parse_duration("max-age", optarg, &o->p.max_age); break;
		case 'n': o->dry_run = 1; break;
		case O_NOW: now = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_SOURCE: o->source = optarg; break;
		case O_LIST: set_mode(o, LIST, NULL); break;
		case O_HOLD: set_mode(o, HOLD, optarg); break;
		case O_REASON: o->reason = optarg; break;
		case O_RELEASE: set_mode(o, RELEASE, optarg); break;
		case O_SHRED: set_mode(o, SHRED, optarg); break;
		case O_SIGNKEY: o->signing_key = optarg; break;
		case 'h': return xp_cli_help(usage_text);
		case XP_CLI_VERSION: return xp_cli_version();
		default: return XP_EXIT_USAGE;
		}
		if (c >= O_LAST && c <= O_MAXAGE)
			o->have_policy = 1;
	}
	if (rc)
		return rc;
	if (optind < argc)
		return xp_usage_error("%s: unexpected argument", argv[optind]);
	if (o->modes > 1)
		return xp_usage_error("--list, --hold, --release and --shred exclude each other");
	o->repo = xp_repo_path(repo);
	if (!o->repo)
		return xp_usage_error("no repository: give -r REPO or set XP_REPO");
	if ((o->mode == HOLD || o->mode == SHRED) && (!o->reason || !o->reason[0]))
		return xp_usage_error("--%s needs --reason TEXT",
		                      o->mode == HOLD ? "hold" : "shred");
	if (o->reason && o->mode != HOLD && o->mode != SHRED)
		return xp_usage_error("--reason goes with --hold or --shred");
	if (o->mode >= HOLD && (o->have_policy || o->dry_run || now || o->json || o->source))
		return xp_usage_error(
		        "--hold, --release and --shred take no policy or output options");
	if (o->mode == LIST && o->dry_run)
		return xp_usage_error("--list deletes nothing; --dry-run is for expiry");
	if ((o->mode == EXPIRE || o->have_policy) && xp_policy_check(&o->p, &err) < 0)
		return xp_usage_error("%s", err.msg);
	o->now = xp_now();
	if (now && xp_time_parse(now, &o->now, &err) < 0)
		return xp_usage_error("--now: %s", err.msg);
	if (!o->signing_key)
		o->signing_key = xp_keys_default_signing_key();
	return -1;
}

static void run_free(struct run *r)
{
	size_t i;

	for (i = 0; r->failed && i < r->n; i++)
		free(r->failed[i]);
	free(r->failed);
	free(r->e);
	free(r->b);
	free(r->d);
	xp_catalog_free(&r->cat);
}

/* The error for a --source that no backup of the catalog has, naming those it has. */
static int no_source(const char *repo, const char *source, const struct xp_catalog *cat,
                     struct xp_err *err)
{
	char names[256] = "";
	size_t len = 0;

	for (size_t i = 0; i < cat->n && len < sizeof names; i++) {
		const char *s = cat->entries[i].source;
		int seen = 0;

		for (size_t k = 0; s && k < i && !seen; k++)
			seen = cat->entries[k].source && strcmp(cat->entries[k].source, s) == 0;
		if (s && !seen)
			len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
			                        len ? ", " : "", s);
	}
	return xp_err_set(err, XP_EFAIL, "%s: no backup of source %s (%s%s): nothing decided", repo,
	                  source, names[0] ? "its sources: " : "it holds none", names);
}

/* Loads the catalog and decides on every backup of the chosen source (all without one). */
static int decide(const struct args *o, struct run *r, struct xp_err *err)
{
	char t[XP_TIME_LEN];
	size_t i, cap;
	int rc;

	rc = xp_catalog_load(o->repo, &r->cat, err);
	if (rc < 0)
		return rc;
	cap = r->cat.n ? r->cat.n : 1;
	r->e = calloc(cap, sizeof *r->e);
	r->b = calloc(cap, sizeof *r->b);
	r->d = calloc(cap, sizeof *r->d);
	r->failed = calloc(cap, sizeof *r->failed);
	if (!r->e || !r->b || !r->d || !r->failed)
		return xp_err_set(err, XP_ENOMEM, "out of memory for %zu backups", r->cat.n);
	for (i = 0; i < r->cat.n; i++) {
		const struct xp_catalog_entry *e = &r->cat.entries[i];
		struct xp_policy_backup *b = &r->b[r->n];

		if (o->source && strcmp(o->source, e->source ? e->source : "") != 0)
			continue;
		r->e[r->n++] = e;
		b->id = e->id;
		b->source = e->source ? e->source : "";
		b->created = e->created;
		b->has_oldest = e->has_window;
		b->oldest = e->oldest;
		/* a partition leaves by its window's start (policy.h says why) */
		b->partition = e->kind == XP_CATALOG_PARTITION;
		if (b->partition) {
			b->has_oldest = 1;
			b->oldest = e->since;
		}
		b->held = e->hold != NULL;
		b->hold_reason = e->hold;
	}
	/* a --source that names no backup (a typing error) would keep every backup for ever,
	 * each run saying "0 of 0 backups deleted" */
	if (o->source && r->n == 0)
		return no_source(o->repo, o->source, &r->cat, err);
	xp_policy_format(&o->p, r->policy, sizeof r->policy);
	xp_time_format(o->now, t);
	snprintf(r->journal, sizeof r->journal, "%s now %s", r->policy, t);
	if (!o->have_policy)
		return 0;
	return xp_policy_decide(&o->p, r->b, r->n, o->now, r->d, err);
}

/* Deletes what the policy lets go, in one batch (one lock, a catalog rewrite per group). The
 * decision was taken on a catalog read without the lock: a backup sealed meanwhile is newer
 * than all of them and can only push older ones out of their buckets, never back in, and a
 * hold placed meanwhile makes the catalog refuse the deletion; so the deletions stay right.
 * One refusal does not stop the others. */
static int delete_all(const struct args *o, const struct xp_signkey *key, struct run *r,
                      struct xp_err *err)
{
	struct xp_catalog_deletion *v;
	size_t *at, i, todo = 0, bad = 0;
	int rc = 0;

	v = calloc(r->n ? r->n : 1, sizeof *v);
	at = calloc(r->n ? r->n : 1, sizeof *at);
	if (!v || !at) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory for %zu deletions", r->n);
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		if (r->d[i].keep)
			continue;
		v[todo] = (struct xp_catalog_deletion){.id = r->b[i].id, .rule = r->d[i].reason};
		at[todo++] = i;
	}
	if (todo == 0)
		goto out;
	xp_catalog_delete_many(o->repo, key, v, todo, r->journal, err);
	for (i = 0; i < todo; i++) {
		if (v[i].rc == 0)
			continue;
		xp_warn("%s", v[i].err.msg);
		r->failed[at[i]] = strdup(v[i].err.msg);
		if (rc == 0)
			rc = v[i].rc;
		bad++;
	}
	if (bad)
		xp_err_set(err, rc, "%zu of %zu deletions failed", bad, todo);
out:
	free(v);
	free(at);
	return rc;
}

static void json_time(int64_t t, int valid)
{
	char buf[XP_TIME_LEN];

	if (!valid) {
		fputs("null", stdout);
		return;
	}
	xp_time_format(t, buf);
	printf("\"%s\"", buf);
}

static void json_rules(unsigned rules)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{XP_POLICY_HOLD, "hold"},          {XP_POLICY_LAST, "keep-last"},
	             {XP_POLICY_WITHIN, "keep-within"}, {XP_POLICY_DAILY, "keep-daily"},
	             {XP_POLICY_WEEKLY, "keep-weekly"}, {XP_POLICY_MONTHLY, "keep-monthly"},
	             {XP_POLICY_YEARLY, "keep-yearly"}, {XP_POLICY_NORULE, "no-keep-rule"}};
	const char *sep = "";
	size_t k;

	putchar('[');
	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		if (rules & names[k].bit) {
			printf("%s\"%s\"", sep, names[k].name);
			sep = ",";
		}
	}
	putchar(']');
}

/* One backup as a JSON object; with_decision adds the policy's verdict. */
static void json_backup(const struct run *r, size_t i, int with_decision)
{
	const struct xp_catalog_entry *e = r->e[i];
	const struct xp_policy_decision *d = &r->d[i];

	fputs("{\"id\":", stdout);
	xp_json_string(e->id);
	fputs(",\"source\":", stdout);
	if (e->source)
		xp_json_string(e->source);
	else
		fputs("null", stdout);
	printf(",\"state\":\"%s\",\"size\":%" PRIu64 ",\"created\":",
	       xp_catalog_state_name(e->state), e->size);
	json_time(e->created, 1);
	fputs(",\"oldest\":", stdout);
	json_time(e->oldest, e->has_window);
	fputs(",\"newest\":", stdout);
	json_time(e->newest, e->has_window);
	printf(",\"held\":%s,\"hold_reason\":", e->hold ? "true" : "false");
	if (e->hold)
		xp_json_string(e->hold);
	else
		fputs("null", stdout);
	if (with_decision) {
		printf(",\"keep\":%s,\"rules\":", d->keep ? "true" : "false");
		json_rules(d->rules);
		printf(",\"max_age_exceeded\":%s,\"reason\":",
		       d->max_age_exceeded ? "true" : "false");
		xp_json_string(d->reason);
		fputs(",\"until\":", stdout);
		json_time(d->until, d->keep && d->until != XP_POLICY_NEVER);
	}
	if (r->failed[i]) {
		fputs(",\"error\":", stdout);
		xp_json_string(r->failed[i]);
	}
	putchar('}');
}

static void print_json(const struct args *o, const struct run *r)
{
	const char *sep;
	size_t i;
	int pass;

	fputs("{\"now\":", stdout);
	json_time(o->now, 1);
	printf(",\"dry_run\":%s,\"policy\":", o->dry_run ? "true" : "false");
	xp_json_string(o->have_policy ? r->policy : "");
	if (o->mode == LIST && !o->have_policy) {
		fputs(",\"backups\":[", stdout);
		for (i = 0; i < r->n; i++) {
			fputs(i ? "," : "", stdout);
			json_backup(r, i, 0);
		}
		puts("]}");
		return;
	}
	for (pass = 1; pass >= 0; pass--) {
		printf(",\"%s\":[", pass ? "kept" : "deleted");
		for (sep = "", i = 0; i < r->n; i++) {
			if (r->d[i].keep != pass)
				continue;
			fputs(sep, stdout);
			json_backup(r, i, 1);
			sep = ",";
		}
		putchar(']');
	}
	puts("}");
}

static void print_until(const struct xp_policy_decision *d)
{
	char t[XP_TIME_LEN];

	if (d->until == XP_POLICY_NEVER) {
		fputs("never", stdout);
		return;
	}
	xp_time_format(d->until, t);
	fputs(t, stdout);
}

/* One line per backup: "keep ID created T until U: reason" or "delete ID created T: reason". */
static void print_decisions(const struct args *o, const struct run *r)
{
	char t[XP_TIME_LEN];
	size_t i, gone = 0;

	for (i = 0; i < r->n; i++) {
		const struct xp_policy_decision *d = &r->d[i];

		xp_time_format(r->b[i].created, t);
		printf("%s %s created %s", d->keep ? "keep" : "delete", r->b[i].id, t);
		if (d->keep) {
			fputs(" until ", stdout);
			print_until(d);
		} else if (!r->failed[i]) {
			gone++;
		}
		printf(": %s%s\n", d->reason, r->failed[i] ? " (deletion FAILED)" : "");
	}
	printf("%s%zu of %zu backups %s\n", o->dry_run ? "dry run: " : "", gone, r->n,
	       o->dry_run ? "would be deleted" : "deleted");
}

/* A catalog text field in a tab-separated line: control characters show as '?'. */
static void put_field(const char *s)
{
	if (!s || !*s) {
		putchar('-');
		return;
	}
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* --list: every backup with its catalog facts, and the verdict when a policy is given. */
static void print_list(const struct args *o, const struct run *r)
{
	char t[XP_TIME_LEN], w[XP_TIME_LEN];
	size_t i;

	printf("id\tcreated\tstate\toldest\tsize\tsource\t%s\n",
	       o->have_policy ? "verdict\tuntil\treason" : "hold");
	for (i = 0; i < r->n; i++) {
		const struct xp_catalog_entry *e = r->e[i];

		xp_time_format(e->created, t);
		xp_time_format(e->oldest, w);
		printf("%s\t%s\t%s\t%s\t%" PRIu64 "\t", e->id, t, xp_catalog_state_name(e->state),
		       e->has_window ? w : "-", e->size);
		put_field(e->source);
		putchar('\t');
		if (!o->have_policy) {
			put_field(e->hold);
			putchar('\n');
			continue;
		}
		fputs(r->d[i].keep ? "keep\t" : "delete\t", stdout);
		if (r->d[i].keep)
			print_until(&r->d[i]);
		else
			putchar('-');
		printf("\t%s\n", r->d[i].reason);
	}
}

static void on_copy(void *ctx, const struct xp_copy_event *ev)
{
	(void)ctx;
	printf("%s\n", ev->msg);
}

/* After the repository's deletions: removes from every registered copy what the journal says
 * was deleted, whether this run or an earlier one deleted it (a copy that was unreachable
 * then is finished now). A copy that cannot be reached is reported and makes the run fail;
 * the others go on. */
static void on_copy_failed(void *ctx, const struct xp_err *e)
{
	(void)ctx;
	xp_warn("%s (its deletions are finished by the next run)", e->msg);
}

static int expire_copies(const struct args *o, const struct xp_signkey *key, struct xp_err *err)
{
	return xp_copy_expire_all(o->repo, key, o->json ? NULL : on_copy, on_copy_failed, NULL,
	                          err);
}

/* After a change: what it wrote is what this host has seen (a failure is a warning). */
static void trust_seen(const char *repo, const struct xp_trust *t)
{
	struct xp_err e = {0, ""};

	if (xp_trust_seen(repo, t, &e) != 0)
		xp_warn("%s: trust pins not updated: %s", repo, e.msg);
}

static int cmd_expire(const struct args *o, struct xp_err *err)
{
	struct xp_trust t = {0};
	struct xp_signkey *key = NULL;
	struct run r;
	size_t dropped = 0;
	int rc, changing = o->mode == EXPIRE && !o->dry_run;

	memset(&r, 0, sizeof r);
	rc = xp_keys_check_repo(o->repo, err);
	if (rc == 0 && changing)
		rc = xp_cli_trust_marks(o->repo, &t, err);
	if (rc == 0 && changing)
		rc = xp_sign_load_key(o->signing_key, &key, err);
	/* A deletion a crash interrupted after the catalog was rewritten is no longer in the
	 * catalog, so no decision below would touch it: finish it first, whatever this run
	 * deletes. */
	if (rc == 0 && changing)
		rc = xp_catalog_recover(o->repo, key, err);
	if (rc == 0)
		rc = decide(o, &r, err);
	if (rc < 0)
		goto out;
	if (changing)
		rc = delete_all(o, key, &r, err);
	/* Keys of backups gone (this run's, or a vault restored from an old host backup). */
	if (changing && rc == 0)
		rc = xp_catalog_drop_keys(o->repo, key, &dropped, err);
	if (changing && rc == 0)
		trust_seen(o->repo, &t);
	if (o->json)
		print_json(o, &r);
	else if (o->mode == LIST)
		print_list(o, &r);
	else
		print_decisions(o, &r);
	if (dropped && !o->json)
		printf("destroyed the keys left of %zu deleted or shredded backups\n", dropped);
	if (changing && rc == 0)
		rc = expire_copies(o, key, err);
	if (changing && rc == 0)
		trust_seen(o->repo, &t);
out:
	xp_sign_free_key(key);
	xp_trust_free(&t);
	run_free(&r);
	return rc;
}

/* --hold, --release, --shred: one backup, by id. */
static int cmd_change(const struct args *o, struct xp_err *err)
{
	struct xp_catalog cat;
	struct xp_signkey *key = NULL;
	struct xp_trust t = {0};
	int rc;

	memset(&cat, 0, sizeof cat);
	rc = xp_keys_check_repo(o->repo, err);
	if (rc == 0)
		rc = xp_cli_trust_marks(o->repo, &t, err);
	if (rc < 0)
		goto out;
	rc = xp_catalog_load(o->repo, &cat, err);
	if (rc < 0)
		goto out;
	if (!xp_catalog_find(&cat, o->id)) {
		rc = xp_err_set(err, XP_ENOENT, "%s: no such backup", o->id);
		goto out;
	}
	rc = xp_sign_load_key(o->signing_key, &key, err);
	if (rc < 0)
		goto out;
	if (o->mode == HOLD)
		rc = xp_catalog_hold(o->repo, key, o->id, o->reason, err);
	else if (o->mode == RELEASE)
		rc = xp_catalog_release(o->repo, key, o->id, err);
	else
		rc = xp_catalog_shred(o->repo, key, o->id, o->reason, err);
	if (rc == XP_ENOENT) /* deleted since we looked */
		xp_err_set(err, XP_ENOENT, "%s: no such backup", o->id);
	if (rc == 0)
		trust_seen(o->repo, &t);
	if (rc == 0)
		printf("%s %s\n",
		       o->mode == HOLD      ? "held"
		       : o->mode == RELEASE ? "released"
		                            : "shredded",
		       o->id);
out:
	xp_sign_free_key(key);
	xp_trust_free(&t);
	xp_catalog_free(&cat);
	return rc;
}

/* What a change cleaned up on the way (a temp file of an interrupted seal) or could not finish
 * (a vault copy not reached): one line. */
static int vault_unreached;

static void on_notice(void *ctx, const struct xp_catalog_finding *f)
{
	(void)ctx;
	vault_unreached |= f->kind == XP_FIND_VAULT;
	xp_warn("%s", f->msg);
}

int main(int argc, char **argv)
{
	struct args o;
	struct xp_err err = {0};
	int rc;

	xp_progname = "xpexpire";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	xp_catalog_set_notice(on_notice, NULL);
	memset(&o, 0, sizeof o);
	rc = parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.mode == EXPIRE || o.mode == LIST)
		rc = cmd_expire(&o, &err);
	else
		rc = cmd_change(&o, &err);
	if (rc == 0)
		rc = xp_cli_flush_stdout(&err);
	/* So that cron mails it: a key still on a vault copy is a shredding not yet done. */
	if (rc == 0 && vault_unreached)
		rc = xp_err_set(
		        &err, XP_EFAIL,
		        "%s: shredding not finished on every vault copy (see above); the next "
		        "run that reaches them finishes it",
		        o.repo);
	return rc < 0 ? xp_fail(&err) : XP_EXIT_OK;
}
