/* Everything the run will need, checked before anything runs, one line per problem, so that a
 * bad configuration never half runs (a run that seals but cannot verify also never expires). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "base/io.h"
#include "base/os.h"
#include "repo/keys.h"
#include "repo/repo.h"

#define VERSION_WAIT_MS 10000
#define LIST_WAIT_MS    60000
#define LIST_MAX        (16 << 20)

const char *const job_tool_names[T_COUNT] = {"xpdump", "xpseal", "xpverify", "xpexpire", "xpcopy"};

struct checks {
	struct job *j;
	struct xp_sbuf lines;
	size_t n;
	char *user;
};

static void problem(struct checks *k, const char *fmt, ...)
        __attribute__((format(XP_PRINTF, 2, 3)));
static void problem(struct checks *k, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	xp_sbuf_printf(&k->lines, "xpbackup-job: %s\n", msg ? msg : "out of memory");
	k->n++;
	free(msg);
}

/* s without its trailing line ends, in place; the shell's $(...). */
static char *chomp(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

/* The last line of s (chomped). */
static const char *last_line(const char *s)
{
	const char *nl = strrchr(s, '\n');

	return nl ? nl + 1 : s;
}

/* A file holding a secret: ours or root's, regular, readable, and (as the tools require,
 * xp_secret_file_open) neither group nor others may read or write it. */
static void secret_file(struct checks *k, const char *key, const char *f)
{
	struct stat st, lst;
	struct xp_err err = {0};
	char *owner = NULL;
	int fd = -1;

	if (stat(f, &st) < 0) {
		problem(k, "%s=%s: no such file", key, f);
		return;
	}
	if ((xp_os_lstat(f, &lst) == 0 && S_ISLNK(lst.st_mode)) || !S_ISREG(st.st_mode)) {
		problem(k, "%s=%s: not a regular file", key, f);
		return;
	}
	if (access(f, R_OK) < 0) {
		problem(k, "%s=%s: not readable by %s", key, f, k->user);
		return;
	}
	if (!xp_os_owned_by_admin(f, &st) && !xp_os_owned(f, &st)) {
		owner = xp_os_owner_name(f, &st);
		problem(k, "%s=%s: owned by %s, not by " XP_OS_ADMIN_NAME " or %s", key, f,
		        owner ? owner : "another user", k->user);
	}
	if (xp_secret_file_open(f, &fd, NULL, &err) != 0)
		problem(k, "%s=%s", key, err.msg);
	if (fd >= 0)
		close(fd);
	free(owner);
}

/* The size in bytes of the newest backup of SOURCE (of any source without one) in the
 * catalog, as its text says; 0 when there is none. */
static unsigned long long last_size(struct job *j)
{
	const char *src = job_conf_get(&j->c, K_SOURCE);
	char *path = xp_repo_file(j->c.v[K_REPO], XP_REPO_CATALOG), *text = NULL, *line, *next;
	unsigned long long size = 0;

	if (!path || xp_file_read(path, 1 << 30, &text, NULL, NULL) != 0)
		goto out;
	for (line = text; line && *line; line = next) {
		char *f[8];
		size_t n;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#')
			continue;
		n = xp_field_split(line, f, 8);
		if (n >= 7 && (!src || strcmp(f[5], src) == 0))
			size = strtoull(f[6], NULL, 10);
	}
out:
	free(text);
	free(path);
	return size;
}

static void check_repo(struct checks *k)
{
	static const enum xp_repo_file need[] = {XP_REPO_PUBLIC_KEY, XP_REPO_SIGNER_PUB};
	const char *repo = k->j->c.v[K_REPO];
	struct stat st;
	char *data = xp_repo_join(repo, "data");

	if (stat(repo, &st) < 0 || !S_ISDIR(st.st_mode)) {
		problem(k, "REPO=%s: no such repository (create it with xpseal init)", repo);
		goto out;
	}
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		char *f = xp_repo_file(repo, need[i]);

		if (!f || stat(f, &st) < 0 || !S_ISREG(st.st_mode))
			problem(k, "REPO=%s: not a repository: no %s (create it with xpseal init)",
			        repo, xp_repo_name(need[i]));
		free(f);
	}
	if (access(repo, W_OK) < 0 || (data && access(data, F_OK) == 0 && access(data, W_OK) < 0))
		problem(k, "REPO=%s: not writable by %s", repo, k->user);
out:
	free(data);
}

/* Each table's time column: after its last colon in TABLES, else TIME_COLUMN. */
static void check_time_columns(struct checks *k)
{
	const struct job_conf *c = &k->j->c;
	char *tables = strdup(c->v[K_TABLES]), *save = NULL;

	if (!job_conf_get(c, K_MAX_AGE) || !tables)
		goto out;
	for (char *t = strtok_r(tables, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		const char *colon = strrchr(t, ':');
		size_t n = strlen(t);

		if ((colon && colon[1]) || job_conf_get(c, K_TIME_COLUMN))
			continue;
		if (n && t[n - 1] == ':')
			t[--n] = '\0';
		problem(k,
		        "MAX_AGE=%s needs TIME_COLUMN or TABLES='%s:COLUMN' for table %s: without "
		        "it "
		        "the table's rows have no age, and rows past the legal limit would be kept",
		        c->v[K_MAX_AGE], t, t);
	}
out:
	free(tables);
}

static void check_work_dir(struct checks *k)
{
	const char *w = k->j->c.v[K_WORK_DIR];
	struct stat st;

	if (stat(w, &st) < 0 || !S_ISDIR(st.st_mode))
		problem(k, "WORK_DIR=%s: no such directory", w);
	else if (access(w, W_OK | X_OK) < 0)
		problem(k, "WORK_DIR=%s: not writable by %s", w, k->user);
}

/* Room for a backup as large as the last one of this source, and half as much again. */
static void check_space(struct checks *k)
{
	const char *repo = k->j->c.v[K_REPO];
	struct stat st;
	unsigned long long need, avail;

	if (stat(repo, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	need = last_size(k->j) * 3 / 2 / 1024;
	if (xp_os_free_space(repo, &avail) < 0)
		return;
	avail /= 1024;
	if (avail < need)
		problem(k, "REPO=%s: %llu KiB free, the last backup needs about %llu KiB", repo,
		        avail, need * 2 / 3);
}

/* The tools: beside the job when installed together (cron's PATH is short), else on PATH;
 * each of this version. */
static void check_tools(struct checks *k)
{
	struct job *j = k->j;

	for (int t = 0; t < T_COUNT; t++) {
		char *argv[3], *out = NULL, *want;
		int status = -1;

		if (t == T_XPCOPY && !job_conf_get(&j->c, K_COPY_TO))
			continue;
		if (!(j->bin[t] = xp_proc_find(j->self_dir, job_tool_names[t]))) {
			problem(k, "%s: not found beside xpbackup-job or in PATH",
			        job_tool_names[t]);
			continue;
		}
		argv[0] = j->bin[t];
		argv[1] = "--version";
		argv[2] = NULL;
		want = xp_asprintf("%s (xpbackup) %s", job_tool_names[t], PACKAGE_VERSION);
		if (xp_proc_capture(argv, VERSION_WAIT_MS, 0, 4096, &out, NULL, &status, NULL) !=
		            0 ||
		    !want || strcmp(chomp(out), want) != 0) {
			free(out);
			out = NULL;
			if (xp_proc_capture(argv, VERSION_WAIT_MS, 1, 4096, &out, NULL, &status,
			                    NULL) == 0)
				out[strcspn(out, "\n")] = '\0';
			problem(k,
			        "%s: not version %s of xpbackup, as xpbackup-job is (it says: %s)",
			        j->bin[t], PACKAGE_VERSION, out ? out : "");
		}
		free(want);
		free(out);
	}
}

/* The output of a tool that lists something of REPO, or NULL with its last line in *why. */
static char *list_of(struct job *j, enum job_tool t, char *const *args, char **why)
{
	char *argv[8] = {j->bin[t]}, *out = NULL;
	int status = -1;
	size_t n = 1;

	*why = NULL;
	for (; *args && n < 7; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (xp_proc_capture(argv, LIST_WAIT_MS, 1, LIST_MAX, &out, NULL, &status, NULL) != 0) {
		*why = strdup("cannot run it");
		return NULL;
	}
	chomp(out);
	if (status != 0) {
		*why = strdup(last_line(out));
		free(out);
		return NULL;
	}
	return out;
}

/* COPY_TO: each name a target registered for REPO on this host (xpcopy add); their declared
 * jurisdictions are kept for the copy step. */
static void check_copy_to(struct checks *k)
{
	struct job *j = k->j;
	char *args[] = {"list", "-r", j->c.v[K_REPO], NULL}, *out, *why, *line, *next;
	char *names = NULL, *save = NULL;
	struct stat st;

	if (!j->bin[T_XPCOPY] || stat(j->c.v[K_REPO], &st) < 0 || !S_ISDIR(st.st_mode))
		return; /* reported with the tools, or the repository */
	if (!(out = list_of(j, T_XPCOPY, args, &why))) {
		problem(k, "COPY_TO=%s: cannot list the copy targets: %s", j->c.v[K_COPY_TO],
		        why ? why : "");
		free(why);
		return;
	}
	next = strchr(out, '\n');
	for (line = next ? next + 1 : NULL; line && *line; line = next) {
		char *f[3] = {NULL, NULL, NULL}, *s2 = NULL;
		struct job_target *more;
		size_t n = 0;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (char *w = strtok_r(line, "\t", &s2); w && n < 3; w = strtok_r(NULL, "\t", &s2))
			f[n++] = w;
		if (n < 2 || !(more = realloc(j->targets, (j->ntargets + 1) * sizeof *more)))
			continue;
		j->targets = more;
		j->targets[j->ntargets].name = strdup(f[0]);
		j->targets[j->ntargets].jur = strdup(f[1]);
		j->ntargets++;
	}
	names = strdup(j->c.v[K_COPY_TO]);
	for (char *nm = names ? strtok_r(names, " \t\n", &save) : NULL; nm;
	     nm = strtok_r(NULL, " \t\n", &save)) {
		size_t i;

		for (i = 0; i < j->ntargets; i++)
			if (j->targets[i].name && strcmp(j->targets[i].name, nm) == 0)
				break;
		if (i == j->ntargets)
			problem(k,
			        "COPY_TO=%s: no such copy target of %s on this host (register it "
			        "with "
			        "xpcopy add)",
			        nm, j->c.v[K_REPO]);
	}
	free(names);
	free(out);
}

/* VAULT_COPIES: each directory a vault copy registered for REPO on this host (xpseal vault
 * add). One that is registered but not mounted is no problem here: the run goes on, and
 * fails. */
static void check_vault_copies(struct checks *k)
{
	static const char prefix[] = "vault copy: ", gone[] = " (unreachable: ";
	struct job *j = k->j;
	char *args[] = {"vault", "list", "-r", j->c.v[K_REPO], NULL}, *out, *why, *line, *next;
	char *dirs = NULL, *save = NULL;
	struct xp_sbuf known = {0};
	struct stat st;

	if (!j->bin[T_XPSEAL] || stat(j->c.v[K_REPO], &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (!(out = list_of(j, T_XPSEAL, args, &why))) {
		problem(k, "VAULT_COPIES=%s: cannot list the vault copies: %s",
		        j->c.v[K_VAULT_COPIES], why ? why : "");
		free(why);
		return;
	}
	/* the directories, each between NULs */
	xp_sbuf_add(&known, "", 1);
	for (line = out; line && *line; line = next) {
		char *g;
		size_t n;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, prefix, sizeof prefix - 1) != 0)
			continue;
		line += sizeof prefix - 1;
		n = strlen(line);
		if ((g = strstr(line, gone)) != NULL && n && line[n - 1] == ')')
			*g = '\0';
		xp_sbuf_puts(&known, line);
		xp_sbuf_add(&known, "", 1);
	}
	dirs = strdup(j->c.v[K_VAULT_COPIES]);
	for (char *d = dirs ? strtok_r(dirs, " \t\n", &save) : NULL; d;
	     d = strtok_r(NULL, " \t\n", &save)) {
		int found = 0;

		for (size_t at = 1; !known.failed && at < known.len; at += strlen(known.p + at) + 1)
			if (strcmp(known.p + at, d) == 0)
				found = 1;
		if (!found)
			problem(k,
			        "VAULT_COPIES=%s: not a vault copy of %s on this host (register it "
			        "with "
			        "xpseal vault add)",
			        d, j->c.v[K_REPO]);
	}
	free(dirs);
	xp_sbuf_free(&known);
	free(out);
}

/* The erasure ledger: a dump that leaves its requests' rows out (xpdump --ledger) needs the
 * password that unlocks the key their values are hashed with. */
static void check_ledger(struct checks *k)
{
	const struct job_conf *c = &k->j->c;
	char *f = xp_repo_file(c->v[K_REPO], XP_REPO_ERASURES);
	struct stat st;

	if (f && stat(f, &st) == 0 && !job_conf_get(c, K_PASSWORD_FILE))
		problem(k,
		        "REPO=%s: the repository has erasure requests (%s): PASSWORD_FILE is "
		        "needed "
		        "to leave their rows out of the dump",
		        c->v[K_REPO], xp_repo_name(XP_REPO_ERASURES));
	free(f);
}

int job_preflight(struct job *j)
{
	struct checks k = {.j = j, .user = job_user()};
	const struct job_conf *c = &j->c;
	const char *key = job_conf_get(c, K_SIGNING_KEY);
	int rc = 0;

	if (!key)
		key = xp_keys_default_signing_key(); /* XP_SIGNING_KEY, else the tools' default */
	if (!k.user)
		k.user = strdup("?");
	check_repo(&k);
	secret_file(&k, "SIGNING_KEY", key);
	if (job_conf_get(c, K_DSN_FILE))
		secret_file(&k, "DSN_FILE", c->v[K_DSN_FILE]);
	if (job_conf_get(c, K_PASSWORD_FILE))
		secret_file(&k, "PASSWORD_FILE", c->v[K_PASSWORD_FILE]);
	check_ledger(&k);
	check_time_columns(&k);
	check_work_dir(&k);
	check_space(&k);
	check_tools(&k);
	if (job_conf_get(c, K_COPY_TO))
		check_copy_to(&k);
	if (job_conf_get(c, K_VAULT_COPIES))
		check_vault_copies(&k);
	/* a signal meanwhile stops the job, not the checks: what they found is moot */
	if (k.n && !job_stop) {
		if (k.lines.len)
			fwrite(k.lines.p, 1, k.lines.len, stderr);
		fprintf(stderr, "xpbackup-job: %zu problem(s); nothing was run\n", k.n);
		rc = 1;
	}
	xp_sbuf_free(&k.lines);
	free(k.user);
	return rc;
}
