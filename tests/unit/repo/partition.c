/* Unit tests for the partition module: the next window, gaps and overlaps, retention's holes,
 * the journal record, and the policy's rule for partitions. */
#include "config.h"

#include "repo/partition.h"
#include "repo/policy.h"
#include "base/time.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400

static struct xp_catalog_entry part(const char *id, const char *source, int64_t since,
                                    int64_t until)
{
	struct xp_catalog_entry e = {0};

	snprintf(e.id, sizeof e.id, "%s", id);
	e.source = (char *)source;
	e.kind = XP_CATALOG_PARTITION;
	e.since = since;
	e.until = until;
	return e;
}

static char flaws[1024];

static void on_flaw(void *ctx, const struct xp_catalog_flaw *f)
{
	size_t n = strlen(flaws);

	(void)ctx;
	snprintf(flaws + n, sizeof flaws - n, "%s %s %lld-%lld %s>%s;",
	         f->kind == XP_CATALOG_GAP ? "gap" : "overlap", f->source, (long long)f->from,
	         (long long)f->to, f->before, f->after);
}

int main(void)
{
	struct xp_catalog_entry v[5];
	struct xp_catalog cat = {v, 0, 0, "", 0, 0};
	struct xp_err err = {0};
	int64_t since, until;
	const char *src;
	char *rec;

	/* the first window: the oldest row max-age allows, up to now - grace */
	is_int(xp_partition_next(&cat, "a", 100 * DAY, 300, 30 * DAY, &since, &until, &err), 0,
	       "an empty catalog has a window");
	is_int(since, 70 * DAY + 1, "the first starts at now - max-age + 1");
	is_int(until, 100 * DAY - 300, "and ends at now - grace");
	v[0] = part("p1", "a", 70 * DAY, 99 * DAY);
	v[1] = part("p2", "b", 10 * DAY, 99 * DAY + 500);
	cat.n = 2;
	xp_partition_next(&cat, "a", 100 * DAY, 300, 30 * DAY, &since, &until, &err);
	is_int(since, 99 * DAY, "the next starts at the end of the source's last window");
	is_int(xp_partition_next(&cat, "b", 99 * DAY + 700, 300, 30 * DAY, &since, &until, &err), 1,
	       "nothing to seal within the grace of the last window");
	xp_partition_next(&cat, "a", 140 * DAY, 0, 30 * DAY, &since, &until, &err);
	is_int(since, 110 * DAY + 1, "windows that all ended before the limit do not hold it back");
	is_int(xp_partition_next(&cat, "a", 140 * DAY, 0, 0, &since, &until, &err), XP_EUSAGE,
	       "no max-age: refused");

	/* continuity */
	v[0] = part("p1", "a", 1 * DAY, 2 * DAY);
	v[1] = part("p2", "a", 2 * DAY, 3 * DAY);
	v[2] = part("p3", "a", 4 * DAY, 6 * DAY);
	v[3] = part("p4", "a", 5 * DAY, 7 * DAY);
	v[4] = part("q1", "b", 9 * DAY, 10 * DAY);
	cat.n = 5;
	flaws[0] = '\0';
	is_int(xp_catalog_partition_check(&cat, NULL, 0, on_flaw, NULL, &err), 2,
	       "one gap, one overlap");
	is_str(flaws, "gap a 259200-345600 p2>p3;overlap a 432000-518400 p3>p4;",
	       "with their intervals and the partitions beside them");
	struct xp_catalog_span expired = {"a", 2 * DAY, 4 * DAY};
	flaws[0] = '\0';
	is_int(xp_catalog_partition_check(&cat, &expired, 1, on_flaw, NULL, &err), 1,
	       "a gap covered by windows expired by max-age is retention's");
	is_int(xp_catalog_partition_covered(&expired, 1, "a", 3 * DAY, 4 * DAY + 1), 0,
	       "one that reaches past them is not covered");

	/* the journal record */
	rec = xp_catalog_partition_record(&v[0]);
	is_str(rec, "partition 1970-01-02T00:00:00Z 1970-01-03T00:00:00Z a", "the sealed record");
	is_int(xp_catalog_partition_parse(rec, &since, &until, &src), 0, "reads back");
	is_str(src, "a", "with its source");
	is_int(since, DAY, "and window");
	free(rec);
	is_int(xp_catalog_partition_parse("partition x y z", &since, &until, &src), -1,
	       "a record without times is not one");

	/* retention: by the window's start, never by keep rules */
	{
		struct xp_policy p = {.keep_last = 5, .max_age = 10 * DAY};
		struct xp_policy_backup b[2] = {
		        {.id = "f", .source = "a", .created = 20 * DAY},
		        {.id = "p",
		         .source = "a",
		         .created = 20 * DAY,
		         .oldest = 10 * DAY,
		         .has_oldest = 1,
		         .partition = 1},
		};
		struct xp_policy_decision d[2];

		xp_policy_decide(&p, b, 2, 20 * DAY - 1, d, &err);
		is_int(d[1].keep, 1,
		       "a partition is kept a second before its start reaches max-age");
		is_str(d[1].reason, "partition until max-age", "by no keep rule");
		is_str(d[0].reason, "keep-last #1", "keep-last counts full backups only");
		xp_policy_decide(&p, b, 2, 20 * DAY, d, &err);
		is_int(d[1].keep, 0, "and goes at that second");
		is_str(d[1].reason, "max-age 10d exceeded: window start 1970-01-11T00:00:00Z",
		       "saying why");
	}
	return done_testing();
}
