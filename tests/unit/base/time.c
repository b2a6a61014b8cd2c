/* Times: ISO-8601 parsing and formatting, the clock and XP_NOW. */
#include "config.h"

#include "base/os.h"
#include "base/time.h"
#include "base/err.h"

#include "../tap.h"

#include <stdlib.h>

static void clock_override(void)
{
	xp_os_setenv("XP_NOW", "2026-11-24T03:00:00Z");
	is_int(xp_now(), 1795489200, "XP_NOW sets the clock");
	xp_os_setenv("XP_NOW", "yesterday");
	ok(xp_now() > 1795489200, "a bad XP_NOW is ignored");
	xp_os_unsetenv("XP_NOW");
}

static void times(void)
{
	static const struct {
		const char *in;
		const char *out;
	} t[] = {
	        {"1970-01-01", "1970-01-01T00:00:00Z"},
	        {"2026-11-24", "2026-11-24T00:00:00Z"},
	        {"2026-11-24T03:00:00Z", "2026-11-24T03:00:00Z"},
	        {"2026-11-24T03:00", "2026-11-24T03:00:00Z"},
	        {"2026-11-24 03:00:00.999", "2026-11-24T03:00:00Z"},
	        {"2026-11-24T03:00:00+01:00", "2026-11-24T02:00:00Z"},
	        {"2026-11-24T03:00:00-0530", "2026-11-24T08:30:00Z"},
	        {"2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"},
	        {"2000-03-01", "2000-03-01T00:00:00Z"},
	        {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
	};
	static const char *bad[] = {"",
	                            "2026",
	                            "2026-13-01",
	                            "2023-02-29",
	                            "2026-11-24T25:00",
	                            "2026-11-24X",
	                            "2026-11-24T03:00:00Q",
	                            "26-11-24"};
	char buf[XP_TIME_LEN];
	struct xp_err err;
	int64_t v;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		v = 0;
		ok(xp_time_parse(t[i].in, &v, &err) == 0, "time parses %s", t[i].in);
		xp_time_format(v, buf);
		is_str(buf, t[i].out, "time %s formats as %s", t[i].in, t[i].out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(xp_time_parse(bad[i], &v, &err), XP_EUSAGE, "time refuses \"%s\"", bad[i]);
	for (int64_t d = -800000; d <= 800000; d += 997) {
		int64_t y;
		unsigned m, dd;

		xp_civil_from_days(d, &y, &m, &dd);
		if (xp_days_from_civil(y, m, dd) != d) {
			ok(0, "civil date round trip at day %" PRId64, d);
			return;
		}
	}
	ok(1, "civil dates round-trip over 4000 years");
}

int main(void)
{
	clock_override();
	times();
	return done_testing();
}
