/* The two kinds of target: a directory (another disk, an NFS or SMB mount), written here, and
 * an rclone remote, driven as a subprocess with the administrator's config file. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <sodium.h>

#include "repo/copy-int.h"
#include "base/fault.h"
#include "base/io.h"
#include "base/os.h"
#include "base/str.h"

static int rel_ok(const char *rel)
{
	return *rel && *rel != '/' && !strstr(rel, "..") && !strpbrk(rel, "\t\n\r");
}

int xp_ct_add_file(struct xp_ct_listing *l, const char *rel, uint64_t size)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct xp_ct_file *v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].rel = strdup(rel);
	if (!l->v[l->n].rel)
		return -1;
	l->v[l->n++].size = size;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct xp_ct_file *)a)->rel, ((const struct xp_ct_file *)b)->rel);
}

void xp_ct_listing_free(struct xp_ct_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].rel);
	free(l->v);
	memset(l, 0, sizeof *l);
}

int64_t xp_ct_listing_size(const struct xp_ct_listing *l, const char *rel)
{
	struct xp_ct_file key = {(char *)rel, 0}, *f;

	f = l->n ? bsearch(&key, l->v, l->n, sizeof *l->v, cmp_file) : NULL;
	return f ? (int64_t)f->size : -1;
}

/* ---- a directory target ---- */

/* Opens the directory of rel (its part before the last '/') under the target's root, one
 * component at a time, never through a link; create makes what is missing. *dfd is closed by
 * the caller; *base points into rel. XP_ENOENT when missing and not created. */
static int dir_of(const struct xp_copy_target *t, const char *rel, int create, int *dfd,
                  const char **base, struct xp_err *err)
{
	char part[256];
	const char *p = rel, *slash;
	int fd, next, rc = 0;

	*dfd = -1;
	if (create && xp_mkdirs(t->where, 0700, err) != 0)
		return err->code;
	fd = xp_os_open(t->where, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "copy %s: %s",
		                  t->name, t->where);
	while ((slash = strchr(p, '/')) != NULL) {
		if ((size_t)(slash - p) >= sizeof part) {
			rc = xp_err_set(err, XP_EFAIL, "copy %s: %s: name too long", t->name, rel);
			goto out;
		}
		memcpy(part, p, (size_t)(slash - p));
		part[slash - p] = '\0';
		if (create && xp_os_mkdirat(fd, part, 0700) != 0 && errno != EEXIST) {
			rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, part);
			goto out;
		}
		next = xp_os_openat(fd, part, O_RDONLY | O_DIRECTORY, 0);
		if (next < 0) {
			rc = xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL,
			                "copy %s: %s/%.*s (not a directory, or a link)", t->name,
			                t->where, (int)(slash - rel), rel);
			goto out;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	*dfd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Lists the directory dfd (named rel, "" for the root) into l, recursively. */
static int dir_walk(const struct xp_copy_target *t, int dfd, const char *rel,
                    struct xp_ct_listing *l, struct xp_err *err)
{
	DIR *d = xp_os_fdopendir(dfd);
	struct dirent *de;
	struct stat st;
	char *path = NULL;
	int rc = 0, sub;

	if (!d) {
		close(dfd);
		return xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, rel);
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		free(path);
		path = *rel ? xp_asprintf("%s/%s", rel, de->d_name) : strdup(de->d_name);
		if (!path) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		if (xp_os_lstatat(xp_os_dirfd(d), de->d_name, &st) != 0) {
			rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, path);
		} else if (S_ISDIR(st.st_mode)) {
			sub = xp_os_openat(xp_os_dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY, 0);
			rc = sub < 0 ? xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name,
			                          t->where, path)
			             : dir_walk(t, sub, path, l, err);
		} else if (xp_ct_add_file(l, path, (uint64_t)st.st_size) != 0) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		}
	}
	if (rc == 0 && errno)
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, rel);
	free(path);
	xp_os_closedir(d);
	return rc;
}

static int dir_list(const struct xp_copy_target *t, struct xp_ct_listing *l, struct xp_err *err)
{
	int fd = xp_os_open(t->where, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return xp_err_sys(err, XP_EFAIL, "copy %s: %s", t->name, t->where);
	return dir_walk(t, fd, "", l, err);
}

/* Copies fd into the open file out, hashing what it sends. */
/* BLAKE2b on a second thread: a chunk is hashed while the next one is read and the last one
 * written, so that copying costs about what its I/O costs. */
struct hasher {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	crypto_generichash_state *h;
	const uint8_t *buf; /* the chunk being hashed, or NULL */
	size_t n;
	int done;
};

static void *hash_loop(void *arg)
{
	struct hasher *x = arg;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (!x->buf && !x->done)
			pthread_cond_wait(&x->cv, &x->mu);
		if (!x->buf)
			break;
		pthread_mutex_unlock(&x->mu);
		crypto_generichash_update(x->h, x->buf, (unsigned long long)x->n);
		pthread_mutex_lock(&x->mu);
		x->buf = NULL;
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* Waits until the chunk before is hashed, then hands buf over (NULL: none, the end). */
static void hash_submit(struct hasher *x, const uint8_t *buf, size_t n)
{
	pthread_mutex_lock(&x->mu);
	while (x->buf)
		pthread_cond_wait(&x->cv, &x->mu);
	x->buf = buf;
	x->n = n;
	x->done = buf == NULL;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

/* Direct writes are in multiples of this, from buffers aligned to it: no disk we know of has
 * logical blocks larger than 4 KiB. */
#define DIRECT_ALIGN 4096

/* Whether fd is open for direct writes. */
static int is_direct(int fd)
{
#ifdef O_DIRECT
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_DIRECT);
#else
	(void)fd;
	return 0;
#endif
}

/* Turns direct writes to fd on or off (where the filesystem refuses them, off): whether they
 * are on now. */
static int set_direct(int fd, int on)
{
#ifdef O_DIRECT
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT);
#else
	(void)on;
#endif
	return is_direct(fd);
}

/* Writes the n bytes of buf, at offset off of out. While *direct (out was opened for direct
 * writes by xp_ct_stage), whole blocks go from buf to the disk, never through the page cache;
 * a file's last bytes, or all of them where the filesystem refuses a direct write (EINVAL), go
 * through the page cache, their writeback started at once: *direct is then cleared for good. */
static int put(int out, const uint8_t *buf, size_t n, uint64_t off, int *direct, struct xp_err *err)
{
	size_t done = 0;

	while (done < n) {
		size_t len = n - done;
		ssize_t k;

		if (*direct && len < DIRECT_ALIGN && (*direct = set_direct(out, 0)) != 0)
			break;
		if (*direct)
			len &= ~(size_t)(DIRECT_ALIGN - 1);
		k = write(out, buf + done, len);
		if (k < 0 && errno == EINVAL && *direct) {
			/* refused: the rest goes through the page cache */
			if ((*direct = set_direct(out, 0)) != 0)
				break;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return xp_err_sys(err, XP_EFAIL, "write");
#ifdef SYNC_FILE_RANGE_WRITE
		/* Start writing back what went to the page cache: the disk works while the next
		 * chunk is read and hashed, and the fsync before the rename waits for little. */
		if (!*direct)
			(void)sync_file_range(out, (off_t)(off + done), k, SYNC_FILE_RANGE_WRITE);
#endif
		done += (size_t)k;
	}
	return done < n ? xp_err_set(err, XP_EFAIL, "cannot turn direct writes off") : 0;
}

int xp_ct_pump(const struct xp_copy_target *t, int fd, const char *path, int out, const char *rel,
               crypto_generichash_state *h, uint64_t *size, struct xp_err *err)
{
	struct hasher x = {.h = h};
	uint8_t *buf = NULL, *cur;
	ssize_t n;
	int rc = 0, k = 0, direct = out >= 0 && is_direct(out);

	*size = 0;
	if (!(buf = xp_os_aligned_alloc(DIRECT_ALIGN, 2 * (size_t)XP_CT_BUF)))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	if (pthread_create(&x.th, NULL, hash_loop, &x) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "copy %s: cannot start a thread", t->name);
		goto out;
	}
	/* Two buffers: one is read into (and written) while the other is hashed; handing a
	 * buffer over waits for the other's hash, so a buffer is never read into while hashed. */
	for (cur = buf; (n = xp_read_full(fd, cur, XP_CT_BUF)) > 0;
	     cur = buf + (k ^= 1) * XP_CT_BUF) {
		hash_submit(&x, cur, (size_t)n);
		if (out >= 0 && put(out, cur, (size_t)n, *size, &direct, err) != 0) {
			rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s", t->name, rel);
			break;
		}
		*size += (uint64_t)n;
	}
	if (n < 0 && rc == 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	hash_submit(&x, NULL, 0);
	pthread_join(x.th, NULL);
out:
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.mu);
	xp_os_aligned_free(buf);
	return rc;
}

/* The temp name of base, into buf. */
static int temp_name(const char *base, char *buf, size_t len)
{
	return snprintf(buf, len, ".%s%s", base, XP_CT_TEMP) < (int)len ? 0 : -1;
}

int xp_ct_check_sum(const struct xp_copy_target *t, const char *rel, const uint8_t *got,
                    uint64_t got_size, const uint8_t *want, uint64_t want_size, struct xp_err *err)
{
	if (got_size != want_size || sodium_memcmp(got, want, XP_CATALOG_HASH_LEN) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "copy %s: %s: the bytes sent (%llu) are not those of the catalog "
		                  "(%llu bytes): the repository's file changed; nothing copied",
		                  t->name, rel, (unsigned long long)got_size,
		                  (unsigned long long)want_size);
	return 0;
}

int xp_ct_stage(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
                const uint8_t *want, uint64_t want_size, struct xp_ct_staged *s, struct xp_err *err)
{
	crypto_generichash_state h;
	uint8_t got[XP_CATALOG_HASH_LEN];
	const char *base;
	uint64_t size;
	int rc;

	memset(s, 0, sizeof *s);
	s->dfd = s->fd = -1;
	if (!rel_ok(rel) || t->kind != XP_COPY_DIR)
		return xp_err_set(err, XP_EFAIL, "copy %s: %s: bad name", t->name, rel);
	rc = dir_of(t, rel, 1, &s->dfd, &base, err);
	if (rc)
		return rc;
	if (snprintf(s->rel, sizeof s->rel, "%s", rel) >= (int)sizeof s->rel ||
	    temp_name(base, s->tmp, sizeof s->tmp) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "copy %s: %s: name too long", t->name, rel);
		goto out;
	}
	s->base = (size_t)(base - rel);
	/* A temp file a killed run left (or anything planted at its name: a link) goes first: it
	 * never had the final name, and the new one is made afresh, never opened through a link. */
	if (xp_os_unlinkat(s->dfd, s->tmp) != 0 && errno != ENOENT) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, rel);
		goto out;
	}
	s->fd = xp_os_openat(s->dfd, s->tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (s->fd < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, rel);
		goto out;
	}
	/* Written straight from the buffer to the disk where the filesystem allows it: no copy
	 * into the page cache, whose writeback the fsync before the rename would wait for. */
	(void)set_direct(s->fd, 1);
	crypto_generichash_init(&h, NULL, 0, sizeof got);
	rc = xp_ct_pump(t, fd, path, s->fd, rel, &h, &size, err);
	crypto_generichash_final(&h, got, sizeof got);
	if (rc == 0 && want)
		rc = xp_ct_check_sum(t, rel, got, size, want, want_size, err);
out:
	if (rc)
		xp_ct_unstage(s);
	return rc;
}

void xp_ct_unstage(struct xp_ct_staged *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		(void)xp_os_unlinkat(s->dfd, s->tmp);
	}
	if (s->dfd >= 0)
		close(s->dfd);
	s->fd = s->dfd = -1;
}

/* Whether s's directory is that of an earlier one of v (fsynced once for both). */
static int dir_seen(const struct xp_ct_staged *v, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (v[k].dfd >= 0 && v[k].base == v[i].base &&
		    !strncmp(v[k].rel, v[i].rel, v[i].base))
			return 1;
	return 0;
}

int xp_ct_commit(const struct xp_copy_target *t, struct xp_ct_staged *v, size_t n,
                 struct xp_err *err)
{
	int rc = 0;

	/* Each file's fsync waits for little: its writeback started as it was written. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (v[i].fd < 0)
			continue;
		xp_fault_point("copy-before-fsync");
		if (xp_os_fsync(v[i].fd) != 0 ||
		    xp_os_renameat(v[i].dfd, v[i].tmp, v[i].rel + v[i].base) != 0) {
			rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where,
			                v[i].rel);
		} else {
			close(v[i].fd);
			v[i].fd = -1;
		}
	}
	/* The renames are on disk before the caller records anything: one fsync per directory. */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (v[i].dfd >= 0 && !dir_seen(v, i) && xp_os_fsync_dirfd(v[i].dfd) != 0)
			rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s", t->name, t->where);
	for (size_t i = 0; i < n; i++)
		xp_ct_unstage(&v[i]);
	return rc;
}

static int dir_put(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
                   const uint8_t *want, uint64_t want_size, struct xp_err *err)
{
	struct xp_ct_staged s;
	int rc;

	rc = xp_ct_stage(t, fd, path, rel, want, want_size, &s, err);
	if (rc == 0)
		rc = xp_ct_commit(t, &s, 1, err);
	return rc;
}

static int dir_hash(const struct xp_copy_target *t, const char *rel, uint8_t *hash, uint64_t *size,
                    struct xp_err *err)
{
	crypto_generichash_state h;
	const char *base;
	int dfd, fd, rc;

	rc = dir_of(t, rel, 0, &dfd, &base, err);
	if (rc)
		return rc;
	fd = xp_os_openat(dfd, base, O_RDONLY | O_NONBLOCK, 0);
	close(dfd);
	if (fd < 0)
		return xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "copy %s: %s/%s",
		                  t->name, t->where, rel);
	crypto_generichash_init(&h, NULL, 0, XP_CATALOG_HASH_LEN);
	rc = xp_ct_pump(t, fd, rel, -1, rel, &h, size, err);
	crypto_generichash_final(&h, hash, XP_CATALOG_HASH_LEN);
	close(fd);
	return rc;
}

static int dir_remove(const struct xp_copy_target *t, const char *rel, struct xp_err *err)
{
	const char *base;
	int dfd, rc;

	rc = dir_of(t, rel, 0, &dfd, &base, err);
	if (rc == XP_ENOENT)
		return 0;
	if (rc)
		return rc;
	if (xp_os_unlinkat(dfd, base) != 0 && errno != ENOENT)
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s/%s", t->name, t->where, rel);
	else if (xp_os_fsync_dirfd(dfd) != 0)
		rc = xp_err_sys(err, XP_EFAIL, "copy %s: %s", t->name, t->where);
	close(dfd);
	return rc;
}

static int dir_same(const struct xp_copy_target *t, const char *dir, const char *const *rel,
                    size_t n, int *same, struct xp_err *err)
{
	struct xp_copy_target src = {
	        .name = "repository", .kind = XP_COPY_DIR, .where = (char *)dir};
	uint8_t a[XP_CATALOG_HASH_LEN], b[XP_CATALOG_HASH_LEN];
	uint64_t na, nb;
	struct xp_err ignored;

	(void)err;
	for (size_t i = 0; i < n; i++)
		same[i] = dir_hash(&src, rel[i], a, &na, &ignored) == 0 &&
		          dir_hash(t, rel[i], b, &nb, &ignored) == 0 && na == nb &&
		          sodium_memcmp(a, b, sizeof a) == 0;
	return 0;
}

/* ---- the interface ---- */

int xp_ct_same(const struct xp_copy_target *t, const char *dir, const char *const *rel, size_t n,
               int *same, struct xp_err *err)
{
	for (size_t i = 0; i < n; i++) {
		same[i] = 0;
		if (!rel_ok(rel[i]))
			return xp_err_set(err, XP_EFAIL, "copy %s: %s: bad name", t->name, rel[i]);
	}
	return t->kind == XP_COPY_DIR ? dir_same(t, dir, rel, n, same, err)
	                              : xp_ct_rclone_same(t, dir, rel, n, same, err);
}

int xp_ct_list(const struct xp_copy_target *t, struct xp_ct_listing *l, struct xp_err *err)
{
	int rc;

	memset(l, 0, sizeof *l);
	rc = t->kind == XP_COPY_DIR ? dir_list(t, l, err) : xp_ct_rclone_list(t, l, err);
	if (rc)
		xp_ct_listing_free(l);
	else if (l->n)
		qsort(l->v, l->n, sizeof *l->v, cmp_file);
	return rc;
}

int xp_ct_put(const struct xp_copy_target *t, int fd, const char *path, const char *rel,
              const uint8_t *want, uint64_t want_size, struct xp_err *err)
{
	if (!rel_ok(rel))
		return xp_err_set(err, XP_EFAIL, "copy %s: %s: bad name", t->name, rel);
	return t->kind == XP_COPY_DIR ? dir_put(t, fd, path, rel, want, want_size, err)
	                              : xp_ct_rclone_put(t, fd, path, rel, want, want_size, err);
}

int xp_ct_hash(const struct xp_copy_target *t, const char *rel, uint8_t hash[XP_CATALOG_HASH_LEN],
               uint64_t *size, struct xp_err *err)
{
	if (!rel_ok(rel))
		return xp_err_set(err, XP_EFAIL, "copy %s: %s: bad name", t->name, rel);
	return t->kind == XP_COPY_DIR ? dir_hash(t, rel, hash, size, err)
	                              : xp_ct_rclone_hash(t, rel, hash, size, err);
}

int xp_ct_remove(const struct xp_copy_target *t, const char *rel, struct xp_err *err)
{
	if (!rel_ok(rel))
		return xp_err_set(err, XP_EFAIL, "copy %s: %s: bad name", t->name, rel);
	return t->kind == XP_COPY_DIR ? dir_remove(t, rel, err) : xp_ct_rclone_remove(t, rel, err);
}
