/* xprestore: load a dump stream into a database over ODBC. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "db/load.h"
#include "crypto/secret.h"
#include "base/err.h"
#include "base/os.h"

static const char usage_text[] =
        "usage: xprestore --dsn CONNSTR [--create] [--skip-existing COL] [-i FILE] [-q]\n"
        "       xprestore --dsn-file FILE [--create] [--skip-existing COL] [-i FILE] [-q]\n"
        "\n"
        "Loads a dump stream (from xpdump or xpseal open) into a database, in one\n"
        "transaction committed only when the stream is complete and intact.\n"
        "\n"
        "  --dsn CONNSTR      ODBC connection string or DSN name (no password here)\n"
        "  --dsn-file FILE    read the connection string from FILE instead (mode 0600)\n"
        "  --create           create the tables first, types mapped for the database\n"
        "  --skip-existing COL  leave out rows whose COL value the table already holds\n"
        "  -i, --input FILE   read the stream from FILE (default: stdin)\n"
        "  -q, --quiet        no progress or summary on stderr\n"
        "  -h, --help         this help\n" XP_CLI_VERSION_HELP;

static void progress(void *arg, const char *table, uint64_t rows)
{
	(void)arg;
	fprintf(stderr, "\r%s: %s: %llu rows loaded", xp_progname, table, (unsigned long long)rows);
}

/* The command line, parsed. */
struct args {
	struct xp_load_opts o;
	const char *dsn, *dsn_file, *input;
	int quiet;
};

/* Reads the command line into a: -1 to go on, else the exit status (--help, --version, a
 * usage error). */
static int parse(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
	        {"dsn", required_argument, NULL, 'd'},
	        {"dsn-file", required_argument, NULL, 'D'},
	        {"create", no_argument, NULL, 'c'},
	        {"skip-existing", required_argument, NULL, 'k'},
	        {"input", required_argument, NULL, 'i'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = xp_cli_getopt(argc, argv, "i:qh", longopts)) != -1) {
		switch (ch) {
		case 'd': a->dsn = optarg; break;
		case 'D': a->dsn_file = optarg; break;
		case 'c': a->o.create = 1; break;
		case 'k': a->o.skip_key = optarg; break;
		case 'i': a->input = optarg; break;
		case 'q': a->quiet = 1; break;
		case 'h': return xp_cli_help(usage_text);
		case XP_CLI_VERSION: return xp_cli_version();
		default: return XP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return xp_usage_error("unexpected argument: %s", argv[optind]);
	if (!a->dsn == !a->dsn_file)
		return xp_usage_error("give exactly one of --dsn and --dsn-file");
	if (xp_cli_stdio(a->input) && isatty(STDIN_FILENO))
		return xp_usage_error("will not read a dump stream from a terminal (use -i FILE)");
	return -1;
}

/* Loads the dump stream (standard input or -i FILE) into the database, in one transaction. */
static int cmd_restore(struct args *a, struct xp_err *err)
{
	struct xp_load_opts *o = &a->o;
	struct xp_load_stats st;
	char *connstr = NULL;
	int fd = STDIN_FILENO, rc;

	if (!xp_cli_stdio(a->input)) {
		fd = xp_os_open(a->input, O_RDONLY, 0);
		if (fd < 0)
			return xp_err_sys(err, XP_EFAIL, "%s", a->input);
	}
	o->connstr = a->dsn;
	if (a->dsn_file) {
		rc = xp_cli_dsn_file(a->dsn_file, &connstr, err);
		if (rc)
			goto out;
		o->connstr = connstr;
	}
	if (!a->quiet && isatty(STDERR_FILENO))
		o->progress = progress;
	rc = xp_load_run(o, fd, &st, err);
	if (o->progress)
		fputc('\n', stderr);
	if (rc || a->quiet)
		goto out;
	if (o->skip_key)
		fprintf(stderr,
		        "%s: %llu rows loaded into %zu table%s, %llu skipped (%s already there)\n",
		        xp_progname, (unsigned long long)st.rows, st.tables,
		        st.tables == 1 ? "" : "s", (unsigned long long)st.skipped, o->skip_key);
	else
		fprintf(stderr, "%s: %llu rows loaded into %zu table%s\n", xp_progname,
		        (unsigned long long)st.rows, st.tables, st.tables == 1 ? "" : "s");
out:
	xp_cli_dsn_free(connstr);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct xp_err err = {0};
	struct args a = {0};
	int rc;

	xp_progname = "xprestore";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = cmd_restore(&a, &err);
	return rc ? xp_fail(&err) : XP_EXIT_OK;
}
