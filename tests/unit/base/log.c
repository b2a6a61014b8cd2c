/* xp_os_log: the system's log (syslog, the Windows event log), and nothing printed. */
#include "config.h"

#include "base/os.h"
#include "base/str.h"

#include "../tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* xp_os_log with standard output and error on a file: both stay empty. */
static void logs(const char *dir)
{
	char *p = xp_asprintf("%s/printed", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600), out = dup(1), err = dup(2);
	int a, b, c, d, e;
	struct stat st;

	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	a = xp_os_log(XP_LOG_ERR, "test: an error");
	b = xp_os_log(XP_LOG_WARNING, "test: a warning");
	c = xp_os_log(XP_LOG_INFO, "test: a line of information, non-ASCII: \xc3\xa9t\xc3\xa9");
	d = xp_os_log(8, "test: no such priority");
	e = errno;
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(fd);
	ok(a == 0 && b == 0 && c == 0, "xp_os_log takes an error, a warning and information");
	ok(d == -1 && e == EINVAL, "and refuses a priority past LOG_DEBUG (EINVAL)");
	ok(stat(p, &st) == 0 && st.st_size == 0, "printing nothing on standard output or error");
	unlink(p);
	free(p);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];

	snprintf(dir, sizeof dir, "%s/xp-log-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!ok(xp_os_mkdtemp(dir) != NULL, "a test directory: %s", dir))
		return done_testing();
	logs(dir);
	rmdir(dir);
	return done_testing();
}
