/* The portability layer over POSIX (Linux, the BSDs): mostly the calls themselves. */
#include "config.h"

#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

int xp_os_narrow_utf8(void)
{
	return 1;
}

int xp_os_args(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int xp_os_stdio_binary(void)
{
	return 0;
}

int xp_os_open_nofollow(const char *path, int flags, mode_t mode)
{
	return open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

int xp_os_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags | O_CLOEXEC, mode);
}

int xp_os_openat(int dfd, const char *name, int flags, mode_t mode)
{
	return openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

int xp_os_lstatat(int dfd, const char *name, struct stat *st)
{
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
}

int xp_os_unlinkat(int dfd, const char *name)
{
	return unlinkat(dfd, name, 0);
}

int xp_os_renameat(int dfd, const char *from, const char *to)
{
	return renameat(dfd, from, dfd, to);
}

int xp_os_same_file(int fd, int dfd, const char *name)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0)
		return -1;
	if (fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int xp_os_same_dir(const char *a, const char *b)
{
	struct stat x, y;

	if (stat(a, &x) < 0 || stat(b, &y) < 0)
		return 0;
	return S_ISDIR(x.st_mode) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int xp_os_fsync_dirfd(int dfd)
{
	return fsync(dfd);
}

int xp_os_mkdirat(int dfd, const char *name, mode_t mode)
{
	return mkdirat(dfd, name, mode);
}

DIR *xp_os_fdopendir(int fd)
{
	DIR *d = fdopendir(fd);

	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

int xp_os_dirfd(DIR *d)
{
	return dirfd(d);
}

int xp_os_closedir(DIR *d)
{
	return closedir(d);
}

int xp_os_mkstemp(char *tmpl)
{
	return mkostemp(tmpl, O_CLOEXEC);
}

char *xp_os_mkdtemp(char *tmpl)
{
	return mkdtemp(tmpl);
}

int xp_os_replace(const char *from, const char *to)
{
	return rename(from, to);
}

int xp_os_fsync(int fd)
{
	return fsync(fd);
}

int xp_os_fsync_dir(const char *dir)
{
	int fd, rc, e;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* some file systems cannot sync a directory, and need not */
	rc = fsync(fd) < 0 && errno != EINVAL ? -1 : 0;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int xp_os_lock(int fd, int op)
{
	int how = (op & XP_LOCK_UN) ? LOCK_UN : (op & XP_LOCK_EX) ? LOCK_EX : LOCK_SH;

	return flock(fd, how | ((op & XP_LOCK_NB) ? LOCK_NB : 0));
}

const char *xp_os_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int xp_os_path_absolute(const char *path)
{
	return path[0] == '/';
}

int xp_os_lstat(const char *path, struct stat *st)
{
	return lstat(path, st);
}

int xp_os_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode);
}

int xp_os_fchmod(int fd, mode_t mode)
{
	return fchmod(fd, mode);
}

mode_t xp_os_exposure(int fd, const struct stat *st)
{
	(void)fd;
	return st->st_mode & 077;
}

int xp_os_owned(const char *path, const struct stat *st)
{
	(void)path;
	return st->st_uid == geteuid();
}

char *xp_os_owner_name(const char *path, const struct stat *st)
{
	(void)path;
	return xp_asprintf("uid %lu", (unsigned long)st->st_uid);
}

char *xp_os_realpath(const char *path)
{
	return realpath(path, NULL);
}

int xp_os_set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

int xp_os_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

void xp_os_pipe_grow(int fd, long size)
{
	struct stat st;
	long max = size;
	FILE *f;

	if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || fcntl(fd, F_GETPIPE_SZ) >= max)
		return;
	if (fcntl(fd, F_SETPIPE_SZ, (int)max) >= 0)
		return;
	/* above the limit for users without CAP_SYS_RESOURCE: take the limit */
	f = fopen("/proc/sys/fs/pipe-max-size", "re");
	if (f && fscanf(f, "%ld", &max) == 1 && max > fcntl(fd, F_GETPIPE_SZ) && max < size)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)max);
	if (f)
		fclose(f);
}

void *xp_os_aligned_alloc(size_t align, size_t n)
{
	void *p = NULL;

	return posix_memalign(&p, align, n) == 0 ? p : NULL;
}

void xp_os_aligned_free(void *p)
{
	free(p);
}

int xp_os_tmpfile(const char *dir)
{
	size_t n = strlen(dir);
	char *tmpl;
	int fd, saved;

	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (!(tmpl = malloc(n + sizeof "/xpseal.XXXXXX")))
		return -1;
	memcpy(tmpl, dir, n);
	memcpy(tmpl + n, "/xpseal.XXXXXX", sizeof "/xpseal.XXXXXX");
	fd = mkostemp(tmpl, O_CLOEXEC);
	saved = errno;
	if (fd >= 0)
		unlink(tmpl);
	free(tmpl);
	errno = saved;
	return fd;
}

int xp_os_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

int xp_os_glob(const char *pattern, char ***paths, size_t *n)
{
	glob_t g = {0};
	int rc = glob(pattern, GLOB_NOSORT, NULL, &g), out = 0;

	*paths = NULL;
	*n = 0;
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0) {
		globfree(&g);
		errno = rc == GLOB_NOSPACE ? ENOMEM : EIO;
		return -1;
	}
	if (!(*paths = calloc(g.gl_pathc, sizeof **paths)))
		out = -1;
	for (size_t i = 0; out == 0 && i < g.gl_pathc; i++)
		if (!((*paths)[(*n)++] = strdup(g.gl_pathv[i])))
			out = -1;
	globfree(&g);
	if (out) {
		xp_os_glob_free(*paths, *n);
		*paths = NULL;
		*n = 0;
		errno = ENOMEM;
	}
	return out;
}

int xp_os_path_sep(int c)
{
	return c == '/';
}

size_t xp_os_path_root(const char *path)
{
	return path[0] == '/';
}

static void (*crash_fn)(const char *signame);

static void on_crash(int sig)
{
	crash_fn(sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
}

void xp_os_on_crash(void (*fn)(const char *signame))
{
	struct sigaction sa;

	crash_fn = fn;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

FILE *xp_os_memstream(char **buf, size_t *len)
{
	return open_memstream(buf, len);
}

int xp_os_memstream_close(FILE *f)
{
	return fclose(f);
}

int xp_os_setenv(const char *name, const char *value)
{
	return setenv(name, value, 1);
}

int xp_os_unsetenv(const char *name)
{
	return unsetenv(name);
}

int xp_os_privileged(void)
{
	return geteuid() == 0;
}

const char *xp_os_system_state_dir(void)
{
	return "/var/lib/xpbackup";
}

int xp_os_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

int xp_os_no_core(void)
{
	const struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -1;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* While echo is off, a signal that ends the process first turns echo back on. */
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct termios tty_saved;
static volatile sig_atomic_t tty_fd = -1;

static void tty_restore_and_die(int sig)
{
	if (tty_fd >= 0)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads one line from the terminal fd with echo off, the prompt written there. */
static int tty_read(int fd, const char *prompt, char *buf, size_t max, size_t *len)
{
	struct sigaction sa, old_sa[sizeof tty_signals / sizeof tty_signals[0]];
	struct termios quiet;
	size_t n = 0, i;
	int rc = 0, e = 0;
	char c;

	if (tcgetattr(fd, &tty_saved) < 0)
		return -1;
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tty_restore_and_die;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		sigaction(tty_signals[i], &sa, &old_sa[i]);
	tty_fd = fd;
	/* Echo goes off before the prompt appears, so nothing typed after it is echoed. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		rc = -1;
		e = errno;
		goto out;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		rc = -1;
		e = errno;
	}
	while (rc == 0) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -1;
			e = errno;
			break;
		}
		if (r == 0 || c == '\n')
			break;
		if (n >= max) {
			rc = -1;
			e = EMSGSIZE;
			break;
		}
		buf[n++] = c;
	}
	c = 0;
	if (tcsetattr(fd, TCSAFLUSH, &tty_saved) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	(void)!write(fd, "\n", 1);
out:
	tty_fd = -1;
	for (i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		sigaction(tty_signals[i], &old_sa[i], NULL);
	buf[n] = '\0';
	*len = n;
	errno = e;
	return rc;
}

int xp_os_tty_password(const char *prompt, char *buf, size_t max, size_t *len)
{
	int fd, rc, e;

	*len = 0;
	buf[0] = '\0';
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		errno = ENXIO;
		return -1;
	}
	rc = tty_read(fd, prompt, buf, max, len);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

void xp_os_kill_self(void)
{
	raise(SIGKILL);
}

void xp_os_stop_self(void)
{
	raise(SIGSTOP);
}

int xp_os_log(int prio, const char *msg)
{
	if (prio < LOG_EMERG || prio > LOG_DEBUG) {
		errno = EINVAL;
		return -1;
	}
	/* no LOG_CONS or LOG_PERROR: without a syslog daemon the line is lost, never printed */
	openlog("xpbackup", LOG_PID, LOG_DAEMON);
	syslog(LOG_DAEMON | prio, "%s", msg);
	return 0;
}
