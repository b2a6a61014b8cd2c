/* Passwords from a file, a descriptor or the terminal, kept only in sodium_malloc memory. */
#include "config.h"

#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

void *xp_secret_alloc(size_t n)
{
	return sodium_malloc(n);
}

void xp_secret_free(void *p)
{
	if (p)
		sodium_free(p);
}

/* Reads at most XP_SECRET_MAX bytes up to end of file into buf (XP_SECRET_MAX + 2 bytes). */
static int read_secret_fd(int fd, const char *name, char *buf, size_t *len, struct xp_err *err)
{
	ssize_t n = xp_read_full(fd, buf, XP_SECRET_MAX + 1);

	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "%s", name);
	if ((size_t)n > XP_SECRET_MAX)
		return xp_err_set(err, XP_EUSAGE, "%s: password longer than %d bytes", name,
		                  XP_SECRET_MAX);
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Drops one trailing "\n" or "\r\n". */
static void chomp(char *buf, size_t *len)
{
	if (*len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	if (*len > 0 && buf[*len - 1] == '\r')
		buf[--*len] = '\0';
}

static int read_file(const char *path, char *buf, size_t *len, struct xp_err *err)
{
	struct stat st;
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return read_secret_fd(STDIN_FILENO, "stdin", buf, len, err);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
	/* A regular file others can read leaks the password; pipes and descriptors are the
	 * caller's own plumbing, so only regular files are checked. */
	if (fstat(fd, &st) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	} else if (S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		rc = xp_err_set(err, XP_EFAIL,
		                "%s: password file is accessible by group or others (chmod 600)",
		                path);
	} else {
		rc = read_secret_fd(fd, path, buf, len, err);
	}
	close(fd);
	return rc;
}

/* Prompts on the terminal with echo off and reads one line. */
static int read_tty(int fd, const char *prompt, char *buf, size_t *len, struct xp_err *err)
{
	struct termios old, quiet;
	size_t n = 0;
	int rc = 0, restored = 0;
	char c;

	if (tcgetattr(fd, &old) < 0)
		return xp_err_sys(err, XP_EFAIL, "/dev/tty");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (xp_write_all(fd, prompt, strlen(prompt), err) < 0)
		return XP_EFAIL;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0)
		return xp_err_sys(err, XP_EFAIL, "/dev/tty");
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "/dev/tty");
			break;
		}
		if (r == 0 || c == '\n')
			break;
		if (n >= XP_SECRET_MAX) {
			rc = xp_err_set(err, XP_EUSAGE, "password longer than %d bytes",
			                XP_SECRET_MAX);
			break;
		}
		buf[n++] = c;
	}
	c = 0;
	buf[n] = '\0';
	*len = n;
	if (tcsetattr(fd, TCSAFLUSH, &old) == 0)
		restored = 1;
	(void)!write(fd, "\n", 1);
	if (!restored && rc == 0)
		rc = xp_err_sys(err, XP_EFAIL, "/dev/tty: cannot restore echo");
	return rc;
}

static int from_tty(const char *prompt, int confirm, char *buf, size_t *len, struct xp_err *err)
{
	char *again = NULL;
	size_t againlen = 0;
	int fd, rc;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return xp_err_set(err, XP_EUSAGE,
		                  "no password: use --password-file or XP_PASSWORD_FILE");
	rc = read_tty(fd, prompt ? prompt : "Password: ", buf, len, err);
	if (rc == 0 && confirm && *len > 0) {
		again = xp_secret_alloc(XP_SECRET_MAX + 2);
		if (!again)
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		else
			rc = read_tty(fd, "Repeat password: ", again, &againlen, err);
		if (rc == 0 && (againlen != *len || sodium_memcmp(again, buf, *len) != 0))
			rc = xp_err_set(err, XP_EUSAGE, "passwords do not match");
	}
	xp_secret_free(again);
	close(fd);
	return rc;
}

int xp_secret_password(const char *file, const char *prompt, int confirm, char **pw, size_t *len,
                       struct xp_err *err)
{
	const char *env = getenv("XP_PASSWORD_FILE");
	char *buf;
	size_t n = 0;
	int rc;

	*pw = NULL;
	*len = 0;
	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	buf = xp_secret_alloc(XP_SECRET_MAX + 2);
	if (!buf)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (file && *file)
		rc = read_file(file, buf, &n, err);
	else if (env && *env)
		rc = read_file(env, buf, &n, err);
	else
		rc = from_tty(prompt, confirm, buf, &n, err);
	if (rc)
		goto out;
	chomp(buf, &n);
	if (n == 0) {
		rc = xp_err_set(err, XP_EUSAGE, "empty password refused");
		goto out;
	}
	*pw = buf;
	*len = n;
	buf = NULL;
out:
	xp_secret_free(buf);
	return rc;
}
