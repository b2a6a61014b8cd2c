#include "config.h"

#include "base/io.h"
#include "base/err.h"
#include "base/os.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int xp_write_all(int fd, const void *buf, size_t len, struct xp_err *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return xp_err_sys(err, XP_EFAIL, "write");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t xp_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

void xp_pipe_grow(int fd)
{
	xp_os_pipe_grow(fd, XP_PIPE_SIZE);
}

/* The buffer grows as the bytes come (from the file's size when it has one), never to more than
 * max + 1 bytes: a reader allowed a gigabyte asks for what the file holds, not for the gigabyte
 * (Windows commits what malloc gives; a small server would refuse it). */
int xp_fd_read(int fd, const char *name, size_t max, char **buf, size_t *len, struct xp_err *err)
{
	struct stat st;
	size_t cap = 64 * 1024, got = 0;
	char *b = NULL, *nb;
	ssize_t n;
	int rc;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < max)
		cap = (size_t)st.st_size + 1 > cap ? (size_t)st.st_size + 1 : cap;
	for (;;) {
		if (cap > max + 1)
			cap = max + 1;
		if (!(nb = realloc(b, cap + 1))) {
			rc = xp_err_set(err, XP_ENOMEM, "%s: out of memory", name);
			goto out;
		}
		b = nb;
		n = xp_read_full(fd, b + got, cap - got);
		if (n < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "%s", name);
			goto out;
		}
		got += (size_t)n;
		if (got > max) {
			rc = xp_err_set(err, XP_EFAIL, "%s: larger than %zu bytes", name, max);
			goto out;
		}
		if (got < cap)
			break;
		cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
	}
	b[got] = '\0';
	*buf = b;
	b = NULL;
	if (len)
		*len = got;
	rc = 0;
out:
	free(b);
	return rc;
}

int xp_file_read(const char *path, size_t max, char **buf, size_t *len, struct xp_err *err)
{
	int fd, rc;

	/* O_NONBLOCK: a FIFO without a writer is read as empty instead of waited on. */
	fd = xp_os_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	if (xp_os_set_blocking(fd) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else
		rc = xp_fd_read(fd, path, max, buf, len, err);
	close(fd);
	return rc;
}

int xp_file_read_optional(const char *path, size_t max, char **buf, size_t *len, struct xp_err *err)
{
	struct xp_err e = {0};
	int rc;

	*buf = NULL;
	if (len)
		*len = 0;
	rc = xp_file_read(path, max, buf, len, &e);
	if (rc == XP_ENOENT)
		return 0;
	if (rc && err)
		*err = e;
	return rc;
}

/* Who may do what with a secret file, worst first: reading leaks the secret, writing lets
 * another user put their own in. */
static const char *exposure(mode_t m)
{
	if (m & S_IROTH)
		return "readable by others";
	if (m & S_IRGRP)
		return "readable by group";
	if (m & S_IWOTH)
		return "writable by others";
	if (m & S_IWGRP)
		return "writable by group";
	return m & S_IXOTH ? "executable by others" : "executable by group";
}

int xp_secret_file_open(const char *path, int *fd, struct stat *st, struct xp_err *err)
{
	struct stat sb;
	mode_t open_to;
	int rc = 0;

	*fd = xp_os_open(path, O_RDONLY | O_NOCTTY, 0);
	if (*fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	if (fstat(*fd, &sb) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else if (S_ISREG(sb.st_mode) && (open_to = xp_os_exposure(*fd, &sb)))
		/* the mode as POSIX has it; on Windows the owner's bits and what the ACL exposes */
		rc = xp_err_set(err, XP_EFAIL, "%s: %s (mode %04o); " XP_OS_PRIVATE_HINT, path,
		                exposure(open_to), (unsigned)((sb.st_mode & 07700) | open_to));
	if (rc) {
		close(*fd);
		*fd = -1;
	} else if (st) {
		*st = sb;
	}
	return rc;
}

int xp_mkdirs(const char *path, mode_t mode, struct xp_err *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path), root;

	if (n == 0 || n >= sizeof buf)
		return xp_err_set(err, XP_EFAIL, "%s: bad directory name", path);
	memcpy(buf, path, n + 1);
	/* Each name after the root ("/"; Windows also a drive or a share) is made in turn. */
	root = xp_os_path_root(buf);
	if (root == n)
		return 0;
	for (char *p = buf + root + 1; *p; p++) {
		char sep = *p;

		if (!xp_os_path_sep((unsigned char)sep))
			continue;
		*p = '\0';
		if (xp_os_mkdir(buf, mode) < 0 && errno != EEXIST)
			return xp_err_sys(err, XP_EFAIL, "%s", buf);
		*p = sep;
	}
	if (xp_os_mkdir(buf, mode) < 0 && errno != EEXIST)
		return xp_err_sys(err, XP_EFAIL, "%s", buf);
	return 0;
}

int xp_fsync_dir(const char *path, struct xp_err *err)
{
	char buf[PATH_MAX];
	struct stat st;
	const char *dir = path;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (strlen(path) >= sizeof buf)
			return xp_err_set(err, XP_EFAIL, "%s: name too long", path);
		strcpy(buf, path);
		dir = dirname(buf);
	}
	if (xp_os_fsync_dir(dir) < 0)
		return xp_err_sys(err, XP_EFAIL, "%s: fsync", dir);
	return 0;
}

const char *xp_file_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISSOCK(m))
		return "a socket";
	return S_ISREG(m) ? "a regular file" : "not a regular file";
}

int xp_open_regular(const char *path, int flags, int *fd, struct xp_err *err)
{
	struct stat st;
	int f, rc = 0;

	/* O_NONBLOCK: opening a FIFO never waits for its other end; it is refused below.
	 * xp_os_open: on Windows the UTF-8 name, and a rename over the file while it is open. */
	f = xp_os_open(path, flags | O_NONBLOCK | O_NOCTTY, 0);
	if (f < 0 && errno == ENXIO && stat(path, &st) == 0)
		return xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s)", path,
		                  xp_file_kind(st.st_mode));
	if (f < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	if (fstat(f, &st) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else if (!S_ISREG(st.st_mode))
		rc = xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s)", path,
		                xp_file_kind(st.st_mode));
	else if (xp_os_set_blocking(f) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	if (rc)
		close(f);
	else
		*fd = f;
	return rc;
}
