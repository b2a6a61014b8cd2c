#include "config.h"

#include "crypto/secret.h"
#include "base/err.h"
#include "base/str.h"
#include "base/os.h"

#include "../tap.h"
#include "../acl.h"
#include "../rmtree.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32 /* the terminal's checks: a pseudo-terminal, fork */
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#endif

static char dir[] = "/tmp/xpsecret.XXXXXX";

/* err->msg is exactly head followed by tail. */
static void is_msg(const char *msg, const char *head, const char *tail)
{
	char *want = xp_asprintf("%s%s", head, tail);

	is_str(msg, want, "message is \"%s\"", want);
	free(want);
}

static char *put(const char *name, const char *data, size_t len, mode_t mode)
{
	char *path = xp_asprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || xp_os_fchmod(fd, mode) < 0)
		abort();
	close(fd);
	return path;
}

/* Reads a password from a file holding data; returns the code, the password in got. */
static int try_file(const char *data, size_t len, mode_t mode, char **got, size_t *gotlen,
                    struct xp_err *err)
{
	char *path = put("pw", data, len, mode);
	int rc = xp_secret_password(path, NULL, 0, got, gotlen, err);

	free(path);
	return rc;
}

static void files(void)
{
	static const struct {
		const char *in;
		size_t inlen;
		const char *want;
		size_t wantlen;
	} t[] = {
	        {"secret\n", 7, "secret", 6},        {"secret", 6, "secret", 6},
	        {"secret\r\n", 8, "secret", 6},      {"two\n\n", 5, "two", 3},
	        {" spaced \n", 9, " spaced ", 8},    {"a\0b\n", 4, "a\0b", 3},
	        {"first\nsecond\n", 13, "first", 5},
	};
	struct xp_err err;
	char *pw, *path;
	size_t len;
	int rc;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		rc = try_file(t[i].in, t[i].inlen, 0600, &pw, &len, &err);
		is_int(rc, 0, "password file %zu reads", i);
		is_int((int64_t)len, (int64_t)t[i].wantlen, "password file %zu length", i);
		ok(pw && memcmp(pw, t[i].want, t[i].wantlen) == 0 && pw[len] == '\0',
		   "password file %zu content", i);
		xp_secret_free(pw);
	}
	is_int(try_file("", 0, 0600, &pw, &len, &err), XP_EUSAGE, "empty password file refused");
	is_str(err.msg, "empty password refused", "empty password message");
	ok(pw == NULL && len == 0, "no password returned on error");
	is_int(try_file("\n", 1, 0600, &pw, &len, &err), XP_EUSAGE, "lone newline refused");
	path = put("pw", "secret\n", 7, 0600);
	if (loosen(path) < 0)
		abort();
	is_int(xp_secret_password(path, NULL, 0, &pw, &len, &err), XP_EFAIL,
	       "a password file others may read is refused");
	is_msg(err.msg, path, ": " LOOSE_MSG);
	free(path);

	char *big = malloc(XP_SECRET_MAX + 2);
	memset(big, 'x', XP_SECRET_MAX + 1);
	is_int(try_file(big, XP_SECRET_MAX, 0600, &pw, &len, &err), 0, "longest password reads");
	is_int((int64_t)len, XP_SECRET_MAX, "longest password length");
	xp_secret_free(pw);
	is_int(try_file(big, XP_SECRET_MAX + 1, 0600, &pw, &len, &err), XP_EUSAGE,
	       "overlong password refused");
	free(big);

	path = xp_asprintf("%s/missing", dir);
	is_int(xp_secret_password(path, NULL, 0, &pw, &len, &err), XP_ENOENT,
	       "missing password file is XP_ENOENT");
	is_msg(err.msg, path, ": No such file or directory");
	free(path);
}

static void env_and_fd(void)
{
	struct xp_err err;
	char *path, *pw, fdpath[32];
	size_t len;
	int p[2];

	path = put("envpw", "fromenv\n", 8, 0600);
	xp_os_setenv("XP_PASSWORD_FILE", path);
	is_int(xp_secret_password(NULL, NULL, 0, &pw, &len, &err), 0, "XP_PASSWORD_FILE is read");
	is_str(pw, "fromenv", "XP_PASSWORD_FILE content");
	xp_secret_free(pw);
	free(path);
	path = put("optpw", "fromopt\n", 8, 0600);
	is_int(xp_secret_password(path, NULL, 0, &pw, &len, &err), 0, "file wins over env");
	is_str(pw, "fromopt", "file option content");
	xp_secret_free(pw);
	free(path);
	xp_os_unsetenv("XP_PASSWORD_FILE");

#ifdef _WIN32
	skip("/dev/fd/N reads a pipe: Windows has no /dev/fd");
	skip("/dev/fd/N content: Windows has no /dev/fd");
	(void)p;
	(void)fdpath;
	return;
#endif
	if (xp_os_pipe(p) < 0 || write(p[1], "piped\n", 6) != 6)
		abort();
	close(p[1]);
	snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", p[0]);
	is_int(xp_secret_password(fdpath, NULL, 0, &pw, &len, &err), 0, "/dev/fd/N reads a pipe");
	is_str(pw, "piped", "/dev/fd/N content");
	xp_secret_free(pw);
	close(p[0]);
}

#ifndef _WIN32
/* Without a file and without a controlling terminal (a new session has none). */
static void no_tty(void)
{
	int p[2], status = 0;
	char msg[256] = "";
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		struct xp_err err = {0, ""};
		char *pw;
		size_t len;
		int rc;

		close(p[0]);
		setsid();
		unsetenv("XP_PASSWORD_FILE");
		rc = xp_secret_password(NULL, NULL, 0, &pw, &len, &err);
		(void)!write(p[1], err.msg, strlen(err.msg));
		_exit(rc == XP_EUSAGE ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no file and no tty is XP_EUSAGE");
	is_str(msg, "no password: use --password-file or XP_PASSWORD_FILE", "no tty message");
}

/* Reads from the pty master until want has appeared (or the child closed the terminal);
 * appends everything read to seen. */
static int wait_for(int master, const char *want, char *seen, size_t cap)
{
	size_t n = strlen(seen);
	ssize_t r;

	while (!strstr(seen, want) && n + 1 < cap) {
		r = read(master, seen + n, cap - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		seen[n] = '\0';
	}
	return strstr(seen, want) ? 0 : -1;
}

/* Runs xp_secret_password on a new controlling terminal, typing each line after its prompt.
 * Returns the code; the password (or error message) in out, the terminal output in seen. */
static int on_tty(int confirm, const char *line1, const char *line2, char *out, size_t outcap,
                  char *seen, size_t seencap)
{
	int p[2], master, status = 0, rc = -100;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		abort();
	seen[0] = out[0] = '\0';
	pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0)
		abort();
	if (pid == 0) {
		struct xp_err err = {0, ""};
		char *pw = NULL;
		size_t len;
		int code;

		close(p[0]);
		unsetenv("XP_PASSWORD_FILE");
		code = xp_secret_password(NULL, "Prompt: ", confirm, &pw, &len, &err);
		(void)!write(p[1], &code, sizeof code);
		(void)!write(p[1], code ? err.msg : pw, code ? strlen(err.msg) : len);
		xp_secret_free(pw);
		_exit(0);
	}
	close(p[1]);
	if (wait_for(master, "Prompt: ", seen, seencap) == 0 &&
	    write(master, line1, strlen(line1)) == (ssize_t)strlen(line1) && line2 &&
	    wait_for(master, "Repeat password: ", seen, seencap) == 0)
		(void)!write(master, line2, strlen(line2));
	if (read(p[0], &rc, sizeof rc) != sizeof rc)
		rc = -100;
	n = read(p[0], out, outcap - 1);
	out[n > 0 ? n : 0] = '\0';
	wait_for(master, "\n\n\n", seen, seencap); /* drain until the child closes the pty */
	close(p[0]);
	close(master);
	waitpid(pid, &status, 0);
	return rc;
}

/* A signal while echo is off: the process dies of it, and the terminal echoes again. */
static void tty_signal(void)
{
	struct termios t;
	char seen[256] = "";
	int master, status = 0, echo = -1;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);

	if (pid < 0)
		abort();
	if (pid == 0) {
		char *pw;
		size_t len;

		unsetenv("XP_PASSWORD_FILE");
		xp_secret_password(NULL, "Prompt: ", 0, &pw, &len, NULL);
		_exit(0);
	}
	if (wait_for(master, "Prompt: ", seen, sizeof seen) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		if (tcgetattr(master, &t) == 0)
			echo = (t.c_lflag & ECHO) != 0;
	}
	close(master);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "SIGTERM at the prompt kills");
	is_int(echo, 1, "echo is back on after the signal");
}

static void tty(void)
{
	char out[256], seen[1024];

	is_int(on_tty(0, "tty secret\n", NULL, out, sizeof out, seen, sizeof seen), 0,
	       "password from the terminal");
	is_str(out, "tty secret", "terminal password content");
	ok(strstr(seen, "Prompt: ") != NULL, "the prompt is written to the terminal");
	ok(strstr(seen, "tty secret") == NULL, "the password is not echoed");
	is_int(on_tty(1, "twice\n", "twice\n", out, sizeof out, seen, sizeof seen), 0,
	       "confirmed password");
	is_str(out, "twice", "confirmed password content");
	is_int(on_tty(1, "twice\n", "twice!\n", out, sizeof out, seen, sizeof seen), XP_EFAIL,
	       "a confirmation mismatch is a failure, not a usage error");
	is_str(out, "passwords do not match", "mismatch message");
	is_int(on_tty(0, "\n", NULL, out, sizeof out, seen, sizeof seen), XP_EUSAGE,
	       "an empty terminal password is refused");
}

#endif

int main(void)
{
	if (!xp_os_mkdtemp(dir))
		return 1;
	files();
	env_and_fd();
#ifdef _WIN32
	skip("the terminal's prompt: no pseudo-terminal to test it on Windows (no forkpty)");
#else
	no_tty();
	tty();
	tty_signal();
#endif
	char *m = xp_secret_alloc(16);
	ok(m != NULL, "xp_secret_alloc returns memory");
	xp_secret_free(m);
	xp_secret_free(NULL);
	ok(1, "xp_secret_free(NULL) is harmless");
	ok(rm_tree(dir) == 0, "the temporary directory is removed");
	return done_testing();
}
