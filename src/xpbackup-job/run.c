/* The steps of a run, from the dump to the check of the whole repository: each tool started
 * with its messages kept in the work directory (and said), its status deciding what follows. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "base/io.h"
#include "base/os.h"
#include "base/parse.h"
#include "repo/repo.h"

#define OUT_MAX (64 << 20)

/* A command line being built; every string is owned. */
struct cmd {
	char **v;
	size_t n, cap;
	int failed;
};

static void add(struct cmd *c, const char *s)
{
	if (c->failed || c->n + 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **v = c->failed ? NULL : realloc(c->v, cap * sizeof *v);

		if (!v) {
			c->failed = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	if (!(c->v[c->n] = strdup(s))) {
		c->failed = 1;
		return;
	}
	c->v[++c->n] = NULL;
}

/* Adds each blank-separated word of s. */
static void add_words(struct cmd *c, const char *before, const char *s)
{
	char *copy = strdup(s), *save = NULL;

	if (!copy) {
		c->failed = 1;
		return;
	}
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (before)
			add(c, before);
		add(c, w);
	}
	free(copy);
}

static void cmd_free(struct cmd *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	memset(c, 0, sizeof *c);
}

static char *work_file(struct job *j, const char *name)
{
	return xp_asprintf("%s/%s", j->work, name);
}

/* A new file name in the work directory for a tool's output; -1 when it cannot be made. */
static int open_out(struct job *j, const char *name)
{
	char *path = work_file(j, name);
	int fd = path ? xp_os_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;

	free(path);
	return fd;
}

/* What the work file name holds, without its trailing line ends (the shell's $(cat ...)); ""
 * when it is empty or missing. The caller frees it. */
static char *slurp(struct job *j, const char *name)
{
	char *path = work_file(j, name), *text = NULL;
	size_t len = 0;

	if (!path || xp_file_read(path, OUT_MAX, &text, &len, NULL) != 0)
		text = strdup("");
	free(path);
	/* a Windows tool's standard error is text: its lines end in CR LF */
	if (text && memchr(text, '\r', len)) {
		size_t o = 0;

		for (size_t i = 0; i < len; i++)
			if (text[i] != '\r' || (i + 1 < len && text[i + 1] != '\n'))
				text[o++] = text[i];
		text[len = o] = '\0';
	}
	while (text && len && text[len - 1] == '\n')
		text[--len] = '\0';
	return text;
}

/* The last line of text. */
static const char *last_line(const char *text)
{
	const char *nl = strrchr(text, '\n');

	return nl ? nl + 1 : text;
}

/* How many lines of text start with head (or "") and end with tail (or ""), and, with both
 * given and mid, hold mid between them. */
static size_t count_lines(const char *text, const char *head, const char *mid, const char *tail)
{
	size_t n = 0;

	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l), hl = strlen(head),
		       tl = strlen(tail);

		if (len >= hl + tl && memcmp(l, head, hl) == 0 &&
		    memcmp(l + len - tl, tail, tl) == 0) {
			if (!mid) {
				n++;
			} else {
				char *line = xp_strndup(l, len);

				n += line && strstr(line + hl, mid) != NULL;
				free(line);
			}
		}
		if (!end)
			break;
		l = end + 1;
	}
	return n;
}

/* "status N", or "killed by SIGNAME, status N" for a tool a signal ended. */
static void status_text(int rc, char *buf, size_t size)
{
	if (rc > 128 && rc < 160) {
		const char *name = xp_os_signame(rc - 128);

		if (name)
			snprintf(buf, size, "killed by SIG%s, status %d", name, rc);
		else
			snprintf(buf, size, "killed by signal %d, status %d", rc - 128, rc);
	} else {
		snprintf(buf, size, "status %d", rc);
	}
}

/* Runs one step: c with its standard output in the work file out and its standard error in
 * NAME.err, which is said; sets j->step_rc and j->step_msg (its last message). 0, or the
 * run's status when it cannot start or a signal stopped the job. */
static int run_step(struct job *j, const char *name, struct cmd *c, const char *out)
{
	struct xp_proc p = {0};
	struct xp_err err = {0};
	char *errname = xp_asprintf("%s.err", name), *said = NULL;
	int fo = -1, fe = -1, rc = 0;

	free(j->step_msg);
	j->step_msg = NULL;
	if (c->failed || !errname) {
		rc = job_die(j, 1, "%s: out of memory", name);
		goto out;
	}
	if ((fo = open_out(j, out)) < 0 || (fe = open_out(j, errname)) < 0) {
		rc = job_die(j, 1, "%s: cannot create its files in %s", name, j->work);
		goto out;
	}
	{
		struct xp_proc_io io = {-1, fo, fe};

		if (xp_proc_spawn(&p, c->v, &io, &err) != 0) {
			rc = job_die(j, 1, "%s failed: %s", name, err.msg);
			goto out;
		}
	}
	close(fo);
	close(fe);
	fo = fe = -1;
	if (xp_proc_wait(&p, -1, &j->step_rc, &err) != 0) {
		rc = job_die(j, 1, "%s: %s", name, err.msg);
		goto out;
	}
	if ((rc = job_stopped(j)) != 0)
		goto out;
	said = slurp(j, errname);
	if (said && *said)
		job_say(j, said);
	j->step_msg = strdup(said ? last_line(said) : "");
out:
	if (fo >= 0)
		close(fo);
	if (fe >= 0)
		close(fe);
	free(said);
	free(errname);
	return rc;
}

/* run_step, and a failure ends the run with the step's status. */
static int step(struct job *j, const char *name, struct cmd *c, const char *out)
{
	int rc = run_step(j, name, c, out);

	if (rc == 0 && j->step_rc != 0)
		rc = job_die(j, j->step_rc, "%s failed (status %d)%s%s", name, j->step_rc,
		             j->step_msg && *j->step_msg ? ": " : "",
		             j->step_msg ? j->step_msg : "");
	return rc;
}

/* As step, but a failure that only a vault copy out of reach caused (a key it holds could not
 * be destroyed, or given; the check then reports the shreds pending there) is logged and kept
 * for the end of the run, which then fails: the rest of the night still runs. */
static int step_vault(struct job *j, const char *name, struct cmd *c, const char *out)
{
	int rc = run_step(j, name, c, out);
	const char *msg = j->step_msg ? j->step_msg : "";

	if (rc || j->step_rc == 0)
		return rc;
	if (j->step_rc == 1 && (strstr(msg, "shredding not finished on every vault copy") ||
	                        strstr(msg, "the vault and its copies do not agree yet"))) {
		job_log(j, XP_LOG_ERR, "%s: a vault copy was not reached (status 1): %s", name,
		        msg);
		xp_sbuf_printf(&j->vault_failed, "%s%s", j->vault_failed.len ? "; " : "", name);
		return 0;
	}
	if (j->step_rc == 1 && strcmp(name, "check") == 0 && j->vault_failed.len) {
		job_log(j, XP_LOG_ERR, "%s failed (status 1): %s", name, msg);
		return 0;
	}
	return job_die(j, j->step_rc, "%s failed (status %d)%s%s", name, j->step_rc,
	               *msg ? ": " : "", msg);
}

/* Sets (value) or unsets (NULL) an environment variable for the children started next. */
static void env(const char *name, const char *value)
{
	if (value)
		xp_os_setenv(name, value);
	else
		xp_os_unsetenv(name);
}

/* With erasure requests in the repository's ledger, the dump leaves their rows out
 * (xpdump --ledger), so that a backup of a live database that still holds them (until its own
 * retention removes them) does not capture them again. */
static void add_ledger(struct job *j, struct cmd *c)
{
	char *f = xp_repo_file(j->c.v[K_REPO], XP_REPO_ERASURES);
	struct stat st;

	if (f && stat(f, &st) == 0) {
		add(c, "--ledger");
		add(c, j->c.v[K_REPO]);
		if (job_conf_get(&j->c, K_PASSWORD_FILE)) {
			add(c, "--password-file");
			add(c, j->c.v[K_PASSWORD_FILE]);
		}
	}
	free(f);
}

/* Starts the dump into fd out and the seal from fd in; 0 or the run's status. */
static int start_pair(struct job *j, struct cmd *d, struct cmd *s, struct xp_proc *seal)
{
	const char *dsn = job_conf_get(&j->c, K_DSN_FILE) ? NULL : j->c.v[K_DSN];
	char *had_now = getenv("XP_NOW") ? strdup(getenv("XP_NOW")) : NULL;
	int pipefd[2] = {-1, -1}, derr = -1, serr = -1, sid = -1, rc = 0;
	struct xp_err err = {0};

	if (xp_proc_pipe(pipefd, &err) != 0) {
		rc = job_die(j, 1, "%s", err.msg);
		goto out;
	}
	xp_pipe_grow(pipefd[1]);
	if ((derr = open_out(j, "dump.err")) < 0 || (serr = open_out(j, "seal.err")) < 0 ||
	    (sid = open_out(j, "id")) < 0) {
		rc = job_die(j, 1, "%s: cannot create the files of the dump and the seal", j->work);
		goto out;
	}
	/* the environment, not argv: a connection string may hold a database password */
	env("XP_DSN", dsn);
	env("XP_NOW", j->now);
	{
		struct xp_proc_io dio = {-1, pipefd[1], derr}, sio = {pipefd[0], sid, serr};

		if (xp_proc_spawn(&job_dump, d->v, &dio, &err) != 0)
			rc = job_die(j, 1, "dump failed: %s; nothing sealed", err.msg);
		env("XP_DSN", NULL);
		env("XP_NOW", had_now);
		if (rc == 0 && xp_proc_spawn(seal, s->v, &sio, &err) != 0)
			rc = job_die(j, 1, "seal failed: %s", err.msg);
	}
out:
	free(had_now);
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	if (derr >= 0)
		close(derr);
	if (serr >= 0)
		close(serr);
	if (sid >= 0)
		close(sid);
	return rc;
}

/* What to say when the seal failed: the dump's own failure is the cause unless it was only cut
 * off (SIGPIPE, our SIGTERM, a write to the pipe that xpseal closed) or only warned (4: rows
 * past MAX_AGE). */
static int seal_failed(struct job *j, int seal_rc, int dump_rc, const char *dump_err,
                       const char *seal_err)
{
	const char *dl = last_line(dump_err), *tail = ": Broken pipe";
	size_t n = strlen(dl), tn = strlen(tail);
	char st[64];

	if (dump_rc == 0 || dump_rc == 4 || dump_rc == 141 || dump_rc == 143 ||
	    (dump_rc == 1 && n >= tn && strcmp(dl + n - tn, tail) == 0)) {
		status_text(seal_rc, st, sizeof st);
		return job_die(j, seal_rc, "seal failed (%s)%s%s", st, *seal_err ? ": " : "",
		               *seal_err ? last_line(seal_err) : "");
	}
	status_text(dump_rc, st, sizeof st);
	return job_die(j, dump_rc, "dump failed (%s)%s%s; nothing sealed", st,
	               *dump_err ? ": " : "", *dump_err ? dl : "");
}

/* The dump's lines that report rows past MAX_AGE, else its last line, else a default. */
static char *past_max_age(struct job *j, const char *dump_err)
{
	struct xp_sbuf b = {0};

	for (const char *l = dump_err; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		char *line = xp_strndup(l, len);

		if (line && strstr(line, "past --max-age")) {
			if (b.len)
				xp_sbuf_add(&b, "\n", 1);
			xp_sbuf_puts(&b, line);
		}
		free(line);
		if (!end)
			break;
		l = end + 1;
	}
	if (!b.len)
		xp_sbuf_puts(&b, last_line(dump_err));
	if (!b.len)
		xp_sbuf_printf(&b, "xpdump: the source holds rows past --max-age %s (status 4)",
		               j->c.v[K_MAX_AGE] ? j->c.v[K_MAX_AGE] : "");
	xp_sbuf_add(&b, "", 1);
	if (b.failed) {
		xp_sbuf_free(&b);
		return NULL;
	}
	return b.p;
}

/* One backup: xpdump piped into xpseal --require-dump, which seals only a complete dump
 * stream, so that a dump that dies half way (or is stopped) leaves nothing in the repository.
 * dump_extra and seal_extra (NULL-terminated) are added to their command lines. Sets j->id,
 * and j->warn when the source holds rows past MAX_AGE. */
static int dump_seal(struct job *j, const char *const *dump_extra, const char *const *seal_extra)
{
	const struct job_conf *c = &j->c;
	struct cmd d = {0}, s = {0};
	struct xp_proc seal = {0};
	struct xp_err err = {0};
	char *dump_err = NULL, *seal_err = NULL, *id = NULL;
	int seal_rc = -1, dump_rc = -1, rc;

	add(&d, j->bin[T_XPDUMP]);
	add(&d, "-q");
	add_words(&d, "-t", c->v[K_TABLES]);
	if (job_conf_get(c, K_TIME_COLUMN)) {
		add(&d, "--time-column");
		add(&d, c->v[K_TIME_COLUMN]);
	}
	/* Retention and the dump agree: rows already at MAX_AGE are left out (xpexpire would
	 * delete the new backup for them at once), and xpdump reports them (status 4). Both
	 * tools count from the same moment, this run's start. */
	if (job_conf_get(c, K_MAX_AGE)) {
		add(&d, "--max-age");
		add(&d, c->v[K_MAX_AGE]);
	}
	if (job_conf_get(c, K_DSN_FILE)) {
		add(&d, "--dsn-file");
		add(&d, c->v[K_DSN_FILE]);
	}
	for (; dump_extra && *dump_extra; dump_extra++)
		add(&d, *dump_extra);
	add_ledger(j, &d);
	add(&s, j->bin[T_XPSEAL]);
	add(&s, "-q");
	add(&s, "-r");
	add(&s, c->v[K_REPO]);
	add(&s, "--require-dump");
	add(&s, "-i");
	add(&s, "-");
	if (job_conf_get(c, K_SOURCE)) {
		add(&s, "--source");
		add(&s, c->v[K_SOURCE]);
	}
	if (job_conf_get(c, K_SHREDDABLE) && strcmp(c->v[K_SHREDDABLE], "no") != 0)
		add(&s, "--shreddable");
	if (job_conf_get(c, K_LEVEL)) {
		add(&s, "--level");
		add(&s, c->v[K_LEVEL]);
	}
	for (; seal_extra && *seal_extra; seal_extra++)
		add(&s, *seal_extra);
	if (d.failed || s.failed) {
		rc = job_die(j, 1, "out of memory");
		goto out;
	}
	if ((rc = start_pair(j, &d, &s, &seal)) != 0)
		goto out;
	if (seal.running && xp_proc_wait(&seal, -1, &seal_rc, &err) != 0) {
		rc = job_die(j, 1, "seal: %s", err.msg);
		goto out;
	}
	/* xpseal has read to the end, or given up: an xpdump still running is stuck, stop it */
	xp_proc_term(&job_dump);
	if (job_dump.running && xp_proc_wait(&job_dump, -1, &dump_rc, &err) != 0) {
		rc = job_die(j, 1, "dump: %s", err.msg);
		goto out;
	}
	if ((rc = job_stopped(j)) != 0)
		goto out;
	dump_err = slurp(j, "dump.err");
	seal_err = slurp(j, "seal.err");
	id = slurp(j, "id");
	if (!dump_err || !seal_err || !id) {
		rc = job_die(j, 1, "out of memory");
		goto out;
	}
	if (*dump_err)
		job_say(j, dump_err);
	if (*seal_err)
		job_say(j, seal_err);
	if (seal_rc != 0) {
		rc = seal_failed(j, seal_rc, dump_rc, dump_err, seal_err);
		goto out;
	}
	if (!xp_repo_valid_id(id)) {
		rc = job_die(j, 1, "seal: xpseal printed no backup id");
		goto out;
	}
	free(j->id);
	j->id = id;
	id = NULL;
	if (dump_rc == 4) {
		/* the dump is whole; the source holds rows past the legal limit: the run goes on
		 * and ends with status 4, its messages printed even with -q; the status decides,
		 * not the wording: whatever xpdump said is passed on */
		free(j->warn);
		j->warn = past_max_age(j, dump_err);
		dump_rc = 0;
	}
	if (dump_rc != 0) {
		char st[64];

		/* xpseal found the whole dump (through SUMMARY), yet xpdump failed after it:
		 * keep the backup, which is complete, but fail the run so that someone looks */
		status_text(dump_rc, st, sizeof st);
		rc = job_die(j, dump_rc,
		             "dump failed (%s) after a complete dump stream; backup %s is sealed, "
		             "retention not run%s%s",
		             st, j->id, *dump_err ? ": " : "",
		             *dump_err ? last_line(dump_err) : "");
	}
out:
	if (seal.running) {
		int ignored;

		xp_proc_wait(&seal, -1, &ignored, NULL);
	}
	free(dump_err);
	free(seal_err);
	free(id);
	cmd_free(&d);
	cmd_free(&s);
	return rc;
}

static int remember(struct job *j)
{
	char **more = realloc(j->new_ids, (j->nnew + 1) * sizeof *more);

	if (!more || !(more[j->nnew] = strdup(j->id))) {
		if (more)
			j->new_ids = more;
		return job_die(j, 1, "out of memory");
	}
	j->new_ids = more;
	j->nnew++;
	return 0;
}

/* The signature always; with the password at hand, --deep also decrypts the backup and checks
 * each table against the dump's SUMMARY (and journals the check). */
static int verify_new(struct job *j, const char *id)
{
	struct cmd c = {0};
	char *out = NULL;
	int rc;

	add(&c, j->bin[T_XPVERIFY]);
	add(&c, "-r");
	add(&c, j->c.v[K_REPO]);
	if (job_conf_get(&j->c, K_PASSWORD_FILE)) {
		add(&c, "--deep");
		add(&c, "--password-file");
		add(&c, j->c.v[K_PASSWORD_FILE]);
	}
	add(&c, id);
	if ((rc = step(j, "verify", &c, "verify.out")) != 0)
		goto out;
	out = slurp(j, "verify.out");
	job_log(j, XP_LOG_INFO, "verify: %s", out ? last_line(out) : "");
out:
	free(out);
	cmd_free(&c);
	return rc;
}

static int table_count(const char *tables)
{
	int n = 0;

	for (const char *t = tables; *t;) {
		t += strspn(t, " \t\n");
		if (!*t)
			break;
		n++;
		t += strcspn(t, " \t\n");
	}
	return n;
}

static int full_backup(struct job *j)
{
	const char *min = job_conf_get(&j->c, K_MIN_ROWS);
	/* A full backup of (almost) nothing is a wrong or emptied source far more often than a
	 * quiet night, and retention would let it push a good backup out: the run fails before
	 * retention (the backup is kept). Partitions may be empty; a full backup among them is
	 * checked too. */
	const char *extra[] = {"--min-rows", min ? min : j->c.partitioned ? "0" : "1", NULL};

	return dump_seal(j, extra, NULL);
}

static int epoch(struct job *j, const char *s, int64_t *t)
{
	if (xp_time_parse(s, t, NULL) != 0)
		return job_die(j, 1, "%s: not a time", s);
	return 0;
}

/* From the end of this source's last sealed window, as the catalog signed by this host says
 * (after finishing a seal a killed run left), to now minus the grace: windows tile the time
 * line, a missed night makes the next one longer, and none is sealed twice. */
static int partitions(struct job *j)
{
	const struct job_conf *c = &j->c;
	struct cmd w = {0};
	char *out = NULL, *f[3] = {NULL, NULL, NULL}, *save = NULL;
	char *had_now = getenv("XP_NOW") ? strdup(getenv("XP_NOW")) : NULL;
	int64_t s0, s1, pmax, full_every, last;
	int rc;

	add(&w, j->bin[T_XPSEAL]);
	add(&w, "window");
	add(&w, "-r");
	add(&w, c->v[K_REPO]);
	add(&w, "--source");
	add(&w, c->v[K_SOURCE]);
	add(&w, "--max-age");
	add(&w, c->v[K_MAX_AGE]);
	add(&w, "--grace");
	add(&w, c->v[K_GRACE]);
	env("XP_NOW", j->now);
	rc = step(j, "window", &w, "window.out");
	env("XP_NOW", had_now);
	if (rc)
		goto out;
	out = slurp(j, "window.out");
	if (out) {
		char *nl = strchr(out, '\n');

		if (nl)
			*nl = '\0';
		f[0] = strtok_r(out, "\t", &save);
		f[1] = strtok_r(NULL, "\t", &save);
		f[2] = strtok_r(NULL, "", &save);
	}
	if (!f[0] || !f[1]) {
		rc = job_die(j, 1, "window: xpseal window printed no window");
		goto out;
	}
	/* A last window that ends after now is no "nothing to seal yet": the clock went back, or
	 * a partition was sealed past now, and every night would seal nothing and exit 0 until
	 * the clock caught up, while rows written meanwhile fall in a window already sealed. */
	if (strcmp(f[0], j->now) > 0) {
		rc = job_die(j, 1,
		             "window: the last window of %s ends at %s, after now (%s): the clock "
		             "went back, or a partition was sealed past now; nothing sealed",
		             c->v[K_SOURCE], f[0], j->now);
		goto out;
	}
	if (strcmp(f[1], f[0]) > 0) {
		/* a window longer than PARTITION_MAX (the first run's, or after missed nights) is
		 * sealed as consecutive partitions of at most that length: a partition leaves when
		 * its window's start reaches MAX_AGE, so its length is how early a row may leave */
		if ((rc = epoch(j, f[0], &s0)) != 0 || (rc = epoch(j, f[1], &s1)) != 0)
			goto out;
		if (xp_duration_parse(c->v[K_PARTITION_MAX], &pmax, NULL) != 0 || pmax <= 0) {
			rc = job_die(j, 1, "PARTITION_MAX=%s: not a duration",
			             c->v[K_PARTITION_MAX]);
			goto out;
		}
		while (s0 < s1) {
			int64_t e = s0 + pmax < s1 ? s0 + pmax : s1;
			char a[XP_TIME_LEN], b[XP_TIME_LEN];
			const char *dx[] = {"--since", a, "--until", b, NULL},
			           *sx[] = {"--partition", NULL};

			xp_time_format(s0, a);
			xp_time_format(e, b);
			if ((rc = dump_seal(j, dx, sx)) != 0)
				goto out;
			job_log(j, XP_LOG_INFO, "dump: %d table(s), window %s to %s",
			        table_count(c->v[K_TABLES]), a, b);
			job_log(j, XP_LOG_INFO, "seal: partition %s in %s", j->id, c->v[K_REPO]);
			if ((rc = remember(j)) != 0 || (rc = verify_new(j, j->id)) != 0)
				goto out;
			s0 = e;
		}
	} else {
		job_log(j, XP_LOG_INFO,
		        "window: nothing to seal: the last window ends at %s, the next may end at "
		        "%s "
		        "(GRACE=%s)",
		        f[0], f[1], c->v[K_GRACE]);
	}
	/* full backups on a schedule, for those who want them beside the partitions */
	if (job_conf_get(c, K_FULL_EVERY)) {
		const char *lf = f[2] ? f[2] : "";

		if (xp_duration_parse(c->v[K_FULL_EVERY], &full_every, NULL) != 0) {
			rc = job_die(j, 1, "FULL_EVERY=%s: not a duration", c->v[K_FULL_EVERY]);
			goto out;
		}
		if (strcmp(lf, "-") != 0 && (rc = epoch(j, lf, &last)) != 0)
			goto out;
		if (strcmp(lf, "-") == 0 || j->now_t - last >= full_every) {
			if ((rc = full_backup(j)) != 0)
				goto out;
			job_log(j, XP_LOG_INFO, "seal: full backup %s in %s (FULL_EVERY=%s)", j->id,
			        c->v[K_REPO], c->v[K_FULL_EVERY]);
			if ((rc = remember(j)) != 0 || (rc = verify_new(j, j->id)) != 0)
				goto out;
		}
	}
out:
	free(had_now);
	free(out);
	cmd_free(&w);
	return rc;
}

/* The verified backups leave the host at once: xpcopy sends each target what it lacks,
 * checked against the signed catalog. A copy that fails fails the run; a target declared
 * outside the EU is copied to, and the run ends with a warning (status 4). */
static int copies(struct job *j)
{
	const char *to = job_conf_get(&j->c, K_COPY_TO);
	struct cmd c = {0}, names = {0};
	struct xp_sbuf outside = {0}, list = {0};
	char *out = NULL;
	int rc = 0;

	if (!to)
		return 0;
	add(&c, j->bin[T_XPCOPY]);
	add(&c, "-r");
	add(&c, j->c.v[K_REPO]);
	add_words(&c, NULL, to);
	add_words(&names, NULL, to);
	if ((rc = step(j, "copy", &c, "copy.out")) != 0)
		goto out;
	out = slurp(j, "copy.out");
	for (size_t i = 0; i < names.n; i++) {
		xp_sbuf_printf(&list, "%s%s", i ? " " : "", names.v[i]);
		for (size_t t = 0; t < j->ntargets; t++)
			if (j->targets[t].name && strcmp(j->targets[t].name, names.v[i]) == 0 &&
			    j->targets[t].jur && strcmp(j->targets[t].jur, "non-eu") == 0)
				xp_sbuf_printf(&outside, "%s%s", outside.len ? " " : "",
				               names.v[i]);
	}
	xp_sbuf_add(&list, "", 1);
	job_log(j, XP_LOG_INFO, "copy: %zu backup(s) to %s",
	        out ? count_lines(out, "copied ", NULL, "") : 0, list.p ? list.p : "");
	if (outside.len) {
		xp_sbuf_add(&outside, "", 1);
		j->copy_warn = xp_asprintf("copy target(s) %s declared outside the EU", outside.p);
	}
out:
	free(out);
	xp_sbuf_free(&outside);
	xp_sbuf_free(&list);
	cmd_free(&names);
	cmd_free(&c);
	return rc;
}

/* The last line of text that is "N of M backups deleted", or "". */
static char *deleted_summary(const char *text)
{
	char *found = NULL;

	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		char *line = xp_strndup(l, len);
		unsigned long long a, b;
		int n = 0;

		if (line && sscanf(line, "%llu of %llu backups deleted%n", &a, &b, &n) == 2 &&
		    (size_t)n == len && line[0] >= '0' && line[0] <= '9' &&
		    strspn(line, "0123456789") == strcspn(line, " ")) {
			free(found);
			found = line;
			line = NULL;
		}
		free(line);
		if (!end)
			break;
		l = end + 1;
	}
	return found ? found : strdup("");
}

static void add_rule(struct cmd *c, const struct job_conf *conf, enum job_key k, const char *opt)
{
	if (job_conf_get(conf, k)) {
		add(c, opt);
		add(c, conf->v[k]);
	}
}

static int retention(struct job *j)
{
	const struct job_conf *c = &j->c;
	struct cmd e = {0}, l = {0};
	char *out = NULL, *sum = NULL, *list = NULL;
	size_t n;
	int rc;

	add(&e, j->bin[T_XPEXPIRE]);
	add(&e, "-r");
	add(&e, c->v[K_REPO]);
	add_rule(&e, c, K_KEEP_LAST, "--keep-last");
	add_rule(&e, c, K_KEEP_WITHIN, "--keep-within");
	add_rule(&e, c, K_KEEP_DAILY, "--keep-daily");
	add_rule(&e, c, K_KEEP_WEEKLY, "--keep-weekly");
	add_rule(&e, c, K_KEEP_MONTHLY, "--keep-monthly");
	add_rule(&e, c, K_KEEP_YEARLY, "--keep-yearly");
	add_rule(&e, c, K_MAX_AGE, "--max-age");
	add_rule(&e, c, K_SOURCE, "--source");
	add(&e, "--now");
	add(&e, j->now);
	if ((rc = step_vault(j, "expire", &e, "expire.out")) != 0)
		goto out;
	if (!(out = slurp(j, "expire.out")) || !(sum = deleted_summary(out))) {
		rc = job_die(j, 1, "out of memory");
		goto out;
	}
	job_say(j, out);
	n = count_lines(out, "deleted ", " from ", "");
	if (n)
		job_log(j, XP_LOG_INFO, "expire: %s; %zu deletion(s) from copies", sum, n);
	else
		job_log(j, XP_LOG_INFO, "expire: %s", sum);
	/* A run whose new backup did not survive its own retention kept nothing: a failure. */
	add(&l, j->bin[T_XPEXPIRE]);
	add(&l, "-r");
	add(&l, c->v[K_REPO]);
	add(&l, "--list");
	if ((rc = step(j, "list", &l, "list.out")) != 0)
		goto out;
	list = slurp(j, "list.out");
	for (size_t i = 0; i < j->nnew; i++) {
		const char *id = j->new_ids[i];
		char *file = xp_repo_backup(c->v[K_REPO], id, "");
		struct stat st;
		int found = 0;

		for (const char *line = list ? list : ""; *line;) {
			const char *end = strchr(line, '\n'), *t1 = strchr(line, '\t');
			const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
			size_t len = end ? (size_t)(end - line) : strlen(line);

			if (t1 && t2 && t2 < line + len && (size_t)(t1 - line) == strlen(id) &&
			    memcmp(line, id, strlen(id)) == 0 &&
			    len - (size_t)(t2 + 1 - line) >= 6 &&
			    strncmp(t2 + 1, "sealed", 6) == 0 &&
			    (t2 + 7 == line + len || t2[7] == '\t'))
				found = 1;
			if (!end)
				break;
			line = end + 1;
		}
		if (!found || !file || stat(file, &st) < 0 || !S_ISREG(st.st_mode))
			rc = job_die(
			        j, 1,
			        "backup %s was deleted by this run's own retention: nothing was "
			        "kept (see the expire lines above)",
			        id);
		free(file);
		if (rc)
			goto out;
	}
out:
	free(list);
	free(sum);
	free(out);
	cmd_free(&e);
	cmd_free(&l);
	return rc;
}

/* New shreddable backups' keys go to every vault copy, and what a shred or a deletion could
 * not destroy on a copy out of reach is destroyed there (xpseal vault sync finishes pending
 * shreds first). A copy not reached fails the run at its end, after the check. Then the whole
 * repository: every backup's signature, the signed catalog against the files, the journal's
 * chain: what monitoring will see tomorrow morning is checked tonight. */
static int vault_and_check(struct job *j)
{
	struct cmd v = {0}, k = {0};
	char *out = NULL;
	int rc = 0;

	if (job_conf_get(&j->c, K_VAULT_COPIES)) {
		add(&v, j->bin[T_XPSEAL]);
		add(&v, "vault");
		add(&v, "sync");
		add(&v, "-r");
		add(&v, j->c.v[K_REPO]);
		if ((rc = step_vault(j, "vault", &v, "vault.out")) != 0)
			goto out;
		if (j->step_rc == 0) {
			out = slurp(j, "vault.out");
			job_log(j, XP_LOG_INFO, "vault: %zu key(s) copied to the vault copies",
			        out ? count_lines(out, "", NULL, ": copied") : 0);
			free(out);
			out = NULL;
		}
	}
	add(&k, j->bin[T_XPVERIFY]);
	add(&k, "-r");
	add(&k, j->c.v[K_REPO]);
	if ((rc = step_vault(j, "check", &k, "check.out")) != 0)
		goto out;
	out = slurp(j, "check.out");
	job_log(j, XP_LOG_INFO, "check: %zu backup(s) with good signatures; %s",
	        out ? count_lines(out, "", NULL, ": good signature") : 0,
	        out ? last_line(out) : "");
out:
	free(out);
	cmd_free(&v);
	cmd_free(&k);
	return rc;
}

/* The backups this run made, for the last line. */
static char *done_what(struct job *j)
{
	struct xp_sbuf b = {0};

	if (j->nnew == 0)
		xp_sbuf_puts(&b, "no new backup");
	else
		xp_sbuf_puts(&b, j->nnew == 1 ? "backup" : "backups");
	for (size_t i = 0; i < j->nnew; i++)
		xp_sbuf_printf(&b, " %s", j->new_ids[i]);
	xp_sbuf_add(&b, "", 1);
	return b.failed ? NULL : b.p;
}

/* Warnings end the run with status 4, their messages printed even with -q: each one, then why
 * in the last line. */
static int finish(struct job *j)
{
	char *what = done_what(j);
	long secs = (long)(time(NULL) - j->start);
	struct xp_sbuf why = {0};
	int rc = 0;

	if (j->vault_failed.len) {
		xp_sbuf_add(&j->vault_failed, "", 1);
		rc = job_die(j, 1,
		             "done: %s, but a vault copy was not reached (%s): keys are not where "
		             "they must be until a run reaches it (xpseal vault list)",
		             what ? what : "", j->vault_failed.p ? j->vault_failed.p : "");
		goto out;
	}
	if (!j->warn && !j->copy_warn) {
		job_log(j, XP_LOG_INFO, "done: %s in %lds", what ? what : "", secs);
		goto out;
	}
	j->quiet = 0;
	if (j->held.len)
		fwrite(j->held.p, 1, j->held.len, stderr);
	j->held.len = 0;
	if (j->warn) {
		job_log(j, XP_LOG_WARNING, "%s", j->warn);
		xp_sbuf_printf(&why, "the source holds rows past MAX_AGE=%s",
		               j->c.v[K_MAX_AGE] ? j->c.v[K_MAX_AGE] : "");
	}
	if (j->copy_warn) {
		job_log(j, XP_LOG_WARNING, "%s: backups of personal data leave the EU",
		        j->copy_warn);
		xp_sbuf_printf(&why, "%s%s", why.len ? "; " : "", j->copy_warn);
	}
	xp_sbuf_add(&why, "", 1);
	job_log(j, XP_LOG_WARNING, "done: %s in %lds, but %s (status 4)", what ? what : "", secs,
	        why.p ? why.p : "");
	rc = 4;
out:
	xp_sbuf_free(&why);
	free(what);
	return rc;
}

int job_run(struct job *j)
{
	const char *now = getenv("XP_NOW");
	char buf[XP_TIME_LEN];
	int rc;

	j->now_t = xp_now();
	if (!now || !*now) {
		xp_time_format(j->now_t, buf);
		now = buf;
	}
	if (!(j->now = strdup(now)))
		return job_die(j, 1, "out of memory");
	if (j->c.partitioned) {
		if ((rc = partitions(j)) != 0)
			return rc;
	} else {
		if ((rc = full_backup(j)) != 0)
			return rc;
		job_log(j, XP_LOG_INFO, "dump: %d table(s)", table_count(j->c.v[K_TABLES]));
		job_log(j, XP_LOG_INFO, "seal: backup %s in %s", j->id, j->c.v[K_REPO]);
		if ((rc = remember(j)) != 0 || (rc = verify_new(j, j->id)) != 0)
			return rc;
	}
	if ((rc = copies(j)) != 0 || (rc = retention(j)) != 0 || (rc = vault_and_check(j)) != 0)
		return rc;
	return finish(j);
}
