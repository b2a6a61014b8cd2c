#include "config.h"

#include "secret.h"
#include "util.h"

#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0)
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
	        {"secret\n", 7, "secret", 6},     {"secret", 6, "secret", 6},
	        {"secret\r\n", 8, "secret", 6},   {"two\n\n", 5, "two\n", 4},
	        {" spaced \n", 9, " spaced ", 8}, {"a\0b\n", 4, "a\0b", 3},
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
	is_int(try_file("secret\n", 7, 0640, &pw, &len, &err), XP_EFAIL,
	       "group-readable password file refused");
	path = xp_asprintf("%s/pw", dir);
	is_msg(err.msg, path, ": password file is accessible by group or others (chmod 600)");
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
	setenv("XP_PASSWORD_FILE", path, 1);
	is_int(xp_secret_password(NULL, NULL, 0, &pw, &len, &err), 0, "XP_PASSWORD_FILE is read");
	is_str(pw, "fromenv", "XP_PASSWORD_FILE content");
	xp_secret_free(pw);
	free(path);
	path = put("optpw", "fromopt\n", 8, 0600);
	is_int(xp_secret_password(path, NULL, 0, &pw, &len, &err), 0, "file wins over env");
	is_str(pw, "fromopt", "file option content");
	xp_secret_free(pw);
	free(path);
	unsetenv("XP_PASSWORD_FILE");

	if (pipe(p) < 0 || write(p[1], "piped\n", 6) != 6)
		abort();
	close(p[1]);
	snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", p[0]);
	is_int(xp_secret_password(fdpath, NULL, 0, &pw, &len, &err), 0, "/dev/fd/N reads a pipe");
	is_str(pw, "piped", "/dev/fd/N content");
	xp_secret_free(pw);
	close(p[0]);
}

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

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	files();
	env_and_fd();
	no_tty();
	char *m = xp_secret_alloc(16);
	ok(m != NULL, "xp_secret_alloc returns memory");
	xp_secret_free(m);
	xp_secret_free(NULL);
	ok(1, "xp_secret_free(NULL) is harmless");
	char *cmd = xp_asprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	free(cmd);
	return done_testing();
}
