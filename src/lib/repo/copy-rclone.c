/* An rclone remote as a target: rclone runs as a subprocess with the administrator's config
 * file (S3-compatible stores, SFTP, WebDAV, Azure Blob...); nothing here speaks their
 * protocols. A file goes up under its temp name, is read back and checked, then moved to its
 * name on the server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "repo/copy-int.h"
#include "base/fault.h"
#include "base/str.h"

/* ---- an rclone remote ---- */

/* What a run of rclone gives back: its standard output, to a callback or into a buffer. */
typedef int out_fn(void *ctx, const uint8_t *buf, size_t n);

static const char *rclone_bin(void)
{
	const char *s = getenv("XP_RCLONE");

	return s && *s ? s : "rclone";
}

/* The last line rclone wrote on stderr (from the temp file fd), into buf. */
static void last_line(int fd, char *buf, size_t len)
{
	char all[4096];
	ssize_t n;
	char *p;

	buf[0] = '\0';
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return;
	(void)lseek(fd, end > (off_t)sizeof all - 1 ? end - (off_t)sizeof all + 1 : 0, SEEK_SET);
	n = read(fd, all, sizeof all - 1);
	if (n <= 0)
		return;
	all[n] = '\0';
	while (n > 0 && (all[n - 1] == '\n' || all[n - 1] == '\r'))
		all[--n] = '\0';
	p = strrchr(all, '\n');
	snprintf(buf, len, "%s", p ? p + 1 : all);
}

/* Runs rclone with args (a NULL-terminated list, after the options every run takes); stdout
 * goes to fn. XP_ENOENT when rclone exits 3 or 4 (directory or file not found). */
static int rclone(const struct xp_copy_target *t, const char *const *args, out_fn *fn, void *ctx,
                  struct xp_err *err)
{
	const char *argv[24];
	char line[4096];
	uint8_t *buf = NULL;
	size_t k = 0;
	int p[2] = {-1, -1}, efd = -1, status, rc = 0;
	pid_t pid = -1;
	ssize_t n;
	FILE *ef = tmpfile();

	argv[k++] = rclone_bin();
	if (t->rconfig) {
		argv[k++] = "--config";
		argv[k++] = t->rconfig;
	}
	/* One attempt per call: a target that fails is reported, and the next run goes on. */
	argv[k++] = "--retries=1";
	argv[k++] = "--low-level-retries=2";
	argv[k++] = "--contimeout=15s";
	argv[k++] = "--timeout=60s";
	for (size_t i = 0; args[i] && k < sizeof argv / sizeof argv[0] - 1; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	buf = malloc(XP_CT_BUF);
	if (!ef || !buf || pipe(p) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: rclone", t->name);
		goto out;
	}
	efd = fileno(ef);
	pid = fork();
	if (pid < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: fork", t->name);
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(efd, 2);
		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	p[1] = -1;
	while ((n = read(p[0], buf, XP_CT_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = xp_err_sys(err, XP_EFAIL, "copy %s: rclone's output", t->name);
			break;
		}
		if (fn && rc == 0 && fn(ctx, buf, (size_t)n) != 0)
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	close(p[0]);
	p[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		last_line(efd, line, sizeof line);
		rc = WIFEXITED(status) && (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 4)
		             ? XP_ENOENT
		             : XP_EFAIL;
		xp_err_set(err, rc, "copy %s: rclone %s %s: %s", t->name, args[0],
		           WIFEXITED(status) ? "failed" : "was killed",
		           line[0] ? line : "no message");
	}
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (ef)
		fclose(ef);
	free(buf);
	return rc;
}

/* A local path as rclone must get it: one that cannot be taken for an option. */
static char *local_arg(const char *path)
{
	return path[0] == '/' ? strdup(path) : xp_asprintf("./%s", path);
}

static char *remote_path(const struct xp_copy_target *t, const char *rel)
{
	size_t n = strlen(t->where);

	return xp_asprintf("%s%s%s", t->where,
	                   n && t->where[n - 1] != ':' && t->where[n - 1] != '/' ? "/" : "", rel);
}

static int to_sbuf(void *ctx, const uint8_t *buf, size_t n)
{
	struct xp_sbuf *b = ctx;

	xp_sbuf_add(b, buf, n);
	return b->failed ? -1 : 0;
}

int xp_ct_rclone_list(const struct xp_copy_target *t, struct xp_ct_listing *l, struct xp_err *err)
{
	static const char *const args[] = {"lsf",         "-R", "--files-only", "--format", "sp",
	                                   "--separator", "\t", NULL,           NULL};
	const char *a[sizeof args / sizeof args[0]];
	struct xp_sbuf b = {0};
	char *line, *next, *tab, *end;
	int rc;

	memcpy(a, args, sizeof a);
	a[7] = t->where;
	rc = rclone(t, a, to_sbuf, &b, err);
	if (rc == XP_ENOENT) /* not created yet */
		rc = 0;
	for (line = b.p; rc == 0 && line && line < b.p + b.len; line = next) {
		next = memchr(line, '\n', (size_t)(b.p + b.len - line));
		if (next)
			*next++ = '\0';
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		unsigned long long size = strtoull(line, &end, 10);
		if (*end || xp_ct_add_file(l, tab + 1, size) != 0)
			rc = *end ? xp_err_set(err, XP_EFAIL, "copy %s: rclone lsf: bad line",
			                       t->name)
			          : xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	xp_sbuf_free(&b);
	return rc;
}

struct readback {
	crypto_generichash_state h;
	uint64_t size;
};

static int to_hash(void *ctx, const uint8_t *buf, size_t n)
{
	struct readback *r = ctx;

	crypto_generichash_update(&r->h, buf, (unsigned long long)n);
	r->size += n;
	return 0;
}

int xp_ct_rclone_hash(const struct xp_copy_target *t, const char *rel, uint8_t *hash,
                      uint64_t *size, struct xp_err *err)
{
	struct readback r = {.size = 0};
	char *rp = remote_path(t, rel);
	int rc;

	if (!rp)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	crypto_generichash_init(&r.h, NULL, 0, XP_CATALOG_HASH_LEN);
	rc = rclone(t, (const char *const[]){"cat", rp, NULL}, to_hash, &r, err);
	crypto_generichash_final(&r.h, hash, XP_CATALOG_HASH_LEN);
	*size = r.size;
	free(rp);
	return rc;
}

int xp_ct_rclone_put(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
                     const uint8_t *want, uint64_t want_size, struct xp_err *err)
{
	crypto_generichash_state h;
	uint8_t sent[XP_CATALOG_HASH_LEN], back[XP_CATALOG_HASH_LEN];
	char tmprel[300], *rp = NULL, *tp = NULL, *lp = NULL;
	const char *slash = strrchr(rel, '/');
	uint64_t size, back_size;
	int rc;

	/* What rclone will read is hashed first: it must be what the catalog says. */
	crypto_generichash_init(&h, NULL, 0, sizeof sent);
	rc = xp_ct_pump(t, fd, path, -1, rel, &h, &size, err);
	crypto_generichash_final(&h, sent, sizeof sent);
	if (rc == 0 && want)
		rc = xp_ct_check_sum(t, rel, sent, size, want, want_size, err);
	if (rc)
		return rc;
	if (snprintf(tmprel, sizeof tmprel, "%.*s.%s%s", slash ? (int)(slash - rel + 1) : 0, rel,
	             slash ? slash + 1 : rel, XP_CT_TEMP) >= (int)sizeof tmprel)
		return xp_err_set(err, XP_EFAIL, "copy %s: %s: name too long", t->name, rel);
	rp = remote_path(t, rel);
	tp = remote_path(t, tmprel);
	if (!rp || !tp) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	lp = local_arg(path);
	rc = lp ? rclone(t, (const char *const[]){"copyto", lp, tp, NULL}, NULL, NULL, err)
	        : xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0)
		xp_fault_point("copy-uploaded");
	/* Read back: what the remote holds under the temp name is what was checked. */
	if (rc == 0)
		rc = xp_ct_rclone_hash(t, tmprel, back, &back_size, err);
	if (rc == 0 && (back_size != size || sodium_memcmp(back, sent, sizeof back) != 0))
		rc = xp_err_set(err, XP_EFAIL,
		                "copy %s: %s: read back %llu bytes that differ from "
		                "the %llu sent",
		                t->name, rel, (unsigned long long)back_size,
		                (unsigned long long)size);
	if (rc == 0)
		rc = rclone(t, (const char *const[]){"moveto", tp, rp, NULL}, NULL, NULL, err);
out:
	free(lp);
	free(rp);
	free(tp);
	return rc;
}

int xp_ct_rclone_remove(const struct xp_copy_target *t, const char *rel, struct xp_err *err)
{
	char *rp = remote_path(t, rel);
	int rc;

	if (!rp)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = rclone(t, (const char *const[]){"deletefile", rp, NULL}, NULL, NULL, err);
	free(rp);
	return rc == XP_ENOENT ? 0 : rc;
}

/* rclone check's combined report: "= rel" for each file with the same bytes on both sides. */
int xp_ct_rclone_same(const struct xp_copy_target *t, const char *dir, const char *const *rel,
                      size_t n, int *same, struct xp_err *err)
{
	struct xp_sbuf b = {0};
	char list[32], *line, *next, *local = local_arg(dir);
	FILE *f = tmpfile();
	int rc = 0;

	if (!f || !local) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: temp file", t->name);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", rel[i]);
	if (fflush(f) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: temp file", t->name);
		goto out;
	}
	snprintf(list, sizeof list, "/dev/fd/%d", fileno(f));
	/* Differences make rclone exit non-zero: the report says which files are the same, and
	 * a target it cannot reach has none (what is then sent fails, and says why). */
	(void)rclone(t,
	             (const char *const[]){"check", "--download", "--one-way", "--files-from-raw",
	                                   list, "--combined", "-", local, t->where, NULL},
	             to_sbuf, &b, err);
	if (b.failed) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	xp_err_set(err, 0, "%s", "");
	for (line = b.p; line && line < b.p + b.len; line = next) {
		next = memchr(line, '\n', (size_t)(b.p + b.len - line));
		if (next)
			*next++ = '\0';
		for (size_t i = 0; line[0] == '=' && line[1] == ' ' && i < n; i++)
			if (strcmp(line + 2, rel[i]) == 0)
				same[i] = 1;
	}
out:
	xp_sbuf_free(&b);
	if (f)
		fclose(f);
	free(local);
	return rc;
}
