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
#include "base/time.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define LEDGER_MAX ((size_t)1 << 28)
#define LEDGER_NF  8
#define KEY_DOMAIN "xpbackup erasure ledger 1"

void xp_erase_entry_free(struct xp_erase_entry *e)
{
	if (!e)
		return;
	free(e->ref);
	free(e->reason);
	for (size_t i = 0; i < e->ntables; i++)
		free(e->tables[i]);
	free(e->tables);
	for (size_t i = 0; i < e->nvalues; i++)
		free(e->values[i].column);
	free(e->values);
	free(e->iv);
	memset(e, 0, sizeof *e);
}

void xp_erase_ledger_free(struct xp_erase_ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		xp_erase_entry_free(&l->e[i]);
	free(l->e);
	memset(l, 0, sizeof *l);
}

void xp_erase_key(const uint8_t sk[32], uint8_t key[XP_ERASE_KEY_LEN])
{
	/* cannot fail for these sizes */
	(void)crypto_generichash(key, XP_ERASE_KEY_LEN, (const unsigned char *)KEY_DOMAIN,
	                         sizeof KEY_DOMAIN - 1, sk, 32);
}

void xp_erase_hash(const uint8_t key[XP_ERASE_KEY_LEN], const char *column, const void *value,
                   size_t len, uint8_t out[XP_ERASE_HASH_LEN])
{
	crypto_generichash_state h;

	(void)crypto_generichash_init(&h, key, XP_ERASE_KEY_LEN, XP_ERASE_HASH_LEN);
	(void)crypto_generichash_update(&h, (const unsigned char *)column, strlen(column) + 1);
	(void)crypto_generichash_update(&h, value, len);
	(void)crypto_generichash_final(&h, out, XP_ERASE_HASH_LEN);
}

static void line_hash(const char *line, size_t len, uint8_t out[32])
{
	(void)crypto_generichash(out, 32, (const unsigned char *)line, len, NULL, 0);
}

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

/* Splits s in place at sep into a malloc'd array of malloc'd strings. */
static int split(const char *s, char sep, char ***out, size_t *n)
{
	size_t k = 1;
	const char *p;

	for (p = s; *p; p++)
		k += *p == sep;
	*out = calloc(k, sizeof **out);
	if (!*out)
		return -1;
	*n = 0;
	for (p = s;;) {
		const char *q = strchr(p, sep);
		size_t len = q ? (size_t)(q - p) : strlen(p);

		if (!((*out)[(*n)++] = strndup(p, len)))
			return -1;
		if (!q)
			return 0;
		p = q + 1;
	}
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Fields of one line (without its signature) into e; -1 when malformed. */
static int parse_fields(char **f, struct xp_erase_entry *e)
{
	char **v = NULL;
	size_t n = 0;
	int rc = -1;

	if (xp_time_parse(f[0], &e->time, NULL) || !(e->ref = strdup(f[1])) ||
	    !(e->reason = strdup(f[5])) || split(f[2], ',', &e->tables, &e->ntables))
		goto out;
	if (strcmp(f[3], "-") != 0) {
		if (split(f[3], ',', &v, &n) || !(e->values = calloc(n, sizeof *e->values)))
			goto out;
		for (size_t i = 0; i < n; i++) {
			char *eq = strrchr(v[i], '=');

			if (!eq || strlen(eq + 1) != 2 * XP_ERASE_HASH_LEN ||
			    xp_unhex(eq + 1, e->values[i].hash, XP_ERASE_HASH_LEN))
				goto out;
			*eq = '\0';
			e->values[i].column = v[i];
			v[i] = NULL;
			e->nvalues++;
		}
		free_strings(v, n);
		v = NULL;
		n = 0;
	}
	if (strcmp(f[4], "-") != 0) {
		if (split(f[4], ',', &v, &n) || !(e->iv = calloc(n, sizeof *e->iv)))
			goto out;
		for (size_t i = 0; i < n; i++) {
			char *sl = strchr(v[i], '/');

			if (!sl)
				goto out;
			*sl = '\0';
			if (xp_time_parse(v[i], &e->iv[i].from, NULL) ||
			    xp_time_parse(sl + 1, &e->iv[i].to, NULL) ||
			    e->iv[i].from >= e->iv[i].to)
				goto out;
			e->niv++;
		}
	}
	rc = e->nvalues || e->niv ? 0 : -1;
out:
	free_strings(v, n);
	return rc;
}

/* One line (len bytes, no LF, modified) checked against prev and signer, into e. */
static int parse_line(char *line, size_t len, size_t no, uint8_t prev[32],
                      const struct xp_sign_pub *signer, struct xp_erase_entry *e,
                      struct xp_err *err)
{
	char *f[LEDGER_NF], *p = line, prevhex[65];
	size_t nf = 0;

	while (nf < LEDGER_NF) {
		f[nf++] = p;
		p = memchr(p, '\t', len - (size_t)(p - line));
		if (!p)
			break;
		*p++ = '\0';
	}
	if (nf != LEDGER_NF || p)
		return xp_err_set(err, XP_EINTEGRITY, "erasures: line %zu: malformed", no);
	xp_hex(prev, 32, prevhex);
	if (strcmp(f[6], prevhex) != 0)
		return xp_err_set(
		        err, XP_EINTEGRITY,
		        "erasures: line %zu: breaks the hash chain (an entry was removed, "
		        "inserted or changed before it)",
		        no);
	/* the signature and the line's hash cover the line with its tabs */
	for (size_t i = 1; i < LEDGER_NF; i++)
		f[i][-1] = '\t';
	if (xp_sign_record_check(signer, line, (size_t)(f[7] - line), f[7]) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "erasures: line %zu: signature does not verify with the trusted "
		                  "signer",
		                  no);
	line_hash(line, len, prev);
	for (size_t i = 1; i < LEDGER_NF; i++)
		f[i][-1] = '\0';
	if (parse_fields(f, e) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "erasures: line %zu: malformed", no);
	memcpy(e->hash, prev, 32);
	return 0;
}

/* Parses buf (len bytes; a last line without LF is ignored) into l; *keep gets the bytes of
 * whole lines. */
static int parse_ledger(char *buf, size_t len, const struct xp_sign_pub *signer,
                        struct xp_erase_ledger *l, size_t *keep, struct xp_err *err)
{
	uint8_t prev[32];
	char *p = buf, *nl;
	size_t no = 1;
	int rc = 0;

	*keep = 0;
	if (len == 0)
		return 0;
	nl = memchr(buf, '\n', len);
	if (!nl) /* a torn header: nothing was ever recorded */
		return 0;
	if ((size_t)(nl - buf) != strlen(XP_ERASE_HEADER) ||
	    memcmp(buf, XP_ERASE_HEADER, (size_t)(nl - buf)) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "erasures: line 1: not an erasure ledger");
	line_hash(buf, (size_t)(nl - buf), prev);
	p = nl + 1;
	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		struct xp_erase_entry *v = realloc(l->e, (l->n + 1) * sizeof *v);

		if (!v)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		l->e = v;
		memset(&l->e[l->n], 0, sizeof *l->e);
		*nl = '\0';
		rc = parse_line(p, (size_t)(nl - p), ++no, prev, signer, &l->e[l->n], err);
		if (rc) {
			xp_erase_entry_free(&l->e[l->n]);
			return rc;
		}
		l->n++;
		p = nl + 1;
	}
	*keep = (size_t)(p - buf);
	return 0;
}

struct jcheck {
	struct xp_erase_ledger *l;
	struct xp_err *err;
};

/* Every journaled "erasure" event names a line hash the ledger holds. */
static int journaled(void *ctx, const struct xp_journal_event *ev)
{
	struct jcheck *c = ctx;
	uint8_t h[32];

	if (strcmp(ev->event, "erasure") != 0)
		return 0;
	if (strncmp(ev->policy, "ledger ", 7) != 0 || xp_unhex(ev->policy + 7, h, 32))
		return xp_err_set(c->err, XP_EINTEGRITY,
		                  "journal: line %zu: malformed erasure event", ev->line);
	for (size_t i = 0; i < c->l->n; i++)
		if (sodium_memcmp(c->l->e[i].hash, h, 32) == 0) {
			c->l->e[i].journaled = 1;
			return 0;
		}
	return xp_err_set(c->err, XP_EINTEGRITY,
	                  "erasures: the request journaled at journal line %zu (%s) is missing "
	                  "from the ledger or was changed",
	                  ev->line, ev->reason);
}

/* locked: the caller holds the exclusive lock (the journal is then scanned under it). */
static int load(const char *repo, int locked, const struct xp_sign_pub *signer,
                struct xp_erase_ledger *l, size_t *keep, size_t *size, struct xp_err *err)
{
	struct jcheck c = {l, err};
	struct xp_jstate st;
	char *buf = NULL, *path = xp_repo_file(repo, XP_REPO_ERASURES);
	size_t len = 0;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_repo_read_optional(repo, path, LEDGER_MAX, &buf, &len, err)) != 0 ||
	    (rc = parse_ledger(buf ? buf : (char *)"", len, signer, l, keep, err)) != 0)
		goto out;
	if (!locked)
		rc = xp_journal_read(repo, journaled, &c, err);
	else if ((rc = xp_journal_scan(repo, 0, NULL, journaled, &c, &st, err)) == 0 &&
	         st.broken_line)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s/journal: line %zu: %s", repo,
		                st.broken_line, st.broken_msg);
	if (size)
		*size = len;
out:
	free(buf);
	free(path);
	if (rc)
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
	FILE *f = open_memstream(&buf, &size);
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
	if (fclose(f) != 0 || !buf) {
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

/* The "erasure" event of e: its reason and policy ("ledger HEX"). */
static void event_text(const struct xp_erase_entry *e, char reason[512], char policy[80])
{
	char hex[65];

	xp_hex(e->hash, 32, hex);
	snprintf(reason, 512, "%s: %zu table%s, %zu value%s, %zu interval%s", e->ref, e->ntables,
	         e->ntables == 1 ? "" : "s", e->nvalues, e->nvalues == 1 ? "" : "s", e->niv,
	         e->niv == 1 ? "" : "s");
	snprintf(policy, 80, "ledger %s", hex);
}

/* Journals every entry of l that no event names yet (the caller holds the lock). */
static int journal_missing(const char *repo, struct xp_erase_ledger *l, struct xp_jstate *js,
                           struct xp_err *err)
{
	char reason[512], policy[80];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		if (l->e[i].journaled)
			continue;
		event_text(&l->e[i], reason, policy);
		if ((rc = xp_journal_put(repo, js, NULL, "erasure", reason, policy, err)) == 0)
			l->e[i].journaled = 1;
	}
	return rc;
}

int xp_erase_recover(const char *repo, const struct xp_sign_pub *signer, struct xp_jstate *js,
                     struct xp_err *err)
{
	struct xp_erase_ledger l = {0};
	struct xp_err lerr = {0, ""};
	size_t keep;
	int rc = 0;

	if (load(repo, 1, signer, &l, &keep, NULL, &lerr) == 0)
		rc = journal_missing(repo, &l, js, err);
	else if (lerr.code == XP_ENOMEM)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	xp_erase_ledger_free(&l);
	return rc;
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
	if ((rc = journal_missing(repo, &l, &js, err)) != 0)
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
		line_hash(XP_ERASE_HEADER, strlen(XP_ERASE_HEADER), prev);
	} else {
		if (l.n)
			memcpy(prev, l.e[l.n - 1].hash, 32);
		else
			line_hash(XP_ERASE_HEADER, strlen(XP_ERASE_HEADER), prev);
		if (lseek(fd, (off_t)keep, SEEK_SET) < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "%s", path);
			goto out;
		}
	}
	if ((rc = format_line(e, prev, k, &line, err)) != 0)
		goto out;
	line_hash(line, strlen(line) - 1, e->hash);
	if ((rc = xp_write_all(fd, line, strlen(line), err)) != 0)
		goto out;
	if (fsync(fd) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", path);
		goto out;
	}
	/* a crash here leaves the entry unjournaled: the next change journals it */
	xp_fault_point("erase-recorded");
	event_text(e, reason, policy);
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
