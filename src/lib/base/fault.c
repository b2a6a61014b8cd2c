#include "config.h"

#include "base/fault.h"
#include "base/err.h"
#include "base/os.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

void xp_fault_point(const char *what)
{
#ifdef XP_FAULT_INJECTION
	/* atomic: a worker is a thread on Windows (base/worker.h), and every point counts once */
	static atomic_long count;
	const char *at = getenv("XP_FAULT_AT");
	const char *trace = getenv("XP_FAULT_TRACE");
	const char *stop = getenv("XP_FAULT_STOP");
	long n = atomic_fetch_add(&count, 1) + 1;

	if (trace && *trace)
		fprintf(stderr, "%s: fault point %ld: %s\n", xp_progname, n, what);
	if (at && *at && strtol(at, NULL, 10) == n)
		xp_os_kill_self();
	if (stop && *stop && strtol(stop, NULL, 10) == n)
		xp_os_stop_self(); /* the test changes the repository, then sends SIGCONT */
#else
	(void)what;
#endif
}
