/* The host as a job sees it, over POSIX (os.h): its directories, free space, user, owners,
 * stop requests and signal names. */
#include "config.h"

#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

const char *xp_os_config_dir(void)
{
	return "/etc/xpbackup";
}

const char *xp_os_work_dir(void)
{
	return "/var/tmp";
}

int xp_os_free_space(const char *path, unsigned long long *bytes)
{
	struct statvfs vs;

	if (statvfs(path, &vs) < 0)
		return -1;
	*bytes = (unsigned long long)vs.f_bavail * vs.f_frsize;
	return 0;
}

char *xp_os_user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char *name = pw ? strdup(pw->pw_name) : xp_asprintf("%u", (unsigned)geteuid());

	if (!name)
		errno = ENOMEM;
	return name;
}

int xp_os_owned_by_admin(const char *path, const struct stat *st)
{
	(void)path;
	return st->st_uid == 0;
}

static void (*stop_fn)(int sig, const char *what);

static void on_stop(int sig)
{
	stop_fn(sig, sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP");
}

void xp_os_on_stop(void (*fn)(int sig, const char *what))
{
	struct sigaction sa;

	stop_fn = fn;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART; /* as signal(2) on glibc: calls go on */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

const char *xp_os_signame(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} sigs[] = {
	        {SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGILL, "ILL"},
	        {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"}, {SIGBUS, "BUS"},   {SIGFPE, "FPE"},
	        {SIGKILL, "KILL"}, {SIGUSR1, "USR1"}, {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"},
	        {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"}, {SIGTERM, "TERM"}, {SIGXCPU, "XCPU"},
	        {SIGXFSZ, "XFSZ"}, {SIGSYS, "SYS"},
	};

	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigs[i].sig == sig)
			return sigs[i].name;
	return NULL;
}
