/* xprestore: load a dump stream into a database over ODBC. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"
#include "secret.h"
#include "util.h"

/* A connection string file may hold a password: read it, keep it no longer than needed. */
#define DSN_FILE_MAX 65536

static void usage(FILE *f)
{
	fprintf(f, "usage: xprestore --dsn CONNSTR [--create] [-i FILE] [-q]\n"
	           "       xprestore --dsn-file FILE [--create] [-i FILE] [-q]\n"
	           "\n"
	           "Loads a dump stream (from xpdump or xpseal open) into a database, in one\n"
	           "transaction committed only when the stream is complete and intact.\n"
	           "\n"
	           "  --dsn CONNSTR      ODBC connection string or DSN name (no password here)\n"
	           "  --dsn-file FILE    read the connection string from FILE instead\n"
	           "  --create           create the tables first, types mapped for the database\n"
	           "  -i, --input FILE   read the stream from FILE (default: stdin)\n"
	           "  -q, --quiet        no progress or summary on stderr\n"
	           "  -h, --help         this help\n");
}

static void progress(void *arg, const char *table, uint64_t rows)
{
	(void)arg;
	fprintf(stderr, "\r%s: %s: %llu rows loaded", xp_progname, table, (unsigned long long)rows);
}

static void zero_free(char *s)
{
	if (s) {
		volatile char *v = s;

		while (*v)
			*v++ = '\0';
		free(s);
	}
}

static int read_dsn_file(const char *path, char **out, struct xp_err *err)
{
	size_t len = 0;
	int rc;

	rc = xp_file_read(path, DSN_FILE_MAX, out, &len, err);
	if (rc)
		return rc;
	while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	if (!len) {
		zero_free(*out);
		*out = NULL;
		return xp_err_set(err, XP_EUSAGE, "%s: empty connection string", path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"dsn", required_argument, NULL, 'd'},
	        {"dsn-file", required_argument, NULL, 'D'},
	        {"create", no_argument, NULL, 'c'},
	        {"input", required_argument, NULL, 'i'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct xp_load_opts o = {0};
	struct xp_load_stats st;
	struct xp_err err = {0};
	const char *dsn = NULL, *dsn_file = NULL, *input = NULL;
	char *connstr = NULL;
	int quiet = 0, fd = STDIN_FILENO, ch, status;

	xp_progname = "xprestore";
	if (xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	while ((ch = getopt_long(argc, argv, "i:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': dsn = optarg; break;
		case 'D': dsn_file = optarg; break;
		case 'c': o.create = 1; break;
		case 'i': input = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return XP_EXIT_OK;
		default: return xp_usage_error("unknown option");
		}
	}
	if (optind < argc)
		return xp_usage_error("unexpected argument: %s", argv[optind]);
	if (!dsn == !dsn_file)
		return xp_usage_error("give exactly one of --dsn and --dsn-file");
	if (input && strcmp(input, "-") != 0) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			xp_err_sys(&err, XP_EFAIL, "%s", input);
			return xp_fail(&err);
		}
	} else if (isatty(STDIN_FILENO)) {
		return xp_usage_error("will not read a dump stream from a terminal (use -i FILE)");
	}
	if (dsn_file) {
		if (read_dsn_file(dsn_file, &connstr, &err)) {
			status = xp_fail(&err);
			goto out;
		}
		o.connstr = connstr;
	} else {
		o.connstr = dsn;
	}
	if (!quiet && isatty(STDERR_FILENO))
		o.progress = progress;
	if (xp_load_run(&o, fd, &st, &err)) {
		if (o.progress)
			fputc('\n', stderr);
		status = xp_fail(&err);
		goto out;
	}
	if (o.progress)
		fputc('\n', stderr);
	if (!quiet)
		fprintf(stderr, "%s: %llu rows loaded into %zu table%s\n", xp_progname,
		        (unsigned long long)st.rows, st.tables, st.tables == 1 ? "" : "s");
	status = XP_EXIT_OK;
out:
	zero_free(connstr);
	if (fd != STDIN_FILENO)
		close(fd);
	return status;
}
