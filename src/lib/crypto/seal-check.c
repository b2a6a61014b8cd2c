/* Checking a sealed file against its signature, from one read of its bytes. */
#include "config.h"

#include "crypto/seal-int.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/io.h"
#include "base/encode.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

void xp_seal_checked_free(struct xp_seal_checked *c)
{
	free(c->comment);
	c->comment = NULL;
}

int xp_seal_bind(const char *comment, const char *header_id, const char *id, struct xp_err *err)
{
	const char *f = comment, *end;
	size_t n;

	for (; f; f = end ? end + 1 : NULL) {
		end = strchr(f, '\t');
		n = end ? (size_t)(end - f) : strlen(f);
		if (n > 5 && strncmp(f, "file:", 5) == 0)
			break;
	}
	if (!f)
		return xp_err_set(err, XP_EINTEGRITY, "its signature names no file");
	if (n != 5 + 2 * XP_SEAL_ID_LEN + 4 || strncmp(f + 5, header_id, 2 * XP_SEAL_ID_LEN) != 0 ||
	    strncmp(f + 5 + 2 * XP_SEAL_ID_LEN, ".xps", 4) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "its signature is of %.*s, its header names backup %s",
		                  (int)n - 5, f + 5, header_id);
	if (id && *id && strcmp(id, header_id) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "backup %s, signed as such, is stored under the id %s", header_id,
		                  id);
	return 0;
}

/* The one read of a backup: hashes for the signature and the catalog, the header's bytes, and
 * a copy to copy_fd when not -1. */
struct reading {
	struct xp_sign_state sig;
	crypto_generichash_state cat;
	uint8_t head[XP_SEAL_HEADER_MAX];
	size_t got;
	uint64_t size;
};

static int read_once(int fd, const char *path, int copy_fd, struct reading *r, struct xp_err *err)
{
	uint8_t *buf = malloc(READ_SIZE);
	ssize_t n;
	int rc = 0;

	if (!buf || crypto_generichash_init(&r->cat, NULL, 0, XP_SEAL_HASH_LEN) != 0) {
		free(buf);
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	}
	xp_sign_init(&r->sig);
	while (rc == 0 && (n = xp_read_full(fd, buf, READ_SIZE)) > 0) {
		size_t k =
		        sizeof r->head - r->got < (size_t)n ? sizeof r->head - r->got : (size_t)n;

		memcpy(r->head + r->got, buf, k);
		r->got += k;
		xp_sign_update(&r->sig, buf, (size_t)n);
		(void)crypto_generichash_update(&r->cat, buf, (size_t)n); /* cannot fail */
		r->size += (uint64_t)n;
		if (copy_fd >= 0 && (rc = xp_write_all(copy_fd, buf, (size_t)n, err)) != 0)
			xp_err_prefix(err, "a private copy of %s", path);
	}
	if (rc == 0 && n < 0)
		rc = xp_err_sys(err, XP_EFAIL, "%s", path);
	free(buf);
	return rc;
}

static int check_fd(int fd, const char *path, const char *sigpath, const struct xp_sign_pub *pub,
                    const char *id, const uint8_t *repo_kid, int copy_fd,
                    struct xp_seal_checked *out, struct xp_err *err)
{
	struct reading r = {0};
	uint8_t prehash[XP_SIGN_HASH_LEN];
	char *sig = NULL, hex[2 * XP_SEAL_KEYID_LEN + 1];
	int rc;

	rc = xp_sign_read_sigfile(sigpath, &sig, err);
	if (rc == 0 && (rc = xp_sign_check_format(sig, err)) != 0)
		xp_err_prefix(err, "%s", sigpath);
	if (rc == 0)
		rc = read_once(fd, path, copy_fd, &r, err);
	if (rc)
		goto out;
	xp_sign_digest(&r.sig, prehash);
	(void)crypto_generichash_final(&r.cat, out->hash, XP_SEAL_HASH_LEN);
	out->size = r.size;
	rc = xp_sign_verify_hash(prehash, sig, pub, &out->comment, err);
	if (rc == 0)
		rc = xp_seal_parse_header(r.head, r.got, &out->h, err);
	if (rc == 0)
		rc = xp_seal_bind(out->comment, out->h.id_hex, id, err);
	if (rc == 0 && repo_kid && sodium_memcmp(out->h.key_id, repo_kid, XP_SEAL_KEYID_LEN) != 0) {
		xp_hex(out->h.key_id, XP_SEAL_KEYID_LEN, hex);
		rc = xp_err_set(err, XP_EINTEGRITY, "sealed for another repository key (%s)", hex);
	}
	if (rc)
		xp_err_prefix(err, "%s", path);
out:
	if (rc)
		xp_seal_checked_free(out);
	free(sig);
	return rc;
}

int xp_seal_check(const char *path, const char *sigpath, const struct xp_sign_pub *pub,
                  const char *id, const uint8_t *repo_kid, int copy_fd, struct xp_seal_checked *out,
                  struct xp_err *err)
{
	int fd, rc;

	memset(out, 0, sizeof *out);
	/* The data file first, so a missing backup is named rather than its signature. */
	rc = xp_open_regular(path, O_RDONLY, &fd, err);
	if (rc)
		return rc;
	rc = check_fd(fd, path, sigpath, pub, id, repo_kid, copy_fd, out, err);
	close(fd);
	return rc;
}
