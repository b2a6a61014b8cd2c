/* The temp files of interrupted seals: a seal creates data/XX/.ID.xps.tmp.XXXXXX under the
 * repository lock and holds an flock(2) on it until it is renamed (xp_seal_backup), so one whose
 * flock a change can take under that lock belongs to no live process. */
#include "config.h"

#include "repo/catalog-int.h"
#include "base/os.h"
#include "base/err.h"
#include "base/fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static xp_catalog_report_fn *notice_fn;
static void *notice_ctx;

void xp_catalog_set_notice(xp_catalog_report_fn *fn, void *ctx)
{
	notice_fn = fn;
	notice_ctx = ctx;
}

void xp_catalog_notify(const struct xp_catalog_finding *f)
{
	if (notice_fn)
		notice_fn(notice_ctx, f);
}

int xp_seal_temp_name(const char *sub, const char *name, char id[XP_REPO_ID_HEX])
{
	static const char alnum[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	if (strlen(name) != 48 || name[0] != '.' || strncmp(name + 33, ".xps.tmp.", 9) != 0 ||
	    strspn(name + 42, alnum) != 6)
		return 0;
	memcpy(id, name + 1, 32);
	id[32] = '\0';
	return xp_repo_id_in_sub(sub, id);
}

/* Removes name (in the directory dfd) if it is still the file fd has open: the name is the
 * seal's random one, but a seal that ended since it was opened renamed it to ID.xps. */
static int unlink_same(int dfd, const char *name, int fd, int *removed, struct xp_err *err)
{
	int same = xp_os_same_file(fd, dfd, name);

	*removed = 0;
	if (same < 0)
		return xp_err_sys(err, XP_EFAIL, "%s", name);
	if (!same)
		return 0;
	xp_fault_point("discard: unlink seal temp");
	if (xp_os_unlinkat(dfd, name) < 0)
		return errno == ENOENT ? 0 : xp_err_sys(err, XP_EFAIL, "%s: unlink", name);
	*removed = 1;
	return 0;
}

/* What a seal that died writes before its temp file gets its name, when no backup has that
 * name (a key rotation re-seals a listed one under its own name: never touched here): its
 * signature and the signature's temp files (in dfd, data/SUB), its key file in every vault
 * place. Removed before the temp file itself, so a crash here leaves that for the next run. */
static int remove_leftovers(struct xp_op *op, int dfd, const char *id, struct xp_err *err)
{
	char name[XP_REPO_ID_HEX + 32];
	size_t plen;
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	snprintf(name, sizeof name, "%s.xps", id);
	if (xp_op_find(op, id) || xp_os_lstatat(dfd, name, &st) == 0)
		return 0;
	snprintf(name, sizeof name, "%s.xps.minisig", id);
	if (xp_os_unlinkat(dfd, name) < 0 && errno != ENOENT)
		return xp_err_sys(err, XP_EFAIL, "%s: unlink", name);
	snprintf(name, sizeof name, ".%s.xps.minisig.tmp.", id);
	plen = strlen(name);
	fd = xp_os_openat(dfd, ".", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0 || !(d = xp_os_fdopendir(fd))) {
		rc = xp_err_sys(err, XP_EFAIL, "data/%.2s", id);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while (rc == 0 && (e = readdir(d)))
		if (strncmp(e->d_name, name, plen) == 0 && xp_os_unlinkat(dfd, e->d_name) < 0 &&
		    errno != ENOENT)
			rc = xp_err_sys(err, XP_EFAIL, "%s: unlink", e->d_name);
	xp_os_closedir(d);
	if (rc == 0)
		rc = xp_vault_destroy(&op->vault, id, NULL, NULL, NULL, err);
	return rc;
}

/* A seal's temp file removed: journaled, then reported. */
struct discard {
	char id[XP_REPO_ID_HEX];
	char rel[64];  /* data/XX/.ID.xps.tmp.XXXXXX */
	char why[128]; /* the journal's reason and the report's sentence */
};
struct discards {
	struct discard *v;
	size_t n;
};

/* Removes the temp files in data/SUB (dfd, closed here) that no running seal holds. */
static int discard_in(struct xp_op *op, int dfd, const char *sub, struct discards *out,
                      struct xp_err *err)
{
	DIR *d = xp_os_fdopendir(dfd);
	struct dirent *e;
	int rc = 0, any = 0;

	if (!d)
		return xp_err_sys(err, XP_EFAIL, "data/%s", sub);
	while (rc == 0 && (e = readdir(d))) {
		char id[XP_REPO_ID_HEX];
		struct discard *grown;
		struct stat st;
		int fd, removed = 0;

		if (!xp_seal_temp_name(sub, e->d_name, id))
			continue;
		/* Not following a symbolic link, and not blocking on a FIFO. */
		fd = xp_os_openat(xp_os_dirfd(d), e->d_name, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0) {
			if (errno != ENOENT && errno != ELOOP)
				rc = xp_err_sys(err, XP_EFAIL, "data/%s/%s", sub, e->d_name);
			continue;
		}
		/* Anything but a regular file is not a seal's: left for the check to report. */
		if (fstat(fd, &st) < 0)
			rc = xp_err_sys(err, XP_EFAIL, "data/%s/%s", sub, e->d_name);
		else if (S_ISREG(st.st_mode) && xp_os_lock(fd, XP_LOCK_EX | XP_LOCK_NB) == 0 &&
		         (rc = remove_leftovers(op, xp_os_dirfd(d), id, err)) == 0)
			rc = unlink_same(xp_os_dirfd(d), e->d_name, fd, &removed, err);
		else if (S_ISREG(st.st_mode) && errno != EWOULDBLOCK)
			rc = xp_err_sys(err, XP_EFAIL, "data/%s/%s: lock", sub, e->d_name);
		close(fd);
		if (!removed)
			continue;
		any = 1;
		grown = realloc(out->v, (out->n + 1) * sizeof *grown);
		if (!grown) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		out->v = grown;
		grown = &out->v[out->n++];
		memcpy(grown->id, id, sizeof grown->id);
		snprintf(grown->rel, sizeof grown->rel, "data/%.2s/%.48s", sub, e->d_name);
		snprintf(grown->why, sizeof grown->why, "removed %s left by an interrupted seal",
		         grown->rel);
	}
	if (rc == 0 && any && xp_os_fsync_dirfd(xp_os_dirfd(d)) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "data/%s: fsync", sub);
	xp_os_closedir(d);
	return rc;
}

/* Journals "discarded" for each removal (one write), then reports them to the tool. */
static int discard_record(struct xp_op *op, const struct discards *v, struct xp_err *err)
{
	struct xp_jline *lines;
	int rc;

	if (!v->n)
		return 0;
	lines = calloc(v->n, sizeof *lines);
	if (!lines)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	for (size_t i = 0; i < v->n; i++)
		lines[i] = (struct xp_jline){v->v[i].id, "discarded", v->v[i].why, NULL};
	rc = xp_journal_put_lines(op->repo, &op->js, lines, v->n, err);
	for (size_t i = 0; rc == 0 && notice_fn && i < v->n; i++) {
		struct xp_catalog_finding f = {XP_FIND_DISCARDED, v->v[i].id, v->v[i].rel,
		                               v->v[i].why};

		notice_fn(notice_ctx, &f);
	}
	free(lines);
	return rc;
}

int xp_op_discard_seal_temps(struct xp_op *op, struct xp_err *err)
{
	char *data = xp_repo_file(op->repo, XP_REPO_DATA);
	struct discards v = {0};
	struct dirent *e;
	DIR *d = NULL;
	int fd, rc = 0;

	if (!data)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	fd = xp_os_open_nofollow(data, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : xp_err_sys(err, XP_EFAIL, "%s", data);
		goto out;
	}
	d = xp_os_fdopendir(fd);
	if (!d) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", data);
		goto out;
	}
	while (rc == 0 && (e = readdir(d))) {
		int sfd;

		if (!xp_repo_valid_sub(e->d_name))
			continue;
		sfd = xp_os_openat(xp_os_dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY, 0);
		if (sfd < 0) {
			if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
				rc = xp_err_sys(err, XP_EFAIL, "%s/%s", data, e->d_name);
			continue;
		}
		rc = discard_in(op, sfd, e->d_name, &v, err);
	}
	/* What was removed is recorded even when a later directory failed. */
	if (v.n) {
		struct xp_err jerr = {0};
		int jrc = discard_record(op, &v, &jerr);

		if (rc == 0 && jrc) {
			rc = jrc;
			*err = jerr;
		}
	}
out:
	free(v.v);
	if (d)
		xp_os_closedir(d);
	free(data);
	return rc;
}
