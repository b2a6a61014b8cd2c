/* base/fault.h: fault points counted once each, also from several threads at once (a worker
 * is a thread on Windows). */
#include "config.h"

#include "base/fault.h"
#include "base/os.h"

#include "../tap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define POINTS  500000

static void *points(void *arg)
{
	(void)arg;
	for (int i = 0; i < POINTS; i++)
		xp_fault_point("test");
	return NULL;
}

int main(void)
{
#ifdef XP_FAULT_INJECTION
	char path[] = "fault-trace.XXXXXX";
	pthread_t t[THREADS];
	char line[256] = "";
	FILE *f;
	int fd = xp_os_mkstemp(path);

	ok(fd >= 0, "a trace file");
	if (fd < 0)
		return done_testing();
	close(fd);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, points, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* the next point, traced, says how many came before it */
	xp_os_setenv("XP_FAULT_TRACE", "1");
	if (!freopen(path, "w", stderr))
		return 1;
	xp_fault_point("last");
	fclose(stderr);
	f = fopen(path, "r");
	if (f && !fgets(line, sizeof line, f))
		line[0] = '\0';
	if (f)
		fclose(f);
	remove(path);
	line[strcspn(line, "\r\n")] = '\0';
	is_str(line, "xpbackup: fault point 2000001: last",
	       "%d threads' %d points each are counted once each", THREADS, POINTS);
#else
	ok(1, "fault injection not compiled in # SKIP");
#endif
	return done_testing();
}
