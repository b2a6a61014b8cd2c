/* The host as a job sees it (os.h): directories, free space, the user, owners, stop requests
 * and signal names, the same promises on POSIX and (under wine) on Windows. */
#include "config.h"

#include "base/os.h"
#include "base/str.h"
#ifdef _WIN32
#include "base/os-int.h"
#endif

#include "../tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef _WIN32
#include <sys/statvfs.h>
#endif

static volatile int stops, stop_sig;
static const char *volatile stop_what;

static void on_stop(int sig, const char *what)
{
	stop_sig = sig;
	stop_what = what;
	stops++;
}

/* Waits up to 5 s for the handler to have run n times (on Windows it runs in a thread). */
static int stopped(int n)
{
	for (int i = 0; i < 500 && stops < n; i++)
		usleep(10000);
	return stops == n;
}

/* The free bytes of path by another call than xp_os_free_space's, or -1. */
static long long reference_free(const char *path)
{
#ifdef _WIN32
	DWORD spc, bps, nfree, total;
	char root[4] = {path[0], ':', '\\', '\0'};

	/* a path as wine's /tmp/...: on the current drive */
	if (path[1] != ':')
		root[0] = '\0';
	if (!GetDiskFreeSpaceA(root[0] ? root : NULL, &spc, &bps, &nfree, &total))
		return -1;
	return (long long)spc * bps * nfree;
#else
	struct statvfs vs;

	return statvfs(path, &vs) < 0 ? -1 : (long long)vs.f_bavail * (long long)vs.f_bsize;
#endif
}

/* The name the system gives the user running us, by another way than xp_os_user_name. */
static char *reference_user(void)
{
#ifdef _WIN32
	const char *u = getenv("USERNAME");

	return u ? strdup(u) : NULL;
#else
	char buf[256] = "";
	FILE *p = popen("id -un", "r");

	if (!p)
		return NULL;
	if (!fgets(buf, sizeof buf, p))
		buf[0] = '\0';
	pclose(p);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
#endif
}

static void test_dirs(void)
{
#ifdef _WIN32
	const char *pd = getenv("ProgramData");
	char *want = xp_asprintf("%s/xpbackup", pd ? pd : "C:/ProgramData");

	is_str(xp_os_config_dir(), want, "the configuration directory is %%ProgramData%%/xpbackup");
	is_str(xp_os_work_dir(), want, "and so is the work directory");
	free(want);
#else
	is_str(xp_os_config_dir(), "/etc/xpbackup", "the configuration directory is /etc/xpbackup");
	is_str(xp_os_work_dir(), "/var/tmp", "the work directory is /var/tmp");
#endif
}

static void test_free_space(const char *dir)
{
	unsigned long long got = 0;
	long long want = reference_free(dir), diff;
	char *none = xp_asprintf("%s/none/deeper", dir);

	is_int(xp_os_free_space(dir, &got), 0, "free space of the test directory");
	diff = (long long)got - want;
	ok(want > 0 && got > 0 && diff < (64LL << 20) && diff > -(64LL << 20),
	   "in bytes, as the system counts them (%llu, the reference %lld)", got, want);
	errno = 0;
	ok(xp_os_free_space(none, &got) < 0 && errno == ENOENT,
	   "free space of a path that is not there: ENOENT");
	free(none);
}

static void test_user(const char *dir)
{
	char *user = xp_os_user_name(), *want = reference_user(), *path, *owner;
	struct stat st;
	FILE *f;

	ok(user && want && *want, "the user's name is known (%s)", user ? user : "(none)");
	is_str(user ? user : "", want ? want : "?", "and it is the system's name for them");
	path = xp_asprintf("%s/mine", dir);
	if ((f = fopen(path, "wb")))
		fclose(f);
	is_int(xp_os_lstat(path, &st), 0, "a new file");
	owner = xp_os_owner_name(path, &st);
#ifdef _WIN32
	{
		char *tail = xp_asprintf("\\%s", user ? user : "?");
		size_t n = owner ? strlen(owner) : 0, t = strlen(tail);

		ok(owner && n > t && strcmp(owner + n - t, tail) == 0,
		   "its owner's name is DOMAIN\\%s (%s)", user ? user : "?",
		   owner ? owner : "(none)");
		free(tail);
	}
	is_int(xp_os_owned_by_admin(path, &st), 0, "it is not owned by SYSTEM or Administrators");
#else
	{
		char *want_owner = xp_asprintf("uid %u", (unsigned)geteuid());

		is_str(owner ? owner : "", want_owner, "its owner's name is uid N");
		free(want_owner);
	}
	is_int(xp_os_owned_by_admin(path, &st), geteuid() == 0,
	       "it is owned by the administrator only when we are root");
#endif
	ok(xp_os_owned(path, &st), "and it is ours");
	unlink(path);
	free(owner);
	free(path);
	free(user);
	free(want);
}

static void test_stop(void)
{
	xp_os_on_stop(on_stop);
#ifdef _WIN32
	/* make check-wine runs this without a console: run it under script(1) to have one */
	if (!GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) {
		skip("Ctrl+C: no console to send it to (a console there is when a terminal runs "
		     "this under wine: script -c 'wine host.exe')");
		ok(xp_win_on_ctrl(CTRL_C_EVENT),
		   "the control handler takes Ctrl+C (called directly)");
	} else {
		ok(stopped(1), "Ctrl+C runs the stop handler once, and the process goes on");
	}
	is_int(stops, 1, "once");
	is_int(stop_sig, SIGINT, "as SIGINT (status 130)");
	is_str(stop_what ? stop_what : "", "Ctrl+C", "named Ctrl+C");
	/* wine 8 sends no Ctrl+Break (GenerateConsoleCtrlEvent fails): the handler is called */
	ok(xp_win_on_ctrl(CTRL_BREAK_EVENT), "the control handler takes Ctrl+Break");
	is_int(stop_sig, SIGTERM, "as SIGTERM (status 143)");
	is_str(stop_what ? stop_what : "", "Ctrl+Break", "named Ctrl+Break");
	ok(!xp_win_on_ctrl(3) && stops == 2, "and no event that is not a stop request");
#else
	raise(SIGINT);
	ok(stopped(1), "SIGINT runs the stop handler once, and the process goes on");
	is_int(stop_sig, SIGINT, "with SIGINT");
	is_str(stop_what ? stop_what : "", "SIGINT", "named SIGINT");
	raise(SIGTERM);
	ok(stopped(2) && stop_sig == SIGTERM, "SIGTERM runs it, with SIGTERM");
	is_str(stop_what ? stop_what : "", "SIGTERM", "named SIGTERM");
	raise(SIGHUP);
	ok(stopped(3) && stop_sig == SIGHUP, "SIGHUP runs it, with SIGHUP");
#endif
}

/* The null device, where a child's unused streams go (proc.h xp_proc_capture). */
static void test_null(void)
{
	char c;
	int fd = xp_os_open(XP_OS_DEVNULL, O_RDWR, 0);

	ok(fd >= 0, "the null device (%s) opens for reading and writing", XP_OS_DEVNULL);
	is_int(fd >= 0 ? (int)write(fd, "x", 1) : -1, 1, "it takes what is written");
	is_int(fd >= 0 ? (int)read(fd, &c, 1) : -1, 0, "and reads as the end of the file");
	if (fd >= 0)
		close(fd);
	errno = 0;
	ok(xp_os_open(XP_OS_DEVNULL, O_RDONLY | O_DIRECTORY, 0) < 0 && errno == ENOTDIR,
	   "it is no directory (ENOTDIR)");
}

static void test_signame(void)
{
	is_str(xp_os_signame(SIGTERM), "TERM", "signal name of SIGTERM");
	is_str(xp_os_signame(SIGINT), "INT", "of SIGINT");
	is_str(xp_os_signame(9), "KILL", "of 9, SIGKILL (Windows: the status of xp_proc_kill)");
	ok(xp_os_signame(99) == NULL, "none for a number that is no signal");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];

	snprintf(dir, sizeof dir, "%s/xp-host-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!xp_os_mkdtemp(dir)) {
		ok(0, "a test directory");
		return done_testing();
	}
	test_dirs();
	test_free_space(dir);
	test_user(dir);
	test_stop();
	test_null();
	test_signame();
	rmdir(dir);
	return done_testing();
}
