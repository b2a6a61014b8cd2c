#include "config.h"

#include "cli/cli.h"
#include "base/err.h"
#include "base/io.h"
#include "base/str.h"
#include "base/os.h"

#include "../tap.h"
#include "../acl.h"
#include "../rmtree.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/xpcli.XXXXXX";

static char *put(const char *name, const char *data, size_t len, mode_t mode)
{
	char *path = xp_asprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || xp_os_fchmod(fd, mode) < 0)
		abort();
	close(fd);
	return path;
}

/* The one rule for secret files, and its one message. */
static void secret_rule(void)
{
	static const struct {
		mode_t mode;
		const char *says;
	} t[] = {
	        {0644, "readable by others (mode 0644)"},
	        {0604, "readable by others (mode 0604)"},
	        {0640, "readable by group (mode 0640)"},
	        {0642, "readable by group (mode 0642)"},
	        {0602, "writable by others (mode 0602)"},
	        {0620, "writable by group (mode 0620)"},
	        {0601, "executable by others (mode 0601)"},
	        {0610, "executable by group (mode 0610)"},
	};
	struct xp_err err;
	struct stat st;
	char *path = NULL, *want;
	int fd;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
#ifdef _WIN32
		printf("ok %d # SKIP mode %04o: Windows has no group and other mode bits (the DACL "
		       "is "
		       "checked below)\n",
		       ++tap_n, (unsigned)t[i].mode);
		continue;
#endif
		free(path);
		path = put("secret", "x\n", 2, t[i].mode);
		fd = 7;
		is_int(xp_secret_file_open(path, &fd, &st, &err), XP_EFAIL, "mode %04o is refused",
		       (unsigned)t[i].mode);
		want = xp_asprintf("%s: %s; " XP_OS_PRIVATE_HINT, path, t[i].says);
		is_str(err.msg, want, "mode %04o: the message names who", (unsigned)t[i].mode);
		is_int(fd, -1, "mode %04o: no descriptor is left open", (unsigned)t[i].mode);
		free(want);
	}
	free(path);
	path = put("secret", "x\n", 2, 0600);
	fd = 7;
	if (loosen(path) < 0)
		abort();
	is_int(xp_secret_file_open(path, &fd, &st, &err), XP_EFAIL,
	       "a file others may read is refused");
	want = xp_asprintf("%s: " LOOSE_MSG, path);
	is_str(err.msg, want, "the message names who and how to make it private");
	is_int(fd, -1, "no descriptor is left open");
	free(want);
	free(put("secret", "x\n", 2, 0600));
	ok(xp_secret_file_open(path, &fd, &st, &err) == 0 && fd >= 0 && st.st_size == 2,
	   "mode 0600 opens");
	close(fd);
	free(put("secret", "x\n", 2, 0400));
	ok(xp_secret_file_open(path, &fd, NULL, &err) == 0, "mode 0400 opens");
	close(fd);
	free(path);
	path = xp_asprintf("%s/missing", dir);
	is_int(xp_secret_file_open(path, &fd, NULL, &err), XP_ENOENT, "a missing file: XP_ENOENT");
	free(path);
	ok(xp_secret_file_open(XP_OS_DEVNULL, &fd, NULL, &err) == 0, "a device is not checked");
	close(fd);
}

/* xp_cli_dsn_file: the first line of a file only its owner may read. */
static void dsn_files(void)
{
	struct xp_err err;
	char *s = NULL, *path, *want;

	path = put("dsn", "DSN=x;PWD=p\r\nsecond line\n", 25, 0600);
	is_int(xp_cli_dsn_file(path, &s, &err), 0, "connection string file reads");
	is_str(s, "DSN=x;PWD=p", "its first line, without \"\\r\\n\"");
	xp_cli_dsn_free(s);
	free(put("dsn", "DSN=x", 5, 0600));
	is_int(xp_cli_dsn_file(path, &s, &err), 0, "a file without a newline reads");
	is_str(s, "DSN=x", "all of it");
	xp_cli_dsn_free(s);
	free(put("dsn", "DSN=x\n", 6, 0600));
	if (loosen(path) < 0)
		abort();
	is_int(xp_cli_dsn_file(path, &s, &err), XP_EFAIL, "a file others may read is refused");
	want = xp_asprintf("%s: " LOOSE_MSG, path);
	is_str(err.msg, want, "with the secret-file rule's message");
	free(want);
	ok(s == NULL, "and nothing is returned");
	free(put("dsn", "\nDSN=x\n", 7, 0600));
	is_int(xp_cli_dsn_file(path, &s, &err), XP_EUSAGE, "an empty first line is refused");
	want = xp_asprintf("%s: empty connection string", path);
	is_str(err.msg, want, "as an empty connection string");
	free(want);
	ok(s == NULL, "and nothing is returned");
	free(path);
	path = xp_asprintf("%s/missing", dir);
	is_int(xp_cli_dsn_file(path, &s, &err), XP_ENOENT, "a missing file fails");
	want = xp_asprintf("%s: No such file or directory", path);
	is_str(err.msg, want, "naming it");
	free(want);
	free(path);
	xp_cli_dsn_free(NULL);
}

static void stdio_names(void)
{
	ok(xp_cli_stdio(NULL) && xp_cli_stdio("-"), "no name and \"-\" mean standard input/output");
	ok(!xp_cli_stdio("./-") && !xp_cli_stdio("--") && !xp_cli_stdio(""),
	   "\"./-\", \"--\" and \"\" are names");
}

int main(void)
{
	if (!xp_os_mkdtemp(dir))
		return 1;
	secret_rule();
	dsn_files();
	stdio_names();
	ok(rm_tree(dir) == 0, "the temporary directory is removed");
	return done_testing();
}
