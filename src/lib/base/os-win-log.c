/* xp_os_log on Windows: the Application event log, source "xpbackup". The source is
 * registered at install with EventCreate.exe's message file (README.md "Windows"), whose
 * events 1 to 1000 show their one string as it is; unregistered, Windows still keeps the
 * events, with a note that their description is missing. */
#include "config.h"

#include "base/os.h"
#include "base/os-int.h"

#include <errno.h>
#include <stdlib.h>
#include <windows.h>

int xp_os_log(int prio, const char *msg)
{
	HANDLE src = NULL;
	wchar_t *w = NULL;
	const wchar_t *strings[1];
	WORD type = EVENTLOG_INFORMATION_TYPE;
	DWORD id = 1;
	int rc = -1;

	if (prio < 0 || prio > 7) {
		errno = EINVAL;
		return -1;
	}
	if (prio <= XP_LOG_ERR) {
		type = EVENTLOG_ERROR_TYPE;
		id = 3;
	} else if (prio == XP_LOG_WARNING) {
		type = EVENTLOG_WARNING_TYPE;
		id = 2;
	}
	if (!(w = xp_win_wide(msg)))
		goto out;
	/* opened for each line: a job logs a handful, and nothing stays open between them */
	if (!(src = RegisterEventSourceW(NULL, L"xpbackup"))) {
		errno = xp_win_errno();
		goto out;
	}
	strings[0] = w;
	if (!ReportEventW(src, type, 0, id, NULL, 1, 0, strings, NULL))
		errno = xp_win_errno();
	else
		rc = 0;
out:
	if (src)
		DeregisterEventSource(src);
	free(w);
	return rc;
}
