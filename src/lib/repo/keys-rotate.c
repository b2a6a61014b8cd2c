/* Key rotation's steps on the key files: see keys.h. */
#include "config.h"

#include "repo/keys-int.h"
#include "crypto/secret.h"
#include "base/err.h"
#include "base/io.h"
#include "base/fault.h"
#include "base/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

int xp_keys_rotate_pending(const char *repo, struct xp_err *err)
{
	char *path = xp_keys_path(repo, "repo.pub.new");
	struct stat st;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (xp_os_lstat(path, &st) == 0)
		rc = 1;
	else if (errno == ENOENT)
		rc = 0;
	else
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	free(path);
	return rc;
}

int xp_keys_rotate_begin(const char *repo, const char *pw, size_t pwlen, struct xp_err *err)
{
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN), pk[XP_KEYS_PK_LEN];
	struct xp_keys_bound b;
	struct xp_keys_kdf kdf;
	int rc;

	if (!sk)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_keys_load_public(repo, pk, NULL, err)) != 0 ||
	    (rc = xp_keys_unlock_file(repo, "repo.key", pk, pw, pwlen, sk, &b, &kdf, err)) != 0)
		goto out;
	if (!b.present) {
		rc = xp_err_set(err, XP_EFAIL,
		                "%s: keys/repo.key is of the older format 1: change the password "
		                "(xpseal passwd) on a version that writes format 2 first",
		                repo);
		goto out;
	}
	if (crypto_box_keypair(pk, sk) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "X25519 key generation failed");
		goto out;
	}
	/* repo.pub.new last: its presence says the new pair is complete. */
	rc = xp_keys_write_secret(repo, "repo.key.new", sk, &b, pw, pwlen, &kdf, err);
	if (rc == 0)
		rc = xp_keys_write_public(repo, "repo.pub.new", pk, err);
out:
	xp_secret_free(sk);
	return rc;
}

int xp_keys_rotate_unlock(const char *repo, const char *pw, size_t pwlen,
                          uint8_t pk[XP_KEYS_PK_LEN], uint8_t sk[XP_KEYS_SK_LEN],
                          struct xp_keys_bound *b, struct xp_err *err)
{
	char *path = xp_keys_path(repo, "repo.key.new");
	struct stat st;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_keys_load_file(repo, "repo.pub.new", pk, NULL, err);
	/* Without repo.key.new, the commit put it in place already. */
	if (rc == 0)
		rc = xp_keys_unlock_file(repo,
		                         xp_os_lstat(path, &st) == 0 ? "repo.key.new" : "repo.key",
		                         pk, pw, pwlen, sk, b, NULL, err);
	free(path);
	return rc;
}

int xp_keys_rotate_commit(const char *repo, struct xp_err *err)
{
	char *key = xp_keys_path(repo, "repo.key"), *keynew = xp_keys_path(repo, "repo.key.new");
	char *pub = xp_keys_path(repo, "repo.pub"), *pubnew = xp_keys_path(repo, "repo.pub.new");
	int rc = 0;

	if (!key || !keynew || !pub || !pubnew) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	xp_fault_point("rename");
	if (xp_os_replace(keynew, key) != 0 && errno != ENOENT) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", keynew);
		goto out;
	}
	if ((rc = xp_fsync_dir(key, err)) != 0)
		goto out;
	xp_fault_point("rename");
	if (xp_os_replace(pubnew, pub) != 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", pubnew);
		goto out;
	}
	rc = xp_fsync_dir(pub, err);
out:
	free(pubnew);
	free(pub);
	free(keynew);
	free(key);
	return rc;
}
