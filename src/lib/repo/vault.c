/* The key vault: where shreddable backups' keys live, and every place they are destroyed (see
 * vault.h). */
#include "config.h"

#include "repo/vault.h"
#include "repo/repo.h"
#include "base/os.h"
#include "base/afile.h"
#include "base/err.h"
#include "base/fault.h"
#include "base/io.h"
#include "base/str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define COPIES_MAX 65536

/* One place a key may be: files are reached from base without following a link below it. */
struct place {
	const char *base; /* STATE, DIR or REPO */
	char *dir;        /* the directory of the key files (owned) */
	char *name;       /* for people and the journal (owned) */
	int copy;         /* a registered vault copy: may be unreachable */
};

static void place_free(struct place *p)
{
	free(p->dir);
	free(p->name);
	p->dir = p->name = NULL;
}

enum { HOST, LEGACY, EXTRA };

/* The host's vault, REPO/keys/shred or v->extra's directory, by which. */
static int place_of(const struct xp_vault *v, int which, struct place *p, struct xp_err *err)
{
	memset(p, 0, sizeof *p);
	if (which == HOST) {
		p->base = v->state;
		p->dir = strdup(v->dir);
		p->name = strdup("host vault");
	} else if (which == LEGACY) {
		p->base = v->repo;
		p->dir = xp_repo_file(v->repo, XP_REPO_SHRED_DIR);
		p->name = strdup("keys/shred");
	} else {
		p->base = v->extra;
		p->dir = xp_asprintf("%s/%s", v->extra, v->repo_id);
		p->name = xp_asprintf("vault copy %s", v->extra);
		p->copy = 1;
	}
	if (p->dir && p->name)
		return 0;
	place_free(p);
	return xp_err_set(err, XP_ENOMEM, "out of memory");
}

static int copy_place(const struct xp_vault *v, size_t i, struct place *p, struct xp_err *err)
{
	memset(p, 0, sizeof *p);
	p->base = v->copies[i];
	p->dir = xp_asprintf("%s/%s", v->copies[i], v->repo_id);
	p->name = xp_asprintf("vault copy %s", v->copies[i]);
	p->copy = 1;
	if (p->dir && p->name)
		return 0;
	place_free(p);
	return xp_err_set(err, XP_ENOMEM, "out of memory");
}

static char *key_file(const struct place *p, const char *id)
{
	return xp_asprintf("%s/%s.key", p->dir, id);
}

/* Whether p's directory is there, and no link on the way: a vault copy whose disk is not
 * mounted has no DIR/REPOID, and is unreachable rather than made anew. */
static int reach(const struct place *p, struct xp_err *err)
{
	DIR *d = NULL;
	int rc;

	rc = xp_repo_opendir(p->base, p->dir, &d, err);
	if (rc == 0)
		xp_os_closedir(d);
	else if (rc == XP_ENOENT && p->copy)
		rc = xp_err_set(err, XP_ENOENT, "%s is missing (not mounted?)", p->dir);
	return rc;
}

/* Reads p's key file of id: XP_ENOENT when it has none. */
static int read_key(const struct place *p, const char *id, uint8_t buf[XP_VAULT_KEY_LEN],
                    struct xp_err *err)
{
	char *path = key_file(p, id), *text = NULL;
	size_t len = 0;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read(p->base, path, XP_VAULT_KEY_LEN + 1, &text, &len, err);
	if (rc == 0 && len != XP_VAULT_KEY_LEN)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: not a key file (%zu bytes)", path, len);
	else if (rc == 0)
		memcpy(buf, text, XP_VAULT_KEY_LEN);
	if (text)
		sodium_memzero(text, len);
	free(text);
	free(path);
	return rc;
}

/* Writes p's key file of id durably; p's directory must be there already. */
static int write_key(const struct place *p, const char *id, const uint8_t key[XP_VAULT_KEY_LEN],
                     struct xp_err *err)
{
	char *path = key_file(p, id);
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = reach(p, err);
	if (rc == 0) {
		xp_fault_point("vault: write key");
		rc = xp_file_write_atomic(path, key, XP_VAULT_KEY_LEN, 0600, err);
	}
	free(path);
	return rc;
}

/* Overwrites a key file with zeros, syncs, removes it, syncs its directory. *existed says if
 * it was there. (On copy-on-write or flash storage the overwrite is best effort; the unlink is
 * what counts, together with there being no other copy of the key.) */
static int shred_file(const char *base, const char *path, int *existed, struct xp_err *err)
{
	static const uint8_t zero[512];
	struct stat st;
	int fd, rc = 0;

	*existed = 0;
	rc = xp_repo_open(base, path, O_WRONLY, 0, &fd, err);
	if (rc)
		return rc == XP_ENOENT ? 0 : rc;
	*existed = 1;
	if (fstat(fd, &st) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	xp_fault_point("shred: overwrite key");
	for (off_t done = 0; done < st.st_size && !rc;) {
		size_t n = (size_t)(st.st_size - done) < sizeof zero ? (size_t)(st.st_size - done)
		                                                     : sizeof zero;
		rc = xp_write_all(fd, zero, n, err);
		done += (off_t)n;
	}
	if (rc)
		goto out;
	xp_fault_point("shred: fsync key");
	if (xp_os_fsync(fd) < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s: fsync", path);
		goto out;
	}
	xp_fault_point("shred: unlink key");
	rc = xp_repo_unlink(base, path, err);
	if (rc)
		goto out;
	rc = xp_fsync_dir(path, err);
out:
	close(fd);
	return rc;
}

/* Whether name is a file of id's key: ID.key, ID.key.rekey, or a temp file of either. */
static int of_id(const char *name, const char *id)
{
	size_t n = strlen(id);

	if (name[0] == '.')
		name++;
	return strncmp(name, id, n) == 0 && strncmp(name + n, ".key", 4) == 0;
}

/* Destroys every file of id's key in p; XP_ENOENT when p's directory is not there. */
static int destroy_in(const struct place *p, const char *id, int *destroyed, struct xp_err *err)
{
	struct dirent *e;
	DIR *d = NULL;
	int rc;

	*destroyed = 0;
	rc = p->copy ? reach(p, err) : 0;
	if (rc == 0)
		rc = xp_repo_opendir(p->base, p->dir, &d, err);
	while (rc == 0 && (e = readdir(d))) {
		char *path;
		int existed = 0;

		if (!of_id(e->d_name, id))
			continue;
		path = xp_asprintf("%s/%s", p->dir, e->d_name);
		rc = path ? shred_file(p->base, path, &existed, err)
		          : xp_err_set(err, XP_ENOMEM, "out of memory");
		*destroyed |= existed;
		free(path);
	}
	if (d)
		xp_os_closedir(d);
	return rc;
}

static int read_copies(struct xp_vault *v, struct xp_err *err)
{
	char *path = xp_asprintf("%s/copies", v->dir), *text = NULL, *line, *save = NULL;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read_optional(v->state, path, COPIES_MAX, &text, NULL, err);
	for (line = rc || !text ? NULL : strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char **grown;

		if (strncmp(line, "copy ", 5) != 0 || !xp_os_path_absolute(line + 5))
			continue; /* comments */
		grown = realloc(v->copies, (v->ncopies + 1) * sizeof *grown);
		if (!grown || !(grown[v->ncopies] = strdup(line + 5))) {
			if (grown)
				v->copies = grown;
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		v->copies = grown;
		v->ncopies++;
	}
	free(text);
	free(path);
	return rc;
}

int xp_vault_open(const char *repo, struct xp_vault *v, struct xp_err *err)
{
	int rc;

	memset(v, 0, sizeof *v);
	v->repo = repo;
	rc = xp_keys_repo_id(repo, v->repo_id, err);
	if (rc)
		return rc;
	v->state = strdup(xp_repo_state_dir());
	v->dir = xp_asprintf("%s/vault/%s", xp_repo_state_dir(), v->repo_id);
	if (!v->state || !v->dir)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = read_copies(v, err);
	if (rc)
		xp_vault_free(v);
	return rc;
}

void xp_vault_free(struct xp_vault *v)
{
	for (size_t i = 0; i < v->ncopies; i++)
		free(v->copies[i]);
	free(v->copies);
	free(v->state);
	free(v->dir);
	v->copies = NULL;
	v->ncopies = 0;
	v->state = v->dir = NULL;
}

int xp_vault_read(void *vp, const char *id, uint8_t buf[XP_VAULT_KEY_LEN], struct xp_err *err)
{
	const struct xp_vault *v = vp;
	static const int order[] = {HOST, EXTRA, LEGACY};
	struct place p;
	int rc = XP_ENOENT;

	for (size_t i = 0; i < 3 && rc == XP_ENOENT; i++) {
		if (order[i] == EXTRA && !v->extra)
			continue;
		rc = place_of(v, order[i], &p, err);
		if (rc == 0)
			rc = read_key(&p, id, buf, err);
		place_free(&p);
	}
	if (rc == XP_ENOENT)
		rc = xp_err_set(err, XP_ENOENT,
		                "backup %s: key shredded or vault missing (no %s.key in %s%s%s)",
		                id, id, v->dir, v->extra ? " nor in " : "",
		                v->extra ? v->extra : "");
	return rc;
}

int xp_vault_holds(const struct xp_vault *v, const char *id)
{
	struct xp_err ignored;
	struct place p;
	int fd = -1;

	for (int which = HOST; which <= LEGACY && fd < 0; which++) {
		char *path;

		if (place_of(v, which, &p, &ignored))
			return 0;
		path = key_file(&p, id);
		if (path && xp_repo_open(p.base, path, O_RDONLY, 0, &fd, &ignored) != 0)
			fd = -1;
		free(path);
		place_free(&p);
	}
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

int xp_vault_here(const struct xp_vault *v)
{
	struct xp_err ignored;
	struct place p;
	DIR *d = NULL;
	int here = 0;

	for (int which = HOST; which <= LEGACY && !here; which++) {
		if (place_of(v, which, &p, &ignored))
			return 0;
		here = xp_repo_opendir(p.base, p.dir, &d, &ignored) == 0;
		if (here)
			closedir(d);
		place_free(&p);
	}
	return here;
}

/* The host's vault directory, made 0700 (and STATE/vault) when missing, and made 0700 again
 * when someone opened it to others. */
static int make_host(const struct xp_vault *v, const struct place *host, struct xp_err *err)
{
	struct stat st;
	int rc = xp_mkdirs(v->dir, 0700, err);

	if (rc == 0)
		rc = reach(host, err);
	if (rc == 0 && xp_os_lstat(v->dir, &st) == 0 && (st.st_mode & 077) &&
	    chmod(v->dir, 0700) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", v->dir);
	return rc;
}

int xp_vault_put(const struct xp_vault *v, const char *id, const uint8_t key[XP_VAULT_KEY_LEN],
                 size_t *missed, struct xp_err *err)
{
	struct place p;
	int rc;

	if (missed)
		*missed = 0;
	rc = place_of(v, HOST, &p, err);
	if (rc == 0 && (rc = make_host(v, &p, err)) == 0)
		rc = write_key(&p, id, key, err);
	place_free(&p);
	for (size_t i = 0; rc == 0 && i < v->ncopies; i++) {
		struct xp_err ignored;

		rc = copy_place(v, i, &p, err);
		if (rc == 0 && write_key(&p, id, key, &ignored) != 0 && missed)
			(*missed)++;
		place_free(&p);
	}
	return rc;
}

int xp_vault_destroy(const struct xp_vault *v, const char *id, xp_vault_place_fn *fn, void *ctx,
                     size_t *unreached, struct xp_err *err)
{
	struct place p;
	int rc = 0;

	if (unreached)
		*unreached = 0;
	for (size_t i = 0; rc == 0 && i < 2 + v->ncopies; i++) {
		struct xp_vault_place r = {0};
		struct xp_err why = {0};
		int destroyed = 0;

		rc = i < 2 ? place_of(v, (int)i, &p, err) : copy_place(v, i - 2, &p, err);
		if (rc)
			break;
		rc = destroy_in(&p, id, &destroyed, p.copy ? &why : err);
		r.name = p.name;
		r.destroyed = destroyed;
		if (rc == XP_ENOENT && !p.copy) {
			rc = 0; /* no vault here yet, no keys/shred: nothing to destroy */
		} else if (rc && p.copy) {
			r.unreached = 1;
			r.why = why.msg;
			if (unreached)
				(*unreached)++;
			rc = 0;
		}
		if (rc == 0 && fn && (r.destroyed || r.unreached))
			rc = fn(ctx, &r);
		place_free(&p);
	}
	return rc;
}

/* Writes the list of copies, v->copies, as STATE/vault/REPOID/copies. */
static int write_copies(const struct xp_vault *v, struct xp_err *err)
{
	char *path = xp_asprintf("%s/copies", v->dir);
	struct xp_sbuf b = {0};
	int rc;

	xp_sbuf_puts(&b, "# vault copies of this repository's keys (xpseal vault add)\n");
	for (size_t i = 0; i < v->ncopies; i++)
		xp_sbuf_printf(&b, "copy %s\n", v->copies[i]);
	if (b.failed || !path)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = xp_file_write_atomic(path, b.p, b.len, 0600, err);
	xp_sbuf_free(&b);
	free(path);
	return rc;
}

int xp_vault_add(struct xp_vault *v, const char *dir, struct xp_err *err)
{
	char *real = xp_os_realpath(dir);
	struct place p = {0}, host = {0};
	struct stat st;
	char **grown;
	int rc = 0;

	if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = real ? xp_err_set(err, XP_EUSAGE, "%s: not a directory", dir)
		          : xp_err_sys(err, XP_EFAIL, "%s", dir);
		goto out;
	}
	for (size_t i = 0; i < v->ncopies; i++)
		if (strcmp(v->copies[i], real) == 0) {
			rc = xp_err_set(err, XP_EUSAGE, "%s: already a vault copy of %s", real,
			                v->repo);
			goto out;
		}
	grown = realloc(v->copies, (v->ncopies + 1) * sizeof *grown);
	if (!grown) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	v->copies = grown;
	v->copies[v->ncopies++] = real;
	real = NULL;
	if ((rc = copy_place(v, v->ncopies - 1, &p, err)) != 0)
		goto out;
	if (xp_os_mkdir(p.dir, 0700) < 0 && errno != EEXIST) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", p.dir);
		goto out;
	}
	if ((rc = reach(&p, err)) == 0 && (rc = xp_fsync_dir(p.dir, err)) == 0 &&
	    (rc = place_of(v, HOST, &host, err)) == 0 && (rc = make_host(v, &host, err)) == 0)
		rc = write_copies(v, err);
out:
	place_free(&p);
	place_free(&host);
	free(real);
	return rc;
}

int xp_vault_remove(struct xp_vault *v, const char *dir, struct xp_err *err)
{
	char *real = xp_os_realpath(dir);
	size_t i;

	for (i = 0; i < v->ncopies; i++)
		if (strcmp(v->copies[i], dir) == 0 || (real && strcmp(v->copies[i], real) == 0))
			break;
	free(real);
	if (i == v->ncopies)
		return xp_err_set(err, XP_EUSAGE, "%s: not a vault copy of %s", dir, v->repo);
	free(v->copies[i]);
	memmove(v->copies + i, v->copies + i + 1, (v->ncopies - i - 1) * sizeof *v->copies);
	v->ncopies--;
	return write_copies(v, err);
}

int xp_vault_reach_copy(const struct xp_vault *v, size_t i, struct xp_err *err)
{
	struct place p;
	int rc;

	rc = copy_place(v, i, &p, err);
	if (rc == 0)
		rc = reach(&p, err);
	place_free(&p);
	return rc;
}

/* Calls fn for every key file in p's directory; a directory not there holds none. */
static int list_place(const struct place *p, xp_vault_key_fn *fn, void *ctx, struct xp_err *err)
{
	struct dirent *de;
	char id[XP_REPO_ID_HEX], *path;
	DIR *d = NULL;
	int rc;

	rc = xp_repo_opendir(p->base, p->dir, &d, err);
	if (rc == XP_ENOENT)
		return 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != XP_REPO_ID_HEX - 1 + 4 ||
		    strcmp(de->d_name + XP_REPO_ID_HEX - 1, ".key") != 0)
			continue;
		memcpy(id, de->d_name, XP_REPO_ID_HEX - 1);
		id[XP_REPO_ID_HEX - 1] = '\0';
		if (!xp_repo_valid_id(id))
			continue;
		path = xp_asprintf("%s/%s", p->dir, de->d_name);
		rc = path ? fn(ctx, id, p->name, path)
		          : xp_err_set(err, XP_ENOMEM, "out of memory");
		free(path);
	}
	if (d)
		closedir(d);
	return rc;
}

int xp_vault_list(const struct xp_vault *v, int legacy, xp_vault_key_fn *fn, void *ctx,
                  struct xp_err *err)
{
	struct place p;
	int rc = 0;

	for (int which = HOST; rc == 0 && which <= (legacy ? LEGACY : HOST); which++) {
		rc = place_of(v, which, &p, err);
		if (rc == 0)
			rc = list_place(&p, fn, ctx, err);
		place_free(&p);
	}
	for (size_t i = 0; rc == 0 && i < v->ncopies; i++) {
		rc = copy_place(v, i, &p, err);
		if (rc == 0)
			rc = list_place(&p, fn, ctx, err);
		place_free(&p);
	}
	return rc;
}

static void say(xp_vault_event_fn *fn, void *ctx, const char *id, const char *place,
                const char *what, int problem)
{
	struct xp_vault_event e = {id ? id : "", place, what, problem};

	if (fn)
		fn(ctx, &e);
}

/* The ids of the key files in p's directory, into *ids (malloc'd, caller frees). */
static int list_keys(const struct place *p, char (**ids)[XP_REPO_ID_HEX], size_t *n,
                     struct xp_err *err)
{
	struct dirent *e;
	DIR *d = NULL;
	int rc;

	*ids = NULL;
	*n = 0;
	rc = xp_repo_opendir(p->base, p->dir, &d, err);
	if (rc == XP_ENOENT && !p->copy)
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		char(*grown)[XP_REPO_ID_HEX];
		size_t len = strlen(e->d_name);

		if (len != XP_REPO_ID_HEX - 1 + 4 || strcmp(e->d_name + len - 4, ".key") != 0)
			continue;
		grown = realloc(*ids, (*n + 1) * sizeof *grown);
		if (!grown) {
			rc = xp_err_set(err, XP_ENOMEM, "out of memory");
			break;
		}
		*ids = grown;
		memcpy(grown[*n], e->d_name, XP_REPO_ID_HEX - 1);
		grown[*n][XP_REPO_ID_HEX - 1] = '\0';
		if (xp_repo_valid_id(grown[*n]))
			(*n)++;
	}
	if (d)
		xp_os_closedir(d);
	return rc;
}

/* Takes a key the host's vault lost back from the first copy holding a good one. */
static int take_back(const struct xp_vault *v, const struct place *host, const char *id,
                     xp_vault_event_fn *fn, void *ctx, struct xp_err *err)
{
	uint8_t key[XP_VAULT_KEY_LEN];
	struct place p;
	int rc = 0, done = 0;

	for (size_t i = 0; rc == 0 && !done && i < v->ncopies; i++) {
		struct xp_err why = {0};

		rc = copy_place(v, i, &p, err);
		if (rc)
			break;
		if (read_key(&p, id, key, &why) == 0 && xp_seal_keyfile_check(key, id, &why) == 0) {
			rc = write_key(host, id, key, err);
			done = rc == 0;
			if (done)
				say(fn, ctx, id, p.name, "taken back into the host vault", 0);
		}
		place_free(&p);
	}
	sodium_memzero(key, sizeof key);
	if (rc == 0 && !done && !xp_vault_holds(v, id)) {
		say(fn, ctx, id, "host vault", "missing, and no vault copy holds it", 1);
		return 1;
	}
	return rc;
}

/* Makes copy p hold every key of ids that the host's vault holds. */
static int fill_copy(const struct place *host, const struct place *p, char (*ids)[XP_REPO_ID_HEX],
                     size_t n, xp_vault_event_fn *fn, void *ctx, struct xp_err *err)
{
	uint8_t key[XP_VAULT_KEY_LEN], there[XP_VAULT_KEY_LEN];
	int problems = 0, rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct xp_err why = {0};
		int got;

		rc = read_key(host, ids[i], key, err);
		if (rc == 0 && (rc = xp_seal_keyfile_check(key, ids[i], &why)) != 0) {
			say(fn, ctx, ids[i], host->name, why.msg, 1);
			problems++;
			rc = 0;
			continue;
		}
		if (rc)
			break;
		got = read_key(p, ids[i], there, &why);
		if (got == 0 && sodium_memcmp(key, there, sizeof key) == 0)
			continue;
		if (write_key(p, ids[i], key, &why) != 0) {
			say(fn, ctx, ids[i], p->name, why.msg, 1);
			problems++;
			continue;
		}
		say(fn, ctx, ids[i], p->name,
		    got == XP_ENOENT ? "copied" : "replaced (it differed)", 0);
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(there, sizeof there);
	return rc ? rc : problems;
}

int xp_vault_sync(const struct xp_vault *v, const char *const *wanted, xp_vault_event_fn *fn,
                  void *ctx, struct xp_err *err)
{
	char(*ids)[XP_REPO_ID_HEX] = NULL;
	struct place host = {0}, p;
	size_t n = 0;
	int problems = 0, rc;

	rc = place_of(v, HOST, &host, err);
	if (rc == 0)
		rc = make_host(v, &host, err);
	for (size_t i = 0; rc >= 0 && wanted && wanted[i]; i++) {
		uint8_t key[XP_VAULT_KEY_LEN];
		struct xp_err ignored;

		if (read_key(&host, wanted[i], key, &ignored) == XP_ENOENT) {
			rc = take_back(v, &host, wanted[i], fn, ctx, err);
			problems += rc > 0;
		}
		sodium_memzero(key, sizeof key);
	}
	if (rc >= 0)
		rc = list_keys(&host, &ids, &n, err);
	for (size_t i = 0; rc >= 0 && i < v->ncopies; i++) {
		struct xp_err why = {0};

		if ((rc = copy_place(v, i, &p, err)) != 0)
			break;
		if (reach(&p, &why) != 0) {
			char what[sizeof why.msg + 16];

			snprintf(what, sizeof what, "unreachable: %s", why.msg);
			say(fn, ctx, NULL, p.name, what, 1);
			problems++;
		} else if ((rc = fill_copy(&host, &p, ids, n, fn, ctx, err)) > 0) {
			problems += rc;
			rc = 0;
		}
		place_free(&p);
	}
	free(ids);
	place_free(&host);
	return rc < 0 ? rc : problems;
}

/* One key of keys/shred: into the vault and its copies, then destroyed there. */
static int migrate_one(const struct xp_vault *v, const struct place *legacy,
                       const struct place *host, const char *id, xp_vault_event_fn *fn, void *ctx,
                       struct xp_err *err)
{
	uint8_t key[XP_VAULT_KEY_LEN], held[XP_VAULT_KEY_LEN];
	struct xp_err why = {0};
	char *path = key_file(legacy, id);
	size_t missed = 0;
	int existed, in_host, rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	/* One the host's vault holds already (an earlier run, or a rotation since) is the key
	 * in force: that one goes to the copies, and keys/shred's (perhaps half overwritten by
	 * a run killed while destroying it) only goes. */
	in_host = read_key(host, id, held, &why) == 0 && xp_seal_keyfile_check(held, id, &why) == 0;
	rc = in_host ? 0 : read_key(legacy, id, key, &why);
	if (rc == 0 && !in_host)
		rc = xp_seal_keyfile_check(key, id, &why);
	if (rc == XP_EINTEGRITY) {
		say(fn, ctx, id, legacy->name, why.msg, 1);
		rc = 1;
		goto out;
	}
	if (rc) {
		*err = why;
		goto out;
	}
	xp_fault_point("vault: migrate key");
	rc = xp_vault_put(v, id, in_host ? held : key, &missed, err);
	if (rc)
		goto out;
	if (missed) {
		say(fn, ctx, id, legacy->name,
		    "left: a vault copy could not take it (xpseal vault list)", 1);
		rc = 1;
		goto out;
	}
	/* Durable in the vault and every copy: only now may keys/shred lose it. */
	xp_fault_point("vault: migrated key");
	rc = shred_file(legacy->base, path, &existed, err);
	if (rc == 0)
		say(fn, ctx, id, legacy->name, "moved into the vault", 0);
out:
	sodium_memzero(key, sizeof key);
	sodium_memzero(held, sizeof held);
	free(path);
	return rc;
}

int xp_vault_migrate(const struct xp_vault *v, xp_vault_event_fn *fn, void *ctx, struct xp_err *err)
{
	char(*ids)[XP_REPO_ID_HEX] = NULL;
	struct place legacy = {0}, host = {0};
	size_t n = 0;
	int problems = 0, rc;

	rc = place_of(v, LEGACY, &legacy, err);
	if (rc == 0)
		rc = place_of(v, HOST, &host, err);
	if (rc == 0)
		rc = list_keys(&legacy, &ids, &n, err);
	if (rc == 0 && n)
		rc = make_host(v, &host, err);
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		rc = migrate_one(v, &legacy, &host, ids[i], fn, ctx, err);
		if (rc > 0) {
			problems++;
			rc = 0;
		}
	}
	free(ids);
	place_free(&legacy);
	place_free(&host);
	return rc < 0 ? rc : problems;
}

int xp_vault_key_path(const struct xp_vault *v, const char *id, const char *suffix, int make,
                      char **path, struct xp_err *err)
{
	struct place host;
	int rc;

	*path = NULL;
	rc = place_of(v, HOST, &host, err);
	if (rc == 0 && make)
		rc = make_host(v, &host, err);
	if (rc == 0 && !(*path = xp_asprintf("%s/%s.key%s", host.dir, id, suffix)))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	place_free(&host);
	return rc;
}
