/* Key rotation: see rekey.h for the order of writes. */
#include "config.h"

#include "repo/rekey.h"
#include "repo/catalog.h"
#include "repo/keys.h"
#include "repo/repo.h"
#include "crypto/seal.h"
#include "repo/seal-repo.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "repo/trust.h"
#include "repo/vault.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/fault.h"
#include "base/encode.h"
#include "base/os.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* One rotation's keys and where it reports. */
struct rotation {
	const char *repo;
	const struct xp_signkey *key;
	const char *signer_path;
	uint8_t old_pk[XP_KEYS_PK_LEN], new_pk[XP_KEYS_PK_LEN];
	uint8_t *old_sk, *new_sk; /* old_sk NULL once repo.key holds the new key */
	char reason[80];          /* "repository key OLD to NEW" */
	struct xp_rekey_result *res;
	struct xp_vault vault; /* where the key files of shreddable backups are */
};

/* A backup's files and the names of their replacements. */
struct files {
	char *xps, *sig, *signew, *key, *keynew;
};

/* Removes the temp files (".NAME.tmp.XXXXXX", xp_file_write_atomic's) that a run killed while
 * writing DIR/NAME left (DIR under base: REPO or the vault's STATE); only this module writes
 * such names. */
static int remove_temps(const char *base, const char *dir, const char *name, struct xp_err *err)
{
	char *pattern = xp_asprintf("%s/.%s.tmp.*", dir, name);
	char **paths = NULL;
	size_t n = 0;
	int rc = 0;

	if (!pattern)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (xp_os_glob(pattern, &paths, &n) == 0)
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = xp_repo_unlink(base, paths[i], err);
	xp_os_glob_free(paths, n);
	free(pattern);
	return rc;
}

static void files_free(struct files *f)
{
	free(f->xps);
	free(f->sig);
	free(f->signew);
	free(f->key);
	free(f->keynew);
}

/* A shreddable backup's new key file goes to the host's vault, never to keys/shred. */
static int files_of(const struct rotation *r, const struct xp_catalog_entry *e, struct files *f,
                    struct xp_err *err)
{
	int rc;

	f->xps = xp_repo_backup(r->repo, e->id, "");
	f->sig = xp_repo_backup(r->repo, e->id, ".minisig");
	f->signew = xp_repo_backup(r->repo, e->id, ".minisig.rekey");
	if (!f->xps || !f->sig || !f->signew)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_vault_key_path(&r->vault, e->id, "", e->shreddable, &f->key, err);
	if (rc == 0)
		rc = xp_vault_key_path(&r->vault, e->id, ".rekey", 0, &f->keynew, err);
	return rc;
}

/* Renames from to to when from exists (a step an interrupted run did not get to). */
static int finish_rename(const char *from, const char *to, struct xp_err *err)
{
	struct stat st;

	if (xp_os_lstat(from, &st) != 0)
		return errno == ENOENT ? 0 : xp_err_sys(err, XP_EFAIL, "%s", from);
	xp_fault_point("rename");
	if (xp_os_replace(from, to) != 0)
		return xp_err_sys(err, XP_EFAIL, "%s", from);
	return xp_fsync_dir(to, err);
}

static void sign_update(void *ctx, const void *buf, size_t n)
{
	xp_sign_update(ctx, buf, n);
}

/* Hash and size of a file, for a backup re-sealed by a run that died before its catalog. */
static int hash_file(const char *path, uint8_t hash[XP_CATALOG_HASH_LEN], uint64_t *size,
                     struct xp_err *err)
{
	crypto_generichash_state st;
	uint8_t *buf = malloc(1u << 20);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	*size = 0;
	if (fd < 0 || !buf) {
		rc = fd < 0 ? xp_err_sys(err, XP_EFAIL, "%s", path)
		            : xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	crypto_generichash_init(&st, NULL, 0, XP_CATALOG_HASH_LEN);
	while ((n = xp_read_full(fd, buf, 1u << 20)) > 0) {
		crypto_generichash_update(&st, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	if (n < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else
		crypto_generichash_final(&st, hash, XP_CATALOG_HASH_LEN);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* The new key file in the host's vault goes to every vault copy it reaches; one it does not
 * gets it from xpseal vault sync. */
static int copies_too(struct rotation *r, const char *id, struct xp_err *err)
{
	uint8_t *key = xp_secret_alloc(XP_VAULT_KEY_LEN);
	size_t missed = 0;
	int rc;

	if (!key)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_vault_read(&r->vault, id, key, err);
	if (rc == 0)
		rc = xp_vault_put(&r->vault, id, key, &missed, err);
	r->res->vault_missed += missed;
	xp_secret_free(key);
	return rc;
}

/* A backup the new key already opens: the renames and the catalog an interrupted run left. */
static int finish(struct rotation *r, const struct xp_catalog_entry *e, const struct files *f,
                  struct xp_err *err)
{
	uint8_t hash[XP_CATALOG_HASH_LEN];
	uint64_t size;
	int rc;

	if ((rc = finish_rename(f->signew, f->sig, err)) != 0 ||
	    (rc = finish_rename(f->keynew, f->key, err)) != 0 ||
	    (e->shreddable && (rc = copies_too(r, e->id, err)) != 0) ||
	    (rc = hash_file(f->xps, hash, &size, err)) != 0)
		return rc;
	if (size == e->size && sodium_memcmp(hash, e->hash, sizeof hash) == 0)
		return 0;
	return xp_catalog_rekeyed(r->repo, r->key, e->id, size, hash, r->reason, err);
}

/* Re-seals the file into its temp file and writes the new signature (and key file) beside. */
static int reseal(struct rotation *r, const struct xp_catalog_entry *e, const struct files *f,
                  struct xp_afile *af, struct xp_seal_info *info, struct xp_err *err)
{
	uint8_t old_id[XP_KEYS_ID_LEN], new_id[XP_KEYS_ID_LEN];
	char *comment = NULL, *sigtext = NULL;
	struct xp_seal_keys k = {.pk = r->old_pk,
	                         .sk = r->old_sk,
	                         .key_id = old_id,
	                         .keyfile = xp_vault_read,
	                         .keyfile_ctx = &r->vault};
	struct xp_seal_rewrap w = {.pk = r->new_pk, .key_id = new_id, .on_output = sign_update};
	struct xp_sign_state st;
	struct xp_sign_pub pub;
	struct xp_seal_checked chk = {0};
	FILE *spool = NULL;
	int fd = -1, rc;

	xp_keys_id(r->old_pk, old_id);
	xp_keys_id(r->new_pk, new_id);
	w.on_output_ctx = &st;
	/* One read: the bytes re-sealed are the bytes whose signature, id and repository key
	 * were checked, from a private copy (a file swapped in after the check is never signed
	 * by this host); the new signature keeps the trusted comment the old one vouches for. */
	if ((rc = xp_sign_pub_read(r->signer_path, &pub, err)) != 0)
		goto out;
	spool = tmpfile();
	if (!spool) {
		rc = xp_err_sys(err, XP_EFAIL, "a private copy of %s", f->xps);
		goto out;
	}
	rc = xp_seal_check(f->xps, f->sig, &pub, e->id, old_id, fileno(spool), &chk, err);
	if (rc)
		goto out;
	xp_fault_point("rekey: checked");
	if (lseek(fileno(spool), 0, SEEK_SET) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "a private copy of %s", f->xps);
		goto out;
	}
	fd = fileno(spool);
	comment = chk.comment;
	chk.comment = NULL;
	if ((rc = xp_seal_temp_open(r->repo, af, f->xps, err)) != 0)
		goto out;
	xp_sign_init(&st);
	if ((rc = xp_seal_rewrap(fd, af->fd, &k, &w, info, err)) != 0) {
		xp_err_prefix(err, "%s", f->xps);
		goto out;
	}
	if ((rc = xp_sign_final(&st, r->key, comment, &sigtext, err)) != 0 ||
	    (rc = xp_file_write_atomic(f->signew, sigtext, strlen(sigtext), 0600, err)) != 0)
		goto out;
	if (e->shreddable)
		rc = xp_file_write_atomic(f->keynew, info->shred_key, sizeof info->shred_key, 0600,
		                          err);
out:
	if (spool)
		fclose(spool);
	xp_seal_checked_free(&chk);
	free(sigtext);
	free(comment);
	return rc;
}

static int remove_backup_temps(const struct rotation *r, const char *id, struct xp_err *err)
{
	char sub[3] = {id[0], id[1], '\0'};
	char *dir = xp_repo_data_sub(r->repo, sub);
	char *sig = xp_asprintf("%s.xps.minisig.rekey", id), *key = xp_asprintf("%s.key.rekey", id);
	int rc;

	if (!dir || !sig || !key)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else if ((rc = remove_temps(r->repo, dir, sig, err)) == 0)
		rc = remove_temps(r->vault.state, r->vault.dir, key, err);
	free(key);
	free(sig);
	free(dir);
	return rc;
}

static int rotate_backup(struct rotation *r, const struct xp_catalog_entry *e, struct xp_err *err)
{
	struct xp_afile af = {.fd = -1};
	struct xp_seal_header h;
	struct xp_seal_info info;
	struct files f = {0};
	uint8_t new_id[XP_KEYS_ID_LEN], old_id[XP_KEYS_ID_LEN];
	int rc;

	xp_keys_id(r->new_pk, new_id);
	xp_keys_id(r->old_pk, old_id);
	if ((rc = files_of(r, e, &f, err)) != 0)
		goto out;
	/* A backup deleted behind the catalog's back has nothing left to protect. */
	rc = xp_seal_read_header(f.xps, &h, err);
	if (rc == XP_ENOENT) {
		r->res->missing++;
		rc = 0;
		goto out;
	}
	if (rc || (rc = remove_backup_temps(r, e->id, err)) != 0)
		goto out;
	if (sodium_memcmp(h.key_id, new_id, sizeof new_id) == 0) {
		rc = finish(r, e, &f, err);
		goto out;
	}
	if (!r->old_sk || sodium_memcmp(h.key_id, old_id, sizeof old_id) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "%s: sealed for neither the old nor the new repository key", f.xps);
		goto out;
	}
	/* A re-seal that died before its commit left these for nothing. */
	if ((rc = xp_repo_unlink(r->repo, f.signew, err)) != 0 ||
	    (rc = xp_repo_unlink(r->vault.state, f.keynew, err)) != 0)
		goto out;
	if ((rc = reseal(r, e, &f, &af, &info, err)) != 0 || (rc = xp_afile_commit(&af, err)) != 0)
		goto out;
	r->res->resealed++;
	rc = finish(r, e, &f, err);
out:
	xp_afile_abort(&af);
	files_free(&f);
	return rc;
}

/* The pairs: the new one (begun now, or by an interrupted run) and the old one. */
static int unlock_pairs(struct rotation *r, const char *pw, size_t pwlen, struct xp_err *err)
{
	char oldhex[2 * XP_KEYS_ID_LEN + 1], newhex[2 * XP_KEYS_ID_LEN + 1];
	char *keys = xp_repo_file(r->repo, XP_REPO_KEYS);
	int pending, rc;

	/* Temp files of the new pair that a killed run was writing. */
	rc = keys ? remove_temps(r->repo, keys, "repo.key.new", err)
	          : xp_err_set(err, XP_ENOMEM, "out of memory");
	if (rc == 0)
		rc = remove_temps(r->repo, keys, "repo.pub.new", err);
	free(keys);
	if (rc)
		return rc;
	pending = xp_keys_rotate_pending(r->repo, err);
	if (pending < 0)
		return pending;
	r->res->resumed = pending;
	if (!pending && (rc = xp_keys_rotate_begin(r->repo, pw, pwlen, err)) != 0)
		return rc;
	if ((rc = xp_keys_rotate_unlock(r->repo, pw, pwlen, r->new_pk, r->new_sk, NULL, err)) !=
	            0 ||
	    (rc = xp_keys_load_public(r->repo, r->old_pk, r->res->old_id, err)) != 0)
		return rc;
	xp_keys_id(r->new_pk, r->res->new_id);
	rc = xp_keys_unlock(r->repo, pw, pwlen, r->old_sk, err);
	/* repo.key that does not match repo.pub: an interrupted commit had put the new key in
	 * place, after every backup was done; one still sealed to the old key is then named. */
	if (rc == XP_EINTEGRITY && pending) {
		xp_secret_free(r->old_sk);
		r->old_sk = NULL;
		rc = 0;
	}
	if (rc)
		return rc;
	xp_hex(r->res->old_id, XP_KEYS_ID_LEN, oldhex);
	xp_hex(r->res->new_id, XP_KEYS_ID_LEN, newhex);
	snprintf(r->reason, sizeof r->reason, "repository key %s to %s", oldhex, newhex);
	return xp_journal_append(r->repo, NULL, "rekeying", r->reason, NULL, err);
}

int xp_rekey(const char *repo, const struct xp_signkey *key, const char *signer_path,
             const char *pw, size_t pwlen, struct xp_rekey_result *res, struct xp_err *err)
{
	struct rotation r = {.repo = repo, .key = key, .signer_path = signer_path, .res = res};
	struct xp_catalog cat = {0};
	int rc;

	memset(res, 0, sizeof *res);
	r.old_sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	r.new_sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	if (!r.old_sk || !r.new_sk) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = xp_vault_open(repo, &r.vault, err)) != 0 ||
	    (rc = xp_catalog_recover(repo, key, err)) != 0 ||
	    (rc = unlock_pairs(&r, pw, pwlen, err)) != 0 ||
	    (rc = xp_catalog_load(repo, &cat, err)) != 0)
		goto out;
	for (size_t i = 0; i < cat.n; i++)
		if (cat.entries[i].state == XP_CATALOG_SEALED &&
		    (rc = rotate_backup(&r, &cat.entries[i], err)) != 0)
			goto out;
	if ((rc = xp_trust_rotate(repo, res->old_id, res->new_id, err)) != 0 ||
	    (rc = xp_keys_rotate_commit(repo, err)) != 0)
		goto out;
	rc = xp_journal_append(repo, NULL, "rekeyed", r.reason, NULL, err);
out:
	xp_vault_free(&r.vault);
	xp_catalog_free(&cat);
	xp_secret_free(r.old_sk);
	xp_secret_free(r.new_sk);
	return rc;
}
