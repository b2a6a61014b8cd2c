/* Partitions in the catalog: their journal record, their order, a window sealed once, and
 * their continuity for the catalog check (gaps and overlaps between the windows of a source's
 * partitions, each gap told with what the journal says of the partitions that covered it and
 * why they ended). */
#include "config.h"

#include "repo/catalog-int.h"
#include "base/str.h"
#include "base/err.h"
#include "base/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src_of(const char *s)
{
	return s ? s : "";
}

char *xp_catalog_partition_record(const struct xp_catalog_entry *e)
{
	char a[XP_TIME_LEN], b[XP_TIME_LEN];

	xp_time_format(e->since, a);
	xp_time_format(e->until, b);
	return xp_asprintf("partition %s %s %s", a, b, e->source && *e->source ? e->source : "-");
}

int xp_catalog_partition_parse(const char *reason, int64_t *since, int64_t *until,
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

struct part {
	const struct xp_catalog_entry *e;
	size_t i;
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

int xp_catalog_partitions(const struct xp_catalog *cat, size_t **idx, size_t *n, struct xp_err *err)
{
	struct part *v = cat->n ? malloc(cat->n * sizeof *v) : NULL;
	int rc = 0;

	*n = 0;
	*idx = cat->n ? malloc(cat->n * sizeof **idx) : NULL;
	if (cat->n && (!v || !*idx)) {
		free(*idx);
		*idx = NULL;
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cat->n; i++)
		if (cat->entries[i].kind == XP_CATALOG_PARTITION)
			v[(*n)++] = (struct part){&cat->entries[i], i};
	if (*n > 1)
		qsort(v, *n, sizeof *v, cmp_part);
	for (size_t i = 0; i < *n; i++)
		(*idx)[i] = v[i].i;
out:
	free(v);
	return rc;
}

const struct xp_catalog_entry *xp_catalog_partition_overlap(const struct xp_catalog *cat,
                                                            const struct xp_catalog_entry *e)
{
	for (size_t i = 0; i < cat->n; i++) {
		const struct xp_catalog_entry *x = &cat->entries[i];

		if (x->kind == XP_CATALOG_PARTITION && strcmp(x->id, e->id) != 0 &&
		    strcmp(src_of(x->source), src_of(e->source)) == 0 && x->since < e->until &&
		    e->since < x->until)
			return x;
	}
	return NULL;
}

static int cmp_span(const void *a, const void *b)
{
	const struct xp_catalog_span *x = a, *y = b;

	return x->since < y->since ? -1 : x->since > y->since;
}

int xp_catalog_partition_covered(const struct xp_catalog_span *v, size_t n, const char *source,
                                 int64_t from, int64_t to)
{
	struct xp_catalog_span *s = n ? malloc(n * sizeof *s) : NULL;
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
                const struct xp_catalog_span *expired, size_t n, xp_catalog_flaw_fn *fn, void *ctx)
{
	struct xp_catalog_flaw f = {0};

	f.source = src_of(b->source);
	f.before = reach->id;
	f.after = b->id;
	if (reach->until < b->since) {
		if (xp_catalog_partition_covered(expired, n, b->source, reach->until, b->since))
			return 0;
		f.kind = XP_CATALOG_GAP;
		f.from = reach->until;
		f.to = b->since;
	} else if (reach->until > b->since) {
		f.kind = XP_CATALOG_OVERLAP;
		f.from = b->since;
		f.to = reach->until < b->until ? reach->until : b->until;
	} else {
		return 0;
	}
	fn(ctx, &f);
	return 1;
}

int xp_catalog_partition_check(const struct xp_catalog *cat, const struct xp_catalog_span *expired,
                               size_t n, xp_catalog_flaw_fn *fn, void *ctx, struct xp_err *err)
{
	const struct xp_catalog_entry *reach = NULL;
	size_t np, *v = NULL;
	int found = 0, rc;

	rc = xp_catalog_partitions(cat, &v, &np, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < np; i++) {
		const struct xp_catalog_entry *b = &cat->entries[v[i]];

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

/* How a partition the journal sealed ended. */
enum { LIVE, EXPIRED, DELETED, SHREDDED };

struct ended {
	char id[XP_REPO_ID_HEX];
	char *source;
	int64_t since, until;
	int how;
	char *rule; /* the deletion's rule, or NULL */
};

struct parts {
	struct ended *v;
	size_t n;
	int oom;
};

static struct ended *find(struct parts *p, const char *id)
{
	for (size_t i = p->n; i-- > 0;) /* a partition's events follow its seal closely */
		if (strcmp(p->v[i].id, id) == 0)
			return &p->v[i];
	return NULL;
}

static void sealed(struct parts *p, const struct xp_journal_event *ev)
{
	struct ended *grown, *e;
	const char *source;
	int64_t since, until;

	if (!xp_repo_valid_id(ev->id) ||
	    xp_catalog_partition_parse(ev->reason, &since, &until, &source) != 0)
		return;
	grown = realloc(p->v, (p->n + 1) * sizeof *grown);
	if (!grown) {
		p->oom = 1;
		return;
	}
	p->v = grown;
	e = &p->v[p->n];
	memset(e, 0, sizeof *e);
	memcpy(e->id, ev->id, XP_REPO_ID_HEX);
	e->source = strdup(source);
	e->since = since;
	e->until = until;
	if (!e->source)
		p->oom = 1;
	else
		p->n++;
}

static int on_event(void *ctx, const struct xp_journal_event *ev)
{
	struct parts *p = ctx;
	struct ended *e;

	if (!ev->authentic || p->oom)
		return 0;
	if (strcmp(ev->event, "sealed") == 0 || strcmp(ev->event, "adopted") == 0) {
		sealed(p, ev);
		return 0;
	}
	e = find(p, ev->id);
	if (!e)
		return 0;
	if (strcmp(ev->event, "deleting") == 0 || strcmp(ev->event, "deleted") == 0) {
		if (e->how == EXPIRED || e->how == DELETED)
			return 0;
		free(e->rule);
		e->rule = ev->reason[0] ? strdup(ev->reason) : NULL;
		e->how = strncmp(ev->reason, "max-age ", 8) == 0 ? EXPIRED : DELETED;
	} else if (strcmp(ev->event, "shredded") == 0 && e->how == LIVE) {
		e->how = SHREDDED;
	}
	return 0;
}

/* What the journal says of the partitions of f's source that covered [f->from, f->to). */
static void account(const struct parts *p, const struct xp_catalog_flaw *f, char *buf, size_t len)
{
	static const char *const how[] = {"is in the journal but not the catalog", "expired",
	                                  "was deleted", "was shredded"};
	size_t used = 0;
	int any = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->n && used < len; i++) {
		const struct ended *e = &p->v[i];
		char a[XP_TIME_LEN], b[XP_TIME_LEN];
		int k;

		if (strcmp(e->source, f->source) != 0 || e->until <= f->from || e->since >= f->to)
			continue;
		xp_time_format(e->since, a);
		xp_time_format(e->until, b);
		k = snprintf(buf + used, len - used, "; partition %s (%s to %s) %s%s%s%s", e->id, a,
		             b, how[e->how], e->rule ? " (" : "", e->rule ? e->rule : "",
		             e->rule ? ")" : "");
		used += k > 0 ? (size_t)k : 0;
		any = 1;
	}
	if (!any)
		snprintf(buf, len,
		         "; the journal records no partition sealed for it (a run that "
		         "never sealed it)");
}

struct flaw_ctx {
	struct parts *p;
	xp_catalog_report_fn *fn;
	void *ctx;
};

static void on_flaw(void *ctx, const struct xp_catalog_flaw *f)
{
	struct flaw_ctx *c = ctx;
	struct xp_catalog_finding k = {XP_FIND_CONTINUITY, f->after, "catalog", NULL};
	char a[XP_TIME_LEN], b[XP_TIME_LEN], why[512], msg[768];

	xp_time_format(f->from, a);
	xp_time_format(f->to, b);
	if (f->kind == XP_CATALOG_GAP) {
		account(c->p, f, why, sizeof why);
		snprintf(msg, sizeof msg,
		         "source %s: gap from %s to %s: no partition holds its rows (between "
		         "partitions %s and %s)%s",
		         f->source[0] ? f->source : "-", a, b, f->before, f->after, why);
	} else {
		snprintf(
		        msg, sizeof msg,
		        "source %s: overlap from %s to %s: partitions %s and %s both hold its rows",
		        f->source[0] ? f->source : "-", a, b, f->before, f->after);
	}
	k.msg = msg;
	if (c->fn)
		c->fn(c->ctx, &k);
}

int xp_catalog_check_partitions(const char *repo, const struct xp_catalog *cat,
                                const struct xp_jtrust *trust, xp_catalog_report_fn *fn, void *ctx,
                                struct xp_err *err)
{
	struct parts p = {0};
	struct xp_catalog_span *spans = NULL;
	struct flaw_ctx fc = {&p, fn, ctx};
	struct xp_jstate st;
	size_t n = 0;
	int rc;

	rc = xp_journal_scan(repo, 0, trust, on_event, &p, &st, err);
	if (rc == 0 && p.oom)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc)
		goto out;
	spans = p.n ? calloc(p.n, sizeof *spans) : NULL;
	if (p.n && !spans) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	/* retention's own holes (behind a held partition) are no flaw */
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].how == EXPIRED)
			spans[n++] =
			        (struct xp_catalog_span){p.v[i].source, p.v[i].since, p.v[i].until};
	rc = xp_catalog_partition_check(cat, spans, n, on_flaw, &fc, err);
out:
	for (size_t i = 0; i < p.n; i++) {
		free(p.v[i].source);
		free(p.v[i].rule);
	}
	free(p.v);
	free(spans);
	return rc;
}
