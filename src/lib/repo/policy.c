/* Retention decisions: see policy.h for the semantics. */
#include "config.h"

#include "repo/policy.h"
#include "base/err.h"
#include "base/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A backup and its place in the caller's array, so the sort needs no global state. */
struct entry {
	const struct xp_policy_backup *b;
	size_t i;
};

/* One bucket rule while walking a source newest first. */
struct bucket {
	unsigned rule;
	int64_t left; /* buckets still to keep */
	int64_t last; /* key of the bucket seen last */
	int seen;     /* last is valid */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	/* b >= 0 everywhere it is used */
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* now - t >= d, without overflow (d > 0). */
static int age_reached(int64_t now, int64_t t, int64_t d)
{
	if (t >= now)
		return 0;
	return (uint64_t)now - (uint64_t)t >= (uint64_t)d;
}

static void iso_week(int64_t days, int64_t *year, unsigned *week)
{
	int64_t wd = ((days % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; Monday = 0 */
	int64_t thursday = days - wd + 3;
	unsigned m, d;

	/* The ISO year is the calendar year of the week's Thursday. */
	xp_civil_from_days(thursday, year, &m, &d);
	*week = (unsigned)((thursday - xp_days_from_civil(*year, 1, 1)) / 7 + 1);
}

static int64_t bucket_key(unsigned rule, int64_t t)
{
	int64_t days = floor_div(t, 86400), y;
	unsigned m, d, w;

	switch (rule) {
	case XP_POLICY_DAILY: return days;
	case XP_POLICY_WEEKLY: iso_week(days, &y, &w); return y * 100 + w;
	case XP_POLICY_MONTHLY: xp_civil_from_days(days, &y, &m, &d); return y * 12 + (m - 1);
	default: xp_civil_from_days(days, &y, &m, &d); return y;
	}
}

void xp_policy_bucket_name(unsigned rule, int64_t t, char *buf, size_t len)
{
	int64_t days = floor_div(t, 86400), y;
	unsigned m, d, w;

	switch (rule) {
	case XP_POLICY_DAILY:
		xp_civil_from_days(days, &y, &m, &d);
		snprintf(buf, len, "%04lld-%02u-%02u", (long long)y, m, d);
		break;
	case XP_POLICY_WEEKLY:
		iso_week(days, &y, &w);
		snprintf(buf, len, "%04lld-W%02u", (long long)y, w);
		break;
	case XP_POLICY_MONTHLY:
		xp_civil_from_days(days, &y, &m, &d);
		snprintf(buf, len, "%04lld-%02u", (long long)y, m);
		break;
	default:
		xp_civil_from_days(days, &y, &m, &d);
		snprintf(buf, len, "%04lld", (long long)y);
		break;
	}
}

void xp_policy_duration_format(int64_t s, char *buf, size_t len)
{
	if (s != 0 && s % 86400 == 0)
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	else if (s != 0 && s % 3600 == 0)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else if (s != 0 && s % 60 == 0)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* Appends to a reason; snprintf truncates safely when the buffer is full. */
static __attribute__((format(XP_PRINTF, 2, 3))) void add(char *reason, const char *fmt, ...)
{
	size_t used = strlen(reason);
	va_list ap;

	if (used + 1 >= XP_POLICY_REASON_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(reason + used, XP_POLICY_REASON_LEN - used, fmt, ap);
	va_end(ap);
}

/* Appends one space-separated word group to buf (len bytes), cutting at the end. */
static __attribute__((format(XP_PRINTF, 3, 4))) void word(char *buf, size_t len, const char *fmt,
                                                          ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used && used + 1 < len) {
		buf[used++] = ' ';
		buf[used] = '\0';
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void xp_policy_format(const struct xp_policy *p, char *buf, size_t len)
{
	char d[32];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (p->keep_last)
		word(buf, len, "keep-last %lld", (long long)p->keep_last);
	if (p->keep_within) {
		xp_policy_duration_format(p->keep_within, d, sizeof d);
		word(buf, len, "keep-within %s", d);
	}
	if (p->keep_daily)
		word(buf, len, "keep-daily %lld", (long long)p->keep_daily);
	if (p->keep_weekly)
		word(buf, len, "keep-weekly %lld", (long long)p->keep_weekly);
	if (p->keep_monthly)
		word(buf, len, "keep-monthly %lld", (long long)p->keep_monthly);
	if (p->keep_yearly)
		word(buf, len, "keep-yearly %lld", (long long)p->keep_yearly);
	if (p->max_age) {
		xp_policy_duration_format(p->max_age, d, sizeof d);
		word(buf, len, "max-age %s", d);
	}
}

static int has_keep_rule(const struct xp_policy *p)
{
	return p->keep_last || p->keep_within || p->keep_daily || p->keep_weekly ||
	       p->keep_monthly || p->keep_yearly;
}

int xp_policy_check(const struct xp_policy *p, struct xp_err *err)
{
	if (p->keep_last < 0 || p->keep_within < 0 || p->keep_daily < 0 || p->keep_weekly < 0 ||
	    p->keep_monthly < 0 || p->keep_yearly < 0 || p->max_age < 0)
		return xp_err_set(err, XP_EUSAGE,
		                  "policy: counts and durations must not be negative");
	if (!has_keep_rule(p) && !p->max_age)
		return xp_err_set(err, XP_EUSAGE,
		                  "refusing to delete everything: give at least one keep rule or "
		                  "--max-age");
	return 0;
}

/* Newest first within a source; equal times by id, the greater id first. */
static int cmp_entry(const void *va, const void *vb)
{
	const struct xp_policy_backup *a = ((const struct entry *)va)->b;
	const struct xp_policy_backup *b = ((const struct entry *)vb)->b;
	int c = strcmp(a->source ? a->source : "", b->source ? b->source : "");

	if (c != 0)
		return c;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return -strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

static const char *rule_name(unsigned rule)
{
	switch (rule) {
	case XP_POLICY_DAILY: return "keep-daily";
	case XP_POLICY_WEEKLY: return "keep-weekly";
	case XP_POLICY_MONTHLY: return "keep-monthly";
	default: return "keep-yearly";
	}
}

/* Appends at most `max` bytes of a hold reason, cut at a UTF-8 character boundary, with
 * control characters shown as spaces so the reason stays one line. */
static void add_hold_text(char *reason, const char *text, size_t max)
{
	size_t n = strlen(text), used = strlen(reason), i;
	int cut = n > max;

	if (cut) {
		n = max;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	if (n > XP_POLICY_REASON_LEN - 1 - used)
		n = XP_POLICY_REASON_LEN - 1 - used;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		reason[used + i] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
	}
	reason[used + n] = '\0';
	if (cut)
		add(reason, "...");
}

static void explain(const struct xp_policy *p, const struct xp_policy_backup *b, int64_t base,
                    int64_t rank, struct xp_policy_decision *d)
{
	static const unsigned buckets[] = {XP_POLICY_DAILY, XP_POLICY_WEEKLY, XP_POLICY_MONTHLY,
	                                   XP_POLICY_YEARLY};
	char t[XP_TIME_LEN], dur[32], name[24];
	const char *sep = "";
	size_t k;

	d->reason[0] = '\0';
	if (d->rules & XP_POLICY_HOLD) {
		add(d->reason, "hold");
		if (b->hold_reason && b->hold_reason[0]) {
			add(d->reason, ": ");
			add_hold_text(d->reason, b->hold_reason, 96);
		}
		sep = "; ";
	}
	if (d->max_age_exceeded) {
		xp_policy_duration_format(p->max_age, dur, sizeof dur);
		xp_time_format(base, t);
		add(d->reason, "%smax-age %s exceeded: %s %s", sep, dur,
		    b->partition    ? "window start"
		    : b->has_oldest ? "oldest row"
		                    : "created",
		    t);
		sep = "; ";
	}
	if (!d->keep) {
		/* max-age is the whole story of a deletion it causes */
		if (!d->max_age_exceeded)
			add(d->reason, "no rule keeps it");
		return;
	}
	if (d->rules & XP_POLICY_PARTITION) {
		add(d->reason, "%spartition until max-age", sep);
		sep = ", ";
	}
	if (d->rules & XP_POLICY_NORULE) {
		add(d->reason, "%sno keep rule given", sep);
		sep = ", ";
	}
	if (d->rules & XP_POLICY_LAST) {
		add(d->reason, "%skeep-last #%lld", sep, (long long)rank);
		sep = ", ";
	}
	if (d->rules & XP_POLICY_WITHIN) {
		xp_policy_duration_format(p->keep_within, dur, sizeof dur);
		add(d->reason, "%skeep-within %s", sep, dur);
		sep = ", ";
	}
	for (k = 0; k < sizeof buckets / sizeof buckets[0]; k++) {
		if (!(d->rules & buckets[k]))
			continue;
		xp_policy_bucket_name(buckets[k], b->created, name, sizeof name);
		add(d->reason, "%s%s %s", sep, rule_name(buckets[k]), name);
		sep = ", ";
	}
}

/* Decides one backup once the walk has set the keep-rule bits in d->rules. */
static void finish(const struct xp_policy *p, const struct xp_policy_backup *b, int64_t now,
                   int64_t rank, struct xp_policy_decision *d)
{
	int64_t base = b->has_oldest ? b->oldest : b->created;
	int64_t until = XP_POLICY_NEVER;

	if (b->partition)
		d->rules |= XP_POLICY_PARTITION;
	else if (!has_keep_rule(p))
		d->rules |= XP_POLICY_NORULE;
	if (b->held)
		d->rules |= XP_POLICY_HOLD;
	d->max_age_exceeded = p->max_age > 0 && age_reached(now, base, p->max_age);
	d->keep = b->held || (d->rules != 0 && !d->max_age_exceeded);
	if (d->keep && !b->held) {
		if (d->rules == XP_POLICY_WITHIN)
			until = sat_add(b->created, p->keep_within);
		if (p->max_age > 0 && sat_add(base, p->max_age) < until)
			until = sat_add(base, p->max_age);
	}
	d->until = d->keep ? until : 0;
	explain(p, b, base, rank, d);
}

/* Walks one source's backups, newest first, and decides each. */
static void decide_source(const struct xp_policy *p, const struct entry *e, size_t n, int64_t now,
                          struct xp_policy_decision *out)
{
	struct bucket bk[4] = {{XP_POLICY_DAILY, p->keep_daily, 0, 0},
	                       {XP_POLICY_WEEKLY, p->keep_weekly, 0, 0},
	                       {XP_POLICY_MONTHLY, p->keep_monthly, 0, 0},
	                       {XP_POLICY_YEARLY, p->keep_yearly, 0, 0}};
	size_t i, k, rank = 0;

	for (i = 0; i < n; i++) {
		const struct xp_policy_backup *b = e[i].b;
		struct xp_policy_decision *d = &out[e[i].i];

		memset(d, 0, sizeof *d);
		if (b->partition) { /* keep rules are about full backups only */
			finish(p, b, now, 0, d);
			continue;
		}
		if ((int64_t)rank < p->keep_last)
			d->rules |= XP_POLICY_LAST;
		if (p->keep_within > 0 && !age_reached(now, b->created, p->keep_within))
			d->rules |= XP_POLICY_WITHIN;
		for (k = 0; k < 4; k++) {
			int64_t key = bucket_key(bk[k].rule, b->created);

			/* Newest first, so the first backup met in a bucket is its newest. */
			if (bk[k].left > 0 && (!bk[k].seen || key != bk[k].last)) {
				d->rules |= bk[k].rule;
				bk[k].left--;
			}
			bk[k].last = key;
			bk[k].seen = 1;
		}
		finish(p, b, now, (int64_t)++rank, d);
	}
}

int xp_policy_decide(const struct xp_policy *p, const struct xp_policy_backup *b, size_t n,
                     int64_t now, struct xp_policy_decision *out, struct xp_err *err)
{
	struct entry *e = NULL;
	size_t i, start;
	int rc;

	rc = xp_policy_check(p, err);
	if (rc < 0 || n == 0)
		goto out;
	e = n <= SIZE_MAX / sizeof *e ? malloc(n * sizeof *e) : NULL;
	if (!e) {
		rc = xp_err_set(err, XP_ENOMEM, "policy: out of memory for %zu backups", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		e[i].b = &b[i];
		e[i].i = i;
	}
	qsort(e, n, sizeof *e, cmp_entry);
	for (start = 0, i = 1; i <= n; i++) {
		const char *s0 = e[start].b->source ? e[start].b->source : "";

		if (i < n && strcmp(s0, e[i].b->source ? e[i].b->source : "") == 0)
			continue;
		decide_source(p, e + start, i - start, now, out);
		start = i;
	}
out:
	free(e);
	return rc;
}
