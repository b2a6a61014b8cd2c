#include "config.h"

#include "repo/against.h"

#include "base/err.h"
#include "base/str.h"
#include "base/time.h"
#include "db/fetch.h"
#include "repo/range.h"
#include "stream/dump.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define ROW_HASH 16

/* One row as compared: its key (owned), the hash of its fields, its time. */
struct row {
	char *key;
	uint8_t hash[ROW_HASH];
	int has_time;
	int64_t time;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].key);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Appends the row of n fields f, taken in the order map gives (map[i]: the index in f of
 * the dump's column i), keyed by field map[kc], dated by field tc (-1: none). */
static int add(struct rows *r, const struct xp_field *f, const size_t *map, size_t n, size_t kc,
               long tc, struct xp_err *err)
{
	crypto_generichash_state h;
	struct row *w;
	char t[64];

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct row *g = realloc(r->v, cap * sizeof *g);

		if (!g)
			return xp_err_set(err, XP_ENOMEM, "out of memory");
		r->v = g;
		r->cap = cap;
	}
	w = &r->v[r->n];
	memset(w, 0, sizeof *w);
	if (crypto_generichash_init(&h, NULL, 0, ROW_HASH) != 0)
		return xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
	for (size_t i = 0; i < n; i++) {
		const struct xp_field *x = &f[map[i]];
		uint8_t head[9] = {(uint8_t)x->null};
		uint64_t len = x->len;

		for (int b = 0; b < 8; b++)
			head[1 + b] = (uint8_t)(len >> (8 * b));
		crypto_generichash_update(&h, head, sizeof head);
		crypto_generichash_update(&h, (const uint8_t *)x->p, x->len);
	}
	crypto_generichash_final(&h, w->hash, ROW_HASH);
	w->key = f[map[kc]].null ? strdup("NULL") : xp_strndup(f[map[kc]].p, f[map[kc]].len);
	if (!w->key)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (tc >= 0 && !f[tc].null && f[tc].len < sizeof t) {
		memcpy(t, f[tc].p, f[tc].len);
		t[f[tc].len] = '\0';
		w->has_time = xp_time_parse(t, &w->time, NULL) == 0;
	}
	r->n++;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

/* Notes a key of kind k (0 changed, 1 appeared, 2 vanished). */
static int note(struct xp_against_table *t, int k, const char *key, struct xp_err *err)
{
	uint64_t *count = k == 0 ? &t->changed : k == 1 ? &t->appeared : &t->vanished;

	if (*count < XP_AGAINST_KEYS && !(t->keys[k][*count] = strdup(key)))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	(*count)++;
	return 0;
}

/* Merges the sorted rows a (sealed) and b (the source's) into t. */
static int compare(struct rows *a, struct rows *b, struct xp_against_table *t, struct xp_err *err)
{
	size_t i = 0, j = 0;
	int rc = 0;

	if (a->n > 1) /* none: no array at all (qsort's is never null) */
		qsort(a->v, a->n, sizeof *a->v, cmp_row);
	if (b->n > 1)
		qsort(b->v, b->n, sizeof *b->v, cmp_row);
	while (rc == 0 && (i < a->n || j < b->n)) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);

		if (c == 0) {
			if (sodium_memcmp(a->v[i].hash, b->v[j].hash, ROW_HASH) != 0)
				rc = note(t, 0, a->v[i].key, err);
			i++;
			j++;
		} else if (c > 0) {
			rc = note(t, 1, b->v[j++].key, err);
		} else {
			const struct row *r = &a->v[i++];

			/* rows older than what the source still holds left by its own retention */
			if (t->has_held && (!r->has_time || r->time >= t->held_from))
				rc = note(t, 2, r->key, err);
		}
	}
	return rc;
}

/* The index of column name in cols (n of them), or -1. */
static long col_index(const struct xp_column *cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Reads the source's rows of table dt in window e into b, and its oldest row into t. */
static int read_source(struct xp_odbc *c, const struct xp_dump_table *dt, size_t kc,
                       const struct xp_catalog_entry *e, struct rows *b, struct xp_against_table *t,
                       struct xp_err *err)
{
	struct xp_column *cols = NULL;
	struct xp_odbc_cursor *cur = NULL;
	const struct xp_field *row;
	size_t n = 0, *map = calloc(dt->ncols ? dt->ncols : 1, sizeof *map);
	struct xp_window w = {.time_column = dt->time_column,
	                      .has_since = 1,
	                      .has_until = 1,
	                      .since = e->since,
	                      .until = e->until};
	long tc = -1;
	uint64_t older = 0;
	int rc;

	if (!map)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_odbc_describe(c, dt->name, &cols, &n, err);
	for (size_t i = 0; rc == 0 && i < dt->ncols; i++) {
		long k = col_index(cols, n, dt->cols[i].name);

		if (k < 0)
			rc = xp_err_set(err, XP_EFAIL, "%s: the source has no column %s any more",
			                dt->name, dt->cols[i].name);
		else
			map[i] = (size_t)k;
	}
	if (rc == 0 && dt->time_column)
		tc = col_index(cols, n, dt->time_column);
	if (rc == 0 && tc >= 0)
		rc = xp_odbc_older(c, dt->name, &cols[tc], 253402300799 /* 9999-12-31T23:59:59Z */,
		                   &older, &t->held_from, err);
	t->has_held = older > 0;
	if (rc == 0)
		rc = xp_odbc_select(c, dt->name, cols, n, &w, &cur, err);
	while (rc == 0 && (rc = xp_odbc_fetch(cur, &row, err)) == 1)
		rc = add(b, row, map, dt->ncols, kc, -1, err);
	t->source = b->n;
	xp_odbc_cursor_free(cur);
	xp_columns_free(cols, n);
	free(map);
	return rc < 0 ? rc : 0;
}

void xp_against_result_free(struct xp_against_result *res)
{
	for (size_t i = 0; i < res->ntables; i++) {
		free(res->tables[i].name);
		for (int k = 0; k < 3; k++)
			for (int j = 0; j < XP_AGAINST_KEYS; j++)
				free(res->tables[i].keys[k][j]);
	}
	free(res->tables);
	memset(res, 0, sizeof *res);
}

/* Reads the partition's stream on fd, comparing each table with the source. */
static int walk(int fd, const struct xp_catalog_entry *e, struct xp_odbc *c, const char *key,
                struct xp_against_result *res, struct xp_err *err)
{
	struct xp_dump_reader *r = NULL;
	const struct xp_manifest *m;
	const struct xp_field *row;
	struct rows a = {0}, b = {0};
	size_t t, *ident = NULL;
	int rc;

	rc = xp_dump_reader_open(&r, fd, err);
	if (rc)
		goto out;
	m = xp_dump_reader_manifest(r);
	res->tables = calloc(m->ntables ? m->ntables : 1, sizeof *res->tables);
	if (!res->tables) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	res->ntables = m->ntables;
	while ((rc = xp_dump_reader_next_table(r, &t, err)) == 1) {
		const struct xp_dump_table *dt = &m->tables[t];
		struct xp_against_table *at = &res->tables[t];
		long kc = key ? col_index(dt->cols, dt->ncols, key) : 0;

		if (!(at->name = strdup(dt->name)) ||
		    !(ident = realloc(ident, (dt->ncols ? dt->ncols : 1) * sizeof *ident))) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			goto out;
		}
		if (kc < 0) {
			rc = xp_err_set(err, XP_EUSAGE, "%s: no key column %s", dt->name, key);
			goto out;
		}
		for (size_t i = 0; i < dt->ncols; i++)
			ident[i] = i;
		while ((rc = xp_dump_reader_next_row(r, &row, err)) == 1)
			if ((rc = add(&a, row, ident, dt->ncols, (size_t)kc, dt->time_col, err)) !=
			    0)
				goto out;
		if (rc < 0)
			goto out;
		at->sealed = a.n;
		rc = read_source(c, dt, (size_t)kc, e, &b, at, err);
		if (rc == 0)
			rc = compare(&a, &b, at, err);
		rows_free(&a);
		rows_free(&b);
		if (rc)
			goto out;
	}
out:
	rows_free(&a);
	rows_free(&b);
	free(ident);
	xp_dump_reader_free(r);
	return rc;
}

int xp_against_partition(const char *repo, const struct xp_catalog_entry *e,
                         const struct xp_sign_pub *signer, const uint8_t *sk, struct xp_odbc *c,
                         const char *key, struct xp_against_result *res, struct xp_err *err)
{
	struct xp_range_proc p;
	struct xp_err scratch = {0, ""};
	int fd = -1, rc;

	memset(res, 0, sizeof *res);
	rc = xp_range_open_backup(repo, e, signer, sk, &fd, &p, err);
	if (rc)
		return rc;
	rc = walk(fd, e, c, key, res, err);
	/* the opener's failure (a damaged backup) explains a failed read best */
	if (xp_range_close_backup(&p, fd, e->id, rc ? &scratch : err) != 0) {
		if (scratch.code)
			*err = scratch;
		rc = err->code ? err->code : XP_EFAIL;
	}
	if (rc)
		xp_against_result_free(res);
	return rc;
}
