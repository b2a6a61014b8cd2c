/* Quantities written NUMBER UNIT on command lines and in configurations: durations, sizes. */
#ifndef XP_BASE_PARSE_H
#define XP_BASE_PARSE_H

#include <stdint.h>

#include "base/err.h"

/* Parses a duration: one or more NUMBER UNIT pairs, units s m h d w y (y = 365 days),
 * e.g. "90d", "12h", "1y6w". */
int xp_duration_parse(const char *s, int64_t *seconds, struct xp_err *err);
/* Parses a non-negative decimal integer with an optional k/M/G (binary) suffix. */
int xp_size_parse(const char *s, uint64_t *out, struct xp_err *err);

#endif
