#include "config.h"

#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src_of(const char *s)
{
	return s ? s : "";
}

char *xp_partition_record(const struct xp_catalog_entry *e)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN];

	xp_time_format(e->since, a);
	xp_time_format(e->until, b);
	return xp_asprintf("partition %s %s %s", a, b, e->source && *e->source ? e->source : "-");
}

int xp_partition_record_parse(const char *reason, int64_t *since, int64_t *until,
                              const char **source)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN];
	int off = 0;

	if (sscanf(reason, "partition %20s %20s %n", a, b, &off) != 2 || off == 0 ||
	    xp_time_parse(a, since, NULL) || xp_time_parse(b, until, NULL) || *since >= *until)
		return -1;
	*source = strcmp(reason + off, "-") == 0 ? "" : reason + off;
	return 0;
}

int xp_partition_next(const struct xp_catalog *cat, const char *source, int64_t now, int64_t grace,
                      int64_t max_age, int64_t *since, int64_t *until, struct xp_err *err)
{
	int64_t limit;

	if (max_age <= 0 || grace < 0)
		return xp_err_set(err, XP_EUSAGE, "partitions need a positive max-age and grace");
	limit = now - max_age + 1;
	*since = limit;
	for (size_t i = 0; i < cat->n; i++) {
		const struct xp_catalog_entry *e = &cat->entries[i];

		if (e->kind == XP_CATALOG_PARTITION &&
		    strcmp(src_of(e->source), src_of(source)) == 0 && e->until > *since)
			*since = e->until;
	}
	*until = now - grace;
	return *until > *since ? 0 : 1;
}

struct part {
	const struct xp_catalog_entry *e;
};

static int cmp_part(const void *a, const void *b)
{
	const struct xp_catalog_entry *x = ((const struct part *)a)->e;
	const struct xp_catalog_entry *y = ((const struct part *)b)->e;
	int c = strcmp(src_of(x->source), src_of(y->source));

	if (c)
		return c;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	if (x->until != y->until)
		return x->until < y->until ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The partitions of cat sorted by source and window; *n of them. NULL with *n 0 when none. */
static struct part *sorted(const struct xp_catalog *cat, size_t *n, struct xp_err *err)
{
	struct part *v = cat->n ? calloc(cat->n, sizeof *v) : NULL;

	*n = 0;
	if (cat->n && !v) {
		xp_err_set(err, XP_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cat->n; i++)
		if (cat->entries[i].kind == XP_CATALOG_PARTITION)
			v[(*n)++].e = &cat->entries[i];
	if (*n > 1)
		qsort(v, *n, sizeof *v, cmp_part);
	return v;
}

static int cmp_span(const void *a, const void *b)
{
	const struct xp_partition_span *x = a, *y = b;

	return x->since < y->since ? -1 : x->since > y->since;
}

int xp_partition_covered(const struct xp_partition_span *v, size_t n, const char *source,
                         int64_t from, int64_t to)
{
	struct xp_partition_span *s = n ? malloc(n * sizeof *s) : NULL;
	size_t k = 0;
	int64_t reach = from;

	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(src_of(v[i].source), src_of(source)) == 0)
			s[k++] = v[i];
	if (k > 1)
		qsort(s, k, sizeof *s, cmp_span);
	/* sweep from `from`: every point up to `reach` is covered */
	for (size_t i = 0; i < k && reach < to; i++)
		if (s[i].since <= reach && s[i].until > reach)
			reach = s[i].until;
	free(s);
	return reach >= to;
}

/* Reports the gap or overlap between reach (the window of the source reaching furthest so far)
 * and the next window b, unless retention explains the gap: 1 when reported. */
static int flaw(const struct xp_catalog_entry *reach, const struct xp_catalog_entry *b,
                const struct xp_partition_span *expired, size_t n, xp_partition_fn *fn, void *ctx)
{
	struct xp_partition_flaw_info f = {0};

	f.source = src_of(b->source);
	f.before = reach->id;
	f.after = b->id;
	if (reach->until < b->since) {
		if (xp_partition_covered(expired, n, b->source, reach->until, b->since))
			return 0;
		f.kind = XP_PARTITION_GAP;
		f.from = reach->until;
		f.to = b->since;
	} else if (reach->until > b->since) {
		f.kind = XP_PARTITION_OVERLAP;
		f.from = b->since;
		f.to = reach->until < b->until ? reach->until : b->until;
	} else {
		return 0;
	}
	fn(ctx, &f);
	return 1;
}

int xp_partition_check(const struct xp_catalog *cat, const struct xp_partition_span *expired,
                       size_t n, xp_partition_fn *fn, void *ctx, struct xp_err *err)
{
	const struct xp_catalog_entry *reach = NULL;
	size_t np;
	struct part *v = sorted(cat, &np, err);
	int found = 0;

	if (cat->n && !v)
		return XP_ENOMEM;
	for (size_t i = 0; i < np; i++) {
		const struct xp_catalog_entry *b = v[i].e;

		if (reach && strcmp(src_of(reach->source), src_of(b->source)) == 0)
			found += flaw(reach, b, expired, n, fn, ctx);
		else
			reach = b; /* a source's first window: what lies before is retention's */
		if (b->until > reach->until)
			reach = b;
	}
	free(v);
	return found;
}

int xp_partition_select(const struct xp_catalog *cat, const char *source, int has_since,
                        int64_t since, int has_until, int64_t until, size_t **out, size_t *n,
                        struct xp_err *err)
{
	size_t np, k = 0;
	struct part *v = sorted(cat, &np, err);
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (cat->n && !v)
		return XP_ENOMEM;
	*out = np ? malloc(np * sizeof **out) : NULL;
	if (np && !*out) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		const struct xp_catalog_entry *e = v[i].e;

		if (strcmp(src_of(e->source), src_of(source)) != 0 ||
		    (has_since && e->until <= since) || (has_until && e->since >= until))
			continue;
		(*out)[k++] = (size_t)(e - cat->entries);
	}
	*n = k;
	if (k == 0) {
		free(*out);
		*out = NULL;
	}
out:
	free(v);
	return rc;
}
