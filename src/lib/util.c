#include "config.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

const char *xp_progname = "xpbackup";

static __attribute__((format(printf, 3, 0))) void vset(struct xp_err *err, int code,
                                                       const char *fmt, va_list ap)
{
	if (!err)
		return;
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int xp_err_set(struct xp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int xp_err_sys(struct xp_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(saved));
	}
	errno = saved;
	return code;
}

void xp_err_prefix(struct xp_err *err, const char *fmt, ...)
{
	char head[256];
	size_t hl, ml, room = sizeof err->msg - 1;
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(head, sizeof head - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	hl = strlen(head);
	memcpy(head + hl, ": ", 3);
	hl += 2;
	ml = strlen(err->msg);
	if (hl + ml > room)
		ml = room - hl;
	memmove(err->msg + hl, err->msg, ml);
	memcpy(err->msg, head, hl);
	err->msg[hl + ml] = '\0';
}

int xp_exit_status(int code)
{
	switch (code) {
	case XP_OK: return XP_EXIT_OK;
	case XP_EUSAGE: return XP_EXIT_USAGE;
	case XP_EINTEGRITY:
	case XP_EAUTH: return XP_EXIT_INTEGRITY;
	default: return XP_EXIT_FAIL;
	}
}

/* Howard Hinnant's civil-date algorithms: exact for every proleptic Gregorian date. */
int64_t xp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void xp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

int xp_time_parse(const char *s, int64_t *out, struct xp_err *err)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 1;

	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				goto bad;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					goto bad;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			goto bad;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				goto bad;
			if (*p == ':')
				p++;
			if (*p && digits(&p, 2, &om))
				goto bad;
			if (oh > 23 || om > 59)
				goto bad;
		}
	}
	if (*p)
		goto bad;
	*out = xp_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return xp_err_set(err, XP_EUSAGE, "%s: not an ISO-8601 time (e.g. 2026-11-24T03:00:00Z)",
	                  s ? s : "(null)");
}

void xp_time_format(int64_t t, char buf[XP_TIME_LEN])
{
	int64_t days = t / 86400, rem = t % 86400, y;
	unsigned m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	xp_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(buf, XP_TIME_LEN, "%s",
		         y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
		return;
	}
	snprintf(buf, XP_TIME_LEN, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
	         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

int64_t xp_now(void)
{
	const char *fake = getenv("XP_NOW");
	int64_t t;

	/* Tests and rehearsals move the clock; a bad value is ignored rather than trusted. */
	if (fake && *fake && xp_time_parse(fake, &t, NULL) == 0)
		return t;
	return (int64_t)time(NULL);
}

int xp_duration_parse(const char *s, int64_t *seconds, struct xp_err *err)
{
	const char *p = s;
	int64_t total = 0;

	if (!s || !*s)
		goto bad;
	while (*p) {
		int64_t n = 0, unit;

		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9') {
			if (n > INT64_MAX / 10 - 10)
				goto bad;
			n = n * 10 + (*p++ - '0');
		}
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		case 'y': unit = 365 * 86400; break;
		default: goto bad;
		}
		if (n > (INT64_MAX - total) / unit)
			goto bad;
		total += n * unit;
	}
	*seconds = total;
	return 0;
bad:
	return xp_err_set(err, XP_EUSAGE,
	                  "%s: not a duration (NUMBER and unit s, m, h, d, w or y, e.g. 90d)",
	                  s ? s : "(null)");
}

int xp_size_parse(const char *s, uint64_t *out, struct xp_err *err)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	default: goto bad;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		goto bad;
	*out = (uint64_t)v << shift;
	return 0;
bad:
	return xp_err_set(err, XP_EUSAGE, "%s: not a size (e.g. 4M)", s ? s : "(null)");
}

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
	struct stat st;
	long max = XP_PIPE_SIZE;
	FILE *f;

	if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || fcntl(fd, F_GETPIPE_SZ) >= max)
		return;
	if (fcntl(fd, F_SETPIPE_SZ, (int)max) >= 0)
		return;
	/* above the limit for users without CAP_SYS_RESOURCE: take the limit */
	f = fopen("/proc/sys/fs/pipe-max-size", "re");
	if (f && fscanf(f, "%ld", &max) == 1 && max > fcntl(fd, F_GETPIPE_SZ) && max < XP_PIPE_SIZE)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)max);
	if (f)
		fclose(f);
}

int xp_fd_read(int fd, const char *name, size_t max, char **buf, size_t *len, struct xp_err *err)
{
	char *b = malloc(max + 1);
	ssize_t n;
	int rc;

	if (!b)
		return xp_err_set(err, XP_ENOMEM, "%s: out of memory", name);
	n = xp_read_full(fd, b, max + 1);
	if (n < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", name);
		goto out;
	}
	if ((size_t)n > max) {
		rc = xp_err_set(err, XP_EFAIL, "%s: larger than %zu bytes", name, max);
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	b = NULL;
	if (len)
		*len = (size_t)n;
	rc = 0;
out:
	free(b);
	return rc;
}

int xp_file_read(const char *path, size_t max, char **buf, size_t *len, struct xp_err *err)
{
	int fd, rc;

	/* O_NONBLOCK: a FIFO without a writer is read as empty instead of waited on. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
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
	int rc = 0;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	if (fstat(*fd, &sb) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else if (S_ISREG(sb.st_mode) && (sb.st_mode & 077))
		rc = xp_err_set(err, XP_EFAIL, "%s: %s (mode %04o); chmod 600 it", path,
		                exposure(sb.st_mode), (unsigned)(sb.st_mode & 07777));
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
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof buf)
		return xp_err_set(err, XP_EFAIL, "%s: bad directory name", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return xp_err_sys(err, XP_EFAIL, "%s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return xp_err_sys(err, XP_EFAIL, "%s", buf);
	return 0;
}

int xp_fsync_dir(const char *path, struct xp_err *err)
{
	char buf[PATH_MAX];
	struct stat st;
	const char *dir = path;
	int fd, rc = 0;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (strlen(path) >= sizeof buf)
			return xp_err_set(err, XP_EFAIL, "%s: name too long", path);
		strcpy(buf, path);
		dir = dirname(buf);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return xp_err_sys(err, XP_EFAIL, "%s", dir);
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", dir);
	close(fd);
	return rc;
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

	/* O_NONBLOCK: opening a FIFO never waits for its other end; it is refused below. */
	f = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
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
	else if (fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	if (rc)
		close(f);
	else
		*fd = f;
	return rc;
}

/* The temp file beside path, or (in_place) path itself opened for writing. */
static int afile_start(struct xp_afile *af, const char *path, mode_t mode, int in_place,
                       struct xp_err *err)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	int rc = 0;

	af->fd = -1;
	af->tmp = NULL;
	af->path = strdup(path);
	if (!af->path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (in_place) {
		af->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (af->fd < 0)
			rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	af->tmp = xp_asprintf("%.*s.%s.tmp.XXXXXX", dirlen, path, slash ? slash + 1 : path);
	if (!af->tmp) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		free(af->tmp);
		af->tmp = NULL;
		goto out;
	}
	if (fchmod(af->fd, mode) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s: chmod", path);
out:
	if (rc)
		xp_afile_abort(af);
	return rc;
}

int xp_afile_open(struct xp_afile *af, const char *path, mode_t mode, struct xp_err *err)
{
	struct stat st;

	af->fd = -1;
	af->tmp = af->path = NULL;
	/* lstat: a link is replaced by the rename, never followed. A character device
	 * (/dev/null) is written in place: renaming over it would replace the node. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		if (!S_ISCHR(st.st_mode))
			return xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s)", path,
			                  xp_file_kind(st.st_mode));
		return afile_start(af, path, mode, 1, err);
	}
	return afile_start(af, path, mode, 0, err);
}

int xp_afile_open_output(struct xp_afile *af, const char *path, mode_t mode, struct xp_err *err)
{
	struct stat st, link;

	af->fd = -1;
	af->tmp = af->path = NULL;
	if (lstat(path, &link) < 0)
		return errno == ENOENT ? afile_start(af, path, mode, 0, err)
		                       : xp_err_sys(err, XP_EFAIL, "%s", path);
	if (stat(path, &st) < 0)
		st = link; /* a dangling link: replaced */
	if (S_ISCHR(st.st_mode))
		return afile_start(af, path, mode, 1, err);
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s): refused", path,
		                  xp_file_kind(st.st_mode));
	if (link.st_uid != geteuid() || st.st_uid != geteuid())
		return xp_err_set(
		        err, XP_EFAIL, "%s: owned by another user (uid %lu): refused", path,
		        (unsigned long)(link.st_uid != geteuid() ? link.st_uid : st.st_uid));
	return afile_start(af, path, mode, 0, err);
}

int xp_afile_commit(struct xp_afile *af, struct xp_err *err)
{
	int rc;

	if (!af->tmp) { /* written in place: nothing to rename */
		rc = close(af->fd) < 0 ? xp_err_sys(err, XP_EFAIL, "%s: close", af->path) : 0;
		af->fd = -1;
		xp_afile_abort(af);
		return rc;
	}
	if (fsync(af->fd) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", af->path);
		goto fail;
	}
	/* Renamed while still open: an flock(2) its writer holds on it (a seal's) lasts until
	 * the temp name is gone, so no one takes it for a leftover in between. */
	xp_fault_point("rename");
	if (rename(af->tmp, af->path) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: rename", af->path);
		goto fail;
	}
	free(af->tmp);
	af->tmp = NULL;
	rc = close(af->fd) < 0 ? xp_err_sys(err, XP_EFAIL, "%s: close", af->path) : 0;
	af->fd = -1;
	if (rc == 0)
		rc = xp_fsync_dir(af->path, err);
	free(af->path);
	af->path = NULL;
	return rc;
fail:
	xp_afile_abort(af);
	return rc;
}

void xp_afile_abort(struct xp_afile *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
	af->tmp = af->path = NULL;
}

int xp_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                         struct xp_err *err)
{
	struct xp_afile af;
	int rc;

	rc = xp_afile_open(&af, path, mode, err);
	if (rc)
		return rc;
	rc = xp_write_all(af.fd, buf, len, err);
	if (rc) {
		xp_err_prefix(err, "%s", path);
		xp_afile_abort(&af);
		return rc;
	}
	return xp_afile_commit(&af, err);
}

void xp_fault_point(const char *what)
{
#ifdef XP_FAULT_INJECTION
	static long count;
	const char *at = getenv("XP_FAULT_AT");
	const char *trace = getenv("XP_FAULT_TRACE");
	const char *stop = getenv("XP_FAULT_STOP");

	count++;
	if (trace && *trace)
		fprintf(stderr, "%s: fault point %ld: %s\n", xp_progname, count, what);
	if (at && *at && strtol(at, NULL, 10) == count)
		raise(SIGKILL);
	if (stop && *stop && strtol(stop, NULL, 10) == count)
		raise(SIGSTOP); /* the test changes the repository, then sends SIGCONT */
#else
	(void)what;
#endif
}

const char *xp_repo_path(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	env = getenv("XP_REPO");
	return env && *env ? env : NULL;
}

void xp_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digit[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digit[in[i] >> 4];
		out[2 * i + 1] = digit[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xp_unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

char *xp_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

void xp_json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int xp_base64_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	size_t got = 0;
	const char *end;

	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(alphabet, s[i]))
			return -1;
	if (sodium_base642bin(out, want, s, len, NULL, &got, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == want && end == s + len ? 0 : -1;
}
