/* Durations and sizes as written on command lines. */
#include "config.h"

#include "base/parse.h"
#include "base/err.h"

#include "../tap.h"

static void durations(void)
{
	static const struct {
		const char *in;
		int64_t secs;
	} t[] = {{"90d", 90 * 86400},
	         {"12h", 12 * 3600},
	         {"4w", 28 * 86400},
	         {"1y", 365 * 86400},
	         {"1d12h", 86400 + 12 * 3600},
	         {"30s", 30},
	         {"5m", 300},
	         {"0d", 0}};
	static const char *bad[] = {"", "d", "90", "90x", "-1d", "1d-", "99999999999999999999y"};
	struct xp_err err;
	int64_t v;
	uint64_t sz;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		v = -1;
		xp_duration_parse(t[i].in, &v, &err);
		is_int(v, t[i].secs, "duration %s is %" PRId64 "s", t[i].in, t[i].secs);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(xp_duration_parse(bad[i], &v, &err), XP_EUSAGE, "duration refuses \"%s\"",
		       bad[i]);
	ok(xp_size_parse("4M", &sz, &err) == 0 && sz == 4u << 20, "size 4M is 4194304");
	ok(xp_size_parse("512", &sz, &err) == 0 && sz == 512, "size 512 is 512");
	is_int(xp_size_parse("4X", &sz, &err), XP_EUSAGE, "size refuses 4X");
}

int main(void)
{
	durations();
	return done_testing();
}
