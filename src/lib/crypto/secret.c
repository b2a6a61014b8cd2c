/* Passwords from a file, a descriptor or the terminal, kept only in sodium_malloc memory. */
#include "config.h"

#include "crypto/secret.h"
#include "base/err.h"
#include "base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

int xp_secret_no_core(struct xp_err *err)
{
	const struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return xp_err_sys(err, XP_EFAIL, "setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return xp_err_sys(err, XP_EFAIL, "prctl(PR_SET_DUMPABLE)");
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

/* Prompts on the terminal with echo off and reads one line into buf (XP_SECRET_MAX + 2). */
static int read_tty(int fd, const char *prompt, char *buf, size_t *len, struct xp_err *err)
{
	struct sigaction sa, old_sa[sizeof tty_signals / sizeof tty_signals[0]];
	struct termios quiet;
	size_t n = 0, i;
	int rc = 0;
	char c;

	if (tcgetattr(fd, &tty_saved) < 0)
		return xp_err_sys(err, XP_EFAIL, "/dev/tty");
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
		rc = xp_err_sys(err, XP_EFAIL, "/dev/tty");
		goto out;
	}
	rc = xp_write_all(fd, prompt, strlen(prompt), err);
	while (rc == 0) {
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
	if (tcsetattr(fd, TCSAFLUSH, &tty_saved) < 0 && rc == 0)
		rc = xp_err_sys(err, XP_EFAIL, "/dev/tty: cannot turn echo back on");
	(void)!write(fd, "\n", 1);
out:
	tty_fd = -1;
	for (i = 0; i < sizeof tty_signals / sizeof tty_signals[0]; i++)
		sigaction(tty_signals[i], &old_sa[i], NULL);
	buf[n] = '\0';
	*len = n;
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
			rc = xp_err_set(err, XP_EFAIL, "passwords do not match");
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
