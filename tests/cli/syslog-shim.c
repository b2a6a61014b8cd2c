/* A stand-in for syslog(3), preloaded (LD_PRELOAD) by the job's tests: each message is
 * appended to the file XP_TEST_SYSLOG as logger(1) would be called for it
 * ("-t IDENT -p FACILITY.LEVEL -- MESSAGE"), so that a test reads what went to syslog. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

static const char *ident = "?";
static int facility = LOG_USER;

void openlog(const char *id, int option, int fac)
{
	(void)option;
	ident = id ? id : "?";
	facility = fac;
}

static void put(int pri, const char *fmt, va_list ap)
{
	static const char *const level[] = {"emerg",   "alert",  "crit", "err",
	                                    "warning", "notice", "info", "debug"};
	const char *path = getenv("XP_TEST_SYSLOG");
	int fac = (pri & LOG_FACMASK) ? (pri & LOG_FACMASK) : facility;
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	fprintf(f, "-t %s -p %s.%s -- ", ident, fac == LOG_DAEMON ? "daemon" : "other",
	        level[pri & LOG_PRIMASK]);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fclose(f);
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	put(pri, fmt, ap);
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put(pri, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	put(pri, fmt, ap);
	va_end(ap);
}
