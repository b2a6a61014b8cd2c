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

int main(int argc, char **argv)
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
	struct xp_load_opts o = {0};
	struct xp_load_stats st;
	struct xp_err err = {0};
	const char *dsn = NULL, *dsn_file = NULL, *input = NULL;
	char *connstr = NULL;
	int quiet = 0, fd = STDIN_FILENO, ch, status;

	xp_progname = "xprestore";
	if (xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	while ((ch = xp_cli_getopt(argc, argv, "i:qh", longopts)) != -1) {
		switch (ch) {
		case 'd': dsn = optarg; break;
		case 'D': dsn_file = optarg; break;
		case 'c': o.create = 1; break;
		case 'k': o.skip_key = optarg; break;
		case 'i': input = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return xp_cli_help(usage_text);
		case XP_CLI_VERSION: return xp_cli_version();
		default: return XP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return xp_usage_error("unexpected argument: %s", argv[optind]);
	if (!dsn == !dsn_file)
		return xp_usage_error("give exactly one of --dsn and --dsn-file");
	if (!xp_cli_stdio(input)) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			xp_err_sys(&err, XP_EFAIL, "%s", input);
			return xp_fail(&err);
		}
	} else if (isatty(STDIN_FILENO)) {
		return xp_usage_error("will not read a dump stream from a terminal (use -i FILE)");
	}
	if (dsn_file) {
		if (xp_cli_dsn_file(dsn_file, &connstr, &err)) {
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
	if (!quiet && o.skip_key)
		fprintf(stderr,
		        "%s: %llu rows loaded into %zu table%s, %llu skipped (%s already there)\n",
		        xp_progname, (unsigned long long)st.rows, st.tables,
		        st.tables == 1 ? "" : "s", (unsigned long long)st.skipped, o.skip_key);
	else if (!quiet)
		fprintf(stderr, "%s: %llu rows loaded into %zu table%s\n", xp_progname,
		        (unsigned long long)st.rows, st.tables, st.tables == 1 ? "" : "s");
	status = XP_EXIT_OK;
out:
	xp_cli_dsn_free(connstr);
	if (fd != STDIN_FILENO)
		close(fd);
	return status;
}
