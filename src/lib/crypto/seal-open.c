/* Opening a sealed file: check, decrypt and decompress it chunk by chunk. */
#include "config.h"

#include "crypto/seal-int.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "base/err.h"
#include "base/io.h"
#include "base/encode.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

/* The opening pipeline's state. */
struct opener {
	int in_fd, out_fd;
	struct xp_seal_header h;
	crypto_secretstream_xchacha20poly1305_state *ss;
	uint8_t ad[32];
	uint8_t *frame; /* ciphertext of one chunk */
	uint8_t *plain; /* its plaintext */
	uint8_t *out;   /* decompressed bytes */
	size_t out_size;
	ZSTD_DCtx *dctx;
	size_t zleft; /* ZSTD_decompressStream's last hint: 0 once the frame is complete */
	xp_seal_observe_fn *seen; /* every block of sealed bytes read */
	void *seen_ctx;
};

/* Every read of the sealed file goes through here, so seen gets all of its bytes in order. */
static ssize_t in_read(struct opener *o, void *buf, size_t n)
{
	ssize_t got = xp_read_full(o->in_fd, buf, n);

	if (got > 0 && o->seen)
		o->seen(o->seen_ctx, buf, (size_t)got);
	return got;
}

int xp_seal_keyfile_check(const uint8_t buf[XP_SEAL_SHRED_KEY_LEN], const char *id_hex,
                          struct xp_err *err)
{
	char hex[XP_SEAL_ID_HEX];

	xp_hex(buf + 8, XP_SEAL_ID_LEN, hex);
	if (memcmp(buf, SHRED_MAGIC, 8) != 0 || strcmp(hex, id_hex) != 0)
		return xp_err_set(err, XP_EINTEGRITY,
		                  "backup %s: its key file is not one of this "
		                  "backup's",
		                  id_hex);
	return 0;
}

/* Reads the data key of a shreddable backup from its key file (k->keyfile) into key. */
static int shred_key_read(const struct opener *o, const struct xp_seal_keys *k, uint8_t *key,
                          struct xp_err *err)
{
	uint8_t *buf = sodium_malloc(XP_SEAL_SHRED_KEY_LEN);
	int rc;

	if (!k->keyfile)
		return xp_err_set(err, XP_EUSAGE,
		                  "shreddable backup: no repository to find its key");
	if (!buf)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	rc = k->keyfile(k->keyfile_ctx, o->h.id_hex, buf, err);
	if (rc == 0)
		rc = xp_seal_keyfile_check(buf, o->h.id_hex, err);
	if (rc == 0 && memcmp(buf + 24, o->h.key_id, XP_SEAL_KEYID_LEN) != 0)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "backup %s: its key file is of another repository key",
		                o->h.id_hex);
	if (rc == 0 &&
	    crypto_box_seal_open(key, buf + 32, XP_SEAL_SEALED_KEY_LEN, k->pk, k->sk) != 0)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "backup %s: its key file does not open with the repository key",
		                o->h.id_hex);
	sodium_free(buf);
	return rc;
}

static void opener_free(struct opener *o)
{
	ZSTD_freeDCtx(o->dctx);
	sodium_free(o->ss);
	sodium_free(o->plain);
	free(o->frame);
	free(o->out);
}

static int opener_start(struct opener *o, const struct xp_seal_keys *k, struct xp_err *err)
{
	uint8_t buf[XP_SEAL_HEADER_MAX];
	uint8_t *key = NULL;
	ssize_t n, m;
	int rc;

	n = in_read(o, buf, FIXED_LEN);
	if (n == FIXED_LEN && !(get32(buf + 12) & XP_SEAL_SHREDDABLE)) {
		/* The key block follows; its presence is checked against the flags by the parser.
		 */
		m = in_read(o, buf + FIXED_LEN, XP_SEAL_SEALED_KEY_LEN);
		n = m < 0 ? m : n + m;
	}
	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "read");
	rc = xp_seal_parse_header(buf, (size_t)n, &o->h, err);
	if (rc)
		return rc;
	if (sodium_memcmp(o->h.key_id, k->key_id, XP_SEAL_KEYID_LEN) != 0) {
		char hex[2 * XP_SEAL_KEYID_LEN + 1];

		xp_hex(o->h.key_id, XP_SEAL_KEYID_LEN, hex);
		return xp_err_set(err, XP_EINTEGRITY, "sealed for another repository key (%s)",
		                  hex);
	}
	o->frame = malloc(o->h.chunk_size + ABYTES);
	o->plain = sodium_malloc(o->h.chunk_size);
	o->out_size = ZSTD_DStreamOutSize();
	o->out = malloc(o->out_size);
	o->dctx = ZSTD_createDCtx();
	o->zleft = 1;
	o->ss = sodium_malloc(sizeof *o->ss);
	key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	if (!o->frame || !o->plain || !o->out || !o->dctx || !o->ss || !key) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if (o->h.flags & XP_SEAL_SHREDDABLE)
		rc = shred_key_read(o, k, key, err);
	else if (crypto_box_seal_open(key, o->h.sealed_key, XP_SEAL_SEALED_KEY_LEN, k->pk, k->sk) !=
	         0)
		rc = xp_err_set(err, XP_EINTEGRITY,
		                "header: the data key does not open with the repository key");
	if (rc)
		goto out;
	if (crypto_generichash(o->ad, sizeof o->ad, buf, o->h.len, NULL, 0) != 0 ||
	    crypto_secretstream_xchacha20poly1305_init_pull(o->ss, o->h.stream_header, key) != 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "header: bad stream header");
out:
	sodium_free(key);
	return rc;
}

/* Decompresses one authenticated chunk to out_fd. */
static int inflate_chunk(struct opener *o, size_t n, uint64_t *bytes, struct xp_err *err)
{
	ZSTD_inBuffer in = {o->plain, n, 0};
	ZSTD_outBuffer out = {o->out, o->out_size, o->out_size};
	int rc;

	/* After the frame's end (hint 0) another call would start a new frame: one frame only. */
	while (in.pos < in.size || (o->zleft != 0 && out.pos == out.size)) {
		if (o->zleft == 0)
			return xp_err_set(err, XP_EINTEGRITY,
			                  "data after the end of the zstd frame");
		out = (ZSTD_outBuffer){o->out, o->out_size, 0};
		o->zleft = ZSTD_decompressStream(o->dctx, &out, &in);
		if (ZSTD_isError(o->zleft))
			return xp_err_set(err, XP_EINTEGRITY, "zstd: %s",
			                  ZSTD_getErrorName(o->zleft));
		if (out.pos && (rc = xp_write_all(o->out_fd, o->out, out.pos, err)) != 0)
			return rc;
		*bytes += out.pos;
	}
	return 0;
}

/* Reads, authenticates and inflates chunk number `index` (from 1); *final says it was the last. */
static int open_chunk(struct opener *o, uint64_t index, int *final, uint64_t *bytes,
                      struct xp_err *err)
{
	uint8_t lenbuf[LEN_BYTES];
	unsigned long long plen;
	unsigned char tag;
	uint32_t clen;
	ssize_t n;

	n = in_read(o, lenbuf, LEN_BYTES);
	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "read");
	if (n == 0)
		return index == 1 ? xp_err_set(err, XP_EINTEGRITY, "truncated after the header")
		                  : xp_err_set(err, XP_EINTEGRITY, "truncated after chunk %llu",
		                               (unsigned long long)(index - 1));
	if (n < LEN_BYTES)
		return xp_err_set(err, XP_EINTEGRITY, "truncated in chunk %llu",
		                  (unsigned long long)index);
	clen = get32(lenbuf);
	if (clen < ABYTES || clen > o->h.chunk_size + ABYTES)
		return xp_err_set(err, XP_EINTEGRITY, "chunk %llu: bad length %u",
		                  (unsigned long long)index, clen);
	n = in_read(o, o->frame, clen);
	if (n < 0)
		return xp_err_sys(err, XP_EFAIL, "read");
	if ((size_t)n < clen)
		return xp_err_set(err, XP_EINTEGRITY, "truncated in chunk %llu",
		                  (unsigned long long)index);
	if (crypto_secretstream_xchacha20poly1305_pull(o->ss, o->plain, &plen, &tag, o->frame, clen,
	                                               o->ad, sizeof o->ad) != 0)
		return xp_err_set(err, XP_EINTEGRITY, "chunk %llu fails authentication",
		                  (unsigned long long)index);
	*final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	if (!*final &&
	    (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE || plen != o->h.chunk_size))
		return xp_err_set(err, XP_EINTEGRITY, "chunk %llu: not a full message chunk",
		                  (unsigned long long)index);
	return inflate_chunk(o, (size_t)plen, bytes, err);
}

int xp_seal_open(int in_fd, int out_fd, const struct xp_seal_keys *k, struct xp_seal_info *info,
                 struct xp_err *err)
{
	return xp_seal_open_seen(in_fd, out_fd, k, NULL, NULL, info, err);
}

int xp_seal_open_seen(int in_fd, int out_fd, const struct xp_seal_keys *k, xp_seal_observe_fn *seen,
                      void *seen_ctx, struct xp_seal_info *info, struct xp_err *err)
{
	struct opener o = {.in_fd = in_fd, .out_fd = out_fd, .seen = seen, .seen_ctx = seen_ctx};
	uint64_t index = 0, bytes = 0;
	int final = 0, rc;
	uint8_t extra;
	ssize_t n;

	if ((rc = opener_start(&o, k, err)) != 0)
		goto out;
	while (!final)
		if ((rc = open_chunk(&o, ++index, &final, &bytes, err)) != 0)
			goto out;
	if (o.zleft != 0) {
		rc = xp_err_set(err, XP_EINTEGRITY, "the compressed stream ends early");
		goto out;
	}
	n = in_read(&o, &extra, 1);
	if (n < 0)
		rc = xp_err_sys(err, XP_EFAIL, "read");
	else if (n > 0)
		rc = xp_err_set(err, XP_EINTEGRITY, "data after the final chunk");
	if (rc == 0 && info) {
		memset(info, 0, sizeof *info);
		memcpy(info->id, o.h.id_hex, sizeof info->id);
		info->created = o.h.created;
		info->bytes_in = bytes;
		info->chunks = index;
	}
out:
	opener_free(&o);
	return rc;
}

/* The new header and stream of a rewrap: a fresh data key sealed to the new repository key. */
static int rewrap_header(struct opener *o, const struct xp_seal_rewrap *r,
                         crypto_secretstream_xchacha20poly1305_state *push, uint8_t ad[32],
                         struct xp_seal_info *info, uint8_t *buf, size_t *len, struct xp_err *err)
{
	struct xp_seal_header h = o->h;
	uint8_t *key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
	int shred = (h.flags & XP_SEAL_SHREDDABLE) != 0;
	int rc = 0;

	if (!key)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	memcpy(h.key_id, r->key_id, XP_SEAL_KEYID_LEN);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (crypto_secretstream_xchacha20poly1305_init_push(push, h.stream_header, key) != 0 ||
	    crypto_box_seal(shred ? info->shred_key + 32 : h.sealed_key, key,
	                    crypto_secretstream_xchacha20poly1305_KEYBYTES, r->pk) != 0) {
		rc = xp_err_set(err, XP_EFAIL, "cannot seal the data key");
		goto out;
	}
	if (shred) {
		memcpy(info->shred_key, SHRED_MAGIC, 8);
		memcpy(info->shred_key + 8, h.id, XP_SEAL_ID_LEN);
		memcpy(info->shred_key + 24, h.key_id, XP_SEAL_KEYID_LEN);
	}
	*len = xp_seal_header_write(&h, buf);
	if (crypto_generichash(ad, 32, buf, *len, NULL, 0) != 0)
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
out:
	sodium_free(key);
	return rc;
}

/* Writes n bytes, hashing them and handing them to the observer. */
static int rewrap_emit(int fd, const struct xp_seal_rewrap *r, crypto_generichash_state *hash,
                       struct xp_seal_info *info, const uint8_t *buf, size_t n, struct xp_err *err)
{
	int rc = xp_write_all(fd, buf, n, err);

	if (rc)
		return rc;
	if (crypto_generichash_update(hash, buf, n) != 0)
		return xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
	if (r->on_output)
		r->on_output(r->on_output_ctx, buf, n);
	info->bytes_out += n;
	return 0;
}

/* Moves every chunk from the old stream to the new one, authenticating each on the way. */
static int rewrap_chunks(struct opener *o, int out_fd, const struct xp_seal_rewrap *r,
                         crypto_secretstream_xchacha20poly1305_state *push, const uint8_t ad[32],
                         crypto_generichash_state *hash, struct xp_seal_info *info,
                         struct xp_err *err)
{
	uint8_t lenbuf[LEN_BYTES], *out = malloc(LEN_BYTES + o->h.chunk_size + ABYTES);
	unsigned long long plen, clen;
	unsigned char tag = 0;
	uint32_t n;
	ssize_t got;
	int rc = 0;

	if (!out)
		return xp_err_set(err, XP_ENOMEM, "out of memory");
	while (tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		info->chunks++;
		got = xp_read_full(o->in_fd, lenbuf, LEN_BYTES);
		n = got == LEN_BYTES ? get32(lenbuf) : 0;
		if (got < 0 || (got == LEN_BYTES && n >= ABYTES && n <= o->h.chunk_size + ABYTES &&
		                (got = xp_read_full(o->in_fd, o->frame, n)) < 0)) {
			rc = xp_err_sys(err, XP_EFAIL, "read");
			goto out;
		}
		if (n < ABYTES || n > o->h.chunk_size + ABYTES || (size_t)got < n ||
		    crypto_secretstream_xchacha20poly1305_pull(
		            o->ss, o->plain, &plen, &tag, o->frame, n, o->ad, sizeof o->ad) != 0) {
			rc = xp_err_set(err, XP_EINTEGRITY, "chunk %llu fails authentication",
			                (unsigned long long)info->chunks);
			goto out;
		}
		if (crypto_secretstream_xchacha20poly1305_push(push, out + LEN_BYTES, &clen,
		                                               o->plain, plen, ad, 32, tag) != 0) {
			rc = xp_err_set(err, XP_EFAIL, "encryption failed");
			goto out;
		}
		put32(out, (uint32_t)clen);
		rc = rewrap_emit(out_fd, r, hash, info, out, LEN_BYTES + (size_t)clen, err);
		if (rc)
			goto out;
	}
	got = xp_read_full(o->in_fd, lenbuf, 1);
	if (got != 0)
		rc = got < 0 ? xp_err_sys(err, XP_EFAIL, "read")
		             : xp_err_set(err, XP_EINTEGRITY, "data after the final chunk");
out:
	free(out);
	return rc;
}

int xp_seal_rewrap(int in_fd, int out_fd, const struct xp_seal_keys *k,
                   const struct xp_seal_rewrap *r, struct xp_seal_info *info, struct xp_err *err)
{
	struct opener o = {.in_fd = in_fd, .out_fd = -1};
	crypto_secretstream_xchacha20poly1305_state *push = sodium_malloc(sizeof *push);
	crypto_generichash_state hash;
	uint8_t buf[XP_SEAL_HEADER_MAX], ad[32];
	size_t len = 0;
	int rc;

	memset(info, 0, sizeof *info);
	if (!push || crypto_generichash_init(&hash, NULL, 0, XP_SEAL_HASH_LEN) != 0) {
		rc = xp_err_set(err, XP_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = opener_start(&o, k, err)) != 0 ||
	    (rc = rewrap_header(&o, r, push, ad, info, buf, &len, err)) != 0 ||
	    (rc = rewrap_emit(out_fd, r, &hash, info, buf, len, err)) != 0 ||
	    (rc = rewrap_chunks(&o, out_fd, r, push, ad, &hash, info, err)) != 0)
		goto out;
	memcpy(info->id, o.h.id_hex, sizeof info->id);
	info->created = o.h.created;
	if (crypto_generichash_final(&hash, info->hash, sizeof info->hash) != 0)
		rc = xp_err_set(err, XP_EFAIL, "BLAKE2b failed");
out:
	sodium_free(push);
	opener_free(&o);
	return rc;
}
