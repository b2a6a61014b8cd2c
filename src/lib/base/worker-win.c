/* base/worker.h over Win32 threads: the worker is a thread of this process. */
#include "config.h"

#include "base/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#include "base/io.h"

struct xp_worker {
	HANDLE thread;
	xp_worker_fn *fn;
	void *arg;
	int flags;
	int status;
	int pipe;
};

static unsigned __stdcall run(void *p)
{
	struct xp_worker *w = p;

	DWORD last;

	errno = 0;
	SetLastError(0);
	w->status = w->fn(w->arg) & 0xff;
	/* errno and the last error are the thread's own: a write to a pipe nobody reads fails with
	 * EPIPE, or (msvcrt) EINVAL after ERROR_NO_DATA */
	last = GetLastError();
	w->pipe = w->status && !(w->flags & XP_WORKER_PIPE_FAILS) &&
	          (errno == EPIPE || last == ERROR_NO_DATA || last == ERROR_BROKEN_PIPE);
	return 0;
}

int xp_worker_start(struct xp_worker **out, xp_worker_fn *fn, void *arg,
                    const struct xp_worker_fd *fds, size_t n, int flags, struct xp_err *err)
{
	struct xp_worker *w = calloc(1, sizeof *w);
	uintptr_t h;

	(void)fds; /* one process: the thread holds what the caller holds */
	(void)n;
	*out = NULL;
	if (!w)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	w->fn = fn;
	w->arg = arg;
	w->flags = flags;
	fflush(NULL);
	h = _beginthreadex(NULL, 0, run, w, 0, NULL);
	if (!h) {
		free(w);
		return xp_err_sys(err, XP_EFAIL, "thread");
	}
	w->thread = (HANDLE)h;
	*out = w;
	return 0;
}

void xp_worker_wait(struct xp_worker *w, struct xp_worker_end *end)
{
	WaitForSingleObject(w->thread, INFINITE);
	CloseHandle(w->thread);
	end->status = w->status;
	end->signal = 0;
	end->pipe = w->pipe;
	free(w);
}

void *xp_worker_shm(size_t len)
{
	return calloc(1, len ? len : 1);
}

void xp_worker_shm_free(void *p, size_t len)
{
	(void)len;
	free(p);
}

int xp_chan_open(struct xp_chan *caller, struct xp_chan *worker, struct xp_err *err)
{
	int a[2] = {-1, -1}, b[2] = {-1, -1};

	caller->rd = caller->wr = worker->rd = worker->wr = -1;
	if (_pipe(a, XP_PIPE_SIZE, _O_BINARY | _O_NOINHERIT) < 0)
		return xp_err_sys(err, XP_EFAIL, "pipe");
	if (_pipe(b, XP_PIPE_SIZE, _O_BINARY | _O_NOINHERIT) < 0) {
		int e = errno;

		_close(a[0]);
		_close(a[1]);
		errno = e;
		return xp_err_sys(err, XP_EFAIL, "pipe");
	}
	caller->rd = a[0];
	worker->wr = a[1];
	worker->rd = b[0];
	caller->wr = b[1];
	return 0;
}

int xp_chan_send(const struct xp_chan *c, const void *buf, size_t len)
{
	return xp_write_all(c->wr, buf, len, NULL) ? -1 : 0;
}

void xp_chan_close(struct xp_chan *c)
{
	if (c->wr >= 0 && c->wr != c->rd)
		_close(c->wr);
	if (c->rd >= 0)
		_close(c->rd);
	c->rd = c->wr = -1;
}
