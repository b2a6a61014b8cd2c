/* base/worker.h: a function beside its caller (a process on POSIX, a thread on Windows), the
 * same promises on both, run on Linux and under wine. */
#include "config.h"

#include "base/io.h"
#include "base/os.h"
#include "base/worker.h"

#include "../tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
	int fd;
	struct xp_chan chan;
	char *shm;
	int ret;
	int fail_errno;
};

static int writes(void *arg)
{
	struct job *j = arg;
	int rc = write(j->fd, "hello", 5) == 5 ? j->ret : 2;

	j->fail_errno = errno;
	close(j->fd);
	return rc;
}

static int fills(void *arg)
{
	struct job *j = arg;

	memset(j->shm, 'x', 4096);
	return 0;
}

/* Echoes each message doubled until the caller closes its end. */
static int echoes(void *arg)
{
	struct job *j = arg;
	char b[4];
	int rc = 0;

	while (xp_read_full(j->chan.rd, b, 2) == 2) {
		memcpy(b + 2, b, 2);
		if (xp_chan_send(&j->chan, b, 4)) {
			rc = 1;
			break;
		}
	}
	xp_chan_close(&j->chan);
	return rc;
}

/* Writes into a pipe that nobody reads. */
static int floods(void *arg)
{
	struct job *j = arg;
	static char buf[65536];
	int rc = 0;

	for (int i = 0; i < 64 && !rc; i++)
		if (write(j->fd, buf, sizeof buf) < 0)
			rc = 2;
	close(j->fd);
	return rc;
}

static void test_pipe_and_status(void)
{
	struct xp_worker *w;
	struct xp_worker_end end = {-1, -1, -1};
	struct job j = {.ret = 7};
	int p[2] = {-1, -1};
	struct xp_worker_fd fds[2];
	char got[16] = "";
	ssize_t n;

	ok(xp_os_pipe(p) == 0, "a pipe");
	j.fd = p[1];
	fds[0] = (struct xp_worker_fd){p[1], XP_FD_GIVEN};
	fds[1] = (struct xp_worker_fd){p[0], XP_FD_CALLERS};

	ok(xp_worker_start(&w, writes, &j, fds, 2, 0, NULL) == 0, "the worker starts");
	n = xp_read_full(p[0], got, sizeof got - 1);
	is_int(n, 5, "the caller reads what the worker wrote, then the end of the pipe");
	is_str(got, "hello", "the bytes are the worker's");
	xp_worker_wait(w, &end);
	is_int(end.status, 7, "the status is what the function returned");
	is_int(end.signal, 0, "no signal ended it");
	is_int(end.pipe, 0, "it did not end on a closed pipe");
	close(p[0]);
}

static void test_shm(void)
{
	struct xp_worker *w;
	struct xp_worker_end end;
	struct job j = {0};
	int same = 1;

	j.shm = xp_worker_shm(4096);
	ok(j.shm != NULL, "shared memory");
	if (!j.shm)
		return;
	ok(xp_worker_start(&w, fills, &j, NULL, 0, 0, NULL) == 0, "a worker filling it");
	xp_worker_wait(w, &end);
	for (int i = 0; i < 4096; i++)
		same &= j.shm[i] == 'x';
	ok(same && end.status == 0, "the caller sees what the worker wrote in shared memory");
	xp_worker_shm_free(j.shm, 4096);
}

static void test_chan(void)
{
	struct xp_worker *w;
	struct xp_worker_end end = {-1, -1, -1};
	struct xp_chan mine;
	struct job j = {0};
	char got[5] = "";
	struct xp_worker_fd fds[4];
	size_t n = 0;

	ok(xp_chan_open(&mine, &j.chan, NULL) == 0, "a channel");
	fds[n++] = (struct xp_worker_fd){j.chan.rd, XP_FD_GIVEN};
	if (j.chan.wr != j.chan.rd)
		fds[n++] = (struct xp_worker_fd){j.chan.wr, XP_FD_GIVEN};
	fds[n++] = (struct xp_worker_fd){mine.rd, XP_FD_CALLERS};
	if (mine.wr != mine.rd)
		fds[n++] = (struct xp_worker_fd){mine.wr, XP_FD_CALLERS};
	ok(xp_worker_start(&w, echoes, &j, fds, n, 0, NULL) == 0, "an echoing worker");
	ok(xp_chan_send(&mine, "ab", 2) == 0 && xp_read_full(mine.rd, got, 4) == 4,
	   "a message there and its answer back");
	is_str(got, "abab", "the answer is the worker's");
	ok(xp_chan_send(&mine, "cd", 2) == 0 && xp_read_full(mine.rd, got, 4) == 4 &&
	           memcmp(got, "cdcd", 4) == 0,
	   "and again");
	xp_chan_close(&mine);
	xp_worker_wait(w, &end);
	is_int(end.status, 0, "a caller that closes its end ends the worker's reading");
	is_int(mine.rd, -1, "closing sets the ends to -1");
}

static void test_closed_pipe(int flags, int want_status, int want_pipe, const char *what)
{
	struct xp_worker *w;
	struct xp_worker_end end = {-1, -1, -1};
	struct job j = {0};
	int p[2];

	struct xp_worker_fd fd;

	if (xp_os_pipe(p))
		return;
	close(p[0]);
	j.fd = p[1];
	fd = (struct xp_worker_fd){p[1], XP_FD_GIVEN};
	ok(xp_worker_start(&w, floods, &j, &fd, 1, flags, NULL) == 0, "%s: started", what);
	xp_worker_wait(w, &end);
	is_int(end.pipe, want_pipe, "%s: ended on the closed pipe", what);
	if (want_status >= 0)
		is_int(end.status, want_status, "%s: its status", what);
}

#ifndef _WIN32
static int global;
static int keep_fd = -1, other_fd = -1;

static int isolated(void *arg)
{
	struct sigaction sa;
	int flags = *(int *)arg;

	global = 42;
	sigaction(SIGTERM, NULL, &sa);
	if ((flags & XP_WORKER_OWN_SIGNALS) && sa.sa_handler != SIG_DFL)
		return 10;
	if (!(flags & XP_WORKER_OWN_SIGNALS) && sa.sa_handler == SIG_DFL)
		return 11;
	if (fcntl(keep_fd, F_GETFD) < 0)
		return 12;
	if ((flags & XP_WORKER_CLOSE_OTHERS) != (fcntl(other_fd, F_GETFD) < 0 && errno == EBADF))
		return 13;
	return 0;
}

static void on_term(int sig)
{
	(void)sig;
}

static void test_process(int flags, const char *what)
{
	struct xp_worker *w;
	struct xp_worker_end end = {-1, -1, -1};
	int p[2], q[2];
	struct xp_worker_fd fd;

	if (xp_os_pipe(p) || xp_os_pipe(q))
		return;
	fd = (struct xp_worker_fd){p[1], XP_FD_SHARED};
	keep_fd = p[1];
	other_fd = q[1];
	signal(SIGTERM, on_term);
	global = 0;
	ok(xp_worker_start(&w, isolated, &flags, &fd, 1, flags, NULL) == 0, "%s: started", what);
	xp_worker_wait(w, &end);
	is_int(end.status, 0, "%s: descriptors and signals as asked", what);
	is_int(global, 0, "%s: its memory is its own", what);
	signal(SIGTERM, SIG_DFL);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}
#endif

int main(void)
{
	test_pipe_and_status();
	test_shm();
	test_chan();
	test_closed_pipe(0, -1, 1, "a worker writing to a pipe nobody reads");
	test_closed_pipe(XP_WORKER_PIPE_FAILS, 2, 0,
	                 "a worker whose writes to a pipe nobody reads fail");
#ifndef _WIN32
	test_process(XP_WORKER_CLOSE_OTHERS | XP_WORKER_OWN_SIGNALS, "an isolated process");
	test_process(0, "a plain process");
#endif
	return done_testing();
}
