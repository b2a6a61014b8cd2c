/* xpbackup-job: the nightly backup of an audit-log database, for cron, a systemd timer or Task
 * Scheduler. Reads a KEY=value configuration (parsed, never executed), checks everything the
 * run needs, takes a lock so runs never overlap, pipes xpdump into xpseal, which seals only a
 * complete dump, verifies the new backup, copies it to the configured copy targets, applies
 * the retention policy, syncs the vault copies and checks the whole repository. One log line
 * per step on stderr and to syslog. See xpbackup-job(8). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "base/io.h"
#include "base/os.h"
#include "cli/cli.h"

#define PROG       "xpbackup-job"
#define CONFIG_MAX (1 << 20)

struct args {
	const char *config, *argv0;
	int quiet, check;
};

/* The format of the usage: the default configuration file's directory goes in. */
static const char usage_text[] =
        "usage: xpbackup-job [-q] [-c CONFIG] [--check]\n"
        "\n"
        "Dumps the configured tables, seals the dump into the repository, verifies\n"
        "the new backup, copies it to the COPY_TO targets, applies the retention\n"
        "policy and syncs the VAULT_COPIES; one run at a time.\n"
        "Everything the run needs is checked first; a problem stops it before the dump.\n"
        "\n"
        "  -c CONFIG   the configuration file (default %s/xpbackup.conf)\n"
        "  -q          quiet: print nothing unless the run fails or warns (for cron's mail)\n"
        "  --check     check the configuration and everything it names, then stop\n"
        "  -h, --help  this help\n"
        "  --version   the version\n";

volatile sig_atomic_t job_stop;
static const char *volatile stop_what;
struct xp_proc job_dump;

static void usage(FILE *f)
{
	fprintf(f, usage_text, xp_os_config_dir());
}

void job_say(struct job *j, const char *text)
{
	if (j->quiet) {
		xp_sbuf_puts(&j->held, text);
		xp_sbuf_add(&j->held, "\n", 1);
	} else {
		fprintf(stderr, "%s\n", text);
	}
}

void job_log(struct job *j, int prio, const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	if ((line = xp_asprintf(PROG ": %s", msg)) != NULL)
		job_say(j, line);
	if (job_conf_syslog(&j->c))
		xp_os_log(prio, msg);
	free(line);
	free(msg);
}

int job_die(struct job *j, int status, const char *fmt, ...)
{
	va_list ap;

	if (j->status)
		return j->status;
	va_start(ap, fmt);
	if (vasprintf(&j->msg, fmt, ap) < 0)
		j->msg = NULL;
	va_end(ap);
	j->status = status;
	return status;
}

int job_stopped(struct job *j)
{
	int sig = job_stop;

	return sig ? job_die(j, 128 + sig, "stopped by %s", stop_what ? stop_what : "a signal") : 0;
}

/* A stop request (a signal; on Windows Ctrl+C, Ctrl+Break or the console closing: os.h
 * xp_os_on_stop) stops the dump at once (xpseal, seeing its input end early, then seals
 * nothing); a step that verifies or expires is left to finish, as it journals what it does. */
static void on_stop(int sig, const char *what)
{
	if (!job_stop) {
		stop_what = what;
		job_stop = sig;
	}
	xp_proc_term(&job_dump);
}

char *job_user(void)
{
	return xp_os_user_name();
}

int job_rmtree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (xp_os_lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!(sub = xp_asprintf("%s/%s", path, e->d_name)) || job_rmtree(sub) < 0)
			rc = -1;
		free(sub);
	}
	closedir(d);
	return rmdir(path) < 0 ? -1 : rc;
}

/* The file may hold a connection string and decides what runs as the administrator: it must
 * belong to the administrator (root; Windows SYSTEM or Administrators) or to the user running
 * the job, and no one else may write it (xp_os_exposure: on Windows, its DACL). */
static int read_config(struct job *j)
{
	struct stat st;
	struct xp_err err = {0};
	char *text = NULL, *user = NULL, *owner = NULL;
	size_t len = 0;
	mode_t exposed;
	int rc = 0, fd = -1;

	if (stat(j->config, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = job_die(j, 2, "%s: no such configuration file", j->config);
		goto out;
	}
	if (access(j->config, R_OK) < 0 || (fd = xp_os_open(j->config, O_RDONLY, 0)) < 0) {
		rc = job_die(j, 2, "%s: not readable", j->config);
		goto out;
	}
	if (!xp_os_owned_by_admin(j->config, &st) && !xp_os_owned(j->config, &st)) {
		user = job_user();
		owner = xp_os_owner_name(j->config, &st);
		rc = job_die(j, 2, "%s: owned by %s, not by " XP_OS_ADMIN_NAME " or %s", j->config,
		             owner ? owner : "another user", user ? user : "?");
		goto out;
	}
	if ((exposed = xp_os_exposure(fd, &st)) & 022) {
		rc = job_die(j, 2, "%s: writable by group or others (mode %o)", j->config,
		             (unsigned)((st.st_mode & 07700) | exposed));
		goto out;
	}
	if (xp_file_read(j->config, CONFIG_MAX, &text, &len, &err) != 0) {
		rc = job_die(j, 2, "%s", err.msg);
		goto out;
	}
	if (job_conf_parse(&j->c, j->config, text, len, &err) != 0 ||
	    job_conf_check(&j->c, j->config, getenv("TMPDIR"), &err) != 0)
		rc = job_die(j, xp_exit_status(err.code), "%s", err.msg);
out:
	if (fd >= 0)
		close(fd);
	free(owner);
	free(user);
	free(text);
	return rc;
}

/* One run at a time. The lock file is in the repository by default, where others may write:
 * a link planted there is never followed (it would create or open a file elsewhere as this
 * user), a FIFO never waited on; and the file opened must still be the one checked. */
static int take_lock(struct job *j)
{
	const char *lock = j->c.v[K_LOCK];
	struct stat st;
	struct timespec tick = {0, 100 * 1000 * 1000};
	time_t until = time(NULL) + (time_t)j->c.lock_wait;
	int rc = 0;

	if (xp_os_lstat(lock, &st) == 0 && !S_ISREG(st.st_mode)) {
		rc = job_die(j, 1, "%s: not a regular file (a link, FIFO or device): refused",
		             lock);
		goto out;
	}
	j->lock_fd = xp_os_open_nofollow(lock, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, 0600);
	if (j->lock_fd < 0 && errno == ELOOP) {
		rc = job_die(j, 1, "%s: replaced while being opened: refused", lock);
		goto out;
	}
	if (j->lock_fd < 0) {
		rc = job_die(j, 1, "%s: cannot open the lock file", lock);
		goto out;
	}
	if (xp_os_same_file(j->lock_fd, AT_FDCWD, lock) != 1 ||
	    (fstat(j->lock_fd, &st) == 0 && !S_ISREG(st.st_mode))) {
		rc = job_die(j, 1, "%s: replaced while being opened: refused", lock);
		goto out;
	}
	while (xp_os_lock(j->lock_fd, XP_LOCK_EX | XP_LOCK_NB) < 0) {
		if ((rc = job_stopped(j)) != 0)
			goto out;
		if (time(NULL) >= until) {
			rc = job_die(j, 1, "%s: another run holds the lock (waited %ss)", lock,
			             j->c.v[K_LOCK_WAIT]);
			goto out;
		}
		nanosleep(&tick, NULL);
	}
out:
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Under the lock no other run is alive, so any work directory left in WORK_DIR was left by a
 * run that was killed outright: removed. Then this run's own. */
static int make_work(struct job *j)
{
	const char *dir = j->c.v[K_WORK_DIR];
	char **names = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	while (d && (e = readdir(d)) != NULL) {
		char **more;

		if (strncmp(e->d_name, "xpbackup-job.", 13) != 0)
			continue;
		if (!(more = realloc(names, (n + 1) * sizeof *names)))
			break;
		names = more;
		if ((names[n] = xp_asprintf("%s/%s", dir, e->d_name)) != NULL)
			n++;
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (xp_os_lstat(names[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    xp_os_owned(names[i], &st)) {
			job_rmtree(names[i]);
			job_log(j, XP_LOG_WARNING, "removed %s left by an interrupted run",
			        names[i]);
		}
	}
	if (!(j->work = xp_asprintf("%s/xpbackup-job.XXXXXX", dir)) || !xp_os_mkdtemp(j->work)) {
		free(j->work);
		j->work = NULL;
		rc = job_die(j, 1, "%s: cannot create a work directory", dir);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* What a run leaves: no dump running, no work directory, the lock released. */
static void cleanup(struct job *j)
{
	int status;

	if (job_dump.running) {
		xp_proc_term(&job_dump);
		xp_proc_wait(&job_dump, -1, &status, NULL);
	}
	if (j->work)
		job_rmtree(j->work);
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	j->lock_fd = -1;
}

static int cmd_job(const struct args *a)
{
	struct job j = {.config = a->config, .quiet = a->quiet, .lock_fd = -1};
	int rc;

	umask(077);
	xp_os_on_stop(on_stop);
	j.start = time(NULL);
	j.self_dir = xp_proc_self_dir(a->argv0);
	if ((rc = read_config(&j)) != 0 || (rc = job_stopped(&j)) != 0)
		goto out;
	if ((rc = job_preflight(&j)) != 0 || (rc = job_stopped(&j)) != 0)
		goto out;
	if (a->check) {
		char *ready = xp_asprintf(PROG ": %s: ready (repository, keys, files, work "
		                               "directory, space, tools %s)",
		                          j.config, PACKAGE_VERSION);

		if (ready)
			job_say(&j, ready);
		free(ready);
		goto out;
	}
	/* the configuration, not the environment, names the repository, DSN and password */
	xp_os_unsetenv("XP_REPO");
	xp_os_unsetenv("XP_PASSWORD_FILE");
	xp_os_unsetenv("XP_DSN");
	if (job_conf_get(&j.c, K_SIGNING_KEY))
		xp_os_setenv("XP_SIGNING_KEY", j.c.v[K_SIGNING_KEY]);
	if ((rc = take_lock(&j)) != 0 || (rc = make_work(&j)) != 0)
		goto out;
	rc = job_run(&j);
out:
	cleanup(&j);
	if (j.status) {
		j.quiet = 0;
		if (j.held.len)
			fwrite(j.held.p, 1, j.held.len, stderr);
		job_log(&j, XP_LOG_ERR, "%s", j.msg ? j.msg : "out of memory");
		rc = j.status;
	}
	for (size_t i = 0; i < T_COUNT; i++)
		free(j.bin[i]);
	for (size_t i = 0; i < j.ntargets; i++) {
		free(j.targets[i].name);
		free(j.targets[i].jur);
	}
	free(j.targets);
	for (size_t i = 0; i < j.nnew; i++)
		free(j.new_ids[i]);
	free(j.new_ids);
	free(j.id);
	free(j.now);
	free(j.warn);
	free(j.copy_warn);
	free(j.step_msg);
	free(j.msg);
	free(j.work);
	free(j.self_dir);
	xp_sbuf_free(&j.held);
	xp_sbuf_free(&j.vault_failed);
	job_conf_free(&j.c);
	return rc;
}

/* "xpbackup-job: BEFORE WHAT AFTER" and the usage on stderr: status 2. */
static int usage_error(const char *before, const char *what, const char *after)
{
	fprintf(stderr, PROG ": %s%s%s\n", before, what, after);
	usage(stderr);
	return XP_EXIT_USAGE;
}

/* The shell script's command line, kept: long options anywhere, then -c, -q, -h as getopts
 * takes them (bundled, -cFILE), no operand. */
static int parse_args(int argc, char **argv, struct args *a, char **rest)
{
	static char default_config[4096];
	int n = 0, i;

	snprintf(default_config, sizeof default_config, "%s/xpbackup.conf", xp_os_config_dir());
	a->config = default_config;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			a->check = 1;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			return xp_cli_version();
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			rest[n++] = "-c";
			rest[n++] = argv[i] + 9;
		} else if (strcmp(argv[i], "--quiet") == 0) {
			rest[n++] = "-q";
		} else if (strncmp(argv[i], "--", 2) == 0) {
			return usage_error("unknown option ", argv[i], "");
		} else {
			rest[n++] = argv[i];
		}
	}
	for (i = 0; i < n && rest[i][0] == '-' && rest[i][1]; i++) {
		for (const char *o = rest[i] + 1; *o; o++) {
			char opt[2] = {*o, '\0'};

			if (*o == 'q') {
				a->quiet = 1;
			} else if (*o == 'h') {
				usage(stdout);
				return 0;
			} else if (*o == 'c') {
				if (o[1]) {
					a->config = o + 1;
				} else if (i + 1 < n) {
					a->config = rest[++i];
				} else {
					return usage_error("-", opt, " needs an argument");
				}
				break;
			} else {
				return usage_error("-", opt, ": unknown option");
			}
		}
	}
	if (i < n) {
		usage(stderr);
		return XP_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct xp_err err = {0};
	char **rest;
	int rc;

	xp_progname = PROG;
	if (xp_cli_stdfds(&err) != 0)
		return xp_fail(&err);
	if (!(rest = calloc((size_t)argc * 2 + 1, sizeof *rest)))
		return XP_EXIT_FAIL;
	rc = parse_args(argc, argv, &a, rest);
	a.argv0 = argv[0];
	if (rc < 0)
		rc = cmd_job(&a);
	free(rest);
	return rc;
}
