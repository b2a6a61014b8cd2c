/* xp_os_log: the system's log (syslog, the Windows event log), and nothing printed. */
#define _GNU_SOURCE /* unshare */
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

#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

/* In a child with its own mount namespace and an empty /dev, a socket at /dev/log stands in
 * for the syslog daemon: what xp_os_log sends is kept in dir/received, one line each, as
 * "<PRI>TAG: MESSAGE" with the child's pid in TAG as PID and without the time that syslog(3)
 * puts after the priority. 0, or 77 where no such namespace can be had. */
static int received_by_syslog(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	int status = 1;
	pid_t pid = fork();

	if (pid == 0) {
		char buf[512], *tag = xp_asprintf("xpbackup[%d]: ", (int)getpid());
		FILE *f = fopen(path, "w");
		int s;

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("none", "/dev", "tmpfs", 0, NULL) < 0)
			_exit(77);
		s = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (!f || s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
			_exit(1);
		xp_os_log(XP_LOG_ERR, "test: an error");
		xp_os_log(XP_LOG_WARNING, "test: a warning");
		xp_os_log(XP_LOG_INFO, "test: information");
		for (int i = 0; i < 3; i++) {
			ssize_t n = recv(s, buf, sizeof buf - 1, MSG_DONTWAIT);
			char *pri_end, *rest;

			if (n <= 0)
				_exit(1);
			buf[n] = '\0';
			/* "<27>Nov 30 14:42:00 xpbackup[1234]: test: an error" */
			pri_end = strchr(buf, '>');
			rest = pri_end && strlen(pri_end) > 17 ? pri_end + 17 : "";
			if (strncmp(rest, tag, strlen(tag)) == 0)
				fprintf(f, "%.*sxpbackup[PID]: %s\n", (int)(pri_end - buf + 1), buf,
				        rest + strlen(tag));
			else
				fprintf(f, "%s\n", buf);
		}
		_exit(fclose(f) == 0 ? 0 : 1);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		status = WEXITSTATUS(status);
	return status;
}

/* What reaches the syslog daemon: priority with facility daemon, ident, pid, the line. */
static void syslog_lines(const char *dir)
{
	char *path = xp_asprintf("%s/received", dir), got[1024];
	int rc = received_by_syslog(path);
	size_t n = 0;
	FILE *f;

	if (rc == 77) {
		skip("no mount namespace here to stand in for the syslog daemon");
	} else {
		is_int(rc, 0, "three lines reach /dev/log");
		if ((f = fopen(path, "r"))) {
			n = fread(got, 1, sizeof got - 1, f);
			fclose(f);
		}
		got[n] = '\0';
		is_str(got,
		       "<27>xpbackup[PID]: test: an error\n<28>xpbackup[PID]: test: a warning\n"
		       "<30>xpbackup[PID]: test: information\n",
		       "as daemon.err, daemon.warning and daemon.info from xpbackup[pid]");
	}
	unlink(path);
	free(path);
}
#endif

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
#ifdef __linux__
	syslog_lines(dir);
#endif
	logs(dir);
	rmdir(dir);
	return done_testing();
}
