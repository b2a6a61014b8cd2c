/* xpdump: dump database tables over ODBC as a pax tar stream of CSV chunks. */
#include "config.h"

#include "cli/cli.h"
#include "stream/dump.h"
#include "db/dump-run.h"
#include "db/fetch.h"
#include "crypto/secret.h"
#include "repo/erase.h"
#include "repo/keys.h"
#include "repo/repo.h"
#include "base/err.h"
#include "base/str.h"
#include "base/time.h"
#include "base/parse.h"
#include "base/afile.h"

#include <errno.h>
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
        "              [--ledger REPO [--password-file F]] [--chunk-size N] [--min-rows N]\n"
        "              [-o FILE] [-q]\n"
        "       xpdump --help | --version\n"
        "Writes the tables as a dump stream (pax tar) to standard output or FILE.\n"
        "COL after the table's last colon dates its rows; --time-column COL dates the rest.\n"
        "--ledger REPO leaves out the rows that the erasure requests of REPO cover (the\n"
        "configuration password unlocks their key).\n"
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

/* A table the driver holds whole in memory (db/odbc.h, warn). */
static void warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s: warning: %s\n", xp_progname, msg);
}

/* The driver crashed while fetching (db/fetch.h): the unfinished output goes. */
static void unlink_temp(void *path)
{
	unlink(path);
}

/* -t TABLE[:COL]: the table, and after its last colon the column that dates its rows (none
 * when empty, so a name with a colon is given with one more). *name is malloc'd. */
static int parse_table(const char *arg, char **name, const char **tcol, struct xp_err *err)
{
	const char *colon = strrchr(arg, ':');

	*tcol = colon && colon[1] ? colon + 1 : NULL;
	*name = colon ? xp_strndup(arg, (size_t)(colon - arg)) : strdup(arg);
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
	a = xp_strndup(arg, (size_t)(slash - arg));
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

enum {
	OPT_DSN = 256,
	OPT_DSN_FILE,
	OPT_TCOL,
	OPT_MAXAGE,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_EXCL,
	OPT_CHUNK,
	OPT_ISOLATION,
	OPT_MINROWS,
	OPT_LEDGER,
	OPT_PWFILE
};

/* The command line, parsed. */
struct args {
	struct xp_dump_opts o; /* what to dump; o.tables and o.time_columns point into tables */
	struct xp_interval *excl;
	char **tables;
	const char **tcols;
	const char *dsn, *dsn_file, *output;
	const char *ledger, *password_file; /* --ledger REPO: its erasure requests apply */
	int64_t max_age;
	uint64_t chunk;
	uint64_t min_rows, rows; /* --min-rows; the rows written */
	int quiet;
	struct older older;
};

static void args_free(struct args *a)
{
	free(a->excl);
	for (size_t i = 0; a->tables && i < a->o.ntables; i++)
		free(a->tables[i]);
	free(a->tables);
	free(a->tcols);
}

/* One option into a: 0, or a library code with err set. */
static int option(struct args *a, int c, const char *arg, struct xp_err *err)
{
	struct xp_dump_opts *o = &a->o;
	int rc = 0;

	switch (c) {
	case OPT_DSN: a->dsn = arg; break;
	case OPT_DSN_FILE: a->dsn_file = arg; break;
	case 't':
		rc = parse_table(arg, &a->tables[o->ntables], &a->tcols[o->ntables], err);
		o->ntables++;
		break;
	case OPT_TCOL: o->window.time_column = arg; break;
	case OPT_MAXAGE:
		a->older.max_age = arg;
		rc = xp_duration_parse(arg, &a->max_age, err);
		if (!rc && a->max_age <= 0)
			rc = xp_err_set(err, XP_EUSAGE, "--max-age %s: not positive", arg);
		break;
	case OPT_SINCE:
		o->window.has_since = 1;
		rc = xp_time_parse(arg, &o->window.since, err);
		break;
	case OPT_UNTIL:
		o->window.has_until = 1;
		rc = xp_time_parse(arg, &o->window.until, err);
		break;
	case OPT_EXCL: rc = parse_exclude(arg, &a->excl[o->window.nexcl++], err); break;
	case OPT_CHUNK: rc = xp_size_parse(arg, &a->chunk, err); break;
	case OPT_ISOLATION:
		if (strcmp(arg, "read-committed") == 0)
			o->read_committed = 1;
		else if (strcmp(arg, "snapshot") != 0)
			rc = xp_err_set(err, XP_EUSAGE,
			                "--isolation %s: want snapshot or read-committed", arg);
		break;
	case OPT_MINROWS: {
		char *end;

		errno = 0;
		a->min_rows = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-')
			rc = xp_err_set(err, XP_EUSAGE, "--min-rows %s: not a count of rows", arg);
		break;
	}
	case OPT_LEDGER: a->ledger = arg; break;
	case OPT_PWFILE: a->password_file = arg; break;
	case 'o': a->output = arg; break;
	case 'q': a->quiet = 1; break;
	}
	return rc;
}

/* What the options say together: each table's time column, the window --max-age leaves,
 * the bounds. 0, or the exit status of a usage error. */
static int check(struct args *a)
{
	struct xp_dump_opts *o = &a->o;

	if (!a->dsn && !a->dsn_file && getenv("XP_DSN") && *getenv("XP_DSN"))
		a->dsn = getenv("XP_DSN");
	if (!a->dsn == !a->dsn_file || o->ntables == 0)
		return xp_usage_error("%s", o->ntables ? "give one of --dsn, --dsn-file or XP_DSN"
		                                       : "no table (-t TABLE)");
	for (size_t i = 0; i < o->ntables; i++) {
		if (!a->tcols[i])
			a->tcols[i] = o->window.time_column;
		if (!a->tcols[i] && (o->window.has_since || o->window.has_until ||
		                     o->window.nexcl || a->older.max_age))
			return xp_usage_error(
			        "table %s has no time column for --since, --until, "
			        "--exclude or --max-age (-t %s:COL or --time-column COL)",
			        a->tables[i], a->tables[i]);
	}
	if (a->older.max_age) {
		/* a row of age max-age has reached it (as xpexpire counts): leave it out */
		a->older.limit = xp_now() - a->max_age;
		o->has_older_than = 1;
		o->older_than = a->older.limit + 1;
		o->older = report_older;
		o->older_arg = &a->older;
		if (!o->window.has_since || o->window.since < o->older_than)
			o->window.since = o->older_than;
		o->window.has_since = 1;
	}
	if (o->window.has_since && o->window.has_until && o->window.since >= o->window.until)
		return xp_usage_error("--until is not after --since");
	if (a->password_file && !a->ledger)
		return xp_usage_error("--password-file applies to --ledger");
	if (a->chunk && (a->chunk < XP_DUMP_CHUNK_MIN || a->chunk > XP_DUMP_CHUNK_MAX))
		return xp_usage_error("--chunk-size: not between %u and %u", XP_DUMP_CHUNK_MIN,
		                      XP_DUMP_CHUNK_MAX);
	return 0;
}

/* Reads the command line into a: -1 to go on, else the exit status (--help, --version, a
 * usage error). */
static int parse(int argc, char **argv, struct args *a)
{
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
	        {"min-rows", required_argument, NULL, OPT_MINROWS},
	        {"ledger", required_argument, NULL, OPT_LEDGER},
	        {"password-file", required_argument, NULL, OPT_PWFILE},
	        {"output", required_argument, NULL, 'o'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        XP_CLI_VERSION_OPTION,
	        {NULL, 0, NULL, 0},
	};
	struct xp_err err = {0};
	int c, rc;

	a->excl = calloc((size_t)argc, sizeof *a->excl);
	a->tables = calloc((size_t)argc, sizeof *a->tables);
	a->tcols = calloc((size_t)argc, sizeof *a->tcols);
	if (!a->excl || !a->tables || !a->tcols) {
		xp_err_set(&err, XP_ENOMEM, "out of memory");
		return xp_fail(&err);
	}
	while ((c = xp_cli_getopt(argc, argv, "t:o:qh", opts)) != -1) {
		if (c == 'h')
			return xp_cli_help(usage_text);
		if (c == XP_CLI_VERSION)
			return xp_cli_version();
		if (c == XP_CLI_BAD)
			return XP_EXIT_USAGE;
		if (option(a, c, optarg, &err))
			return xp_usage_error("%s", err.msg);
	}
	if (optind < argc)
		return xp_usage_error("unexpected argument %s", argv[optind]);
	rc = check(a);
	if (rc)
		return rc;
	if (xp_cli_clear_output(a->output, &err))
		return xp_usage_error("%s", err.msg);
	return -1;
}

static int dump(void *ctx, int out, struct xp_err *err)
{
	return xp_dump_run(ctx, out, err);
}

/* The dump onto fd (named name), through the erasure ledger of a->ledger when given: the rows
 * any of its requests covers are left out (every request is later than the rows the live
 * database still holds) and counted per request on stderr. */
static int dump_through(struct args *a, int fd, const char *name, struct xp_err *err)
{
	struct xp_erase_ledger l = {0};
	struct xp_erase_counts c = {0};
	uint8_t *sk = NULL;
	int rc;

	if (!a->ledger)
		return xp_dump_run(&a->o, fd, err);
	if (!(sk = xp_secret_alloc(XP_KEYS_SK_LEN)))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_erase_unlock(a->ledger, a->password_file, NULL, sk, &l, err)) != 0) {
		xp_err_prefix(err, "--ledger %s", a->ledger);
		goto out;
	}
	l.all = 1;
	rc = xp_erase_through(&l, sk, dump, &a->o, fd, name, &c, err);
	if (rc == 0 && l.n)
		a->rows = c.kept; /* the dump ran in a child: what the filter wrote */
	for (size_t i = 0; rc == 0 && c.rows && i < l.n; i++)
		if (c.rows[i])
			xp_warn("%llu row%s left out by erasure request %s",
			        (unsigned long long)c.rows[i], c.rows[i] == 1 ? "" : "s",
			        l.e[i].ref);
out:
	xp_erase_counts_free(&c);
	xp_erase_ledger_free(&l);
	xp_secret_free(sk);
	return rc;
}

/* Dumps the tables as a says, into -o FILE (complete or not at all) or standard output. */
static int cmd_dump(struct args *a, struct xp_err *err)
{
	struct xp_dump_opts *o = &a->o;
	struct xp_afile af = {.fd = -1};
	struct progress prog = {0};
	char *dsn_buf = NULL;
	int rc = 0, fd = STDOUT_FILENO;

	o->connstr = a->dsn;
	if (a->dsn_file) {
		rc = xp_cli_dsn_file(a->dsn_file, &dsn_buf, err);
		if (rc)
			goto out;
		o->connstr = dsn_buf;
	}
	o->tables = (const char *const *)a->tables;
	o->time_columns = a->tcols;
	o->window.excl = a->excl;
	o->chunk_size = (size_t)a->chunk;
	o->output = xp_cli_stdio(a->output) ? NULL : a->output;
	if (o->output) {
		/* clear data: never into a FIFO or a file someone else could read it from */
		rc = xp_afile_open_output(&af, a->output, 0600, err);
		if (rc)
			goto out;
		fd = af.fd;
		o->on_crash = unlink_temp;
		o->crash_arg = af.tmp;
	}
	if (!a->quiet && isatty(STDERR_FILENO)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.t0);
		o->progress = show;
		o->progress_arg = &prog;
	}
	o->warn = warn;
	o->rows = &a->rows;
	rc = dump_through(a, fd, o->output, err);
	if (o->progress)
		fputc('\n', stderr);
	if (!rc && af.path)
		rc = xp_afile_commit(&af, err);
	/* The stream is whole, yet a source that yields (almost) nothing is more likely the
	 * wrong database, or one emptied, than a quiet night: say so with a failure. */
	if (!rc && a->rows < a->min_rows)
		rc = xp_err_set(err, XP_EFAIL,
		                "%llu rows dumped, fewer than --min-rows %llu: is this the right "
		                "database? (the dump%s%s is complete)",
		                (unsigned long long)a->rows, (unsigned long long)a->min_rows,
		                o->output ? " in " : "", o->output ? o->output : "");
out:
	if (af.path)
		xp_afile_abort(&af);
	xp_cli_dsn_free(dsn_buf);
	return rc;
}

int main(int argc, char **argv)
{
	struct xp_err err = {0};
	struct args a = {0};
	int rc;

	xp_progname = "xpdump";
	if (xp_cli_args(&argc, &argv, &err) != 0 || xp_cli_stdfds(&err) != 0 ||
	    xp_secret_no_core(&err) != 0)
		return xp_fail(&err);
	rc = parse(argc, argv, &a);
	if (rc < 0) {
		rc = cmd_dump(&a, &err);
		/* rows past --max-age were left out and reported: the dump is whole, exit 4 */
		rc = rc ? xp_fail(&err) : a.older.found ? XP_EXIT_WARN : XP_EXIT_OK;
	}
	args_free(&a);
	return rc;
}
