/* Times: seconds since the epoch in UTC, ISO-8601 text, the civil calendar and the clock. */
#ifndef XP_BASE_TIME_H
#define XP_BASE_TIME_H

#include <stdint.h>

#include "base/err.h"

/* Times are seconds since the epoch, UTC. XP_TIME_LEN fits "2026-11-24T03:00:00Z" and NUL. */
#define XP_TIME_LEN 21
/* Parses ISO-8601: "2026-11-24", "2026-11-24T03:00", "2026-11-24T03:00:00Z",
 * "2026-11-24 03:00:00.123+01:00" (a missing zone means UTC; fractions are dropped). */
int xp_time_parse(const char *s, int64_t *out, struct xp_err *err);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" into buf (XP_TIME_LEN bytes). */
void xp_time_format(int64_t t, char buf[XP_TIME_LEN]);
/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian, any year). */
int64_t xp_days_from_civil(int64_t y, unsigned m, unsigned d);
void xp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* The current time (the clock is read only here). XP_NOW=ISO-TIME in the environment
 * replaces it, for tests and rehearsals of a schedule. */
int64_t xp_now(void);

#endif
