/* xpseal: seal a dump stream into a repository, open it again, manage the repository keys. */
#include "config.h"

#include "repo/catalog.h"
#include "repo/erase.h"
#include "cli/cli.h"
#include "stream/dump.h"
#include "repo/keys.h"
#include "repo/partition.h"
#include "repo/range.h"
#include "repo/rekey.h"
#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "repo/trust.h"
#include "repo/vault.h"
#include "base/err.h"
#include "base/os.h"
#include "base/time.h"
#include "base/afile.h"
#include "base/parse.h"
#include "base/encode.h"
#include "cli/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <sodium.h>

static const char usage_text[] =
        "usage: xpseal -r REPO [--source NAME] [--signing-key F] [--shreddable] [-i FILE] [-q]\n"
        "              [--json] [--require-dump] [--partition] [--level N]\n"
        "       xpseal window -r REPO [--source NAME] --max-age D [--grace D] [--signing-key F]\n"
        "       xpseal init -r REPO [--password-file F] [--signing-key F] [--strong] "
        "[--shreddable]\n"
        "       xpseal open -r REPO [--password-file F] [-p PUBKEY] [--vault DIR] [-o FILE]\n"
        "              [--ignore-erasures] ID|FILE\n"
        "       xpseal open -r REPO [--password-file F] [-p PUBKEY] [-o FILE] [--source NAME]\n"
        "              [--since T] [--until T] [--partial] [--ignore-erasures]\n"
        "       xpseal passwd -r REPO [--password-file F] [--new-password-file F] [--strong]\n"
        "       xpseal rekey -r REPO [--password-file F] [--signing-key F]\n"
        "       xpseal trust -r REPO [--reset] [--yes REPOSITORY-ID KEY-ID SIGNER-ID]\n"
        "       xpseal vault add|remove -r REPO DIR | list -r REPO | sync -r REPO "
        "[--signing-key F]\n"
        "       xpseal vault migrate -r REPO\n"
        "       xpseal --help | --version\n"
        "\n"
        "Seals standard input (a dump stream) into REPO and prints the backup id; needs no\n"
        "password. `open` writes a backup's original bytes to standard output and needs the\n"
        "configuration password. `rekey` rotates the repository key pair. `trust` pins the "
        "repository's keys on this host. `window` prints the next partition's window. `vault`\n"
        "manages where shreddable backups' keys are kept.\n"
        "See xpseal(1).\n";

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the sealing loop shows and hands on while it reads the plaintext. */
struct observer {
	int progress; /* print a progress line on stderr */
	double start, shown;
	uint64_t bytes;
	struct xp_dump_tap *tap; /* source and data window of a dump stream, for the catalog */
	const char *source;      /* --source, or NULL */
	int kind;                /* XP_CATALOG_PARTITION with --partition */
	const char *repo;
	struct xp_sign_pub signer; /* the one trusted, for the catalog a partition must fit */
};

static void progress_show(struct observer *o, double t, const char *end)
{
	o->shown = t;
	fprintf(stderr, "\r%s: %.1f MB read, %.1f MB/s  %s", xp_progname, (double)o->bytes / 1e6,
	        t > o->start ? (double)o->bytes / 1e6 / (t - o->start) : 0.0, end);
}

static void observe(void *ctx, const void *buf, size_t n)
{
	struct observer *o = ctx;
	double t;

	o->bytes += n;
	xp_dump_tap_feed(o->tap, buf, n);
	if (!o->progress)
		return;
	t = now_seconds();
	if (t - o->shown >= 0.5)
		progress_show(o, t, "");
}

static void print_json(const struct xp_seal_info *info, const char *path, double seconds)
{
	char created[XP_TIME_LEN];
	char hash[2 * XP_SEAL_HASH_LEN + 1];

	xp_time_format(info->created, created);
	xp_hex(info->hash, sizeof info->hash, hash);
	printf("{\"id\":\"%s\",\"path\":", info->id);
	xp_json_string(path);
	printf(",\"bytes_in\":%llu,\"bytes_out\":%llu,\"created\":\"%s\",\"seconds\":%.3f,"
	       "\"blake2b\":\"%s\",\"workers\":%d,\"level\":%d}\n",
	       (unsigned long long)info->bytes_in, (unsigned long long)info->bytes_out, created,
	       seconds, hash, info->workers, info->level);
}

enum {
	OPT_PASSWORD_FILE = 256,
	OPT_NEW_PASSWORD_FILE,
	OPT_SIGNING_KEY,
	OPT_STRONG,
	OPT_SHREDDABLE,
	OPT_SOURCE,
	OPT_JSON,
	OPT_REQUIRE_DUMP,
	OPT_YES,
	OPT_RESET,
	OPT_PARTITION,
	OPT_MAX_AGE,
	OPT_GRACE,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_VAULT,
	OPT_LEVEL,
	OPT_IGNORE_ERASURES,
	OPT_PARTIAL,
};

static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"repo", required_argument, NULL, 'r'},
        {"repository", required_argument, NULL, 'r'}, /* the old name, still accepted */
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
        {"new-password-file", required_argument, NULL, OPT_NEW_PASSWORD_FILE},
        {"signing-key", required_argument, NULL, OPT_SIGNING_KEY},
        {"strong", no_argument, NULL, OPT_STRONG},
        {"shreddable", no_argument, NULL, OPT_SHREDDABLE},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"json", no_argument, NULL, OPT_JSON},
        {"require-dump", no_argument, NULL, OPT_REQUIRE_DUMP},
        {"pubkey", required_argument, NULL, 'p'},
        {"yes", no_argument, NULL, OPT_YES},
        {"reset", no_argument, NULL, OPT_RESET},
        {"partition", no_argument, NULL, OPT_PARTITION},
        {"max-age", required_argument, NULL, OPT_MAX_AGE},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"vault", required_argument, NULL, OPT_VAULT},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"ignore-erasures", no_argument, NULL, OPT_IGNORE_ERASURES},
        {"partial", no_argument, NULL, OPT_PARTIAL},
        XP_CLI_VERSION_OPTION,
        {NULL, 0, NULL, 0},
};

enum cmd { CMD_SEAL, CMD_INIT, CMD_OPEN, CMD_PASSWD, CMD_REKEY, CMD_TRUST, CMD_WINDOW, CMD_VAULT };
enum vault_cmd { VAULT_ADD, VAULT_REMOVE, VAULT_LIST, VAULT_SYNC, VAULT_MIGRATE };

/* Which options each command takes: the letters of its short options and "P" password file,
 * "N" new password file, "K" signing key, "S" strong, "D" shreddable, "U" source, "J" json,
 * "X" require a dump stream, "Y" yes, "R" reset, "T" partition, "M" max-age, "G" grace,
 * "A" since, "B" until, "L" level, "V" a vault copy to read, "E" ignore erasures, "W" partial. */
static const char *const allowed[] = {
        [CMD_SEAL] = "riqKDUJXTL", [CMD_INIT] = "rPKSD", [CMD_OPEN] = "roPpUABVEW",
        [CMD_PASSWD] = "rPNS",     [CMD_REKEY] = "rPK",  [CMD_TRUST] = "rYR",
        [CMD_WINDOW] = "rUKMG",    [CMD_VAULT] = "rK",
};

struct args {
	enum cmd cmd;
	const char *repo, *input, *output, *password_file, *new_password_file, *signing_key;
	const char *source, *target, *pubkey, *vault;
	const char *expect[3]; /* trust --yes: repository id, repository key id, signer id */
	int quiet, strong, shreddable, json, require_dump, yes, reset, partition;
	int ignore_erasures;      /* open: restore everything, the erasure ledger not applied */
	int partial;              /* open --since/--until: uncovered ends accepted */
	int64_t max_age, grace;   /* window: seconds; 0 max_age when not given */
	int has_since, has_until; /* open --since/--until: a range of partitions */
	int64_t since, until;
	enum vault_cmd vault_cmd;
	const char *vault_dir; /* vault add DIR */
	int level;             /* --level; 0: the default */
};

static int option_letter(int c)
{
	switch (c) {
	case OPT_PASSWORD_FILE: return 'P';
	case OPT_NEW_PASSWORD_FILE: return 'N';
	case OPT_SIGNING_KEY: return 'K';
	case OPT_STRONG: return 'S';
	case OPT_SHREDDABLE: return 'D';
	case OPT_SOURCE: return 'U';
	case OPT_JSON: return 'J';
	case OPT_REQUIRE_DUMP: return 'X';
	case OPT_YES: return 'Y';
	case OPT_RESET: return 'R';
	case OPT_PARTITION: return 'T';
	case OPT_MAX_AGE: return 'M';
	case OPT_GRACE: return 'G';
	case OPT_SINCE: return 'A';
	case OPT_UNTIL: return 'B';
	case OPT_VAULT: return 'V';
	case OPT_LEVEL: return 'L';
	case OPT_IGNORE_ERASURES: return 'E';
	case OPT_PARTIAL: return 'W';
	default: return c;
	}
}

/* Parses argv into a; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
	static const char *const names[] = {"seal",  "init",  "open",   "passwd",
	                                    "rekey", "trust", "window", "vault"};
	static const char *const vault_names[] = {"add", "remove", "list", "sync", "migrate"};
	struct xp_err err = {0};
	int c;

	a->cmd = CMD_SEAL;
	if (argc > 1 && argv[1][0] != '-') {
		for (a->cmd = CMD_INIT; a->cmd <= CMD_VAULT; a->cmd++)
			if (strcmp(argv[1], names[a->cmd]) == 0)
				break;
		if (a->cmd > CMD_VAULT)
			return xp_usage_error("unknown command '%s'", argv[1]);
		argc--;
		argv++;
	}
	if (a->cmd == CMD_VAULT) {
		if (argc < 2 || argv[1][0] == '-')
			return xp_usage_error("vault: say add, remove, list, sync or migrate");
		for (a->vault_cmd = VAULT_ADD; a->vault_cmd <= VAULT_MIGRATE; a->vault_cmd++)
			if (strcmp(argv[1], vault_names[a->vault_cmd]) == 0)
				break;
		if (a->vault_cmd > VAULT_MIGRATE)
			return xp_usage_error("vault: unknown command '%s'", argv[1]);
		argc--;
		argv++;
	}
	while ((c = xp_cli_getopt(argc, argv, "hr:i:o:qp:", options)) != -1) {
		if (c == 'h')
			return xp_cli_help(usage_text);
		if (c == XP_CLI_VERSION)
			return xp_cli_version();
		if (c == XP_CLI_BAD)
			return XP_EXIT_USAGE;
		if (!strchr(allowed[a->cmd], option_letter(c)))
			return xp_usage_error("%s: option '%s' does not apply", names[a->cmd],
			                      argv[optind - 1]);
		switch (c) {
		case 'r': a->repo = optarg; break;
		case 'i': a->input = optarg; break;
		case 'o': a->output = optarg; break;
		case 'q': a->quiet = 1; break;
		case OPT_PASSWORD_FILE: a->password_file = optarg; break;
		case OPT_NEW_PASSWORD_FILE: a->new_password_file = optarg; break;
		case OPT_SIGNING_KEY: a->signing_key = optarg; break;
		case OPT_STRONG: a->strong = 1; break;
		case OPT_SHREDDABLE: a->shreddable = 1; break;
		case OPT_SOURCE: a->source = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_REQUIRE_DUMP: a->require_dump = 1; break;
		case 'p': a->pubkey = optarg; break;
		case OPT_YES: a->yes = 1; break;
		case OPT_RESET: a->reset = 1; break;
		case OPT_VAULT: a->vault = optarg; break;
		case OPT_PARTITION: a->partition = 1; break;
		case OPT_IGNORE_ERASURES: a->ignore_erasures = 1; break;
		case OPT_PARTIAL: a->partial = 1; break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (xp_time_parse(optarg, c == OPT_SINCE ? &a->since : &a->until, &err))
				return xp_usage_error(
				        "%s %s: not a time (like 2026-11-01T00:00:00Z)",
				        argv[optind - 1], optarg);
			*(c == OPT_SINCE ? &a->has_since : &a->has_until) = 1;
			break;
		case OPT_MAX_AGE:
		case OPT_GRACE:
			if (xp_duration_parse(optarg, c == OPT_MAX_AGE ? &a->max_age : &a->grace,
			                      &err) ||
			    (c == OPT_MAX_AGE && a->max_age <= 0))
				return xp_usage_error("%s %s: not a duration (like 90d, 5m)",
				                      argv[optind - 1], optarg);
			break;
		case OPT_LEVEL:
			if (xp_seal_level_parse(optarg, &a->level, &err) != 0)
				return xp_usage_error("%s", err.msg);
			break;
		}
	}
	if (a->cmd == CMD_WINDOW && !a->max_age)
		return xp_usage_error("window: give --max-age (the first window starts at the "
		                      "oldest row it allows)");
	if (a->partition && !a->require_dump)
		return xp_usage_error("--partition needs --require-dump: only a complete dump of "
		                      "one window is a partition");
	if (a->vault && (a->has_since || a->has_until))
		return xp_usage_error("open: --vault goes with one backup (ID or FILE)");
	if (a->cmd == CMD_OPEN && (a->has_since || a->has_until)) {
		if (a->has_since && a->has_until && a->since >= a->until)
			return xp_usage_error("open: --until is not after --since");
		if (xp_cli_clear_output(a->output, &err))
			return xp_usage_error("%s", err.msg);
	} else if (a->cmd == CMD_OPEN) {
		if (a->partial)
			return xp_usage_error(
			        "open: --partial goes with a range (--since, --until)");
		if (a->source)
			return xp_usage_error(
			        "open: --source selects partitions by --since/--until");
		if (optind != argc - 1)
			return xp_usage_error("open: name one backup (ID or FILE), or a range of "
			                      "partitions (--since, --until)");
		a->target = argv[optind++];
		if (xp_cli_clear_output(a->output, &err))
			return xp_usage_error("%s", err.msg);
	}
	if (a->cmd == CMD_TRUST && a->yes) {
		if (argc - optind != 3)
			return xp_usage_error("trust --yes: give the expected REPOSITORY-ID KEY-ID "
			                      "SIGNER-ID (as `xpseal trust -r REPO` shows them)");
		for (int i = 0; i < 3; i++)
			a->expect[i] = argv[optind++];
	}
	if (a->cmd == CMD_VAULT && (a->vault_cmd == VAULT_ADD || a->vault_cmd == VAULT_REMOVE)) {
		if (optind != argc - 1)
			return xp_usage_error("vault %s: name one directory",
			                      vault_names[a->vault_cmd]);
		a->vault_dir = argv[optind++];
	}
	if (a->cmd == CMD_VAULT && a->signing_key && a->vault_cmd != VAULT_SYNC)
		return xp_usage_error("vault: --signing-key goes with sync");
	if (optind < argc)
		return xp_usage_error("unexpected argument '%s'", argv[optind]);
	a->repo = xp_repo_path(a->repo);
	if (!a->repo)
		return xp_usage_error("no repository: give -r REPO or set XP_REPO");
	if (!a->signing_key)
		a->signing_key = xp_keys_default_signing_key();
	return -1;
}

/* Checks REPO against this host's pins and says once when a first use pinned it. */
static int check_trust(const struct args *a, unsigned flags, const struct xp_keys_bound *b,
                       struct xp_trust *t, struct xp_err *err)
{
	struct xp_trust_opts o = {.flags = flags, .pubkey = a->pubkey, .bound = b};
	char note[512];
	int rc;

	rc = xp_trust_check(a->repo, &o, t, err);
	if (rc == 0 && t->pinned_now && !(flags & XP_TRUST_RESET)) {
		xp_trust_first_use(t, a->repo, note, sizeof note);
		xp_warn("%s", note);
	}
	return rc;
}

/* After a run that verified or wrote the catalog: a failure to record it is a warning. */
static void trust_seen(const struct args *a, const struct xp_trust *t)
{
	struct xp_err e = {0, ""};

	if (xp_trust_seen(a->repo, t, &e) != 0)
		xp_warn("%s: trust pins not updated: %s", a->repo, e.msg);
}

static int cmd_init(const struct args *a, struct xp_err *err)
{
	struct xp_trust t = {0};
	char *pw = NULL;
	size_t len = 0;
	int rc;

	rc = xp_secret_password(a->password_file, "New configuration password: ", 1, &pw, &len,
	                        err);
	if (rc == 0)
		rc = xp_seal_repo_init(a->repo, pw, len, a->signing_key, a->strong, a->shreddable,
		                       err);
	/* The host that makes a repository trusts what it made. */
	if (rc == 0)
		rc = check_trust(a, XP_TRUST_RESET, NULL, &t, err);
	xp_trust_free(&t);
	xp_secret_free(pw);
	return rc;
}

/* --partition: a dump of one window that no partition of its source in the signed catalog
 * holds already, checked before anything is visible (the catalog checks again under its
 * lock). */
static int fits(struct observer *o, const struct xp_dump_brief *brief, struct xp_err *err)
{
	struct xp_catalog cat = {0};
	struct xp_catalog_entry e = {.kind = XP_CATALOG_PARTITION};
	const struct xp_catalog_entry *other;
	char a[XP_TIME_LEN], b[XP_TIME_LEN];
	int rc;

	rc = xp_seal_partition_ok(brief, err);
	if (rc == 0)
		rc = xp_catalog_load_signed(o->repo, &o->signer, &cat, err);
	if (rc)
		goto out;
	e.source = (char *)(o->source && *o->source ? o->source : brief->source);
	e.since = brief->since;
	e.until = brief->until;
	other = xp_catalog_partition_overlap(&cat, &e);
	if (other) {
		xp_time_format(other->since, a);
		xp_time_format(other->until, b);
		rc = xp_err_set(err, XP_EFAIL,
		                "partition %s holds %s to %s already, which this window meets: a "
		                "window is sealed once; nothing sealed",
		                other->id, a, b);
	}
out:
	xp_catalog_free(&cat);
	return rc;
}

/* --require-dump: a dump that died part way never becomes a backup; with --partition, nor
 * does one without a whole window. */
static int require_dump(void *ctx, struct xp_err *err)
{
	struct observer *o = ctx;
	struct xp_dump_brief brief;

	if (xp_dump_tap_result(o->tap, &brief) != 1)
		return xp_err_set(err, XP_EFAIL,
		                  "input is not a complete dump stream (%s): nothing sealed",
		                  xp_dump_tap_why(o->tap));
	return o->kind == XP_CATALOG_PARTITION ? fits(o, &brief, err) : 0;
}

/* The signature carries what the catalog needs, so the backup keeps it if adopted. */
static int annotate(void *ctx, char **fields, struct xp_err *err)
{
	struct observer *o = ctx;
	struct xp_dump_brief brief;

	return xp_seal_sig_fields(xp_dump_tap_result(o->tap, &brief) ? &brief : NULL, o->source,
	                          o->kind, fields, err);
}

static int cmd_seal(const struct args *a, struct xp_err *err)
{
	struct observer obs = {.progress = !a->quiet && !a->json && isatty(STDERR_FILENO),
	                       .source = a->source,
	                       .kind = a->partition ? XP_CATALOG_PARTITION : XP_CATALOG_FULL};
	struct xp_seal_backup_opts o = {.shreddable = a->shreddable,
	                                .level = a->level,
	                                .observe = observe,
	                                .observe_ctx = &obs,
	                                .accept = a->require_dump ? require_dump : NULL,
	                                .annotate = annotate};
	struct xp_signkey *key = NULL;
	struct xp_seal_info info;
	struct xp_dump_brief brief;
	struct xp_trust t = {0};
	char *path = NULL;
	int fd = STDIN_FILENO, rc;

	if (!xp_cli_stdio(a->input)) {
		fd = xp_os_open(a->input, O_RDONLY, 0);
		if (fd < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "%s", a->input);
			goto out;
		}
	}
	if ((rc = check_trust(a, XP_TRUST_MARKS, NULL, &t, err)) != 0 ||
	    (rc = xp_sign_load_key(a->signing_key, &key, err)) != 0)
		goto out;
	o.key = key;
	o.key_id = t.key_id;
	obs.repo = a->repo;
	xp_sign_pub_from(t.signer, &obs.signer);
	obs.tap = xp_dump_tap_new();
	if (!obs.tap) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	obs.start = obs.shown = now_seconds();
	rc = xp_seal_backup(a->repo, fd, &o, &info, &path, err);
	if (obs.progress)
		progress_show(&obs, now_seconds(), "\n");
	if (rc)
		goto out;
	/* The backup is complete on disk: now the catalog may name it. */
	rc = xp_seal_catalog_add(a->repo, key, &info,
	                         xp_dump_tap_result(obs.tap, &brief) ? &brief : NULL, a->source,
	                         obs.kind, err);
	if (rc) {
		xp_err_prefix(err,
		              "%s: sealed, but not in the catalog (xpverify --adopt takes it in)",
		              info.id);
		goto out;
	}
	trust_seen(a, &t);
	if (info.vault_missed)
		xp_warn("%s: backup %s: %zu vault cop%s could not take its key (xpseal vault list; "
		        "xpseal vault sync copies it)",
		        a->repo, info.id, info.vault_missed, info.vault_missed == 1 ? "y" : "ies");
	if (a->json)
		print_json(&info, path, now_seconds() - obs.start);
	else
		printf("%s\n", info.id);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = xp_err_sys(err, XP_EFAIL, "standard output");
out:
	if (fd != STDIN_FILENO && fd >= 0)
		close(fd);
	xp_sign_free_key(key);
	xp_dump_tap_free(obs.tap);
	xp_trust_free(&t);
	free(path);
	return rc;
}

/* A private copy of path, checked from one read against the trusted signer (xp_seal_fetch). */
static int fetch_backup(const char *repo, const char *path, const struct xp_trust *t, int *fd,
                        struct xp_err *err)
{
	struct xp_sign_pub signer;

	xp_sign_pub_from(t->signer, &signer);
	return xp_seal_fetch(repo, path, NULL, &signer, fd, err);
}

/* The erasure ledger that open applies (xperase(1)): checked against the trusted signer. With
 * --ignore-erasures none is applied, which is said loudly and journaled for what (named by
 * what) is opened. */
static int ledger(const struct args *a, const struct xp_sign_pub *signer, const char *what,
                  struct xp_erase_ledger *l, struct xp_err *err)
{
	char reason[600];
	int rc;

	rc = xp_erase_load(a->repo, signer, l, err);
	if (!a->ignore_erasures) {
		if (rc == XP_EINTEGRITY)
			snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
			         " (nothing restored; --ignore-erasures restores everything)");
		return rc;
	}
	snprintf(reason, sizeof reason, "opened with --ignore-erasures: %s",
	         rc ? err->msg : "the ledger was not applied");
	xp_warn("WARNING: %s: the erasure ledger is NOT applied: rows that erasure requests "
	        "cover are restored (%s)",
	        what, rc ? err->msg : "--ignore-erasures");
	xp_erase_ledger_free(l);
	return xp_journal_append(a->repo, NULL, "erasures-ignored", reason, what, err);
}

/* Says what the ledger withheld. */
static void withheld(const struct args *a, const struct xp_erase_ledger *l,
                     const struct xp_erase_counts *c)
{
	for (size_t i = 0; !a->quiet && c->rows && i < l->n; i++)
		if (c->rows[i])
			xp_warn("%llu row%s withheld by erasure request %s",
			        (unsigned long long)c->rows[i], c->rows[i] == 1 ? "" : "s",
			        l->e[i].ref);
}

static int cmd_open(const struct args *a, struct xp_err *err)
{
	struct xp_erase_ledger l = {0};
	struct xp_erase_counts c = {0};
	struct xp_sign_pub signer;
	struct xp_afile out = {.fd = -1};
	struct xp_trust t = {0};
	struct xp_keys_bound b;
	char *path = NULL, *pw = NULL, said[160];
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	size_t len = 0;
	int to_file = !xp_cli_stdio(a->output);
	int fd = -1, early, rc;

	if (!sk)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_seal_locate(a->repo, a->target, &path, err)) != 0 ||
	    (rc = xp_trust_describe(a->repo, &t, err)) != 0)
		goto out;
	/* With a pin or -p, a file that is not ours is refused before any password; without,
	 * the signer comes from what the password unlocks. */
	early = t.had_pins || a->pubkey;
	xp_trust_free(&t);
	if (early && ((rc = check_trust(a, 0, NULL, &t, err)) != 0 ||
	              (rc = fetch_backup(a->repo, path, &t, &fd, err)) != 0))
		goto out;
	xp_trust_free(&t);
	if ((rc = xp_secret_password(a->password_file, "Configuration password: ", 0, &pw, &len,
	                             err)) != 0 ||
	    (rc = xp_keys_unlock_bound(a->repo, pw, len, sk, &b, err)) != 0)
		goto out;
	if (!b.present)
		xp_warn("%s: keys/repo.key is of an older format that does not carry the signer's "
		        "key: the password cannot vouch for keys/signer.pub",
		        a->repo);
	if ((rc = check_trust(a, 0, &b, &t, err)) != 0 ||
	    (!early && (rc = fetch_backup(a->repo, path, &t, &fd, err)) != 0))
		goto out;
	/* The pinned signer is the rule; any other is named. */
	if (!t.pinned_now && t.from != XP_TRUST_FROM_PIN) {
		xp_trust_describe_signer(&t, said, sizeof said);
		xp_warn("%s: %s", a->repo, said);
	}
	xp_sign_pub_from(t.signer, &signer);
	if ((rc = ledger(a, &signer, a->target, &l, err)) != 0)
		goto out;
	if (to_file && (rc = xp_afile_open_output(&out, a->output, 0600, err)) != 0)
		goto out;
	rc = xp_erase_open(a->repo, fd, path, sk, a->vault, &l, to_file ? out.fd : STDOUT_FILENO,
	                   to_file ? a->output : NULL, &c, err);
	if (rc == 0 && to_file)
		rc = xp_afile_commit(&out, err);
	if (rc == 0)
		withheld(a, &l, &c);
out:
	xp_erase_counts_free(&c);
	xp_erase_ledger_free(&l);
	if (fd >= 0)
		close(fd);
	xp_afile_abort(&out);
	xp_trust_free(&t);
	xp_secret_free(pw);
	xp_secret_free(sk);
	free(path);
	return rc;
}

struct range_write {
	const struct xp_range *r;
	const size_t *idx;
	size_t n;
	const struct xp_sign_pub *signer;
	const uint8_t *sk;
	const char *outname;
};

static int range_write(void *ctx, int out, struct xp_err *err)
{
	struct range_write *w = ctx;

	return xp_range_write(w->r, w->idx, w->n, w->signer, w->sk, out, w->outname, err);
}

/* open --since/--until: the partitions of a source that meet the range, as one dump stream,
 * from the catalog as the trusted signer signed it. */
static int cmd_open_range(const struct args *a, struct xp_err *err)
{
	struct xp_range r = {.repo = a->repo,
	                     .source = a->source,
	                     .has_since = a->has_since,
	                     .has_until = a->has_until,
	                     .since = a->since,
	                     .until = a->until,
	                     .partial = a->partial};
	struct xp_range_cover cover;
	struct xp_afile out = {.fd = -1};
	struct xp_catalog cat = {0};
	struct xp_trust t = {0};
	struct xp_keys_bound b;
	struct xp_sign_pub signer;
	struct xp_erase_ledger l = {0};
	struct xp_erase_counts c = {0};
	struct range_write rw;
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	char *pw = NULL, what[128];
	size_t len = 0, *idx = NULL, n = 0;
	int to_file = !xp_cli_stdio(a->output);
	int rc;

	if (!sk)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_secret_password(a->password_file, "Configuration password: ", 0, &pw, &len,
	                             err)) != 0 ||
	    (rc = xp_keys_unlock_bound(a->repo, pw, len, sk, &b, err)) != 0 ||
	    (rc = check_trust(a, 0, &b, &t, err)) != 0)
		goto out;
	xp_sign_pub_from(t.signer, &signer);
	r.cat = &cat;
	if ((rc = xp_catalog_load_signed(a->repo, &signer, &cat, err)) != 0 ||
	    (rc = xp_range_select(&r, &idx, &n, &cover, err)) != 0 ||
	    (rc = ledger(a, &signer, a->source ? a->source : "the range", &l, err)) != 0)
		goto out;
	if (cover.head || cover.tail) {
		xp_range_cover_describe(&r, &cover, what, sizeof what);
		xp_warn("%s: %s of the range is in no partition: the stream holds only what the "
		        "partitions cover",
		        a->repo, what);
	}
	if (to_file && (rc = xp_afile_open_output(&out, a->output, 0600, err)) != 0)
		goto out;
	rw = (struct range_write){&r, idx, n, &signer, sk, to_file ? a->output : NULL};
	rc = xp_erase_through(&l, sk, range_write, &rw, to_file ? out.fd : STDOUT_FILENO,
	                      to_file ? a->output : NULL, &c, err);
	if (rc == 0 && to_file)
		rc = xp_afile_commit(&out, err);
	if (rc == 0)
		withheld(a, &l, &c);
out:
	xp_erase_counts_free(&c);
	xp_erase_ledger_free(&l);
	xp_afile_abort(&out);
	xp_catalog_free(&cat);
	xp_trust_free(&t);
	xp_secret_free(pw);
	xp_secret_free(sk);
	free(idx);
	return rc;
}

static int cmd_passwd(const struct args *a, struct xp_err *err)
{
	char *old = NULL, *pw = NULL;
	size_t oldlen = 0, len = 0;
	int rc;

	rc = xp_secret_password(a->password_file, "Current configuration password: ", 0, &old,
	                        &oldlen, err);
	if (rc)
		goto out;
	/* XP_PASSWORD_FILE holds the current password: the new one comes from its own file or
	 * the terminal. */
	if (!a->new_password_file)
		xp_os_unsetenv("XP_PASSWORD_FILE");
	rc = xp_secret_password(a->new_password_file, "New configuration password: ", 1, &pw, &len,
	                        err);
	if (rc == 0)
		rc = xp_keys_passwd(a->repo, old, oldlen, pw, len, a->strong, err);
out:
	xp_secret_free(old);
	xp_secret_free(pw);
	return rc;
}

/* Checks the repository against the pins; a rotation this host began may have pinned its new
 * key already, which the password must then unlock. */
static int rekey_trust(const struct args *a, const char *pw, size_t len, struct xp_trust *t,
                       struct xp_err *err)
{
	uint8_t pk[XP_KEYS_PK_LEN], kid[XP_KEYS_ID_LEN];
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	struct xp_trust_opts o = {.flags = XP_TRUST_MARKS};
	struct xp_keys_bound b;
	int rc;

	if (!sk)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_keys_rotate_pending(a->repo, err);
	if (rc == 1 && (rc = xp_keys_rotate_unlock(a->repo, pw, len, pk, sk, &b, err)) == 0) {
		xp_keys_id(pk, kid);
		o.rotating = kid;
		o.bound = &b;
	}
	if (rc == 0)
		rc = xp_trust_check(a->repo, &o, t, err);
	xp_secret_free(sk);
	return rc;
}

static int cmd_rekey(const struct args *a, struct xp_err *err)
{
	struct xp_signkey *key = NULL;
	struct xp_rekey_result res;
	struct xp_trust t = {0};
	char oldhex[2 * XP_KEYS_ID_LEN + 1], newhex[2 * XP_KEYS_ID_LEN + 1];
	char *pw = NULL;
	size_t len = 0;
	int rc;

	if ((rc = xp_keys_check_repo(a->repo, err)) != 0 ||
	    (rc = xp_secret_password(a->password_file, "Configuration password: ", 0, &pw, &len,
	                             err)) != 0 ||
	    (rc = rekey_trust(a, pw, len, &t, err)) != 0 ||
	    (rc = xp_sign_load_key(a->signing_key, &key, err)) != 0 ||
	    (rc = xp_rekey(a->repo, key, t.signer_path, pw, len, &res, err)) != 0)
		goto out;
	trust_seen(a, &t);
	if (res.missing)
		xp_warn("%s: %zu backup(s) in the catalog are missing and were not re-sealed "
		        "(xpverify -r lists them)",
		        a->repo, res.missing);
	if (res.vault_missed)
		xp_warn("%s: %zu new key file(s) did not reach every vault copy (xpseal vault "
		        "sync)",
		        a->repo, res.vault_missed);
	sodium_bin2hex(oldhex, sizeof oldhex, res.old_id, sizeof res.old_id);
	sodium_bin2hex(newhex, sizeof newhex, res.new_id, sizeof res.new_id);
	printf("repo-key %s (was %s)\n%zu backup(s) re-sealed%s\n", newhex, oldhex, res.resealed,
	       res.resumed ? ", finishing an interrupted rotation" : "");
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = xp_err_sys(err, XP_EFAIL, "standard output");
out:
	xp_sign_free_key(key);
	xp_trust_free(&t);
	xp_secret_free(pw);
	return rc;
}

/* Asks on the terminal; 0 when the answer is yes. */
static int confirm(const char *repo, struct xp_err *err)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return xp_err_set(err, XP_EUSAGE,
		                  "trust: standard input is not a terminal: give --yes and the "
		                  "expected ids");
	printf("Pin these keys for %s on this host? [y/N] ", repo);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin) ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "yes\n") != 0))
		return xp_err_set(err, XP_EFAIL, "%s: nothing pinned", repo);
	return 0;
}

/* --yes: the ids found must be the ones the administrator expects. */
static int expected(const struct args *a, const struct xp_trust *t, const char *kid,
                    struct xp_err *err)
{
	static const char *const what[] = {"repository", "repository key", "signer"};
	const char *got[] = {t->repo_id, kid, t->signer_id};

	for (int i = 0; i < 3; i++)
		if (strcasecmp(a->expect[i], got[i]) != 0)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "%s: %s %s is not the expected %s: nothing pinned",
			                  a->repo, what[i], got[i], a->expect[i]);
	return 0;
}

static int cmd_trust(const struct args *a, struct xp_err *err)
{
	struct xp_trust t = {0}, now = {0};
	char kid[2 * XP_KEYS_ID_LEN + 1];
	int rc;

	if ((rc = xp_trust_describe(a->repo, &t, err)) != 0)
		goto out;
	sodium_bin2hex(kid, sizeof kid, t.key_id, sizeof t.key_id);
	printf("repository %s\nrepo-key %s\nsigner %s\n", t.repo_id, kid, t.signer_id);
	if (t.had_pins && !a->reset) {
		rc = xp_trust_check(a->repo, &(struct xp_trust_opts){.flags = XP_TRUST_MARKS}, &now,
		                    err);
		if (rc == 0)
			printf("already pinned on this host\n");
		goto out;
	}
	if ((rc = a->yes ? expected(a, &t, kid, err) : confirm(a->repo, err)) != 0 ||
	    (rc = xp_trust_check(a->repo, &(struct xp_trust_opts){.flags = XP_TRUST_RESET}, &now,
	                         err)) != 0)
		goto out;
	printf("pinned in %s\n", now.dir);
out:
	xp_trust_free(&now);
	xp_trust_free(&t);
	return rc;
}

/* The creation time of source's newest full backup in cat: 0, or -1 when it has none. */
static int newest_full(const struct xp_catalog *cat, const char *source, int64_t *t)
{
	int found = -1;

	for (size_t i = 0; i < cat->n; i++) {
		const struct xp_catalog_entry *e = &cat->entries[i];

		if (e->kind != XP_CATALOG_FULL ||
		    strcmp(e->source ? e->source : "", source ? source : "") != 0)
			continue;
		if (found || e->created > *t)
			*t = e->created;
		found = 0;
	}
	return found;
}

/* The next partition's window of a source, from the catalog this host signed, once an
 * interrupted seal is finished (its window counts, so no window is sealed twice). */
static int cmd_window(const struct args *a, struct xp_err *err)
{
	struct xp_signkey *key = NULL;
	struct xp_catalog cat = {0};
	struct xp_trust t = {0};
	struct xp_sign_pub signer;
	char s[XP_TIME_LEN], u[XP_TIME_LEN];
	int64_t since, until;
	int rc;

	if ((rc = check_trust(a, XP_TRUST_MARKS, NULL, &t, err)) != 0 ||
	    (rc = xp_sign_load_key(a->signing_key, &key, err)) != 0 ||
	    (rc = xp_catalog_recover(a->repo, key, err)) != 0)
		goto out;
	xp_sign_pub_from(t.signer, &signer);
	if ((rc = xp_catalog_load_signed(a->repo, &signer, &cat, err)) != 0)
		goto out;
	rc = xp_partition_next(&cat, a->source, xp_now(), a->grace, a->max_age, &since, &until,
	                       err);
	if (rc < 0)
		goto out;
	rc = 0;
	trust_seen(a, &t);
	xp_time_format(since, s);
	xp_time_format(until, u);
	printf("%s\t%s\t", s, u);
	/* and when the source's newest full backup was made, for a schedule of full ones */
	if (newest_full(&cat, a->source, &since) == 0) {
		xp_time_format(since, s);
		printf("%s\n", s);
	} else {
		printf("-\n");
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = xp_err_sys(err, XP_EFAIL, "standard output");
out:
	xp_catalog_free(&cat);
	xp_sign_free_key(key);
	xp_trust_free(&t);
	return rc;
}

/* What a change cleaned up on the way (a temp file of an interrupted seal) or could not
 * finish (a vault copy not reached): one line. */
static int vault_unreached;

static void on_notice(void *ctx, const struct xp_catalog_finding *f)
{
	(void)ctx;
	vault_unreached |= f->kind == XP_FIND_VAULT;
	xp_warn("%s", f->msg);
}

/* A vault event: done on standard output, a problem on standard error. */
static void on_vault(void *ctx, const struct xp_vault_event *e)
{
	(void)ctx;
	if (e->problem)
		xp_warn("%s%s%s: %s", e->id, *e->id ? ": " : "", e->place, e->what);
	else
		printf("%s%s%s: %s\n", e->id, *e->id ? ": " : "", e->place, e->what);
}

/* The ids of the sealed shreddable backups: the keys the host's vault must hold. */
static int wanted_keys(const char *repo, const char ***ids, struct xp_catalog *cat,
                       struct xp_err *err)
{
	size_t n = 0;
	int rc;

	*ids = NULL;
	rc = xp_catalog_load(repo, cat, err);
	if (rc)
		return rc;
	*ids = calloc(cat->n + 1, sizeof **ids);
	if (!*ids)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < cat->n; i++)
		if (cat->entries[i].shreddable && cat->entries[i].state == XP_CATALOG_SEALED)
			(*ids)[n++] = cat->entries[i].id;
	return 0;
}

/* sync: pending shreddings first (their keys must not be copied back), then the copies. */
static int vault_sync(const struct args *a, struct xp_vault *v, struct xp_err *err)
{
	struct xp_signkey *key = NULL;
	struct xp_catalog cat = {0};
	struct xp_trust t = {0};
	const char **ids = NULL;
	int rc;

	if ((rc = check_trust(a, XP_TRUST_MARKS, NULL, &t, err)) != 0 ||
	    (rc = xp_sign_load_key(a->signing_key, &key, err)) != 0 ||
	    (rc = xp_catalog_recover(a->repo, key, err)) != 0 ||
	    (rc = wanted_keys(a->repo, &ids, &cat, err)) != 0)
		goto out;
	rc = xp_vault_sync(v, ids, on_vault, NULL, err);
	if (rc > 0 || (rc == 0 && vault_unreached))
		rc = xp_err_set(err, XP_EFAIL,
		                "%s: the vault and its copies do not agree yet (see above)",
		                a->repo);
out:
	free(ids);
	xp_catalog_free(&cat);
	xp_sign_free_key(key);
	xp_trust_free(&t);
	return rc;
}

static int cmd_vault(const struct args *a, struct xp_err *err)
{
	struct xp_catalog_lock lock = {.fd = -1};
	struct xp_vault v;
	int rc;

	if ((rc = xp_keys_check_repo(a->repo, err)) != 0 ||
	    (rc = xp_vault_open(a->repo, &v, err)) != 0)
		return rc;
	switch (a->vault_cmd) {
	case VAULT_ADD:
		rc = xp_vault_add(&v, a->vault_dir, err);
		if (rc == 0)
			printf("vault copy %s: registered\n", v.copies[v.ncopies - 1]);
		if (rc == 0 && (rc = xp_vault_sync(&v, NULL, on_vault, NULL, err)) > 0)
			rc = xp_err_set(err, XP_EFAIL,
			                "%s: not every key reached the copy (see above)",
			                a->vault_dir);
		break;
	case VAULT_REMOVE:
		rc = xp_vault_remove(&v, a->vault_dir, err);
		if (rc == 0)
			printf("vault copy %s: no longer registered\n", a->vault_dir);
		break;
	case VAULT_LIST:
		printf("host vault: %s\n", v.dir);
		for (size_t i = 0; i < v.ncopies; i++) {
			struct xp_err why = {0};

			if (xp_vault_reach_copy(&v, i, &why) == 0)
				printf("vault copy: %s\n", v.copies[i]);
			else
				printf("vault copy: %s (unreachable: %s)\n", v.copies[i], why.msg);
		}
		break;
	case VAULT_SYNC: rc = vault_sync(a, &v, err); break;
	case VAULT_MIGRATE:
		/* Under the lock no shred runs meanwhile: one would otherwise race the move. */
		rc = xp_catalog_lock(a->repo, &lock, err);
		if (rc == 0)
			rc = xp_vault_migrate(&v, on_vault, NULL, err);
		xp_catalog_unlock(&lock);
		if (rc > 0)
			rc = xp_err_set(
			        err, XP_EFAIL,
			        "%s: keys/shred: %d key(s) not moved (see above); run again once "
			        "resolved",
			        a->repo, rc);
		break;
	}
	xp_vault_free(&v);
	return rc;
}

int main(int argc, char **argv)
{
	struct xp_err err = {0};
	struct args a = {0};
	int rc;

	xp_progname = "xpseal";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	xp_catalog_set_notice(on_notice, NULL);
	rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		xp_warn("libsodium: cannot initialise");
		return XP_EXIT_FAIL;
	}
	switch (a.cmd) {
	case CMD_INIT: rc = cmd_init(&a, &err); break;
	case CMD_OPEN:
		rc = a.has_since || a.has_until ? cmd_open_range(&a, &err) : cmd_open(&a, &err);
		break;
	case CMD_PASSWD: rc = cmd_passwd(&a, &err); break;
	case CMD_REKEY: rc = cmd_rekey(&a, &err); break;
	case CMD_TRUST: rc = cmd_trust(&a, &err); break;
	case CMD_WINDOW: rc = cmd_window(&a, &err); break;
	case CMD_VAULT: rc = cmd_vault(&a, &err); break;
	default: rc = cmd_seal(&a, &err); break;
	}
	return rc ? xp_fail(&err) : XP_EXIT_OK;
}
