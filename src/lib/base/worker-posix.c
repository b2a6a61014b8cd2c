/* base/worker.h over fork(2): the worker is a process. */
#include "config.h"

#include "base/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct xp_worker {
	pid_t pid;
};

static void close_range_of(int lo, int hi)
{
#ifdef HAVE_CLOSE_RANGE
	close_range((unsigned)lo, (unsigned)hi, 0);
#else
	for (int fd = lo; fd <= hi; fd++)
		close(fd);
#endif
}

/* In the child: every descriptor from 3 up but those given or shared is closed. */
static void close_others(const struct xp_worker_fd *fds, size_t n)
{
	int keep[16], lo = 3;
	size_t k = 0;
	long max = sysconf(_SC_OPEN_MAX);
	int top = max > 0 && max < 65536 ? (int)max - 1 : 65535;

	for (size_t i = 0; i < n && k < sizeof keep / sizeof keep[0]; i++) {
		size_t j = k;

		if (fds[i].holder == XP_FD_CALLERS)
			continue;
		for (k++; j > 0 && keep[j - 1] > fds[i].fd; j--)
			keep[j] = keep[j - 1];
		keep[j] = fds[i].fd;
	}
	for (size_t i = 0; i < k; i++) {
		if (keep[i] < lo)
			continue;
		if (keep[i] > lo)
			close_range_of(lo, keep[i] - 1);
		lo = keep[i] + 1;
	}
#ifdef HAVE_CLOSE_RANGE
	top = ~0U >> 1;
#endif
	if (lo <= top)
		close_range_of(lo, top);
}

int xp_worker_start(struct xp_worker **out, xp_worker_fn *fn, void *arg,
                    const struct xp_worker_fd *fds, size_t n, int flags, struct xp_err *err)
{
	struct xp_worker *w = calloc(1, sizeof *w);

	*out = NULL;
	if (!w)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		free(w);
		return xp_err_sys(err, XP_EFAIL, "fork");
	}
	if (w->pid == 0) {
		for (size_t i = 0; i < n; i++)
			if (fds[i].holder == XP_FD_CALLERS)
				close(fds[i].fd);
		if (flags & XP_WORKER_CLOSE_OTHERS)
			close_others(fds, n);
		if (flags & XP_WORKER_OWN_SIGNALS) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
		}
		signal(SIGPIPE, flags & XP_WORKER_PIPE_FAILS ? SIG_IGN : SIG_DFL);
		_exit(fn(arg) & 0xff);
	}
	for (size_t i = 0; i < n; i++)
		if (fds[i].holder == XP_FD_GIVEN)
			close(fds[i].fd);
	*out = w;
	return 0;
}

void xp_worker_wait(struct xp_worker *w, struct xp_worker_end *end)
{
	int st = 0;

	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
	end->status = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
	end->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	end->pipe = end->signal == SIGPIPE;
	free(w);
}

void *xp_worker_shm(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void xp_worker_shm_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int xp_chan_open(struct xp_chan *caller, struct xp_chan *worker, struct xp_err *err)
{
	int sv[2];

	caller->rd = caller->wr = worker->rd = worker->wr = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return xp_err_sys(err, XP_EFAIL, "socketpair");
	caller->rd = caller->wr = sv[0];
	worker->rd = worker->wr = sv[1];
	return 0;
}

int xp_chan_send(const struct xp_chan *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(c->wr, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void xp_chan_close(struct xp_chan *c)
{
	if (c->wr >= 0 && c->wr != c->rd)
		close(c->wr);
	if (c->rd >= 0)
		close(c->rd);
	c->rd = c->wr = -1;
}
