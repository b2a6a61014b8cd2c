/* Unit tests of the catalog and journal: round trips, the hash chain, recovery, the lock,
 * checks and adoption, on real sealed files in a temp repository. */
#include "config.h"

#include "repo/catalog.h"
#include "repo/journal.h"
#include "repo/keys.h"
#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "crypto/sign.h"
#include "../tap.h"
#include "base/err.h"
#include "base/io.h"
#include "base/str.h"
#include "base/os.h"
#include "../rmtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif
#include <unistd.h>

#include <sodium.h>

static char tmp[64], repo[128];
static struct xp_signkey *key;

static char *slurp(const char *rel)
{
	char path[512], *buf = NULL;

	snprintf(path, sizeof path, "%s/%s", repo, rel);
	if (xp_file_read(path, 1 << 24, &buf, NULL, NULL))
		return NULL;
	return buf;
}

static void spit(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", repo, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f))
		perror(path);
}

static int exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", repo, rel);
	return stat(path, &st) == 0;
}

/* Whether the host's vault (vault.h) holds the key file of backup id. */
static int in_vault(const char *id)
{
	char rid[XP_KEYS_REPO_ID_HEX], path[512];
	struct stat st;

	if (xp_keys_repo_id(repo, rid, NULL))
		return 0;
	snprintf(path, sizeof path, "%s/state/vault/%s/%s.key", tmp, rid, id);
	return stat(path, &st) == 0;
}

/* A copy of file from at to (no link(2) on Windows); 0 or -1. */
static int copy(const char *from, const char *to)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = xp_file_read(from, 1 << 24, &buf, &len, NULL) ||
	                         xp_file_write_atomic(to, buf, len, 0600, NULL)
	                 ? -1
	                 : 0;

	free(buf);
	return rc;
}

/* Seals some bytes into the repository; fills e from the seal info. */
static int seal(const char *text, int shreddable, struct xp_catalog_entry *e)
{
	struct xp_seal_backup_opts o = {.key = key, .shreddable = shreddable};
	struct xp_seal_info info;
	struct xp_err err = {0};
	char *path = NULL;
	int p[2], rc;

	if (xp_os_pipe(p))
		return -1;
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(p[1]);
	rc = xp_seal_backup(repo, p[0], &o, &info, &path, &err);
	close(p[0]);
	free(path);
	if (rc) {
		printf("# seal: %s\n", err.msg);
		return rc;
	}
	memset(e, 0, sizeof *e);
	memcpy(e->id, info.id, sizeof e->id);
	e->created = info.created;
	e->size = info.bytes_out;
	memcpy(e->hash, info.hash, sizeof e->hash);
	e->shreddable = shreddable;
	return 0;
}

struct findings {
	int n;
	char all[4096];
};

static void collect(void *ctx, const struct xp_catalog_finding *f)
{
	struct findings *fs = ctx;
	size_t len = strlen(fs->all);

	fs->n++;
	snprintf(fs->all + len, sizeof fs->all - len, "%s%s: %s", len ? "|" : "",
	         xp_catalog_finding_name(f->kind), f->msg);
}

static int check(struct findings *fs)
{
	struct xp_err err = {0};
	int n;

	memset(fs, 0, sizeof *fs);
	n = xp_catalog_check(repo, collect, fs, &err);
	if (n < 0)
		printf("# check: %s\n", err.msg);
	if (n > 0)
		printf("# findings: %s\n", fs->all);
	return n;
}

static int verify(void)
{
	struct xp_err err = {0};
	int rc = xp_journal_verify(repo, NULL, &err);

	if (rc)
		printf("# journal: %s\n", err.msg);
	return rc;
}

static const char *last_event(void)
{
	static char line[512];
	char *j = slurp("journal"), *p;

	line[0] = '\0';
	if (!j)
		return line;
	j[strlen(j) - 1] = '\0';
	p = strrchr(j, '\n');
	snprintf(line, sizeof line, "%s", p ? p + 1 : j);
	free(j);
	/* drop the time, the chain and the signature: "ID\tevent\treason\tpolicy" */
	p = strchr(line, '\t');
	memmove(line, p ? p + 1 : line, strlen(p ? p + 1 : line) + 1);
	p = line;
	for (int k = 0; k < 4 && p; k++) {
		p = strchr(p, '\t');
		p = p ? p + 1 : NULL;
	}
	if (p)
		p[-1] = '\0';
	return line;
}

/* Journals one event signed by the host's key, as a change does: what a crash right after
 * the record leaves. */
static int journal_signed(const char *id, const char *event, const char *reason, const char *policy)
{
	struct xp_catalog_lock lock;
	struct xp_jstate js;
	struct xp_err err;
	int rc;

	rc = xp_catalog_lock(repo, &lock, &err);
	if (rc == 0)
		rc = xp_journal_scan(repo, 1, NULL, NULL, NULL, &js, &err);
	js.key = key;
	if (rc == 0)
		rc = xp_journal_put(repo, &js, id, event, reason, policy, &err);
	xp_catalog_unlock(&lock);
	return rc;
}

static void test_round_trip(struct xp_catalog_entry *a, struct xp_catalog_entry *b)
{
	struct xp_catalog cat = {0};
	const struct xp_catalog_entry *ga, *gb;
	struct xp_err err = {0};
	char *text;

	a->source = "Zürich\tVMS \\ main\nsecond line";
	a->has_window = 1;
	a->oldest = 1700000000;
	a->newest = 1700086399;
	b->source = "-";
	is_int(xp_catalog_add(repo, key, a, &err), 0, "add a backup with an awkward source (%s)",
	       err.msg);
	is_int(xp_catalog_add(repo, key, b, &err), 0, "add a backup whose source is \"-\"");
	is_int(xp_catalog_add(repo, key, a, &err), XP_EFAIL, "adding the same id twice is refused");
	is_int(xp_catalog_hold(repo, key, a->id, "case 42\tcourt order\nline two", &err), 0,
	       "hold with tabs and newlines in the reason");
	is_int(xp_catalog_load(repo, &cat, &err), 0, "load");
	is_int((int64_t)cat.n, 2, "two entries");
	ga = xp_catalog_find(&cat, a->id);
	gb = xp_catalog_find(&cat, b->id);
	ok(ga && gb, "both ids found");
	if (ga && gb) {
		is_str(ga->source, a->source,
		       "source with tab, newline, backslash and UTF-8 survives");
		is_str(gb->source, "-", "a source that is exactly \"-\" survives");
		ok(ga->has_window && ga->oldest == a->oldest && ga->newest == a->newest,
		   "data window survives");
		ok(!gb->has_window, "no window stays no window");
		ok(ga->size == a->size && memcmp(ga->hash, a->hash, 32) == 0 &&
		           ga->created == a->created,
		   "size, hash and creation time survive");
		is_str(ga->hold, "case 42\tcourt order\nline two", "hold reason survives");
		ok(gb->hold == NULL, "no hold is NULL");
		is_str(xp_catalog_state_name(ga->state), "sealed", "state sealed");
		char want[XP_REPO_REL_MAX];

		xp_repo_backup_rel(a->id, want);
		is_str(ga->path, want, "path is data/XX/ID.xps");
	}
	xp_catalog_free(&cat);
	text = slurp("catalog");
	ok(text && strncmp(text, "#xpbackup-catalog-1 id\tstate\tcreated\t", 37) == 0,
	   "catalog starts with its versioned header");
	ok(text && strstr(text, "Zürich\\tVMS \\\\ main\\nsecond line") != NULL,
	   "tab, backslash and newline are escaped in the file");
	ok(text && strstr(text, "\t\\-\t") != NULL, "a literal \"-\" is written \\-");
	free(text);
	is_int(check(&(struct findings){0}), 0, "check finds nothing wrong");
}

/* Rewrites the journal with line `drop` removed, line `edit` altered, or lines `swap` and
 * swap+1 exchanged (1-based, counting the header); returns what verify says, then puts the
 * journal back. */
static int tamper(int drop, int edit, int swap)
{
	char *orig = slurp("journal"), *copy, *lines[64] = {0}, *p;
	struct xp_sbuf_lite {
		char buf[1 << 14];
		size_t len;
	} out = {{0}, 0};
	size_t n = 0;
	int rc;

	if (!orig)
		return -100;
	copy = strdup(orig);
	for (p = strtok(copy, "\n"); p && n < 64; p = strtok(NULL, "\n"))
		lines[n++] = p;
	if (swap) {
		p = lines[swap - 1];
		lines[swap - 1] = lines[swap];
		lines[swap] = p;
	}
	if (edit)
		lines[edit - 1][strlen(lines[edit - 1]) - 68] ^= 1; /* a byte of the reason */
	for (size_t i = 0; i < n; i++)
		if ((int)i + 1 != drop)
			out.len += (size_t)snprintf(out.buf + out.len, sizeof out.buf - out.len,
			                            "%s\n", lines[i]);
	spit("journal", out.buf);
	rc = verify();
	spit("journal", orig);
	free(copy);
	free(orig);
	return rc;
}

static void test_chain(void)
{
	struct xp_err err = {0};
	struct findings fs;
	char *orig, *torn;
	size_t n = 0;

	is_int(xp_journal_verify(repo, &n, &err), 0, "journal chain verifies");
	is_int((int64_t)n, 3, "three events: sealed, sealed, held");
	is_int(tamper(3, 0, 0), XP_EINTEGRITY, "a removed line is detected");
	is_int(tamper(0, 3, 0), XP_EINTEGRITY, "an edited line is detected");
	is_int(tamper(0, 0, 2), XP_EINTEGRITY, "a reordered pair is detected");
	is_int(tamper(1, 0, 0), XP_EINTEGRITY, "a removed header is detected");
	is_int(tamper(4, 0, 0), 0, "removing the last line leaves a valid chain...");
	orig = slurp("journal");
	{
		char *copy = strdup(orig);
		size_t len = strlen(copy);

		copy[len - 1 - 66] ^= 1;
		spit("journal", copy);
		ok(check(&fs) == 2 && strstr(fs.all, "is not the one the catalog recorded") &&
		           strstr(fs.all, "has a signature that does not verify"),
		   "...but check sees the last line differs from the one the signed catalog "
		   "recorded, and its signature no longer verifies");
		spit("journal", orig);
		free(copy);
	}
	is_int(verify(), 0, "the restored journal verifies again");
	torn = xp_asprintf("%s2026-11-27T00:00:00Z\tab", orig);
	spit("journal", torn);
	is_int(xp_journal_verify(repo, NULL, &err), XP_EINTEGRITY,
	       "a torn last line fails verification");
	ok(check(&fs) == 1 && strstr(fs.all, "journal: line 5: torn") != NULL,
	   "check reports the torn line");
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover");
	is_int(verify(), 0, "recover cut the torn line off");
	{
		char *now = slurp("journal");

		ok(now && strncmp(now, orig, strlen(orig)) == 0, "and only that");
		is_str(last_event(), "-\trepaired\tcut a torn last line of 23 bytes\t-",
		       "and journaled the repair");
		free(now);
	}
	free(torn);
	free(orig);
}

static void test_changes(const struct xp_catalog_entry *a, const struct xp_catalog_entry *b)
{
	struct xp_catalog cat = {0};
	struct xp_err err = {0};
	char rel[XP_REPO_REL_MAX], sig[64];

	is_int(xp_catalog_delete(repo, key, a->id, "max-age 90d", "--max-age 90d", &err), XP_EFAIL,
	       "a held backup is not deleted");
	ok(strstr(err.msg, "on legal hold") != NULL, "and the message says why (%s)", err.msg);
	is_int(xp_catalog_shred(repo, key, a->id, "erasure request", &err), XP_EFAIL,
	       "a held backup is not shredded");
	is_int(xp_catalog_release(repo, key, a->id, &err), 0, "release");
	is_int(xp_catalog_release(repo, key, a->id, &err), XP_EFAIL, "release when not held fails");
	is_int(xp_catalog_hold(repo, key, a->id, "", &err), XP_EUSAGE, "a hold needs a reason");
	is_int(xp_catalog_shred(repo, key, a->id, "erasure request", &err), XP_EUSAGE,
	       "a backup sealed without shredding cannot be shredded");
	is_int(xp_catalog_delete(repo, key, "0123456789abcdef0123456789abcdef", NULL, NULL, &err),
	       XP_ENOENT, "deleting an unknown id: XP_ENOENT");

	/* A crash right after the "deleting" record: recover finishes the job. */
	xp_repo_backup_rel(b->id, rel);
	snprintf(sig, sizeof sig, "%s.minisig", rel);
	is_int(journal_signed(b->id, "deleting", "keep-last 1", "--keep-last 1"), 0,
	       "journal a signed deletion and stop there");
	ok(exists(rel) && exists(sig), "the files are still there");
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover (%s)", err.msg);
	ok(!exists(rel) && !exists(sig), "recover removed the .xps and .minisig");
	is_int(xp_catalog_load(repo, &cat, &err), 0, "load");
	ok(cat.n == 1 && xp_catalog_find(&cat, b->id) == NULL, "and the catalog entry");
	xp_catalog_free(&cat);
	{
		char want[128];

		snprintf(want, sizeof want, "%s\tdeleted\tkeep-last 1\t-", b->id);
		is_str(last_event(), want, "and journaled \"deleted\" with the rule");
	}
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover again is a no-op");
	is_str(last_event() + 33, "deleted\tkeep-last 1\t-", "nothing more journaled");

	is_int(xp_catalog_delete(repo, key, a->id, "max-age 90d", "--max-age 90d", &err), 0,
	       "delete");
	xp_repo_backup_rel(a->id, rel);
	ok(!exists(rel), "the file is gone");
	is_int(xp_catalog_load(repo, &cat, &err), 0, "load");
	is_int((int64_t)cat.n, 0, "the catalog is empty");
	xp_catalog_free(&cat);
	is_int(verify(), 0, "journal verifies after deletions");
	is_int(check(&(struct findings){0}), 0, "check finds nothing wrong");
}

static void test_shred(void)
{
	struct xp_catalog_entry s;
	struct xp_catalog cat = {0};
	struct xp_err err = {0};

	if (seal("shred me", 1, &s)) {
		ok(0, "seal a shreddable backup");
		return;
	}
	ok(in_vault(s.id) && !exists("keys/shred"),
	   "a shreddable backup has a key file, in the vault, not in the repository");
	is_int(xp_catalog_add(repo, key, &s, &err), 0, "add it");
	is_int(xp_catalog_shred(repo, key, s.id, "art. 17 request #7", &err), 0, "shred (%s)",
	       err.msg);
	ok(!in_vault(s.id), "the key file is gone");
	is_int(xp_catalog_load(repo, &cat, &err), 0, "load");
	ok(cat.n == 1 && cat.entries[0].state == XP_CATALOG_SHREDDED, "the entry says shredded");
	xp_catalog_free(&cat);
	is_str(last_event() + 33, "shredded\tart. 17 request #7\t-", "journaled with the reason");
	is_int(check(&(struct findings){0}), 0, "check accepts a shredded backup without key");
	is_int(xp_catalog_delete(repo, key, s.id, "erased", NULL, &err), 0, "delete it");
	is_int(verify(), 0, "journal verifies");
}

/* Refusals and repairs around the edges: bad input to add, a damaged catalog, a signature
 * left half installed by a crash. */
static void test_edges(void)
{
	struct xp_catalog_entry e, good;
	struct xp_catalog cat = {0};
	struct xp_err err = {0};
	char *text, *line, *copy, *sig;

	if (seal("edge", 0, &e)) {
		ok(0, "seal");
		return;
	}
	good = e;
	e.size++;
	is_int(xp_catalog_add(repo, key, &e, &err), XP_EINTEGRITY,
	       "add refuses a size that is not the file's");
	e.size--;
	memcpy(e.id, "0123456789abcdef0123456789abcdef", 32);
	is_int(xp_catalog_add(repo, key, &e, &err), XP_ENOENT,
	       "add refuses a file that is not there");
	memcpy(e.id, "0123456789ABCDEF0123456789abcdef", 32);
	is_int(xp_catalog_add(repo, key, &e, &err), XP_EUSAGE,
	       "add refuses an id that is not lower-case hex");
	is_int(xp_catalog_add(repo, NULL, &e, &err), XP_EUSAGE, "changes need the signing key");
	is_int(xp_journal_append(repo, NULL, "bad\tevent", NULL, NULL, &err), XP_EUSAGE,
	       "an event name with a tab is refused");
	is_int(xp_catalog_add(repo, key, &good, &err), 0, "the good entry is added");

	/* Temp files of an interrupted catalog write. */
	spit(".catalog.tmp.AbC123", "half");
	spit(".catalog.minisig.new.tmp.XyZ789", "half");
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover with stale temp files");
	ok(!exists(".catalog.tmp.AbC123") && !exists(".catalog.minisig.new.tmp.XyZ789"),
	   "the catalog's stale temp files are removed");

	/* A crash between writing catalog.minisig.new and installing it. */
	sig = slurp("catalog.minisig");
	spit("catalog.minisig.new", "untrusted comment: x\nnot a signature\n");
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover with a stale catalog.minisig.new");
	ok(!exists("catalog.minisig.new"), "one that does not sign the catalog is removed");
	spit("catalog.minisig.new", sig);
	spit("catalog.minisig", "untrusted comment: x\nbroken\n");
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover with a good catalog.minisig.new");
	ok(!exists("catalog.minisig.new"), "one that signs the catalog is installed");
	{
		char *now = slurp("catalog.minisig");

		is_str(now, sig, "as catalog.minisig");
		free(now);
	}
	free(sig);

	/* A catalog with the same id on two lines, and one with a bad line. */
	text = slurp("catalog");
	line = strchr(text, '\n') + 1;
	copy = xp_asprintf("%s%.*s", text, (int)(strchr(line, '\n') - line + 1), line);
	spit("catalog", copy);
	is_int(xp_catalog_load(repo, &cat, &err), XP_EINTEGRITY, "an id listed twice is refused");
	ok(strstr(err.msg, "listed twice") != NULL, "and named (%s)", err.msg);
	free(copy);
	copy = xp_asprintf("%s%s", text, "0123\tsealed\n");
	spit("catalog", copy);
	is_int(xp_catalog_load(repo, &cat, &err), XP_EINTEGRITY, "a short line is refused");
	ok(strstr(err.msg, "expected 11 tab-separated fields") != NULL, "with the line (%s)",
	   err.msg);
	free(copy);
	spit("catalog", text);
	free(text);
	is_int(xp_catalog_load(repo, &cat, &err), 0, "the restored catalog loads");
	xp_catalog_free(&cat);
	is_int(xp_catalog_delete(repo, key, good.id, "test", NULL, &err), 0, "and the edge goes");
}

static void test_lock(void)
{
	struct xp_catalog_lock lock;
	struct xp_err err = {0};
	int status = -1;
#ifndef _WIN32
	pid_t pid;
#endif

	is_int(xp_catalog_lock(repo, &lock, &err), 0, "take the lock");
#ifdef _WIN32
	/* no fork: a lock of Windows is its handle's, so a second opener in this process stands
	 * for another process */
	{
		struct xp_catalog_lock other;

		is_int(xp_catalog_trylock(repo, &other, NULL), XP_EFAIL,
		       "another opener cannot take it while held");
		xp_catalog_unlock(&lock);
		is_int(xp_catalog_trylock(repo, &other, NULL), 0, "and can once it is released");
		xp_catalog_unlock(&other);
	}
	(void)status;
#else
	pid = fork();
	if (pid == 0) {
		struct xp_catalog_lock other;
		int rc = xp_catalog_trylock(repo, &other, NULL);

		_exit(rc == XP_EFAIL ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "another process cannot take it while held");
	xp_catalog_unlock(&lock);
	pid = fork();
	if (pid == 0) {
		struct xp_catalog_lock other;
		int rc = xp_catalog_trylock(repo, &other, NULL);

		xp_catalog_unlock(&other);
		_exit(rc == 0 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "and can once it is released");
	xp_catalog_unlock(&lock);
#endif
}

static void test_check_and_adopt(void)
{
	struct xp_catalog_entry a, b;
	struct xp_err err = {0};
	struct findings fs;
	char rel[XP_REPO_REL_MAX], path[512], *text;
	size_t n = 0;

	if (seal("first", 0, &a) || seal("second", 0, &b)) {
		ok(0, "seal two backups");
		return;
	}
	is_int(xp_catalog_add(repo, key, &a, &err), 0, "add one of two sealed files");
	ok(check(&fs) == 1 && strstr(fs.all, ".xps: not in the catalog (xpverify --adopt"),
	   "check reports the other as an orphan (once, not again for its signature)");
	memset(&fs, 0, sizeof fs);
	is_int(xp_catalog_adopt(repo, key, collect, &fs, &n, &err), 0, "adopt");
	ok(n == 1 && strstr(fs.all, "adopted: data/") != NULL, "adopts it (%s)", fs.all);
	is_int(check(&fs), 0, "then check finds nothing wrong");
	{
		struct xp_catalog cat = {0};
		const struct xp_catalog_entry *e;

		xp_catalog_load(repo, &cat, &err);
		e = xp_catalog_find(&cat, b.id);
		ok(e && e->size == b.size && memcmp(e->hash, b.hash, 32) == 0 &&
		           e->created == b.created && !e->has_window && !e->source,
		   "from its own header, size and hash");
		xp_catalog_free(&cat);
	}

	xp_repo_backup_rel(b.id, rel);
	snprintf(path, sizeof path, "%s/%s", repo, rel);
	{
		int fd = open(path, O_WRONLY);

		if (lseek(fd, 100, SEEK_SET) != 100 || write(fd, "x", 1) != 1)
			perror(path);
		close(fd);
	}
	ok(check(&fs) == 2 && strstr(fs.all, "hash: ") && strstr(fs.all, "signature: "),
	   "a changed byte: hash and signature findings");
	if (truncate(path, 100))
		perror(path);
	ok(check(&fs) == 2 && strstr(fs.all, "size: ") && strstr(fs.all, "bytes, catalog says") &&
	           strstr(fs.all, "signature: "),
	   "a truncated file: size and signature findings");
	unlink(path);
	ok(check(&fs) == 1 && strstr(fs.all, "missing: "), "a removed file: missing");
	spit("data/zz", "");
	ok(check(&fs) == 2 && strstr(fs.all, "data/zz: not a backup file"), "a stray file: orphan");
	snprintf(path, sizeof path, "%s/data/zz", repo);
	unlink(path);
	is_int(xp_catalog_delete(repo, key, b.id, "test", NULL, &err), 0, "delete the broken one");

	text = slurp("catalog");
	text[strlen(text) - 2] ^= 1;
	spit("catalog", text);
	ok(check(&fs) >= 1 && strstr(fs.all, "catalog: "), "an altered catalog: signature finding");
	text[strlen(text) - 2] ^= 1;
	spit("catalog", text);
	free(text);
	is_int(check(&fs), 0, "restored: clean");

	/* A deleted backup's files put back are not adopted. */
	{
		struct xp_catalog_entry c;
		char xps[512], sig[512], kx[512], ks[512];

		if (seal("third", 0, &c) || xp_catalog_add(repo, key, &c, &err)) {
			ok(0, "seal and add a third backup");
			return;
		}
		xp_repo_backup_rel(c.id, rel);
		snprintf(xps, sizeof xps, "%s/%s", repo, rel);
		snprintf(sig, sizeof sig, "%s/%s.minisig", repo, rel);
		snprintf(kx, sizeof kx, "%s/kept.xps", tmp);
		snprintf(ks, sizeof ks, "%s/kept.minisig", tmp);
		ok(copy(xps, kx) == 0 && copy(sig, ks) == 0, "keep a copy");
		is_int(xp_catalog_delete(repo, key, c.id, "test", NULL, &err), 0, "delete it");
		ok(rename(kx, xps) == 0 && rename(ks, sig) == 0, "put the copy back");
		memset(&fs, 0, sizeof fs);
		is_int(xp_catalog_adopt(repo, key, collect, &fs, &n, &err), 0, "adopt");
		ok(n == 0 && strstr(fs.all, "not-adopted: ") &&
		           strstr(fs.all, "the journal says it was deleted"),
		   "a deleted backup is not taken back (%s)", fs.all);
		ok(check(&fs) == 1 && strstr(fs.all, "(the journal says it was deleted)"),
		   "check says so too");
		unlink(xps);
		unlink(sig);
	}
	is_int(check(&fs), 0, "clean at the end");
	is_int(verify(), 0, "journal verifies at the end");
}

/* The journal's events after line `after`, as "ID event reason policy|..." (no times). */
struct events {
	size_t after;
	char all[4096];
};

static int add_event(void *ctx, const struct xp_journal_event *ev)
{
	struct events *e = ctx;
	size_t len = strlen(e->all);

	if (ev->line > e->after)
		snprintf(e->all + len, sizeof e->all - len, "%s%.4s %s %s %s", len ? "|" : "",
		         ev->id, ev->event, ev->reason, ev->policy);
	return 0;
}

static size_t journal_lines(void)
{
	size_t n = 0;

	xp_journal_verify(repo, &n, NULL);
	return n + 1; /* and the header */
}

/* The ids the catalog lists, sorted, space-separated, as their first 4 hex digits. */
static void listed(char *out, size_t size)
{
	struct xp_catalog cat = {0};
	char ids[16][5];
	size_t n = 0;

	out[0] = '\0';
	if (xp_catalog_load(repo, &cat, NULL))
		return;
	for (size_t i = 0; i < cat.n && n < 16; i++)
		snprintf(ids[n++], sizeof ids[0], "%.4s", cat.entries[i].id);
	qsort(ids, n, sizeof ids[0], (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", ids[i]);
	xp_catalog_free(&cat);
}

static void test_batch(void)
{
	static const char *const text[6] = {"b0", "b1", "b2", "b3", "b4", "b5"};
	struct xp_catalog_entry s[6];
	struct xp_err err = {0};
	struct events ev = {0};
	char rel[64], want[4096], before[256], got[256];
	int sealed = 1;

	listed(before, sizeof before);
	for (int i = 0; i < 6; i++)
		sealed = sealed && seal(text[i], i == 1, &s[i]) == 0 &&
		         xp_catalog_add(repo, key, &s[i], &err) == 0;
	if (!ok(sealed, "seal and add six backups, one shreddable") ||
	    !ok(xp_catalog_hold(repo, key, s[2].id, "case 7", &err) == 0, "hold one"))
		return;
	ev.after = journal_lines();
	{
		struct xp_catalog_deletion v[] = {
		        {.id = s[0].id, .rule = "max-age 1y"},
		        {.id = s[1].id, .rule = "no keep rule"},
		        {.id = s[2].id, .rule = "max-age 1y"},
		        {.id = "0123456789abcdef0123456789abcdee", .rule = "max-age 1y"},
		        {.id = s[3].id, .rule = "max-age 1y"},
		        {.id = s[0].id, .rule = "again"},
		        {.id = s[4].id, .rule = NULL},
		};

		is_int(xp_catalog_delete_many(repo, key, v, 7, "the policy", &err), 0,
		       "a batch with refusals in it runs (%s)", err.msg);
		ok(v[0].rc == 0 && v[1].rc == 0 && v[4].rc == 0 && v[6].rc == 0,
		   "the deletable ones are deleted");
		is_int(v[2].rc, XP_EFAIL, "the held one is refused");
		ok(strstr(v[2].err.msg, "on legal hold: case 7") != NULL, "and says why (%s)",
		   v[2].err.msg);
		is_int(v[3].rc, XP_ENOENT, "an unknown id: XP_ENOENT");
		is_int(v[5].rc, XP_EUSAGE, "an id listed twice: refused the second time (%s)",
		       v[5].err.msg);
	}
	snprintf(want, sizeof want, "%s%s%.4s %.4s", before, *before ? " " : "", s[2].id, s[5].id);
	{
		/* sort the expected ids the way listed() does */
		char ids[16][5], *p = want;
		size_t n = 0;

		for (char *t = strtok(p, " "); t && n < 16; t = strtok(NULL, " "))
			snprintf(ids[n++], sizeof ids[0], "%s", t);
		qsort(ids, n, sizeof ids[0], (int (*)(const void *, const void *))strcmp);
		want[0] = '\0';
		for (size_t i = 0; i < n; i++)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
			         i ? " " : "", ids[i]);
	}
	listed(got, sizeof got);
	is_str(got, want, "the catalog lists exactly the others and the held one");
	{
		int gone = 1, kept = 1;

		for (int i = 0; i < 6; i++) {
			char sig[80];

			xp_repo_backup_rel(s[i].id, rel);
			snprintf(sig, sizeof sig, "%s.minisig", rel);
			if (i == 2 || i == 5)
				kept = kept && exists(rel) && exists(sig);
			else
				gone = gone && !exists(rel) && !exists(sig);
		}
		ok(gone, "the deleted ones' .xps and .minisig are gone");
		ok(kept, "the held one's and the kept one's remain");
		ok(!in_vault(s[1].id), "the shreddable one's key file is gone");
	}
	xp_journal_read(repo, add_event, &ev, &err);
	snprintf(want, sizeof want,
	         "%.4s deleting max-age 1y the policy|%.4s deleting no keep rule the policy|"
	         "%.4s deleting max-age 1y the policy|%.4s deleting  the policy|"
	         "%.4s key-destroyed host vault |%.4s shredded no keep rule |"
	         "%.4s deleted max-age 1y |%.4s deleted no keep rule |%.4s deleted max-age 1y |"
	         "%.4s deleted  ",
	         s[0].id, s[1].id, s[3].id, s[4].id, s[1].id, s[1].id, s[0].id, s[1].id, s[3].id,
	         s[4].id);
	is_str(ev.all, want, "journal: every deleting first, then shredded, then every deleted");
	is_int(verify(), 0, "the journal verifies after a batch");
	is_int(check(&(struct findings){0}), 0, "check finds nothing wrong after a batch");
	is_int(xp_catalog_delete_many(repo, key, NULL, 0, "p", &err), 0, "an empty batch is fine");

	/* A crash after a batch's "deleting" records: the next change finishes them all. */
	ok(xp_catalog_release(repo, key, s[2].id, &err) == 0 &&
	           journal_signed(s[2].id, "deleting", "max-age 1y", "p") == 0 &&
	           journal_signed(s[5].id, "deleting", "keep-last 0", "p") == 0,
	   "journal two deletions and stop there");
	ev.after = journal_lines();
	ev.all[0] = '\0';
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover (%s)", err.msg);
	listed(got, sizeof got);
	is_str(got, before, "both leave the catalog");
	xp_repo_backup_rel(s[5].id, rel);
	ok(!exists(rel), "and their files go");
	xp_journal_read(repo, add_event, &ev, &err);
	snprintf(want, sizeof want, "%.4s deleted max-age 1y |%.4s deleted keep-last 0 ", s[2].id,
	         s[5].id);
	is_str(ev.all, want, "each journaled deleted once");
	is_int(check(&(struct findings){0}), 0, "check finds nothing wrong after recovery");
}

/* The notices of what changes cleaned up, one "kind id path: msg" line each. */
static void notice(void *ctx, const struct xp_catalog_finding *f)
{
	struct findings *fs = ctx;
	size_t len = strlen(fs->all);

	fs->n++;
	snprintf(fs->all + len, sizeof fs->all - len, "%s %s %s: %s\n",
	         xp_catalog_finding_name(f->kind), f->id, f->path, f->msg);
}

/* Whether the links and FIFOs of test_seal_temps are made (not on Windows). */
#ifdef _WIN32
#define ODD_FILES 0
#else
#define ODD_FILES 1
#endif

/* Temp files of seals: a change removes one only when it can take its flock, never follows a
 * link or blocks on a FIFO named like one, journals and reports each removal once. */
static void test_seal_temps(void)
{
	static const char id[] = "ab0123456789abcdef0123456789abcd";
	char dead[64], live[64], link[64], fifo[64], odd[64], path[512], want[1024];
	struct findings fs, notes = {0};
	struct events ev = {0};
	struct xp_err err = {0};
	struct stat st;
	int fd;

	snprintf(dead, sizeof dead, "data/ab/.%s.xps.tmp.Dead01", id);
	snprintf(live, sizeof live, "data/ab/.%s.xps.tmp.Live01", id);
	snprintf(link, sizeof link, "data/ab/.%s.xps.tmp.Link01", id);
	snprintf(fifo, sizeof fifo, "data/ab/.%s.xps.tmp.Fifo01", id);
	snprintf(odd, sizeof odd, "data/ab/.%s.xps.tmp.Odd", id);
	snprintf(path, sizeof path, "%s/data/ab", repo);
	if (!ok(xp_mkdirs(path, 0700, &err) == 0, "data/ab"))
		return;
	spit(dead, "half a seal");
	spit(live, "half a seal");
	spit(odd, "half a seal");
	snprintf(path, sizeof path, "%s/%s", repo, live);
	fd = xp_os_open(path, O_RDONLY, 0);
	if (!ok(fd >= 0 && xp_os_lock(fd, XP_LOCK_EX) == 0,
	        "a running seal's lock on its temp file"))
		return;
#ifdef _WIN32
	skip("a link named like a temp file: wine makes no symbolic links");
	skip("a FIFO named like one: Windows has no FIFOs");
#else
	snprintf(path, sizeof path, "%s/%s", repo, link);
	ok(symlink("../../journal", path) == 0, "a link named like a temp file");
	snprintf(path, sizeof path, "%s/%s", repo, fifo);
	ok(mkfifo(path, 0600) == 0, "a FIFO named like one");
#endif

	ok(check(&fs) == 1 && fs.n == (ODD_FILES ? 5 : 3) &&
	           strstr(fs.all, "seal-temp: data/ab/") &&
	           strstr(fs.all,
	                  "temporary file of a seal in progress or interrupted (the next") &&
	           !strstr(fs.all, "Odd: temporary file of a seal in progress or interrupted ("),
	   "check: a warning, not counted, for each seal temp name; an orphan for the odd one");
	ev.after = journal_lines();
	xp_catalog_set_notice(notice, &notes);
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover with seal temp files (%s)",
	       err.msg);
	ok(!exists(dead), "the temp file no process holds is removed");
	ok(exists(live), "the one a running seal holds is kept");
#ifdef _WIN32
	skip("a link is neither followed nor removed: wine makes no symbolic links");
	skip("a FIFO is left alone: Windows has no FIFOs");
	(void)st;
#else
	snprintf(path, sizeof path, "%s/%s", repo, link);
	ok(lstat(path, &st) == 0 && exists("journal"), "a link is neither followed nor removed");
	ok(exists(fifo), "a FIFO is left alone (and opening it did not block)");
#endif
	ok(exists(odd), "a name that is not a seal's temp name is left alone");
	snprintf(want, sizeof want, "discarded %s %s: removed %s left by an interrupted seal\n", id,
	         dead, dead);
	is_str(notes.all, want, "reported once, with its id and path");
	xp_journal_read(repo, add_event, &ev, &err);
	snprintf(want, sizeof want, "ab01 discarded removed %s left by an interrupted seal ", dead);
	is_str(ev.all, want, "journaled \"discarded\"");
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover again");
	is_int(notes.n, 1, "with nothing more to report");
	close(fd);
	is_int(xp_catalog_recover(repo, key, &err), 0, "recover once the seal died");
	ok(!exists(live) && notes.n == 2, "its temp file goes then");
	xp_catalog_set_notice(NULL, NULL);
	is_int(xp_journal_verify(repo, NULL, &err), 0, "the journal chain verifies");
	snprintf(path, sizeof path, "%s/%s", repo, link);
	unlink(path);
	snprintf(path, sizeof path, "%s/%s", repo, fifo);
	unlink(path);
	snprintf(path, sizeof path, "%s/%s", repo, odd);
	unlink(path);
}

/* Partitions: kind and window kept through the catalog (version 2) and the journal, and a
 * window sealed once. */
static void test_partitions(void)
{
	struct xp_catalog_entry p[3];
	struct xp_catalog cat = {0};
	const struct xp_catalog_entry *g;
	struct xp_err err = {0};
	char want[256], *text;

	if (seal("day one", 0, &p[0]) || seal("day two", 0, &p[1]) || seal("overlap", 0, &p[2])) {
		ok(0, "seal the partitions");
		return;
	}
	for (int i = 0; i < 3; i++) {
		p[i].kind = XP_CATALOG_PARTITION;
		p[i].source = "vms";
	}
	p[0].since = 1700000000, p[0].until = 1700086400;
	p[1].since = 1700086400, p[1].until = 1700172800;
	p[2].since = 1700150000, p[2].until = 1700200000;
	is_int(xp_catalog_add(repo, key, &p[0], &err), 0, "add a partition (%s)", err.msg);
	snprintf(want, sizeof want,
	         "%s\tsealed\tpartition 2023-11-14T22:13:20Z 2023-11-15T22:13:20Z vms\t-", p[0].id);
	is_str(last_event(), want, "the journal's sealed record names its window and source");
	is_int(xp_catalog_add(repo, key, &p[1], &err), 0, "the next window is added");
	is_int(xp_catalog_add(repo, key, &p[2], &err), XP_EFAIL,
	       "a window that meets one sealed is refused");
	ok(strstr(err.msg, "meets that of partition") && strstr(err.msg, p[1].id),
	   "naming the partition that holds it (%s)", err.msg);
	text = slurp("catalog");
	ok(text && strncmp(text, "#xpbackup-catalog-2 ", 20) == 0 &&
	           strstr(text, "\thold\tkind\tsince\tuntil\n"),
	   "a catalog with partitions is version 2, with kind, since and until");
	ok(text && strstr(text, "\tno\t-\tfull\t-\t-\n"), "a full backup's line says full, - -");
	free(text);
	is_int(xp_catalog_load(repo, &cat, &err), 0, "it loads");
	g = xp_catalog_find(&cat, p[1].id);
	ok(g && g->kind == XP_CATALOG_PARTITION && g->since == p[1].since && g->until == p[1].until,
	   "kind and window survive");
	ok(!xp_catalog_find(&cat, p[2].id), "the refused one is not listed");
	xp_catalog_free(&cat);
	text = slurp("catalog");
	if (text) {
		char *w = strstr(text, "\tpartition\t"), *saved = strdup(text);

		if (w)
			memcpy(w + 1, "partitiom", 9);
		spit("catalog", text);
		is_int(xp_catalog_load(repo, &cat, &err), XP_EINTEGRITY,
		       "an unknown kind is refused");
		spit("catalog", saved ? saved : "");
		free(saved);
		free(text);
	}
}

int main(void)
{
	struct xp_catalog_entry a, b;
	struct xp_err err = {0};
	char skpath[128];

	xp_progname = "catalog";
	if (sodium_init() < 0)
		return 1;
	xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
	snprintf(tmp, sizeof tmp, "%s/xpcat.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!xp_os_mkdtemp(tmp))
		return 1;
	snprintf(repo, sizeof repo, "%s/state", tmp);
	xp_os_setenv("XP_STATE_DIR", repo); /* the host's state: trust pins, the vault */
	snprintf(repo, sizeof repo, "%s/repo", tmp);
	snprintf(skpath, sizeof skpath, "%s/signer.key", tmp);
	if (xp_keys_init(repo, "the password", 12, skpath, 0, &err) ||
	    xp_sign_load_key(skpath, &key, &err)) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	if (seal("audit rows", 0, &a) || seal("more rows", 0, &b)) {
		printf("Bail out! cannot seal\n");
		return 1;
	}
	test_round_trip(&a, &b);
	test_chain();
	test_changes(&a, &b);
	test_shred();
	test_edges();
	test_lock();
	test_check_and_adopt();
	test_batch();
	test_seal_temps();
	test_partitions();
	xp_sign_free_key(key);
	if (rm_tree(tmp) < 0)
		printf("# could not remove %s\n", tmp);
	return done_testing();
}
