/* Retention decisions: fixed scenarios at calendar edges, and generated ones checked against
 * a reference that counts buckets a different way (libc's strftime keys, set ranks). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repo/policy.h"
#include "../tap.h"
#include "base/err.h"
#include "base/time.h"

#define DAY  86400
#define MAXB 64

static int64_t T(const char *s)
{
	struct xp_err err;
	int64_t t = 0;

	if (xp_time_parse(s, &t, &err) < 0) {
		printf("# bad test time %s: %s\n", s, err.msg);
		abort();
	}
	return t;
}

/* A scenario's backups, parsed from "[source/]id=created[,oldest][!]" words ("!" = held). */
struct set {
	struct xp_policy_backup b[MAXB];
	char text[MAXB][96];
	size_t n;
};

static void parse_set(struct set *s, const char *spec)
{
	const char *p = spec;

	memset(s, 0, sizeof *s);
	while (*p) {
		size_t len = strcspn(p, " ");
		char *w = s->text[s->n], *eq, *slash, *comma;
		struct xp_policy_backup *b = &s->b[s->n];

		if (len == 0) {
			p++;
			continue;
		}
		memcpy(w, p, len);
		w[len] = '\0';
		p += len;
		if (w[len - 1] == '!') {
			w[len - 1] = '\0';
			b->held = 1;
			b->hold_reason = "litigation 42";
		}
		slash = strchr(w, '/');
		eq = strchr(w, '=');
		b->source = "db";
		if (slash && slash < eq) {
			*slash = '\0';
			b->source = w;
			w = slash + 1;
		}
		*eq = '\0';
		b->id = w;
		comma = strchr(eq + 1, ',');
		if (comma) {
			*comma = '\0';
			b->oldest = T(comma + 1);
			b->has_oldest = 1;
		}
		b->created = T(eq + 1);
		s->n++;
	}
}

/* The kept ids in input order, space-separated. */
static void kept_ids(const struct set *s, const struct xp_policy_decision *d, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < s->n; i++) {
		if (!d[i].keep)
			continue;
		if (buf[0])
			strncat(buf, " ", len - strlen(buf) - 1);
		strncat(buf, s->b[i].id, len - strlen(buf) - 1);
	}
}

struct scenario {
	const char *name;
	struct xp_policy p;
	const char *now;
	const char *backups;
	const char *kept;
};

/* Policies by field: last, within, daily, weekly, monthly, yearly, max_age. */
static const struct scenario scenarios[] = {
        {"keep-last 1 of one backup", {1, 0, 0, 0, 0, 0, 0}, "2026-11-27", "a=2026-11-24", "a"},
        {"keep-last 2 keeps the two newest",
         {2, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-20 b=2026-11-22 c=2026-11-21 d=2026-11-19",
         "b c"},
        {"keep-last larger than the catalog keeps all",
         {9, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-20 b=2026-11-22",
         "a b"},
        {"keep-daily keeps the newest of each day",
         {0, 0, 3, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-24T01:00 b=2026-11-24T23:59:59 c=2026-11-25T00:00 d=2026-11-23T12:00 "
         "e=2026-11-22T12:00",
         "b c d"},
        {"month boundary: the last second of January is another month",
         {0, 0, 0, 0, 1, 0, 0},
         "2026-03-01",
         "a=2026-01-31T23:59:59 b=2026-02-01T00:00:00",
         "b"},
        {"keep-monthly 2 across a month boundary",
         {0, 0, 0, 0, 2, 0, 0},
         "2026-03-01",
         "a=2026-01-31T23:59:59 b=2026-02-01T00:00:00 c=2026-01-01",
         "a b"},
        {"keep-monthly across a year boundary",
         {0, 0, 0, 0, 2, 0, 0},
         "2026-03-01",
         "a=2025-12-31T23:59:59 b=2026-01-01 c=2025-12-01 d=2025-11-30",
         "a b"},
        {"keep-yearly 1 across a year boundary",
         {0, 0, 0, 0, 0, 1, 0},
         "2026-03-01",
         "a=2025-12-31T23:59:59 b=2026-01-01T00:00:00",
         "b"},
        {"keep-yearly 3 keeps the last backup of each year",
         {0, 0, 0, 0, 0, 3, 0},
         "2026-03-01",
         "a=2022-12-31 b=2023-06-01 c=2023-12-31T10:00 d=2024-02-29 e=2025-01-01 f=2025-12-31",
         "c d f"},
        {"ISO week 2020-W53 spans 2020-12-31 and 2021-01-03",
         {0, 0, 0, 1, 0, 0, 0},
         "2021-01-10",
         "a=2020-12-31 b=2021-01-03T23:59:59",
         "b"},
        {"ISO week 2021-W01 starts on Monday 2021-01-04",
         {0, 0, 0, 2, 0, 0, 0},
         "2021-01-10",
         "a=2020-12-28 b=2021-01-03T23:59:59 c=2021-01-04T00:00:00",
         "b c"},
        {"ISO week 2026-W53 runs from 2026-12-28 into 2027",
         {0, 0, 0, 1, 0, 0, 0},
         "2027-02-01",
         "a=2026-12-28 b=2027-01-03 ",
         "b"},
        {"ISO week 2025-W01 starts in December 2024",
         {0, 0, 0, 2, 0, 0, 0},
         "2025-02-01",
         "a=2024-12-29 b=2024-12-30 c=2025-01-05",
         "a c"},
        {"keep-weekly and keep-monthly disagree at a month end",
         {0, 0, 0, 1, 1, 0, 0},
         "2026-12-01",
         "a=2026-11-30 b=2026-11-29 c=2026-11-28",
         "a"},
        {"keep-weekly 2 at a month end",
         {0, 0, 0, 2, 1, 0, 0},
         "2026-12-01",
         "a=2026-11-30 b=2026-11-29 c=2026-11-28 d=2026-11-22",
         "a b"},
        {"leap day is its own day",
         {0, 0, 3, 0, 0, 0, 0},
         "2024-03-02",
         "a=2024-02-28T12:00 b=2024-02-29T12:00 c=2024-03-01T12:00 d=2024-02-29T01:00",
         "a b c"},
        {"leap day is the newest of February",
         {0, 0, 0, 0, 2, 0, 0},
         "2024-03-02",
         "a=2024-02-28 b=2024-02-29T23:00 c=2024-03-01",
         "b c"},
        {"identical times: the greater id counts as newer",
         {1, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "b=2026-11-24 c=2026-11-24 a=2026-11-24",
         "c"},
        {"identical times: keep-daily takes the greater id",
         {0, 0, 1, 0, 0, 0, 0},
         "2026-11-27",
         "c=2026-11-24 a=2026-11-24 b=2026-11-24",
         "c"},
        {"identical times: keep-last 2",
         {2, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "b=2026-11-24 c=2026-11-24 a=2026-11-24",
         "b c"},
        {"keep-within keeps younger than D",
         {0, 7 * DAY, 0, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-20T00:00:01 b=2026-11-20T00:00:00 c=2026-11-19T23:59:59",
         "a"},
        {"keep-within keeps a backup created after now",
         {0, DAY, 0, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-28 b=2026-11-25",
         "a"},
        {"keep-last counts a future backup as the newest",
         {1, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-28 b=2026-11-26",
         "a"},
        {"rules form a union",
         {2, 0, 0, 0, 0, 2, 0},
         "2026-11-27",
         "a=2026-11-26 b=2026-11-20 c=2025-06-01 d=2025-12-31",
         "a b d"},
        {"sources are independent",
         {1, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "x/a=2026-11-20 x/b=2026-11-21 y/c=2026-11-10 y/d=2026-11-01",
         "b c"},
        {"sources have their own buckets",
         {0, 0, 1, 0, 0, 0, 0},
         "2026-11-27",
         "x/a=2026-11-20T01:00 y/b=2026-11-20T02:00 x/c=2026-11-20T00:00",
         "a b"},
        {"max-age overrides keep-last",
         {10, 0, 0, 0, 0, 0, 30 * DAY},
         "2026-11-27",
         "a=2026-11-26 b=2026-10-28T00:00:01 c=2026-10-28T00:00:00 d=2026-09-01",
         "a b"},
        {"max-age counts from the oldest row",
         {10, 0, 0, 0, 0, 0, 30 * DAY},
         "2026-11-27",
         "a=2026-11-26,2026-10-20 b=2026-11-25,2026-11-01",
         "b"},
        {"max-age alone keeps what is younger",
         {0, 0, 0, 0, 0, 0, 90 * DAY},
         "2026-11-27",
         "a=2026-11-26 b=2026-08-29T00:00:01 c=2026-08-29 d=2025-01-01",
         "a b"},
        {"a hold keeps past max-age",
         {1, 0, 0, 0, 0, 0, 30 * DAY},
         "2026-11-27",
         "a=2026-11-26 b=2026-01-01! c=2026-01-02",
         "a b"},
        {"a hold keeps what no rule keeps",
         {1, 0, 0, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-26 b=2026-11-20! c=2026-11-21",
         "a b"},
        {"a held backup still takes its bucket",
         {0, 0, 1, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-26T10:00! b=2026-11-26T09:00 c=2026-11-25",
         "a"},
        {"no window: max-age counts from creation",
         {5, 0, 0, 0, 0, 0, 365 * DAY},
         "2026-11-27",
         "a=2025-11-27T00:00:01 b=2025-11-27T00:00:00",
         "a"},
        {"keep-within and keep-daily together",
         {0, 2 * DAY, 1, 0, 0, 0, 0},
         "2026-11-27",
         "a=2026-11-26T01:00 b=2026-11-25T12:00 c=2026-11-26T00:00 d=2026-11-24",
         "a b c"},
        {"full GFS policy over a year of dailies at a month end",
         {0, 0, 7, 4, 5, 3, 0},
         "2026-03-01",
         "a=2026-02-28T03:00 b=2026-02-27T03:00 c=2026-02-26T03:00 d=2026-02-25T03:00 "
         "e=2026-02-24T03:00 f=2026-02-23T03:00 g=2026-02-22T03:00 h=2026-02-21T03:00 "
         "i=2026-02-15T03:00 j=2026-02-08T03:00 k=2026-01-31T03:00 l=2025-12-31T03:00 "
         "m=2025-11-30T03:00 n=2024-12-31T03:00 o=2023-12-31T03:00",
         "a b c d e f g i j k l m n"},
};

static void test_scenarios(void)
{
	size_t i;

	for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		const struct scenario *sc = &scenarios[i];
		struct xp_policy_decision d[MAXB];
		struct xp_err err = {0};
		char got[512];
		struct set s;
		int rc;

		parse_set(&s, sc->backups);
		rc = xp_policy_decide(&sc->p, s.b, s.n, T(sc->now), d, &err);
		if (rc < 0) {
			ok(0, "%s: %s", sc->name, err.msg);
			continue;
		}
		kept_ids(&s, d, got, sizeof got);
		is_str(got, sc->kept, "%s", sc->name);
	}
}

/* One backup's decision, by id, from a scenario run here. */
static const struct xp_policy_decision *one(const struct xp_policy *p, const char *spec,
                                            const char *now, const char *id)
{
	static struct xp_policy_decision d[MAXB];
	static struct set s;
	struct xp_err err = {0};
	size_t i;

	parse_set(&s, spec);
	if (xp_policy_decide(p, s.b, s.n, T(now), d, &err) < 0) {
		printf("# decide failed: %s\n", err.msg);
		abort();
	}
	for (i = 0; i < s.n; i++)
		if (strcmp(s.b[i].id, id) == 0)
			return &d[i];
	abort();
}

static void test_reasons(void)
{
	struct xp_policy gfs = {1, 0, 7, 4, 12, 3, 0}, within = {0, 7 * DAY, 0, 0, 0, 0, 0};
	struct xp_policy aged = {3, 0, 0, 0, 0, 0, 90 * DAY},
	                 both = {0, 7 * DAY, 0, 0, 0, 0, 5 * DAY};
	const struct xp_policy_decision *d;

	d = one(&gfs, "a=2026-11-24T03:00 b=2026-11-23", "2026-11-27", "a");
	is_str(d->reason,
	       "keep-last #1, keep-daily 2026-11-24, keep-weekly 2026-W48, keep-monthly 2026-11, "
	       "keep-yearly 2026",
	       "reason lists every rule that keeps a backup with its bucket");
	is_int(d->until, XP_POLICY_NEVER, "bucket rules alone: never goes without newer backups");
	d = one(&gfs, "a=2026-11-24T03:00 b=2026-11-23", "2026-11-27", "b");
	is_str(d->reason, "keep-daily 2026-11-23", "an older day is kept by keep-daily only");
	d = one(&(struct xp_policy){1, 0, 0, 0, 0, 0, 0}, "a=2026-11-24 b=2026-11-23", "2026-11-27",
	        "b");
	is_str(d->reason, "no rule keeps it", "reason of a backup no rule keeps");
	ok(!d->keep && d->until == 0 && d->rules == 0,
	   "a deleted backup has no rules and no until");

	d = one(&within, "a=2026-11-24T03:00", "2026-11-27", "a");
	is_str(d->reason, "keep-within 7d", "keep-within reason");
	is_int(d->until, T("2026-12-01T03:00"), "keep-within only: goes at created + D");
	d = one(&both, "a=2026-11-24T03:00,2026-11-23T00:00", "2026-11-27", "a");
	is_int(d->until, T("2026-11-28T00:00"),
	       "until is max-age when it comes before keep-within");
	d = one(&both, "a=2026-11-26T03:00", "2026-11-27", "a");
	is_int(d->until, T("2026-12-01T03:00"), "until is max-age from created without a window");
	d = one(&(struct xp_policy){1, 7 * DAY, 0, 0, 0, 0, 0}, "a=2026-11-24", "2026-11-27", "a");
	is_int(d->until, XP_POLICY_NEVER, "keep-within with keep-last: never");
	d = one(&aged, "a=2026-11-24T03:00,2026-08-01T10:00", "2026-11-27", "a");
	is_str(d->reason, "max-age 90d exceeded: oldest row 2026-08-01T10:00:00Z",
	       "max-age reason names the oldest row");
	ok(!d->keep && d->max_age_exceeded && d->rules == XP_POLICY_LAST,
	   "max-age deletes what keep-last keeps, and says keep-last would have kept it");
	d = one(&aged, "a=2026-08-20T03:00", "2026-11-27", "a");
	is_str(d->reason, "max-age 90d exceeded: created 2026-08-20T03:00:00Z",
	       "max-age reason names the creation time without a window");
	d = one(&aged, "a=2026-11-24T03:00,2026-10-01T10:00", "2026-11-27", "a");
	is_int(d->until, T("2026-12-30T10:00"),
	       "until of a kept backup is its oldest row + max-age");
	d = one(&aged, "a=2026-11-24T03:00,2026-08-01T10:00!", "2026-11-27", "a");
	ok(d->keep && d->max_age_exceeded, "a hold keeps past max-age");
	is_str(d->reason,
	       "hold: litigation 42; max-age 90d exceeded: oldest row 2026-08-01T10:00:00Z; "
	       "keep-last #1",
	       "reason of a held backup past max-age");
	is_int(d->until, XP_POLICY_NEVER, "a held backup never goes until released");
	d = one(&(struct xp_policy){0, 0, 0, 0, 0, 0, 90 * DAY}, "a=2026-11-24", "2026-11-27", "a");
	is_str(d->reason, "no keep rule given", "max-age alone: reason");
	is_int(d->until, T("2027-02-22"), "max-age alone: until");
}

static void test_hold_text(void)
{
	struct xp_policy p = {1, 0, 0, 0, 0, 0, 0};
	struct xp_policy_backup b = {"a", "db", 0, 0, 0, 1, 0, NULL};
	struct xp_policy_decision d;
	char longtext[400];

	memset(longtext, 'x', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	memcpy(longtext + 93, "\xc3\xa9\xc3\xa9", 4); /* "éé" across the cut at 96 bytes */
	b.hold_reason = longtext;
	xp_policy_decide(&p, &b, 1, 100, &d, NULL);
	is_int((int64_t)strlen(d.reason), 6 + 95 + 3 + 14,
	       "a long hold reason is shortened at a character boundary");
	ok(strstr(d.reason, "x\xc3\xa9...; keep-last #1") != NULL,
	   "the cut keeps whole UTF-8 characters");
	b.hold_reason = NULL;
	xp_policy_decide(&p, &b, 1, 100, &d, NULL);
	is_str(d.reason, "hold; keep-last #1", "a hold without reason text");
	b.hold_reason = "case\n17\tx\x7f";
	xp_policy_decide(&p, &b, 1, 100, &d, NULL);
	is_str(d.reason, "hold: case 17 x ; keep-last #1", "control characters in a hold reason");
}

static void test_refusals(void)
{
	struct xp_policy none = {0}, neg = {-1, 0, 0, 0, 0, 0, 0}, negage = {1, 0, 0, 0, 0, 0, -5};
	struct xp_policy_backup b = {"a", "db", 0, 0, 0, 0, 0, NULL};
	struct xp_policy_decision d;
	struct xp_err err = {0};

	is_int(xp_policy_decide(&none, &b, 1, 0, &d, &err), XP_EUSAGE, "no rule at all is refused");
	is_str(err.msg, "refusing to delete everything: give at least one keep rule or --max-age",
	       "refusal message");
	is_int(xp_policy_decide(&none, NULL, 0, 0, NULL, &err), XP_EUSAGE,
	       "no rule is refused even for an empty catalog");
	is_int(xp_policy_check(&neg, &err), XP_EUSAGE, "a negative count is refused");
	is_int(xp_policy_check(&negage, &err), XP_EUSAGE, "a negative max-age is refused");
	is_int(xp_policy_decide(&(struct xp_policy){1, 0, 0, 0, 0, 0, 0}, NULL, 0, 0, NULL, &err),
	       0, "an empty catalog is fine");
}

static void test_format(void)
{
	struct xp_policy p = {3, 7 * DAY, 7, 5, 12, 3, 3 * 365 * DAY};
	char buf[256];
	static const struct {
		int64_t s;
		const char *want;
	} dur[] = {{90 * DAY, "90d"}, {12 * 3600, "12h"},  {5 * 60, "5m"},     {7, "7s"},
	           {0, "0s"},         {DAY + 1, "86401s"}, {36 * 3600, "36h"}, {7 * DAY, "7d"}};
	size_t i;

	xp_policy_format(&p, buf, sizeof buf);
	is_str(buf,
	       "keep-last 3 keep-within 7d keep-daily 7 keep-weekly 5 keep-monthly 12 keep-yearly "
	       "3 "
	       "max-age 1095d",
	       "policy text for the journal");
	xp_policy_format(&(struct xp_policy){0, 0, 0, 0, 0, 0, 12 * 3600}, buf, sizeof buf);
	is_str(buf, "max-age 12h", "policy text with max-age only");
	xp_policy_format(&p, buf, 12);
	is_str(buf, "keep-last 3", "policy text is cut to the buffer");
	for (i = 0; i < sizeof dur / sizeof dur[0]; i++) {
		xp_policy_duration_format(dur[i].s, buf, sizeof buf);
		is_str(buf, dur[i].want, "duration %lld prints as %s", (long long)dur[i].s,
		       dur[i].want);
	}
}

/* Bucket names against hand-checked dates. */
static void test_bucket_names(void)
{
	static const struct {
		const char *t;
		unsigned rule;
		const char *want;
	} c[] = {
	        {"2020-12-31", XP_POLICY_WEEKLY, "2020-W53"},
	        {"2021-01-03T23:59:59", XP_POLICY_WEEKLY, "2020-W53"},
	        {"2021-01-04", XP_POLICY_WEEKLY, "2021-W01"},
	        {"2026-12-28", XP_POLICY_WEEKLY, "2026-W53"},
	        {"2027-01-03", XP_POLICY_WEEKLY, "2026-W53"},
	        {"2027-01-04", XP_POLICY_WEEKLY, "2027-W01"},
	        {"2024-12-30", XP_POLICY_WEEKLY, "2025-W01"},
	        {"2024-12-29", XP_POLICY_WEEKLY, "2024-W52"},
	        {"2026-11-24", XP_POLICY_WEEKLY, "2026-W48"},
	        {"2024-02-29T23:59:59", XP_POLICY_DAILY, "2024-02-29"},
	        {"2024-02-29T23:59:59", XP_POLICY_MONTHLY, "2024-02"},
	        {"1969-12-31T23:59:59", XP_POLICY_DAILY, "1969-12-31"},
	        {"1969-12-31T23:59:59", XP_POLICY_WEEKLY, "1970-W01"},
	        {"1970-01-01", XP_POLICY_WEEKLY, "1970-W01"},
	        {"2000-02-29", XP_POLICY_YEARLY, "2000"},
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		xp_policy_bucket_name(c[i].rule, T(c[i].t), buf, sizeof buf);
		is_str(buf, c[i].want, "bucket of %s", c[i].t);
	}
}

#ifdef _WIN32
/* Whether year y has 53 ISO weeks: it starts on a Thursday, or is a leap year starting on a
 * Wednesday (the week-day of its last day, Dec 31, is Thursday or that of the year before is
 * Wednesday). */
static int long_iso_year(long y)
{
	long p = (y + y / 4 - y / 100 + y / 400) % 7,
	     q = ((y - 1) + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) % 7;

	return p == 4 || q == 3;
}

/* strftime's "%G-W%V" from gmtime's fields, for a C library without them (Microsoft's
 * msvcrt): the week of the Monday-based year whose Thursday it holds. */
static void iso_week(const struct tm *tm, char *buf, size_t len)
{
	long y = tm->tm_year + 1900L, wd = tm->tm_wday ? tm->tm_wday : 7;
	long w = (tm->tm_yday + 1 - wd + 10) / 7;

	if (w < 1) {
		y--;
		w = long_iso_year(y) ? 53 : 52;
	} else if (w == 53 && !long_iso_year(y)) {
		y++;
		w = 1;
	}
	snprintf(buf, len, "%ld-W%02ld", y, w);
}
#endif

/* libc's view of a bucket, used as the independent reference. */
static void ref_key(unsigned rule, int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm =
	        *gmtime(&tt); /* one thread: gmtime's static is ours (Windows lacks gmtime_r) */

	switch (rule) {
	case XP_POLICY_DAILY: strftime(buf, len, "%Y-%m-%d", &tm); break;
#ifdef _WIN32
	case XP_POLICY_WEEKLY: iso_week(&tm, buf, len); break;
#else
	case XP_POLICY_WEEKLY: strftime(buf, len, "%G-W%V", &tm); break;
#endif
	case XP_POLICY_MONTHLY: strftime(buf, len, "%Y-%m", &tm); break;
	default: strftime(buf, len, "%Y", &tm); break;
	}
}

/* Every day (at a varying hour) of 1996..2032 named as strftime names it: one test per year. */
static void test_bucket_names_generated(void)
{
	static const unsigned rules[] = {XP_POLICY_DAILY, XP_POLICY_WEEKLY, XP_POLICY_MONTHLY,
	                                 XP_POLICY_YEARLY};
	int64_t y;

	for (y = 1996; y <= 2032; y++) {
		int64_t d0 = xp_days_from_civil(y, 1, 1), d1 = xp_days_from_civil(y + 1, 1, 1), d;
		int bad = 0;
		char got[32], want[32];

		for (d = d0; d < d1; d++) {
			int64_t t = d * DAY + (d * 7919) % DAY;
			size_t k;

			for (k = 0; k < 4; k++) {
				xp_policy_bucket_name(rules[k], t, got, sizeof got);
				ref_key(rules[k], t, want, sizeof want);
				if (strcmp(got, want) != 0 && bad++ == 0)
					printf("# %lld: got %s, want %s\n", (long long)t, got,
					       want);
			}
		}
		ok(bad == 0, "days, ISO weeks, months and years of %lld match strftime",
		   (long long)y);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* Is b newer than a in the policy's order? */
static int newer(const struct xp_policy_backup *b, const struct xp_policy_backup *a)
{
	return b->created > a->created || (b->created == a->created && strcmp(b->id, a->id) > 0);
}

/* The reference decision: ranks by counting, buckets as sets of strftime keys. */
static void reference(const struct xp_policy *p, const struct xp_policy_backup *b, size_t n,
                      int64_t now, struct xp_policy_decision *want)
{
	static const unsigned rules[] = {XP_POLICY_DAILY, XP_POLICY_WEEKLY, XP_POLICY_MONTHLY,
	                                 XP_POLICY_YEARLY};
	const int64_t counts[] = {p->keep_daily, p->keep_weekly, p->keep_monthly, p->keep_yearly};
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		struct xp_policy_decision *w = &want[i];
		int64_t rank = 0, base = b[i].has_oldest ? b[i].oldest : b[i].created;

		memset(w, 0, sizeof *w);
		for (j = 0; j < n; j++)
			if (strcmp(b[j].source, b[i].source) == 0 && newer(&b[j], &b[i]))
				rank++;
		if (rank < p->keep_last)
			w->rules |= XP_POLICY_LAST;
		if (p->keep_within && now - b[i].created < p->keep_within)
			w->rules |= XP_POLICY_WITHIN;
		for (k = 0; k < 4; k++) {
			char key[32], other[32], seen[MAXB][32];
			size_t nseen = 0, s;
			int newest = 1;

			ref_key(rules[k], b[i].created, key, sizeof key);
			for (j = 0; j < n; j++) {
				if (strcmp(b[j].source, b[i].source) != 0)
					continue;
				ref_key(rules[k], b[j].created, other, sizeof other);
				if (strcmp(other, key) == 0 && newer(&b[j], &b[i]))
					newest = 0;
				if (strcmp(other, key) <= 0)
					continue;
				for (s = 0; s < nseen && strcmp(seen[s], other) != 0; s++)
					;
				if (s == nseen)
					strcpy(seen[nseen++], other);
			}
			if (newest && (int64_t)nseen < counts[k])
				w->rules |= rules[k];
		}
		if (!p->keep_last && !p->keep_within && !p->keep_daily && !p->keep_weekly &&
		    !p->keep_monthly && !p->keep_yearly)
			w->rules |= XP_POLICY_NORULE;
		if (b[i].held)
			w->rules |= XP_POLICY_HOLD;
		w->max_age_exceeded = p->max_age && now - base >= p->max_age;
		w->keep = b[i].held || (w->rules && !w->max_age_exceeded);
		w->until = 0;
		if (w->keep) {
			w->until = XP_POLICY_NEVER;
			if (!b[i].held && w->rules == XP_POLICY_WITHIN)
				w->until = b[i].created + p->keep_within;
			if (!b[i].held && p->max_age && base + p->max_age < w->until)
				w->until = base + p->max_age;
		}
	}
}

/* Random catalogs and policies, decided both ways. Times cluster near year, month and
 * ISO-week ends and repeat, so the edges are hit often. */
static void test_generated(void)
{
	static const char *sources[] = {"db", "audit", "x"};
	static const char *edges[] = {"2020-12-27", "2020-12-31", "2021-01-03", "2021-01-04",
	                              "2024-02-28", "2024-02-29", "2024-03-01", "2024-12-30",
	                              "2025-12-29", "2026-01-31", "2026-02-01", "2026-11-23",
	                              "2026-11-24", "2026-12-28", "2027-01-03", "2027-01-04"};
	int64_t now0 = T("2027-01-10");
	int round;

	for (round = 0; round < 400; round++) {
		struct xp_policy_backup b[MAXB];
		struct xp_policy_decision got[MAXB], want[MAXB];
		struct xp_policy p;
		char ids[MAXB][8];
		struct xp_err err = {0};
		size_t n = rnd(41), i, bad = MAXB;
		int64_t now = now0 - (int64_t)rnd(800) * DAY;

		do {
			p.keep_last = rnd(3) ? 0 : (int64_t)rnd(5);
			p.keep_within = rnd(3) ? 0 : (int64_t)rnd(60 * DAY);
			p.keep_daily = rnd(2) ? 0 : (int64_t)rnd(10);
			p.keep_weekly = rnd(2) ? 0 : (int64_t)rnd(8);
			p.keep_monthly = rnd(2) ? 0 : (int64_t)rnd(14);
			p.keep_yearly = rnd(2) ? 0 : (int64_t)rnd(4);
			p.max_age = rnd(3) ? 0 : (int64_t)(rnd(900) + 1) * DAY;
		} while (xp_policy_check(&p, NULL) < 0);
		for (i = 0; i < n; i++) {
			snprintf(ids[i], sizeof ids[i], "%c%zu", (char)('a' + rnd(3)), i);
			b[i].id = ids[i];
			b[i].source = sources[rnd(3)];
			switch (rnd(4)) {
			case 0: b[i].created = i ? b[rnd(i)].created : now; break;
			case 1:
				b[i].created = T(edges[rnd(16)]) + (int64_t)rnd(2 * DAY) - DAY;
				break;
			default: b[i].created = now0 - (int64_t)rnd(1200 * DAY) + 30 * DAY; break;
			}
			b[i].has_oldest = (int)rnd(2);
			b[i].oldest = b[i].created - (int64_t)rnd(400 * DAY);
			b[i].held = rnd(10) == 0;
			b[i].hold_reason = "test";
		}
		if (xp_policy_decide(&p, b, n, now, got, &err) < 0) {
			ok(0, "generated round %d: %s", round, err.msg);
			continue;
		}
		reference(&p, b, n, now, want);
		for (i = 0; i < n && bad == MAXB; i++)
			if (got[i].keep != want[i].keep || got[i].rules != want[i].rules ||
			    got[i].until != want[i].until ||
			    got[i].max_age_exceeded != want[i].max_age_exceeded)
				bad = i;
		if (!ok(bad == MAXB, "generated round %d: %zu backups decided as the reference",
		        round, n))
			printf("# backup %s: keep %d/%d rules %#x/%#x until %lld/%lld (%s)\n",
			       b[bad].id, got[bad].keep, want[bad].keep, got[bad].rules,
			       want[bad].rules, (long long)got[bad].until,
			       (long long)want[bad].until, got[bad].reason);
	}
}

/* The decision does not depend on the order of the input. */
static void test_order_independent(void)
{
	struct xp_policy p = {2, 3 * DAY, 3, 2, 2, 1, 400 * DAY};
	struct set s;
	struct xp_policy_decision d1[MAXB], d2[MAXB];
	struct xp_policy_backup rev[MAXB];
	size_t i, n, same = 1;

	parse_set(
	        &s,
	        "a=2026-11-24 b=2026-11-24 c=2026-11-23T05:00 d=2026-11-16 e=2026-10-31 "
	        "f=2026-10-31 g=2025-12-31 h=2025-01-01,2024-06-01 x/i=2026-11-24 x/j=2026-11-01");
	n = s.n;
	for (i = 0; i < n; i++)
		rev[i] = s.b[n - 1 - i];
	xp_policy_decide(&p, s.b, n, T("2026-11-27"), d1, NULL);
	xp_policy_decide(&p, rev, n, T("2026-11-27"), d2, NULL);
	for (i = 0; i < n; i++)
		if (d1[i].keep != d2[n - 1 - i].keep || strcmp(d1[i].reason, d2[n - 1 - i].reason))
			same = 0;
	ok(same, "reversing the input changes no decision");
}

int main(void)
{
	test_scenarios();
	test_reasons();
	test_hold_text();
	test_refusals();
	test_format();
	test_bucket_names();
	test_bucket_names_generated();
	test_order_independent();
	test_generated();
	return done_testing();
}
