/* The repository's layout and how its files are opened (see repo.h). */
#include "config.h"

#include "repo/repo.h"
#include "base/err.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[] = {
        [XP_REPO_CONFIG] = "config",
        [XP_REPO_CATALOG] = "catalog",
        [XP_REPO_CATALOG_SIG] = "catalog.minisig",
        [XP_REPO_CATALOG_SIG_NEW] = "catalog.minisig.new",
        [XP_REPO_JOURNAL] = "journal",
        [XP_REPO_LOCK] = "lock",
        [XP_REPO_KEYS] = "keys",
        [XP_REPO_PUBLIC_KEY] = "keys/repo.pub",
        [XP_REPO_SECRET_KEY] = "keys/repo.key",
        [XP_REPO_REPO_ID] = "keys/repo.id",
        [XP_REPO_SIGNER_PUB] = "keys/signer.pub",
        [XP_REPO_SHRED_DIR] = "keys/shred",
        [XP_REPO_DATA] = "data",
        [XP_REPO_ERASURES] = "erasures",
};

const char *xp_repo_state_dir(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("XP_STATE_DIR"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (path[0])
		return path;
	if (env && *env)
		snprintf(path, sizeof path, "%s", env);
	else if (xp_os_privileged() || !home || !*home)
		snprintf(path, sizeof path, "%s", xp_os_system_state_dir());
	else if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/xpbackup", xdg);
	else
		snprintf(path, sizeof path, "%s/.local/state/xpbackup", home);
	return path;
}

const char *xp_repo_name(enum xp_repo_file f)
{
	return names[f];
}

char *xp_repo_file(const char *repo, enum xp_repo_file f)
{
	return xp_asprintf("%s/%s", repo, names[f]);
}

char *xp_repo_join(const char *repo, const char *rel)
{
	return xp_asprintf("%s/%s", repo, rel);
}

static int lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

int xp_repo_valid_id(const char *id)
{
	return lower_hex(id, XP_REPO_ID_HEX - 1);
}

int xp_repo_valid_sub(const char *name)
{
	return lower_hex(name, 2);
}

int xp_repo_id_in_sub(const char *sub, const char *id)
{
	return xp_repo_valid_id(id) && sub && strlen(sub) == 2 && strncmp(sub, id, 2) == 0;
}

int xp_repo_id_of_name(const char *name, char id[XP_REPO_ID_HEX])
{
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	if (strlen(base) != XP_REPO_ID_HEX - 1 + 4 ||
	    strcmp(base + XP_REPO_ID_HEX - 1, ".xps") != 0)
		return -1;
	memcpy(id, base, XP_REPO_ID_HEX - 1);
	id[XP_REPO_ID_HEX - 1] = '\0';
	return xp_repo_valid_id(id) ? 0 : -1;
}

void xp_repo_backup_rel(const char *id, char buf[XP_REPO_REL_MAX])
{
	snprintf(buf, XP_REPO_REL_MAX, "data/%.2s/%.32s.xps", id, id);
}

char *xp_repo_backup(const char *repo, const char *id, const char *suffix)
{
	return xp_asprintf("%s/data/%.2s/%s.xps%s", repo, id, id, suffix ? suffix : "");
}

char *xp_repo_data_sub(const char *repo, const char *sub)
{
	return xp_asprintf("%s/data/%s", repo, sub);
}

/* The refusal of something found at path that is not what was expected. */
static int refuse(struct xp_err *err, const char *path, int plen, int dfd, const char *name,
                  int dir)
{
	struct stat st;
	const char *what = "a symbolic link";

	if (xp_os_lstatat(dfd, name, &st) == 0)
		what = xp_file_kind(st.st_mode);
	return xp_err_set(err, XP_EFAIL, "%.*s: not a %s (%s)", plen, path,
	                  dir ? "directory" : "regular file", what);
}

/* Walks path's directories below repo without following a link; *dfd gets the descriptor of
 * the last directory (AT_FDCWD when path is not under repo) and *last the final name. */
static int walk(const char *repo, const char *path, int *dfd, const char **last, struct xp_err *err)
{
	size_t n = repo ? strlen(repo) : 0;
	const char *rel, *slash;
	char seg[256];
	int fd, next;

	*dfd = AT_FDCWD;
	*last = path;
	while (n > 1 && repo[n - 1] == '/')
		n--;
	if (!repo || strncmp(path, repo, n) != 0 || path[n] != '/')
		return 0;
	fd = xp_os_open(repo, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", repo);
	for (rel = path + n; *rel == '/'; rel++)
		;
	while ((slash = strchr(rel, '/'))) {
		size_t len = (size_t)(slash - rel);

		if (len >= sizeof seg) {
			close(fd);
			return xp_err_set(err, XP_EFAIL, "%s: name too long", path);
		}
		memcpy(seg, rel, len);
		seg[len] = '\0';
		if (len > 0) {
			next = xp_os_openat(fd, seg, O_RDONLY | O_DIRECTORY, 0);
			if (next < 0) {
				int rc;

				if (errno == ELOOP || errno == ENOTDIR)
					rc = refuse(err, path, (int)(slash - path), fd, seg, 1);
				else
					rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL,
					                "%s", path);
				close(fd);
				return rc;
			}
			close(fd);
			fd = next;
		}
		rel = slash + 1;
	}
	*dfd = fd;
	*last = rel;
	return 0;
}

int xp_repo_unlink(const char *repo, const char *path, struct xp_err *err)
{
	const char *name;
	int dfd, rc;

	rc = walk(repo, path, &dfd, &name, err);
	if (rc)
		return rc == XP_ENOENT ? 0 : rc;
	/* unlinkat removes the name itself: a link planted there goes, never its target */
	if (xp_os_unlinkat(dfd, name) < 0 && errno != ENOENT)
		rc = xp_err_sys(err, XP_EFAIL, "%s: unlink", path);
	if (dfd != AT_FDCWD)
		close(dfd);
	return rc;
}

int xp_repo_open(const char *repo, const char *path, int flags, mode_t mode, int *fd,
                 struct xp_err *err)
{
	const char *name;
	struct stat st;
	int dfd, f = -1, rc;

	*fd = -1;
	rc = walk(repo, path, &dfd, &name, err);
	if (rc)
		return rc;
	/* O_NONBLOCK: opening a FIFO never waits for its other end; it is refused below. */
	f = xp_os_openat(dfd, name, flags | O_NONBLOCK | O_NOCTTY, mode);
	if (f < 0) {
		if (errno == ELOOP || errno == ENXIO || errno == EISDIR)
			rc = refuse(err, path, (int)strlen(path), dfd, name, 0);
		else
			rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
		goto out;
	}
	if (fstat(f, &st) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = xp_err_set(err, XP_EFAIL, "%s: not a regular file (%s)", path,
		                xp_file_kind(st.st_mode));
		goto out;
	}
	if (xp_os_set_blocking(f) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	*fd = f;
	f = -1;
out:
	if (f >= 0)
		close(f);
	if (dfd != AT_FDCWD)
		close(dfd);
	return rc;
}

int xp_repo_opendir(const char *repo, const char *path, DIR **d, struct xp_err *err)
{
	const char *name;
	int dfd, f = -1, rc;

	*d = NULL;
	rc = walk(repo, path, &dfd, &name, err);
	if (rc)
		return rc;
	f = xp_os_openat(dfd, *name ? name : ".", O_RDONLY | O_DIRECTORY, 0);
	if (f < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			rc = refuse(err, path, (int)strlen(path), dfd, name, 1);
		else
			rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s", path);
		goto out;
	}
	*d = xp_os_fdopendir(f);
	if (!*d)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
out:
	if (dfd != AT_FDCWD)
		close(dfd);
	return rc;
}

int xp_repo_read(const char *repo, const char *path, size_t max, char **buf, size_t *len,
                 struct xp_err *err)
{
	int fd, rc;

	rc = xp_repo_open(repo, path, O_RDONLY, 0, &fd, err);
	if (rc)
		return rc;
	rc = xp_fd_read(fd, path, max, buf, len, err);
	close(fd);
	return rc;
}

int xp_repo_read_optional(const char *repo, const char *path, size_t max, char **buf, size_t *len,
                          struct xp_err *err)
{
	struct xp_err e = {0};
	int rc;

	*buf = NULL;
	if (len)
		*len = 0;
	rc = xp_repo_read(repo, path, max, buf, len, &e);
	if (rc == XP_ENOENT)
		return 0;
	if (rc && err)
		*err = e;
	return rc;
}
