/* The host as a job sees it, over the Win32 API (os.h): its directories, free space, user,
 * owners, stop requests and signal names. */
#include "config.h"

#include "base/os.h"
#include "base/os-int.h"
#include "base/str.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static int fail(void)
{
	errno = xp_win_errno();
	return -1;
}

const char *xp_os_config_dir(void)
{
	return xp_os_system_state_dir();
}

const char *xp_os_work_dir(void)
{
	return xp_os_system_state_dir();
}

int xp_os_free_space(const char *path, unsigned long long *bytes)
{
	ULARGE_INTEGER avail;
	wchar_t *w = xp_win_wide(path);
	int rc = -1;

	if (!w)
		goto out;
	if (!GetDiskFreeSpaceExW(w, &avail, NULL, NULL)) {
		fail();
		goto out;
	}
	*bytes = avail.QuadPart;
	rc = 0;
out:
	free(w);
	return rc;
}

char *xp_os_user_name(void)
{
	wchar_t w[257];
	DWORD n = sizeof w / sizeof w[0];

	if (!GetUserNameW(w, &n)) {
		fail();
		return NULL;
	}
	return xp_win_narrow(w);
}

int xp_os_owned_by_admin(const char *path, const struct stat *st)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL;
	int rc = xp_win_file_owner(path, st, &owner, &sd) == 0 &&
	         (IsWellKnownSid(owner, WinLocalSystemSid) ||
	          IsWellKnownSid(owner, WinBuiltinAdministratorsSid));

	LocalFree(sd);
	return rc;
}

static void (*volatile stop_fn)(int sig, const char *what);

/* In a thread that Windows starts for the event. */
BOOL WINAPI xp_win_on_ctrl(DWORD event)
{
	static const char *const what[] = {
	        "Ctrl+C", "Ctrl+Break", "the console closing", NULL, NULL, "logoff", "shutdown"};

	if (event >= sizeof what / sizeof what[0] || !what[event] || !stop_fn)
		return FALSE;
	stop_fn(event == CTRL_C_EVENT ? SIGINT : SIGTERM, what[event]);
	/* after these Windows ends the process as soon as the handler returns */
	if (event == CTRL_CLOSE_EVENT || event == CTRL_LOGOFF_EVENT || event == CTRL_SHUTDOWN_EVENT)
		Sleep(INFINITE);
	return TRUE;
}

void xp_os_on_stop(void (*fn)(int sig, const char *what))
{
	stop_fn = fn;
	SetConsoleCtrlHandler(xp_win_on_ctrl, TRUE);
}

const char *xp_os_signame(int sig)
{
	return sig == SIGINT ? "INT" : sig == 9 ? "KILL" : sig == SIGTERM ? "TERM" : NULL;
}
