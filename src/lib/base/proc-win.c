/* Child processes over the Win32 API: CreateProcessW without a console window, only the three
 * standard handles inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), anonymous pipes,
 * WaitForSingleObject, TerminateProcess. Arguments are UTF-8 and quoted for the child's
 * CommandLineToArgvW. */
#include "config.h"

#include "base/proc.h"
#include "base/os.h"
#include "base/os-int.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

/* The statuses of a POSIX child stopped by SIGTERM and SIGKILL (proc.h). */
#define TERM_STATUS 143
#define KILL_STATUS 137

int xp_proc_pipe(int fds[2], struct xp_err *err)
{
	if (_pipe(fds, 1 << 16, _O_BINARY | _O_NOINHERIT) != 0)
		return xp_err_sys(err, XP_EFAIL, "pipe");
	return 0;
}

/* Appends arg quoted as CommandLineToArgvW reads it back: in quotes when it holds a blank or a
 * quote or is empty, a quote escaped, backslashes doubled only before a quote. */
static void quote(struct xp_sbuf *b, const char *arg)
{
	size_t slashes = 0;

	if (*arg && !strpbrk(arg, " \t\n\v\"")) {
		xp_sbuf_puts(b, arg);
		return;
	}
	xp_sbuf_add(b, "\"", 1);
	for (const char *c = arg;; c++) {
		if (*c == '\\') {
			slashes++;
			continue;
		}
		/* before a quote, or the closing one, each backslash is doubled */
		for (size_t i = 0; i < (*c == '"' || !*c ? 2 * slashes : slashes); i++)
			xp_sbuf_add(b, "\\", 1);
		slashes = 0;
		if (!*c)
			break;
		if (*c == '"')
			xp_sbuf_add(b, "\\", 1);
		xp_sbuf_add(b, c, 1);
	}
	xp_sbuf_add(b, "\"", 1);
}

/* An inheritable duplicate of fd's handle (or of our own standard handle std when fd is -1). */
static HANDLE inheritable(int fd, DWORD std)
{
	HANDLE h = fd >= 0 ? (HANDLE)_get_osfhandle(fd) : GetStdHandle(std), dup = NULL;

	if (h == INVALID_HANDLE_VALUE || h == NULL)
		return NULL;
	if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE,
	                     DUPLICATE_SAME_ACCESS))
		return NULL;
	return dup;
}

int xp_proc_spawn(struct xp_proc *p, char *const argv[], const struct xp_proc_io *io,
                  struct xp_err *err)
{
	static const DWORD stds[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	const int fd[3] = {io ? io->in : -1, io ? io->out : -1, io ? io->err : -1};
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	HANDLE h[3] = {NULL, NULL, NULL}, list[3];
	struct xp_sbuf line = {0};
	wchar_t *wpath = NULL, *wline = NULL;
	SIZE_T size = 0;
	DWORD nlist = 0;
	int rc = XP_EFAIL;

	p->running = 0;
	for (char *const *a = argv; *a; a++) {
		if (a != argv)
			xp_sbuf_add(&line, " ", 1);
		quote(&line, *a);
	}
	xp_sbuf_add(&line, "", 1);
	if (line.failed || !(wpath = xp_win_wide(argv[0])) || !(wline = xp_win_wide(line.p))) {
		xp_err_sys(err, XP_EFAIL, "%s", argv[0]);
		goto out;
	}
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	for (int i = 0; i < 3; i++) {
		/* a standard handle we lack (a service, a scheduled task) is left out */
		if ((h[i] = inheritable(fd[i], stds[i])) != NULL)
			list[nlist++] = h[i];
	}
	si.StartupInfo.hStdInput = h[0];
	si.StartupInfo.hStdOutput = h[1];
	si.StartupInfo.hStdError = h[2];
	InitializeProcThreadAttributeList(NULL, 1, 0, &size);
	if (!(attrs = malloc(size)) || !InitializeProcThreadAttributeList(attrs, 1, 0, &size)) {
		free(attrs);
		attrs = NULL;
		xp_err_set(err, XP_EFAIL, "%s: cannot prepare its handles (error %lu)", argv[0],
		           (unsigned long)GetLastError());
		goto out;
	}
	if (nlist && !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
	                                        nlist * sizeof list[0], NULL, NULL)) {
		xp_err_set(err, XP_EFAIL, "%s: cannot prepare its handles (error %lu)", argv[0],
		           (unsigned long)GetLastError());
		goto out;
	}
	si.lpAttributeList = attrs;
	if (!CreateProcessW(wpath, wline, NULL, NULL, nlist > 0,
	                    CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT |
	                            CREATE_UNICODE_ENVIRONMENT,
	                    NULL, NULL, &si.StartupInfo, &pi)) {
		xp_err_set(err, XP_EFAIL, "%s: cannot start it (error %lu)", argv[0],
		           (unsigned long)GetLastError());
		goto out;
	}
	CloseHandle(pi.hThread);
	p->id = (intptr_t)pi.hProcess;
	p->running = 1;
	rc = 0;
out:
	if (attrs) {
		DeleteProcThreadAttributeList(attrs);
		free(attrs);
	}
	for (int i = 0; i < 3; i++)
		if (h[i])
			CloseHandle(h[i]);
	free(wline);
	free(wpath);
	xp_sbuf_free(&line);
	return rc;
}

int xp_proc_wait(struct xp_proc *p, long timeout_ms, int *status, struct xp_err *err)
{
	DWORD code = 0, r;
	int rc = 0;

	*status = -1;
	if (!p->running) {
		rc = xp_err_set(err, XP_EFAIL, "no child to wait for");
		goto out;
	}
	r = WaitForSingleObject((HANDLE)p->id, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
	if (r == WAIT_TIMEOUT)
		goto out;
	if (r != WAIT_OBJECT_0 || !GetExitCodeProcess((HANDLE)p->id, &code)) {
		rc = xp_err_set(err, XP_EFAIL, "waiting for a process: error %lu",
		                (unsigned long)GetLastError());
		goto out;
	}
	p->running = 0;
	CloseHandle((HANDLE)p->id);
	*status = (int)code;
out:
	return rc;
}

void xp_proc_term(struct xp_proc *p)
{
	if (p->running)
		TerminateProcess((HANDLE)p->id, TERM_STATUS);
}

void xp_proc_kill(struct xp_proc *p)
{
	if (p->running)
		TerminateProcess((HANDLE)p->id, KILL_STATUS);
}

int xp_proc_capture(char *const argv[], long timeout_ms, int merge_err, size_t max, char **out,
                    size_t *len, int *status, struct xp_err *err)
{
	struct xp_proc p = {0};
	struct xp_sbuf b = {0};
	ULONGLONG until = timeout_ms < 0 ? 0 : GetTickCount64() + (ULONGLONG)timeout_ms;
	int fds[2] = {-1, -1}, null = -1, rc, late = 0;
	HANDLE rd;

	*out = NULL;
	if ((rc = xp_proc_pipe(fds, err)) != 0)
		goto out;
	if ((null = xp_os_open(XP_OS_DEVNULL, O_RDWR, 0)) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", XP_OS_DEVNULL);
		goto out;
	}
	{
		struct xp_proc_io io = {null, fds[1], merge_err ? fds[1] : null};

		if ((rc = xp_proc_spawn(&p, argv, &io, err)) != 0)
			goto out;
	}
	close(fds[1]);
	fds[1] = -1;
	rd = (HANDLE)_get_osfhandle(fds[0]);
	for (;;) {
		char buf[4096];
		DWORD avail = 0, n = 0;

		if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
			break; /* ERROR_BROKEN_PIPE: every writer is gone */
		if (avail == 0) {
			if (until && GetTickCount64() >= until) {
				late = 1;
				break;
			}
			Sleep(10);
			continue;
		}
		if (!ReadFile(rd, buf, sizeof buf, &n, NULL) || n == 0)
			break;
		if (b.len < max)
			xp_sbuf_add(&b, buf, n < max - b.len ? n : max - b.len);
	}
	rc = xp_proc_capture_end(&p, late, &b, argv[0], status, out, len, err);
out:
	if (p.running) {
		int ignored;

		xp_proc_kill(&p);
		xp_proc_wait(&p, -1, &ignored, NULL);
	}
	xp_sbuf_free(&b);
	if (null >= 0)
		close(null);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return rc;
}

static int runnable(const char *path)
{
	wchar_t *w = xp_win_wide(path);
	DWORD a = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;

	free(w);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* dir/name, or dir/name.exe, when one of them is there; else NULL. */
static char *in_dir(const char *dir, size_t n, const char *name)
{
	char *cand = xp_asprintf("%.*s/%s", (int)n, dir, name);

	if (cand && runnable(cand))
		return cand;
	free(cand);
	cand = xp_asprintf("%.*s/%s.exe", (int)n, dir, name);
	if (cand && runnable(cand))
		return cand;
	free(cand);
	return NULL;
}

char *xp_proc_find(const char *dir, const char *name)
{
	const char *path = getenv("PATH"), *at;
	char *found;

	if (dir && (found = in_dir(dir, strlen(dir), name)))
		return found;
	if (!path)
		return NULL;
	for (at = path;; at++) {
		const char *end = strchr(at, ';');
		size_t n = end ? (size_t)(end - at) : strlen(at);

		if (n && (found = in_dir(at, n, name)))
			return found;
		if (!end)
			return NULL;
		at = end;
	}
}

char *xp_proc_self_dir(const char *argv0)
{
	wchar_t w[32768];
	DWORD n = GetModuleFileNameW(NULL, w, sizeof w / sizeof w[0]);
	char *u, *slash;

	(void)argv0;
	if (n == 0 || n >= sizeof w / sizeof w[0])
		return NULL;
	w[n] = L'\0';
	if (!(u = xp_win_narrow(w)))
		return NULL;
	for (char *c = u; *c; c++)
		if (*c == '\\')
			*c = '/';
	if ((slash = strrchr(u, '/')) != NULL)
		*slash = '\0';
	return u;
}
