#include "config.h"

#include "repo/keys.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/str.h"
#include "base/os.h"
#include "base/proc.h"

#include "../tap.h"
#include "../acl.h"
#include "../rmtree.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static char dir[] = "/tmp/xpkeys.XXXXXX";

static char *path_of(const char *name)
{
	return xp_asprintf("%s/%s", dir, name);
}

/* A path in the temp dir that stays valid until the next call. */
static const char *path_of_static(const char *name)
{
	static char *last;

	free(last);
	last = path_of(name);
	return last;
}

#ifdef _WIN32
/* Windows has no group and other bits: 0700 or 0600 for a directory or file that its DACL
 * keeps its owner's alone (as xp_os_mkdir and xp_os_fchmod make it), 0755 or 0644 when others
 * may get at it. */
static int mode_of(const char *name)
{
	char *p = path_of(name);
	struct stat st;
	int isdir = stat(p, &st) == 0 && S_ISDIR(st.st_mode), m = -1;
	int fd = xp_os_open(p, O_RDONLY | (isdir ? O_DIRECTORY : 0), 0);

	if (fd >= 0 && fstat(fd, &st) == 0)
		m = (isdir ? 0700 : 0600) | (xp_os_exposure(fd, &st) ? (isdir ? 055 : 044) : 0);
	if (fd >= 0)
		close(fd);
	free(p);
	return m;
}
#else
static int mode_of(const char *name)
{
	char *p = path_of(name);
	struct stat st;
	int m = stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;

	free(p);
	return m;
}
#endif

static char *slurp(const char *path)
{
	char *buf = NULL;

	if (xp_file_read(path, 1 << 16, &buf, NULL, NULL) != 0)
		return NULL;
	return buf;
}

static void write_file(const char *path, const char *buf, size_t len)
{
	if (xp_file_write_atomic(path, buf, len, 0600, NULL) != 0)
		abort();
}

static void init_and_unlock(void)
{
	char *repo = path_of("repo"), *skey = path_of("host/sub/signer.key");
	char *keyfile = path_of("repo/keys/repo.key"), *msg, *text, *pubtext = NULL;
	uint8_t pk[XP_KEYS_PK_LEN], id[XP_KEYS_ID_LEN], h[crypto_generichash_BYTES];
	uint8_t derived[XP_KEYS_PK_LEN], *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	struct xp_signkey *k = NULL;
	struct xp_err err;

	is_int(xp_keys_init(repo, "password one", 12, skey, 0, &err), 0,
	       "init creates a repository");
	is_int(mode_of("repo"), 0700, "repository directory is 0700");
	is_int(mode_of("repo/keys"), 0700, "keys directory is 0700");
	is_int(mode_of("repo/keys/repo.key"), 0600, "repo.key is 0600");
#ifdef _WIN32
	skip("repo.pub is 0644: on Windows it inherits the private DACL of keys/");
	skip("signer.pub is 0644: on Windows it inherits the private DACL of keys/");
#else
	is_int(mode_of("repo/keys/repo.pub"), 0644, "repo.pub is 0644");
	is_int(mode_of("repo/keys/signer.pub"), 0644, "signer.pub is 0644");
#endif
	is_int(mode_of("host/sub"), 0700, "signing key directory is created 0700");
	is_int(mode_of("host/sub/signer.key"), 0600, "signing key is 0600");

	text = slurp(keyfile);
	ok(text && strncmp(text, "xpbackup-repo-key 2\nargon2id13 1 8192 ", 38) == 0,
	   "repo.key starts with its magic and the Argon2id limits");
	free(text);

	is_int(xp_keys_load_public(repo, pk, id, &err), 0, "load_public reads repo.pub");
	crypto_generichash(h, sizeof h, pk, sizeof pk, NULL, 0);
	ok(memcmp(id, h, XP_KEYS_ID_LEN) == 0, "key id is the first 8 bytes of BLAKE2b-256(pk)");

	is_int(xp_keys_unlock(repo, "password one", 12, sk, &err), 0, "unlock with the password");
	crypto_scalarmult_base(derived, sk);
	ok(memcmp(derived, pk, sizeof pk) == 0, "unlocked secret matches repo.pub");

	is_int(xp_keys_unlock(repo, "pw2", 3, sk, &err), XP_EAUTH, "wrong password is XP_EAUTH");
	msg = xp_asprintf("%s/keys/repo.key: wrong password", repo);
	is_str(err.msg, msg, "wrong password message");
	free(msg);
	is_int(xp_keys_unlock(repo, "password on", 11, sk, &err), XP_EAUTH,
	       "a prefix of the password fails");

	is_int(xp_keys_init(repo, "password one", 12, skey, 0, &err), XP_EFAIL,
	       "init refuses a repository");
	msg = xp_asprintf("%s: already a repository", repo);
	is_str(err.msg, msg, "re-init message");
	free(msg);

	is_int(xp_sign_load_key(skey, &k, &err), 0, "the created signing key loads");
	if (k)
		xp_sign_public_text(k, &pubtext, &err);
	msg = path_of("repo/keys/signer.pub");
	text = slurp(msg);
	is_str(text, pubtext, "signer.pub is the signing key's public half");
	free(text);
	free(msg);
	xp_sign_free_key(k);

	/* A second repository reuses the host key. */
	free(repo);
	repo = path_of("repo2");
	is_int(xp_keys_init(repo, "other password", 14, skey, 0, &err), 0,
	       "init a second repository");
	msg = path_of("repo2/keys/signer.pub");
	text = slurp(msg);
	is_str(text, pubtext, "second repository has the same signer.pub");
	free(text);
	free(msg);

	free(pubtext);
	free(keyfile);
	free(skey);
	free(repo);
	xp_secret_free(sk);
}

/* repo.key carries the repository id and the signer; a new password keeps them. */
static void bound(void)
{
	char *repo = path_of("repo"), *idtext = slurp(path_of_static("repo/keys/repo.id"));
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN), pub[XP_SIGN_PUB_LEN];
	char id[XP_KEYS_REPO_ID_HEX];
	struct xp_keys_bound b;
	struct xp_err err;

	is_int(xp_keys_repo_id(repo, id, &err), 0, "the repository id is read");
	ok(idtext && strlen(id) == 32 && strncmp(idtext, "xpbackup-repo-id 1\n", 19) == 0 &&
	           strncmp(idtext + 19, id, 32) == 0,
	   "keys/repo.id holds it in hex");
	is_int(xp_keys_unlock_bound(repo, "password one", 12, sk, &b, &err), 0, "unlock_bound");
	is_int(b.present, 1, "repo.key carries what it binds");
	is_str(b.repo_id, id, "the repository id is sealed with the key");
	is_int(xp_sign_pub_load(path_of_static("repo/keys/signer.pub"), pub, &err), 0,
	       "signer.pub loads");
	ok(memcmp(b.signer, pub, sizeof pub) == 0, "the signer is sealed with the key");
	is_int(xp_keys_passwd(repo, "password one", 12, "password nine", 13, 0, &err), 0, "passwd");
	memset(&b, 0, sizeof b);
	is_int(xp_keys_unlock_bound(repo, "password nine", 13, sk, &b, &err), 0,
	       "unlock with the new one");
	ok(b.present && strcmp(b.repo_id, id) == 0 && memcmp(b.signer, pub, sizeof pub) == 0,
	   "a new password keeps the id and the signer");
	is_int(xp_keys_passwd(repo, "password nine", 13, "password one", 12, 0, &err), 0,
	       "the password back");
	xp_secret_free(sk);
	free(idtext);
	free(repo);
}

static void passwd(void)
{
	char *repo = path_of("repo"), *pubpath = path_of("repo/keys/repo.pub");
	char *pub1 = slurp(pubpath), *pub2;
	uint8_t *sk1 = xp_secret_alloc(XP_KEYS_SK_LEN), *sk2 = xp_secret_alloc(XP_KEYS_SK_LEN);
	struct xp_err err;

	is_int(xp_keys_unlock(repo, "password one", 12, sk1, &err), 0, "unlock before passwd");
	is_int(xp_keys_passwd(repo, "bad", 3, "new password", 12, 0, &err), XP_EAUTH,
	       "passwd with a wrong old password is XP_EAUTH");
	is_int(xp_keys_passwd(repo, "password one", 12, "new password", 12, 0, &err), 0, "passwd");
	is_int(xp_keys_unlock(repo, "password one", 12, sk2, &err), XP_EAUTH, "old password fails");
	is_int(xp_keys_unlock(repo, "new password", 12, sk2, &err), 0, "new password works");
	ok(sodium_memcmp(sk1, sk2, XP_KEYS_SK_LEN) == 0, "the secret key is unchanged");
	pub2 = slurp(pubpath);
	is_str(pub2, pub1, "repo.pub is unchanged");
	is_int(mode_of("repo/keys/repo.key"), 0600, "re-sealed repo.key is 0600");
	free(pub2);
	free(pub1);
	free(pubpath);
	free(repo);
	xp_secret_free(sk2);
	xp_secret_free(sk1);
}

/* Every single-byte change of repo.key is caught by its checksum before Argon2id runs. */
/* A new password keeps the limits the key was sealed with, or stronger ones; never weaker. */
static void passwd_limits(void)
{
	char *repo = path_of("limits"), *skey = path_of("host/sub/signer.key");
	struct xp_keys_kdf kdf = {0, 0};
	struct xp_err err;

	xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN + 2, 2 * crypto_pwhash_MEMLIMIT_MIN);
	is_int(xp_keys_init(repo, "limits password", 15, skey, 0, &err), 0,
	       "init at raised limits");
	xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
	is_int(xp_keys_passwd(repo, "limits password", 15, "another password", 16, 0, &err), 0,
	       "passwd where new keys would get lower limits");
	is_int(xp_keys_kdf_read(repo, &kdf, &err), 0, "the limits read back");
	ok(kdf.ops == crypto_pwhash_OPSLIMIT_MIN + 2 && kdf.mem == 2 * crypto_pwhash_MEMLIMIT_MIN,
	   "passwd keeps the limits the key was sealed with");
	xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN + 3, 2 * crypto_pwhash_MEMLIMIT_MIN);
	is_int(xp_keys_passwd(repo, "another password", 16, "limits password", 15, 0, &err), 0,
	       "passwd where new keys would get higher limits");
	is_int(xp_keys_kdf_read(repo, &kdf, &err), 0, "the limits read back again");
	is_int((int)kdf.ops, crypto_pwhash_OPSLIMIT_MIN + 3, "passwd raises them");
	is_int(xp_keys_passwd(repo, "limits password", 15, "short pass1", 11, 0, &err), XP_EFAIL,
	       "passwd refuses a new password of 11 characters");
	is_str(err.msg, "the new password is too short: 11 characters, at least 12",
	       "and says the minimum");
	is_int(xp_keys_passwd(repo, "limits password", 15,
	                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x", 13, 0, &err),
	       XP_EFAIL, "characters are counted, not bytes");
	is_int(xp_keys_unlock(repo, "limits password", 15, (uint8_t[XP_KEYS_SK_LEN]){0}, &err), 0,
	       "a refused password changes nothing");
	xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
	is_int(xp_keys_init(path_of_static("short"), "eleven char", 11, skey, 0, &err), XP_EFAIL,
	       "init refuses a password of 11 characters");
	free(skey);
	free(repo);
}

static void tamper(void)
{
	char *repo = path_of("repo"), *keyfile = path_of("repo/keys/repo.key");
	char *orig = slurp(keyfile), *copy, *msg, *other;
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	size_t n = strlen(orig), integrity = 0, last = 0;
	struct xp_err err;
	int rc;

	copy = malloc(n);
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, orig, n);
		copy[i] ^= 0x01;
		write_file(keyfile, copy, n);
		rc = xp_keys_unlock(repo, "new password", 12, sk, &err);
		if (rc == XP_EINTEGRITY)
			integrity++;
		else
			last = i;
	}
	is_int((int64_t)integrity, (int64_t)n, "each of %zu flipped bytes is XP_EINTEGRITY", n);
	if (integrity != n)
		printf("# byte %zu was not caught\n", last);
	msg = xp_asprintf("%s: corrupted key file", keyfile);
	is_str(err.msg, msg, "corrupted key file message");
	free(msg);

	write_file(keyfile, orig, n - 1);
	is_int(xp_keys_unlock(repo, "new password", 12, sk, &err), XP_EINTEGRITY,
	       "truncated repo.key is XP_EINTEGRITY");
	write_file(keyfile, orig, n);
	is_int(xp_keys_unlock(repo, "new password", 12, sk, &err), 0, "restored repo.key unlocks");

	/* A repo.pub from another repository: the key does not match. */
	other = path_of("repo2/keys/repo.pub");
	msg = slurp(other);
	free(other);
	other = path_of("repo/keys/repo.pub");
	copy = realloc(copy, strlen(msg) + 1);
	strcpy(copy, msg);
	free(msg);
	msg = slurp(other);
	write_file(other, copy, strlen(copy));
	is_int(xp_keys_unlock(repo, "new password", 12, sk, &err), XP_EINTEGRITY,
	       "repo.key not matching repo.pub is XP_EINTEGRITY");
	write_file(other, msg, strlen(msg));
	free(msg);
	free(other);

	free(copy);
	free(orig);
	free(keyfile);
	free(repo);
	xp_secret_free(sk);
}

/* A ciphertext change behind a recomputed checksum looks like a wrong password. */
static void forged(void)
{
	char *repo = path_of("repo"), *keyfile = path_of("repo/keys/repo.key");
	char *orig = slurp(keyfile), *copy = strdup(orig), *line3, *check;
	char chk64[sodium_base64_ENCODED_LEN(crypto_generichash_BYTES,
	                                     sodium_base64_VARIANT_ORIGINAL)];
	uint8_t chk[crypto_generichash_BYTES], *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	struct xp_err err;
	size_t n;

	line3 = strchr(strchr(strchr(copy, '\n') + 1, '\n') + 1, '\n') + 1;
	line3[0] = line3[0] == 'A' ? 'B' : 'A'; /* the first base64 digit of the ciphertext */
	check = strstr(copy, "check ") + 6;
	crypto_generichash(chk, sizeof chk, (const uint8_t *)copy, (size_t)(check - 6 - copy), NULL,
	                   0);
	sodium_bin2base64(chk64, sizeof chk64, chk, sizeof chk, sodium_base64_VARIANT_ORIGINAL);
	n = (size_t)(check - copy);
	copy = realloc(copy, n + strlen(chk64) + 2);
	sprintf(copy + n, "%s\n", chk64);
	write_file(keyfile, copy, strlen(copy));
	is_int(xp_keys_unlock(repo, "new password", 12, sk, &err), XP_EAUTH,
	       "a re-checksummed ciphertext change is XP_EAUTH");
	write_file(keyfile, orig, strlen(orig));
	free(copy);
	free(orig);
	free(keyfile);
	free(repo);
	xp_secret_free(sk);
}

/* A crash before repo.pub is in place leaves a directory that init completes. */
static void crash(const char *self)
{
	char *repo = path_of("crashed"), *skey = path_of("host/sub/signer.key"), *pub;
	char *argv[] = {(char *)self, "init", repo, skey, NULL};
	struct xp_proc_io io = XP_PROC_INHERIT;
	struct xp_proc child;
	struct xp_err err;
	int status = 0;

	fflush(stdout);
	/* A fresh process counts fault points from 1. Its renames: signer.pub, repo.id, repo.key,
	 * repo.pub (the host key exists already). Killed, its status is 128 + 9 on both systems. */
	xp_os_setenv("XP_FAULT_AT", "4");
	if (xp_proc_spawn(&child, argv, &io, &err) != 0 ||
	    xp_proc_wait(&child, -1, &status, &err) != 0)
		status = -1;
	xp_os_unsetenv("XP_FAULT_AT");
	if (status <= 128) {
		ok(1, "# SKIP fault injection is not compiled in");
		ok(1, "# SKIP fault injection is not compiled in");
		ok(1, "# SKIP fault injection is not compiled in");
		goto out;
	}
	pub = path_of("crashed/keys/repo.pub");
	ok(access(pub, F_OK) != 0, "killed at the repo.pub rename: no repo.pub");
	free(pub);
	is_int(mode_of("crashed/keys/repo.key"), 0600, "repo.key was written before");
	is_int(xp_keys_init(repo, "the password", 12, skey, 0, &err), 0,
	       "init completes the repository");
out:
	free(skey);
	free(repo);
}

static void init_edges(void)
{
	char *repo = path_of("empty"), *skey = path_of("loose.key"), *msg;
	struct xp_err err;

	if (xp_os_mkdir(repo, 0755) < 0)
		abort();
	is_int(xp_keys_init(repo, "the password", 12, path_of_static("host/sub/signer.key"), 0,
	                    &err),
	       0, "init accepts an existing empty directory");
	free(repo);
	repo = path_of("loose");
	write_file(skey, "x", 1);
	if (loosen(skey) < 0)
		abort();
	is_int(xp_keys_init(repo, "the password", 12, skey, 0, &err), XP_EFAIL,
	       "init refuses a signing key others may read");
	msg = xp_asprintf("%s: " LOOSE_MSG, skey);
	is_str(err.msg, msg, "init passes on the key's message");
	free(msg);
	free(skey);
	free(repo);
}

static void missing(void)
{
	char *repo = path_of("nothing");
	uint8_t pk[XP_KEYS_PK_LEN], *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	struct xp_err err;

	is_int(xp_keys_load_public(repo, pk, NULL, &err), XP_ENOENT, "load_public: no repository");
	is_int(xp_keys_unlock(repo, "x", 1, sk, &err), XP_ENOENT, "unlock: no repository");
	free(repo);
	xp_secret_free(sk);
}

/* One init at the real limits (slow under valgrind, so skipped there). */
static void default_limits(void)
{
	char *repo = path_of("moderate"), *skey = path_of("host/sub/signer.key");
	char *keyfile = path_of("moderate/keys/repo.key"), *text, *want;
	struct xp_err err;

	if (getenv("XP_VALGRIND")) {
		ok(1, "# SKIP Argon2id at MODERATE limits is too slow under valgrind");
		ok(1, "# SKIP Argon2id at MODERATE limits is too slow under valgrind");
		goto out;
	}
	xp_keys_set_kdf_limits(0, 0);
	is_int(xp_keys_init(repo, "the password", 12, skey, 0, &err), 0, "init at default limits");
	text = slurp(keyfile);
	want = xp_asprintf("xpbackup-repo-key 2\nargon2id13 %llu %zu ",
	                   (unsigned long long)crypto_pwhash_OPSLIMIT_MODERATE,
	                   (size_t)crypto_pwhash_MEMLIMIT_MODERATE);
	ok(text && strncmp(text, want, strlen(want)) == 0, "default limits are MODERATE");
	free(want);
	free(text);
out:
	free(keyfile);
	free(skey);
	free(repo);
}

int main(int argc, char **argv)
{
	/* The crash test's child: init with the limits below, killed by XP_FAULT_AT. */
	if (argc == 4 && strcmp(argv[1], "init") == 0) {
		xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
		return xp_keys_init(argv[2], "the password", 12, argv[3], 0, NULL) ? 1 : 0;
	}

	if (sodium_init() < 0 || !xp_os_mkdtemp(dir))
		return 1;
	umask(022);
	xp_os_setenv("XP_SIGNING_KEY", "/nonexistent/signer.key");
	is_str(xp_keys_default_signing_key(), "/nonexistent/signer.key",
	       "XP_SIGNING_KEY names the default signing key");
	xp_keys_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
	init_and_unlock();
	bound();
	passwd();
	passwd_limits();
	tamper();
	forged();
	crash(argv[0]);
	init_edges();
	missing();
	default_limits();
	ok(rm_tree(dir) == 0, "the temporary directory is removed");
	return done_testing();
}
