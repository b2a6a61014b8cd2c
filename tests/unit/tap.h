/* A minimal TAP producer for the C unit tests: ok(), is_int(), is_str(), skip(),
 * done_testing(). */
#ifndef XP_TAP_H
#define XP_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef XP_PRINTF /* configure's (config.h): gnu_printf where "printf" is Microsoft's */
#define XP_PRINTF printf
#endif

static int tap_n, tap_failed;

/* A description with "# TODO" marks a known gap: its failure does not fail the program. */
static inline int tap_vok(int pass, const char *fmt, va_list ap)
{
	char desc[2048];

	vsnprintf(desc, sizeof desc, fmt, ap);
	printf("%sok %d - %s\n", pass ? "" : "not ", ++tap_n, desc);
	if (!pass && !strstr(desc, "# TODO"))
		tap_failed++;
	fflush(stdout);
	return pass;
}

static inline __attribute__((format(XP_PRINTF, 2, 3))) int ok(int pass, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(pass, fmt, ap);
	va_end(ap);
	return r;
}

static inline __attribute__((format(XP_PRINTF, 3, 4))) int is_int(int64_t got, int64_t want,
                                                                  const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("# got %" PRId64 ", want %" PRId64 "\n", got, want);
	return r;
}

static inline __attribute__((format(XP_PRINTF, 3, 4))) int is_str(const char *got, const char *want,
                                                                  const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(got && want && strcmp(got, want) == 0, fmt, ap);
	va_end(ap);
	if (!r)
		printf("# got \"%s\", want \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
	return r;
}

/* A check that cannot be made here, and why. */
static inline void skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
	fflush(stdout);
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
