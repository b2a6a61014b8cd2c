/* An rclone remote as a target: rclone runs as a subprocess with the administrator's config
 * file (S3-compatible stores, SFTP, WebDAV, Azure Blob...); nothing here speaks their
 * protocols. A file goes up under its temp name, is read back and checked, then moved to its
 * name on the server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "repo/copy-int.h"
#include "base/fault.h"
#include "base/io.h"
#include "base/os.h"
#include "base/proc.h"
#include "base/str.h"

/* ---- an rclone remote ---- */

/* What a run of rclone gives back: its standard output, to a callback or into a buffer. */
typedef int out_fn(void *ctx, const uint8_t *buf, size_t n);

/* The rclone to run: XP_RCLONE, else rclone. */
static const char *rclone_name(void)
{
	const char *s = getenv("XP_RCLONE");

	return s && *s ? s : "rclone";
}

/* rclone_name as it is when it names a path, else found in PATH (Windows: NAME.exe too).
 * Malloc'd; NULL when there is none. */
static char *rclone_bin(void)
{
	const char *s = rclone_name();

	for (const char *c = s; *c; c++)
		if (xp_os_path_sep((unsigned char)*c))
			return strdup(s);
	return xp_proc_find(NULL, s);
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

/* Runs rclone with args (a NULL-terminated list, after the options every run takes) and its
 * standard input from in (-1: the null device); stdout goes to fn. XP_ENOENT when rclone
 * exits 3 or 4 (directory or file not found). */
static int rclone(const struct xp_copy_target *t, const char *const *args, int in, out_fn *fn,
                  void *ctx, struct xp_err *err)
{
	const char *argv[24];
	char line[4096];
	uint8_t *buf = NULL;
	size_t k = 0;
	int p[2] = {-1, -1}, efd = -1, null = -1, status = 0, rc = 0;
	struct xp_proc proc = {0};
	ssize_t n;
	char *bin = rclone_bin();

	if (!bin) {
		rc = xp_err_set(err, XP_EFAIL, "copy %s: %s: not found in PATH", t->name,
		                rclone_name());
		goto out;
	}
	argv[k++] = bin;
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
	if (!(buf = malloc(XP_CT_BUF))) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((efd = xp_os_tmpfile(xp_os_temp_dir())) < 0 ||
	    (in < 0 && (null = xp_os_open(XP_OS_DEVNULL, O_RDWR, 0)) < 0)) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: rclone: %s", t->name,
		                efd < 0 ? xp_os_temp_dir() : XP_OS_DEVNULL);
		goto out;
	}
	if ((rc = xp_proc_pipe(p, err)) != 0)
		goto out;
	{
		struct xp_proc_io io = {in >= 0 ? in : null, p[1], efd};

		if ((rc = xp_proc_spawn(&proc, (char *const *)argv, &io, err)) != 0) {
			xp_err_prefix(err, "copy %s", t->name);
			goto out;
		}
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
	{
		int wrc = xp_proc_wait(&proc, -1, &status, rc ? NULL : err);

		if (rc == 0 && wrc != 0) {
			rc = wrc;
			goto out;
		}
	}
	if (rc == 0 && status != 0) {
		last_line(efd, line, sizeof line);
		rc = status == 3 || status == 4 ? XP_ENOENT : XP_EFAIL;
		/* a status past 127 is a signal's (proc.h), or a Windows exception's */
		xp_err_set(err, rc, "copy %s: rclone %s %s: %s", t->name, args[0],
		           status > 0 && status < 128 ? "failed" : "was killed",
		           line[0] ? line : "no message");
	}
out:
	if (proc.running) {
		int ignored;

		xp_proc_kill(&proc);
		xp_proc_wait(&proc, -1, &ignored, NULL);
	}
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (efd >= 0)
		close(efd);
	if (null >= 0)
		close(null);
	free(buf);
	free(bin);
	return rc;
}

/* A local path as rclone must get it: one that cannot be taken for an option. */
static char *local_arg(const char *path)
{
	return xp_os_path_root(path) ? strdup(path) : xp_asprintf("./%s", path);
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
	rc = rclone(t, a, -1, to_sbuf, &b, err);
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
	rc = rclone(t, (const char *const[]){"cat", rp, NULL}, -1, to_hash, &r, err);
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
	rc = lp ? rclone(t, (const char *const[]){"copyto", lp, tp, NULL}, -1, NULL, NULL, err)
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
		rc = rclone(t, (const char *const[]){"moveto", tp, rp, NULL}, -1, NULL, NULL, err);
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
	rc = rclone(t, (const char *const[]){"deletefile", rp, NULL}, -1, NULL, NULL, err);
	free(rp);
	return rc == XP_ENOENT ? 0 : rc;
}

/* rclone check's combined report: "= rel" for each file with the same bytes on both sides. */
int xp_ct_rclone_same(const struct xp_copy_target *t, const char *dir, const char *const *rel,
                      size_t n, int *same, struct xp_err *err)
{
	struct xp_sbuf b = {0}, names = {0};
	char *line, *next, *local = local_arg(dir);
	int fd = -1, rc = 0;

	if (!local) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		xp_sbuf_puts(&names, rel[i]);
		xp_sbuf_add(&names, "\n", 1);
	}
	if (names.failed) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	/* The names reach rclone on its standard input (--files-from-raw -), which is the same
	 * on both systems: a child on Windows inherits no other descriptor. */
	if ((fd = xp_os_tmpfile(xp_os_temp_dir())) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s: a temporary file", t->name,
		                xp_os_temp_dir());
		goto out;
	}
	if ((rc = xp_write_all(fd, names.p ? names.p : "", names.len, err)) != 0)
		goto out;
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: a temporary file", t->name);
		goto out;
	}
	/* Differences make rclone exit non-zero: the report says which files are the same, and
	 * a target it cannot reach has none (what is then sent fails, and says why). */
	(void)rclone(t,
	             (const char *const[]){"check", "--download", "--one-way", "--files-from-raw",
	                                   "-", "--combined", "-", local, t->where, NULL},
	             fd, to_sbuf, &b, err);
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
	xp_sbuf_free(&names);
	if (fd >= 0)
		close(fd);
	free(local);
	return rc;
}
