/* The tools' shared front end: messages, option errors, --help and --version, "-", terminals,
 * the connection-string file. */
#include "config.h"

#include "cli/cli.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

/* A connection string file is one line; anything this large is not one. */
#define DSN_FILE_MAX 65536

static __attribute__((format(XP_PRINTF, 1, 0))) void vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", xp_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void xp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

int xp_fail(const struct xp_err *err)
{
	fprintf(stderr, "%s: %s\n", xp_progname, err->msg[0] ? err->msg : "failed");
	return xp_exit_status(err->code ? err->code : XP_EFAIL);
}

int xp_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", xp_progname);
	return XP_EXIT_USAGE;
}

/* The command-line word getopt_long just refused: the option as typed, without "=value". */
static void refused(char *const argv[], int before, char *buf, size_t size)
{
	/* An unknown letter inside a cluster ("-xq") leaves optind on that word. */
	const char *word = argv[optind > before ? optind - 1 : optind];

	if (strncmp(word, "--", 2) == 0)
		snprintf(buf, size, "%.*s", (int)strcspn(word, "="), word);
	else
		snprintf(buf, size, "-%c", optopt);
}

int xp_cli_getopt(int argc, char *const argv[], const char *shortopts,
                  const struct option *longopts)
{
	char spec[128], name[64];
	int before = optind, c;

	/* A leading ':' makes a missing argument ':' rather than '?'. */
	snprintf(spec, sizeof spec, ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	refused(argv, before, name, sizeof name);
	if (c == ':')
		xp_usage_error("option %s needs an argument", name);
	else if (name[1] == '-' && optopt)
		xp_usage_error("option %s takes no argument", name);
	else
		xp_usage_error("unknown option %s", name);
	return XP_CLI_BAD;
}

int xp_cli_version(void)
{
	printf("%s (%s) %s\n", xp_progname, PACKAGE_NAME, PACKAGE_VERSION);
	return fflush(stdout) == 0 ? XP_EXIT_OK : XP_EXIT_FAIL;
}

int xp_cli_help(const char *text)
{
	fputs(text, stdout);
	return fflush(stdout) == 0 ? XP_EXIT_OK : XP_EXIT_FAIL;
}

int xp_cli_flush_stdout(struct xp_err *err)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return xp_err_set(err, XP_EFAIL, "standard output: %s", strerror(errno ? errno : EIO));
}

int xp_cli_stdfds(struct xp_err *err)
{
	int fd, got, rc = 0;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO && rc == 0; fd++) {
		if (xp_os_fd_open(fd))
			continue;
		/* the lower ones are open, so open(2) gives this number */
		got = open(XP_OS_DEVNULL, fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
		if (got < 0)
			rc = xp_err_sys(err, XP_EFAIL, "%s", XP_OS_DEVNULL);
		else if (got != fd)
			rc = xp_err_set(err, XP_EFAIL,
			                "standard stream %d closed and cannot be held", fd);
		if (got >= 0 && got != fd)
			close(got);
	}
	if (rc == 0 && xp_os_stdio_binary() != 0)
		rc = xp_err_sys(err, XP_EFAIL, "standard streams");
	return rc;
}

int xp_cli_args(int *argc, char ***argv, struct xp_err *err)
{
	return xp_os_args(argc, argv) != 0 ? xp_err_sys(err, XP_EFAIL, "arguments") : 0;
}

int xp_cli_stdio(const char *name)
{
	return !name || strcmp(name, "-") == 0;
}

int xp_cli_clear_output(const char *output, struct xp_err *err)
{
	if (xp_cli_stdio(output) && isatty(STDOUT_FILENO))
		return xp_err_set(err, XP_EUSAGE,
		                  "not writing clear data to a terminal; use -o FILE or a pipe");
	return 0;
}

void xp_cli_dsn_free(char *connstr)
{
	if (connstr) {
		sodium_memzero(connstr, strlen(connstr));
		free(connstr);
	}
}

int xp_cli_dsn_file(const char *path, char **connstr, struct xp_err *err)
{
	char *buf = NULL;
	size_t len;
	ssize_t n;
	int fd, rc;

	*connstr = NULL;
	rc = xp_secret_file_open(path, &fd, NULL, err);
	if (rc)
		return rc;
	buf = calloc(1, DSN_FILE_MAX + 2);
	if (!buf) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	n = xp_read_full(fd, buf, DSN_FILE_MAX + 1);
	if (n < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	if (n > DSN_FILE_MAX) {
		rc = xp_err_set(err, XP_EFAIL, "%s: larger than %d bytes", path, DSN_FILE_MAX);
		goto out;
	}
	/* Only the first line counts; what follows is wiped. */
	len = strcspn(buf, "\r\n");
	sodium_memzero(buf + len, (size_t)n - len);
	if (len == 0) {
		rc = xp_err_set(err, XP_EUSAGE, "%s: empty connection string", path);
		goto out;
	}
	*connstr = buf;
	buf = NULL;
out:
	if (buf) {
		sodium_memzero(buf, DSN_FILE_MAX + 2);
		free(buf);
	}
	close(fd);
	return rc;
}

const char *xp_repo_path(const char *opt)
{
	const char *env;

	if (opt && *opt)
		return opt;
	env = getenv("XP_REPO");
	return env && *env ? env : NULL;
}
