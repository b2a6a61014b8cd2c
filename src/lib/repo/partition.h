/* Partitions: backups that each hold the rows of one time window [since, until) of a source,
 * so that consecutive ones tile the source's time line (xpbackup(7), "Partitions"): which
 * window a run seals next, and which partitions a range of time takes in. Pure logic over a
 * catalog: no I/O, no clock (now is passed in). How a partition is recorded, and the
 * continuity check, are the catalog's (catalog.h).
 *
 * The window of the next partition starts where the source's newest sealed window ends (or,
 * the first time, at the oldest row the legal limit allows) and ends grace before now, so rows
 * still being committed are left to the next night. Windows are read from a catalog whose
 * signature the caller verified (xp_catalog_load_signed): only what the host signed counts. */
#ifndef XP_PARTITION_H
#define XP_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "repo/catalog.h"
#include "base/err.h"

/* The next window of source (NULL or "": backups without one): since is the latest end of its
 * partitions in cat, or now - max_age + 1 when it has none or all of them end before that (the
 * oldest row max-age allows, as xpdump --max-age counts); until is now - grace. 0 with the
 * window; 1 when until is not after since (nothing to seal yet: a run right after the last);
 * XP_EUSAGE for a max_age or grace that is not positive (grace may be 0). */
int xp_partition_next(const struct xp_catalog *cat, const char *source, int64_t now, int64_t grace,
                      int64_t max_age, int64_t *since, int64_t *until, struct xp_err *err);

/* The partitions of source whose windows meet [since, until) (either end may be open: has_*),
 * in window order, as indexes into cat->entries, into *out (malloc'd, caller frees; NULL when
 * none), their count in *n. 0, or XP_ENOMEM. */
int xp_partition_select(const struct xp_catalog *cat, const char *source, int has_since,
                        int64_t since, int has_until, int64_t until, size_t **out, size_t *n,
                        struct xp_err *err);

#endif
