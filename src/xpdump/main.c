/* xpdump: dump database tables over ODBC as a pax tar stream of CSV chunks. */
#include "config.h"

#include "cli/cli.h"
#include "stream/dump.h"
#include "db/dump-run.h"
#include "db/odbc.h"
#include "db/fetch.h"
#include "crypto/secret.h"
#include "base/err.h"
#include "base/time.h"
#include "base/parse.h"
#include "base/afile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
        "usage: xpdump --dsn CONNSTR | --dsn-file F  -t TABLE[:COL] [-t TABLE[:COL]]...\n"
        "              [--time-column COL] [--max-age D] [--since T] [--until T]\n"
        "              [--exclude T1/T2]... [--isolation snapshot|read-committed]\n"
        "              [--chunk-size N] [-o FILE] [-q]\n"
        "       xpdump --help | --version\n"
        "Writes the tables as a dump stream (pax tar) to standard output or FILE.\n"
        "COL after the table's last colon dates its rows; --time-column COL dates the rest.\n"
        "The connection string may also come from XP_DSN.\n";

struct progress {
	struct timespec t0;
	double last;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show(void *arg, uint64_t rows, uint64_t bytes)
{
	struct progress *p = arg;
	double s = since(&p->t0);

	if (s - p->last < 0.5 && p->last > 0)
		return;
	p->last = s;
	fprintf(stderr, "\r%s: %llu rows, %.1f MB, %.1f MB/s ", xp_progname,
	        (unsigned long long)rows, (double)bytes / 1e6,
	        s > 0 ? (double)bytes / 1e6 / s : 0.0);
}

/* Rows past the legal limit (--max-age): reported, table by table, then exit 4. */
struct older {
	const char *max_age;
	int64_t limit;
	int found;
};

static void report_older(void *arg, const char *table, uint64_t rows, int64_t oldest)
{
	struct older *o = arg;
	char lim[XP_TIME_LEN], old[XP_TIME_LEN];

	xp_time_format(o->limit, lim);
	xp_time_format(oldest, old);
	fprintf(stderr,
	        "%s: table %s: %llu rows past --max-age %s (at or before %s), the oldest from %s: "
	        "not in this dump; the source keeps them longer than the legal limit\n",
	        xp_progname, table, (unsigned long long)rows, o->max_age, lim, old);
	o->found = 1;
}

/* -t TABLE[:COL]: the table, and after its last colon the column that dates its rows (none
 * when empty, so a name with a colon is given with one more). *name is malloc'd. */
static int parse_table(const char *arg, char **name, const char **tcol, struct xp_err *err)
{
	const char *colon = strrchr(arg, ':');

	*tcol = colon && colon[1] ? colon + 1 : NULL;
	*name = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
	if (!*name)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (!**name)
		return xp_err_set(err, XP_EUSAGE, "-t %s: no table name", arg);
	return 0;
}

static int parse_exclude(const char *arg, struct xp_interval *iv, struct xp_err *err)
{
	const char *slash = strchr(arg, '/');
	char *a;
	int rc;

	if (!slash)
		return xp_err_set(err, XP_EUSAGE, "--exclude %s: want T1/T2", arg);
	a = strndup(arg, (size_t)(slash - arg));
	if (!a)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_time_parse(a, &iv->from, err);
	free(a);
	if (!rc)
		rc = xp_time_parse(slash + 1, &iv->to, err);
	if (!rc && iv->from >= iv->to)
		rc = xp_err_set(err, XP_EUSAGE, "--exclude %s: the end is not after the start",
		                arg);
	return rc;
}

int main(int argc, char **argv)
{
	enum {
		OPT_DSN = 256,
		OPT_DSN_FILE,
		OPT_TCOL,
		OPT_MAXAGE,
		OPT_SINCE,
		OPT_UNTIL,
		OPT_EXCL,
		OPT_CHUNK,
		OPT_ISOLATION
	};
	static const struct option opts[] = {
	        {"dsn", required_argument, NULL, OPT_DSN},
	        {"dsn-file", required_argument, NULL, OPT_DSN_FILE},
	        {"table", required_argument, NULL, 't'},
	        {"time-column", required_argument, NULL, OPT_TCOL},
	        {"max-age", required_argument, NULL, OPT_MAXAGE},
	        {"since", required_argument, NULL, OPT_SINCE},
	        {"until", required_argument, NULL, OPT_UNTIL},
	        {"exclude", required_argument, NULL, OPT_EXCL},
	        {"chunk-size", required_argument, NULL, OPT_CHUNK},
	        {"isolation", required_argument, NULL, OPT_ISOLATION},
	        {"output", required_argument, NULL, 'o'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	struct xp_dump_opts o = {0};
	struct xp_interval *excl = NULL;
	char **tables = NULL;
	const char **tcols = NULL;
	const char *dsn = NULL, *dsn_file = NULL, *output = NULL;
	char *dsn_buf = NULL;
	struct xp_afile af = {.fd = -1};
	struct progress prog = {0};
	struct older older = {0};
	int64_t max_age = 0;
	struct xp_err err = {0};
	uint64_t chunk = 0;
	int quiet = 0, c, rc = 0, fd = STDOUT_FILENO;

	xp_progname = "xpdump";
	if (xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	excl = calloc((size_t)argc, sizeof *excl);
	tables = calloc((size_t)argc, sizeof *tables);
	tcols = calloc((size_t)argc, sizeof *tcols);
	if (!excl || !tables || !tcols) {
		rc = xp_err_set(&err, XP_ENOMEM, "out of memory");
		goto out;
	}
	while ((c = xp_cli_getopt(argc, argv, "t:o:qh", opts)) != -1) {
		switch (c) {
		case OPT_DSN: dsn = optarg; break;
		case OPT_DSN_FILE: dsn_file = optarg; break;
		case 't':
			rc = parse_table(optarg, &tables[o.ntables], &tcols[o.ntables], &err);
			o.ntables++;
			break;
		case OPT_TCOL: o.window.time_column = optarg; break;
		case OPT_MAXAGE:
			older.max_age = optarg;
			rc = xp_duration_parse(optarg, &max_age, &err);
			if (!rc && max_age <= 0)
				rc = xp_err_set(&err, XP_EUSAGE, "--max-age %s: not positive",
				                optarg);
			break;
		case OPT_SINCE:
			o.window.has_since = 1;
			rc = xp_time_parse(optarg, &o.window.since, &err);
			break;
		case OPT_UNTIL:
			o.window.has_until = 1;
			rc = xp_time_parse(optarg, &o.window.until, &err);
			break;
		case OPT_EXCL: rc = parse_exclude(optarg, &excl[o.window.nexcl++], &err); break;
		case OPT_CHUNK: rc = xp_size_parse(optarg, &chunk, &err); break;
		case OPT_ISOLATION:
			if (strcmp(optarg, "read-committed") == 0)
				o.read_committed = 1;
			else if (strcmp(optarg, "snapshot") != 0)
				rc = xp_err_set(&err, XP_EUSAGE,
				                "--isolation %s: want snapshot or read-committed",
				                optarg);
			break;
		case 'o': output = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': rc = xp_cli_help(usage_text); goto done;
		case XP_CLI_VERSION: rc = xp_cli_version(); goto done;
		default: rc = XP_EXIT_USAGE; goto done;
		}
		if (rc) {
			rc = xp_usage_error("%s", err.msg);
			goto done;
		}
	}
	if (optind < argc) {
		rc = xp_usage_error("unexpected argument %s", argv[optind]);
		goto done;
	}
	if (!dsn && !dsn_file && getenv("XP_DSN") && *getenv("XP_DSN"))
		dsn = getenv("XP_DSN");
	if (!dsn == !dsn_file || o.ntables == 0) {
		rc = xp_usage_error("%s", o.ntables ? "give one of --dsn, --dsn-file or XP_DSN"
		                                    : "no table (-t TABLE)");
		goto done;
	}
	for (size_t i = 0; i < o.ntables; i++) {
		if (!tcols[i])
			tcols[i] = o.window.time_column;
		if (!tcols[i] &&
		    (o.window.has_since || o.window.has_until || o.window.nexcl || older.max_age)) {
			rc = xp_usage_error(
			        "table %s has no time column for --since, --until, "
			        "--exclude or --max-age (-t %s:COL or --time-column COL)",
			        tables[i], tables[i]);
			goto done;
		}
	}
	if (older.max_age) {
		/* a row of age max-age has reached it (as xpexpire counts): leave it out */
		older.limit = xp_now() - max_age;
		o.has_older_than = 1;
		o.older_than = older.limit + 1;
		o.older = report_older;
		o.older_arg = &older;
		if (!o.window.has_since || o.window.since < o.older_than)
			o.window.since = o.older_than;
		o.window.has_since = 1;
	}
	if (o.window.has_since && o.window.has_until && o.window.since >= o.window.until) {
		rc = xp_usage_error("--until is not after --since");
		goto done;
	}
	if (chunk && (chunk < XP_DUMP_CHUNK_MIN || chunk > XP_DUMP_CHUNK_MAX)) {
		rc = xp_usage_error("--chunk-size: not between %u and %u", XP_DUMP_CHUNK_MIN,
		                    XP_DUMP_CHUNK_MAX);
		goto done;
	}
	if (xp_cli_clear_output(output, &err)) {
		rc = xp_usage_error("%s", err.msg);
		goto done;
	}
	if (dsn_file) {
		rc = xp_cli_dsn_file(dsn_file, &dsn_buf, &err);
		if (rc)
			goto out;
		dsn = dsn_buf;
	}
	o.connstr = dsn;
	o.tables = (const char *const *)tables;
	o.time_columns = tcols;
	o.window.excl = excl;
	o.chunk_size = (size_t)chunk;
	o.output = xp_cli_stdio(output) ? NULL : output;
	if (o.output) {
		/* clear data: never into a FIFO or a file someone else could read it from */
		rc = xp_afile_open_output(&af, output, 0600, &err);
		if (rc)
			goto out;
		fd = af.fd;
		xp_odbc_crash_unlink = af.tmp;
	}
	if (!quiet && isatty(STDERR_FILENO)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.t0);
		o.progress = show;
		o.progress_arg = &prog;
	}
	rc = xp_dump_run(&o, fd, &err);
	if (o.progress)
		fputc('\n', stderr);
	xp_odbc_crash_unlink = NULL;
	if (!rc && af.path)
		rc = xp_afile_commit(&af, &err);
out:
	if (af.path)
		xp_afile_abort(&af);
	rc = rc ? xp_fail(&err) : older.found ? XP_EXIT_WARN : 0;
done:
	xp_cli_dsn_free(dsn_buf);
	free(excl);
	for (size_t i = 0; tables && i < o.ntables; i++)
		free(tables[i]);
	free(tables);
	free(tcols);
	return rc;
}
