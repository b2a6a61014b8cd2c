/* Whether a request names what the backups hold (xp_erase_check_names, erase.h). */
#include "config.h"

#include "repo/erase.h"
#include "repo/catalog.h"
#include "repo/repo.h"
#include "repo/seal-repo.h"
#include "stream/dump.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What of a request's names the MANIFESTs read so far hold. */
struct seen {
	char *table;  /* per table of the request */
	char *column; /* per value of the request */
	int time;     /* a table of the request has a time column */
};

static const struct xp_dump_table *table_of(const struct xp_manifest *m, const char *name)
{
	for (size_t i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return &m->tables[i];
	return NULL;
}

static int has_column(const struct xp_dump_table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c].name, name) == 0)
			return 1;
	return 0;
}

/* Marks what m holds of e's names; 1 when everything is seen. */
static int see(const struct xp_erase_entry *e, const struct xp_manifest *m, struct seen *s)
{
	int all = 1;

	for (size_t i = 0; i < e->ntables; i++) {
		const struct xp_dump_table *t = table_of(m, e->tables[i]);

		if (!t)
			continue;
		s->table[i] = 1;
		s->time |= t->time_col >= 0;
		for (size_t v = 0; v < e->nvalues; v++)
			s->column[v] |= has_column(t, e->values[v].column);
	}
	for (size_t i = 0; i < e->ntables; i++)
		all &= s->table[i];
	for (size_t v = 0; v < e->nvalues; v++)
		all &= s->column[v];
	return all && (e->niv == 0 || s->time);
}

/* The MANIFEST of cataloged backup c into a zeroed m. */
static int manifest_of(const char *repo, const struct xp_catalog_entry *c,
                       const struct xp_sign_pub *signer, const uint8_t *sk, struct xp_manifest *m,
                       struct xp_err *err)
{
	char *path = xp_repo_backup(repo, c->id, "");
	int fd = -1, rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_seal_fetch(repo, path, c->id, signer, &fd, err)) == 0)
		rc = xp_erase_manifest(repo, fd, c->id, sk, m, err);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* What e names that no MANIFEST held, into why (when no table is found, only that). */
static void say(const struct xp_erase_entry *e, const struct seen *s, char *why, size_t len)
{
	size_t at = 0;
	int any = 0;

	why[0] = '\0';
	for (size_t i = 0; i < e->ntables; i++)
		any |= s->table[i];
	for (size_t i = 0; i < e->ntables; i++)
		if (!s->table[i] && at < len)
			at += (size_t)snprintf(why + at, len - at, "%stable %s is in no backup",
			                       at ? "; " : "", e->tables[i]);
	/* of tables that are nowhere, their columns are not either */
	for (size_t v = 0; any && v < e->nvalues; v++)
		if (!s->column[v] && at < len)
			at += (size_t)snprintf(why + at, len - at,
			                       "%scolumn %s is in none of the tables named",
			                       at ? "; " : "", e->values[v].column);
	if (any && e->niv && !s->time && at < len)
		snprintf(why + at, len - at,
		         "%sno table named has a time column: an interval covers none of its rows",
		         at ? "; " : "");
}

int xp_erase_check_names(const char *repo, const struct xp_sign_pub *signer, const uint8_t *sk,
                         const struct xp_erase_entry *e, char *why, size_t len, struct xp_err *err)
{
	struct xp_catalog cat = {0};
	struct seen s = {0};
	size_t opened = 0;
	int rc, done = 0;

	s.table = calloc(e->ntables ? e->ntables : 1, 1);
	s.column = calloc(e->nvalues ? e->nvalues : 1, 1);
	if (!s.table || !s.column) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_catalog_load_signed(repo, signer, &cat, err)) != 0)
		goto out;
	/* newest first: the newest backup of each source usually answers alone */
	for (size_t i = cat.n; !done && i-- > 0;) {
		const struct xp_catalog_entry *c = &cat.entries[i];
		struct xp_manifest m = {0};

		if (c->state != XP_CATALOG_SEALED || !c->source)
			continue;
		if ((rc = manifest_of(repo, c, signer, sk, &m, err)) != 0) {
			xp_err_prefix(err, "%s", c->id);
			xp_manifest_free(&m);
			goto out;
		}
		opened++;
		done = see(e, &m, &s);
		xp_manifest_free(&m);
	}
	if (opened == 0) {
		snprintf(why, len, "the repository holds no backup to check the names against");
		rc = 2;
	} else if (!done) {
		say(e, &s, why, len);
		rc = 1;
	}
out:
	xp_catalog_free(&cat);
	free(s.table);
	free(s.column);
	return rc;
}
