/* Partitions: backups that each hold the rows of one time window [since, until) of a source,
 * so that consecutive ones tile the source's time line (xpbackup(7), "Partitions"). Pure
 * logic over a catalog and the journal's records: no I/O, no clock (now is passed in).
 *
 * The window of the next partition starts where the source's newest sealed window ends (or,
 * the first time, at the oldest row the legal limit allows) and ends grace before now, so rows
 * still being committed are left to the next night. Windows are read from a catalog whose
 * signature the caller verified (xp_catalog_load_signed): only what the host signed counts. */
#ifndef XP_PARTITION_H
#define XP_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "util.h"

/* The journal's reason for a partition's "sealed" record: "partition SINCE UNTIL SOURCE"
 * (SOURCE is the rest of the text; "-" when the backup has none). malloc'd, NULL when out of
 * memory. */
char *xp_partition_record(const struct xp_catalog_entry *e);
/* Reads such a reason back: 0, with *source pointing into reason ("" for none); -1 when
 * reason is not one. */
int xp_partition_record_parse(const char *reason, int64_t *since, int64_t *until,
                              const char **source);

/* The next window of source (NULL or "": backups without one): since is the latest end of its
 * partitions in cat, or now - max_age + 1 when it has none or all of them end before that (the
 * oldest row max-age allows, as xpdump --max-age counts); until is now - grace. 0 with the
 * window; 1 when until is not after since (nothing to seal yet: a run right after the last);
 * XP_EUSAGE for a max_age or grace that is not positive (grace may be 0). */
int xp_partition_next(const struct xp_catalog *cat, const char *source, int64_t now, int64_t grace,
                      int64_t max_age, int64_t *since, int64_t *until, struct xp_err *err);

/* A hole or an overlap between two partitions of one source. */
enum xp_partition_flaw { XP_PARTITION_GAP, XP_PARTITION_OVERLAP };
struct xp_partition_flaw_info {
	int kind;           /* enum xp_partition_flaw */
	const char *source; /* "" for none */
	int64_t from, to;   /* the missing or doubly covered interval [from, to) */
	const char *before; /* id of the partition whose window ends at from (a gap) or
	                     * the one that covers [from, to) first (an overlap) */
	const char *after;  /* id of the next partition */
};
typedef void xp_partition_fn(void *ctx, const struct xp_partition_flaw_info *f);

/* A window that retention ended (a partition the journal says was deleted by max-age), for
 * xp_partition_check: a gap wholly inside such windows is retention's, not a flaw. */
struct xp_partition_span {
	const char *source; /* borrowed */
	int64_t since, until;
};

/* Walks the partitions of every source in cat in window order and calls fn for each gap and
 * each overlap between consecutive windows. What lies before a source's first partition is
 * retention's (the old end), never a gap; a gap covered wholly by the windows in expired
 * (n of them) is retention's too (behind a partition kept by a hold). Returns the number of
 * flaws reported, or XP_ENOMEM. */
int xp_partition_check(const struct xp_catalog *cat, const struct xp_partition_span *expired,
                       size_t n, xp_partition_fn *fn, void *ctx, struct xp_err *err);

/* Whether [from, to) lies wholly inside the union of the windows of source in v (n of them). */
int xp_partition_covered(const struct xp_partition_span *v, size_t n, const char *source,
                         int64_t from, int64_t to);

/* The partitions of source whose windows meet [since, until) (either end may be open: has_*),
 * in window order, as indexes into cat->entries, into *out (malloc'd, caller frees; NULL when
 * none), their count in *n. 0, or XP_ENOMEM. */
int xp_partition_select(const struct xp_catalog *cat, const char *source, int has_since,
                        int64_t since, int has_until, int64_t until, size_t **out, size_t *n,
                        struct xp_err *err);

#endif
