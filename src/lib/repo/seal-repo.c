/* The repository: backups sealed, signed and cataloged; found, verified and restored. */
#include "config.h"

#include "repo/seal-repo.h"
#include "repo/catalog.h"
#include "crypto/seal.h"
#include "repo/keys.h"
#include "repo/repo.h"
#include "repo/vault.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/os.h"
#include "base/err.h"
#include "base/time.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/encode.h"
#include "base/str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

int xp_seal_repo_init(const char *repo, const char *pw, size_t pwlen, const char *signing_key,
                      int strong, int shreddable, struct xp_err *err)
{
	char *path = NULL, *text = NULL;
	int rc;

	rc = xp_keys_init(repo, pw, pwlen, signing_key, strong, err);
	if (rc)
		return rc;
	path = xp_repo_file(repo, XP_REPO_CONFIG);
	text = xp_asprintf("# xpbackup repository settings (see xpseal(5))\nshreddable %s\n",
	                   shreddable ? "yes" : "no");
	if (!path || !text)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = xp_file_write_atomic(path, text, strlen(text), 0600, err);
	free(path);
	free(text);
	return rc;
}

int xp_seal_repo_shreddable(const char *repo, int *shreddable, struct xp_err *err)
{
	char *path = xp_repo_file(repo, XP_REPO_CONFIG), *text = NULL, *line, *save = NULL;
	char value[8];
	size_t n = 0;
	int rc;

	*shreddable = 0;
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read(repo, path, 65536, &text, NULL, err);
	if (rc == XP_ENOENT) {
		rc = 0;
		goto out;
	}
	for (line = rc ? NULL : strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (sscanf(line, "shreddable %7s", value) != 1)
			continue; /* comments and settings of later versions */
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			rc = xp_err_set(err, XP_EFAIL, "%s: line %zu: shreddable is yes or no",
			                path, n);
			goto out;
		}
		*shreddable = strcmp(value, "yes") == 0;
	}
out:
	free(path);
	free(text);
	return rc;
}

static void sign_update(void *ctx, const void *buf, size_t n)
{
	xp_sign_update(ctx, buf, n);
}

/* What a backup writes, so the error path can take back whatever already exists. */
struct backup_files {
	struct xp_afile xps;
	char *xpspath, *sig;
	struct xp_vault vault;
	int sig_done, key_done;
};

static int backup_paths(struct backup_files *f, const char *repo, const char *id)
{
	f->xpspath = xp_repo_backup(repo, id, "");
	f->sig = xp_repo_backup(repo, id, ".minisig");
	return f->xpspath && f->sig ? 0 : XP_ENOMEM;
}

/* mkdir -p DIR (REPO/data/XX; freed here, NULL when out of memory), then
 * syncs REPO and DIR's parent so that directories made here survive a crash along with the
 * files later renamed into them. */
static int make_dir(const char *repo, char *dir, struct xp_err *err)
{
	char *slash = dir ? strrchr(dir, '/') : NULL;
	char *parent = slash ? xp_strndup(dir, (size_t)(slash - dir)) : NULL;
	DIR *d = NULL;
	int rc;

	if (!dir || !parent)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else if ((rc = xp_mkdirs(dir, 0700, err)) == 0 && (rc = xp_fsync_dir(parent, err)) == 0)
		rc = xp_fsync_dir(repo, err);
	/* A link planted as data/XX would have the backup's files made where it points. */
	if (rc == 0 && (rc = xp_repo_opendir(repo, dir, &d, err)) == 0)
		xp_os_closedir(d);
	free(dir);
	free(parent);
	return rc;
}

/* Both happen under the repository lock, which a change holds while it removes the temp files
 * of interrupted seals: it never sees this one before it is locked. */
int xp_seal_temp_open(const char *repo, struct xp_afile *af, const char *xps, struct xp_err *err)
{
	struct xp_catalog_lock lock;
	int rc;

	rc = xp_catalog_lock(repo, &lock, err);
	if (rc)
		return rc;
	rc = xp_afile_open(af, xps, 0600, err);
	if (rc == 0 && xp_os_lock(af->fd, XP_LOCK_EX | XP_LOCK_NB) < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s: lock", xps);
	xp_catalog_unlock(&lock);
	return rc;
}

/* Seals into the temp file, then puts the key file and the signature in place. */
static int backup_write(const char *repo, int in_fd, const struct xp_seal_backup_opts *o,
                        struct xp_seal_params *p, struct backup_files *f, struct xp_seal_info *info,
                        struct xp_err *err)
{
	struct xp_sign_state st;
	char *sigtext = NULL, *comment = NULL, *fields = NULL;
	const char *xps = f->xpspath;
	char sub[3] = {info->id[0], info->id[1], '\0'};
	int rc;

	if ((rc = make_dir(repo, xp_repo_data_sub(repo, sub), err)) != 0 ||
	    (rc = xp_seal_temp_open(repo, &f->xps, xps, err)) != 0)
		goto out;
	xp_sign_init(&st);
	p->on_output = sign_update;
	p->on_output_ctx = &st;
	rc = xp_seal_stream(in_fd, f->xps.fd, p, info, err);
	if (rc) {
		xp_err_prefix(err, "%s", xps);
		goto out;
	}
	if (o->annotate && (rc = o->annotate(o->observe_ctx, &fields, err)) != 0)
		goto out;
	comment = xp_asprintf("timestamp:%lld\tfile:%s.xps%s%s", (long long)p->created, info->id,
	                      fields && *fields ? "\t" : "", fields ? fields : "");
	if (!comment) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (p->flags & XP_SEAL_SHREDDABLE) {
		/* Never in the repository's data: a copy of it must not carry the key. */
		rc = xp_vault_open(repo, &f->vault, err);
		if (rc)
			goto out;
		f->key_done = 1;
		rc = xp_vault_put(&f->vault, info->id, info->shred_key, &info->vault_missed, err);
		if (rc)
			goto out;
	}
	if ((rc = xp_sign_final(&st, o->key, comment, &sigtext, err)) != 0 ||
	    (rc = xp_file_write_atomic(f->sig, sigtext, strlen(sigtext), 0600, err)) != 0)
		goto out;
	f->sig_done = 1;
out:
	free(sigtext);
	free(comment);
	free(fields);
	return rc;
}

int xp_seal_backup(const char *repo, int in_fd, const struct xp_seal_backup_opts *o,
                   struct xp_seal_info *info, char **path, struct xp_err *err)
{
	struct backup_files f = {.xps = {.fd = -1}};
	struct xp_seal_params p;
	uint8_t pk[XP_KEYS_PK_LEN], kid[XP_KEYS_ID_LEN];
	char *pub = xp_repo_file(repo, XP_REPO_SIGNER_PUB), *final = NULL;
	int shreddable = 0, rc;

	*path = NULL;
	if (!pub) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_keys_load_public(repo, pk, kid, err)) != 0)
		goto out;
	if (o->key_id && sodium_memcmp(kid, o->key_id, sizeof kid) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: keys/repo.pub: not the pinned repository key", repo);
		goto out;
	}
	if ((rc = xp_sign_key_matches(o->key, pub, err)) != 0 ||
	    (o->shreddable == 0 && (rc = xp_seal_repo_shreddable(repo, &shreddable, err)) != 0))
		goto out;
	xp_seal_params_init(&p, pk, kid);
	p.flags = o->shreddable > 0 || shreddable ? XP_SEAL_SHREDDABLE : 0;
	if (o->created)
		p.created = o->created;
	p.level = o->level;
	p.observe = o->observe;
	p.observe_ctx = o->observe_ctx;
	xp_hex(p.id, XP_SEAL_ID_LEN, info->id);
	info->vault_missed = 0;
	if (backup_paths(&f, repo, info->id) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = backup_write(repo, in_fd, o, &p, &f, info, err)) != 0 ||
	    (o->accept && (rc = o->accept(o->observe_ctx, err)) != 0))
		goto out;
	final = strdup(f.xps.path);
	if (!final) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	/* Last: the .xps appears only once its signature (and key file) are durable. */
	rc = xp_afile_commit(&f.xps, err);
	if (rc)
		unlink(final); /* renamed but its directory not synced: take it back too */
out:
	xp_afile_abort(&f.xps);
	if (rc && f.sig_done)
		unlink(f.sig);
	if (rc && f.key_done)
		(void)xp_vault_destroy(&f.vault, info->id, NULL, NULL, NULL, NULL);
	xp_vault_free(&f.vault);
	if (rc == 0)
		*path = final;
	else
		free(final);
	free(pub);
	free(f.xpspath);
	free(f.sig);
	return rc;
}

int xp_seal_locate(const char *repo, const char *id_or_file, char **path, struct xp_err *err)
{
	struct stat st;

	if (xp_repo_valid_id(id_or_file))
		*path = xp_repo_backup(repo, id_or_file, "");
	else
		*path = strdup(id_or_file);
	if (!*path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (stat(*path, &st) < 0) {
		int rc = errno == ENOENT && xp_repo_valid_id(id_or_file)
		                 ? xp_err_set(err, XP_ENOENT, "%s: no such backup", id_or_file)
		                 : xp_err_sys(err, errno == ENOENT ? XP_ENOENT : XP_EFAIL, "%s",
		                              *path);

		free(*path);
		*path = NULL;
		return rc;
	}
	return 0;
}

/* An unlinked file only this process can reach: O_TMPFILE where the file system has it. */
static int spool_open(struct xp_err *err)
{
	const char *dir = xp_os_temp_dir();
	int fd = xp_os_tmpfile(dir);
	if (fd < 0)
		fd = xp_err_sys(err, XP_EFAIL, "%s: a temporary file", dir);
	return fd;
}

int xp_seal_fetch(const char *repo, const char *path, const char *id,
                  const struct xp_sign_pub *signer, int *fd, struct xp_err *err)
{
	struct xp_seal_checked chk = {0};
	uint8_t pk[XP_KEYS_PK_LEN], kid[XP_KEYS_ID_LEN];
	char *sig = xp_asprintf("%s.minisig", path);
	char named[XP_REPO_ID_HEX] = "";
	int spool = -1, rc;

	*fd = -1;
	if (!sig) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	(void)xp_repo_id_of_name(path, named);
	if ((rc = xp_keys_load_public(repo, pk, kid, err)) != 0)
		goto out;
	spool = spool_open(err);
	if (spool < 0) {
		rc = spool;
		goto out;
	}
	rc = xp_seal_check(path, sig, signer, id && *id ? id : named, kid, spool, &chk, err);
	if (rc == 0 && lseek(spool, 0, SEEK_SET) != 0)
		rc = xp_err_sys(err, XP_EFAIL, "a private copy of %s", path);
	if (rc)
		goto out;
	*fd = spool;
	spool = -1;
out:
	if (spool >= 0)
		close(spool);
	xp_seal_checked_free(&chk);
	free(sig);
	return rc;
}

int xp_seal_restore(const char *repo, int fd, const char *name, const char *pw, size_t pwlen,
                    int out_fd, struct xp_seal_info *info, struct xp_err *err)
{
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	int rc;

	if (!sk)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_keys_unlock(repo, pw, pwlen, sk, err);
	if (rc == 0)
		rc = xp_seal_restore_key(repo, fd, name, sk, NULL, out_fd, info, err);
	xp_secret_free(sk);
	return rc;
}

int xp_seal_restore_key(const char *repo, int fd, const char *name, const uint8_t *sk,
                        const char *vault_copy, int out_fd, struct xp_seal_info *info,
                        struct xp_err *err)
{
	uint8_t pk[XP_KEYS_PK_LEN], kid[XP_KEYS_ID_LEN];
	struct xp_seal_keys k = {.pk = pk, .sk = sk, .key_id = kid, .keyfile = xp_vault_read};
	struct xp_vault v;
	int rc;

	if ((rc = xp_keys_load_public(repo, pk, kid, err)) != 0 ||
	    (rc = xp_vault_open(repo, &v, err)) != 0)
		return rc;
	v.extra = vault_copy;
	k.keyfile_ctx = &v;
	rc = xp_seal_open(fd, out_fd, &k, info, err);
	if (rc)
		xp_err_prefix(err, "%s", name);
	xp_vault_free(&v);
	return rc;
}

/* --source, when given, names the backup instead of the dump stream's own source. */
static const char *pick_source(const struct xp_dump_brief *brief, const char *source)
{
	if (!(source && *source) && brief && *brief->source)
		return brief->source;
	return source && *source ? source : NULL;
}

int xp_seal_partition_ok(const struct xp_dump_brief *brief, struct xp_err *err)
{
	if (!brief)
		return xp_err_set(err, XP_EUSAGE,
		                  "a partition must be a complete dump stream: nothing sealed");
	if (!brief->has_since || !brief->has_until)
		return xp_err_set(err, XP_EUSAGE,
		                  "a partition is the dump of one window: the dump has no %s "
		                  "(xpdump --since T --until T): nothing sealed",
		                  brief->has_since ? "--until" : "--since");
	return 0;
}

int xp_seal_sig_fields(const struct xp_dump_brief *brief, const char *source, int kind,
                       char **fields, struct xp_err *err)
{
	struct xp_sbuf b = {0}, esc = {0};
	char t[XP_TIME_LEN], t2[XP_TIME_LEN];
	int rc = 0;

	*fields = NULL;
	source = pick_source(brief, source);
	if (source)
		xp_sbuf_escape(&esc, source);
	/* A signature's trusted comment is bounded: a longer source stays in the catalog only. */
	if (source && !esc.failed && esc.len <= XP_CATALOG_TEXT_MAX) {
		xp_sbuf_puts(&b, "source:");
		xp_sbuf_add(&b, esc.p, esc.len);
	}
	if (brief && brief->has_time) {
		xp_time_format(brief->oldest, t);
		xp_time_format(brief->newest, t2);
		xp_sbuf_printf(&b, "%soldest:%s\tnewest:%s", b.len ? "\t" : "", t, t2);
	}
	if (kind == XP_CATALOG_PARTITION && brief && brief->has_since && brief->has_until) {
		xp_time_format(brief->since, t);
		xp_time_format(brief->until, t2);
		xp_sbuf_printf(&b, "%skind:partition\tsince:%s\tuntil:%s", b.len ? "\t" : "", t,
		               t2);
	}
	*fields = b.failed || esc.failed ? NULL : b.p ? b.p : strdup("");
	if (!*fields) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		xp_sbuf_free(&b);
	}
	xp_sbuf_free(&esc);
	return rc;
}

int xp_seal_catalog_add(const char *repo, const struct xp_signkey *key,
                        const struct xp_seal_info *info, const struct xp_dump_brief *brief,
                        const char *source, int kind, struct xp_err *err)
{
	struct xp_catalog_entry e = {0};
	struct xp_seal_header h;
	char *path;
	int rc;

	if (!xp_repo_valid_id(info->id))
		return xp_err_set(err, XP_EUSAGE, "%s: not a backup id", info->id);
	if (kind == XP_CATALOG_PARTITION && (rc = xp_seal_partition_ok(brief, err)) != 0)
		return rc;
	path = xp_repo_backup(repo, info->id, "");
	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_seal_read_header(path, &h, err);
	free(path);
	if (rc)
		return rc;
	memcpy(e.id, info->id, sizeof e.id);
	e.created = h.created;
	e.shreddable = (h.flags & XP_SEAL_SHREDDABLE) != 0;
	e.size = info->bytes_out;
	memcpy(e.hash, info->hash, sizeof e.hash);
	/* e only lends its strings: xp_catalog_add copies what it keeps. */
	e.source = (char *)pick_source(brief, source);
	if (brief && brief->has_time) {
		e.has_window = 1;
		e.oldest = brief->oldest;
		e.newest = brief->newest;
	}
	if (kind == XP_CATALOG_PARTITION) {
		e.kind = XP_CATALOG_PARTITION;
		e.since = brief->since;
		e.until = brief->until;
	}
	return xp_catalog_add(repo, key, &e, err);
}
