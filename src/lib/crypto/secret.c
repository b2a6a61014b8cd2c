/* Passwords from a file, a descriptor or the terminal, kept only in sodium_malloc memory. */
#include "config.h"

#include "crypto/secret.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

int xp_secret_no_core(struct xp_err *err)
{
	if (xp_os_no_core() < 0)
		return xp_err_sys(err, XP_EFAIL, "cannot turn core dumps off");
	return 0;
}

void *xp_secret_alloc(size_t n)
{
	/* sodium_malloc before sodium_init aborts; init is cheap once done. */
	if (sodium_init() < 0)
		return NULL;
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

/* Keeps the first line, without its "\n" or "\r\n"; what follows is wiped. */
static void first_line(char *buf, size_t *len)
{
	char *nl = memchr(buf, '\n', *len);

	if (nl) {
		sodium_memzero(nl, *len - (size_t)(nl - buf));
		*len = (size_t)(nl - buf);
	}
	if (*len > 0 && buf[*len - 1] == '\r')
		buf[--*len] = '\0';
}

static int read_file(const char *path, char *buf, size_t *len, struct xp_err *err)
{
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return read_secret_fd(STDIN_FILENO, "stdin", buf, len, err);
	rc = xp_secret_file_open(path, &fd, NULL, err);
	if (rc)
		return rc;
	rc = read_secret_fd(fd, path, buf, len, err);
	close(fd);
	return rc;
}

/* One line from the terminal, echo off; failures named for the person at it. */
static int read_tty(const char *prompt, char *buf, size_t *len, struct xp_err *err)
{
	if (xp_os_tty_password(prompt, buf, XP_SECRET_MAX, len) == 0)
		return 0;
	if (errno == ENXIO)
		return xp_err_set(err, XP_EUSAGE,
		                  "no password: use --password-file or XP_PASSWORD_FILE");
	if (errno == EMSGSIZE)
		return xp_err_set(err, XP_EUSAGE, "password longer than %d bytes", XP_SECRET_MAX);
	return xp_err_sys(err, XP_EFAIL, "terminal");
}

static int from_tty(const char *prompt, int confirm, char *buf, size_t *len, struct xp_err *err)
{
	char *again = NULL;
	size_t againlen = 0;
	int rc;

	rc = read_tty(prompt ? prompt : "Password: ", buf, len, err);
	if (rc == 0 && confirm && *len > 0) {
		again = xp_secret_alloc(XP_SECRET_MAX + 2);
		if (!again)
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		else
			rc = read_tty("Repeat password: ", again, &againlen, err);
		if (rc == 0 && (againlen != *len || sodium_memcmp(again, buf, *len) != 0))
			rc = xp_err_set(err, XP_EFAIL, "passwords do not match");
	}
	xp_secret_free(again);
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
	first_line(buf, &n);
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
