/* Ed25519 signatures in minisign's format (prehashed "ED"), minisign public and secret keys. */
#include "config.h"

#include "crypto/sign.h"
#include "crypto/secret.h"
#include "base/err.h"
#include "base/time.h"
#include "base/io.h"
#include "base/afile.h"
#include "base/encode.h"
#include "base/str.h"
#include "base/os.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define B64         sodium_base64_VARIANT_ORIGINAL
#define ALG_LEN     2
#define PREHASH_LEN crypto_generichash_BYTES_MAX /* BLAKE2b-512 of the data */
#define TC_MAX      8000                         /* trusted comment, fits minisign's line */
#define SIGFILE_MAX 16384
#define KEYFILE_MAX 1024
#define FILE_BUF    (256 * 1024)

/* minisign's binary layouts (all behind one base64 line). */
#define PUB_LEN    (ALG_LEN + XP_SIGN_KEYID_LEN + crypto_sign_PUBLICKEYBYTES)
#define SIG_LEN    (ALG_LEN + XP_SIGN_KEYID_LEN + crypto_sign_BYTES)
#define SK_CHK_LEN crypto_generichash_BYTES
#define SK_LEN                                                                                     \
	(3 * ALG_LEN + 32 + 8 + 8 + XP_SIGN_KEYID_LEN + crypto_sign_SECRETKEYBYTES + SK_CHK_LEN)
#define SK_KEYNUM_OFF (3 * ALG_LEN + 32 + 8 + 8)
#define SK_SK_OFF     (SK_KEYNUM_OFF + XP_SIGN_KEYID_LEN)
#define SK_CHK_OFF    (SK_SK_OFF + crypto_sign_SECRETKEYBYTES)

static const char UNTRUSTED[] = "untrusted comment: ";
static const char TRUSTED[] = "trusted comment: ";

struct xp_signkey {
	uint8_t id[XP_SIGN_KEYID_LEN];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* The key id as minisign prints it: a little-endian 64-bit number in upper-case hex. */
static void id_hex(const uint8_t id[XP_SIGN_KEYID_LEN], char out[17])
{
	uint64_t v = 0;

	for (int i = XP_SIGN_KEYID_LEN - 1; i >= 0; i--)
		v = (v << 8) | id[i];
	snprintf(out, 17, "%016" PRIX64, v);
}

/* Returns the start of line n (0-based) of text and its length without "\r\n"; NULL if absent. */
static const char *line_at(const char *text, int n, size_t *len)
{
	const char *p = text, *nl;

	for (; n > 0; n--) {
		nl = strchr(p, '\n');
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (!*p)
		return NULL;
	nl = strchr(p, '\n');
	*len = nl ? (size_t)(nl - p) : strlen(p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

static char *b64_encode(const uint8_t *bin, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, B64);
	char *s = malloc(n);

	if (s)
		sodium_bin2base64(s, n, bin, len, B64);
	return s;
}

static int parse_pubkey_text(const char *text, struct xp_sign_pub *pk)
{
	uint8_t bin[PUB_LEN];
	const char *l;
	size_t len;

	l = line_at(text, 0, &len);
	if (l && len >= sizeof UNTRUSTED - 1 && memcmp(l, UNTRUSTED, sizeof UNTRUSTED - 1) == 0)
		l = line_at(text, 1, &len);
	if (!l || xp_base64_decode(l, len, bin, sizeof bin) != 0 || memcmp(bin, "Ed", ALG_LEN) != 0)
		return -1;
	memcpy(pk->id, bin + ALG_LEN, XP_SIGN_KEYID_LEN);
	memcpy(pk->pk, bin + ALG_LEN + XP_SIGN_KEYID_LEN, sizeof pk->pk);
	return 0;
}

/* A small file that must be a regular one (a key or a signature): never a FIFO to wait on. */
static int read_regular(const char *path, size_t max, char **text, struct xp_err *err)
{
	int fd, rc;

	rc = xp_open_regular(path, O_RDONLY, &fd, err);
	if (rc)
		return rc;
	rc = xp_fd_read(fd, path, max, text, NULL, err);
	close(fd);
	return rc;
}

int xp_sign_pub_read(const char *path, struct xp_sign_pub *pk, struct xp_err *err)
{
	char *text = NULL;
	int rc;

	rc = read_regular(path, KEYFILE_MAX, &text, err);
	if (rc)
		return rc;
	if (parse_pubkey_text(text, pk) != 0)
		rc = xp_err_set(err, XP_EFAIL, "%s: not a minisign public key", path);
	free(text);
	return rc;
}

/* minisign's secret-key checksum: BLAKE2b-256(algorithm || key id || secret key). */
static int sk_checksum(const uint8_t *bin, uint8_t chk[SK_CHK_LEN])
{
	crypto_generichash_state st;

	if (crypto_generichash_init(&st, NULL, 0, SK_CHK_LEN) != 0 ||
	    crypto_generichash_update(&st, bin, ALG_LEN) != 0 ||
	    crypto_generichash_update(&st, bin + SK_KEYNUM_OFF,
	                              XP_SIGN_KEYID_LEN + crypto_sign_SECRETKEYBYTES) != 0 ||
	    crypto_generichash_final(&st, chk, SK_CHK_LEN) != 0)
		return -1;
	return 0;
}

/* Reads the secret key file into secret memory (bin, SK_LEN bytes), refusing loose modes. */
static int read_seckey(const char *path, uint8_t *bin, struct xp_err *err)
{
	char *text = NULL;
	const char *l;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, rc = XP_EFAIL;

	/* Anyone who reads this file can sign backups as this host. */
	rc = xp_secret_file_open(path, &fd, &st, err);
	if (rc)
		return rc;
	if (!S_ISREG(st.st_mode)) {
		rc = xp_err_set(err, XP_EFAIL, "%s: signing key is not a regular file", path);
		goto out;
	}
	text = xp_secret_alloc(KEYFILE_MAX + 1);
	if (!text) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	n = xp_read_full(fd, text, KEYFILE_MAX + 1);
	if (n < 0) {
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
		goto out;
	}
	if (n > KEYFILE_MAX) {
		rc = xp_err_set(err, XP_EFAIL, "%s: not a minisign secret key", path);
		goto out;
	}
	text[n] = '\0';
	l = line_at(text, 1, &len);
	if (!l || xp_base64_decode(l, len, bin, SK_LEN) != 0 || memcmp(bin, "Ed", ALG_LEN) != 0 ||
	    memcmp(bin + 2 * ALG_LEN, "B2", ALG_LEN) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "%s: not a minisign secret key", path);
		goto out;
	}
	if (bin[2] != 0 || bin[3] != 0) {
		rc = xp_err_set(err, XP_EFAIL,
		                "%s: secret key is encrypted with a password (use one made by "
		                "xpseal init or minisign -G -W)",
		                path);
		goto out;
	}
	rc = 0;
out:
	xp_secret_free(text);
	close(fd);
	return rc;
}

int xp_sign_load_key(const char *path, struct xp_signkey **out, struct xp_err *err)
{
	struct xp_signkey *k = NULL;
	uint8_t *bin = NULL, *chk = NULL, *seed_sk = NULL;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	bin = xp_secret_alloc(SK_LEN);
	chk = xp_secret_alloc(SK_CHK_LEN);
	seed_sk = xp_secret_alloc(crypto_sign_SECRETKEYBYTES);
	k = xp_secret_alloc(sizeof *k);
	if (!bin || !chk || !seed_sk || !k) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = read_seckey(path, bin, err);
	if (rc)
		goto out;
	/* minisign -G -W leaves the checksum zero; anything else must match. The secret key's
	 * public half must also be the one its seed makes. */
	if (sk_checksum(bin, chk) != 0 ||
	    (!sodium_is_zero(bin + SK_CHK_OFF, SK_CHK_LEN) &&
	     sodium_memcmp(chk, bin + SK_CHK_OFF, SK_CHK_LEN) != 0) ||
	    crypto_sign_seed_keypair(pk, seed_sk, bin + SK_SK_OFF) != 0 ||
	    sodium_memcmp(seed_sk, bin + SK_SK_OFF, crypto_sign_SECRETKEYBYTES) != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "%s: corrupted secret key (checksum)", path);
		goto out;
	}
	memcpy(k->id, bin + SK_KEYNUM_OFF, XP_SIGN_KEYID_LEN);
	memcpy(k->sk, bin + SK_SK_OFF, crypto_sign_SECRETKEYBYTES);
	(void)sodium_mprotect_readonly(k); /* hardening only: the key works either way */
	*out = k;
	k = NULL;
out:
	xp_secret_free(k);
	xp_secret_free(seed_sk);
	xp_secret_free(chk);
	xp_secret_free(bin);
	return rc;
}

void xp_sign_free_key(struct xp_signkey *k)
{
	xp_secret_free(k);
}

void xp_sign_key_id(const struct xp_signkey *k, uint8_t id[XP_SIGN_KEYID_LEN])
{
	memcpy(id, k->id, XP_SIGN_KEYID_LEN);
}

void xp_sign_pub_of(const struct xp_signkey *k, struct xp_sign_pub *pub)
{
	memcpy(pub->id, k->id, XP_SIGN_KEYID_LEN);
	crypto_sign_ed25519_sk_to_pk(pub->pk, k->sk);
}

/* Writes k as a password-less minisign secret key file. */
static int write_seckey(const char *path, const struct xp_signkey *k, struct xp_err *err)
{
	static const char head[] = "untrusted comment: xpbackup signing secret key (no password)\n";
	size_t b64len = sodium_base64_ENCODED_LEN(SK_LEN, B64);
	size_t textlen = sizeof head - 1 + b64len;
	uint8_t *bin = xp_secret_alloc(SK_LEN);
	char *text = xp_secret_alloc(textlen + 1);
	int rc;

	if (!bin || !text) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	memset(bin, 0, SK_LEN);
	memcpy(bin, "Ed", ALG_LEN);
	memcpy(bin + 2 * ALG_LEN, "B2", ALG_LEN);
	memcpy(bin + SK_KEYNUM_OFF, k->id, XP_SIGN_KEYID_LEN);
	memcpy(bin + SK_SK_OFF, k->sk, crypto_sign_SECRETKEYBYTES);
	if (sk_checksum(bin, bin + SK_CHK_OFF) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
		goto out;
	}
	memcpy(text, head, sizeof head - 1);
	sodium_bin2base64(text + sizeof head - 1, b64len, bin, SK_LEN, B64);
	text[textlen - 1] = '\n'; /* b64len counts the NUL */
	text[textlen] = '\0';
	rc = xp_file_write_atomic(path, text, textlen, 0600, err);
out:
	xp_secret_free(text);
	xp_secret_free(bin);
	return rc;
}

int xp_sign_create_key(const char *path, struct xp_signkey **out, struct xp_err *err)
{
	struct xp_signkey *k = NULL;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	char dir[PATH_MAX];
	struct stat st;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	if (xp_os_lstat(path, &st) == 0)
		return xp_err_set(err, XP_EFAIL, "%s: already exists", path);
	if (strlen(path) >= sizeof dir)
		return xp_err_set(err, XP_EUSAGE, "%s: name too long", path);
	strcpy(dir, path);
	rc = xp_mkdirs(dirname(dir), 0700, err);
	if (rc)
		return rc;
	k = xp_secret_alloc(sizeof *k);
	if (!k)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	randombytes_buf(k->id, sizeof k->id);
	if (crypto_sign_keypair(pk, k->sk) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "Ed25519 key generation failed");
		goto out;
	}
	rc = write_seckey(path, k, err);
	if (rc)
		goto out;
	(void)sodium_mprotect_readonly(k); /* hardening only: the key works either way */
	*out = k;
	k = NULL;
out:
	xp_secret_free(k);
	return rc;
}

void xp_sign_key_pub(const struct xp_signkey *k, uint8_t pub[XP_SIGN_PUB_LEN])
{
	memcpy(pub, "Ed", ALG_LEN);
	memcpy(pub + ALG_LEN, k->id, XP_SIGN_KEYID_LEN);
	crypto_sign_ed25519_sk_to_pk(pub + ALG_LEN + XP_SIGN_KEYID_LEN, k->sk);
}

int xp_sign_pub_load(const char *pubkey_path, uint8_t pub[XP_SIGN_PUB_LEN], struct xp_err *err)
{
	struct xp_sign_pub pk;
	int rc;

	rc = xp_sign_pub_read(pubkey_path, &pk, err);
	if (rc)
		return rc;
	memcpy(pub, "Ed", ALG_LEN);
	memcpy(pub + ALG_LEN, pk.id, XP_SIGN_KEYID_LEN);
	memcpy(pub + ALG_LEN + XP_SIGN_KEYID_LEN, pk.pk, sizeof pk.pk);
	return 0;
}

void xp_sign_pub_from(const uint8_t pub[XP_SIGN_PUB_LEN], struct xp_sign_pub *pk)
{
	memcpy(pk->id, pub + ALG_LEN, XP_SIGN_KEYID_LEN);
	memcpy(pk->pk, pub + ALG_LEN + XP_SIGN_KEYID_LEN, sizeof pk->pk);
}

void xp_sign_pub_id(const uint8_t pub[XP_SIGN_PUB_LEN], char out[17])
{
	id_hex(pub + ALG_LEN, out);
}

int xp_sign_pub_text(const uint8_t pub[XP_SIGN_PUB_LEN], char **text, struct xp_err *err)
{
	char hex[17], *b64 = b64_encode(pub, XP_SIGN_PUB_LEN);

	*text = NULL;
	id_hex(pub + ALG_LEN, hex);
	if (b64)
		*text = xp_asprintf("%sminisign public key %s\n%s\n", UNTRUSTED, hex, b64);
	free(b64);
	return *text ? 0 : xp_err_set(err, XP_ENOMEM, "out of memory");
}

int xp_sign_public_text(const struct xp_signkey *k, char **text, struct xp_err *err)
{
	uint8_t bin[PUB_LEN];

	xp_sign_key_pub(k, bin);
	return xp_sign_pub_text(bin, text, err);
}

int xp_sign_key_matches(const struct xp_signkey *k, const char *pubkey_path, struct xp_err *err)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	struct xp_sign_pub pub;
	char a[17], b[17];
	int rc;

	rc = xp_sign_pub_read(pubkey_path, &pub, err);
	if (rc)
		return rc;
	crypto_sign_ed25519_sk_to_pk(pk, k->sk);
	if (memcmp(pub.id, k->id, XP_SIGN_KEYID_LEN) != 0 || memcmp(pub.pk, pk, sizeof pk) != 0) {
		id_hex(k->id, a);
		id_hex(pub.id, b);
		return xp_err_set(err, XP_EINTEGRITY,
		                  "%s: signing key %s is not the repository's signer (key id %s)",
		                  pubkey_path, a, b);
	}
	return 0;
}

void xp_sign_init(struct xp_sign_state *s)
{
	/* Cannot fail for an unkeyed hash with a valid length. */
	(void)crypto_generichash_blake2b_init(&s->h, NULL, 0, PREHASH_LEN);
}

void xp_sign_update(struct xp_sign_state *s, const void *buf, size_t len)
{
	(void)crypto_generichash_blake2b_update(&s->h, buf, len); /* cannot fail */
}

static int check_comment(const char *tc, struct xp_err *err)
{
	if (strlen(tc) > TC_MAX)
		return xp_err_set(err, XP_EUSAGE, "trusted comment longer than %d bytes", TC_MAX);
	if (strpbrk(tc, "\r\n"))
		return xp_err_set(err, XP_EUSAGE, "trusted comment must be one line");
	return 0;
}

int xp_sign_final(struct xp_sign_state *s, const struct xp_signkey *k, const char *trusted_comment,
                  char **sigtext, struct xp_err *err)
{
	uint8_t hash[PREHASH_LEN], sig[SIG_LEN], global[crypto_sign_BYTES];
	uint8_t *gmsg = NULL;
	char *b64sig = NULL, *b64global = NULL, *tc = NULL;
	size_t tclen;
	int rc;

	*sigtext = NULL;
	if (trusted_comment)
		tc = strdup(trusted_comment);
	else
		tc = xp_asprintf("timestamp:%" PRId64, xp_now());
	if (!tc) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	rc = check_comment(tc, err);
	if (rc)
		goto out;
	tclen = strlen(tc);
	if (crypto_generichash_blake2b_final(&s->h, hash, sizeof hash) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
		goto out;
	}
	memcpy(sig, "ED", ALG_LEN);
	memcpy(sig + ALG_LEN, k->id, XP_SIGN_KEYID_LEN);
	gmsg = malloc(crypto_sign_BYTES + tclen);
	if (!gmsg) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_sign_detached(sig + ALG_LEN + XP_SIGN_KEYID_LEN, NULL, hash, sizeof hash,
	                         k->sk) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "Ed25519 signing failed");
		goto out;
	}
	/* The global signature binds the trusted comment to the signature. */
	memcpy(gmsg, sig + ALG_LEN + XP_SIGN_KEYID_LEN, crypto_sign_BYTES);
	memcpy(gmsg + crypto_sign_BYTES, tc, tclen);
	if (crypto_sign_detached(global, NULL, gmsg, crypto_sign_BYTES + tclen, k->sk) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "Ed25519 signing failed");
		goto out;
	}
	b64sig = b64_encode(sig, sizeof sig);
	b64global = b64_encode(global, sizeof global);
	if (b64sig && b64global)
		*sigtext = xp_asprintf("%ssignature from xpbackup secret key\n%s\n%s%s\n%s\n",
		                       UNTRUSTED, b64sig, TRUSTED, tc, b64global);
	if (!*sigtext)
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
out:
	free(b64global);
	free(b64sig);
	free(gmsg);
	free(tc);
	return rc;
}

int xp_sign_buffer(const struct xp_signkey *k, const void *buf, size_t len,
                   const char *trusted_comment, char **sigtext, struct xp_err *err)
{
	struct xp_sign_state s;

	xp_sign_init(&s);
	xp_sign_update(&s, buf, len);
	return xp_sign_final(&s, k, trusted_comment, sigtext, err);
}

/* A parsed .minisig file; tc points into the text. */
struct sigfile {
	uint8_t bin[SIG_LEN];
	uint8_t global[crypto_sign_BYTES];
	const char *tc;
	size_t tclen;
};

static int parse_sig(const char *text, struct sigfile *sf, struct xp_err *err)
{
	const char *l;
	size_t len;

	l = line_at(text, 0, &len);
	if (!l || len < sizeof UNTRUSTED - 1 || memcmp(l, UNTRUSTED, sizeof UNTRUSTED - 1) != 0)
		goto bad;
	l = line_at(text, 1, &len);
	if (!l || xp_base64_decode(l, len, sf->bin, sizeof sf->bin) != 0)
		goto bad;
	l = line_at(text, 2, &len);
	if (!l || len < sizeof TRUSTED - 1 || memcmp(l, TRUSTED, sizeof TRUSTED - 1) != 0)
		goto bad;
	sf->tc = l + sizeof TRUSTED - 1;
	sf->tclen = len - (sizeof TRUSTED - 1);
	l = line_at(text, 3, &len);
	if (!l || xp_base64_decode(l, len, sf->global, sizeof sf->global) != 0)
		goto bad;
	if (memcmp(sf->bin, "ED", ALG_LEN) == 0)
		return 0;
	if (memcmp(sf->bin, "Ed", ALG_LEN) == 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "legacy (not prehashed) signature: not supported");
bad:
	return xp_err_set(err, XP_EINTEGRITY, "malformed signature file");
}

int xp_sign_check_format(const char *sigtext, struct xp_err *err)
{
	struct sigfile sf;

	return parse_sig(sigtext, &sf, err);
}

/* Checks a parsed signature against the prehash of the data. */
static int check_sig(const struct sigfile *sf, const struct xp_sign_pub *pk,
                     const uint8_t hash[PREHASH_LEN], struct xp_err *err)
{
	const uint8_t *sig = sf->bin + ALG_LEN + XP_SIGN_KEYID_LEN;
	uint8_t *gmsg;
	char a[17], b[17];
	int rc = 0;

	if (memcmp(sf->bin + ALG_LEN, pk->id, XP_SIGN_KEYID_LEN) != 0) {
		id_hex(sf->bin + ALG_LEN, a);
		id_hex(pk->id, b);
		return xp_err_set(err, XP_EINTEGRITY,
		                  "signature made by another key (key id %s, expected %s)", a, b);
	}
	if (crypto_sign_verify_detached(sig, hash, PREHASH_LEN, pk->pk) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "bad signature");
	gmsg = malloc(crypto_sign_BYTES + sf->tclen);
	if (!gmsg)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	memcpy(gmsg, sig, crypto_sign_BYTES);
	memcpy(gmsg + crypto_sign_BYTES, sf->tc, sf->tclen);
	if (crypto_sign_verify_detached(sf->global, gmsg, crypto_sign_BYTES + sf->tclen, pk->pk) !=
	    0)
		rc = xp_err_set(err, XP_EINTEGRITY, "trusted comment altered");
	free(gmsg);
	return rc;
}

int xp_sign_verify_buffer(const void *buf, size_t len, const char *sigtext, const char *pubkey_path,
                          struct xp_err *err)
{
	struct xp_sign_pub pk;
	int rc;

	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	rc = xp_sign_pub_read(pubkey_path, &pk, err);
	if (rc)
		return rc;
	return xp_sign_verify_buffer_pub(buf, len, sigtext, &pk, err);
}

int xp_sign_verify_buffer_pub(const void *buf, size_t len, const char *sigtext,
                              const struct xp_sign_pub *pub, struct xp_err *err)
{
	uint8_t hash[PREHASH_LEN];
	struct xp_sign_state s;

	xp_sign_init(&s);
	xp_sign_update(&s, buf, len);
	xp_sign_digest(&s, hash);
	return xp_sign_verify_hash(hash, sigtext, pub, NULL, err);
}

void xp_sign_digest(struct xp_sign_state *s, uint8_t hash[XP_SIGN_HASH_LEN])
{
	/* Cannot fail for an unkeyed hash of the length init chose. */
	(void)crypto_generichash_blake2b_final(&s->h, hash, PREHASH_LEN);
}

int xp_sign_verify_hash(const uint8_t hash[XP_SIGN_HASH_LEN], const char *sigtext,
                        const struct xp_sign_pub *pub, char **comment, struct xp_err *err)
{
	struct sigfile sf;
	int rc;

	if (comment)
		*comment = NULL;
	rc = parse_sig(sigtext, &sf, err);
	if (rc == 0)
		rc = check_sig(&sf, pub, hash, err);
	if (rc == 0 && comment && !(*comment = xp_strndup(sf.tc, sf.tclen)))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
	return rc;
}

/* Records are signed under their own prefix, so no record signature is ever a signature of
 * anything else the key signs (prehashes and trusted comments). */
static const char RECORD_DOMAIN[] = "xpbackup record signature 1\n";

static int record_message(const void *msg, size_t len, uint8_t **out, size_t *outlen)
{
	*outlen = sizeof RECORD_DOMAIN - 1 + len;
	*out = malloc(*outlen);
	if (!*out)
		return -1;
	memcpy(*out, RECORD_DOMAIN, sizeof RECORD_DOMAIN - 1);
	memcpy(*out + sizeof RECORD_DOMAIN - 1, msg, len);
	return 0;
}

int xp_sign_record(const struct xp_signkey *k, const void *msg, size_t len,
                   char out[XP_SIGN_RECORD_LEN + 1], struct xp_err *err)
{
	uint8_t bin[XP_SIGN_KEYID_LEN + crypto_sign_BYTES], *m = NULL;
	size_t mlen;
	int rc = 0;

	if (record_message(msg, len, &m, &mlen))
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	memcpy(bin, k->id, XP_SIGN_KEYID_LEN);
	if (crypto_sign_detached(bin + XP_SIGN_KEYID_LEN, NULL, m, mlen, k->sk) != 0)
		rc = xp_err_set(err, XP_EFAIL, "Ed25519 signing failed");
	else
		sodium_bin2base64(out, XP_SIGN_RECORD_LEN + 1, bin, sizeof bin, B64);
	free(m);
	return rc;
}

int xp_sign_record_check(const struct xp_sign_pub *pub, const void *msg, size_t len,
                         const char *text)
{
	uint8_t bin[XP_SIGN_KEYID_LEN + crypto_sign_BYTES], *m = NULL;
	size_t mlen;
	int rc = -1;

	if (strlen(text) != XP_SIGN_RECORD_LEN ||
	    xp_base64_decode(text, XP_SIGN_RECORD_LEN, bin, sizeof bin) != 0 ||
	    memcmp(bin, pub->id, XP_SIGN_KEYID_LEN) != 0 || record_message(msg, len, &m, &mlen))
		return -1;
	if (crypto_sign_verify_detached(bin + XP_SIGN_KEYID_LEN, m, mlen, pub->pk) == 0)
		rc = 0;
	free(m);
	return rc;
}

/* BLAKE2b-512 of a whole file through one fixed buffer. */
static int hash_fd(int fd, const char *path, uint8_t hash[PREHASH_LEN], struct xp_err *err)
{
	struct xp_sign_state s;
	uint8_t *buf = malloc(FILE_BUF);
	ssize_t n;
	int rc = 0;

	if (!buf)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	xp_sign_init(&s);
	while ((n = xp_read_full(fd, buf, FILE_BUF)) > 0)
		xp_sign_update(&s, buf, (size_t)n);
	if (n < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	else if (crypto_generichash_blake2b_final(&s.h, hash, PREHASH_LEN) != 0)
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
	free(buf);
	return rc;
}

int xp_sign_verify_file(const char *path, const char *sigpath, const char *pubkey_path,
                        struct xp_err *err)
{
	return xp_sign_verify_file_comment(path, sigpath, pubkey_path, NULL, err);
}

int xp_sign_read_sigfile(const char *sigpath, char **text, struct xp_err *err)
{
	struct stat st;
	int rc;

	rc = read_regular(sigpath, SIGFILE_MAX, text, err);
	/* Too large to be a signature is damage; a file that cannot be read is not. */
	if (rc == XP_EFAIL && stat(sigpath, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > SIGFILE_MAX)
		xp_err_set(err, rc = XP_EINTEGRITY, "%s: malformed signature file", sigpath);
	return rc;
}

int xp_sign_verify_file_comment(const char *path, const char *sigpath, const char *pubkey_path,
                                char **comment, struct xp_err *err)
{
	uint8_t hash[PREHASH_LEN];
	char *text = NULL;
	struct sigfile sf;
	struct xp_sign_pub pk;
	int fd, rc;

	if (comment)
		*comment = NULL;
	if (sodium_init() < 0)
		return xp_err_set(err, XP_EFAIL, "libsodium: cannot initialise");
	/* The data file first, so a missing backup is named rather than its signature. */
	rc = xp_open_regular(path, O_RDONLY, &fd, err);
	if (rc)
		return rc;
	rc = xp_sign_pub_read(pubkey_path, &pk, err);
	if (rc)
		goto out;
	rc = xp_sign_read_sigfile(sigpath, &text, err);
	if (rc)
		goto out;
	rc = parse_sig(text, &sf, err);
	if (rc) {
		xp_err_prefix(err, "%s", sigpath);
		goto out;
	}
	rc = hash_fd(fd, path, hash, err);
	if (rc)
		goto out;
	rc = check_sig(&sf, &pk, hash, err);
	if (rc) {
		xp_err_prefix(err, "%s", path);
		goto out;
	}
	/* The comment of the bytes just verified, not of a second read of the file. */
	if (comment && !(*comment = xp_strndup(sf.tc, sf.tclen)))
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
out:
	close(fd);
	free(text);
	return rc;
}
