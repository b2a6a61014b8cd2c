#include "config.h"

#include "base/util.h"

#include "../tap.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void errors(void)
{
	struct xp_err err;

	is_int(xp_err_set(&err, XP_EINTEGRITY, "chunk %d", 12), XP_EINTEGRITY,
	       "err_set returns its code");
	xp_err_prefix(&err, "%s", "backup.xps");
	is_str(err.msg, "backup.xps: chunk 12", "err_prefix names the subject");
	is_int(xp_exit_status(XP_EAUTH), 3, "wrong password exits 3");
	is_int(xp_exit_status(XP_EUSAGE), 2, "usage error exits 2");
	is_int(xp_exit_status(XP_ENOENT), 1, "missing file exits 1");
}

static void atomic_files(void)
{
	char dir[] = "/tmp/xp-util-XXXXXX", *path, *got = NULL;
	struct xp_afile af;
	struct xp_err err;
	size_t len = 0;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	path = xp_asprintf("%s/sub/dir/file", dir);
	ok(xp_mkdirs(path, 0700, &err) == 0, "mkdirs creates nested directories");
	rmdir(path);
	ok(xp_file_write_atomic(path, "hello", 5, 0600, &err) == 0, "atomic write succeeds");
	ok(xp_file_read(path, 100, &got, &len, &err) == 0 && len == 5 && strcmp(got, "hello") == 0,
	   "atomic write leaves the exact bytes");
	free(got);
	is_int(xp_file_read(path, 3, &got, &len, &err), XP_EFAIL,
	       "file_read refuses a file over max");
	ok(xp_afile_open(&af, path, 0600, &err) == 0, "afile opens a temp file");
	xp_write_all(af.fd, "new", 3, &err);
	xp_afile_abort(&af);
	ok(xp_file_read(path, 100, &got, &len, &err) == 0 && strcmp(got, "hello") == 0,
	   "an aborted afile leaves the old file as it was");
	free(got);
	unlink(path);
	free(path);
	ok(xp_afile_open(&af, "/dev/null", 0600, &err) == 0 &&
	           xp_write_all(af.fd, "x", 1, &err) == 0 && xp_afile_commit(&af, &err) == 0,
	   "afile writes into a device in place");
	{
		struct stat st;

		ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
		   "/dev/null is still a device");
	}
	path = xp_asprintf("rm -rf '%s'", dir);
	if (system(path) != 0)
		ok(0, "cleanup");
	free(path);
}

static void clock_override(void)
{
	setenv("XP_NOW", "2026-11-24T03:00:00Z", 1);
	is_int(xp_now(), 1795489200, "XP_NOW sets the clock");
	setenv("XP_NOW", "yesterday", 1);
	ok(xp_now() > 1795489200, "a bad XP_NOW is ignored");
	unsetenv("XP_NOW");
}

int main(void)
{
	clock_override();
	times();
	durations();
	errors();
	atomic_files();
	return done_testing();
}
