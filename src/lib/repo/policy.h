/* Retention: which backups a policy keeps, which it deletes, and why. A pure function of the
 * backups, the rules and `now` (no I/O, no clock), so every decision can be tested and replayed.
 *
 * Semantics (restic's `forget`, per source, plus a legal limit and holds):
 *  - Backups are grouped by source; every rule is evaluated within one source only.
 *  - Within a source, backups are ordered newest first by creation time; equal times are ordered
 *    by id, the greater id (strcmp) counting as the newer.
 *  - keep-last N keeps the N newest. keep-daily/weekly/monthly/yearly N walk the backups newest
 *    first and keep the first (newest) backup of each bucket until N distinct buckets are kept.
 *    Buckets are UTC calendar days, ISO-8601 weeks (Monday first, ISO week-year), calendar months
 *    and years. keep-within D keeps every backup younger than D (now - created < D; a backup
 *    created after now is kept). The keep rules form a union. With no keep rule at all, every
 *    backup is kept and only max-age deletes.
 *  - max-age D is the legal limit: a backup whose oldest row (its creation time when it has no
 *    data window) is D or more before now is deleted, whatever keep rule would keep it.
 *  - A legal hold keeps a backup against everything, max-age included, until released.
 *  - Keep rules see every backup of the source, held or past max-age alike, so a decision never
 *    depends on which other backups happen to be held.
 *  - A partition (one time window of the source's rows) is not a backup of the whole: keep
 *    rules neither see nor keep it. It stays until max-age is reached counting from its
 *    window's start (which its caller passes as oldest): no row it holds outlives the limit,
 *    none leaves earlier than the window's length, an empty window goes too, and partitions
 *    leave in window order, so retention only ever shortens the time line at its old end.
 *    Without max-age a partition is kept. */
#ifndef XP_POLICY_H
#define XP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The rules. A count or duration of 0 switches its rule off. */
struct xp_policy {
	int64_t keep_last;
	int64_t keep_within; /* seconds */
	int64_t keep_daily;
	int64_t keep_weekly;
	int64_t keep_monthly;
	int64_t keep_yearly;
	int64_t max_age; /* seconds */
};

/* One backup as the policy sees it. The strings are borrowed for the duration of the call. */
struct xp_policy_backup {
	const char *id;
	const char *source;
	int64_t created;
	int64_t oldest;          /* time of the oldest row, when has_oldest */
	int has_oldest;          /* 0: the backup has no data window; max-age counts from created */
	int held;                /* a legal hold */
	int partition;           /* a partition: oldest is its window's start (see above) */
	const char *hold_reason; /* may be NULL */
};

/* What keeps a backup (bits of xp_policy_decision.rules). */
enum {
	XP_POLICY_LAST = 1 << 0,
	XP_POLICY_WITHIN = 1 << 1,
	XP_POLICY_DAILY = 1 << 2,
	XP_POLICY_WEEKLY = 1 << 3,
	XP_POLICY_MONTHLY = 1 << 4,
	XP_POLICY_YEARLY = 1 << 5,
	XP_POLICY_NORULE = 1 << 6, /* no keep rule given: kept unless max-age deletes it */
	XP_POLICY_HOLD = 1 << 7,
	XP_POLICY_PARTITION = 1 << 8, /* a partition: kept until max-age, by no keep rule */
};

/* "until" of a backup that nothing but a release or newer backups will remove. */
#define XP_POLICY_NEVER INT64_MAX

#define XP_POLICY_REASON_LEN 256

struct xp_policy_decision {
	int keep;             /* 1 keep, 0 delete */
	unsigned rules;       /* XP_POLICY_* that keep it (also set when max-age overrides them) */
	int max_age_exceeded; /* max-age was reached (a held backup may still be kept) */
	int64_t until;        /* kept: the first time it goes if no backup is added (see below) */
	/* Human reason: "keep-daily 2026-11-24, keep-weekly 2026-W48", "no rule keeps it",
	 * "max-age 90d exceeded: oldest row 2026-08-01T00:00:00Z", "hold: TEXT" (shortened),
	 * "partition until max-age", "max-age 90d exceeded: window start 2026-08-01T00:00:00Z". */
	char reason[XP_POLICY_REASON_LEN];
};

/* Decides for each of the n backups; out has n entries (caller-owned), out[i] is about b[i].
 * `until` of a kept backup is the earliest time at which, with no backup added and nothing
 * held or released, it would be deleted: the time max-age is reached (oldest + max_age), or,
 * when keep-within is the only rule keeping it, created + keep_within, whichever is first.
 * Keep-last and the bucket rules never let a backup go without a newer one, so when only they
 * keep it (and there is no max-age), or it is held, until is XP_POLICY_NEVER.
 * Refuses (XP_EUSAGE) a policy with no rule at all and negative counts or durations;
 * XP_ENOMEM when the scratch index cannot be allocated. */
int xp_policy_decide(const struct xp_policy *p, const struct xp_policy_backup *b, size_t n,
                     int64_t now, struct xp_policy_decision *out, struct xp_err *err);

/* Checks a policy the way xp_policy_decide does, without backups (for option parsing). */
int xp_policy_check(const struct xp_policy *p, struct xp_err *err);

/* The policy as text for the journal: "keep-last 3 keep-daily 7 max-age 90d". buf of len bytes
 * (256 is always enough). */
void xp_policy_format(const struct xp_policy *p, char *buf, size_t len);

/* A duration as the shortest exact text: "90d", "12h", "5m", "7s" (weeks and years print as days).
 */
void xp_policy_duration_format(int64_t seconds, char *buf, size_t len);

/* Bucket keys (exposed for tests and for --list): the UTC day "2026-11-24", the ISO week
 * "2026-W48", the month "2026-11", the year "2026" of time t. buf of at least 16 bytes. */
void xp_policy_bucket_name(unsigned rule, int64_t t, char *buf, size_t len);

#endif
