/* Child processes over POSIX: posix_spawn, pipes, waitpid, kill. */
#include "config.h"

#include "base/proc.h"
#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int xp_proc_pipe(int fds[2], struct xp_err *err)
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return xp_err_sys(err, XP_EFAIL, "pipe");
	return 0;
}

int xp_proc_spawn(struct xp_proc *p, char *const argv[], const struct xp_proc_io *io,
                  struct xp_err *err)
{
	static const int fixed[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	pid_t pid;
	int rc = XP_EFAIL, e, have_fa = 0, have_attr = 0;

	p->running = 0;
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto fail;
	have_fa = 1;
	if ((e = posix_spawnattr_init(&attr)) != 0)
		goto fail;
	have_attr = 1;
	/* The child starts as a shell would start it: nothing blocked, and the signals this
	 * process may catch or ignore back at their defaults. */
	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		sigaddset(&def, fixed[i]);
	if ((e = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&attr, &def)) != 0 ||
	    (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) !=
	            0)
		goto fail;
	if (io) {
		const int fd[3] = {io->in, io->out, io->err};

		for (int i = 0; i < 3; i++)
			if (fd[i] >= 0 &&
			    (e = posix_spawn_file_actions_adddup2(&fa, fd[i], i)) != 0)
				goto fail;
	}
	if ((e = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ)) != 0)
		goto fail;
	p->id = pid;
	p->running = 1;
	rc = 0;
	goto out;
fail:
	errno = e;
	xp_err_sys(err, XP_EFAIL, "%s", argv[0]);
out:
	if (have_attr)
		posix_spawnattr_destroy(&attr);
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* The shell's status for what waitpid reported. */
static int status_of(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int xp_proc_wait(struct xp_proc *p, long timeout_ms, int *status, struct xp_err *err)
{
	long long until = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	int ws = 0, rc = 0;
	pid_t r;

	*status = -1;
	if (!p->running) {
		rc = xp_err_set(err, XP_EFAIL, "no child to wait for");
		goto out;
	}
	for (;;) {
		r = waitpid((pid_t)p->id, &ws, timeout_ms < 0 ? 0 : WNOHANG);
		if (r == (pid_t)p->id)
			break;
		if (r < 0 && errno != EINTR) {
			rc = xp_err_sys(err, XP_EFAIL, "waiting for process %ld", (long)p->id);
			goto out;
		}
		if (r == 0) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			if (now_ms() >= until)
				goto out;
			nanosleep(&ts, NULL);
		}
	}
	p->running = 0;
	*status = status_of(ws);
out:
	return rc;
}

void xp_proc_term(struct xp_proc *p)
{
	if (p->running)
		kill((pid_t)p->id, SIGTERM);
}

void xp_proc_kill(struct xp_proc *p)
{
	if (p->running)
		kill((pid_t)p->id, SIGKILL);
}

/* Reads what fd gives into b (up to max bytes kept) until its end or the deadline (0: none);
 * 1 when the deadline came first. */
static int drain(int fd, struct xp_sbuf *b, size_t max, long long until)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		long long left = until ? until - now_ms() : -1;
		ssize_t n;
		int r;

		if (until && left <= 0)
			return 1;
		r = poll(&pfd, 1, until ? (int)(left > 60000 ? 60000 : left) : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (b->len < max)
			xp_sbuf_add(b, buf, (size_t)n < max - b->len ? (size_t)n : max - b->len);
	}
}

int xp_proc_capture(char *const argv[], long timeout_ms, int merge_err, size_t max, char **out,
                    size_t *len, int *status, struct xp_err *err)
{
	struct xp_proc p = {0};
	struct xp_sbuf b = {0};
	int fds[2] = {-1, -1}, null = -1, rc, late;

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
	late = drain(fds[0], &b, max, timeout_ms < 0 ? 0 : now_ms() + timeout_ms);
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
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *xp_proc_find(const char *dir, const char *name)
{
	const char *path = getenv("PATH"), *at;
	char *cand;

	if (dir) {
		cand = xp_asprintf("%s/%s", dir, name);
		if (cand && runnable(cand))
			return cand;
		free(cand);
	}
	if (!path)
		return NULL;
	for (at = path;; at++) {
		const char *end = strchr(at, ':');
		size_t n = end ? (size_t)(end - at) : strlen(at);

		/* an empty entry is the current directory, as for the shell */
		cand = n ? xp_asprintf("%.*s/%s", (int)n, at, name) : xp_asprintf("./%s", name);
		if (cand && runnable(cand))
			return cand;
		free(cand);
		if (!end)
			return NULL;
		at = end;
	}
}

char *xp_proc_self_dir(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (!slash)
		return NULL;
	return slash == argv0 ? xp_strndup("/", 1) : xp_strndup(argv0, (size_t)(slash - argv0));
}
