/* Repository keys: the X25519 pair sealed under the password, and the signer's public key.
 *
 * keys/repo.pub:  "xpbackup-repo-pub 1\n" BASE64(public key) "\n"
 * keys/repo.key:  "xpbackup-repo-key 2\n"
 *                 "argon2id13 OPSLIMIT MEMLIMIT BASE64(salt)\n"
 *                 BASE64(nonce) "\n"
 *                 BASE64(XChaCha20-Poly1305(secret key || repository id || signer public key;
 *                                           additional data = the three lines above)) "\n"
 *                 "check " BASE64(BLAKE2b-256 of everything above) "\n"
 * Format 1 ("xpbackup-repo-key 1") sealed the secret key alone. The checksum tells a damaged
 * file (XP_EINTEGRITY) from a wrong password (XP_EAUTH).
 * keys/repo.id:   "xpbackup-repo-id 1\n" HEX(16 random bytes) "\n" */
#include "config.h"

#include "repo/keys-int.h"
#include "repo/repo.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/encode.h"
#include "base/os.h"
#include "base/str.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define B64         sodium_base64_VARIANT_ORIGINAL
#define PUB_MAGIC   "xpbackup-repo-pub 1"
#define KEY_MAGIC1  "xpbackup-repo-key 1"
#define KEY_MAGIC   "xpbackup-repo-key 2"
#define ID_MAGIC    "xpbackup-repo-id 1"
#define KEY_ALG     "argon2id13"
#define KEYFILE_MAX 2048
#define NONCE_LEN   crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define PT1_LEN     XP_KEYS_SK_LEN
#define PT_LEN      (XP_KEYS_SK_LEN + XP_KEYS_REPO_ID_LEN + XP_SIGN_PUB_LEN)
#define CT_LEN      (PT_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define CT1_LEN     (PT1_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define SALT_LEN    crypto_pwhash_SALTBYTES
#define CHK_LEN     crypto_generichash_BYTES

static unsigned long long test_ops;
static size_t test_mem;

void xp_keys_set_kdf_limits(unsigned long long ops, size_t mem)
{
	test_ops = ops;
	test_mem = mem;
}

const char *xp_keys_default_signing_key(void)
{
	static char path[PATH_MAX];
	const char *env, *home;

	if (path[0])
		return path;
	env = getenv("XP_SIGNING_KEY");
	home = getenv("HOME");
	if (env && *env)
		snprintf(path, sizeof path, "%s", env);
	else if (xp_os_privileged() || !home || !*home)
		snprintf(path, sizeof path, "%s/signer.key", xp_os_system_state_dir());
	else
		snprintf(path, sizeof path, "%s/.config/xpbackup/signer.key", home);
	return path;
}

/* Why REPO cannot be a repository, in a few words; NULL for a directory with something in it. */
static const char *not_repo_why(const char *repo)
{
	struct stat st;
	struct dirent *e;
	int empty = 1;
	DIR *d;

	if (stat(repo, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? "no such directory" : strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "not a directory";
	d = opendir(repo);
	if (!d)
		return strerror(errno);
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty ? "empty directory: nothing mounted there?" : NULL;
}

int xp_keys_check_repo(const char *repo, struct xp_err *err)
{
	const char *why = not_repo_why(repo);
	uint8_t pk[XP_KEYS_PK_LEN];
	int rc;

	if (why)
		return xp_err_set(err, XP_EFAIL, "%s: not a repository (%s)", repo, why);
	rc = xp_keys_load_public(repo, pk, NULL, err);
	if (rc == XP_ENOENT)
		rc = xp_err_set(err, XP_EFAIL, "%s: not a repository (no keys/repo.pub)", repo);
	return rc;
}

void xp_keys_id(const uint8_t pk[XP_KEYS_PK_LEN], uint8_t key_id[XP_KEYS_ID_LEN])
{
	uint8_t h[crypto_generichash_BYTES];

	/* Cannot fail: an unkeyed hash of a valid length. */
	(void)crypto_generichash(h, sizeof h, pk, XP_KEYS_PK_LEN, NULL, 0);
	memcpy(key_id, h, XP_KEYS_ID_LEN);
}

char *xp_keys_path(const char *repo, const char *name)
{
	char *keys = xp_repo_file(repo, XP_REPO_KEYS),
	     *p = keys ? xp_asprintf("%s/%s", keys, name) : NULL;

	free(keys);
	return p;
}

static char *b64(const uint8_t *bin, size_t len, char *out, size_t outlen)
{
	return sodium_bin2base64(out, outlen, bin, len, B64);
}

int xp_keys_load_file(const char *repo, const char *name, uint8_t pk[XP_KEYS_PK_LEN],
                      uint8_t key_id[XP_KEYS_ID_LEN], struct xp_err *err)
{
	char *path = xp_keys_path(repo, name), *text = NULL, *l, *nl;
	size_t len;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if (sodium_init() < 0) {
		rc = xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
		goto out;
	}
	rc = xp_repo_read(repo, path, 256, &text, &len, err);
	if (rc)
		goto out;
	l = text + sizeof PUB_MAGIC;
	nl = strchr(text, '\n');
	if (nl != l - 1 || memcmp(text, PUB_MAGIC, sizeof PUB_MAGIC - 1) != 0 ||
	    !(nl = strchr(l, '\n')) || nl[1] != '\0' ||
	    xp_base64_decode(l, (size_t)(nl - l), pk, XP_KEYS_PK_LEN) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: not a repository public key", path);
		goto out;
	}
	if (key_id)
		xp_keys_id(pk, key_id);
out:
	free(text);
	free(path);
	return rc;
}

int xp_keys_load_public(const char *repo, uint8_t pk[XP_KEYS_PK_LEN],
                        uint8_t key_id[XP_KEYS_ID_LEN], struct xp_err *err)
{
	return xp_keys_load_file(repo, "repo.pub", pk, key_id, err);
}

/* The sealed secret key's text: header lines (the additional data), ciphertext, checksum. */
static int seal_secret(const uint8_t *pt, size_t ptlen, const char *pw, size_t pwlen,
                       const struct xp_keys_kdf *kdf, char **out, struct xp_err *err)
{
	char salt64[sodium_base64_ENCODED_LEN(SALT_LEN, B64)];
	char nonce64[sodium_base64_ENCODED_LEN(NONCE_LEN, B64)];
	char ct64[sodium_base64_ENCODED_LEN(CT_LEN, B64)];
	char chk64[sodium_base64_ENCODED_LEN(CHK_LEN, B64)];
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], ct[CT_LEN], chk[CHK_LEN];
	size_t ctlen = ptlen + crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned long long ops = kdf->ops;
	size_t mem = kdf->mem;
	uint8_t *key = NULL;
	char *head = NULL, *text = NULL;
	int rc = 0;

	*out = NULL;
	key = xp_secret_alloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	if (!key)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pw, pwlen, salt, ops,
	                  mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "Argon2id: out of memory");
		goto out;
	}
	head = xp_asprintf("%s\n%s %llu %zu %s\n%s\n", ptlen == PT_LEN ? KEY_MAGIC : KEY_MAGIC1,
	                   KEY_ALG, ops, mem, b64(salt, sizeof salt, salt64, sizeof salt64),
	                   b64(nonce, sizeof nonce, nonce64, sizeof nonce64));
	if (!head) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, ptlen, (const uint8_t *)head,
	                                               strlen(head), NULL, nonce, key) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "XChaCha20-Poly1305 failed");
		goto out;
	}
	text = xp_asprintf("%s%s\n", head, b64(ct, ctlen, ct64, sizeof ct64));
	if (!text) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_generichash(chk, sizeof chk, (const uint8_t *)text, strlen(text), NULL, 0) !=
	    0) {
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
		goto out;
	}
	*out = xp_asprintf("%scheck %s\n", text, b64(chk, sizeof chk, chk64, sizeof chk64));
	if (!*out)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
out:
	free(text);
	free(head);
	xp_secret_free(key);
	return rc;
}

int xp_keys_write_secret(const char *repo, const char *name, const uint8_t sk[XP_KEYS_SK_LEN],
                         const struct xp_keys_bound *b, const char *pw, size_t pwlen,
                         const struct xp_keys_kdf *kdf, struct xp_err *err)
{
	char *path = xp_keys_path(repo, name), *text = NULL;
	uint8_t *pt = xp_secret_alloc(PT_LEN);
	int rc;

	if (!path || !pt) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(pt, sk, XP_KEYS_SK_LEN);
	if (b->present && xp_unhex(b->repo_id, pt + XP_KEYS_SK_LEN, XP_KEYS_REPO_ID_LEN) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "%s: bad repository id", repo);
		goto out;
	}
	if (b->present)
		memcpy(pt + XP_KEYS_SK_LEN + XP_KEYS_REPO_ID_LEN, b->signer, XP_SIGN_PUB_LEN);
	rc = seal_secret(pt, b->present ? PT_LEN : PT1_LEN, pw, pwlen, kdf, &text, err);
	if (rc == 0)
		rc = xp_file_write_atomic(path, text, strlen(text), 0600, err);
out:
	xp_secret_free(pt);
	free(text);
	free(path);
	return rc;
}

/* The parts of repo.key, pointing into its text. */
struct keyfile {
	size_t headlen, ctlen;
	unsigned long long ops;
	size_t mem;
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], ct[CT_LEN];
};

/* Splits text into its lines and checks the checksum; -1 if damaged. */
static int parse_keyfile(const char *text, size_t len, struct keyfile *kf)
{
	const char *line[6];
	size_t n = 0, ll[5];
	uint8_t chk[CHK_LEN], want[CHK_LEN];
	char alg[16], salt64[64], tail;

	if (len == 0 || text[len - 1] != '\n' || strlen(text) != len)
		return -1;
	line[0] = text;
	for (const char *p = text; p < text + len; p++) {
		if (*p != '\n')
			continue;
		if (n == 5)
			return -1;
		ll[n] = (size_t)(p - line[n]);
		line[++n] = p + 1;
	}
	if (n != 5 || ll[4] < 6 || memcmp(line[4], "check ", 6) != 0 ||
	    xp_base64_decode(line[4] + 6, ll[4] - 6, want, sizeof want) != 0)
		return -1;
	(void)crypto_generichash(chk, sizeof chk, (const uint8_t *)text, (size_t)(line[4] - text),
	                         NULL, 0);
	if (sodium_memcmp(chk, want, sizeof chk) != 0)
		return -1;
	if (ll[0] == sizeof KEY_MAGIC - 1 && memcmp(line[0], KEY_MAGIC, ll[0]) == 0)
		kf->ctlen = CT_LEN;
	else if (ll[0] == sizeof KEY_MAGIC1 - 1 && memcmp(line[0], KEY_MAGIC1, ll[0]) == 0)
		kf->ctlen = CT1_LEN;
	else
		return -1;
	if (ll[1] >= 128 ||
	    sscanf(line[1], "%15s %llu %zu %63s%c", alg, &kf->ops, &kf->mem, salt64, &tail) != 5 ||
	    tail != '\n' || strcmp(alg, KEY_ALG) != 0 ||
	    xp_base64_decode(salt64, strlen(salt64), kf->salt, sizeof kf->salt) != 0)
		return -1;
	/* Limits beyond SENSITIVE would only let a damaged file exhaust memory or time. */
	if (kf->ops < crypto_pwhash_OPSLIMIT_MIN || kf->ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    kf->mem < crypto_pwhash_MEMLIMIT_MIN || kf->mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return -1;
	if (xp_base64_decode(line[2], ll[2], kf->nonce, sizeof kf->nonce) != 0 ||
	    xp_base64_decode(line[3], ll[3], kf->ct, kf->ctlen) != 0)
		return -1;
	kf->headlen = (size_t)(line[3] - text);
	return 0;
}

int xp_keys_unlock(const char *repo, const char *pw, size_t pwlen, uint8_t sk32[XP_KEYS_SK_LEN],
                   struct xp_err *err)
{
	return xp_keys_unlock_bound(repo, pw, pwlen, sk32, NULL, err);
}

int xp_keys_unlock_file(const char *repo, const char *name, const uint8_t pk[XP_KEYS_PK_LEN],
                        const char *pw, size_t pwlen, uint8_t sk32[XP_KEYS_SK_LEN],
                        struct xp_keys_bound *b, struct xp_keys_kdf *kdf, struct xp_err *err)
{
	char *path = xp_keys_path(repo, name), *text = NULL;
	uint8_t derived[XP_KEYS_PK_LEN];
	uint8_t *key = NULL, *pt = xp_secret_alloc(PT_LEN);
	struct keyfile kf;
	size_t len;
	int rc;

	if (b)
		memset(b, 0, sizeof *b);
	if (!path || !pt) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (sodium_init() < 0) {
		rc = xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
		goto out;
	}
	rc = xp_repo_read(repo, path, KEYFILE_MAX, &text, &len, err);
	if (rc)
		goto out;
	if (parse_keyfile(text, len, &kf) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: corrupted key file", path);
		goto out;
	}
	key = xp_secret_alloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	if (!key) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pw, pwlen, kf.salt,
	                  kf.ops, kf.mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "Argon2id: out of memory");
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, kf.ct, kf.ctlen,
	                                               (const uint8_t *)text, kf.headlen, kf.nonce,
	                                               key) != 0) {
		rc = xp_err_set(err, XP_EAUTH, "%s: wrong password", path);
		goto out;
	}
	memcpy(sk32, pt, XP_KEYS_SK_LEN);
	if (crypto_scalarmult_base(derived, sk32) != 0 ||
	    sodium_memcmp(derived, pk, XP_KEYS_PK_LEN) != 0) {
		sodium_memzero(sk32, XP_KEYS_SK_LEN);
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: does not match keys/%s", path,
		                strcmp(name, "repo.key") == 0 ? "repo.pub" : "repo.pub.new");
		goto out;
	}
	if (kdf) {
		kdf->ops = kf.ops;
		kdf->mem = kf.mem;
	}
	if (b && kf.ctlen == CT_LEN) {
		b->present = 1;
		xp_hex(pt + XP_KEYS_SK_LEN, XP_KEYS_REPO_ID_LEN, b->repo_id);
		memcpy(b->signer, pt + XP_KEYS_SK_LEN + XP_KEYS_REPO_ID_LEN, XP_SIGN_PUB_LEN);
	}
out:
	xp_secret_free(pt);
	xp_secret_free(key);
	free(text);
	free(path);
	return rc;
}

int xp_keys_unlock_bound(const char *repo, const char *pw, size_t pwlen,
                         uint8_t sk32[XP_KEYS_SK_LEN], struct xp_keys_bound *b, struct xp_err *err)
{
	uint8_t pk[XP_KEYS_PK_LEN];
	int rc;

	if (b)
		memset(b, 0, sizeof *b);
	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	rc = xp_keys_load_public(repo, pk, NULL, err);
	if (rc == 0)
		rc = xp_keys_unlock_file(repo, "repo.key", pk, pw, pwlen, sk32, b, NULL, err);
	return rc;
}

void xp_keys_kdf_default(int strong, struct xp_keys_kdf *kdf)
{
	kdf->ops = strong ? crypto_pwhash_OPSLIMIT_SENSITIVE : crypto_pwhash_OPSLIMIT_MODERATE;
	kdf->mem = strong ? crypto_pwhash_MEMLIMIT_SENSITIVE : crypto_pwhash_MEMLIMIT_MODERATE;
	if (test_ops) {
		kdf->ops = test_ops;
		kdf->mem = test_mem;
	}
}

int xp_keys_kdf_read(const char *repo, struct xp_keys_kdf *kdf, struct xp_err *err)
{
	char *path = xp_keys_path(repo, "repo.key"), *text = NULL;
	struct keyfile kf;
	size_t len;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read(repo, path, KEYFILE_MAX, &text, &len, err);
	if (rc == 0 && parse_keyfile(text, len, &kf) != 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: corrupted key file", path);
	if (rc == 0) {
		kdf->ops = kf.ops;
		kdf->mem = kf.mem;
	}
	free(text);
	free(path);
	return rc;
}

int xp_keys_password_check(const char *pw, size_t len, struct xp_err *err)
{
	size_t chars = 0;

	/* Characters, not bytes: UTF-8 continuation bytes do not count. */
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)pw[i] & 0xc0) != 0x80;
	if (chars < XP_KEYS_PASSWORD_MIN)
		return xp_err_set(err, XP_EFAIL,
		                  "the new password is too short: %zu characters, at least %d",
		                  chars, XP_KEYS_PASSWORD_MIN);
	return 0;
}

int xp_keys_passwd(const char *repo, const char *oldpw, size_t oldlen, const char *newpw,
                   size_t newlen, int strong, struct xp_err *err)
{
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	uint8_t pk[XP_KEYS_PK_LEN];
	struct xp_keys_bound b;
	struct xp_keys_kdf kdf, want;
	int rc;

	if (!sk)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	if ((rc = xp_keys_password_check(newpw, newlen, err)) != 0 ||
	    (rc = xp_keys_load_public(repo, pk, NULL, err)) != 0 ||
	    (rc = xp_keys_unlock_file(repo, "repo.key", pk, oldpw, oldlen, sk, &b, &kdf, err)) != 0)
		goto out;
	/* The limits the key was sealed with, or stronger: a new password never weakens them. */
	xp_keys_kdf_default(strong, &want);
	if (want.ops > kdf.ops)
		kdf.ops = want.ops;
	if (want.mem > kdf.mem)
		kdf.mem = want.mem;
	rc = xp_keys_write_secret(repo, "repo.key", sk, &b, newpw, newlen, &kdf, err);
out:
	xp_secret_free(sk);
	return rc;
}

/* Writes keys/NAME, readable by all: "MAGIC\nBODY\n", replaced atomically. */
static int write_public_text(const char *repo, const char *name, const char *magic,
                             const char *body, struct xp_err *err)
{
	char *path = xp_keys_path(repo, name), *text = xp_asprintf("%s\n%s\n", magic, body);
	int rc;

	if (!path || !text)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	else
		rc = xp_file_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	free(path);
	return rc;
}

int xp_keys_write_public(const char *repo, const char *name, const uint8_t pk[XP_KEYS_PK_LEN],
                         struct xp_err *err)
{
	char pk64[sodium_base64_ENCODED_LEN(XP_KEYS_PK_LEN, B64)];

	return write_public_text(repo, name, PUB_MAGIC, b64(pk, XP_KEYS_PK_LEN, pk64, sizeof pk64),
	                         err);
}

/* Loads the host's signing key, or makes it on first use, and writes its public half. */
static int write_signer(const char *repo, const char *keypath, uint8_t pub[XP_SIGN_PUB_LEN],
                        struct xp_err *err)
{
	struct xp_signkey *k = NULL;
	char *path = xp_keys_path(repo, "signer.pub"), *text = NULL;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_sign_load_key(keypath, &k, err);
	if (rc == XP_ENOENT)
		rc = xp_sign_create_key(keypath, &k, err);
	if (rc == 0) {
		xp_sign_key_pub(k, pub);
		rc = xp_sign_public_text(k, &text, err);
	}
	if (rc == 0)
		rc = xp_file_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	free(path);
	xp_sign_free_key(k);
	return rc;
}

int xp_keys_repo_id(const char *repo, char id[XP_KEYS_REPO_ID_HEX], struct xp_err *err)
{
	char *path = xp_keys_path(repo, "repo.id"), *text = NULL;
	uint8_t kid[XP_KEYS_ID_LEN], bin[XP_KEYS_REPO_ID_LEN];
	size_t len;
	int rc;

	if (!path)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = xp_repo_read(repo, path, 256, &text, &len, err);
	if (rc == XP_ENOENT) {
		rc = xp_keys_load_public(repo, (uint8_t[XP_KEYS_PK_LEN]){0}, kid, err);
		if (rc == 0)
			xp_hex(kid, sizeof kid, id);
		goto out;
	}
	if (rc)
		goto out;
	if (len != sizeof ID_MAGIC + 2 * XP_KEYS_REPO_ID_LEN + 1 ||
	    memcmp(text, ID_MAGIC "\n", sizeof ID_MAGIC) != 0 || text[len - 1] != '\n' ||
	    (text[len - 1] = '\0', xp_unhex(text + sizeof ID_MAGIC, bin, sizeof bin)) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: not a repository id", path);
		goto out;
	}
	xp_hex(bin, sizeof bin, id);
out:
	free(text);
	free(path);
	return rc;
}

static int write_repo_id(const char *repo, const uint8_t id[XP_KEYS_REPO_ID_LEN],
                         struct xp_err *err)
{
	char idhex[XP_KEYS_REPO_ID_HEX];

	xp_hex(id, XP_KEYS_REPO_ID_LEN, idhex);
	return write_public_text(repo, "repo.id", ID_MAGIC, idhex, err);
}

int xp_keys_init(const char *repo, const char *pw, size_t pwlen, const char *signing_key_path,
                 int strong, struct xp_err *err)
{
	char *keysdir = xp_repo_file(repo, XP_REPO_KEYS), *pubpath = xp_keys_path(repo, "repo.pub");
	uint8_t pk[XP_KEYS_PK_LEN], id[XP_KEYS_REPO_ID_LEN];
	uint8_t *sk = xp_secret_alloc(XP_KEYS_SK_LEN);
	struct xp_keys_bound b = {.present = 1};
	struct xp_keys_kdf kdf;
	struct stat st;
	int rc;

	xp_keys_kdf_default(strong, &kdf);
	if (!keysdir || !pubpath || !sk) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (sodium_init() < 0) {
		rc = xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
		goto out;
	}
	/* repo.pub is written last, so a crash part-way leaves a directory init may redo. */
	if (xp_os_lstat(pubpath, &st) == 0) {
		rc = xp_err_set(err, XP_EFAIL, "%s: already a repository", repo);
		goto out;
	}
	rc = xp_keys_password_check(pw, pwlen, err);
	if (rc)
		goto out;
	rc = xp_mkdirs(keysdir, 0700, err);
	if (rc)
		goto out;
	if (crypto_box_keypair(pk, sk) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "X25519 key generation failed");
		goto out;
	}
	randombytes_buf(id, sizeof id);
	xp_hex(id, sizeof id, b.repo_id);
	rc = write_signer(repo, signing_key_path ? signing_key_path : xp_keys_default_signing_key(),
	                  b.signer, err);
	if (rc == 0)
		rc = write_repo_id(repo, id, err);
	if (rc == 0)
		rc = xp_keys_write_secret(repo, "repo.key", sk, &b, pw, pwlen, &kdf, err);
	if (rc == 0)
		rc = xp_keys_write_public(repo, "repo.pub", pk, err);
out:
	xp_secret_free(sk);
	free(pubpath);
	free(keysdir);
	return rc;
}
