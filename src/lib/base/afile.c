#include "config.h"

#include "base/afile.h"
#include "base/err.h"
#include "base/io.h"
#include "base/fault.h"
#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temp file beside path, or (in_place) path itself opened for writing. */
static int afile_start(struct xp_afile *af, const char *path, mode_t mode, int in_place,
                       struct xp_err *err)
{
	const char *base = xp_os_path_base(path);
	int dirlen = (int)(base - path);
	int rc = 0;

	af->fd = -1;
	af->tmp = NULL;
	af->path = strdup(path);
	if (!af->path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (in_place) {
		af->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (af->fd < 0)
			rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	af->tmp = xp_asprintf("%.*s.%s.tmp.XXXXXX", dirlen, path, base);
	if (!af->tmp) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	af->fd = xp_os_mkstemp(af->tmp);
	if (af->fd < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		free(af->tmp);
		af->tmp = NULL;
		goto out;
	}
	if (xp_os_fchmod(af->fd, mode) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s: chmod", path);
out:
	if (rc)
		xp_afile_abort(af);
	return rc;
}

int xp_afile_open(struct xp_afile *af, const char *path, mode_t mode, struct xp_err *err)
{
	struct stat st;

	af->fd = -1;
	af->tmp = af->path = NULL;
	/* lstat: a link is replaced by the rename, never followed. A character device
	 * (/dev/null) is written in place: renaming over it would replace the node. */
	if (xp_os_lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		if (!S_ISCHR(st.st_mode))
			return xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s)", path,
			                  xp_file_kind(st.st_mode));
		return afile_start(af, path, mode, 1, err);
	}
	return afile_start(af, path, mode, 0, err);
}

int xp_afile_open_output(struct xp_afile *af, const char *path, mode_t mode, struct xp_err *err)
{
	struct stat st, link;
	int rc;

	af->fd = -1;
	af->tmp = af->path = NULL;
	if (xp_os_lstat(path, &link) < 0)
		return errno == ENOENT ? afile_start(af, path, mode, 0, err)
		                       : xp_err_sys(err, XP_EFAIL, "%s", path);
	if (stat(path, &st) < 0)
		st = link; /* a dangling link: replaced */
	if (S_ISCHR(st.st_mode))
		return afile_start(af, path, mode, 1, err);
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s): refused", path,
		                  xp_file_kind(st.st_mode));
	if (!xp_os_owned(path, &link) || !xp_os_owned(path, &st)) {
		/* POSIX "uid N"; Windows the owning account, as Windows names it */
		char *who = xp_os_owner_name(path, !xp_os_owned(path, &link) ? &link : &st);

		rc = who ? xp_err_set(err, XP_EFAIL, "%s: owned by another user (%s): refused",
		                      path, who)
		         : xp_err_set(err, XP_ENOMEM, "out of memory");
		free(who);
		return rc;
	}
	return afile_start(af, path, mode, 0, err);
}

int xp_afile_commit(struct xp_afile *af, struct xp_err *err)
{
	int rc;

	if (!af->tmp) { /* written in place: nothing to rename */
		rc = close(af->fd) < 0 ? xp_err_sys(err, XP_EFAIL, "%s: close", af->path) : 0;
		af->fd = -1;
		xp_afile_abort(af);
		return rc;
	}
	if (xp_os_fsync(af->fd) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", af->path);
		goto fail;
	}
	/* Renamed while still open: an flock(2) its writer holds on it (a seal's) lasts until
	 * the temp name is gone, so no one takes it for a leftover in between. */
	xp_fault_point("rename");
	if (xp_os_replace(af->tmp, af->path) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: rename", af->path);
		goto fail;
	}
	free(af->tmp);
	af->tmp = NULL;
	rc = close(af->fd) < 0 ? xp_err_sys(err, XP_EFAIL, "%s: close", af->path) : 0;
	af->fd = -1;
	if (rc == 0)
		rc = xp_fsync_dir(af->path, err);
	free(af->path);
	af->path = NULL;
	return rc;
fail:
	xp_afile_abort(af);
	return rc;
}

void xp_afile_abort(struct xp_afile *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
	af->tmp = af->path = NULL;
}

int xp_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                         struct xp_err *err)
{
	struct xp_afile af;
	int rc;

	rc = xp_afile_open(&af, path, mode, err);
	if (rc)
		return rc;
	rc = xp_write_all(af.fd, buf, len, err);
	if (rc) {
		xp_err_prefix(err, "%s", path);
		xp_afile_abort(&af);
		return rc;
	}
	return xp_afile_commit(&af, err);
}
