#include "config.h"

#include "repo/erase.h"
#include "repo/catalog.h"
#include "repo/journal.h"
#include "repo/repo.h"
#include "repo/keys.h"
#include "repo/trust.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/encode.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/io.h"
#include "base/os.h"
#include "base/time.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A name or reference as the ledger holds it: no separator of its format. */
static int plain(const char *s, const char *what, struct xp_err *err)
{
	if (!*s || strpbrk(s, "\t\n\r,=/") || strcmp(s, "-") == 0)
		return xp_err_set(err, XP_EUSAGE,
		                  "erasure: %s \"%s\": empty, \"-\", or holds a tab, "
		                  "line end, comma, '=' or '/'",
		                  what, s);
	return 0;
}

/* locked: the caller holds the exclusive lock (the journal is then scanned under it). */
static int load(const char *repo, int locked, const struct xp_sign_pub *signer,
                struct xp_erase_ledger *l, size_t *keep, size_t *size, struct xp_err *err)
{
	struct xp_erase_jcheck c = {l, err};
	int rc;

	if (locked)
		return xp_erase_load_locked(repo, signer, l, keep, size, err);
	if ((rc = xp_erase_ledger_read(repo, signer, l, keep, size, err)) == 0 &&
	    (rc = xp_journal_read(repo, xp_erase_journaled, &c, err)) != 0)
		xp_erase_ledger_free(l);
	return rc;
}

int xp_erase_load(const char *repo, const struct xp_sign_pub *signer, struct xp_erase_ledger *l,
                  struct xp_err *err)
{
	size_t keep;

	return load(repo, 0, signer, l, &keep, NULL, err);
}

int xp_erase_unlock(const char *repo, const char *password_file, const char *pubkey, uint8_t *sk,
                    struct xp_erase_ledger *l, struct xp_err *err)
{
	struct xp_keys_bound b;
	struct xp_trust_opts o = {.pubkey = pubkey, .bound = &b};
	struct xp_trust t = {0};
	struct xp_sign_pub signer;
	char *pw = NULL;
	size_t len = 0;
	int rc;

	if ((rc = xp_secret_password(password_file, "Configuration password: ", 0, &pw, &len,
	                             err)) != 0 ||
	    (rc = xp_keys_unlock_bound(repo, pw, len, sk, &b, err)) != 0 ||
	    (rc = xp_trust_check(repo, &o, &t, err)) != 0)
		goto out;
	xp_sign_pub_from(t.signer, &signer);
	rc = xp_erase_load(repo, &signer, l, err);
out:
	xp_trust_free(&t);
	xp_secret_free(pw);
	return rc;
}

/* The line of e after prev, signed by k: malloc'd in *out. */
static int format_line(const struct xp_erase_entry *e, const uint8_t prev[32],
                       const struct xp_signkey *k, char **out, struct xp_err *err)
{
	char t[XP_TIME_LEN], hex[2 * XP_ERASE_HASH_LEN + 1], sig[XP_SIGN_RECORD_LEN + 1];
	char *buf = NULL;
	size_t size = 0;
	FILE *f = xp_os_memstream(&buf, &size);
	int rc = 0;

	if (!f)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	xp_time_format(e->time, t);
	fprintf(f, "%s\t%s\t", t, e->ref);
	for (size_t i = 0; i < e->ntables; i++)
		fprintf(f, "%s%s", i ? "," : "", e->tables[i]);
	fputc('\t', f);
	for (size_t i = 0; i < e->nvalues; i++) {
		xp_hex(e->values[i].hash, XP_ERASE_HASH_LEN, hex);
		fprintf(f, "%s%s=%s", i ? "," : "", e->values[i].column, hex);
	}
	fputs(e->nvalues ? "\t" : "-\t", f);
	for (size_t i = 0; i < e->niv; i++) {
		char a[XP_TIME_LEN], b[XP_TIME_LEN];

		xp_time_format(e->iv[i].from, a);
		xp_time_format(e->iv[i].to, b);
		fprintf(f, "%s%s/%s", i ? "," : "", a, b);
	}
	xp_hex(prev, 32, hex);
	fprintf(f, "%s\t%s\t%s\t", e->niv ? "" : "-", e->reason, hex);
	if (xp_os_memstream_close(f) != 0 || !buf) {
		free(buf);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	if ((rc = xp_sign_record(k, buf, size, sig, err)) != 0)
		goto out;
	{
		char *v = realloc(buf, size + sizeof sig + 1);

		if (!v) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		buf = v;
	}
	snprintf(buf + size, sizeof sig + 1, "%s\n", sig);
	*out = buf;
	buf = NULL;
out:
	free(buf);
	return rc;
}

static int check_entry(const struct xp_erase_entry *e, struct xp_err *err)
{
	int rc;

	if ((rc = plain(e->ref, "reference", err)) != 0)
		return rc;
	if (!*e->reason || strpbrk(e->reason, "\t\n\r"))
		return xp_err_set(err, XP_EUSAGE,
		                  "erasure: the reason is empty or holds a tab or "
		                  "line end");
	if (!e->ntables)
		return xp_err_set(err, XP_EUSAGE, "erasure: no table");
	if (!e->nvalues && !e->niv)
		return xp_err_set(err, XP_EUSAGE, "erasure: neither a value nor an interval");
	for (size_t i = 0; i < e->ntables; i++)
		if ((rc = plain(e->tables[i], "table", err)) != 0)
			return rc;
	for (size_t i = 0; i < e->nvalues; i++)
		if ((rc = plain(e->values[i].column, "column", err)) != 0)
			return rc;
	return 0;
}

int xp_erase_record(const char *repo, const struct xp_signkey *k, const struct xp_sign_pub *signer,
                    struct xp_erase_entry *e, struct xp_err *err)
{
	struct xp_catalog_lock lock = {-1};
	struct xp_erase_ledger l = {0};
	struct xp_jstate js;
	char *line = NULL, reason[512], policy[80];
	char *path = xp_repo_file(repo, XP_REPO_ERASURES);
	uint8_t prev[32];
	size_t keep = 0, size = 0;
	int fd = -1, rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	/* what a crash left half done first, and a repository's first (empty, signed) catalog
	 * before its first event, as for every change */
	if ((rc = check_entry(e, err)) != 0 || (rc = xp_catalog_recover(repo, k, err)) != 0 ||
	    (rc = xp_catalog_lock(repo, &lock, err)) != 0 ||
	    (rc = xp_journal_scan(repo, 1, NULL, NULL, NULL, &js, err)) != 0 ||
	    (rc = xp_journal_repaired(repo, &js, err)) != 0 ||
	    (rc = load(repo, 1, signer, &l, &keep, &size, err)) != 0)
		goto out;
	js.key = k;
	/* a request a crash left unjournaled gets its event before the next one's */
	if ((rc = xp_erase_journal_missing(repo, &l, &js, err)) != 0)
		goto out;
	if ((rc = xp_repo_open(repo, path, O_RDWR | O_CREAT, 0644, &fd, err)) != 0)
		goto out;
	/* a torn line of a run that died is cut off: it was never journaled */
	if (keep < size && ftruncate(fd, (off_t)keep) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	if (keep == 0) {
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) < 0 ||
		    (rc = xp_write_all(fd, XP_ERASE_HEADER "\n", sizeof XP_ERASE_HEADER, err)) !=
		            0) {
			rc = rc ? rc : xp_err_sys(err, XP_EFAIL, "%s", path);
			goto out;
		}
		xp_erase_line_hash(XP_ERASE_HEADER, strlen(XP_ERASE_HEADER), prev);
	} else {
		if (l.n)
			memcpy(prev, l.e[l.n - 1].hash, 32);
		else
			xp_erase_line_hash(XP_ERASE_HEADER, strlen(XP_ERASE_HEADER), prev);
		if (lseek(fd, (off_t)keep, SEEK_SET) < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "%s", path);
			goto out;
		}
	}
	if ((rc = format_line(e, prev, k, &line, err)) != 0)
		goto out;
	xp_erase_line_hash(line, strlen(line) - 1, e->hash);
	if ((rc = xp_write_all(fd, line, strlen(line), err)) != 0)
		goto out;
	if (xp_os_fsync(fd) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", path);
		goto out;
	}
	/* a crash here leaves the entry unjournaled: the next change journals it */
	xp_fault_point("erase-recorded");
	xp_erase_event(e, reason, policy);
	if ((rc = xp_journal_put(repo, &js, NULL, "erasure", reason, policy, err)) == 0)
		e->journaled = 1;
out:
	if (fd >= 0)
		close(fd);
	xp_catalog_unlock(&lock);
	xp_erase_ledger_free(&l);
	free(line);
	free(path);
	return rc;
}
