/* The continuity of partitions, for the catalog check: gaps and overlaps between the windows
 * of a source's partitions, each told with what the journal says of the partitions that
 * covered it and why they ended. */
#include "config.h"

#include "catalog-int.h"
#include "partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	    xp_partition_record_parse(ev->reason, &since, &until, &source) != 0)
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
static void account(const struct parts *p, const struct xp_partition_flaw_info *f, char *buf,
                    size_t len)
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

static void on_flaw(void *ctx, const struct xp_partition_flaw_info *f)
{
	struct flaw_ctx *c = ctx;
	struct xp_catalog_finding k = {XP_FIND_CONTINUITY, f->after, "catalog", NULL};
	char a[XP_TIME_LEN], b[XP_TIME_LEN], why[512], msg[768];

	xp_time_format(f->from, a);
	xp_time_format(f->to, b);
	if (f->kind == XP_PARTITION_GAP) {
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
	struct xp_partition_span *spans = NULL;
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
			spans[n++] = (struct xp_partition_span){p.v[i].source, p.v[i].since,
			                                        p.v[i].until};
	rc = xp_partition_check(cat, spans, n, on_flaw, &fc, err);
out:
	for (size_t i = 0; i < p.n; i++) {
		free(p.v[i].source);
		free(p.v[i].rule);
	}
	free(p.v);
	free(spans);
	return rc;
}
