/* The erasure ledger's file: parsing, checking against the journal, and the recovery of an
 * entry a crash left unjournaled (erase-ledger.h). */
#include "config.h"

#include "repo/erase-ledger.h"
#include "repo/journal.h"
#include "repo/repo.h"
#include "crypto/sign.h"
#include "base/encode.h"
#include "base/err.h"
#include "base/str.h"
#include "base/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void xp_erase_line_hash(const char *line, size_t len, uint8_t out[32])
{
	(void)crypto_generichash(out, 32, (const unsigned char *)line, len, NULL, 0);
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

		if (!((*out)[(*n)++] = xp_strndup(p, len)))
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
	xp_erase_line_hash(line, len, prev);
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
	xp_erase_line_hash(buf, (size_t)(nl - buf), prev);
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

int xp_erase_ledger_read(const char *repo, const struct xp_sign_pub *signer,
                         struct xp_erase_ledger *l, size_t *keep, size_t *size, struct xp_err *err)
{
	char *buf = NULL, *path = xp_repo_file(repo, XP_REPO_ERASURES);
	size_t len = 0;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_repo_read_optional(repo, path, LEDGER_MAX, &buf, &len, err)) == 0 &&
	    (rc = parse_ledger(buf ? buf : (char *)"", len, signer, l, keep, err)) == 0 && size)
		*size = len;
	free(buf);
	free(path);
	if (rc)
		xp_erase_ledger_free(l);
	return rc;
}

int xp_erase_load_locked(const char *repo, const struct xp_sign_pub *signer,
                         struct xp_erase_ledger *l, size_t *keep, size_t *size, struct xp_err *err)
{
	struct xp_erase_jcheck c = {l, err};
	struct xp_jstate st;
	int rc;

	if ((rc = xp_erase_ledger_read(repo, signer, l, keep, size, err)) != 0)
		return rc;
	if ((rc = xp_journal_scan(repo, 0, NULL, xp_erase_journaled, &c, &st, err)) == 0 &&
	    st.broken_line)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s/journal: line %zu: %s", repo,
		                st.broken_line, st.broken_msg);
	if (rc)
		xp_erase_ledger_free(l);
	return rc;
}

int xp_erase_journaled(void *ctx, const struct xp_journal_event *ev)
{
	struct xp_erase_jcheck *c = ctx;
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

void xp_erase_event(const struct xp_erase_entry *e, char reason[512], char policy[80])
{
	char hex[65];

	xp_hex(e->hash, 32, hex);
	snprintf(reason, 512, "%s: %zu table%s, %zu value%s, %zu interval%s", e->ref, e->ntables,
	         e->ntables == 1 ? "" : "s", e->nvalues, e->nvalues == 1 ? "" : "s", e->niv,
	         e->niv == 1 ? "" : "s");
	snprintf(policy, 80, "ledger %s", hex);
}

int xp_erase_journal_missing(const char *repo, struct xp_erase_ledger *l, struct xp_jstate *js,
                             struct xp_err *err)
{
	char reason[512], policy[80];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		if (l->e[i].journaled)
			continue;
		xp_erase_event(&l->e[i], reason, policy);
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

	if (xp_erase_load_locked(repo, signer, &l, &keep, NULL, &lerr) == 0)
		rc = xp_erase_journal_missing(repo, &l, js, err);
	else if (lerr.code == XP_ENOMEM)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	xp_erase_ledger_free(&l);
	return rc;
}
