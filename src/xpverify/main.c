/* xpverify: checks the signatures of sealed backups, by file or by id in a repository; with
 * --deep their whole content, with --drill a restore into a scratch database. */
#include "config.h"

#include "against-run.h"
#include "repo/catalog.h"
#include "repo/copy.h"
#include "repo/erase.h"
#include "cli/cli.h"
#include "repo/keys.h"
#include "repo/repo.h"
#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "repo/trust.h"
#include "repo/vault.h"
#include "base/os.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/str.h"
#include "cli/json.h"
#include "repo/verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A backup's verdict: the worst of its signature, the catalog's findings about it, its deep
 * check and its drill (worst: BAD, then MISSING, then FAILED). */
enum status { GOOD, BAD, MISSING, FAILED };
static const char *const status_name[] = {"good", "bad", "missing", "error"};
static const int status_rank[] = {[GOOD] = 0, [FAILED] = 1, [MISSING] = 2, [BAD] = 3};

/* Outcome of a deep check or drill of one backup. */
enum outcome { NOT_RUN, PASSED, SKIPPED, FAIL_INTEGRITY, FAIL_ERROR };
static const char *const outcome_name[] = {"not-run", "passed", "skipped", "failed", "error"};

/* One backup to check and, once checked, its outcome. */
struct item {
	char *id; /* NULL when a file's name is not ID.xps */
	char *path;
	int byid; /* named by id (-r REPO ID, or found in REPO/data): reported by id */
	enum status status;
	enum outcome deep, drill;
	struct xp_verify_result res; /* of the deep check */
	char *msg;                   /* why the deep check or drill failed or was skipped */
	int journaled;               /* -1: not tried, 0: failed, 1: done */
};

/* A catalog finding (xp_catalog_check, xp_catalog_adopt), kept for --json. */
struct finding {
	int kind;
	char *id, *path, *msg;
};

#define NKINDS (XP_FIND_UNREADABLE + 1)

/* What --copies found on one target, kept for --json. */
struct copyrep {
	char *name;
	char *error; /* why it could not be read, or NULL */
	struct finding *found;
	size_t nfound, warnings;
};

struct run {
	const char *repo; /* NULL without -r and XP_REPO */
	int catalog;      /* -r without ids: the catalog and journal are checked too */
	int checking;     /* findings now come from the catalog check (not --adopt) */
	struct finding *found;
	size_t nfound, kinds[NKINDS]; /* findings, and how many of each kind */
	size_t warnings;              /* seal temp files seen (not findings) */
	size_t vault_keys;            /* keys a vault copy lacks (XP_FIND_VAULT) */
	int check_failed;             /* the catalog check could not run */
	char *error;        /* why the run failed as a whole ("nothing checked"), or NULL */
	const char *pubkey; /* -p, or NULL to find the repository's signer.pub */
	int json;
	int deep;                      /* --deep or --drill */
	const char *drill;             /* --drill CONNSTR */
	int ignore_erasures;           /* --ignore-erasures: drills restore every row */
	struct xp_erase_ledger ledger; /* what drills restore through */
	struct xp_err ledger_err;      /* why the ledger cannot be read: every drill fails */
	char *ledger_why;              /* that, said in full (owned) */
	char *drill_buf;   /* the connection string read from --drill-dsn-file (owned) */
	char *against_buf; /* ... and from --against-dsn-file (owned) */
	struct xp_verify_keys keys;
	struct xp_trust trust; /* with -r: the pins checked, and the signer trusted */
	char *rollback;        /* the catalog or journal is older than this host has seen */
	char copy[XP_COPY_NAME_MAX + 1]; /* -r names a copy (xpcopy's target of this name) */
	struct xp_catalog cat; /* for the state of each backup (shredded ones are not opened) */
	struct item *items;
	size_t n, cap;
	size_t count[4]; /* backups by status, counted once every check is done */
	int copies;      /* --copies: the copies' findings go to the JSON object too */
	struct copyrep *cr;
	size_t ncr;
	char *copies_error; /* no target registered, or the list unreadable */
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: xpverify [-p PUBKEY] [--json] FILE...\n"
	        "       xpverify -r REPO [-p PUBKEY] [--json] [ID|FILE]...\n"
	        "       xpverify -r REPO --deep [--drill CONNSTR | --drill-dsn-file F]\n"
	        "                [--ignore-erasures] [--password-file F] [--json] [ID|FILE]...\n"
	        "       xpverify -r REPO --adopt [--signing-key F] [--json]\n"
	        "       xpverify -r REPO --copies [--json]\n"
	        "       xpverify -r REPO --against CONNSTR | --against-dsn-file F [--source NAME]\n"
	        "                [--key COLUMN] [--password-file F]\n"
	        "Checks the minisign signature FILE.minisig of each sealed backup FILE;\n"
	        "with -r, of the backups named by ID, or of every backup in REPO/data and\n"
	        "then the catalog against the files, its signature and the journal chain.\n"
	        "      --deep           also decrypt everything and check each dump's tables\n"
	        "                       against its SUMMARY (needs the password)\n"
	        "      --drill CONNSTR  also restore each dump into scratch tables in CONNSTR,\n"
	        "                       compare them with the backup, drop them (implies --deep)\n"
	        "      --drill-dsn-file F\n"
	        "                       --drill with the connection string read from F\n"
	        "      --ignore-erasures\n"
	        "                       drill every row, the erasure ledger not applied (loud,\n"
	        "                       journaled)\n"
	        "      --password-file F\n"
	        "                       read the configuration password from F\n"
	        "      --copies         also read back every registered copy (xpcopy(1)) and\n"
	        "                       check it against the catalog and journal\n"
	        "      --adopt          take complete backups missing from the catalog back in\n"
	        "      --against CONNSTR\n"
	        "                       also compare each partition with the source's rows of its\n"
	        "                       window now: rows changed, appeared or vanished, by key\n"
	        "      --against-dsn-file F\n"
	        "                       --against with the connection string read from F\n"
	        "      --source NAME    --against: only this source's partitions\n"
	        "      --key COLUMN     --against: the column that identifies a row (default:\n"
	        "                       each table's first)\n"
	        "      --signing-key F  the host's signing key for --adopt\n"
	        "  -r, --repo REPO      the repository (default $XP_REPO)\n"
	        "  -p, --pubkey FILE    the signer's public key (default: keys/signer.pub of\n"
	        "                       the repository that holds the file)\n"
	        "      --json           print one JSON object\n"
	        "  -h, --help           print this help\n" XP_CLI_VERSION_HELP);
}

/* The id in a path ending in "/ID.xps", or NULL. */
static char *id_of_path(const char *path)
{
	char id[XP_REPO_ID_HEX];

	return xp_repo_id_of_name(path, id) == 0 ? strdup(id) : NULL;
}

static int add(struct run *run, char *id, char *path, int byid, struct xp_err *err)
{
	struct item *grown;

	if (!path) {
		free(id);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	if (run->n == run->cap) {
		run->cap = run->cap ? 2 * run->cap : 16;
		grown = realloc(run->items, run->cap * sizeof *grown);
		if (!grown) {
			free(id);
			free(path);
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		}
		run->items = grown;
	}
	run->items[run->n++] = (struct item){id, path, byid, GOOD, NOT_RUN, NOT_RUN, {0}, NULL, -1};
	return 0;
}

/* An argument is a backup id when it looks like one and a repository is known. */
static int add_arg(struct run *run, const char *arg, struct xp_err *err)
{
	if (run->repo && xp_repo_valid_id(arg))
		return add(run, strdup(arg), xp_repo_backup(run->repo, arg, ""), 1, err);
	return add(run, id_of_path(arg), strdup(arg), 0, err);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->path, ((const struct item *)b)->path);
}

/* Every REPO/data/XX/ID.xps, sorted. */
static int scan_repo(struct run *run, struct xp_err *err)
{
	char *data = xp_repo_file(run->repo, XP_REPO_DATA), *sub = NULL;
	DIR *d = NULL, *sd = NULL;
	struct dirent *e, *f;
	int rc = 0;

	if (!data)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	/* data/ and data/XX/ as they are: a link planted there is refused, not followed. */
	rc = xp_repo_opendir(run->repo, data, &d, err);
	if (rc == XP_ENOENT && access(run->repo, F_OK) == 0)
		rc = 0; /* a repository without backups yet */
	else if (rc == XP_ENOENT)
		rc = xp_err_sys(err, XP_ENOENT, "%s", run->repo);
	if (rc || !d)
		goto out;
	while (rc == 0 && (e = readdir(d))) {
		if (!xp_repo_valid_sub(e->d_name))
			continue;
		free(sub);
		sub = xp_repo_data_sub(run->repo, e->d_name);
		rc = sub ? xp_repo_opendir(run->repo, sub, &sd, err)
		         : xp_err_set(err, XP_ENOMEM, "out of memory");
		if (rc)
			break;
		while (rc == 0 && (f = readdir(sd))) {
			char *id = id_of_path(f->d_name);

			if (id && strncmp(id, e->d_name, 2) == 0)
				rc = add(run, id, xp_repo_backup(run->repo, id, ""), 1, err);
			else
				free(id);
		}
		xp_os_closedir(sd);
	}
	if (rc == 0 && run->n > 1)
		qsort(run->items, run->n, sizeof *run->items, by_path);
out:
	if (d)
		xp_os_closedir(d);
	free(sub);
	free(data);
	return rc;
}

/* The signer.pub of the repository holding path: the first DIR/keys/signer.pub walking up. */
static char *find_pubkey(const char *path)
{
	char dir[PATH_MAX], real[PATH_MAX], *p, *pub, *r;

	if (strlen(path) >= sizeof dir)
		return NULL;
	strcpy(dir, path);
	if (!(r = xp_os_realpath(dirname(dir))))
		return NULL;
	snprintf(real, sizeof real, "%s", r);
	free(r);
	for (;;) {
		pub = xp_repo_file(real[1] ? real : "", XP_REPO_SIGNER_PUB);
		if (!pub || access(pub, F_OK) == 0)
			return pub;
		free(pub);
		if (!real[1])
			return NULL;
		p = strrchr(real, '/');
		p[p == real] = '\0';
	}
}

/* The repository key id of the repository whose signer.pub is pub ("DIR/keys/signer.pub"):
 * files it signs must be sealed for that repository. 0, or -1 when there is none to read. */
static int repo_kid_of(const char *pub, uint8_t kid[XP_KEYS_ID_LEN])
{
	const char *name = xp_repo_name(XP_REPO_SIGNER_PUB);
	uint8_t pk[XP_KEYS_PK_LEN];
	size_t n = strlen(pub), tail = strlen(name) + 1;
	char *repo;
	int rc;

	if (n < tail || pub[n - tail] != '/' || strcmp(pub + n - tail + 1, name) != 0)
		return -1;
	repo = xp_strndup(pub, n - tail);
	rc = repo && xp_keys_load_public(*repo ? repo : "/", pk, kid, NULL) == 0 ? 0 : -1;
	free(repo);
	return rc;
}

/* A file checked without -r or -p: the signer of the repository above it (pub is its
 * "DIR/keys/signer.pub") is the one this host pinned for that repository, or pinned now on
 * first use, as with -r: never a loose keys/signer.pub that the storage's writer could have
 * replaced. */
static int pinned_signer(const char *pub, struct xp_sign_pub *key, struct xp_err *err)
{
	const char *name = xp_repo_name(XP_REPO_SIGNER_PUB);
	size_t n = strlen(pub), tail = strlen(name) + 1;
	struct xp_trust_opts o = {0};
	struct xp_trust t = {0};
	char said[512], *repo;
	int rc;

	if (n < tail || pub[n - tail] != '/' || strcmp(pub + n - tail + 1, name) != 0)
		return xp_err_set(err, XP_EFAIL, "%s: not a repository's signer key (use -p)", pub);
	repo = xp_strndup(pub, n - tail);
	if (!repo)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_trust_check(*repo ? repo : "/", &o, &t, err);
	if (rc == 0 && t.pinned_now) {
		xp_trust_first_use(&t, *repo ? repo : "/", said, sizeof said);
		xp_warn("%s", said);
	}
	if (rc == 0)
		xp_sign_pub_from(t.signer, key);
	xp_trust_free(&t);
	free(repo);
	return rc;
}

/* 0 when a backup named by id is reached in REPO without a link (a missing one is left to
 * the signature check, which names it). */
static int in_repo(const char *repo, const char *path, struct xp_err *err)
{
	int fd, rc;

	rc = xp_repo_open(repo, path, O_RDONLY, 0, &fd, err);
	if (rc == 0)
		close(fd);
	return rc == XP_ENOENT ? 0 : rc;
}

/* Checks one backup's signature, and that it, the file's header and the id it is stored under
 * agree (and, in a repository, that it was sealed for that repository), from one read of the
 * file; later checks of a backup belong here too. With -r the signer is the one trusted
 * (trust.h); without, the key file named by -p or found above the file. */
static enum status check_item(const struct run *run, const struct item *it, struct xp_err *err)
{
	char *sig = xp_asprintf("%s.minisig", it->path), *found = NULL;
	const char *pub = run->pubkey;
	struct xp_seal_checked chk = {0};
	struct xp_sign_pub key = run->keys.signer;
	uint8_t kid[XP_KEYS_ID_LEN];
	int rc, has_kid = 0;

	if (!sig) {
		xp_err_set(err, XP_ENOMEM, "out of memory");
		return FAILED;
	}
	if (!pub && it->byid)
		pub = found = xp_repo_file(run->repo, XP_REPO_SIGNER_PUB);
	else if (!pub)
		pub = found = find_pubkey(it->path);
	if (!pub && run->repo) /* a copy outside any repository: the one named by -r */
		pub = found = xp_repo_file(run->repo, XP_REPO_SIGNER_PUB);
	if (run->repo) {
		uint8_t pk[XP_KEYS_PK_LEN];

		has_kid = xp_keys_load_public(run->repo, pk, kid, NULL) == 0;
	} else if (pub) {
		has_kid = repo_kid_of(pub, kid) == 0;
	}
	if (!pub && access(it->path, F_OK) != 0)
		rc = xp_err_sys(err, XP_ENOENT, "%s", it->path);
	else if (!pub)
		rc = xp_err_set(err, XP_EFAIL, "%s: no keys/signer.pub above it (use -p)",
		                it->path);
	else if (it->byid && (rc = in_repo(run->repo, it->path, err)) != 0)
		; /* a link below REPO: not followed */
	else if (access(it->path, F_OK) == 0 && access(sig, F_OK) != 0 && errno == ENOENT)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: signature missing", sig);
	else if (access(it->path, F_OK) != 0)
		rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", it->path);
	else if (!run->repo && !run->pubkey && (rc = pinned_signer(pub, &key, err)) != 0)
		; /* the repository above the file does not match this host's pins */
	else if (run->repo || !run->pubkey || (rc = xp_sign_pub_read(pub, &key, err)) == 0)
		rc = xp_seal_check(it->path, sig, &key, it->id, has_kid ? kid : NULL, -1, &chk,
		                   err);
	if (rc == 0)
		xp_seal_checked_free(&chk);
	free(found);
	free(sig);
	switch (rc) {
	case 0: return GOOD;
	case XP_EINTEGRITY: return BAD;
	case XP_ENOENT: return MISSING;
	default: return FAILED;
	}
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Journals a result as evidence. A failure to journal (a read-only repository) is a warning:
 * the check's own verdict decides the exit status. */
static void journal(struct run *run, struct item *it, const char *event, const char *reason)
{
	struct xp_err err = {0, ""};
	const char *name = it->byid ? it->id : it->path;

	if (!run->repo || !it->id || run->copy[0]) /* a copy's journal is the repository's */
		return;
	if (!reason) {
		xp_err_set(&err, XP_ENOMEM, "out of memory");
	} else if (xp_journal_append(run->repo, it->id, event, reason, NULL, &err) == 0) {
		if (it->journaled)
			it->journaled = 1;
		return;
	}
	it->journaled = 0;
	xp_warn("%s: %s result not journaled: %s", name, event, err.msg);
}

static void worsen(struct item *it, enum status s)
{
	if (status_rank[s] > status_rank[it->status])
		it->status = s;
}

/* A failed deep check or drill: damage or a wrong password makes the backup bad, anything else
 * (I/O, the database) an error. */
static enum outcome failed(struct item *it, int rc)
{
	if (rc == XP_EINTEGRITY || rc == XP_EAUTH) {
		worsen(it, BAD);
		return FAIL_INTEGRITY;
	}
	worsen(it, FAILED);
	return FAIL_ERROR;
}

/* --drill: restores one backup that passed the deep check into scratch tables. */
static void drill_item(struct run *run, struct item *it, const char *name)
{
	struct xp_err err = {0, ""};
	struct xp_seal_header h;
	char prefix[18], tail[64] = "", *reason = NULL;
	const char *why = err.msg;
	int rc = 0;

	if (!it->res.dump) {
		it->drill = SKIPPED;
		if (!run->json)
			printf("%s: drill skipped: not a dump stream\n", name);
		journal(run, it, "drill", "skipped: not a dump stream");
		return;
	}
	if (run->ledger_err.code) {
		rc = run->ledger_err.code;
		why = run->ledger_why ? run->ledger_why : run->ledger_err.msg;
	} else if (!it->id) {
		rc = xp_seal_read_header(it->path, &h, &err);
	}
	if (rc == 0) {
		xp_verify_drill_prefix(it->id ? it->id : h.id_hex, prefix);
		xp_fault_point("verify: drill");
		rc = xp_verify_drill(&run->keys, it->path, run->drill, prefix, &it->res, &err);
	}
	if (rc == 0) {
		it->drill = PASSED;
		if (it->res.nwithheld)
			snprintf(tail, sizeof tail, ", %llu withheld by erasure requests",
			         (unsigned long long)it->res.nwithheld);
		reason =
		        xp_asprintf("drill passed: %zu table%s, %llu row%s restored and compared%s",
		                    it->res.ntables, plural(it->res.ntables),
		                    (unsigned long long)(it->res.rows - it->res.nwithheld),
		                    plural(it->res.rows - it->res.nwithheld), tail);
		if (!run->json && reason)
			printf("%s: %s\n", name, reason);
		for (size_t i = 0; !run->json && it->res.withheld && i < run->ledger.n; i++)
			if (it->res.withheld[i])
				printf("%s: %llu row%s withheld by erasure request %s\n", name,
				       (unsigned long long)it->res.withheld[i],
				       plural(it->res.withheld[i]), run->ledger.e[i].ref);
	} else {
		it->drill = failed(it, rc);
		free(it->msg);
		it->msg = strdup(why);
		xp_warn("%s: drill failed: %s", name, why);
		reason = xp_asprintf("drill failed: %s", why);
	}
	journal(run, it, "drill", reason);
	free(reason);
}

/* --deep: decrypts one backup whose signature is good and checks its dump stream. */
static void deep_item(struct run *run, struct item *it)
{
	struct xp_err err = {0, ""};
	const struct xp_catalog_entry *e = it->id ? xp_catalog_find(&run->cat, it->id) : NULL;
	const char *name = it->byid ? it->id : it->path;
	char *reason = NULL;
	int rc;

	if (e && e->state == XP_CATALOG_SHREDDED) {
		it->deep = SKIPPED;
		if (!run->json)
			printf("%s: shredded: not opened\n", name);
		return;
	}
	/* A copy of the data read on another host: its keys are in the backup host's vault. */
	if (e && e->shreddable && run->keys.vault && !xp_vault_here(run->keys.vault)) {
		it->deep = SKIPPED;
		if (!run->json)
			printf("%s: shreddable, its key is in the backup host's vault: not "
			       "opened\n",
			       name);
		return;
	}
	xp_fault_point("verify: deep");
	rc = xp_verify_deep(&run->keys, it->path, it->id, &it->res, &err);
	if (rc == 0) {
		it->deep = PASSED;
		if (it->res.dump)
			reason =
			        xp_asprintf("deep check passed: %zu table%s, %llu row%s",
			                    it->res.ntables, plural(it->res.ntables),
			                    (unsigned long long)it->res.rows, plural(it->res.rows));
		else
			reason = xp_asprintf("deep check passed: %llu byte%s, not a dump stream",
			                     (unsigned long long)it->res.bytes,
			                     plural(it->res.bytes));
		if (!run->json && reason)
			printf("%s: %s\n", name, reason);
	} else {
		it->deep = failed(it, rc);
		it->msg = strdup(err.msg);
		xp_warn("%s", err.msg);
		reason = xp_asprintf("deep check failed: %s", err.msg);
	}
	journal(run, it, "verified", reason);
	free(reason);
	if (rc == 0 && run->drill)
		drill_item(run, it, name);
	xp_verify_result_close(&it->res); /* one descriptor per backup, not per run */
}

/* The "deep", "drill" and "journaled" members of a result. */
static void print_json_deep(const struct run *run, const struct item *it)
{
	const struct xp_verify_result *r = &it->res;

	printf(",\"deep\":{\"status\":\"%s\"", outcome_name[it->deep]);
	if (it->deep == PASSED) {
		printf(",\"dump\":%s,\"bytes\":%llu", r->dump ? "true" : "false",
		       (unsigned long long)r->bytes);
		if (r->dump)
			printf(",\"rows\":%llu,\"tables\":[", (unsigned long long)r->rows);
		for (size_t t = 0; r->dump && t < r->ntables; t++) {
			printf("%s{\"name\":", t ? "," : "");
			xp_json_string(r->tables[t].name);
			printf(",\"rows\":%llu}", (unsigned long long)r->tables[t].rows);
		}
		if (r->dump)
			putchar(']');
	} else if (it->msg) {
		fputs(",\"message\":", stdout);
		xp_json_string(it->msg);
	}
	putchar('}');
	if (run->drill) {
		printf(",\"drill\":{\"status\":\"%s\"", outcome_name[it->drill]);
		if (it->drill == PASSED)
			printf(",\"tables\":%zu,\"rows\":%llu,\"withheld\":%llu", r->ntables,
			       (unsigned long long)(r->rows - r->nwithheld),
			       (unsigned long long)r->nwithheld);
		else if (it->drill != NOT_RUN && it->msg) {
			fputs(",\"message\":", stdout);
			xp_json_string(it->msg);
		}
		putchar('}');
	}
	printf(",\"journaled\":%s", it->journaled < 0 ? "null" : it->journaled ? "true" : "false");
}

static const char *const copy_kind_name[] = {
        [XP_COPY_COPIED] = "copied",   [XP_COPY_DELETED] = "deleted", [XP_COPY_MISSING] = "missing",
        [XP_COPY_CHANGED] = "changed", [XP_COPY_EXPIRED] = "expired", [XP_COPY_FOREIGN] = "foreign",
        [XP_COPY_PARTIAL] = "partial"};

static void print_json_findings(const struct finding *f, size_t n, const char *const *names)
{
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"kind\":\"%s\",\"id\":", i ? "," : "", names[f[i].kind]);
		xp_json_string(f[i].id);
		fputs(",\"path\":", stdout);
		xp_json_string(f[i].path);
		fputs(",\"message\":", stdout);
		xp_json_string(f[i].msg);
		fputs("}", stdout);
	}
}

/* ,"copies":[{"target":..,"error":..|null,"findings":[..],"warnings":N}..] and the message
 * of a run with no target. */
static void print_json_copies(const struct run *run)
{
	if (run->copies_error) {
		fputs(",\"copies_error\":", stdout);
		xp_json_string(run->copies_error);
	}
	fputs(",\"copies\":[", stdout);
	for (size_t i = 0; i < run->ncr; i++) {
		const struct copyrep *c = &run->cr[i];

		fputs(i ? ",{\"target\":" : "{\"target\":", stdout);
		xp_json_string(c->name);
		fputs(",\"error\":", stdout);
		if (c->error)
			xp_json_string(c->error);
		else
			fputs("null", stdout);
		fputs(",\"findings\":[", stdout);
		print_json_findings(c->found, c->nfound, copy_kind_name);
		printf("],\"warnings\":%zu}", c->warnings);
	}
	fputs("]", stdout);
}

static void print_json(const struct run *run)
{
	printf("{\"checked\":%zu,\"good\":%zu,\"bad\":%zu,\"missing\":%zu,\"error\":%zu,",
	       run->n - run->count[MISSING], run->count[GOOD], run->count[BAD], run->count[MISSING],
	       run->count[FAILED]);
	if (run->catalog || run->nfound) {
		fputs("\"findings\":{", stdout);
		for (int k = 0; k < NKINDS; k++)
			printf("%s\"%s\":%zu", k ? "," : "", xp_catalog_finding_name(k),
			       run->kinds[k]);
		fputs("},", stdout);
	}
	if (run->error) {
		fputs("\"message\":", stdout);
		xp_json_string(run->error);
		putchar(',');
	}
	if (run->rollback) {
		fputs("\"rollback\":", stdout);
		xp_json_string(run->rollback);
		putchar(',');
	}
	if (run->trust.signer_path) {
		printf("\"signer\":{\"id\":\"%s\",\"trusted\":", run->trust.signer_id);
		xp_json_string(xp_trust_from_name(run->trust.from));
		printf(",\"pinned_now\":%s},", run->trust.pinned_now ? "true" : "false");
	}
	fputs("\"results\":[", stdout);
	for (size_t i = 0; i < run->n; i++) {
		const struct item *it = &run->items[i];

		printf("%s{\"id\":", i ? "," : "");
		if (it->id)
			xp_json_string(it->id);
		else
			fputs("null", stdout);
		fputs(",\"path\":", stdout);
		xp_json_string(it->path);
		printf(",\"status\":\"%s\"", status_name[it->status]);
		if (run->deep)
			print_json_deep(run, it);
		putchar('}');
	}
	fputs("]", stdout);
	if (run->catalog || run->nfound) {
		fputs(",\"catalog\":[", stdout);
		for (size_t i = 0; i < run->nfound; i++) {
			const struct finding *f = &run->found[i];

			printf("%s{\"kind\":\"%s\",\"id\":", i ? "," : "",
			       xp_catalog_finding_name(f->kind));
			xp_json_string(f->id);
			fputs(",\"path\":", stdout);
			xp_json_string(f->path);
			fputs(",\"message\":", stdout);
			xp_json_string(f->msg);
			fputs("}", stdout);
		}
		printf("],\"warnings\":%zu", run->warnings);
	}
	if (run->copies)
		print_json_copies(run);
	puts("}");
}

/* The catalog check's verdict on a backup, for the findings that are about one; GOOD for the
 * others (orphans, the catalog, the journal, interrupted changes). */
static enum status finding_status(int kind)
{
	switch (kind) {
	case XP_FIND_MISSING: return MISSING;
	case XP_FIND_SIZE:
	case XP_FIND_HASH:
	case XP_FIND_SIGNATURE: return BAD;
	case XP_FIND_SHRED_KEY:
	case XP_FIND_UNREADABLE: return FAILED;
	default: return GOOD;
	}
}

/* A finding of the catalog check about a backup makes its verdict worse; a backup the catalog
 * names but that is not there joins the results as missing. */
static void judge(struct run *run, const struct xp_catalog_finding *f)
{
	enum status s = finding_status(f->kind);
	struct xp_err err = {0, ""};
	size_t i;

	if (!run->checking || s == GOOD || !f->id[0])
		return;
	for (i = 0; i < run->n && !(run->items[i].id && strcmp(run->items[i].id, f->id) == 0); i++)
		;
	if (i == run->n &&
	    add(run, strdup(f->id), xp_repo_join(run->repo, f->path), 1, &err) != 0) {
		xp_warn("%s", err.msg);
		run->check_failed = 1;
		return;
	}
	worsen(&run->items[i], s);
}

static void on_finding(void *ctx, const struct xp_catalog_finding *f);

/* The erasure ledger (xperase(1)): every entry signed by the trusted signer, chained, and every
 * request the journal names still in it; a failure is a journal finding (signed records). */
static void check_erasures(struct run *run)
{
	struct xp_erase_ledger l = {0};
	struct xp_err err = {0, ""};
	int rc = xp_erase_load(run->repo, &run->keys.signer, &l, &err);

	/* a broken or planted journal is the catalog check's finding already */
	if ((rc == XP_EINTEGRITY || (rc && run->kinds[XP_FIND_JOURNAL])) &&
	    strncmp(err.msg, "erasures:", 9) != 0)
		;
	else if (rc == XP_EINTEGRITY)
		on_finding(run,
		           &(struct xp_catalog_finding){XP_FIND_JOURNAL, "", "erasures", err.msg});
	else if (rc)
		on_finding(run, &(struct xp_catalog_finding){XP_FIND_UNREADABLE, "", "erasures",
		                                             err.msg});
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		char msg[300];

		if (l.e[i].journaled)
			continue;
		snprintf(msg, sizeof msg,
		         "erasures: line %zu (%s) is not journaled: recording it was interrupted; "
		         "the next change journals it",
		         i + 2, l.e[i].ref);
		on_finding(run, &(struct xp_catalog_finding){XP_FIND_PENDING, "", "erasures", msg});
	}
	xp_erase_ledger_free(&l);
}

/* Keeps a catalog finding for the report and the exit status. */
static void on_finding(void *ctx, const struct xp_catalog_finding *f)
{
	struct run *run = ctx;
	struct finding *grown = realloc(run->found, (run->nfound + 1) * sizeof *grown);
	struct finding k = {f->kind, strdup(f->id), strdup(f->path), strdup(f->msg)};

	if (f->kind >= 0 && f->kind < NKINDS)
		run->kinds[f->kind]++;
	else if (f->kind == XP_FIND_SEAL_TEMP)
		run->warnings++;
	else if (f->kind == XP_FIND_VAULT)
		run->vault_keys++;
	judge(run, f);
	if (grown)
		run->found = grown;
	if (!grown || !k.id || !k.path || !k.msg) {
		xp_warn("%s", f->msg); /* out of memory: at least say it */
		free(k.id);
		free(k.path);
		free(k.msg);
		return;
	}
	run->found[run->nfound++] = k;
}

/* Findings that make the run fail with status 3, and with status 1 (what could not be adopted
 * shows again as an orphan). */
static int integrity_findings(const struct run *run)
{
	return run->kinds[XP_FIND_SIZE] || run->kinds[XP_FIND_HASH] ||
	       run->kinds[XP_FIND_SIGNATURE] || run->kinds[XP_FIND_CATALOG] ||
	       run->kinds[XP_FIND_JOURNAL];
}

static int failure_findings(const struct run *run)
{
	return run->kinds[XP_FIND_MISSING] || run->kinds[XP_FIND_ORPHAN] ||
	       run->kinds[XP_FIND_CONTINUITY] || run->kinds[XP_FIND_PENDING] ||
	       run->kinds[XP_FIND_SHRED_KEY] || run->kinds[XP_FIND_UNREADABLE] || run->vault_keys;
}

/* A drill asked for that restored nothing, because no backup checked holds a dump stream, is a
 * failure too: a scheduled drill must not pass for ever without restoring a row. */
static void nothing_drilled(struct run *run)
{
	size_t skipped = 0;

	for (size_t i = 0; i < run->n; i++) {
		if (run->items[i].drill != NOT_RUN && run->items[i].drill != SKIPPED)
			return;
		skipped += run->items[i].drill == SKIPPED;
	}
	if (!skipped || run->error)
		return;
	run->error = xp_asprintf("%s%snothing drilled: none of the backups checked is a dump "
	                         "stream",
	                         run->repo ? run->repo : "", run->repo ? ": " : "");
	xp_warn("%s", run->error ? run->error : "nothing drilled");
}

/* Nothing checked is a failure, never "no findings": no backup was there to check. */
static void nothing_checked(struct run *run, int asked)
{
	const char *why = asked    ? "none of the backups asked for is there"
	                  : run->n ? "none of its backups is there"
	                           : "no backups";

	if (run->repo)
		run->error = xp_asprintf("%s: nothing checked: %s", run->repo, why);
	else
		run->error = xp_asprintf("nothing checked: none of the files is there");
	xp_warn("%s", run->error ? run->error : "nothing checked");
}

static void on_copy_finding(void *ctx, const struct xp_copy_event *ev)
{
	struct run *run = ctx;
	struct copyrep *c = &run->cr[run->ncr - 1];
	struct finding *grown;

	if (ev->kind == XP_COPY_PARTIAL) {
		xp_warn("warning: %s", ev->msg);
		c->warnings++;
		return;
	}
	xp_warn("%s", ev->msg);
	grown = realloc(c->found, (c->nfound + 1) * sizeof *grown);
	if (!grown)
		return;
	c->found = grown;
	grown[c->nfound] =
	        (struct finding){ev->kind, strdup(ev->id), strdup(ev->rel), strdup(ev->msg)};
	c->nfound++;
}

/* --copies: every registered copy read back and checked against the catalog and the journal's
 * signed records; the worst exit status it calls for (a copy that cannot be read: 1). */
static int check_copies(struct run *run)
{
	struct xp_copy_targets all = {0};
	struct xp_err err = {0, ""};
	int worst = XP_EXIT_OK, found;

	run->copies = 1;
	if (xp_copy_targets_load(run->repo, &all, &err) != 0) {
		xp_warn("%s", err.msg);
		run->copies_error = strdup(err.msg);
		return XP_EXIT_FAIL;
	}
	if (all.n == 0) {
		run->copies_error =
		        xp_asprintf("%s: no copy target registered (xpcopy add)", run->repo);
		xp_warn("%s: no copy target registered (xpcopy add)", run->repo);
		worst = XP_EXIT_FAIL;
	}
	run->cr = calloc(all.n ? all.n : 1, sizeof *run->cr);
	for (size_t i = 0; run->cr && i < all.n; i++) {
		struct copyrep *c = &run->cr[run->ncr++];

		c->name = strdup(all.v[i].name);
		err = (struct xp_err){0, ""};
		found = xp_copy_check(run->repo, &run->keys.signer, &all.v[i], on_copy_finding, run,
		                      &err);
		for (size_t k = 0; k < c->nfound; k++)
			if (worst != XP_EXIT_INTEGRITY)
				worst = c->found[k].kind == XP_COPY_CHANGED ? XP_EXIT_INTEGRITY
				                                            : XP_EXIT_FAIL;
		if (found < 0) {
			xp_warn("%s", err.msg);
			c->error = strdup(err.msg);
			if (worst == XP_EXIT_OK)
				worst = XP_EXIT_FAIL;
		} else if (found == 0 && !run->json) {
			printf("copy %s: no findings\n", all.v[i].name);
		}
	}
	if (!run->cr)
		worst = XP_EXIT_FAIL;
	xp_copy_targets_free(&all);
	return worst;
}

/* Checks every item, then the catalog and journal, reporting each finding as it goes: 0, or
 * XP_EINTEGRITY (something was tampered with) or XP_EFAIL (missing, unreadable), with nothing
 * more to say. */
static int check_all(struct run *run, int asked)
{
	struct xp_err err;
	int rc;

	/* A rollback fails the run, after every other finding was reported too; a catalog and
	 * journal removed altogether are the oldest rollback of all, not a repository that never
	 * had them. */
	err = (struct xp_err){0, ""};
	if (run->repo && !asked && !run->copy[0] &&
	    xp_trust_check_marks(run->repo, &run->trust, &err) == XP_EINTEGRITY) {
		xp_warn("%s", err.msg);
		run->rollback = strdup(err.msg);
	}

	for (size_t i = 0; i < run->n; i++) {
		struct item *it = &run->items[i];

		err = (struct xp_err){0, ""};
		it->status = check_item(run, it, &err);
		if (it->status != GOOD)
			xp_warn("%s", err.msg);
		else if (!run->json)
			printf("%s: good signature\n", it->byid ? it->id : it->path);
		if (it->status == GOOD && run->deep)
			deep_item(run, it);
	}
	rc = 0;
	if (run->catalog) {
		size_t before = run->nfound;

		err = (struct xp_err){0, ""};
		run->checking = 1;
		rc = xp_catalog_check_flags(run->repo, &run->keys.signer, XP_CHECK_NO_SIGNATURES,
		                            on_finding, run, &err);
		run->checking = 0;
		if (rc < 0) {
			xp_warn("%s", err.msg);
			run->check_failed = 1;
			run->error = strdup(err.msg);
		} else {
			check_erasures(run);
		}
		for (size_t i = before; i < run->nfound; i++)
			xp_warn("%s%s", run->found[i].kind == XP_FIND_SEAL_TEMP ? "warning: " : "",
			        run->found[i].msg);
		if (run->n > 1)
			qsort(run->items, run->n, sizeof *run->items, by_path);
	}
	for (size_t i = 0; i < run->n; i++)
		run->count[run->items[i].status]++;
	if (run->drill)
		nothing_drilled(run);
	if (run->n == run->count[MISSING] && !run->error)
		nothing_checked(run, asked);
	else if (run->catalog && rc == 0 && !run->json && !run->rollback)
		printf("catalog and journal: no findings\n");
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		xp_warn("standard output: %s", strerror(errno ? errno : EIO));
		return XP_EFAIL;
	}
	if (run->count[BAD] || integrity_findings(run) || run->rollback)
		return XP_EINTEGRITY;
	return run->count[MISSING] || run->count[FAILED] || failure_findings(run) ||
	                       run->check_failed || run->error
	               ? XP_EFAIL
	               : 0;
}

/* A repository that never had a catalog (made by hand, or before catalogs) gets the signature
 * checks only; once it has a catalog, signature or journal, all three are checked. */
static int has_catalog(const char *repo)
{
	static const enum xp_repo_file files[] = {XP_REPO_CATALOG, XP_REPO_CATALOG_SIG,
	                                          XP_REPO_JOURNAL};
	int found = 0;

	for (size_t i = 0; i < 3 && !found; i++) {
		char *p = xp_repo_file(repo, files[i]);
		struct stat st;

		/* a link counts, dangling or not: it is planted, and the check says so */
		found = !p || xp_os_lstat(p, &st) == 0; /* out of memory: check rather than skip */
		free(p);
	}
	return found;
}

/* What a change cleaned up on the way (a temp file of an interrupted seal). */
static void on_notice(void *ctx, const struct xp_catalog_finding *f)
{
	(void)ctx;
	xp_warn("%s", f->msg);
}

/* --adopt: complete backups that the catalog does not name come back into it. */
static int adopt(struct run *run, const char *signing_key, struct xp_err *err)
{
	struct xp_signkey *key = NULL;
	size_t before = run->nfound;
	int rc;

	rc = xp_sign_load_key(signing_key ? signing_key : xp_keys_default_signing_key(), &key, err);
	if (rc == 0)
		rc = xp_catalog_adopt(run->repo, key, on_finding, run, NULL, err);
	xp_sign_free_key(key);
	for (size_t i = before; !run->json && i < run->nfound; i++)
		printf("%s\n", run->found[i].msg);
	return rc;
}

/* The run fails before checking anything: --json still prints one object (the message goes
 * to standard error too, as every failure's). Returns rc. */
static int json_error(const struct run *run, int rc, const struct xp_err *err)
{
	if (run->json) {
		fputs("{\"message\":", stdout);
		xp_json_string(err->msg);
		puts("}");
	}
	return rc;
}

/* With -r: the repository must match this host's pins (a first use pins it); every signature
 * is then checked with the signer trusted, which the run names. */
static int trust(struct run *run, struct xp_err *err)
{
	struct xp_trust_opts o = {.pubkey = run->pubkey,
	                          .bound = run->keys.sk ? &run->keys.bound : NULL};
	char said[512];
	int rc;

	rc = xp_trust_check(run->repo, &o, &run->trust, err);
	if (rc)
		return rc;
	if (run->trust.pinned_now) {
		xp_trust_first_use(&run->trust, run->repo, said, sizeof said);
		xp_warn("%s", said);
	}
	/* The pinned signer is the rule; any other is named (--json always names it). */
	if (!run->json && !run->trust.pinned_now && run->trust.from != XP_TRUST_FROM_PIN) {
		xp_trust_describe_signer(&run->trust, said, sizeof said);
		xp_warn("%s: %s", run->repo, said);
	}
	run->pubkey = run->trust.signer_path;
	xp_sign_pub_from(run->trust.signer, &run->keys.signer);
	return 0;
}

/* The command line, parsed (what the run itself needs is in struct run). */
struct args {
	const char *repo_opt, *signing_key, *pwfile, *drill_file, *against_file;
	int adopting;
	int copies;                  /* --copies: every registered copy is read back too */
	struct against_opts against; /* --against: its connstr, when given, runs the comparison */
	char **names;                /* FILE or ID arguments */
	int nnames;
};

/* Reads the command line into a and run: -1 to go on, else the exit status (--help,
 * --version, a usage error). */
static int parse(int argc, char **argv, struct args *a, struct run *run)
{
	static const struct option longopts[] = {
	        {"repo", required_argument, NULL, 'r'},
	        {"pubkey", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"adopt", no_argument, NULL, 'a'},
	        {"copies", no_argument, NULL, 'C'},
	        {"signing-key", required_argument, NULL, 'k'},
	        {"deep", no_argument, NULL, 'd'},
	        {"drill", required_argument, NULL, 'D'},
	        {"drill-dsn-file", required_argument, NULL, 'F'},
	        {"ignore-erasures", no_argument, NULL, 'I'},
	        {"password-file", required_argument, NULL, 'P'},
	        {"against", required_argument, NULL, 'A'},
	        {"against-dsn-file", required_argument, NULL, 'B'},
	        {"source", required_argument, NULL, 'S'},
	        {"key", required_argument, NULL, 'K'},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = xp_cli_getopt(argc, argv, "r:p:h", longopts)) != -1) {
		switch (c) {
		case 'r': a->repo_opt = optarg; break;
		case 'p': run->pubkey = optarg; break;
		case 'j': run->json = 1; break;
		case 'a': a->adopting = 1; break;
		case 'C': a->copies = 1; break;
		case 'k': a->signing_key = optarg; break;
		case 'd': run->deep = 1; break;
		case 'D':
			run->deep = 1;
			run->drill = optarg;
			break;
		case 'F':
			run->deep = 1;
			a->drill_file = optarg;
			break;
		case 'I': run->ignore_erasures = 1; break;
		case 'P': a->pwfile = optarg; break;
		case 'A': a->against.connstr = optarg; break;
		case 'B': a->against_file = optarg; break;
		case 'S': a->against.source = optarg; break;
		case 'K': a->against.key = optarg; break;
		case 'h': usage(stdout); return XP_EXIT_OK;
		case XP_CLI_VERSION: return xp_cli_version();
		default: return XP_EXIT_USAGE;
		}
	}
	a->names = argv + optind;
	a->nnames = argc - optind;
	run->repo = xp_repo_path(a->repo_opt);
	if (!a->nnames && !run->repo)
		return xp_usage_error("nothing to check: give FILEs or -r REPO");
	if (a->adopting && (!run->repo || a->nnames))
		return xp_usage_error("--adopt takes -r REPO and no FILE or ID");
	if (a->copies && (!run->repo || a->nnames || a->adopting))
		return xp_usage_error("--copies takes -r REPO and no FILE, ID or --adopt");
	if (run->deep && !run->repo)
		return xp_usage_error(
		        "--deep and --drill need -r REPO (its key opens the backups)");
	if (run->drill && a->drill_file)
		return xp_usage_error("give one of --drill and --drill-dsn-file");
	if (run->ignore_erasures && !run->drill && !a->drill_file)
		return xp_usage_error("--ignore-erasures applies to --drill");
	if (a->against.connstr && a->against_file)
		return xp_usage_error("give one of --against and --against-dsn-file");
	if ((a->against.connstr || a->against_file) && (!run->repo || a->nnames || a->adopting))
		return xp_usage_error("--against takes -r REPO and no FILE or ID");
	if ((a->against.source || a->against.key) && !a->against.connstr && !a->against_file)
		return xp_usage_error("--source and --key apply to --against");
	return -1;
}

/* --deep: the repository key, unlocked with the password, and the catalog for the state of
 * each backup. */
static int unlock(struct run *run, const char *pwfile, struct xp_err *err)
{
	char *pw = NULL;
	size_t pwlen = 0;
	int rc;

	rc = xp_secret_password(pwfile, "Configuration password: ", 0, &pw, &pwlen, err);
	if (rc == 0)
		rc = xp_verify_unlock(run->repo, pw, pwlen, &run->keys, err);
	xp_secret_free(pw);
	if (rc)
		return rc;
	if (xp_catalog_load(run->repo, &run->cat, &(struct xp_err){0, ""}) != 0)
		xp_catalog_free(&run->cat); /* the catalog check reports why */
	if (!run->keys.bound.present)
		xp_warn("%s: keys/repo.key is of an older format that does not carry the "
		        "signer's key: the password cannot vouch for keys/signer.pub",
		        run->repo);
	return 0;
}

/* --drill: the erasure ledger its restores go through (xperase(1)). One that cannot be read
 * fails every drill; with --ignore-erasures none is applied, which is said loudly and
 * journaled. */
static int drill_ledger(struct run *run, struct xp_err *err)
{
	struct xp_err lerr = {0, ""};
	char reason[600];
	int rc = xp_erase_load(run->repo, &run->keys.signer, &run->ledger, &lerr);

	if (!run->ignore_erasures) {
		if (rc) {
			run->ledger_err = lerr;
			run->ledger_why = xp_asprintf("the erasure ledger cannot be applied: %s "
			                              "(nothing restored; --ignore-erasures drills "
			                              "every row)",
			                              lerr.msg);
		}
		run->keys.ledger = rc ? NULL : &run->ledger;
		return 0;
	}
	snprintf(reason, sizeof reason, "drilled with --ignore-erasures: %s",
	         rc ? lerr.msg : "the ledger was not applied");
	xp_warn("WARNING: %s: the erasure ledger is NOT applied: drills restore rows that erasure "
	        "requests cover (%s)",
	        run->repo, rc ? lerr.msg : "--ignore-erasures");
	xp_erase_ledger_free(&run->ledger);
	return run->copy[0] ? 0
	                    : xp_journal_append(run->repo, NULL, "erasures-ignored", reason,
	                                        "drill", err);
}

/* Whether -r names a copy that this host registered (xpcopy): checked like a repository, but
 * its catalog and journal are the repository's as of its last copy, so nothing is journaled
 * there and nothing pinned from it, and it is not held to the catalog and journal this host
 * has seen of the repository. --adopt, which changes a repository, is refused on a copy. */
static int copy_of(struct run *run, int adopting, struct xp_err *err)
{
	struct xp_err e = {0, ""};
	int rc = xp_copy_is_target(run->repo, run->copy, &e);

	/* A registry that cannot be read does not stop the checks of a repository. */
	if (rc < 0)
		xp_warn("%s: checked as a repository, not as a copy: %s", run->repo, e.msg);
	if (rc > 0 && adopting)
		return xp_err_set(err, XP_EFAIL,
		                  "%s: copy %s of a repository: --adopt changes the repository, "
		                  "never a copy",
		                  run->repo, run->copy);
	return 0;
}

/* Verifies what a asks: 0, or a library code; after the checks ran, their findings are
 * reported already and err stays empty. */
static int cmd_verify(struct args *a, struct run *run, struct xp_err *err)
{
	struct xp_err seen = {0, ""};
	int rc = 0, st, shreddable;

	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	/* the repository's config as xpseal reads it: a link or a damaged one refused alike */
	if (run->repo && ((rc = xp_keys_check_repo(run->repo, err)) != 0 ||
	                  (rc = xp_seal_repo_shreddable(run->repo, &shreddable, err)) != 0))
		return json_error(run, rc, err);
	if (a->drill_file) {
		rc = xp_cli_dsn_file(a->drill_file, &run->drill_buf, err);
		if (rc)
			return rc;
		run->drill = run->drill_buf;
	}
	if (a->against_file) {
		rc = xp_cli_dsn_file(a->against_file, &run->against_buf, err);
		if (rc)
			return rc;
		a->against.connstr = run->against_buf;
	}
	if ((run->deep || a->against.connstr) && (rc = unlock(run, a->pwfile, err)) != 0)
		return rc;
	if (run->repo && (rc = trust(run, err)) != 0)
		return json_error(run, rc, err);
	if (run->repo && (rc = copy_of(run, a->adopting, err)) != 0)
		return json_error(run, rc, err);
	if (run->drill && (rc = drill_ledger(run, err)) != 0)
		return json_error(run, rc, err);
	run->catalog = !a->nnames && (a->adopting || has_catalog(run->repo));
	if (a->adopting)
		rc = adopt(run, a->signing_key, err);
	if (rc == 0 && !a->nnames)
		rc = scan_repo(run, err);
	for (int i = 0; rc == 0 && i < a->nnames; i++)
		rc = add_arg(run, a->names[i], err);
	if (rc)
		return rc;
	*err = (struct xp_err){0, ""}; /* from here on each finding is reported where found */
	rc = check_all(run, a->nnames > 0);
	if (a->against.connstr) {
		a->against.repo = run->repo;
		a->against.signer = &run->keys.signer;
		a->against.sk = run->keys.sk;
		/* its differences are reported as found, like the checks' findings */
		st = against_all(&a->against);
		rc = rc == XP_EINTEGRITY || st == XP_EXIT_INTEGRITY ? XP_EINTEGRITY
		     : rc                                           ? rc
		     : st == XP_EXIT_USAGE                          ? XP_EUSAGE
		     : st                                           ? XP_EFAIL
		                                                    : 0;
	}
	if (a->copies && (st = check_copies(run)) != XP_EXIT_OK && rc != XP_EINTEGRITY)
		rc = st == XP_EXIT_INTEGRITY ? XP_EINTEGRITY : XP_EFAIL;
	if (run->json)
		print_json(run);
	errno = 0;
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
		xp_warn("standard output: %s", strerror(errno ? errno : EIO));
		rc = XP_EFAIL;
	}
	/* What this run verified becomes what this host has seen (of the repository, not of a
	 * copy, which may lag it). */
	if (rc == 0 && run->catalog && !run->copy[0] &&
	    xp_trust_seen(run->repo, &run->trust, &seen) != 0)
		xp_warn("%s: trust pins not updated: %s", run->repo, seen.msg);
	return rc;
}

static void run_free(struct run *run)
{
	xp_trust_free(&run->trust);
	free(run->rollback);
	for (size_t i = 0; i < run->n; i++) {
		free(run->items[i].id);
		free(run->items[i].path);
		free(run->items[i].msg);
		xp_verify_result_free(&run->items[i].res);
	}
	xp_cli_dsn_free(run->drill_buf);
	xp_cli_dsn_free(run->against_buf);
	xp_verify_keys_free(&run->keys);
	xp_erase_ledger_free(&run->ledger);
	free(run->ledger_why);
	xp_catalog_free(&run->cat);
	free(run->items);
	for (size_t i = 0; i < run->nfound; i++) {
		free(run->found[i].id);
		free(run->found[i].path);
		free(run->found[i].msg);
	}
	free(run->found);
	free(run->error);
	for (size_t i = 0; i < run->ncr; i++) {
		for (size_t k = 0; k < run->cr[i].nfound; k++) {
			free(run->cr[i].found[k].id);
			free(run->cr[i].found[k].path);
			free(run->cr[i].found[k].msg);
		}
		free(run->cr[i].found);
		free(run->cr[i].name);
		free(run->cr[i].error);
	}
	free(run->cr);
	free(run->copies_error);
}

int main(int argc, char **argv)
{
	struct xp_err err = {0, ""};
	struct args a = {0};
	struct run run = {0};
	int rc;

	xp_progname = "xpverify";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	xp_catalog_set_notice(on_notice, NULL);
	rc = parse(argc, argv, &a, &run);
	if (rc >= 0)
		return rc;
	rc = cmd_verify(&a, &run, &err);
	run_free(&run);
	/* findings were reported as they were found; a failure before them is one message */
	return !rc ? XP_EXIT_OK : err.msg[0] ? xp_fail(&err) : xp_exit_status(rc);
}
