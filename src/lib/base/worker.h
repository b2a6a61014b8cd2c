/* A function run beside its caller: in a forked process on POSIX (its own memory, descriptors
 * and signal dispositions: nothing it does reaches the caller but through the descriptors and
 * shared memory below), in a thread on Windows, where there is no fork. configure picks
 * worker-posix.c or worker-win.c, as it picks os-*.c.
 *
 * A function written for both therefore changes no memory that the caller reads or writes
 * meanwhile (a thread shares it), talks to the caller only through descriptors (a pipe, a
 * channel) and xp_worker_shm memory, and returns its status rather than exiting. */
#ifndef XP_BASE_WORKER_H
#define XP_BASE_WORKER_H

#include <stddef.h>

#include "base/err.h"

/* What the worker runs: its return value is its exit status (0 success, else 1..255). */
typedef int xp_worker_fn(void *arg);

/* Flags of xp_worker_start (POSIX; a thread has nothing of its own to set):
 * XP_WORKER_CLOSE_OTHERS: the process closes every descriptor but the standard three and
 *   those given or shared, so that it holds no pipe of the caller open;
 * XP_WORKER_OWN_SIGNALS: SIGINT, SIGTERM and SIGHUP back to their default actions (the
 *   caller's handlers and their clean-up are the caller's);
 * XP_WORKER_PIPE_FAILS: SIGPIPE ignored, so that writing to a pipe nobody reads is a failed
 *   write that fn reports; without it SIGPIPE ends the process (xp_worker_end.pipe). */
#define XP_WORKER_CLOSE_OTHERS 1
#define XP_WORKER_OWN_SIGNALS  2
#define XP_WORKER_PIPE_FAILS   4

/* The descriptors a worker is started with, and who holds each:
 * XP_FD_GIVEN: the worker's: fn closes it; the caller's copy is closed as the worker starts
 *   (POSIX; a thread has the same descriptor, not a copy);
 * XP_FD_SHARED: both use it (an output the caller keeps): left open;
 * XP_FD_CALLERS: the caller's alone (its end of a pipe to the worker): the process closes
 *   its copy, so that the pipe ends when the caller closes it (a thread leaves it alone). */
enum xp_fd_holder { XP_FD_GIVEN, XP_FD_SHARED, XP_FD_CALLERS };
struct xp_worker_fd {
	int fd;
	enum xp_fd_holder holder;
};

struct xp_worker;

/* Starts fn(arg) with the n descriptors fds. On failure nothing started and the caller still
 * holds every descriptor. Buffered output is flushed first, so that a process does not write
 * it again. The caller must wait for the worker (xp_worker_wait), which frees it. */
int xp_worker_start(struct xp_worker **out, xp_worker_fn *fn, void *arg,
                    const struct xp_worker_fd *fds, size_t n, int flags, struct xp_err *err);

/* How a worker ended. */
struct xp_worker_end {
	int status; /* what fn returned (0..255), when signal is 0 */
	int signal; /* POSIX: the signal that killed the process, else 0 */
	int pipe;   /* without XP_WORKER_PIPE_FAILS: it ended writing to a pipe nobody reads
	             * (POSIX: killed by SIGPIPE; Windows: fn failed with errno EPIPE) */
};

/* Waits for the worker to end, says how in *end, and frees w. */
void xp_worker_wait(struct xp_worker *w, struct xp_worker_end *end);

/* len bytes of zeroed memory that the caller and its workers share (POSIX: a shared
 * anonymous mapping made before the fork; Windows: the process's memory); NULL with errno.
 * Freed by xp_worker_shm_free(p, len). */
void *xp_worker_shm(size_t len);
void xp_worker_shm_free(void *p, size_t len);

/* A two-way channel between the caller and a worker: each end reads from rd and writes to
 * wr (POSIX: one socket of a socket pair, rd == wr; Windows: two pipes). Both ends are
 * close-on-exec. */
struct xp_chan {
	int rd, wr;
};
int xp_chan_open(struct xp_chan *caller, struct xp_chan *worker, struct xp_err *err);
/* Sends all of buf on c: 0, or -1 when the other end has gone (no SIGPIPE). */
int xp_chan_send(const struct xp_chan *c, const void *buf, size_t len);
/* Closes both descriptors of c (once when they are one) and sets them to -1. */
void xp_chan_close(struct xp_chan *c);

#endif
