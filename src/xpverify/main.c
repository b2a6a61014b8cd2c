/* xpverify: checks the signatures of sealed backups, by file or by id in a repository; with
 * --deep their whole content, with --drill a restore into a scratch database. */
#include "config.h"

#include "catalog.h"
#include "keys.h"
#include "seal.h"
#include "secret.h"
#include "sign.h"
#include "util.h"
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID_HEX 32

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

struct run {
	const char *repo; /* NULL without -r and XP_REPO */
	int catalog;      /* -r without ids: the catalog and journal are checked too */
	int checking;     /* findings now come from the catalog check (not --adopt) */
	struct finding *found;
	size_t nfound, kinds[NKINDS]; /* findings, and how many of each kind */
	size_t warnings;              /* seal temp files seen (not findings) */
	int check_failed;             /* the catalog check could not run */
	char *error;        /* why the run failed as a whole ("nothing checked"), or NULL */
	const char *pubkey; /* -p, or NULL to find the repository's signer.pub */
	int json;
	int deep;          /* --deep or --drill */
	const char *drill; /* --drill CONNSTR */
	struct xp_verify_keys keys;
	struct xp_catalog cat; /* for the state of each backup (shredded ones are not opened) */
	struct item *items;
	size_t n, cap;
	size_t count[4]; /* backups by status, counted once every check is done */
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: xpverify [-p PUBKEY] [--json] FILE...\n"
	        "       xpverify -r REPO [-p PUBKEY] [--json] [ID|FILE]...\n"
	        "       xpverify -r REPO --deep [--drill CONNSTR | --drill-dsn-file F]\n"
	        "                [--password-file F] [--json] [ID|FILE]...\n"
	        "       xpverify -r REPO --adopt [--signing-key F] [--json]\n"
	        "Checks the minisign signature FILE.minisig of each sealed backup FILE;\n"
	        "with -r, of the backups named by ID, or of every backup in REPO/data and\n"
	        "then the catalog against the files, its signature and the journal chain.\n"
	        "      --deep           also decrypt everything and check each dump's tables\n"
	        "                       against its SUMMARY (needs the password)\n"
	        "      --drill CONNSTR  also restore each dump into scratch tables in CONNSTR,\n"
	        "                       compare them with the backup, drop them (implies --deep)\n"
	        "      --drill-dsn-file F\n"
	        "                       --drill with the connection string read from F\n"
	        "      --password-file F\n"
	        "                       read the configuration password from F\n"
	        "      --adopt          take complete backups missing from the catalog back in\n"
	        "      --signing-key F  the host's signing key for --adopt\n"
	        "  -r, --repo REPO      the repository (default $XP_REPO)\n"
	        "  -p, --pubkey FILE    the signer's public key (default: keys/signer.pub of\n"
	        "                       the repository that holds the file)\n"
	        "      --json           print one JSON object\n"
	        "  -h, --help           print this help\n");
}

static int is_id(const char *s)
{
	return strlen(s) == ID_HEX && strspn(s, "0123456789abcdef") == ID_HEX;
}

/* The id in a path ending in "/ID.xps", or NULL. */
static char *id_of_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n != ID_HEX + 4 || strcmp(base + ID_HEX, ".xps") != 0)
		return NULL;
	if (strspn(base, "0123456789abcdef") != ID_HEX)
		return NULL;
	return strndup(base, ID_HEX);
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
	if (run->repo && is_id(arg))
		return add(run, strdup(arg),
		           xp_asprintf("%s/data/%.2s/%s.xps", run->repo, arg, arg), 1, err);
	return add(run, id_of_path(arg), strdup(arg), 0, err);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->path, ((const struct item *)b)->path);
}

/* Every REPO/data/XX/ID.xps, sorted. */
static int scan_repo(struct run *run, struct xp_err *err)
{
	char *data = xp_asprintf("%s/data", run->repo), *sub = NULL;
	DIR *d = NULL, *sd = NULL;
	struct dirent *e, *f;
	int rc = 0;

	if (!data)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	d = opendir(data);
	if (!d && errno == ENOENT && access(run->repo, F_OK) == 0)
		goto out; /* a repository without backups yet */
	if (!d) {
		rc = errno == ENOENT ? xp_err_sys(err, XP_ENOENT, "%s", run->repo)
		                     : xp_err_sys(err, XP_EFAIL, "%s", data);
		goto out;
	}
	while (rc == 0 && (e = readdir(d))) {
		if (strlen(e->d_name) != 2 || strspn(e->d_name, "0123456789abcdef") != 2)
			continue;
		free(sub);
		sub = xp_asprintf("%s/%s", data, e->d_name);
		if (!sub || !(sd = opendir(sub))) {
			rc = sub ? xp_err_sys(err, XP_EFAIL, "%s", sub)
			         : xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		while (rc == 0 && (f = readdir(sd))) {
			char *id = id_of_path(f->d_name);

			if (id && strncmp(id, e->d_name, 2) == 0)
				rc = add(run, id, xp_asprintf("%s/%s", sub, f->d_name), 1, err);
			else
				free(id);
		}
		closedir(sd);
	}
	if (rc == 0 && run->n > 1)
		qsort(run->items, run->n, sizeof *run->items, by_path);
out:
	if (d)
		closedir(d);
	free(sub);
	free(data);
	return rc;
}

/* The signer.pub of the repository holding path: the first DIR/keys/signer.pub walking up. */
static char *find_pubkey(const char *path)
{
	char dir[PATH_MAX], real[PATH_MAX], *p, *pub;

	if (strlen(path) >= sizeof dir)
		return NULL;
	strcpy(dir, path);
	if (!realpath(dirname(dir), real))
		return NULL;
	for (;;) {
		pub = xp_asprintf("%s/keys/signer.pub", real[1] ? real : "");
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
	uint8_t pk[XP_KEYS_PK_LEN];
	size_t n = strlen(pub), tail = strlen("/keys/signer.pub");
	char *repo;
	int rc;

	if (n < tail || strcmp(pub + n - tail, "/keys/signer.pub") != 0)
		return -1;
	repo = strndup(pub, n - tail);
	rc = repo && xp_keys_load_public(*repo ? repo : "/", pk, kid, NULL) == 0 ? 0 : -1;
	free(repo);
	return rc;
}

/* Checks one backup's signature, and that it, the file's header and the id it is stored under
 * agree (and, in a repository, that it was sealed for that repository), from one read of the
 * file; later checks of a backup belong here too. */
static enum status check_item(const struct run *run, const struct item *it, struct xp_err *err)
{
	char *sig = xp_asprintf("%s.minisig", it->path), *found = NULL, *repo_pub = NULL;
	const char *pub = run->pubkey;
	struct xp_seal_checked chk;
	struct xp_sign_pub key;
	uint8_t kid[XP_KEYS_ID_LEN];
	int rc, has_kid = 0;

	if (!sig) {
		xp_err_set(err, XP_ENOMEM, "out of memory");
		return FAILED;
	}
	if (!pub && it->byid)
		pub = found = xp_asprintf("%s/keys/signer.pub", run->repo);
	else if (!pub)
		pub = found = find_pubkey(it->path);
	if (!pub && run->repo) /* a copy outside any repository: the one named by -r */
		pub = found = xp_asprintf("%s/keys/signer.pub", run->repo);
	if (run->repo) {
		repo_pub = xp_asprintf("%s/keys/signer.pub", run->repo);
		has_kid = repo_pub && repo_kid_of(repo_pub, kid) == 0;
	} else if (pub) {
		has_kid = repo_kid_of(found ? found : pub, kid) == 0;
	}
	if (!pub && access(it->path, F_OK) != 0)
		rc = xp_err_sys(err, XP_ENOENT, "%s", it->path);
	else if (!pub)
		rc = xp_err_set(err, XP_EFAIL, "%s: no keys/signer.pub above it (use -p)",
		                it->path);
	else if (access(it->path, F_OK) == 0 && access(sig, F_OK) != 0 && errno == ENOENT)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: signature missing", sig);
	else if (access(it->path, F_OK) != 0)
		rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", it->path);
	else if ((rc = xp_sign_pub_load(pub, &key, err)) == 0)
		rc = xp_seal_check(it->path, sig, &key, it->id, has_kid ? kid : NULL, -1, &chk,
		                   err);
	if (rc == 0)
		xp_seal_checked_free(&chk);
	free(repo_pub);
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

	if (!run->repo || !it->id)
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
	char prefix[18], *reason = NULL;
	int rc = 0;

	if (!it->res.dump) {
		it->drill = SKIPPED;
		if (!run->json)
			printf("%s: drill skipped: not a dump stream\n", name);
		journal(run, it, "drill", "skipped: not a dump stream");
		return;
	}
	if (!it->id)
		rc = xp_seal_read_header(it->path, &h, &err);
	if (rc == 0) {
		xp_verify_drill_prefix(it->id ? it->id : h.id_hex, prefix);
		xp_fault_point("verify: drill");
		rc = xp_verify_drill(&run->keys, it->path, run->drill, prefix, &it->res, &err);
	}
	if (rc == 0) {
		it->drill = PASSED;
		reason = xp_asprintf("drill passed: %zu table%s, %llu row%s restored and compared",
		                     it->res.ntables, plural(it->res.ntables),
		                     (unsigned long long)it->res.rows, plural(it->res.rows));
		if (!run->json && reason)
			printf("%s: %s\n", name, reason);
	} else {
		it->drill = failed(it, rc);
		free(it->msg);
		it->msg = strdup(err.msg);
		xp_warn("%s: drill failed: %s", name, err.msg);
		reason = xp_asprintf("drill failed: %s", err.msg);
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
			printf(",\"tables\":%zu,\"rows\":%llu", r->ntables,
			       (unsigned long long)r->rows);
		else if (it->drill != NOT_RUN && it->msg) {
			fputs(",\"message\":", stdout);
			xp_json_string(it->msg);
		}
		putchar('}');
	}
	printf(",\"journaled\":%s", it->journaled < 0 ? "null" : it->journaled ? "true" : "false");
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
	    add(run, strdup(f->id), xp_asprintf("%s/%s", run->repo, f->path), 1, &err) != 0) {
		xp_warn("%s", err.msg);
		run->check_failed = 1;
		return;
	}
	worsen(&run->items[i], s);
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
	       run->kinds[XP_FIND_PENDING] || run->kinds[XP_FIND_SHRED_KEY] ||
	       run->kinds[XP_FIND_UNREADABLE];
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

static int check_all(struct run *run, int asked)
{
	struct xp_err err;
	int rc;

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
		rc = xp_catalog_check_flags(run->repo, XP_CHECK_NO_SIGNATURES, on_finding, run,
		                            &err);
		run->checking = 0;
		if (rc < 0) {
			xp_warn("%s", err.msg);
			run->check_failed = 1;
			run->error = strdup(err.msg);
		}
		for (size_t i = before; i < run->nfound; i++)
			xp_warn("%s%s", run->found[i].kind == XP_FIND_SEAL_TEMP ? "warning: " : "",
			        run->found[i].msg);
		if (run->n > 1)
			qsort(run->items, run->n, sizeof *run->items, by_path);
	}
	for (size_t i = 0; i < run->n; i++)
		run->count[run->items[i].status]++;
	if (run->n == run->count[MISSING] && !run->error)
		nothing_checked(run, asked);
	else if (run->catalog && rc == 0 && !run->json)
		printf("catalog and journal: no findings\n");
	if (run->json)
		print_json(run);
	if (fflush(stdout) != 0)
		return XP_EXIT_FAIL;
	if (run->count[BAD] || integrity_findings(run))
		return XP_EXIT_INTEGRITY;
	return run->count[MISSING] || run->count[FAILED] || failure_findings(run) ||
	                       run->check_failed || run->error
	               ? XP_EXIT_FAIL
	               : XP_EXIT_OK;
}

/* A repository that never had a catalog (made by hand, or before catalogs) gets the signature
 * checks only; once it has a catalog, signature or journal, all three are checked. */
static int has_catalog(const char *repo)
{
	static const char *const names[] = {"catalog", "catalog.minisig", "journal"};
	int found = 0;

	for (size_t i = 0; i < 3 && !found; i++) {
		char *p = xp_asprintf("%s/%s", repo, names[i]);

		found = !p || access(p, F_OK) == 0; /* out of memory: check rather than skip */
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"repo", required_argument, NULL, 'r'},
	        {"pubkey", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"adopt", no_argument, NULL, 'a'},
	        {"signing-key", required_argument, NULL, 'k'},
	        {"deep", no_argument, NULL, 'd'},
	        {"drill", required_argument, NULL, 'D'},
	        {"drill-dsn-file", required_argument, NULL, 'F'},
	        {"password-file", required_argument, NULL, 'P'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct run run = {0};
	struct xp_err err = {0, ""};
	const char *repo_opt = NULL, *signing_key = NULL, *pwfile = NULL, *drill_file = NULL;
	char *drill_buf = NULL;
	int c, rc = 0, status, adopting = 0;

	xp_progname = "xpverify";
	xp_catalog_set_notice(on_notice, NULL);
	opterr = 0; /* one message, in the house format */
	while ((c = getopt_long(argc, argv, ":r:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': repo_opt = optarg; break;
		case 'p': run.pubkey = optarg; break;
		case 'j': run.json = 1; break;
		case 'a': adopting = 1; break;
		case 'k': signing_key = optarg; break;
		case 'd': run.deep = 1; break;
		case 'D':
			run.deep = 1;
			run.drill = optarg;
			break;
		case 'F':
			run.deep = 1;
			drill_file = optarg;
			break;
		case 'P': pwfile = optarg; break;
		case 'h': usage(stdout); return XP_EXIT_OK;
		case ':': return xp_usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return xp_usage_error("unknown option '-%c'", optopt);
			return xp_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	run.repo = xp_repo_path(repo_opt);
	if (optind == argc && !run.repo)
		return xp_usage_error("nothing to check: give FILEs or -r REPO");
	if (adopting && (!run.repo || optind < argc))
		return xp_usage_error("--adopt takes -r REPO and no FILE or ID");
	if (run.deep && !run.repo)
		return xp_usage_error(
		        "--deep and --drill need -r REPO (its key opens the backups)");
	if (run.drill && drill_file)
		return xp_usage_error("give one of --drill and --drill-dsn-file");
	if (sodium_init() < 0)
		return xp_fail(&(struct xp_err){XP_EFAIL, "libsodium: cannot initialise"});
	if (run.repo && xp_keys_check_repo(run.repo, &err) != 0) {
		if (run.json) {
			fputs("{\"message\":", stdout);
			xp_json_string(err.msg);
			puts("}");
		}
		return xp_fail(&err);
	}
	if (drill_file) {
		if (xp_secret_dsn_file(drill_file, &drill_buf, &err))
			return xp_fail(&err);
		run.drill = drill_buf;
	}
	if (run.deep) {
		char *pw = NULL;
		size_t pwlen = 0;

		rc = xp_secret_password(pwfile, "Configuration password: ", 0, &pw, &pwlen, &err);
		if (rc == 0)
			rc = xp_verify_unlock(run.repo, pw, pwlen, &run.keys, &err);
		xp_secret_free(pw);
		if (rc) {
			xp_secret_dsn_free(drill_buf);
			return xp_fail(&err);
		}
		if (xp_catalog_load(run.repo, &run.cat, &(struct xp_err){0, ""}) != 0)
			xp_catalog_free(&run.cat); /* the catalog check reports why */
	}
	run.catalog = optind == argc && (adopting || has_catalog(run.repo));
	if (adopting)
		rc = adopt(&run, signing_key, &err);
	if (rc == 0 && optind == argc)
		rc = scan_repo(&run, &err);
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = add_arg(&run, argv[i], &err);
	status = rc ? xp_fail(&err) : check_all(&run, optind < argc);
	for (size_t i = 0; i < run.n; i++) {
		free(run.items[i].id);
		free(run.items[i].path);
		free(run.items[i].msg);
		xp_verify_result_free(&run.items[i].res);
	}
	xp_secret_dsn_free(drill_buf);
	xp_verify_keys_free(&run.keys);
	xp_catalog_free(&run.cat);
	free(run.items);
	for (size_t i = 0; i < run.nfound; i++) {
		free(run.found[i].id);
		free(run.found[i].path);
		free(run.found[i].msg);
	}
	free(run.found);
	free(run.error);
	return status;
}
