#include "config.h"

#include "against-run.h"

#include "repo/against.h"
#include "base/err.h"
#include "base/time.h"
#include "cli/cli.h"
#include "db/odbc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "changed 2 (keys 5, 9)" into buf: a count and its first keys, never a row's content. */
static void kind(char *buf, size_t len, const char *what, uint64_t n, char *const *keys)
{
	size_t used = (size_t)snprintf(buf, len, "%s %llu", what, (unsigned long long)n);

	for (int i = 0; i < XP_AGAINST_KEYS && keys[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : " (key ",
		                         keys[i]);
	if (keys[0] && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%s)",
		                         n > XP_AGAINST_KEYS ? ", ..." : "");
}

/* Reports one table of partition e; returns its status. */
static int report(const struct xp_catalog_entry *e, const struct xp_against_table *t)
{
	char since[XP_TIME_LEN], until[XP_TIME_LEN], c[512], a[512], v[512];

	xp_time_format(e->since, since);
	xp_time_format(e->until, until);
	if (!t->changed && !t->appeared && !t->vanished && t->source == t->sealed) {
		printf("%s (%s to %s): %s: %llu rows as sealed\n", e->id, since, until, t->name,
		       (unsigned long long)t->sealed);
		return XP_EXIT_OK;
	}
	if (!t->changed && !t->appeared && !t->vanished) {
		xp_time_format(t->held_from, c);
		printf("%s (%s to %s): %s: %llu rows sealed, %llu still in the source (%s%s): as "
		       "sealed\n",
		       e->id, since, until, t->name, (unsigned long long)t->sealed,
		       (unsigned long long)t->source,
		       t->has_held ? "the rest is older than its oldest row, " : "it holds no row",
		       t->has_held ? c : "");
		return XP_EXIT_OK;
	}
	kind(c, sizeof c, "changed", t->changed, t->keys[0]);
	kind(a, sizeof a, "appeared", t->appeared, t->keys[1]);
	kind(v, sizeof v, "vanished", t->vanished, t->keys[2]);
	xp_warn("%s (%s to %s): %s: %llu rows sealed, %llu in the source now: %s, %s, %s", e->id,
	        since, until, t->name, (unsigned long long)t->sealed, (unsigned long long)t->source,
	        c, a, v);
	return t->changed || t->vanished ? XP_EXIT_INTEGRITY : XP_EXIT_FAIL;
}

/* The worse of two exit statuses: integrity, then usage, then failure. */
static int worse(int a, int b)
{
	static const int rank[] = {
	        [XP_EXIT_OK] = 0, [XP_EXIT_FAIL] = 1, [XP_EXIT_USAGE] = 2, [XP_EXIT_INTEGRITY] = 3};

	return rank[a] >= rank[b] ? a : b;
}

static const struct xp_catalog *sorting;

/* Partitions by source, then window. */
static int by_window(const void *a, const void *b)
{
	const struct xp_catalog_entry *x = &sorting->entries[*(const size_t *)a];
	const struct xp_catalog_entry *y = &sorting->entries[*(const size_t *)b];
	int c = strcmp(x->source ? x->source : "", y->source ? y->source : "");

	if (c)
		return c;
	return x->since < y->since ? -1 : x->since > y->since;
}

int against_all(const struct against_opts *o)
{
	struct xp_catalog cat = {0};
	struct xp_odbc c = {0};
	struct xp_err err = {0, ""};
	int status = XP_EXIT_OK, rc;
	size_t parts = 0, *order = NULL;

	rc = xp_catalog_load_signed(o->repo, o->signer, &cat, &err);
	if (rc == 0 && cat.n && !(order = malloc(cat.n * sizeof *order)))
		rc = xp_err_set(&err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < cat.n; i++)
		order[i] = i;
	sorting = &cat;
	if (rc == 0 && cat.n > 1)
		qsort(order, cat.n, sizeof *order, by_window);
	if (rc == 0)
		rc = xp_odbc_connect(&c, o->connstr, &err);
	for (size_t i = 0; rc == 0 && i < cat.n; i++) {
		const struct xp_catalog_entry *e = &cat.entries[order[i]];
		struct xp_against_result res;
		struct xp_err perr = {0, ""};

		if (e->kind != XP_CATALOG_PARTITION || e->state != XP_CATALOG_SEALED ||
		    (o->source && strcmp(o->source, e->source ? e->source : "") != 0))
			continue;
		parts++;
		if (xp_against_partition(o->repo, e, o->signer, o->sk, &c, o->key, &res, &perr)) {
			xp_warn("%s: %s", e->id, perr.msg);
			status = worse(status, xp_exit_status(perr.code));
			continue;
		}
		for (size_t t = 0; t < res.ntables; t++)
			status = worse(status, report(e, &res.tables[t]));
		xp_against_result_free(&res);
	}
	xp_odbc_close(&c);
	xp_catalog_free(&cat);
	free(order);
	if (rc) {
		xp_warn("%s", err.msg);
		return worse(status, xp_exit_status(rc));
	}
	if (parts == 0) {
		xp_warn("%s: no partition%s%s to compare with the source", o->repo,
		        o->source ? " of source " : "", o->source ? o->source : "");
		return worse(status, XP_EXIT_FAIL);
	}
	printf("against the source: %zu partition(s) compared: %s\n", parts,
	       status == XP_EXIT_OK ? "no differences" : "differences found");
	return status;
}
